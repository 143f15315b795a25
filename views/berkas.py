"""Berkas: search across cases, and one case with its steps, timeline, attachments and comments."""

import streamlit as st

from lib.base import config, fmt
from lib.base.mutu_baku import format_working_minutes as duration
from lib.base.permissions import PermissionDenied, has_permission
from lib.casework import case_detail, case_files, cases, nik, reassign, register
from lib.casework.forms import MAX_FILE_MB
from lib.casework.worklist import STATUS_LABELS
from lib.evaluation import skm
from lib.ui import context, dokumen, nav, widgets


def render() -> None:
    raw = nav.requested_id("berkas")
    if not raw:
        return _search()
    try:
        case_id = int(raw)
        with context.db()() as session:
            d = case_detail.detail(session, context.actor(), case_id)
    except (ValueError, PermissionDenied):
        widgets.header("Berkas tidak ditemukan")
        st.info("Berkas ini tidak ada atau Anda tidak memiliki akses ke berkas ini.")
        st.page_link(nav.page("berkas"), label="Cari berkas", icon=":material/search:")
        return
    _case(d)


def _search() -> None:
    widgets.header("Cari berkas", "Cari menurut nomor register, nama pemohon, atau NIK (16 angka; pencarian NIK "
                   "dicatat di log audit).")
    with st.form("cari-berkas", border=False):
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        text = c1.text_input("Nomor register, nama, atau NIK", key="cari-teks")
        go = c2.form_submit_button("Cari", type="primary", icon=":material/search:", width="stretch")
    if not (go or text):
        st.page_link(nav.page("tugas"), label="Lihat Tugas Saya", icon=":material/task_alt:")
        return
    try:
        with context.db().begin() as session:
            found = register.search(session, context.actor(), text)
    except widgets.USER_ERRORS as err:
        st.error(str(err))
        return
    if not found:
        st.info("Tidak ada berkas yang cocok.")
        return
    st.caption(f"{len(found)} berkas. Klik satu baris untuk membukanya.")
    rows = [{"SOP": e.sop_id, **row} for e, row in zip(found, register.rows(found))]
    nav.open_case_on_select(widgets.grid(rows, hide_index=True, width="stretch", on_select="rerun",
                                         selection_mode="single-row", key="cari-hasil"), [e.case_id for e in found])


def _case(d: case_detail.CaseDetail) -> None:
    widgets.show_flash()
    widgets.header(f"Berkas {d.register_no}", f"{d.sop.nama} · revisi portal {d.revision_no} · masuk "
                   f"{fmt.waktu(d.created_at)}" + (f" · selesai {fmt.waktu(d.closed_at)}" if d.closed_at else ""))
    lead = duration(d.lead_working_min) if d.closed_at else "berjalan"
    st.markdown(f"**Status:** {d.state_label} · **Pemohon:** {fmt.md(d.applicant_name or '—')} · **Langkah berjalan:** "
                f"{', '.join(str(s.step.no) for s in d.open_steps) or '—'} · **Lama:** {lead}")
    if d.data.get("alasan_ganda"):
        st.info(f"Permohonan kedua untuk NIK yang sama (saat dibuka masih terbuka: "
                f"{', '.join(d.data.get('ganda_dengan') or [])}). **Alasan:** {fmt.md(d.data['alasan_ganda'])}",
                icon=":material/content_copy:")
    _identity(d)
    dokumen.case_documents(d)
    if d.state == "selesai":
        _skm(d)
    for step in d.open_steps:
        _open_step(d, step)
    st.subheader("Linimasa langkah", anchor=False)
    text = st.column_config.TextColumn  # step, target and time used visible without scrolling at 1366 px
    widgets.grid(d.timeline, hide_index=True, width="stretch", config={
        "Langkah": st.column_config.NumberColumn(width=70, pinned=True), "Kegiatan": text(width=260, pinned=True),
        "Target": text(width=90), "Waktu proses": text(width=160), "Penilaian": text(width=150)})
    _history(d)
    left, right = st.columns(2)
    with left:
        _attachments(d)
    with right:
        _comments(d)


def _identity(d) -> None:
    actor = context.actor()
    with st.expander("Data permohonan", expanded=d.state != "selesai"):
        shown_nik = nik.mask(d.nik)
        if d.nik and st.session_state.get(f"nik-{d.id}"):
            with context.db().begin() as session:
                shown_nik = nik.display(session, actor, d.nik, "case", d.id, full=True, scope=d.sop.scope)
        lines = case_detail.identity_lines(d, shown_nik)
        st.markdown("\n".join(lines) or "Tidak ada isian formulir.")
        if d.nik and has_permission(actor, "view_nik_full", d.sop.scope) and not st.session_state.get(f"nik-{d.id}"):
            st.button("Tampilkan NIK lengkap", key=f"nik-btn-{d.id}", icon=":material/visibility:",
                      help="Tampilan NIK lengkap dicatat di log audit.",
                      on_click=lambda: st.session_state.update({f"nik-{d.id}": True}))
        documents = case_detail.documents_line(d)
        if documents:
            st.markdown(documents)
        for warning in (d.data.get("peringatan") or {}).values():
            st.warning(warning)


def _open_step(d, s: case_detail.OpenStep) -> None:
    step = s.step
    status = STATUS_LABELS[s.clock.status]
    with st.container(border=True):
        st.markdown(f"**Langkah {step.no}: {fmt.md(step.kegiatan)}** — {s.pelaksana}" + (f" (ke-{s.attempt})"
                                                                              if s.attempt > 1 else ""))
        target = step.target.label() if step.target else "tanpa target"
        st.caption(f"Tersedia sejak {fmt.waktu(s.available_at)} · target {target} · berjalan "
                   f"{duration(s.clock.age_working_min)} · {status}"
                   + (f" · dimulai {fmt.waktu(s.started_at)}" if s.started_at else ""))
        if s.holder:
            st.caption(f"Dipegang {s.holder}.")
        if s.stalled and has_permission(context.actor(), "reassign_steps", d.sop.scope):
            _reassign(d, s)
        if s.my_role is None:
            st.caption("Langkah ini dikerjakan oleh " + s.pelaksana + ".")
            return
        if s.acting_as:
            escalated = "Langkah ini naik kepada Anda: belum dikerjakan lewat dua kali target waktunya."
            st.info(escalated if s.acting_as == "eskalasi"
                    else f"Anda mengerjakan langkah ini sebagai **{fmt.md(s.acting_as)}**.", icon=":material/badge:")
        if s.attempt > 1 and d.sop.actors[step.pelaksana].eksternal:
            st.warning("Berkas dikembalikan ke pemohon. " + (d.timeline[-2]["Catatan"] if len(d.timeline) > 1
                                                              else ""), icon=":material/undo:")
            if s.my_role is not None and d.sop.kelengkapan:
                return _resubmit(d, s)
        actor = context.actor()
        if s.started_at is None:
            if st.button(f"Mulai langkah {step.no}", key=f"mulai-{d.id}-{step.no}", icon=":material/play_arrow:"):
                widgets.apply(lambda session: cases.start_step(session, actor, d.id, step.no, d.version),
                              f"Langkah {step.no} dimulai.")
        with st.form(f"selesai-{d.id}-{step.no}-{d.version}"):
            outcome = None
            if step.keputusan:
                k = step.keputusan
                outcome = st.radio(k.pertanyaan, ["ya", "tidak"], index=None, horizontal=True,
                                   format_func=lambda o: getattr(k, o).label, key=f"hasil-{d.id}-{step.no}")
            note = _note(d, step)
            if st.form_submit_button(f"Selesaikan langkah {step.no}", type="primary", icon=":material/check:"):
                if outcome == "tidak" and not note.strip():
                    note = case_detail.return_note(d, step)
                widgets.apply(lambda session: cases.complete_step(session, actor, d.id, step.no, d.version,
                                                                  outcome=outcome, note=note),
                              f"Langkah {step.no} selesai.")


def _reassign(d, s: case_detail.OpenStep) -> None:
    """Move a stalled step to another officer of the same role, with a reason."""
    with context.db()() as session:
        others = dict(reassign.candidates(session, d.id, s.step.no))
    if not others:
        return
    with st.expander(f"Alihkan langkah {s.step.no} (macet)", icon=":material/swap_horiz:"):
        with st.form(f"alihkan-{d.id}-{s.step.no}-{d.version}"):
            to = st.selectbox("Kepada", list(others), format_func=others.get, index=None, placeholder="Pilih petugas…",
                              key=f"alihkan-ke-{d.id}-{s.step.no}")
            reason = st.text_input("Alasan pengalihan", key=f"alihkan-alasan-{d.id}-{s.step.no}")
            if st.form_submit_button("Alihkan", icon=":material/swap_horiz:"):
                widgets.apply(lambda session: reassign.reassign(session, context.actor(), d.id, s.step.no, d.version,
                                                                to or "", reason),
                              f"Langkah {s.step.no} dialihkan kepada {others.get(to, '')}.")


def _history(d) -> None:
    """The case's history: opened, escalated, reassigned, returned, done; a Plh named as such."""
    if not d.history:
        return
    st.subheader("Riwayat berkas", anchor=False)
    st.markdown("\n".join(case_detail.history_lines(d)))


def _note(d, step) -> str:
    """The step's note: for a decision a text area that a return needs (prefilled hint: what is missing); for
    any other step one optional line, not an empty box above the button."""
    key = f"catatan-{d.id}-{step.no}-{d.version}"
    if not step.keputusan:
        return st.text_input("Catatan (tidak wajib)", key=key, placeholder="mis. nomor surat atau hal yang perlu "
                             "diketahui langkah berikutnya")
    missing = case_detail.return_note(d, step)
    return st.text_area("Catatan (wajib bila berkas dikembalikan)", key=key, height=90,
                        placeholder=missing or "Tulis apa yang kurang bila berkas dikembalikan.",
                        help="Bila dikosongkan, dipakai daftar kekurangan saat penerimaan." if missing else None)


def _resubmit(d, s) -> None:
    """The applicant is back: tick what they bring now; the file goes on as the same case."""
    brought = d.data.get("kelengkapan") or {}
    with st.form(f"lengkapi-{d.id}-{d.version}"):
        st.markdown("**Kelengkapan yang dibawa sekarang**")
        ticked = {x.kode: st.checkbox(x.label, value=bool(brought.get(x.kode)), key=f"lk-{d.id}-{d.version}-{x.kode}")
                  for x in d.sop.kelengkapan}
        note = st.text_input("Catatan (tidak wajib)", key=f"lk-note-{d.id}-{d.version}")
        if st.form_submit_button(f"Terima berkas kembali (langkah {s.step.no})", type="primary",
                                 icon=":material/assignment_return:"):
            widgets.apply(lambda session: cases.resubmit(session, context.actor(), d.id, d.version, ticked, note),
                          "Berkas diterima kembali dan diteruskan.")


def _skm(d) -> None:
    base = config.public_url() or str(st.context.url or "").split("/berkas")[0].split("?")[0]
    url = skm.survey_url(base, d.sop.id)
    with st.container(border=True):
        st.markdown("**Layanan selesai.** Mohon pemohon memberi penilaian kepuasan melalui e-survei (SKM), "
                    "tanpa login:")
        c1, c2 = st.columns([1, 3])
        c1.markdown(skm.qr_svg(url), unsafe_allow_html=True)
        c2.markdown(f"[{url}]({url})")
        c2.caption("Pindai kode QR dengan ponsel, atau buka tautannya di kios layanan.")


def _attachments(d) -> None:
    st.subheader("Lampiran", anchor=False)
    actor = context.actor()
    with context.db()() as session:
        files = case_files.attachments(session, actor, d.id)
    for a in files:
        with context.db()() as session:
            name, mime, content = case_files.attachment_content(session, actor, a.id)
        st.download_button(f"{a.filename} ({fmt.angka(a.size / 1024, 0)} KB) · {a.uploaded_by}", content,
                           file_name=name, mime=mime, key=f"lampiran-{a.id}", icon=":material/attach_file:")
    if not files:
        st.caption("Belum ada lampiran.")
    upload = widgets.file_upload("Tambah lampiran", type=["pdf", "jpg", "jpeg", "png"], max_mb=MAX_FILE_MB,
                                 key=f"unggah-{d.id}-{len(files)}")
    if upload is not None and st.button("Lampirkan", key=f"lampirkan-{d.id}", icon=":material/upload:"):
        widgets.apply(lambda session: case_files.attach(session, actor, d.id, upload.name, upload.getvalue()),
                      f"“{upload.name}” dilampirkan.")


def _comments(d) -> None:
    st.subheader("Komentar", anchor=False)
    actor = context.actor()
    with context.db()() as session:
        notes = case_files.comments(session, actor, d.id)
    for c in notes:
        st.markdown(f"**{fmt.md(c.author)}** · {fmt.waktu(c.at)}  \n{fmt.md(c.text)}")
    if not notes:
        st.caption("Belum ada komentar.")
    with st.form(f"komentar-{d.id}-{len(notes)}", clear_on_submit=True):
        text = st.text_area("Tulis komentar", max_chars=case_files.MAX_COMMENT)
        if st.form_submit_button("Kirim komentar", icon=":material/chat:"):
            widgets.apply(lambda session: case_files.add_comment(session, actor, d.id, text), "Komentar terkirim.")
