"""Kalender kerja: the year's holidays and cuti bersama, and the admin's overrides."""
import datetime as dt

import pandas as pd
import streamlit as st

from lib.base import fmt, kalender, mutu_baku
from lib.base.worktime import HARI
from lib.ui import context, widgets


def render() -> None:
    me = context.actor()
    widgets.header("Kalender kerja", "Hari libur nasional, cuti bersama dan pengecualian yang dipakai untuk "
                                     "menghitung waktu kerja")
    widgets.show_flash()
    st.caption(f"Jam kerja (Perpres 21/2023): Senin–Kamis 07.30–16.00 (istirahat 12.00–13.00), Jumat 07.30–16.30 "
               f"(istirahat 11.30–13.00); {mutu_baku.MINUTES_PER_WORKING_DAY} menit kerja per hari.")
    year = st.number_input("Tahun", min_value=2020, max_value=2035, value=dt.date.today().year, step=1)
    with context.db()() as session:
        cal = kalender.load_calendar(session)
        rows = kalender.days_off(cal, int(year))
    if rows:
        widgets.grid(pd.DataFrame([{"Tanggal": fmt.tanggal(r.day), "Hari": HARI[r.day.weekday()], "Keterangan": r.name,
                                    "Sumber": r.source} for r in rows]), hide_index=True, width="stretch")
    else:
        st.info("Tidak ada hari libur pada hari kerja di tahun ini.")

    _ramadan(me, cal, int(year))
    st.subheader("Tambah atau ubah pengecualian", anchor=False)
    with st.form("pengecualian", clear_on_submit=True):
        c1, c2 = st.columns([1, 1])
        day = c1.date_input("Tanggal", value=None, format="DD/MM/YYYY", key="kal_tanggal")
        kind = c2.radio("Jenis", ["libur", "kerja"], horizontal=True, key="kal_jenis",
                        format_func=lambda k: "Hari libur (mis. SKB cuti bersama baru)" if k == "libur"
                        else "Hari kerja (mis. Sabtu pengganti, libur dibatalkan)")
        note = st.text_input("Keterangan", placeholder="misalnya SKB 3 Menteri No. ... tentang cuti bersama",
                             key="kal_keterangan")
        if st.form_submit_button("Simpan", type="primary"):
            if day is None:
                st.error("Pilih tanggalnya.")
            else:
                _change(lambda s: kalender.set_override(s, me, day, kind, note),
                        f"Pengecualian {fmt.tanggal(day)} disimpan.")
    with context.db()() as session:
        existing = [(o.day, o.kind, o.keterangan) for o in kalender.overrides(session)]
    if existing:
        pick = st.selectbox("Hapus pengecualian", [d for d, _, _ in existing], index=None, key="kal_hapus",
                            placeholder="Pilih tanggal", format_func=lambda d: fmt.tanggal(d))
        if pick and st.button("Hapus", icon=":material/delete:"):
            _change(lambda s: kalender.remove_override(s, me, pick), f"Pengecualian {fmt.tanggal(pick)} dihapus.")


def _ramadan(me, cal, year: int) -> None:
    st.subheader("Ramadan", anchor=False)
    st.markdown(kalender.ramadan_text(cal, year))
    period = cal.ramadan(year)
    with st.expander("Koreksi periode Ramadan (misalnya setelah sidang isbat)"):
        with st.form("ramadan"):
            c1, c2 = st.columns(2)
            start = c1.date_input("Hari pertama Ramadan", value=period.start if period else None,
                                  format="DD/MM/YYYY", key="ram_mulai")
            end = c2.date_input("Hari terakhir Ramadan", value=period.end if period else None, format="DD/MM/YYYY",
                                key="ram_akhir")
            note = st.text_input("Dasar koreksi", placeholder="misalnya hasil sidang isbat Kementerian Agama",
                                 key="ram_dasar")
            if st.form_submit_button("Simpan periode Ramadan", type="primary"):
                if start is None or end is None:
                    st.error("Pilih hari pertama dan hari terakhir Ramadan.")
                else:
                    _change(lambda s: kalender.set_ramadan(s, me, start, end, note),
                            f"Periode Ramadan {year} disimpan.")
        if period is not None and period.source == "admin" and st.button("Kembali ke perhitungan otomatis",
                                                                        key="ram_otomatis"):
            _change(lambda s: kalender.remove_ramadan(s, me, year), f"Periode Ramadan {year} kembali otomatis.")
    st.subheader("Jam kerja pada tanggal tertentu", anchor=False)
    day = st.date_input("Tanggal", value=dt.date.today(), format="DD/MM/YYYY", key="kal_jam_tanggal")
    if day is not None:
        st.markdown(kalender.hours_text(cal, day))


def _change(action, message: str) -> None:
    widgets.apply(action, message)
