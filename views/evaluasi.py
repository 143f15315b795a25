"""Evaluasi Triwulan: the quarterly review of one SOP, with the KPI and SKM figures of the quarter, the seven
questions, findings and follow-up, the six-monthly monitoring, and the Kepala Dinas's decision."""
import datetime as dt

import pandas as pd
import streamlit as st

from lib.base import fmt, periode
from lib.base.permissions import PermissionDenied, has_permission
from lib.base.sheets import XLSX_MIME
from lib.base.worktime import WIB
from lib.evaluation import reviews
from lib.measure.kpi_tables import minutes, pct
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


def _open(review_id: int) -> None:
    nav.open_with_id("evaluasi", review_id)


def _overview() -> None:
    actor = context.actor()
    widgets.header("Evaluasi Triwulan", "Evaluasi penerapan SOP setiap tiga bulan (PermenPAN-RB 35/2012): angka "
                   "kinerja dan SKM terisi sendiri, tim evaluasi menjawab tujuh pertanyaan dan menulis tindak lanjut, "
                   "Kepala Dinas menyetujui.")
    today = dt.datetime.now(WIB).date()
    quarters = periode.recent_quarters(today, 8)
    c1, c2 = st.columns([1, 3])
    per = c1.selectbox("Triwulan", quarters, index=1 if len(quarters) > 1 else 0, format_func=lambda p: p.label,
                       key="eval-quarter", placeholder="Pilih…")
    code = reviews.quarter_code(per)
    with context.db()() as session:
        rows = reviews.overview(session, actor, code)
    if has_permission(actor, "manage_reviews"):
        with c2.form("eval-open", border=False):
            d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
            sop_id = d1.selectbox("SOP", [r["sop_id"] for r in rows], index=None, placeholder="Pilih SOP…",
                                  format_func={r["sop_id"]: r["sop"] for r in rows}.get, key="eval-sop")
            go = d2.form_submit_button("Buka evaluasi", type="primary", icon=":material/edit_note:",
                                       width="stretch")
        if go:
            if sop_id is None:
                st.error("Pilih SOP yang dievaluasi.")
            else:
                try:
                    with context.db().begin() as session:
                        review_id, _ = reviews.open_review(session, actor, sop_id, code)
                except widgets.USER_ERRORS as err:
                    st.error(str(err))
                else:
                    _open(review_id)
    table = pd.DataFrame({"SOP": [r["sop"] for r in rows],
                          "Status": [reviews.STATES.get(r["state"], "Belum dibuka") for r in rows]})
    done = sum(r["state"] == "disetujui" for r in rows)
    waiting = sum(r["state"] == "diajukan" for r in rows)
    st.caption(f"{per.label}: {done} dari {len(rows)} SOP sudah disetujui, {waiting} menunggu persetujuan Kepala "
               "Dinas. Klik satu baris untuk membuka evaluasinya.")
    pick = widgets.grid(table, hide_index=True, width="stretch", on_select="rerun",
                        selection_mode="single-row", key="eval-table")
    chosen = pick.selection.rows if pick else []
    if chosen:
        row = rows[chosen[0]]
        if row["id"] is not None:
            _open(row["id"])
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
            try:
                with context.db().begin() as session:
                    review_id, _ = reviews.open_review(session, context.actor(), row["sop_id"], code)
            except widgets.USER_ERRORS as err:
                st.error(str(err))
            else:
                _open(review_id)


def _detail(v: reviews.ReviewView) -> None:
    actor = context.actor()
    widgets.show_flash()
    widgets.header(f"Evaluasi Triwulan — {v.sop_name}",
                   f"{v.period_label} ({fmt.tanggal(v.date_from)} – {fmt.tanggal(v.date_to)}) · status "
                   f"**{v.state_label}** · disusun oleh {v.created_by}")
    st.page_link(nav.page("evaluasi"), label="Semua evaluasi triwulan", icon=":material/arrow_back:")
    problems = st.session_state.pop(_PROBLEMS, None)
    if problems:
        st.error("Draf tersimpan, tetapi belum dapat diajukan:\n\n" + "\n".join(f"- {p}" for p in problems))
    if v.returned_comment:
        st.warning(f"Dikembalikan oleh Kepala Dinas: “{v.returned_comment}”", icon=":material/undo:")
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
    d1.download_button("Halaman cetak (HTML)", reviews.to_html(v), file_name=f"evaluasi-{v.sop_id}-{v.period}.html",
                       mime="text/html", icon=":material/print:", key="eval-html")
    d2.download_button("Lembar kerja (XLSX)", reviews.to_xlsx(v), file_name=f"evaluasi-{v.sop_id}-{v.period}.xlsx",
                       mime=XLSX_MIME, icon=":material/download:", key="eval-xlsx")
    with st.expander("Riwayat", expanded=v.state != "draft"):
        widgets.grid(reviews.history_frame(v), hide_index=True, width="stretch")


def _figures(v: reviews.ReviewView) -> None:
    h, s = v.kpi["headline"], v.skm
    with st.container(border=True):
        st.markdown("**Kinerja langkah SOP pada triwulan ini** (mesin KPI, sama dengan Dasbor kinerja)")
        c = st.columns(4)
        c[0].metric("Berkas masuk", fmt.angka(h.get("cases_started")))
        c[1].metric("Berkas selesai", fmt.angka(h.get("cases_completed")))
        c[2].metric("Langkah dalam mutu baku", pct(h.get("within_pct")))
        c[3].metric("Median lead time", minutes(h.get("median_lead_working_min")),
                    delta=None if h.get("median_target_sum_working_min") is None else
                    f"target {minutes(h.get('median_target_sum_working_min'))}", delta_color="off", delta_arrow="off")
        if v.kpi.get("error"):
            st.warning(v.kpi["error"])
        st.caption(reviews.figures_note(v))
        widgets.grid(reviews.steps_frame(v), hide_index=True, width="stretch")
    with st.container(border=True):
        st.markdown("**Survei Kepuasan Masyarakat pada triwulan ini**")
        c = st.columns(4)
        c[0].metric("IKM", "—" if s["ikm"] is None else fmt.angka(s["ikm"], 2))
        c[1].metric("Mutu", "—" if s["mutu"] is None else f"{s['mutu']} · {s['kinerja']}")
        c[2].metric("Responden", fmt.angka(s["respondents"]),
                    delta=None if not s["min_sample"] else f"minimal {fmt.angka(s['min_sample'])}", delta_color="off",
                    delta_arrow="off")
        c[3].metric("Populasi (berkas dibuka)", fmt.angka(s["population"]))
        weakest = dict(reviews.skm_rows(v)).get("Unsur terendah")
        if weakest:
            st.markdown(f"Unsur terendah: **{weakest}**")
        if s["min_sample"] and s["respondents"] < s["min_sample"]:
            st.warning(f"Responden kurang {fmt.angka(s['min_sample'] - s['respondents'])} dari sampel minimum "
                       "(Krejcie–Morgan).")
        st.page_link(nav.page("skm-hasil"), label="Buka Hasil SKM", icon=":material/bar_chart:")


def _form(v: reviews.ReviewView) -> None:
    k = f"{v.id}-{v.version}"  # fresh widgets after every save
    with st.form(f"eval-form-{k}"):
        st.subheader("Tujuh pertanyaan evaluasi", anchor=False)
        answers = []
        for i, (q, a) in enumerate(zip(reviews.PERTANYAAN, v.answers), start=1):
            c1, c2 = st.columns([3, 2])
            ya = c1.radio(f"{i}. {q}", ["Ya", "Tidak"], horizontal=True, key=f"eval-q{i}-{k}",
                          index=None if a["ya"] is None else (0 if a["ya"] else 1))
            note = c2.text_input("Catatan", a["catatan"], key=f"eval-n{i}-{k}", max_chars=reviews.MAX_NOTE,
                                 placeholder="wajib bila Tidak")
            answers.append({"ya": None if ya is None else ya == "Ya", "catatan": note})
        kesimpulan = st.text_area("Kesimpulan", v.kesimpulan or "", key=f"eval-kes-{k}")
        findings, change = temuan.rows(v, k)
        monitoring = _monitoring(v, k) if v.monitoring else None
        skm_empty_ok = False
        if not v.skm["respondents"]:
            st.warning("Bagian SKM kosong: belum ada responden SKM untuk SOP ini pada triwulan ini.",
                       icon=":material/warning:")
            skm_empty_ok = st.checkbox("Ajukan tanpa data SKM", key=f"eval-skm0-{k}")
        c1, c2, _ = st.columns([1, 2, 2])
        save = c1.form_submit_button("Simpan draf", icon=":material/save:", width="stretch")
        send = c2.form_submit_button("Simpan dan ajukan ke Kepala Dinas", type="primary", icon=":material/send:",
                                     width="stretch")
    if change is not None and not (save or send):
        temuan.apply(k, change)
    if not (save or send):
        return
    _save(v, answers, kesimpulan, findings, monitoring, send, skm_empty_ok)


def _monitoring(v: reviews.ReviewView, k: str) -> list[dict]:
    st.subheader("Monitoring pelaksanaan SOP (semesteran)", anchor=False)
    mon = pd.DataFrame(reviews.monitoring_rows(v.monitoring))
    config = {"no": st.column_config.NumberColumn("Langkah", width=70),
              "kegiatan": st.column_config.TextColumn("Kegiatan", width=360),
              "pelaksanaan": st.column_config.SelectboxColumn("Pelaksanaan", options=list(reviews.BERJALAN.values()),
                                                              width=200),
              "catatan": st.column_config.TextColumn("Catatan", width=170),
              "tindakan": st.column_config.TextColumn("Tindakan", width=170)}
    mon = widgets.editor(mon, num_rows="fixed", hide_index=True, width="stretch", key=f"eval-m-{k}",
                         disabled=["no", "kegiatan"], config=config)
    return reviews.monitoring_from_rows(mon.to_dict("records"))


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
    except reviews.IncompleteReview as err:
        st.session_state[_PROBLEMS] = err.problems
        st.rerun()
    except widgets.USER_ERRORS as err:
        st.session_state[_PROBLEMS] = [str(err)]
        st.rerun()
    widgets.flash("Evaluasi diajukan ke Kepala Dinas. Angka kinerja dan SKM sudah dibekukan.")


def _read_only(v: reviews.ReviewView) -> None:
    st.subheader("Tujuh pertanyaan evaluasi", anchor=False)
    widgets.grid(reviews.answers_frame(v), hide_index=True, width="stretch")
    if v.kesimpulan:
        st.markdown(f"**Kesimpulan:** {fmt.md(v.kesimpulan)}")
    st.subheader("Temuan dan tindak lanjut", anchor=False)
    if v.findings:
        widgets.grid(reviews.findings_frame(v), hide_index=True, width="stretch")
    else:
        st.caption("Tidak ada temuan.")
    if v.monitoring:
        st.subheader("Monitoring pelaksanaan SOP (semesteran)", anchor=False)
        widgets.grid(reviews.monitoring_frame(v), hide_index=True, width="stretch")


def _decision(v: reviews.ReviewView) -> None:
    actor = context.actor()
    with st.container(border=True):
        st.markdown("**Keputusan Kepala Dinas**")
        comment = st.text_area("Komentar", key=f"eval-dec-{v.id}-{v.version}",
                               placeholder="Wajib bila evaluasi dikembalikan: apa yang harus diperbaiki.")
        c1, c2, _ = st.columns([1, 1, 2])
        if c1.button("Setujui", type="primary", icon=":material/verified:", key=f"eval-ok-{v.id}",
                     width="stretch"):
            widgets.apply(lambda s: reviews.approve(s, actor, v.id, v.version, comment),
                          "Evaluasi disetujui.")
        if c2.button("Kembalikan", icon=":material/undo:", key=f"eval-back-{v.id}", width="stretch"):
            widgets.apply(lambda s: reviews.return_to_draft(s, actor, v.id, v.version, comment),
                          "Evaluasi dikembalikan ke tim evaluasi.")
