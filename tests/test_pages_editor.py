"""The SOP editor and the approval page: who opens them, and that a valid edit becomes a draft and an
approved revision changes the page at once."""
from sqlalchemy import select

from lib.base.db import SopRevision, session_factory
from lib.catalogue import revisions, store

from .test_pages import open_app


def test_admin_edits_an_sop_step_and_saves_a_draft_with_a_note(app_db):
    at = open_app("editor-sop", user="admin")
    assert not at.exception, at.exception
    assert at.selectbox(key="ed-sop").value == "iuran-jasa-konstruksi"
    at.selectbox(key="ed-sop").set_value("kartu-ak1").run()
    at.text_input(key=[k for k in _keys(at) if k.endswith("-nama_singkat")][0]).set_value("Kartu Kuning (AK1)")
    at.text_input(key=[k for k in _keys(at) if k.endswith("-note") and k != "ed-yaml-note"][0]).set_value(
        "Nama singkat diubah")
    _save(at).click().run()
    assert not at.exception and not at.error, at.error
    with session_factory(app_db)() as s:
        newest = revisions.revisions(s, "kartu-ak1")[0]
        assert (newest.revision_no, newest.state, newest.note) == (2, "draft", "Nama singkat diubah")
        assert revisions.document(s.get(SopRevision, newest.id)).nama_singkat == "Kartu Kuning (AK1)"
        assert store.active_documents(s)["kartu-ak1"].revision_no == 1  # a draft is not in force


def test_saving_without_a_note_changes_nothing(app_db):
    at = open_app("editor-sop", user="admin")
    _save(at).click().run()
    assert "catatan" in at.error[0].value
    with session_factory(app_db)() as s:
        assert s.scalars(select(SopRevision).where(SopRevision.state == "draft")).first() is None


def test_kepala_dinas_approves_a_submitted_revision_and_the_page_follows(app_db):
    at = open_app("editor-sop", user="admin")  # creates the database and the catalogue
    with session_factory(app_db).begin() as s:
        from lib.base import accounts
        from lib.catalogue import model as catalog

        admin = accounts.load_actor(s, "admin")
        data = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
        data["nama"] = "Penerbitan Kartu Pencari Kerja (AK1) Revisi 2026"
        rev = revisions.save_draft(s, admin, data, "Judul baru")
        revisions.submit(s, admin, rev.id)
    at = open_app("pengesahan-sop", user="kadis")
    assert not at.exception
    at.checkbox(key=f"sah-read-{rev.id}").check().run()
    at.button(key=f"sah-{rev.id}").click().run()
    assert not at.error, at.error
    at = open_app("kartu-ak1", user="staf")
    assert at.title[0].value == "Penerbitan Kartu Pencari Kerja (AK1) Revisi 2026"


def test_approving_takes_a_second_explicit_step_and_dates_the_revision(app_db):
    import datetime as dt

    from lib.base import fmt
    from lib.base.worktime import WIB

    from .test_pages import texts

    at = open_app("editor-sop", user="admin")  # creates the database and the catalogue
    with session_factory(app_db).begin() as s:
        from lib.base import accounts
        from lib.catalogue import model as catalog

        admin = accounts.load_actor(s, "admin")
        data = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
        data["nama"] = "Penerbitan Kartu Pencari Kerja (AK1) Revisi Baru"
        rev = revisions.save_draft(s, admin, data, "Judul baru")
        revisions.submit(s, admin, rev.id)
    at = open_app("pengesahan-sop", user="kadis")
    assert at.button(key=f"sah-{rev.id}").disabled  # no approval without the confirmation
    at.text_input(key=f"sah-note-{rev.id}").set_value("Sudah dibaca").run()
    with session_factory(app_db)() as s:
        assert s.get(SopRevision, rev.id).state == "diajukan"
    at.checkbox(key=f"sah-read-{rev.id}").check().run()
    assert not at.button(key=f"sah-{rev.id}").disabled
    at.button(key=f"sah-{rev.id}").click().run()
    assert not at.error, at.error
    today = dt.datetime.now(WIB).date()
    with session_factory(app_db)() as s:
        approved = s.get(SopRevision, rev.id)
        assert approved.state == "disahkan" and approved.content["tanggal_revisi"] == today.isoformat()
    at = open_app("kartu-ak1", user="staf")
    at.session_state["sop-tab-kartu-ak1"] = "Dokumen SOP"  # staf land on the intake form
    at.run()
    assert fmt.tanggal(today) in texts(at)


def test_staf_cannot_open_the_editor_and_admin_cannot_approve(app_db):
    assert open_app("editor-sop", user="staf").header[0].value == "Halaman tidak ditemukan"
    assert open_app("pengesahan-sop", user="admin").header[0].value == "Halaman tidak ditemukan"


def _keys(at):
    return [w.key for w in at.text_input if w.key]


def _save(at):
    return next(b for b in at.button if b.label == "Simpan sebagai draf")


def test_a_refused_save_keeps_the_edits_and_the_next_save_stores_them(app_db):
    at = open_app("editor-sop", user="admin")
    at.selectbox(key="ed-sop").set_value("kartu-ak1").run()
    short = [k for k in _keys(at) if k.endswith("-nama_singkat")][0]
    at.text_input(key=short).set_value("Kartu Kuning (AK1)")
    _save(at).click().run()
    assert "catatan" in at.error[0].value  # refused: no note
    assert at.text_input(key=short).value == "Kartu Kuning (AK1)"  # the edit is still on the page
    note = [k for k in _keys(at) if k.endswith("-note") and k != "ed-yaml-note"][0]
    at.text_input(key=note).set_value("Nama singkat diubah")
    _save(at).click().run()
    assert not at.error, at.error
    with session_factory(app_db)() as s:
        newest = revisions.revisions(s, "kartu-ak1")[0]
        assert (newest.revision_no, newest.note) == (2, "Nama singkat diubah")
        assert revisions.document(s.get(SopRevision, newest.id)).nama_singkat == "Kartu Kuning (AK1)"


def test_a_new_empty_executor_row_is_no_choice_for_a_step():
    """A row added at the bottom of the Pelaksana grid has no kode yet (NaN from the grid): it broke the steps
    table with "Out of range float values are not JSON compliant"."""
    from lib.catalogue import sop_form

    rows = [{"kode": "pemohon"}, {"kode": " petugas "}, {"kode": float("nan")}, {"kode": None}, {}]
    assert sop_form.actor_codes(rows) == ["pemohon", "petugas"]


def test_the_line_under_the_steps_reads_every_time_or_names_the_unreadable_ones():
    from lib.catalogue import sop_form

    readings = sop_form.waktu_checks([{"waktu": "15 Menit"}, {"waktu": "2 hari kalender"}, {"waktu": ""}])
    assert sop_form.waktu_summary(readings) == (
        False, "Pemeriksaan waktu (mutu baku): L1 15 menit = 15 menit kerja; L2 2 hari kalender; L3 tanpa target")
    bad, line = sop_form.waktu_summary(sop_form.waktu_checks([{"waktu": "15 Menit"}, {"waktu": "sebentar"}]))
    assert bad and line.startswith("Pemeriksaan waktu (mutu baku): langkah 2: Waktu “sebentar” tidak dikenali.")
    assert "L1" not in line


def test_the_approver_sees_the_differences_open_with_the_changes_marked(app_db):
    import re
    from pathlib import Path

    at = open_app("editor-sop", user="admin")  # creates the database and the catalogue
    with session_factory(app_db).begin() as s:
        from lib.base import accounts
        from lib.catalogue import model as catalog

        admin = accounts.load_actor(s, "admin")
        data = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
        data["langkah"][2]["waktu"] = "15 Menit"
        rev = revisions.save_draft(s, admin, data, "Waktu langkah 3")
        revisions.submit(s, admin, rev.id)
    at = open_app("pengesahan-sop", user="kadis")
    assert at.expander[0].proto.expanded
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert 'class="diff_chg"' in shown  # the changed waktu is marked (difflib wraps the changed characters)
    css = (Path(__file__).resolve().parent.parent / "assets" / "portal.css").read_text(encoding="utf-8")
    for c in ("diff_add", "diff_chg", "diff_sub"):
        assert re.search(rf"\.{c} \{{ background: #[0-9a-f]{{6}}; \}}", css), c


def _editor(at, suffix: str) -> str:
    """The key of the data editor whose table key ends with ``suffix`` (-pel, -lang, -form, -kel)."""
    return next(d.key for d in at.data_editor if d.key.rsplit("~", 1)[0].endswith(suffix))


def _edits(edited=None, added=None) -> dict:
    return {"edited_rows": edited or {}, "added_rows": added or [], "deleted_rows": []}


def test_an_edited_target_reaches_the_saved_revision_exactly_as_previewed(app_db):
    """The user test: step 4's target edited from 5 to 3 menit showed in the preview, then an executor was added
    (the steps' executor choices changed, so Streamlit made the steps table a new widget and dropped its edits)
    and the save stored 5 menit."""
    from lib.catalogue import document

    at = open_app("editor-sop", user="admin")
    at.selectbox(key="ed-sop").set_value("kartu-ak1").run()
    at.session_state[_editor(at, "-lang")] = _edits({3: {"waktu": "3 Menit"}})
    at.run()
    at.session_state[_editor(at, "-pel")] = _edits(added=[{"kode": "arsip", "label": "Arsiparis", "peran": ["staf"]}])
    at.run()
    assert not at.exception and not at.error, at.error
    assert "L4 3 menit" in " ".join(c.value for c in at.caption)
    preview = [m.value for m in at.markdown if 'class="sop-flow"' in m.value or "sop-table" in m.value]
    assert preview and "3 Menit" in preview[0]
    at.text_input(key=[k for k in _keys(at) if k.endswith("-note") and k != "ed-yaml-note"][0]).set_value(
        "Target paraf Kasi 3 menit")
    _save(at).click().run()
    assert not at.error, at.error
    with session_factory(app_db)() as s:
        newest = revisions.revisions(s, "kartu-ak1")[0]
        saved = revisions.document(s.get(SopRevision, newest.id))
    assert (newest.revision_no, saved.langkah[3].waktu) == (2, "3 Menit")
    assert [p.kode for p in saved.pelaksana][-1] == "arsip"
    assert document.procedure_html(saved) == preview[0]  # stored exactly as previewed


def test_a_step_row_added_empty_is_refused_naming_the_step_and_starts_with_no_executor(app_db):
    import json

    at = open_app("editor-sop", user="admin")
    at.selectbox(key="ed-sop").set_value("kartu-ak1").run()
    steps = next(d for d in at.data_editor if d.key == _editor(at, "-lang"))
    assert json.loads(steps.proto.columns)["pelaksana"].get("default") is None  # nobody is assumed
    at.session_state[steps.key] = _edits(added=[{}])
    at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "Langkah 7: kegiatan kosong." in shown and "Langkah 7: pelaksana belum dipilih." in shown
    assert _save(at).disabled
    assert at.info[0].value == "Pratinjau tampil setelah isian sah."
    with session_factory(app_db)() as s:
        assert revisions.revisions(s, "kartu-ak1")[0].revision_no == 1


def test_edits_under_way_survive_a_draft_another_user_saves_meanwhile(app_db):
    at = open_app("editor-sop", user="admin")
    at.selectbox(key="ed-sop").set_value("kartu-ak1").run()
    at.session_state[_editor(at, "-lang")] = _edits({3: {"waktu": "3 Menit"}})
    at.run()
    with session_factory(app_db).begin() as s:
        from lib.base import accounts
        from lib.catalogue import model as catalog

        data = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
        data["nama_singkat"] = "AK1"
        revisions.save_draft(s, accounts.load_actor(s, "admin"), data, "Draf lain")
    at.run()
    assert "L4 3 menit" in " ".join(c.value for c in at.caption)  # the page did not start over


def test_hidden_step_values_stay_with_their_rows_when_a_row_above_is_deleted():
    from lib.ui import grid

    rows = [{"kegiatan": "A", "_extra": {"tahap": "sk"}}, {"kegiatan": "B", "_extra": {"tahap": "pembayaran"}}]
    out = grid.apply_edits(rows, {"edited_rows": {1: {"kegiatan": "B2"}}, "deleted_rows": [0],
                                  "added_rows": [{"kegiatan": "C"}]}, ["kegiatan"])
    assert out == [{"kegiatan": "B2", "_extra": {"tahap": "pembayaran"}}, {"kegiatan": "C"}]


def test_kepala_dinas_is_told_why_a_revision_stored_broken_cannot_be_approved(app_db):
    """A draft stored before revisions were checked (a blank step 7 with a defaulted executor) is named on the
    approval page, and pressing Sahkan puts nothing in force."""
    at = open_app("editor-sop", user="admin")  # creates the database and the catalogue
    with session_factory(app_db).begin() as s:
        from lib.base import accounts
        from lib.catalogue import model as catalog

        admin = accounts.load_actor(s, "admin")
        data = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
        rev = revisions.save_draft(s, admin, data, "Langkah baru")
        revisions.submit(s, admin, rev.id)
        broken = catalog.to_data(store.active_documents(s)["kartu-ak1"].doc)
        broken["langkah"].append({"no": 7, "kegiatan": "", "pelaksana": "pemohon"})
        rev.content = broken
    at = open_app("pengesahan-sop", user="kadis")
    assert "Langkah 7: kegiatan kosong." in at.error[0].value
    at.checkbox(key=f"sah-read-{rev.id}").check().run()
    at.button(key=f"sah-{rev.id}").click().run()
    assert any("Revisi belum dapat disahkan" in e.value for e in at.error)
    with session_factory(app_db)() as s:
        assert store.active_documents(s)["kartu-ak1"].revision_no == 1
        assert s.get(SopRevision, rev.id).state == "diajukan"
