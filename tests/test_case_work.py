"""Intake, the worklist, the case page's timeline, attachments, comments and the register: the rules."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from lib.base import audit, workflow
from lib.base.db import AuditEntry, Case, CaseComment, session_factory
from lib.base.mutu_baku import parse
from lib.base.permissions import PermissionDenied
from lib.base.worktime import WorkCalendar
from lib.casework import case_detail, case_files, cases, register, worklist
from lib.casework.cases import CaseError, FormInvalid

from .conftest import add_users
from .test_cases import T0, act, step, who

AK1_FORM = {"nama": "Andi Saputra", "nik": "1671011505950003", "tanggal_lahir": dt.date(1995, 5, 15),
            "jenis_kelamin": "Laki-laki", "pendidikan": "SMA/SMK"}
ALL_AK1 = {"fc_ktp": True, "fc_ijazah": True, "foto_3x4": True, "foto_2x3": True}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("rina", "staf", None), ("dewi", "kasi", None),
              ("budi", "kepala_bidang", "bidang:tenaga-kerja"),
              ("wahyu", "kepala_bidang", "bidang:jaminan-sosial"), ("agus", "operator_desa", "desa:karang-dalo"),
              ("maya", "evaluator", None))
    return session_factory(ready_db)


def intake(db, values=AK1_FORM, documents=ALL_AK1, user="rina", sop="kartu-ak1", now=T0):
    return act(db, user, cases.intake, sop, values, documents, now=now)


# --- intake ---------------------------------------------------------------------------------------------
def test_intake_registers_the_applicant_and_completes_the_applicants_submission_without_a_processing_time(db):
    view, result = intake(db)
    assert view.register_no == "AK1/2026/00001" and view.open_steps == (2,)
    with db() as s:
        case = s.get(Case, view.id)
        assert (case.applicant_name, case.nik) == ("Andi Saputra", "1671011505950003")
        first = cases.timeline(s, view.id)[0]
        assert first.completed_at == T0 and first.started_at is None  # no fake processing time
    assert result.complete


def test_an_invalid_intake_form_writes_nothing_and_names_the_field(db):
    with pytest.raises(FormInvalid) as err:
        intake(db, {**AK1_FORM, "nik": "16710115059500", "nama": ""})
    assert set(err.value.result.errors) == {"nik", "nama"}
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_missing_documents_go_with_the_case_and_become_the_return_note(db):
    view, result = intake(db, documents={**ALL_AK1, "foto_2x3": False})
    assert result.missing == ["Pas Photo 2 x 3 (1 lbr)"]
    with db() as s:
        d = case_detail.detail(s, who(db, "rina"), view.id)
    step2 = d.sop.langkah[1]
    assert case_detail.return_note(d, step2) == "Belum lengkap: Pas Photo 2 x 3 (1 lbr)."
    assert case_detail.return_note(d, d.sop.langkah[2]) == ""  # not a decision


def test_a_second_open_case_of_the_same_nik_and_sop_is_refused_without_a_reason_and_writes_nothing(db):
    first, _ = intake(db)
    for reason in (None, "   ", "perlu"):
        with pytest.raises(cases.DuplicateCase) as err:
            act(db, "rina", cases.intake, "kartu-ak1", AK1_FORM, ALL_AK1, now=T0 + dt.timedelta(minutes=1),
                reason=reason)
        assert err.value.existing == [(first.id, first.register_no)]
        assert f"masih terbuka: {first.register_no}" in str(err.value)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    # Another NIK: no question asked.
    intake(db, {**AK1_FORM, "nik": "1671010101900003"})


def test_a_second_open_case_with_a_reason_records_the_reason_in_its_data_history_and_audit(db):
    first, _ = intake(db)
    reason = "Kartu pertama hilang sebelum dicetak; pemohon datang lagi."
    second, _ = act(db, "rina", cases.intake, "kartu-ak1", AK1_FORM, ALL_AK1, now=T0 + dt.timedelta(minutes=1),
                    reason=reason)
    assert second.register_no == "AK1/2026/00002"
    with db() as s:
        case = s.get(Case, second.id)
        assert case.data["alasan_ganda"] == reason and case.data["ganda_dengan"] == [first.register_no]
        assert workflow.history(s, "case", second.id)[0].comment == reason
        assert workflow.history(s, "case", first.id)[0].comment is None
        opened = s.scalars(select(AuditEntry).where(AuditEntry.action == "buka_permohonan")
                           .order_by(AuditEntry.id)).all()
        assert f"permohonan kedua, masih terbuka: {first.register_no}" in opened[-1].detail
        # Both are in the register and in the search.
        rina = who(db, "rina")
        assert [e.register_no for e in register.entries(s, rina, "kartu-ak1")] == [second.register_no,
                                                                                    first.register_no]
    with db.begin() as s:
        assert {e.case_id for e in register.search(s, who(db, "rina"), AK1_FORM["nik"])} == {first.id, second.id}


def test_a_finished_case_of_the_same_nik_asks_for_no_reason(db):
    first, _ = intake(db)
    v = first
    for no, outcome in ((2, "ya"), (3, None), (4, None), (5, None), (6, None)):
        v = step(db, {4: "dewi", 5: "budi"}.get(no, "rina"), v, no, outcome)
    assert v.state == "selesai"
    second, _ = intake(db, now=T0 + dt.timedelta(days=1))
    with db() as s:
        assert "alasan_ganda" not in s.get(Case, second.id).data


def test_only_whoever_does_step_1_may_take_an_intake(db):
    with pytest.raises(PermissionDenied):
        intake(db, user="dewi")  # AK1 step 1 is received by staf, not the Kasi
    with pytest.raises(PermissionDenied):
        intake(db, user="maya")


# --- timeline -------------------------------------------------------------------------------------------
def test_the_timeline_judges_each_step_by_its_processing_time_against_mutu_baku(db):
    view, _ = intake(db)
    v = act(db, "rina", cases.start_step, view.id, 2, view.version, now=T0 + dt.timedelta(minutes=1))
    v = act(db, "rina", cases.complete_step, v.id, 2, v.version, outcome="ya", now=T0 + dt.timedelta(minutes=4))
    v = act(db, "rina", cases.start_step, v.id, 3, v.version, now=T0 + dt.timedelta(minutes=5))
    v = act(db, "rina", cases.complete_step, v.id, 3, v.version, now=T0 + dt.timedelta(minutes=25))
    with db() as s:
        d = case_detail.detail(s, who(db, "rina"), v.id, now=T0 + dt.timedelta(minutes=30))
    verdicts = [(r["Langkah"], r["Penilaian"]) for r in d.timeline]
    assert verdicts == [(1, "tanpa waktu proses (tidak ditekan Mulai)"), (2, "sesuai target"),
                        (3, "melebihi target"), (4, "menunggu")]
    assert d.timeline[2]["Waktu proses"] == "20 menit kerja" and d.timeline[2]["Target"] == "10 menit"
    assert [s.step.no for s in d.open_steps] == [4] and d.open_steps[0].my_role is None  # the Kasi's step


def test_a_user_outside_the_sops_bidang_cannot_open_the_case(db):
    view, _ = intake(db)
    with db() as s, pytest.raises(PermissionDenied):
        case_detail.detail(s, who(db, "wahyu"), view.id)


# --- worklist -------------------------------------------------------------------------------------------
def test_the_worklist_shows_the_steps_waiting_for_my_roles_oldest_first(db):
    first, _ = intake(db, now=T0)
    second, _ = intake(db, {**AK1_FORM, "nama": "Budi Hartono", "nik": "1671010101900003"}, now=T0)
    for v, at in ((second, T0 + dt.timedelta(minutes=40)), (first, T0 + dt.timedelta(minutes=20))):
        v = act(db, "rina", cases.complete_step, v.id, 2, v.version, outcome="ya", now=at)
        act(db, "rina", cases.complete_step, v.id, 3, v.version, now=at)
    with db() as s:
        mine = worklist.tasks(s, who(db, "dewi"), now=T0 + dt.timedelta(hours=2))
        assert [(t.register_no, t.step_no) for t in mine] == [("AK1/2026/00001", 4), ("AK1/2026/00002", 4)]
        assert worklist.tasks(s, who(db, "maya")) == []
        # nothing at step 5 yet (step 4, long overdue by now, has gone up to him: lib/casework/escalation.py)
        assert [t.step_no for t in worklist.tasks(s, who(db, "budi")) if not t.escalated] == []


def test_the_worklist_marks_due_soon_and_overdue_in_working_time():
    cal = WorkCalendar()
    monday_8 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone.utc)
    ten = parse("10 Menit")
    assert worklist.clock(cal, monday_8, ten, monday_8 + dt.timedelta(minutes=4)).status == "normal"
    assert worklist.clock(cal, monday_8, ten, monday_8 + dt.timedelta(minutes=6)).status == "segera"
    late = worklist.clock(cal, monday_8, ten, monday_8 + dt.timedelta(minutes=12))
    assert late.status == "terlambat" and late.left_working_min == pytest.approx(-2)
    # Friday 16:25 WIB, 5 minutes before closing: a 10-minute step is not late at Monday 07:31
    friday = dt.datetime(2026, 1, 9, 9, 25, tzinfo=dt.timezone.utc)
    assert worklist.clock(cal, friday, ten, dt.datetime(2026, 1, 12, 0, 31, tzinfo=dt.timezone.utc)).status == "segera"
    assert worklist.clock(cal, monday_8, None, monday_8).status == "tanpa_target"


def test_a_returned_file_waits_for_the_applicant_not_for_the_office(db):
    view, _ = intake(db, documents={**ALL_AK1, "foto_2x3": False})
    step(db, "rina", view, 2, "tidak", note="Belum lengkap: Pas Photo 2 x 3 (1 lbr).")
    with db() as s:
        (task,) = worklist.tasks(s, who(db, "rina"), now=T0 + dt.timedelta(hours=1))
    assert (task.step_no, task.attempt, task.status) == (1, 2, "menunggu_pemohon")


# --- attachments and comments ---------------------------------------------------------------------------
def test_an_attachment_must_really_be_a_pdf_or_image_and_at_most_5_mb(db):
    view, _ = intake(db)
    with db.begin() as s:
        case_files.attach(s, who(db, "rina"), view.id, "ktp.pdf", PDF)
        case_files.attach(s, who(db, "rina"), view.id, "foto.png", PNG)
    for name, content, message in (("virus.pdf", b"MZ\x90\x00", "bukan berkas PDF"),
                                   ("data.exe", b"MZ", "hanya berkas"),
                                   ("besar.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "lebih dari 5 MB"),
                                   ("kosong.png", b"", "kosong")):
        with db.begin() as s, pytest.raises(CaseError, match=message):
            case_files.attach(s, who(db, "rina"), view.id, name, content)
    with db() as s:
        files = case_files.attachments(s, who(db, "rina"), view.id)
        assert [(f.filename, f.mime) for f in files] == [("ktp.pdf", "application/pdf"), ("foto.png", "image/png")]
        assert case_files.attachment_content(s, who(db, "rina"), files[0].id)[2] == PDF
        with pytest.raises(PermissionDenied):
            case_files.attachment_content(s, who(db, "wahyu"), files[0].id)


def test_comments_are_kept_in_order_and_cannot_be_changed(db):
    view, _ = intake(db)
    with db.begin() as s:
        case_files.add_comment(s, who(db, "rina"), view.id, "Pemohon akan kembali besok.", now=T0)
        case_files.add_comment(s, who(db, "dewi"), view.id, "Baik.", now=T0 + dt.timedelta(minutes=1))
    with db.begin() as s, pytest.raises(CaseError, match="kosong"):
        case_files.add_comment(s, who(db, "rina"), view.id, "   ")
    with db() as s:
        assert [(c.author, c.text) for c in case_files.comments(s, who(db, "rina"), view.id)] == [
            ("Rina", "Pemohon akan kembali besok."), ("Dewi", "Baik.")]
    with pytest.raises(Exception), db.begin() as s:
        s.execute(CaseComment.__table__.update().values(text="diubah"))


# --- register and search --------------------------------------------------------------------------------
def test_the_register_lists_the_sops_cases_with_masked_nik_and_filters(db):
    a, _ = intake(db)
    intake(db, {**AK1_FORM, "nama": "Budi Hartono", "nik": "1671010101900003"})
    with db() as s:
        found = register.entries(s, who(db, "rina"), "kartu-ak1")
        assert [e.register_no for e in found] == ["AK1/2026/00002", "AK1/2026/00001"]
        assert found[1].nik_masked == "1671********0003"
        assert [e.applicant_name for e in register.entries(
            s, who(db, "rina"), "kartu-ak1", register.RegisterFilter(text="budi"))] == ["Budi Hartono"]
        assert register.entries(s, who(db, "rina"), "kartu-ak1", register.RegisterFilter(state="selesai")) == []
        with pytest.raises(PermissionDenied):
            register.entries(s, who(db, "maya"), "kartu-ak1")


def test_a_finished_case_shows_its_working_time_in_the_register_and_an_open_one_none(db):
    done, _ = intake(db)
    v = done
    for no, outcome in ((2, "ya"), (3, None), (4, None), (5, None), (6, None)):
        v = step(db, {4: "dewi", 5: "budi"}.get(no, "rina"), v, no, outcome, minutes=47)
    still_open, _ = intake(db, {**AK1_FORM, "nik": "1671010101900003"}, now=T0 + dt.timedelta(hours=3))
    with db() as s:
        found = {e.register_no: e for e in register.entries(s, who(db, "rina"), "kartu-ak1")}
        case = s.get(Case, done.id)
        expected = WorkCalendar().working_minutes(case.created_at, case.closed_at)
    assert expected == 240  # 08:00 to 12:42 WIB on a Monday, less the break from 12:00
    assert found[done.register_no].lead_working_min == pytest.approx(expected, abs=1e-9)
    assert found[still_open.register_no].lead_working_min is None


def test_exporting_the_register_needs_export_permission_and_is_logged(db):
    intake(db)
    with db.begin() as s:
        data = register.export_xlsx(s, who(db, "rina"), "kartu-ak1")
    assert data[:2] == b"PK"
    with db.begin() as s, pytest.raises(PermissionDenied):
        register.export_xlsx(s, who(db, "dewi"), "kartu-ak1")  # the Kasi may read but not export
    with db() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ekspor")) == 1


def test_searching_by_nik_needs_the_permission_and_is_logged_by_number_and_name_is_not(db):
    intake(db)
    with db.begin() as s:
        assert [e.register_no for e in register.search(s, who(db, "rina"), "1671 0115 0595 0003")] == ["AK1/2026/00001"]
        assert [e.register_no for e in register.search(s, who(db, "rina"), "andi")] == ["AK1/2026/00001"]
        assert [e.register_no for e in register.search(s, who(db, "rina"), "AK1/2026")] == ["AK1/2026/00001"]
        assert register.search(s, who(db, "wahyu"), "andi") == []  # another bidang's cases stay hidden
    with db() as s:
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "cari_nik")).all()
        assert len(logged) == 1 and "1671********0003" in logged[0].detail
    with db.begin() as s, pytest.raises(CaseError, match="minimal 3"):
        register.search(s, who(db, "rina"), "an")
    assert "cari_nik" in audit.ACTIONS


def test_a_returned_file_comes_back_with_its_checklist_updated_as_the_same_case(db):
    view, _ = intake(db, documents={**ALL_AK1, "foto_2x3": False})
    v = step(db, "rina", view, 2, "tidak", note="Belum lengkap: Pas Photo 2 x 3 (1 lbr).")
    with pytest.raises(CaseError, match="tidak sedang menunggu"):
        act(db, "rina", cases.resubmit, intake(db, {**AK1_FORM, "nik": "1671010101900003"})[0].id, 2, ALL_AK1)
    v = act(db, "rina", cases.resubmit, v.id, v.version, ALL_AK1, now=T0 + dt.timedelta(days=1))
    assert (v.register_no, v.state, v.open_steps) == (view.register_no, "berjalan", (2,))
    with db() as s:
        case = s.get(Case, v.id)
        assert case.data["kurang"] == [] and case.data["kelengkapan"]["foto_2x3"] is True
        runs = cases.timeline(s, v.id)
        assert [(r.step_no, r.attempt) for r in runs] == [(1, 1), (2, 1), (1, 2), (2, 2)]
        assert runs[2].note == "Berkas dilengkapi pemohon."
