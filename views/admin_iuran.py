"""Iuran pekerja rentan: the contribution basis (declared income, JKK percentage, JKM) the budget uses."""
import streamlit as st

from lib.base import fmt
from lib.rentan import anggaran
from lib.ui import context, widgets


def render() -> None:
    widgets.header("Iuran pekerja rentan", "Dasar perhitungan iuran JKK+JKM peserta Bukan Penerima Upah yang dibayar "
                                           "pemerintah daerah. Dipakai oleh rencana anggaran setiap kohort.")
    widgets.show_flash()
    with context.db()() as session:
        now = anggaran.iuran(session)
    st.markdown(f"Saat ini: JKK {now.jkk_persen}% × {fmt.rupiah(now.penghasilan)} = {fmt.rupiah(now.jkk)} + JKM "
                f"{fmt.rupiah(now.jkm)} = **{fmt.rupiah(now.per_bulan)} per orang per bulan**.")
    with st.form("iuran"):
        penghasilan = st.number_input("Penghasilan yang dilaporkan (Rp per bulan)", min_value=1, step=50_000,
                                      value=now.penghasilan)
        jkk = st.number_input("JKK (% dari penghasilan)", min_value=0.01, max_value=10.0, step=0.01,
                              value=float(now.jkk_persen), format="%.2f")
        jkm = st.number_input("JKM (Rp per bulan)", min_value=0, step=100, value=now.jkm)
        if st.form_submit_button("Simpan", type="primary"):
            widgets.apply(lambda s: anggaran.save_iuran(s, context.actor(), int(penghasilan), f"{jkk:.2f}", int(jkm)),
                          "Besaran iuran disimpan.")
    st.caption("Ketentuan BPJS Ketenagakerjaan untuk BPU: JKK 1% dari penghasilan, JKM Rp6.800; pada penghasilan "
               "Rp1.000.000 iurannya Rp16.800 per bulan. Kohort yang SK-nya sudah ditetapkan tetap memakai besaran "
               "iuran pada saat SK ditetapkan.")
