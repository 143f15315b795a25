"""Kalkulator iuran BPU: the monthly contribution of an informal worker from the income they declare (public)."""
import streamlit as st

from lib.base import fmt, iuran
from lib.ui import widgets


def render() -> None:
    widgets.header("Kalkulator iuran BPU", "Iuran bulanan BPJS Ketenagakerjaan untuk pekerja Bukan Penerima Upah "
                                           "(pekerja mandiri, informal) dari penghasilan yang dilaporkan")
    penghasilan = st.text_input("Penghasilan sebulan yang dilaporkan (Rp)", value="1.000.000", key="iuran_penghasilan",
                                help=f"Paling sedikit {fmt.rupiah(iuran.PENGHASILAN_MIN)}, paling banyak "
                                     f"{fmt.rupiah(iuran.PENGHASILAN_MAX)} sebulan.")
    jht = st.checkbox("Ikut Jaminan Hari Tua (JHT, 2% dari penghasilan)", key="iuran_jht")
    try:
        got = iuran.hitung_bpu(penghasilan, jht)
    except iuran.IuranError as err:
        st.error(str(err))
        return
    cols = st.columns(4 if jht else 3)
    cols[0].metric("JKK (1%)", fmt.rupiah(got.jkk))
    cols[1].metric("JKM", fmt.rupiah(got.jkm))
    if jht:
        cols[2].metric("JHT (2%)", fmt.rupiah(got.jht))
    cols[-1].metric("Iuran per bulan", fmt.rupiah(got.total))
    st.caption("Dasar: PP 44/2015 jo. PP 82/2019 (JKK 1% dari penghasilan yang dilaporkan, JKM Rp6.800 sebulan) dan "
               "PP 46/2015 (JHT 2%). Penghasilan dilaporkan sendiri oleh peserta. Pemerintah daerah membayar JKK dan "
               "JKM pekerja rentan dengan perhitungan yang sama.")
