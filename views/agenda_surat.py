"""Agenda surat keluar: every letter number the portal gave, per year; XLSX download (logged)."""
import streamlit as st

from lib.base.sheets import XLSX_MIME
from lib.dokumen import agenda
from lib.ui import context, widgets


def render() -> None:
    widgets.header("Agenda surat keluar", "Setiap nomor surat diberikan sekali dan tidak pernah dipakai lagi. Pola "
                   "nomor diatur di halaman Templat dokumen.")
    actor = context.actor()
    with context.db()() as session:
        years = agenda.years(session)
    year = st.selectbox("Tahun", years, index=0 if years else None, placeholder="Belum ada surat", key="agenda-tahun")
    if year is None:
        st.info("Belum ada nomor surat yang diberikan.")
        return
    with context.db()() as session:
        found = agenda.entries(session, actor, year)
    st.caption(f"{len(found)} surat.")
    widgets.grid(agenda.rows(found), hide_index=True, width="stretch")
    if st.button("Siapkan unduhan XLSX", icon=":material/download:", key="agenda-xlsx",
                 help="Berisi nama tujuan surat; unduhan dicatat di log audit."):
        with context.db().begin() as session:
            data = agenda.export_xlsx(session, actor, year)
        st.download_button("Unduh agenda surat keluar (XLSX)", data, file_name=f"agenda-surat-{year}.xlsx",
                           mime=XLSX_MIME, icon=":material/table_view:", key="agenda-dl")
