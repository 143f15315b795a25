"""Editor SOP: write a new revision of an SOP (or a new SOP) in the browser, preview it exactly as its page
will show it, save it as a draft and submit it for approval. Nothing is saved until the revision passes
``revisions.check`` (the same check the save, the submission and the approval make). The tables keep their
edits over every rerun (``lib.ui.grid``); the editor starts from the revision that was newest when editing
began, until a save, a revert or an import starts it afresh."""
import pandas as pd
import streamlit as st

from lib.base.roles import ROLE_CODES, ROLES
from lib.catalogue import checks, document, revisions, sop_form, store
from lib.catalogue import model as catalog
from lib.ui import context, grid, widgets

NEW, COPY = "__baru__", "__salin__"
_BRANCH_HELP = "nomor langkah atau “selesai”"


def render() -> None:
    widgets.show_flash()
    widgets.header("Editor SOP", "Setiap simpanan menjadi revisi draf baru. Revisi berlaku setelah diajukan dan "
                   "disahkan Kepala Dinas; berkas yang sedang berjalan tetap memakai revisinya sendiri.")
    with context.db()() as session:
        titles = store.sop_titles(session)
    ids = list(titles)
    c1, c2 = st.columns([2, 1])
    choice = c1.selectbox("SOP", [NEW, COPY, *ids], index=2 if ids else 0, key="ed-sop",
                          format_func=lambda i: {NEW: "➕ SOP baru (kosong)",
                                                 COPY: "➕ SOP baru, salinan dari SOP lain"}.get(i) or titles[i],
                          placeholder="Pilih…")
    base, sop_id = _base(choice, titles, c2)
    _import()
    if sop_id:
        _revisions(sop_id)
    _edit(base, sop_id)


def _base(choice, titles: dict[str, str], col):
    """The content to start from and the SOP id being revised (None for a new SOP)."""
    if choice == NEW:
        return sop_form.blank(), None
    source = (col.selectbox("Salin dari", list(titles), key="ed-copy", format_func=titles.get, placeholder="Pilih…")
              if choice == COPY else choice)
    with context.db()() as session:
        pins = st.session_state.setdefault("_ed_pins", {})  # another user's new draft does not wipe our edits
        newest = revisions.revisions(session, source)[0].id
        rev_id = pins.setdefault((source, st.session_state.get("_ed_n", 0)), newest)
        data = catalog.to_data(revisions.document(revisions.get(session, rev_id)))
    if choice == COPY:
        data = {**data, "id": f"{source}-salinan", "nama": data["nama"] + " (salinan)"}
        return data, None
    return data, source


def _import() -> None:
    with st.expander("Impor YAML (format data/sop) sebagai draf baru"):
        upload = widgets.file_upload("Berkas YAML", type=["yaml", "yml"], max_mb=1, key="ed-yaml")
        note = st.text_input("Catatan revisi", "Diimpor dari YAML", key="ed-yaml-note")
        if upload is not None and st.button("Impor sebagai draf", icon=":material/upload_file:"):
            try:
                text = upload.getvalue().decode("utf-8")
            except UnicodeDecodeError:
                st.error("Berkas harus teks UTF-8.")
                return
            widgets.apply(lambda s: revisions.import_yaml(s, context.actor(), text, note),
                          _afresh(f"“{upload.name}” diimpor sebagai draf. Pilih SOP-nya untuk mengajukan."))


def _revisions(sop_id: str) -> None:
    actor = context.actor()
    with context.db()() as session:
        revs = revisions.revisions(session, sop_id)
        drafts = [r for r in revs if r.state == "draft"]
        can_submit = bool(drafts) and "ajukan" in revisions.actions(session, actor, drafts[0].id)
    with st.expander(f"Riwayat revisi ({len(revs)})", expanded=any(r.state == "draft" for r in revs)):
        widgets.grid(pd.DataFrame([{"Revisi": r.revision_no, "Status": revisions.STATES[r.state],
                                    "Sumber": r.source, "Penulis": r.author or "sistem", "Catatan": r.note or "",
                                    "Waktu": r.created_at} for r in revs]), hide_index=True, width="stretch",
                     config={"Waktu": st.column_config.DatetimeColumn("Waktu", format="DD/MM/YY HH:mm",
                                                                      timezone="Asia/Jakarta")})
        c1, c2, c3 = st.columns(3)
        if can_submit and c1.button(f"Ajukan revisi {drafts[0].revision_no} untuk disahkan", icon=":material/send:",
                                type="primary"):
            widgets.apply(lambda s: revisions.submit(s, actor, drafts[0].id),
                          f"Revisi {drafts[0].revision_no} diajukan ke Kepala Dinas.")
        older = [r.revision_no for r in revs[1:]]
        if older:
            back = c2.selectbox("Kembalikan ke isi revisi", older, index=None, placeholder="Pilih revisi…",
                                key=f"ed-revert-{sop_id}")
            if back and c3.button(f"Buat draf dari revisi {back}", icon=":material/history:"):
                widgets.apply(lambda s: revisions.revert(s, actor, sop_id, back),
                              _afresh(f"Draf baru dibuat dari isi revisi {back}."))
        if len(revs) > 1:
            a, b = st.columns(2)
            old = a.selectbox("Bandingkan revisi", [r.revision_no for r in revs], index=1, key=f"ed-da-{sop_id}",
                              placeholder="Pilih…")
            new = b.selectbox("dengan revisi", [r.revision_no for r in revs], index=0, key=f"ed-db-{sop_id}",
                              placeholder="Pilih…")
            by_no = {r.revision_no: r.id for r in revs}
            with context.db()() as session:
                st.html(revisions.diff_html(revisions.get(session, by_no[old]), revisions.get(session, by_no[new])))
        with st.popover("Unduh YAML revisi terbaru", icon=":material/download:"):
            with context.db()() as session:
                st.download_button("Unduh", revisions.export_yaml(session, sop_id), file_name=f"{sop_id}.yaml",
                                   mime="text/yaml")


def _edit(base: dict, sop_id: str | None) -> None:
    t = sop_form.to_tables(base)
    key = f"ed-{sop_id or base['id']}-{catalog.content_hash(base)[:8]}-{st.session_state.get('_ed_n', 0)}"
    grid.forget_except("ed-", key)
    tabs = st.tabs(["Identitas", "Pelaksana dan langkah", "Formulir permohonan", "Pratinjau"])
    with tabs[0]:
        _identity(t, key, sop_id)
    with tabs[1]:
        _steps(t, key)
    with tabs[2]:
        t["formulir"] = grid.table(f"{key}-form", t["formulir"], sop_form.FORMULIR, {
            "jenis": st.column_config.SelectboxColumn(sop_form.COLUMN_LABELS["jenis"], options=[
                "text", "nik", "date", "number", "money", "select", "checkbox", "file"])}, sop_form.COLUMN_LABELS)
        st.markdown("**Kelengkapan berkas**")
        t["kelengkapan"] = grid.table(f"{key}-kel", t["kelengkapan"], sop_form.KELENGKAPAN, {}, sop_form.COLUMN_LABELS)
    data = sop_form.from_tables(t)
    try:
        with context.db()() as session:
            doc = revisions.check(session, data)
    except catalog.CatalogError as err:
        doc = None
        st.error(str(err) if isinstance(err, checks.RevisionRefused) else
                 f"Revisi belum sah, belum dapat disimpan: {err}", icon=":material/error:")
    with tabs[3]:
        if doc is None:
            st.info("Pratinjau tampil setelah isian sah.")
        else:
            st.html(document.identity_html(doc))
            st.markdown(document.procedure_html(doc), unsafe_allow_html=True)
    with st.form(f"{key}-save"):
        note = st.text_input("Catatan revisi (wajib): apa yang diubah dan mengapa", key=f"{key}-note")
        if st.form_submit_button("Simpan sebagai draf", type="primary", icon=":material/save:", disabled=doc is None):
            widgets.apply(lambda s: revisions.save_draft(s, context.actor(), doc, note), _saved(doc.id))


def _identity(t: dict, key: str, sop_id: str | None) -> None:
    """The Identitas tab: its fields, dates, signatories and lists, edited in place in ``t``."""
    c1, c2 = st.columns(2)
    for i, k in enumerate(sop_form.IDENTITY):
        t["identity"][k] = (c1 if i % 2 == 0 else c2).text_input(sop_form.LABELS[k],
                                                                t["identity"][k], key=f"{key}-{k}",
                                                                disabled=k == "id" and sop_id is not None)
    for i, k in enumerate(sop_form.DATES):
        t["dates"][k] = (c1 if i % 2 == 0 else c2).date_input(sop_form.LABELS[k], t["dates"][k],
                                                             format="DD/MM/YYYY", key=f"{key}-{k}")
    st.markdown("**Disahkan oleh**")
    cols = st.columns(4)
    for col, k in zip(cols, sop_form.PENGESAH):
        t["pengesah"][k] = col.text_input(k.capitalize(), t["pengesah"][k], key=f"{key}-ttd-{k}")
    for k in sop_form.LISTS:
        t["lists"][k] = st.text_area(k.replace("_", " ").capitalize() + " (satu butir per baris)", t["lists"][k],
                                     key=f"{key}-{k}")


def _steps(t: dict, key: str) -> None:
    """The Pelaksana dan langkah tab: the executors, the steps and the reading of every step's time, in ``t``."""
    st.markdown("**Pelaksana** (kolom pelaksana pada bagan alir) dan peran portal yang mengerjakannya")
    t["pelaksana"] = grid.table(f"{key}-pel", t["pelaksana"], sop_form.PELAKSANA, {
        "peran": st.column_config.MultiselectColumn(sop_form.COLUMN_LABELS["peran"], options=list(ROLE_CODES),
                                                    format_func=lambda r: ROLES[r])}, sop_form.COLUMN_LABELS)
    actors = sop_form.actor_codes(t["pelaksana"])
    st.markdown("**Langkah** (baris baru: klik baris kosong paling bawah, lalu isi kegiatan dan pilih "
                "pelaksananya; keputusan: isi pertanyaan dan cabangnya)")
    t["langkah"] = grid.table(f"{key}-lang", t["langkah"], sop_form.LANGKAH, {
        "pelaksana": st.column_config.SelectboxColumn(sop_form.COLUMN_LABELS["pelaksana"],
                                                      options=actors),  # no default: chosen
        "ya_ke": st.column_config.TextColumn(sop_form.COLUMN_LABELS["ya_ke"], help=_BRANCH_HELP),
        "tidak_ke": st.column_config.TextColumn(sop_form.COLUMN_LABELS["tidak_ke"], help=_BRANCH_HELP)},
        sop_form.COLUMN_LABELS)
    bad, line = sop_form.waktu_summary(sop_form.waktu_checks(t["langkah"]))
    (st.error if bad else st.caption)(line)


def _saved(doc_id: str):
    """The message after a save. Only a save that succeeded starts the editor afresh from the new draft (new
    widget keys); a refused one keeps every edit and the note on the page for the next try."""
    return _afresh(f"Draf “{doc_id}” tersimpan. Ajukan untuk disahkan dari riwayat revisi.")


def _afresh(text: str):
    """The message after a new draft was stored: the editor then starts afresh from the newest revision."""
    def message(_rev) -> str:
        st.session_state["_ed_n"] = st.session_state.get("_ed_n", 0) + 1
        return text
    return message
