"""Log audit: filter by user, action, object and date; export XLSX (the export is itself logged)."""

import pandas as pd
import streamlit as st

from lib.base import audit
from lib.base.permissions import PermissionDenied, has_permission
from lib.base.sheets import XLSX_MIME
from lib.ui import context, widgets


def render() -> None:
    me = context.actor()
    widgets.header("Log audit", "Siapa melakukan apa dan kapan: masuk, perubahan, tampilan NIK dan unduhan data")
    start, today = audit.default_period()
    with st.form("filter_audit"):
        c1, c2, c3 = st.columns(3)
        username = c1.text_input("Pengguna", placeholder="nama pengguna")
        action = c2.selectbox("Aksi", [""] + list(audit.ACTIONS), format_func=lambda a: audit.ACTIONS.get(a, "Semua"))
        obj = c3.text_input("Objek", placeholder="jenis:id, misalnya user:3")
        c4, c5 = st.columns(2)
        date_from = c4.date_input("Dari tanggal", value=start, format="DD/MM/YYYY")
        date_to = c5.date_input("Sampai tanggal", value=today, format="DD/MM/YYYY")
        st.form_submit_button("Terapkan", type="primary")
    obj_type, _, obj_id = obj.strip().partition(":")
    flt = audit.AuditFilter(username=username.strip().lower() or None, action=action or None,
                            object_type=obj_type or None, object_id=obj_id or None,
                            date_from=date_from, date_to=date_to)
    if date_from and date_to and date_from > date_to:
        st.error("Tanggal awal tidak boleh sesudah tanggal akhir.")
        return
    try:
        with context.db()() as session:
            entries = audit.search(session, me, flt)
    except PermissionDenied as err:
        st.error(str(err))
        return
    st.caption(f"{len(entries)} entri")
    if not entries:
        st.info("Tidak ada entri untuk filter ini.")
    else:
        st.dataframe(pd.DataFrame(audit.rows(entries)), hide_index=True, width="stretch")
    if has_permission(me, "export_audit_log"):
        if st.button("Siapkan unduhan XLSX", icon=":material/download:"):
            with context.db().begin() as session:
                data = audit.export_xlsx(session, me, flt)
            st.download_button("Unduh log audit (XLSX)", data, file_name=f"log-audit-{today.isoformat()}.xlsx",
                               mime=XLSX_MIME,
                               type="primary")
