"""The public SKM e-survey: what is stored, what is refused, and the page as an anonymous visitor."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from lib.base.db import SkmResponse, session_factory
from lib.evaluation import skm, skm_data

from .test_pages import open_app, texts

ALL_FOUR = {u.kode: 4 for u in skm.UNSUR}


def test_a_complete_answer_sheet_is_stored_without_personal_data(ready_db):
    with session_factory(ready_db).begin() as s:
        skm_data.submit(s, "kartu-ak1", ALL_FOUR, {"jenis_kelamin": "Perempuan", "usia": None}, "  Antrean cepat. ")
    with session_factory(ready_db)() as s:
        frame = skm_data.responses(s, "kartu-ak1")
    assert len(frame) == 1 and frame.loc[0, "U9"] == 4 and frame.loc[0, "saran"] == "Antrean cepat."
    assert skm.ikm(frame).ikm == 100 and frame.loc[0, "usia"] is None


@pytest.mark.parametrize("sop_id, answers, profile, message", [
    (None, ALL_FOUR, {}, "Pilih layanan"),
    ("standar-pelayanan-bpjs-tk", ALL_FOUR, {}, "Pilih layanan"),  # a standard is not a service to rate
    ("kartu-ak1", {**ALL_FOUR, "U3": None}, {}, r"Belum dijawab: pertanyaan nomor 3 \(Waktu Penyelesaian\)\."),
    ("kartu-ak1", {**ALL_FOUR, "U1": 5}, {}, "tidak sah"),
    ("kartu-ak1", ALL_FOUR, {"pekerjaan": "Presiden"}, "Pekerjaan"),
])
def test_an_incomplete_or_invalid_sheet_is_refused_and_nothing_is_stored(ready_db, sop_id, answers, profile, message):
    with session_factory(ready_db).begin() as s, pytest.raises(skm_data.SurveyError, match=message):
        skm_data.submit(s, sop_id, answers, profile)
    with session_factory(ready_db)() as s:
        assert s.scalar(select(func.count()).select_from(SkmResponse)) == 0


def test_an_answer_cannot_be_altered_afterwards(ready_db):
    with session_factory(ready_db).begin() as s:
        skm_data.submit(s, "kartu-ak1", ALL_FOUR, {})
    with pytest.raises(Exception), session_factory(ready_db).begin() as s:
        s.execute(SkmResponse.__table__.update().values(u1=1))
    with pytest.raises(Exception), session_factory(ready_db).begin() as s:
        s.execute(SkmResponse.__table__.delete())


def test_responses_are_read_per_period_in_wib_days(ready_db):
    late_31_dec = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.timezone.utc)  # 1 Jan 2027 00.30 WIB
    with session_factory(ready_db).begin() as s:
        skm_data.submit(s, "kartu-ak1", ALL_FOUR, {}, now=late_31_dec)
    with session_factory(ready_db)() as s:
        assert len(skm_data.responses(s, date_from=dt.date(2027, 1, 1), date_to=dt.date(2027, 1, 1))) == 1
        assert len(skm_data.responses(s, date_to=dt.date(2026, 12, 31))) == 0


def test_an_anonymous_visitor_fills_the_survey_from_the_link_of_a_finished_case(app_db):
    at = open_app("skm", user=None)
    assert not at.exception
    assert at.selectbox[0].value == "kartu-ak1" or at.selectbox[0].value is None
    at.selectbox[0].set_value("kartu-ak1")
    for radio in at.radio:
        radio.set_value(3)
    at.button[0].click().run()
    assert not at.exception and not at.error, at.error
    assert any("Terima kasih" in s.value for s in at.success)
    with session_factory(app_db)() as s:
        assert s.scalar(select(func.count()).select_from(SkmResponse)) == 1


def test_the_survey_tells_a_visitor_which_questions_are_unanswered(app_db):
    at = open_app("skm", user=None)
    at.selectbox[0].set_value("kartu-ak1")
    at.radio[0].set_value(4)
    at.button[0].click().run()
    assert "Belum dijawab" in at.error[0].value
    with session_factory(app_db)() as s:
        assert s.scalar(select(func.count()).select_from(SkmResponse)) == 0


def test_the_unanswered_message_lists_the_question_numbers_and_stands_just_above_the_submit_button(app_db):
    at = open_app("skm", user=None)
    at.selectbox[0].set_value("kartu-ak1")
    for radio in at.radio:
        radio.set_value(4)
    at.radio[1].set_value(None)
    at.radio[4].set_value(None)
    at.button[0].click().run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "Belum dijawab: pertanyaan nomor 2 (" in error.value and "), 5 (" in error.value
    form = at.get("form")[0]
    kinds = [type(e).__name__ for e in form.children.values()]
    assert kinds[-2:] == ["Alert", "Button"] or kinds[-2:] == ["Error", "Button"], kinds
    assert at.radio[0].value == 4  # the answers already given are kept
    with session_factory(app_db)() as s:
        assert s.scalar(select(func.count()).select_from(SkmResponse)) == 0


def test_saran_is_marked_optional(app_db):
    at = open_app("skm", user=None)
    assert [t.label for t in at.text_area] == ["Saran atau masukan (opsional)"]


def test_the_survey_names_the_agency_from_its_setting_or_else_from_the_services(app_db, monkeypatch):
    at = open_app("skm", user=None)
    assert "Dinas Penanaman Modal, Pelayanan Terpadu Satu Pintu dan Tenaga Kerja Kota Pagar Alam" in texts(at)
    monkeypatch.setenv("PORTAL_NAMA_INSTANSI", "Dinas Tenaga Kerja Kabupaten Contoh")
    at = open_app("skm", user=None)
    assert "**Dinas Tenaga Kerja Kabupaten Contoh**" in [m.value for m in at.markdown]
