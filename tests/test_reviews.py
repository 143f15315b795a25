"""Evaluasi Triwulan: the workflow's rules (who may do what, in which state), the figures that fill in from the
KPI engine and the SKM answers and freeze at submission, the printable page and the XLSX, and the page."""
import dataclasses
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from lib.base.db import AuditEntry, Review, ReviewAction, RoleAssignment, User, WorkflowHistory, session_factory
from lib.base.permissions import PermissionDenied
from lib.evaluation import review_page as page_values
from lib.evaluation import reviews, skm_data
from lib.measure import kpi

from .fast_db import ready, template_fixture
from .test_cases import who
from .test_kpi import add_case, t

Q2 = "2025-Q2"  # the constructed history of test_kpi is in June 2025
#: "Now" for these tests: after the quarter, so it may be submitted.
NOW = dt.datetime(2025, 7, 10, 9, 0, tzinfo=dt.timezone.utc)
ALL_YES = [{"ya": True, "catatan": ""} for _ in reviews.PERTANYAAN]
FINDING = {"temuan": "Antrean menumpuk di langkah 3 pada hari Senin.", "tindak_lanjut": "Tambah petugas loket Senin.",
           "penanggung_jawab": "Kasi Penempatan", "batas_waktu": dt.date(2025, 9, 30)}


template = template_fixture(("maya", "evaluator", None), ("rudi", "evaluator", None),
                            ("pak_kadis", "kepala_dinas", None), ("rina", "staf", None), ("sari", "sekretaris", None))


@pytest.fixture
def db(db_url, template):
    return ready(db_url, template)


def history(db) -> None:
    """Three AK1 cases in June 2025 (two closed), one in July: the quarter's KPI figures are hand-sized."""
    with db.begin() as s:
        add_case(s, "kartu-ak1", "AK1/2025/00001", [
            (1, "2025-06-03 08:00", "2025-06-03 08:00", "2025-06-03 08:03", "staf", "selesai"),
            (2, "2025-06-03 08:03", "2025-06-03 08:05", "2025-06-03 08:09", "staf", "lengkap"),
            (3, "2025-06-03 08:09", "2025-06-03 08:10", "2025-06-03 08:30", "staf", "selesai")],
            closed="2025-06-03 08:30")
        add_case(s, "kartu-ak1", "AK1/2025/00002", [
            (3, "2025-06-04 09:00", "2025-06-04 09:01", "2025-06-04 09:06", "staf", "selesai")],
            closed="2025-06-04 09:06")
        add_case(s, "kartu-ak1", "AK1/2025/00003", [(3, "2025-06-20 10:00", "2025-06-20 10:02", None, "staf", None)])
        add_case(s, "kartu-ak1", "AK1/2025/00004", [
            (3, "2025-07-02 10:00", "2025-07-02 10:01", "2025-07-02 10:05", "staf", "selesai")],
            closed="2025-07-02 10:05")


def open_(db, user="maya", sop="kartu-ak1", period=Q2):
    with db.begin() as s:
        return reviews.open_review(s, who(db, user), sop, period, today=NOW.date(), now=NOW)[0]


def view(db, rid, user="maya", now=NOW):
    with db() as s:
        return reviews.get(s, who(db, user), rid, now=now)


def save(db, rid, user="maya", answers=ALL_YES, findings=(), monitoring=None, version=None):
    with db.begin() as s:
        v = version if version is not None else s.get(Review, rid).version
        mon = monitoring
        if mon is None:
            mon = [{"no": m["no"], "berjalan": True, "catatan": "", "tindakan": ""}
                   for m in s.get(Review, rid).monitoring]
        return reviews.save_draft(s, who(db, user), rid, v, answers, "SOP berjalan baik.", list(findings), mon)


def do(db, func, rid, user, *args, now=NOW, **kwargs):
    with db.begin() as s:
        func(s, who(db, user), rid, s.get(Review, rid).version, *args, now=now, **kwargs)


def submitted(db, rid=None):
    rid = rid or open_(db)
    save(db, rid)
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    return rid


# --- the workflow ----------------------------------------------------------------------------------------------
def test_evaluator_opens_a_draft_and_submits_it_with_history_and_audit(db):
    rid = submitted(db)
    v = view(db, rid)
    assert v.state == "diajukan" and v.frozen
    assert [(h.from_state, h.to_state, h.label) for h in v.history] == [
        (None, "draft", "Dibuka"), ("draft", "diajukan", "Diajukan")]
    with db() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "review")).all()
    assert actions == ["buka_evaluasi", "ubah_evaluasi", "ajukan_evaluasi"]


def test_there_is_one_review_per_sop_and_quarter(db):
    assert open_(db) == open_(db, user="rudi")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 1


@pytest.mark.parametrize("user", ["rina", "pak_kadis", "sari"])
def test_only_holders_of_manage_reviews_open_edit_or_submit_a_review(db, user):
    with pytest.raises(PermissionDenied), db.begin() as s:
        reviews.open_review(s, who(db, user), "kartu-ak1", Q2, today=NOW.date())
    rid = open_(db)
    with pytest.raises(PermissionDenied):
        save(db, rid, user=user)
    with pytest.raises(PermissionDenied):
        do(db, reviews.submit, rid, user, skm_empty_ok=True)


def test_staf_cannot_read_a_review_but_kepala_dinas_and_sekretaris_can(db):
    rid = open_(db)
    with pytest.raises(PermissionDenied):
        view(db, rid, user="rina")
    assert view(db, rid, user="pak_kadis").id == view(db, rid, user="sari").id == rid


@pytest.mark.parametrize("user", ["maya", "rudi", "sari", "rina"])
def test_only_kepala_dinas_approves_or_returns(db, user):
    rid = submitted(db)
    with pytest.raises(PermissionDenied):
        do(db, reviews.approve, rid, user, None)
    with pytest.raises(PermissionDenied):
        do(db, reviews.return_to_draft, rid, user, "Perbaiki.")
    assert view(db, rid).state == "diajukan"


def test_kepala_dinas_approves_a_submitted_review(db):
    rid = submitted(db)
    do(db, reviews.approve, rid, "pak_kadis", "Setuju, lanjutkan.")
    v = view(db, rid, user="pak_kadis")
    assert v.state == "disetujui" and v.approved.actor == "Pak_Kadis" and v.approved.comment == "Setuju, lanjutkan."


def test_a_draft_cannot_be_approved_before_it_is_submitted(db):
    rid = open_(db)
    with pytest.raises(reviews.ReviewError, match="Hanya evaluasi yang diajukan"):
        do(db, reviews.approve, rid, "pak_kadis", None)


def test_a_returned_review_needs_a_comment_and_goes_back_to_draft(db):
    rid = submitted(db)
    with pytest.raises(reviews.ReviewError, match="Tulis komentar"):
        do(db, reviews.return_to_draft, rid, "pak_kadis", "   ")
    assert view(db, rid).state == "diajukan"
    do(db, reviews.return_to_draft, rid, "pak_kadis", "Langkah 3 perlu tindak lanjut yang nyata.")
    v = view(db, rid)
    assert v.state == "draft" and not v.frozen
    assert v.returned_comment == "Langkah 3 perlu tindak lanjut yang nyata."
    assert v.history[-1].label == "Dikembalikan"
    save(db, rid, findings=[FINDING])  # the evaluator edits and submits again
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    assert view(db, rid).state == "diajukan" and view(db, rid).returned_comment is None


def test_an_approved_review_cannot_be_edited_by_anyone(db):
    rid = submitted(db)
    do(db, reviews.approve, rid, "pak_kadis", None)
    with pytest.raises(reviews.ReviewError, match="sudah disetujui"):
        save(db, rid)
    with pytest.raises(reviews.ReviewError):
        do(db, reviews.return_to_draft, rid, "pak_kadis", "Ubah lagi.")
    # and the database refuses it too, whatever the code path
    with pytest.raises(DBAPIError), db.begin() as s:
        s.execute(update(Review).where(Review.id == rid).values(kesimpulan="diubah diam-diam"))
    with pytest.raises(DBAPIError), db.begin() as s:
        s.add(ReviewAction(review_id=rid, no=9, temuan="sisipan"))


def test_a_submitted_review_cannot_be_edited(db):
    rid = submitted(db)
    with pytest.raises(reviews.ReviewError, match="sudah diajukan"):
        save(db, rid)


def test_whoever_submitted_a_review_cannot_approve_it(db):
    with db.begin() as s:  # maya is both in the evaluation team and (acting) Kepala Dinas
        uid = s.scalar(select(User.id).where(User.username == "maya"))
        s.add(RoleAssignment(user_id=uid, role="kepala_dinas", scope=None))
    rid = submitted(db)
    with pytest.raises(reviews.ReviewError, match="orang yang mengajukannya"):
        do(db, reviews.approve, rid, "maya", None)
    do(db, reviews.approve, rid, "pak_kadis", None)


def test_a_stale_form_is_refused_instead_of_overwriting_another_evaluators_save(db):
    rid = open_(db)
    with db() as s:
        old = s.get(Review, rid).version
    save(db, rid, user="rudi", version=old)
    with pytest.raises(reviews.ReviewError, match="diubah orang lain"):
        save(db, rid, user="maya", version=old)


def test_an_incomplete_draft_cannot_be_submitted_and_says_what_is_missing(db):
    rid = open_(db)
    answers = [dict(a) for a in ALL_YES]
    answers[2] = {"ya": None, "catatan": ""}
    answers[4] = {"ya": False, "catatan": ""}
    save(db, rid, answers=answers, findings=[{**FINDING, "penanggung_jawab": "", "batas_waktu": None}])
    with pytest.raises(reviews.IncompleteReview) as err:
        do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    assert err.value.problems == ["Pertanyaan 3: pilih Ya atau Tidak.",
                                  "Pertanyaan 5 dijawab Tidak: tulis catatan apa yang perlu diperbaiki.",
                                  "Temuan 1: lengkapi penanggung jawab, batas waktu."]
    assert view(db, rid).state == "draft"


def test_a_no_answer_needs_a_finding_with_its_follow_up(db):
    rid = open_(db)
    answers = [dict(a) for a in ALL_YES]
    answers[1] = {"ya": False, "catatan": "Istilah di langkah 2 membingungkan."}
    save(db, rid, answers=answers)
    with pytest.raises(reviews.IncompleteReview, match="paling sedikit satu temuan"):
        do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    save(db, rid, answers=answers, findings=[FINDING])
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)


def test_a_quarter_without_skm_respondents_is_submitted_only_when_the_evaluator_confirms_the_empty_skm_part(db):
    rid = open_(db)
    save(db, rid)
    with pytest.raises(reviews.SkmEmpty, match="Bagian SKM kosong"):
        do(db, reviews.submit, rid, "maya")
    assert view(db, rid).state == "draft"
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    assert view(db, rid).state == "diajukan" and view(db, rid).skm["respondents"] == 0


def test_a_quarter_with_skm_respondents_needs_no_confirmation(db):
    with db.begin() as s:
        skm_data.submit(s, "kartu-ak1", {f"U{i}": 4 for i in range(1, 10)}, {}, now=t("2025-06-05 10:00"))
    rid = open_(db)
    save(db, rid)
    do(db, reviews.submit, rid, "maya")
    assert view(db, rid).state == "diajukan"


def test_a_quarter_can_be_submitted_only_from_its_last_day(db):
    rid = open_(db)
    save(db, rid)
    with pytest.raises(reviews.IncompleteReview, match="belum berakhir"):
        do(db, reviews.submit, rid, "maya", now=dt.datetime(2025, 6, 29, 9, 0, tzinfo=dt.timezone.utc),
           skm_empty_ok=True)
    do(db, reviews.submit, rid, "maya", now=dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.timezone.utc),
       skm_empty_ok=True)


@pytest.mark.parametrize("period, message", [("2025-06", "harus berupa triwulan"), ("2025", "harus berupa triwulan"),
                                             ("2025-Q5", "harus berupa triwulan"), ("2025-Q4", "belum dimulai")])
def test_a_review_is_for_a_quarter_that_has_begun(db, period, message):
    with pytest.raises(reviews.ReviewError, match=message), db.begin() as s:
        reviews.open_review(s, who(db, "maya"), "kartu-ak1", period, today=NOW.date())


def test_a_standar_pelayanan_is_not_an_sop_to_review(db):
    with pytest.raises(reviews.ReviewError, match="tidak ada atau tidak berlaku"), db.begin() as s:
        reviews.open_review(s, who(db, "maya"), "standar-pelayanan-bpjs-tk", Q2, today=NOW.date())


# --- the figures ---------------------------------------------------------------------------------------------
def test_the_kpi_figures_of_a_review_are_the_kpi_engines_for_that_quarter(db):
    history(db)
    rid = open_(db)
    v = view(db, rid)
    with db() as s:
        data = kpi.load(s, dt.date(2025, 4, 1), dt.date(2025, 6, 30), ["kartu-ak1"], now=NOW)
        head = kpi.headline(data)
        steps = kpi.step_stats(data)
    for key, value in dataclasses.asdict(head).items():
        assert v.kpi["headline"][key] == (None if value is None else pytest.approx(value, abs=0.005)), key
    assert (v.kpi["headline"]["cases_started"], v.kpi["headline"]["cases_completed"]) == (3, 2)  # July's is out
    step3 = next(s for s in v.kpi["steps"] if s["no"] == 3)
    row = steps[steps["step_no"] == 3].iloc[0]
    assert (step3["n"], step3["judged"], step3["within"]) == (2, 2, 1) == (row.n, row.judged, row.within)
    assert step3["median_working_min"] == pytest.approx(row.median_working_min) == pytest.approx(12.5)
    assert step3["within_pct"] == 50.0 and step3["target"] == row.target_label
    assert [s["no"] for s in v.kpi["steps"]] == sorted(steps["step_no"].tolist())


def test_the_kpi_and_skm_figures_are_frozen_at_submission(db):
    history(db)
    with db.begin() as s:
        skm_data.submit(s, "kartu-ak1", {f"U{i}": 4 for i in range(1, 10)}, {}, now=t("2025-06-05 10:00"))
    rid = submitted(db)
    before = view(db, rid)
    assert before.kpi["headline"]["cases_started"] == 3 and before.skm["ikm"] == 100.0
    assert before.skm["population"] == 3 and before.skm["min_sample"] == 3
    with db.begin() as s:  # later: a case and a poor answer back-dated into the quarter
        add_case(s, "kartu-ak1", "AK1/2025/00009", [
            (3, "2025-06-25 10:00", "2025-06-25 10:01", "2025-06-25 11:00", "staf", "selesai")],
            closed="2025-06-25 11:00")
        skm_data.submit(s, "kartu-ak1", {f"U{i}": 1 for i in range(1, 10)}, {}, now=t("2025-06-26 10:00"))
    do(db, reviews.approve, rid, "pak_kadis", None)
    after = view(db, rid, user="pak_kadis", now=NOW + dt.timedelta(days=30))
    assert after.kpi == before.kpi and after.skm == before.skm
    assert after.kpi["headline"]["cases_started"] == 3 and after.skm["respondents"] == 1


def test_a_returned_review_shows_live_figures_again_until_it_is_submitted_again(db):
    rid = submitted(db)
    assert view(db, rid).kpi["headline"]["cases_started"] == 0
    history(db)
    do(db, reviews.return_to_draft, rid, "pak_kadis", "Hitung ulang setelah data Juni masuk.")
    assert view(db, rid).kpi["headline"]["cases_started"] == 3


def test_the_semester_review_carries_the_monitoring_form_per_step(db):
    rid = open_(db)  # Q2 closes a semester
    v = view(db, rid)
    assert v.monitoring_due and [m["no"] for m in v.monitoring] == list(range(1, len(v.monitoring) + 1))
    mon = [{"no": m["no"], "berjalan": True, "catatan": "", "tindakan": ""} for m in v.monitoring]
    mon[2] = {"no": 3, "berjalan": False, "catatan": "Printer kartu sering macet.", "tindakan": ""}
    save(db, rid, monitoring=mon)
    with pytest.raises(reviews.IncompleteReview, match="Monitoring langkah 3 tidak berjalan baik"):
        do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    mon[2]["tindakan"] = "Ganti printer kartu."
    save(db, rid, monitoring=mon)
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    assert view(db, rid).monitoring[2] == {"no": 3, "kegiatan": v.monitoring[2]["kegiatan"], "berjalan": False,
                                           "catatan": "Printer kartu sering macet.", "tindakan": "Ganti printer kartu."}


def test_a_quarter_that_does_not_close_a_semester_has_no_monitoring_form(db):
    with db.begin() as s:
        rid = reviews.open_review(s, who(db, "maya"), "kartu-ak1", "2025-Q3", today=dt.date(2025, 10, 1))[0]
    assert view(db, rid).monitoring == [] and not view(db, rid).monitoring_due


def test_the_printable_page_and_the_xlsx_carry_the_review(db):
    history(db)
    rid = open_(db)
    save(db, rid, findings=[{**FINDING, "temuan": "=HYPERLINK(\"x\") <b>antrean</b>"}])
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    do(db, reviews.approve, rid, "pak_kadis", None)
    v = view(db, rid)
    page = reviews.to_html(v)
    assert "Evaluasi Triwulan Pelaksanaan SOP" in page and "Triwulan II 2025" in page
    assert "&lt;b&gt;antrean&lt;/b&gt;" in page and "<b>antrean" not in page
    assert "Apakah SOP mudah dipahami?" in page and "Kepala Dinas" in page and "BELUM DISETUJUI" not in page
    wb = load_workbook(io.BytesIO(reviews.to_xlsx(v)))
    assert {"Ringkasan", "KPI per langkah", "Tujuh pertanyaan", "Temuan dan tindak lanjut", "Riwayat",
            "Monitoring semesteran"} <= set(wb.sheetnames)
    assert wb["Temuan dan tindak lanjut"]["B2"].value.startswith("'=")  # no formula from the database
    assert wb["Tujuh pertanyaan"].max_row == 8


def test_every_transition_is_in_the_workflow_history(db):
    rid = submitted(db)
    do(db, reviews.return_to_draft, rid, "pak_kadis", "Lengkapi.")
    do(db, reviews.submit, rid, "maya", skm_empty_ok=True)
    do(db, reviews.approve, rid, "pak_kadis", None)
    with db() as s:
        rows = s.execute(select(WorkflowHistory.from_state, WorkflowHistory.to_state).where(
            WorkflowHistory.object_type == "review").order_by(WorkflowHistory.id)).all()
    assert [tuple(r) for r in rows] == [(None, "draft"), ("draft", "diajukan"), ("diajukan", "draft"),
                                        ("draft", "diajukan"), ("diajukan", "disetujui")]


# --- the page ----------------------------------------------------------------------------------------------
def review_page(review_id: int | None, user: str):
    """Home.py as ``user`` on the Evaluasi Triwulan page (``?id=`` when given)."""
    from streamlit.testing.v1 import AppTest

    from .test_pages import hand_session

    at = AppTest.from_file("../Home.py", default_timeout=60)
    hand_session(at, user)  # the database is there (page_review made it)
    if review_id is not None:
        at.query_params["id"] = str(review_id)
    at.run()
    at._page_hash = next(h for h, info in at._registered_pages.items() if info.get("url_pathname") == "evaluasi")
    return at.run()


def last_quarter() -> str:
    from lib.base import periode
    from lib.base.worktime import WIB

    return reviews.quarter_code(periode.recent_quarters(dt.datetime.now(WIB).date(), 2)[1])


def page_review(app_db, user="evaluator"):
    from .test_pages import open_app

    open_app(user=None)  # creates the database and the demo accounts
    db = session_factory(app_db)
    with db.begin() as s:
        return db, reviews.open_review(s, who(db, user), "kartu-ak1", last_quarter())[0]


def button(at, label):
    return next(b for b in at.button if b.label == label)


def confirm_empty_skm(at) -> None:
    next(c for c in at.checkbox if c.label == "Ajukan tanpa data SKM").check()


def test_the_evaluator_answers_the_questions_on_the_page_and_submits(app_db):
    db, rid = page_review(app_db)
    at = review_page(rid, "evaluator")
    assert not at.exception, at.exception
    assert at.title[0].value == "Evaluasi Triwulan — Penerbitan Kartu Pencari Kerja (AK1)"
    assert {m.label for m in at.metric} >= {"Berkas masuk", "Langkah dalam mutu baku", "IKM", "Responden"}
    button(at, "Simpan dan ajukan ke Kepala Dinas").click().run()
    assert "Pertanyaan 1: pilih Ya atau Tidak." in at.error[0].value
    for radio in at.radio:
        radio.set_value("Ya")
    confirm_empty_skm(at)
    button(at, "Simpan dan ajukan ke Kepala Dinas").click().run()
    assert not at.error, at.error
    assert "Evaluasi diajukan ke Kepala Dinas" in at.success[0].value
    assert view(db, rid, user="evaluator").state == "diajukan"
    assert not [b for b in at.button if b.label == "Simpan draf"]  # nobody edits a submitted review


def test_kepala_dinas_returns_with_a_comment_and_approves_on_the_page(app_db):
    db, rid = page_review(app_db)
    save(db, rid, user="evaluator")
    with db.begin() as s:
        reviews.submit(s, who(db, "evaluator"), rid, s.get(Review, rid).version, skm_empty_ok=True)
    at = review_page(rid, "kadis")
    button(at, "Kembalikan").click().run()
    assert "Tulis komentar" in at.error[0].value and view(db, rid, user="evaluator").state == "diajukan"
    version = view(db, rid, user="evaluator").version
    at.text_area(key=f"eval-dec-{rid}-{version}").input("Lengkapi tindak lanjut langkah 3.")
    button(at, "Kembalikan").click().run()
    assert "Evaluasi dikembalikan" in at.success[0].value and view(db, rid, user="evaluator").state == "draft"
    at = review_page(rid, "evaluator")
    assert "Lengkapi tindak lanjut langkah 3." in at.warning[0].value
    confirm_empty_skm(at)
    button(at, "Simpan dan ajukan ke Kepala Dinas").click().run()
    at = review_page(rid, "kadis")
    button(at, "Setujui").click().run()
    assert "Evaluasi disetujui." in at.success[0].value and view(db, rid, user="evaluator").state == "disetujui"
    assert len(at.get("download_button")) == 2 and not [b for b in at.button if b.label == "Setujui"]


def test_the_overview_lists_every_sop_with_its_review_state(app_db):
    page_review(app_db)
    at = review_page(None, "kadis")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert dict(zip(table["SOP"], table["Status"]))["Kartu Pencari Kerja (AK1)"] == "Draf"
    assert "Belum dibuka" in table["Status"].tolist()
    assert not at.get("form")  # only the evaluation team opens reviews


def test_a_tidak_answer_is_submitted_with_findings_added_and_removed_by_their_buttons(app_db):
    db, rid = page_review(app_db)
    at = review_page(rid, "evaluator")
    for radio in at.radio:
        radio.set_value("Ya")
    at.radio[1].set_value("Tidak")
    at.text_input[1].input("Istilah pada langkah 2 membingungkan.")
    at.text_area[0].input("Perlu perbaikan bahasa.")
    assert "Belum ada temuan" in " ".join(c.value for c in at.caption)
    button(at, "Tambah temuan").click().run()
    button(at, "Tambah temuan").click().run()
    assert not at.exception, at.exception
    assert [b.label for b in at.button if b.label.startswith("Hapus temuan")] == ["Hapus temuan 1", "Hapus temuan 2"]
    # What was typed before the clicks is still there.
    assert at.radio[1].value == "Tidak" and at.text_area[0].value == "Perlu perbaikan bahasa."
    areas = [a for a in at.text_area if a.label.startswith("Temuan")]
    areas[0].input("Baris kosong yang salah tambah.")
    areas[1].input("Istilah “pengadministrasi” tidak dipahami pemohon.")
    button(at, "Hapus temuan 1").click().run()
    [left] = [a for a in at.text_area if a.label.startswith("Temuan")]
    assert left.value == "Istilah “pengadministrasi” tidak dipahami pemohon."
    at.text_input(key=left.key.replace("-ft-", "-ftl-")).input("Ganti istilah pada revisi berikut.")
    at.text_input(key=left.key.replace("-ft-", "-fpj-")).input("Kasi Penempatan")
    at.date_input(key=left.key.replace("-ft-", "-fbw-")).set_value(dt.date(2030, 12, 31))
    confirm_empty_skm(at)
    button(at, "Simpan dan ajukan ke Kepala Dinas").click().run()
    assert not at.error, [e.value for e in at.error]
    v = view(db, rid, user="evaluator")
    assert v.state == "diajukan"
    assert v.findings == [reviews.Finding("Istilah “pengadministrasi” tidak dipahami pemohon.",
                                          "Ganti istilah pada revisi berikut.", "Kasi Penempatan",
                                          dt.date(2030, 12, 31))]


def test_submitting_with_no_skm_respondent_asks_for_confirmation_and_says_the_skm_part_is_empty(app_db):
    db, rid = page_review(app_db)
    at = review_page(rid, "evaluator")
    assert any("Bagian SKM kosong" in w.value for w in at.warning)
    for radio in at.radio:
        radio.set_value("Ya")
    button(at, "Simpan dan ajukan ke Kepala Dinas").click().run()
    assert "Bagian SKM kosong" in at.error[0].value and "Ajukan tanpa data SKM" in at.error[0].value
    assert view(db, rid, user="evaluator").state == "draft"
    confirm_empty_skm(at)
    button(at, "Simpan dan ajukan ke Kepala Dinas").click().run()
    assert view(db, rid, user="evaluator").state == "diajukan"


def test_a_review_not_yet_opened_is_opened_from_its_row_by_the_evaluation_team(app_db):
    page_review(app_db)
    at = review_page(None, "evaluator")
    table = at.dataframe[0].value
    row = table["Status"].tolist().index("Belum dibuka")
    sop = table["SOP"][row]
    at.session_state["eval-table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    button(at, f"Buka evaluasi {sop}").click().run()
    assert not at.exception, at.exception
    with session_factory(app_db)() as s:
        opened = s.scalars(select(Review).where(Review.period == last_quarter())).all()
    assert len(opened) == 2
    at = review_page(None, "kadis")  # who may not open one is told who does
    row = at.dataframe[0].value["Status"].tolist().index("Belum dibuka")
    at.session_state["eval-table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert any("belum dibuka oleh tim evaluasi" in i.value for i in at.info)
    assert not [b for b in at.button if b.label.startswith("Buka evaluasi")]


def test_the_monitoring_grid_rows_come_back_as_the_entries_they_were_made_from():
    entries = [{"no": 1, "kegiatan": "Menerima berkas", "berjalan": True, "catatan": "", "tindakan": ""},
               {"no": 2, "kegiatan": "Meneliti", "berjalan": False, "catatan": "lambat", "tindakan": "latih"},
               {"no": 3, "kegiatan": "Paraf", "berjalan": None, "catatan": "", "tindakan": ""}]
    rows = reviews.monitoring_rows(entries)
    assert [r["pelaksanaan"] for r in rows] == ["Berjalan dengan baik", "Tidak berjalan dengan baik", None]
    assert reviews.monitoring_from_rows([{k: v for k, v in r.items() if k != "kegiatan"} | {"kegiatan": "x"}
                                         for r in rows]) == [{k: v for k, v in e.items() if k != "kegiatan"}
                                                             for e in entries]


def _review_view(**over) -> reviews.ReviewView:
    """A review as the page gets it, without a database (the page functions only read it)."""
    base = dict(id=7, sop_id="kartu-ak1", sop_name="Pelayanan Kartu AK/1", sop_nomor=None, period="2025-Q2",
                period_label="Triwulan II 2025", date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 6, 30),
                state="draft", revision_no=1, version=3, answers=ALL_YES, kesimpulan=None, findings=[],
                monitoring=[], monitoring_due=True, created_by="Maya",
                kpi={"headline": {"cases_started": 1200, "cases_completed": 1100, "within_pct": 87.5,
                                  "median_lead_working_min": 600, "median_target_sum_working_min": None},
                     "steps": [], "computed_at": "2025-07-10T09:00:00+00:00"},
                skm={"ikm": None, "mutu": None, "kinerja": None, "respondents": 0, "population": 40,
                     "min_sample": 36, "weakest": []},
                frozen=False, history=[])
    return reviews.ReviewView(**{**base, **over})


def test_the_overview_counts_the_quarters_reviews_by_state():
    rows = [{"sop_id": "a", "sop": "A", "id": 1, "state": "disetujui"},
            {"sop_id": "b", "sop": "B", "id": 2, "state": "diajukan"},
            {"sop_id": "c", "sop": "C", "id": None, "state": None}]
    assert page_values.overview_frame(rows).to_dict("records") == [
        {"SOP": "A", "Status": "Disetujui"}, {"SOP": "B", "Status": "Diajukan"}, {"SOP": "C", "Status": "Belum dibuka"}]
    assert list(page_values.overview_frame([]).columns) == ["SOP", "Status"]  # an empty table keeps its headers
    assert page_values.overview_caption("Triwulan II 2025", rows) == (
        "Triwulan II 2025: 1 dari 3 SOP sudah disetujui, 1 menunggu persetujuan Kepala Dinas. Klik satu baris "
        "untuk membuka evaluasinya.")
    quarters, first = page_values.quarters(dt.date(2025, 7, 10))
    assert len(quarters) == 8 and (quarters[0].label, quarters[first].label) == ("Triwulan III 2025",
                                                                                  "Triwulan II 2025")
    assert page_values.quarters(dt.date(2025, 7, 10), n=1)[1] == 0


def test_the_review_page_heading_and_its_warnings():
    v = _review_view()
    assert page_values.detail_caption(v) == ("Triwulan II 2025 (1 April 2025 – 30 Juni 2025) · status **Draf** · "
                                             "disusun oleh Maya")
    assert page_values.file_name(v, "xlsx") == "evaluasi-kartu-ak1-2025-Q2.xlsx"
    assert page_values.problems_message(["Pertanyaan 2 belum dijawab.", "Kesimpulan kosong."]) == (
        "Draf tersimpan, tetapi belum dapat diajukan:\n\n- Pertanyaan 2 belum dijawab.\n- Kesimpulan kosong.")
    assert page_values.returned_warning(v) is None
    returned = _review_view(history=[reviews.HistoryRow(NOW, "Pak Kadis", "diajukan", "draft", "Dikembalikan",
                                                        "Lengkapi temuan")])
    assert page_values.returned_warning(returned) == "Dikembalikan oleh Kepala Dinas: “Lengkapi temuan”"
    assert page_values.submission_problems(reviews.IncompleteReview(["a", "b"])) == ["a", "b"]
    assert page_values.submission_problems(reviews.SkmEmpty("SKM kosong.")) == ["SKM kosong."]


def test_the_kpi_and_skm_figures_of_the_review_page():
    v = _review_view()
    assert page_values.kpi_metrics(v) == [("Berkas masuk", "1.200", None), ("Berkas selesai", "1.100", None),
                                          ("Langkah dalam mutu baku", "87,5%", None),
                                          ("Median lead time", "1 hari 2 jam 30 menit", None)]
    with_target = _review_view(kpi={**v.kpi, "headline": {**v.kpi["headline"], "median_target_sum_working_min": 30}})
    assert page_values.kpi_metrics(with_target)[3] == ("Median lead time", "1 hari 2 jam 30 menit", "target 30 menit")
    assert page_values.skm_metrics(v) == [("IKM", "—", None), ("Mutu", "—", None),
                                          ("Responden", "0", "minimal 36"), ("Populasi (berkas dibuka)", "40", None)]
    assert page_values.weakest_line(v) is None
    assert page_values.sample_warning(v) == "Responden kurang 36 dari sampel minimum (Krejcie–Morgan)."
    answered = _review_view(skm={"ikm": 82.5, "mutu": "B", "kinerja": "Baik", "respondents": 40, "population": 40,
                                 "min_sample": 36, "weakest": ["U3"]})
    assert page_values.skm_metrics(answered)[:2] == [("IKM", "82,50", None), ("Mutu", "B · Baik", None)]
    assert page_values.weakest_line(answered) == "Unsur terendah: **Waktu Penyelesaian**"
    assert page_values.sample_warning(answered) is None


def test_a_question_on_the_form_shows_and_returns_its_saved_answer():
    assert [page_values.answer_index({"ya": x}) for x in (True, False, None)] == [0, 1, None]
    assert page_values.answer("Ya", "") == {"ya": True, "catatan": ""}
    assert page_values.answer("Tidak", "antrean") == {"ya": False, "catatan": "antrean"}
    assert page_values.answer(None, "") == {"ya": None, "catatan": ""}
    assert [page_values.answer(page_values.YA_TIDAK[page_values.answer_index(a)], "")["ya"]
            for a in ({"ya": True}, {"ya": False})] == [True, False]
