"""Log audit: filter by user, action, object and date; export XLSX (the export is itself logged). For holders of
``export_person_data``: a person's data on request, found by NIK, as one logged XLSX (lib.pribadi.permintaan)."""

import pandas as pd
import streamlit as st

from lib.base import audit
from lib.base.permissions import PermissionDenied, has_permission
from lib.base.sheets import XLSX_MIME
from lib.pribadi import permintaan
from lib.ui import context, widgets


def render() -> None:
    me = context.actor()
    widgets.header("Log audit", "Siapa melakukan apa dan kapan: masuk, perubahan, tampilan NIK dan unduhan data")
    _log(me)
    if has_permission(me, permintaan.PERMISSION):
        _data_pribadi(me)


def _log(me) -> None:
    start, today = audit.default_period()
    with st.form("filter_audit"):
        c1, c2, c3 = st.columns(3)
        username = c1.text_input("Pengguna", placeholder="nama pengguna")
        action = c2.selectbox("Aksi", [""] + list(audit.ACTIONS), format_func=lambda a: audit.ACTIONS.get(a, "Semua"),
                              placeholder="Pilih…")
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
        widgets.grid(pd.DataFrame(audit.rows(entries)), hide_index=True, width="stretch")
    if has_permission(me, "export_audit_log"):
        if st.button("Siapkan unduhan XLSX", icon=":material/download:"):
            with context.db().begin() as session:
                data = audit.export_xlsx(session, me, flt)
            st.download_button("Unduh log audit (XLSX)", data, file_name=f"log-audit-{today.isoformat()}.xlsx",
                               mime=XLSX_MIME,
                               type="primary")


def _data_pribadi(me) -> None:
    st.divider()
    st.subheader("Data pribadi atas permintaan", anchor=False)
    st.caption("UU 27/2022: pemilik data berhak mendapat salinan data pribadinya. Ketik NIK-nya untuk mengunduh "
               "semua yang disimpan portal tentang orang itu dalam satu berkas XLSX; setiap unduhan dicatat di log "
               "audit.")
    with st.form("data_pribadi"):
        typed = st.text_input("NIK pemilik data", placeholder="16 angka", max_chars=24, key="dp_nik")
        asked = st.form_submit_button("Cari dan siapkan berkas", icon=":material/person_search:")
    if not asked:
        return
    try:
        with context.db().begin() as session:
            result = permintaan.export(session, me, typed)
    except widgets.USER_ERRORS as err:
        st.error(str(err))
        return
    if result.total:
        st.success(f"{result.total} baris tentang NIK {result.nik_masked} ditemukan.")
        widgets.grid(pd.DataFrame([{"Lembar": name, "Jumlah baris": n} for name, n in result.counts if n]),
                     hide_index=True)
    else:
        st.info(f"Tidak ada data tentang NIK {result.nik_masked} di portal. Berkasnya tetap dapat diunduh sebagai "
                "jawaban atas permintaan.")
    st.download_button("Unduh data pribadi (XLSX)", result.data, file_name=result.file_name, mime=XLSX_MIME,
                       type="primary", icon=":material/download:", on_click="ignore", key="dp_unduh")
