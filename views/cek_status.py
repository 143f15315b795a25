"""Cek status berkas: public, no login, phone-sized. The register number and the last 4 digits of the NIK show
where the file is, and nothing else."""
import streamlit as st

from lib.base import fmt
from lib.casework import status
from lib.ui import context, widgets


def render() -> None:
    widgets.header("Cek status berkas", "Masukkan nomor register pada tanda terima dan 4 angka terakhir NIK Anda.")
    with st.form("cek-status"):
        nomor = st.text_input("Nomor register", value=st.query_params.get("nomor", ""), max_chars=40,
                              placeholder="AK1/2026/00042")
        digits = st.text_input("4 angka terakhir NIK", max_chars=4, type="password")
        sent = st.form_submit_button("Cek status", type="primary", icon=":material/search:", width="stretch")
    if not sent:
        return
    try:
        with context.db().begin() as session:
            found = status.check(session, nomor, digits, context.client_address())
    except widgets.USER_ERRORS as err:
        st.error(str(err))
        return
    if found is None:
        st.error("Nomor register dan NIK tidak cocok dengan berkas mana pun. Periksa tanda terima Anda.")
        return
    with st.container(border=True):
        st.markdown("  \n".join(fmt.md(line) for line in found.lines()))
