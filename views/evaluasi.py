"""Evaluasi Triwulan: the quarterly review of one SOP, with the KPI and SKM figures of the quarter, the seven
questions, findings and follow-up, the six-monthly monitoring, and the Kepala Dinas's decision."""
import datetime as dt

import streamlit as st

from lib.base import fmt
from lib.base.permissions import PermissionDenied, has_permission
from lib.base.sheets import XLSX_MIME
from lib.base.worktime import WIB
from lib.evaluation import review_page, reviews
from lib.ui import context, nav, temuan, widgets

_PROBLEMS = "_review_problems"


def render() -> None:
    raw = nav.requested_id("evaluasi")
    if not raw:
        return _overview()
    try:
        with context.db()() as session:
            view = reviews.get(session, context.actor(), int(raw))
    except (ValueError, PermissionDenied):
        widgets.header("Evaluasi tidak ditemukan")
        st.info("Evaluasi ini tidak ada atau Anda tidak memiliki akses.")
        st.page_link(nav.page("evaluasi"), label="Semua evaluasi triwulan", icon=":material/fact_check:")
        return
    _detail(view)


def _open(sop_id: str, code: str) -> None:
    """Open the review of ``sop_id`` for the quarter ``code`` (made when none exists) and go to it."""
    try:
        with context.db().begin() as session:
            review_id, _ = reviews.open_review(session, context.actor(), sop_id, code)
    except widgets.USER_ERRORS as err:
        st.error(str(err))
    else:
        nav.open_with_id("evaluasi", review_id)


def _overview() -> None:
    actor = context.actor()
    widgets.header("Evaluasi Triwulan", "Evaluasi penerapan SOP setiap tiga bulan (PermenPAN-RB 35/2012): angka "
                   "kinerja dan SKM terisi sendiri, tim evaluasi menjawab tujuh pertanyaan dan menulis tindak lanjut, "
                   "Kepala Dinas menyetujui.")
    quarters, first = review_page.quarters(dt.datetime.now(WIB).date())
    c1, c2 = st.columns([1, 3])
    per = c1.selectbox("Triwulan", quarters, index=first, format_func=lambda p: p.label, key="eval-quarter",
                       placeholder="Pilih…")
    code = reviews.quarter_code(per)
    with context.db()() as session:
        rows = reviews.overview(session, actor, code)
    if has_permission(actor, "manage_reviews"):
        with c2.form("eval-open", border=False):
            d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
            sop_id = d1.selectbox("SOP", [r["sop_id"] for r in rows], index=None, placeholder="Pilih SOP…",
                                  format_func={r["sop_id"]: r["sop"] for r in rows}.get, key="eval-sop")
            go = d2.form_submit_button("Buka evaluasi", type="primary", icon=":material/edit_note:", width="stretch")
        if go and sop_id is None:
            st.error("Pilih SOP yang dievaluasi.")
        elif go:
            _open(sop_id, code)
    st.caption(review_page.overview_caption(per.label, rows))
    pick = widgets.table(review_page.overview_frame(rows), on_select="rerun", selection_mode="single-row",
                         key="eval-table")
    chosen = pick.selection.rows if pick else []
    if chosen:
        row = rows[chosen[0]]
        if row["id"] is not None:
            nav.open_with_id("evaluasi", row["id"])
        _not_opened(row, code, per.label, has_permission(actor, "manage_reviews"))


def _not_opened(row: dict, code: str, label: str, may_open: bool) -> None:
    """A "Belum dibuka" row: the evaluation team may open its review from here."""
    if not may_open:
        st.info(f"Evaluasi {row['sop']} untuk {label} belum dibuka oleh tim evaluasi.")
        return
    with st.container(border=True):
        st.markdown(f"Evaluasi **{fmt.md(row['sop'])}** untuk {label} belum dibuka.")
        if st.button(f"Buka evaluasi {row['sop']}", type="primary", icon=":material/edit_note:",
                     key=f"eval-open-row-{row['sop_id']}"):
            _open(row["sop_id"], code)


def _detail(v: reviews.ReviewView) -> None:
    actor = context.actor()
    widgets.show_flash()
    widgets.header(f"Evaluasi Triwulan — {v.sop_name}", review_page.detail_caption(v))
    st.page_link(nav.page("evaluasi"), label="Semua evaluasi triwulan", icon=":material/arrow_back:")
    if problems := st.session_state.pop(_PROBLEMS, None):
        st.error(review_page.problems_message(problems))
    if returned := review_page.returned_warning(v):
        st.warning(returned, icon=":material/undo:")
    _figures(v)
    can = reviews.allowed(actor, v)
    if "edit" in can:
        _form(v)
    else:
        _read_only(v)
    if "approve" in can:
        _decision(v)
    st.subheader("Unduh", anchor=False)
    d1, d2, _ = st.columns([1, 1, 2])
    d1.download_button("Halaman cetak (HTML)", reviews.to_html(v), file_name=review_page.file_name(v, "html"),
                       mime="text/html", icon=":material/print:", key="eval-html")
    d2.download_button("Lembar kerja (XLSX)", reviews.to_xlsx(v), file_name=review_page.file_name(v, "xlsx"),
                       mime=XLSX_MIME, icon=":material/download:", key="eval-xlsx")
    with st.expander("Riwayat", expanded=v.state != "draft"):
        widgets.table(reviews.history_frame(v))


def _figures(v: reviews.ReviewView) -> None:
    with st.container(border=True):
        st.markdown("**Kinerja langkah SOP pada triwulan ini** (mesin KPI, sama dengan Dasbor kinerja)")
        widgets.metrics(*review_page.kpi_metrics(v))
        if v.kpi.get("error"):
            st.warning(v.kpi["error"])
        st.caption(reviews.figures_note(v))
        widgets.table(reviews.steps_frame(v))
    with st.container(border=True):
        st.markdown("**Survei Kepuasan Masyarakat pada triwulan ini**")
        widgets.metrics(*review_page.skm_metrics(v))
        if weakest := review_page.weakest_line(v):
            st.markdown(weakest)
        if short := review_page.sample_warning(v):
            st.warning(short)
        st.page_link(nav.page("skm-hasil"), label="Buka Hasil SKM", icon=":material/bar_chart:")


def _form(v: reviews.ReviewView) -> None:
    k = f"{v.id}-{v.version}"  # fresh widgets after every save
    with st.form(f"eval-form-{k}"):
        answers = temuan.questions(v, k)
        kesimpulan = st.text_area("Kesimpulan", v.kesimpulan or "", key=f"eval-kes-{k}")
        findings, change = temuan.rows(v, k)
        monitoring = temuan.monitoring(v, k) if v.monitoring else None
        skm_empty_ok = False
        if not v.skm["respondents"]:
            st.warning("Bagian SKM kosong: belum ada responden SKM untuk SOP ini pada triwulan ini.",
                       icon=":material/warning:")
            skm_empty_ok = st.checkbox("Ajukan tanpa data SKM", key=f"eval-skm0-{k}")
        c1, c2, _ = st.columns([1, 2, 2])
        save = c1.form_submit_button("Simpan draf", icon=":material/save:", width="stretch")
        send = c2.form_submit_button("Simpan dan ajukan ke Kepala Dinas", type="primary", icon=":material/send:",
                                     width="stretch")
    if save or send:
        _save(v, answers, kesimpulan, findings, monitoring, send, skm_empty_ok)
    elif change is not None:
        temuan.apply(k, change)


def _save(v: reviews.ReviewView, answers, kesimpulan, findings, monitoring, send: bool, skm_empty_ok: bool) -> None:
    actor = context.actor()
    try:
        with context.db().begin() as session:
            version = reviews.save_draft(session, actor, v.id, v.version, answers, kesimpulan, findings, monitoring)
    except widgets.USER_ERRORS as err:
        st.error(str(err))
        return
    if not send:
        widgets.flash("Draf evaluasi disimpan.")
    try:
        with context.db().begin() as session:
            reviews.submit(session, actor, v.id, version, skm_empty_ok=skm_empty_ok)
    except widgets.USER_ERRORS as err:  # an incomplete review says every missing part
        st.session_state[_PROBLEMS] = review_page.submission_problems(err)
        st.rerun()
    widgets.flash("Evaluasi diajukan ke Kepala Dinas. Angka kinerja dan SKM sudah dibekukan.")


def _read_only(v: reviews.ReviewView) -> None:
    st.subheader("Tujuh pertanyaan evaluasi", anchor=False)
    widgets.table(reviews.answers_frame(v))
    if v.kesimpulan:
        st.markdown(f"**Kesimpulan:** {fmt.md(v.kesimpulan)}")
    st.subheader("Temuan dan tindak lanjut", anchor=False)
    if v.findings:
        widgets.table(reviews.findings_frame(v))
    else:
        st.caption("Tidak ada temuan.")
    widgets.titled_table("Monitoring pelaksanaan SOP (semesteran)", reviews.monitoring_frame(v))


def _decision(v: reviews.ReviewView) -> None:
    actor = context.actor()
    with st.container(border=True):
        st.markdown("**Keputusan Kepala Dinas**")
        comment = st.text_area("Komentar", key=f"eval-dec-{v.id}-{v.version}",
                               placeholder="Wajib bila evaluasi dikembalikan: apa yang harus diperbaiki.")
        c1, c2, _ = st.columns([1, 1, 2])
        if c1.button("Setujui", type="primary", icon=":material/verified:", key=f"eval-ok-{v.id}", width="stretch"):
            widgets.apply(lambda s: reviews.approve(s, actor, v.id, v.version, comment), "Evaluasi disetujui.")
        if c2.button("Kembalikan", icon=":material/undo:", key=f"eval-back-{v.id}", width="stretch"):
            widgets.apply(lambda s: reviews.return_to_draft(s, actor, v.id, v.version, comment),
                          "Evaluasi dikembalikan ke tim evaluasi.")
