"""The working tabs of an SOP page: "Permohonan baru" (the intake form) and "Buku Register"."""
import streamlit as st

from lib.base.permissions import has_permission
from lib.base.sheets import XLSX_MIME
from lib.casework import case_files, cases, register
from lib.casework.cases import STATES
from lib.ui import context, formulir, nav, widgets

_LAST = "_portal_last_intake"


def intake_tab(doc) -> None:
    last = st.session_state.pop(_LAST, None)
    if last:
        st.success(f"Permohonan **{last[1]}** terdaftar.", icon=":material/check_circle:")
        st.page_link(nav.page("berkas"), label=f"Buka berkas {last[1]}", icon=":material/folder_open:",
                     query_params={"id": str(last[0])})
    counter = st.session_state.setdefault(f"_intake_n_{doc.id}", 0)
    key = f"intake-{doc.id}-{counter}"
    errors = st.session_state.pop(key + "-errors", {})  # shown once, beside what was sent: never left stale
    duplicate = st.session_state.get(key + "-dup")
    first = doc.langkah[0]
    st.caption(f"Langkah 1: {first.kegiatan} ({doc.actors[first.pelaksana].label}). Isian bertanda * wajib. "
               "Tekan Tab untuk pindah isian, Enter untuk mendaftarkan.")
    with st.form(key, enter_to_submit=True):
        values = {}
        for i, f in enumerate(doc.formulir):
            if i % 2 == 0:  # one row per pair, so that Tab follows the order the eye reads
                cols = st.columns(2)
            with cols[i % 2]:
                values[f.nama] = formulir.field(f, f"{key}-{f.nama}", errors.get(f.nama))
        ticked = {}
        if doc.kelengkapan:
            st.markdown("**Kelengkapan berkas yang dibawa pemohon**")
            ticked = formulir.checklist(doc, key)
        reason = _duplicate_notice(duplicate, key) if duplicate else None
        submitted = st.form_submit_button("Daftarkan permohonan", type="primary", icon=":material/send:")
    if not submitted:
        return
    raw = formulir.raw_values(doc, values)
    try:
        with context.db().begin() as session:
            view, result = cases.intake(session, context.actor(), doc.id, raw, ticked, reason=reason)
            for f in doc.formulir:
                if f.jenis == "file" and values.get(f.nama) is not None:
                    case_files.attach(session, context.actor(), view.id, values[f.nama].name,
                                      values[f.nama].getvalue())
    except cases.FormInvalid as err:
        st.session_state[key + "-errors"] = err.result.errors
        st.rerun()
    except cases.DuplicateCase as err:
        st.session_state[key + "-errors"] = {}
        st.session_state[key + "-dup"] = (str(err), err.existing)
        st.rerun()
    except widgets.USER_ERRORS as err:
        st.error(str(err))
        return
    st.session_state.pop(key + "-dup", None)
    st.session_state[f"_intake_n_{doc.id}"] = counter + 1  # a clean form for the next applicant
    st.session_state[_LAST] = (view.id, view.register_no)
    for message in result.warnings.values():
        st.toast(message, icon=":material/warning:")
    st.rerun()


def _duplicate_notice(duplicate: tuple[str, list[tuple[int, str]]], key: str) -> str:
    """The open case(s) of the same NIK, each a link to its case page, and the reason asked for."""
    message, existing = duplicate
    st.warning(message, icon=":material/content_copy:")
    for case_id, number in existing:
        st.page_link(nav.page("berkas"), label=f"Buka berkas {number} (masih terbuka)",
                     icon=":material/folder_open:", query_params={"id": str(case_id)})
    return st.text_area("Alasan membuka permohonan kedua *", key=f"{key}-alasan", max_chars=1000,
                        placeholder=f"Minimal {cases.MIN_REASON} karakter; dicatat pada berkas baru.")


def register_tab(doc) -> None:
    actor = context.actor()
    with context.db()() as session:
        years = register.years(session, doc.id)
    c1, c2, c3 = st.columns([1, 1, 2])
    year = c1.selectbox("Tahun", years, index=0 if years else None, key=f"reg-year-{doc.id}",
                        placeholder="Belum ada berkas")
    state = c2.selectbox("Status", [None, *STATES], format_func=lambda s: "Semua" if s is None else STATES[s],
                         key=f"reg-state-{doc.id}", placeholder="Pilih…")
    text = c3.text_input("Cari nomor register atau nama", key=f"reg-text-{doc.id}")
    flt = register.RegisterFilter(year, state, text)
    with context.db()() as session:
        found = register.entries(session, actor, doc.id, flt)
    if not found:
        st.info("Belum ada berkas pada buku register ini" + (" untuk filter tersebut." if text or state else "."))
        return
    st.caption(f"{len(found)} berkas" + (" (ditampilkan paling banyak 5.000)" if len(found) >= register.LIMIT
                                         else "") + ". Klik satu baris untuk membuka berkasnya.")
    nav.open_case_on_select(widgets.grid(register.rows(found), hide_index=True, width="stretch",
                                         on_select="rerun", selection_mode="single-row", key=f"reg-table-{doc.id}"),
                            [e.case_id for e in found])
    if has_permission(actor, "export_personal_data", doc.scope):
        if st.button("Siapkan unduhan XLSX", icon=":material/download:", key=f"reg-xlsx-{doc.id}",
                     help="Berisi nama pemohon; unduhan dicatat di log audit."):
            with context.db().begin() as session:
                data = register.export_xlsx(session, actor, doc.id, flt)
            st.download_button("Unduh Buku Register (XLSX)", data, file_name=f"register-{doc.id}-{year}.xlsx",
                               mime=XLSX_MIME,
                               icon=":material/table_view:", key=f"reg-dl-{doc.id}")
