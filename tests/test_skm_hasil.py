"""SKM results: the population and the Krejcie–Morgan warning, the report, paper questionnaires (all or
nothing, audited), the CLI, and the results page."""
import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lib.base.db import AuditEntry, Case, SkmResponse, session_factory
from lib.base.permissions import PermissionDenied
from lib.base.worktime import WIB
from lib.catalogue import store
from lib.evaluation import skm, skm_data, skm_hasil

from .cli import run as run_cli
from .fast_db import ready, template_fixture
from .test_cases import who
from .test_pages import open_app, texts

JUNE = (dt.date(2025, 6, 1), dt.date(2025, 6, 30))


template = template_fixture(("maya", "evaluator", None), ("pak_kadis", "kepala_dinas", None), ("rina", "staf", None))


@pytest.fixture
def db(db_url, template):
    return ready(db_url, template)


def cases(db, n: int, day: dt.datetime, sop="kartu-ak1") -> None:
    """``n`` cases of ``sop`` opened at ``day`` (only their opening matters for the population)."""
    with db.begin() as s:
        rev = store.current_revision(s, sop).id
        start = s.scalar(select(func.count()).select_from(Case)) or 0
        s.add_all(Case(sop_id=sop, revision_id=rev, register_no=f"X/{day.year}/{start + i:05d}", year=day.year,
                       seq=start + i, state="berjalan", data={}, created_at=day) for i in range(1, n + 1))


def answer(db, values, when=dt.datetime(2025, 6, 10, 10, 0, tzinfo=WIB), sop="kartu-ak1", profile=None, saran=None):
    with db.begin() as s:
        skm_data.submit(s, sop, dict(zip(skm.KODE, values)), profile or {}, saran, now=when)


def report(db, user="maya", sop="kartu-ak1", weight="exact"):
    with db() as s:
        return skm_hasil.report(s, who(db, user), sop, *JUNE, weight)


# --- population and sample ------------------------------------------------------------------------------
def test_the_population_is_the_cases_opened_for_the_sop_in_the_period_in_wib_days(db):
    cases(db, 2, dt.datetime(2025, 6, 1, 0, 10, tzinfo=WIB))       # first minutes of 1 June WIB: in
    cases(db, 1, dt.datetime(2025, 5, 31, 23, 50, tzinfo=WIB))     # last minutes of May: out
    cases(db, 3, dt.datetime(2025, 6, 30, 23, 59, tzinfo=WIB))     # last minute of June: in
    cases(db, 4, dt.datetime(2025, 6, 15, 9, 0, tzinfo=WIB), sop="pbi-jk")  # another SOP
    with db() as s:
        assert skm_hasil.population(s, "kartu-ak1", *JUNE) == 5
        assert skm_hasil.population(s, None, *JUNE) == 9


def test_respondents_short_of_the_krejcie_morgan_minimum_are_flagged_with_the_shortfall(db):
    cases(db, 100, dt.datetime(2025, 6, 2, 9, 0, tzinfo=WIB))
    for _ in range(3):
        answer(db, [4] * 9)
    rep = report(db)
    assert (rep.population, rep.minimum, rep.respondents, rep.shortfall) == (100, 80, 3, 77)
    assert "kurang dari sampel minimum 80" in rep.sample_message() and "kurang 77 responden" in rep.sample_message()


def test_enough_respondents_meet_the_minimum_and_no_cases_means_no_minimum(db):
    cases(db, 3, dt.datetime(2025, 6, 2, 9, 0, tzinfo=WIB))
    for _ in range(3):
        answer(db, [3] * 9)
    rep = report(db)
    assert (rep.minimum, rep.shortfall) == (3, 0) and "memenuhi sampel minimum 3" in rep.sample_message()
    rep = report(db, sop="pbi-jk")
    assert rep.minimum is None and rep.result is None and "N = 0" in rep.sample_message()


# --- the report -----------------------------------------------------------------------------------------
def test_the_report_is_the_ikm_of_the_period_with_the_weakest_unsur_profile_and_suggestions(db):
    answer(db, [4, 4, 2, 4, 4, 4, 4, 4, 4], profile={"jenis_kelamin": "Perempuan"}, saran="Antrean panjang.")
    answer(db, [3, 3, 2, 4, 3, 3, 4, 3, 3], profile={"jenis_kelamin": "Laki-laki"})
    answer(db, [1] * 9, when=dt.datetime(2025, 7, 1, 8, 0, tzinfo=WIB))  # July: out of the period
    rep = report(db)
    assert rep.result == skm.ikm([[4, 4, 2, 4, 4, 4, 4, 4, 4], [3, 3, 2, 4, 3, 3, 4, 3, 3]])
    assert rep.weakest == ("U3",)
    table = skm_hasil.nrr_table(rep)
    assert table.loc[2, "NRR"] == "2,00" and table.loc[2, "Catatan"] == "terendah"
    sex = next(b for b in rep.breakdowns if b.column == "jenis_kelamin")
    assert [(r.nilai, r.respondents) for r in sex.rows] == [("Laki-laki", 1), ("Perempuan", 1)]
    assert [s["Saran"] for s in rep.suggestions] == ["Antrean panjang."]
    fig = skm_hasil.chart(rep)
    assert fig.data[0].marker.color[2] != fig.data[0].marker.color[0]  # the weakest stands out
    wb = load_workbook(io.BytesIO(skm_hasil.workbook(rep, "Laporan")))
    assert wb["Ringkasan"]["B5"].value == float(rep.result.ikm) and "Per Jenis Kelamin" in wb.sheetnames


def test_staf_cannot_read_the_skm_results_but_kepala_dinas_can(db):
    answer(db, [4] * 9)
    with pytest.raises(PermissionDenied):
        report(db, user="rina")
    assert report(db, user="pak_kadis").respondents == 1


# --- paper questionnaires -------------------------------------------------------------------------------
def xlsx(rows, header=(*skm.KODE, "Jenis Kelamin", "Usia", "Pendidikan", "Saran")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = xlsx([(4, 4, 3, 4, 4, 4, 4, 3, 3, "L", 25, "SMA", "Ruang tunggu panas."),
             (3, 3, 3, 4, 3, 3, 3, 3, 3, "P", "50-59 tahun", None, None)])


def stored(db) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(SkmResponse))


def test_every_bad_cell_of_a_paper_file_is_named_by_row_and_column_and_nothing_is_read(db):
    bad = xlsx([(4,) * 9 + ("L", 30, "SMA", None), (4, 4, 5, 4, 4, 4, 4, 4, 4, "L", 30, "SMA", None),
                (4,) * 9 + ("L", 30, "Sarjana hukum", None)])
    with pytest.raises(skm.SkmFileError) as err:
        skm_hasil.read_paper(bad, "kuesioner.xlsx")
    assert err.value.messages == ["Baris 3, kolom U3: nilai “5” harus 1–4."]
    bad = xlsx([(4,) * 9 + ("L", 30, "SMA", None), (4,) * 9 + ("X", 30, "Sarjana hukum", None)])
    with pytest.raises(skm.SkmFileError) as err:
        skm_hasil.read_paper(bad, "kuesioner.xlsx")
    assert [m.split(":")[0] for m in err.value.messages] == ["Baris 3, kolom Jenis Kelamin",
                                                             "Baris 3, kolom Pendidikan"]
    assert stored(db) == 0


def test_a_paper_file_is_stored_whole_as_kertas_on_its_date_in_the_survey_choices_and_audited(db):
    batch = skm_hasil.read_paper(GOOD, "kuesioner.xlsx")
    assert batch.frame["usia"].tolist() == ["20–29 tahun", "50–59 tahun"]
    assert batch.frame["jenis_kelamin"].tolist() == ["Laki-laki", "Perempuan"]
    assert batch.preview().columns[0] == "Baris"
    with db.begin() as s:
        assert skm_hasil.save_paper(s, who(db, "maya"), "kartu-ak1", batch, dt.date(2025, 6, 12),
                                    today=dt.date(2025, 6, 13)) == 2
    with db() as s:
        rows = s.scalars(select(SkmResponse).order_by(SkmResponse.id)).all()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "impor_skm")).one()
    assert [(r.source, r.pendidikan, r.saran, r.u3) for r in rows] == [
        ("kertas", "SMA/sederajat", "Ruang tunggu panas.", 3), ("kertas", None, None, 3)]
    assert {r.submitted_at for r in rows} == {dt.datetime(2025, 6, 12, 5, 0, tzinfo=dt.timezone.utc)}  # noon WIB
    assert entry.username == "maya" and "2 kuesioner kertas dari kuesioner.xlsx" in entry.detail


def test_the_same_paper_file_cannot_be_imported_twice(db):
    batch = skm_hasil.read_paper(GOOD, "kuesioner.xlsx")
    with db.begin() as s:
        skm_hasil.save_paper(s, who(db, "maya"), "kartu-ak1", batch, dt.date(2025, 6, 12))
    with pytest.raises(skm_hasil.PaperImportError, match="sudah pernah diimpor"), db.begin() as s:
        skm_hasil.save_paper(s, who(db, "maya"), "kartu-ak1", skm_hasil.read_paper(GOOD, "salinan.xlsx"),
                             dt.date(2025, 6, 12))
    assert stored(db) == 2


def test_a_paper_import_that_fails_midway_leaves_nothing(db, monkeypatch):
    batch = skm_hasil.read_paper(GOOD, "kuesioner.xlsx")
    real, calls = skm_data.submit, []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise skm_data.SurveyError("gangguan")
        return real(*args, **kw)

    monkeypatch.setattr(skm_data, "submit", flaky)
    with pytest.raises(skm_data.SurveyError), db.begin() as s:
        skm_hasil.save_paper(s, who(db, "maya"), "kartu-ak1", batch, dt.date(2025, 6, 12))
    assert stored(db) == 0


@pytest.mark.parametrize("user, sop, day, error", [
    ("rina", "kartu-ak1", dt.date(2025, 6, 12), PermissionDenied),
    ("pak_kadis", "kartu-ak1", dt.date(2025, 6, 12), PermissionDenied),
    ("maya", "standar-pelayanan-bpjs-tk", dt.date(2025, 6, 12), skm_hasil.PaperImportError),
    ("maya", "kartu-ak1", dt.date(2099, 1, 1), skm_hasil.PaperImportError),
])
def test_only_evaluators_import_paper_for_a_service_on_a_past_date(db, user, sop, day, error):
    with pytest.raises(error), db.begin() as s:
        skm_hasil.save_paper(s, who(db, user), sop, skm_hasil.read_paper(GOOD, "k.xlsx"), day)
    assert stored(db) == 0


def test_the_template_reads_back_as_a_respondent_file(db):
    wb = load_workbook(io.BytesIO(skm_hasil.template_xlsx()))
    ws = wb["Responden"]
    ws.append([4] * 9 + ["Perempuan", 41, "D4/S1", "Wiraswasta", "Terima kasih"])
    buf = io.BytesIO()
    wb.save(buf)
    batch = skm_hasil.read_paper(buf.getvalue(), "templat.xlsx")
    assert batch.frame.loc[2, ["usia", "pekerjaan", "saran"]].tolist() == ["40–49 tahun", "Wirausaha", "Terima kasih"]


# --- CLI ------------------------------------------------------------------------------------------------
def test_cli_skm_ikm_json_is_exactly_the_documented_shape(app_db, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("U1,U2,U3,U4,U5,U6,U7,U8,U9\n4,4,4,4,4,4,4,4,4\n3,3,2,4,3,3,4,3,3\n", encoding="utf-8")
    out = run_cli("skm", "ikm", str(path), "--json", url=app_db)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == ["respondents", "nrr", "ikm", "mutu", "kinerja"]
    assert data == {"respondents": 2, "nrr": [3.5, 3.5, 3.0, 4.0, 3.5, 3.5, 4.0, 3.5, 3.5], "ikm": 88.89, "mutu": "A",
                    "kinerja": "Sangat Baik"}
    legacy = json.loads(run_cli("skm", "ikm", str(path), "--weight", "legacy", "--json", url=app_db).stdout)
    assert legacy["ikm"] == 88.8 and legacy["mutu"] == "A"
    text = run_cli("skm", "ikm", str(path), url=app_db).stdout
    assert "Responden: 2" in text and "U3 Waktu Penyelesaian" in text and "IKM: 88,89 — mutu A (Sangat Baik)" in text


def test_cli_skm_ikm_names_every_bad_cell_on_stderr_with_exit_code_2(app_db, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx([(4,) * 9 + ("L", 30, "SMA", None), (4, 0, 4, 4, 4, 4, 4, 4, "empat", "L", 30, "SMA", None)]))
    out = run_cli("skm", "ikm", str(path), "--json", url=app_db)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("Galat: Berkas responden tidak dapat dipakai:")
    assert "Baris 3, kolom U2: nilai “0” harus 1–4." in out.stderr
    assert "Baris 3, kolom U9: nilai “empat” harus 1–4." in out.stderr
    missing = run_cli("skm", "ikm", str(tmp_path / "tidak-ada.csv"), url=app_db)
    assert missing.returncode == 2 and "tidak dapat dibaca" in missing.stderr


# --- the page -------------------------------------------------------------------------------------------
def test_the_results_page_shows_the_ikm_and_warns_of_a_short_sample(app_db):
    open_app(user=None)  # creates the database and the demo users
    db = session_factory(app_db)
    today = dt.datetime.now(WIB)
    cases(db, 100, today - dt.timedelta(hours=1))
    answer(db, [4, 4, 2, 4, 4, 4, 4, 4, 4], when=today - dt.timedelta(minutes=30), saran="Cepat sekali.")
    at = open_app("skm-hasil", user="evaluator")
    assert not at.exception, at.exception
    at.selectbox(key="skmh-sop").set_value("kartu-ak1").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Responden"] == "1" and metrics["IKM"] == "94,44" and metrics["Mutu pelayanan"] == "A"
    assert any("kurang dari sampel minimum 80" in w.value for w in at.warning)
    assert "N (populasi) = jumlah berkas permohonan" in texts(at)
    assert at.get("plotly_chart") and at.get("download_button")
    assert not [d for d in at.dataframe if "Saran" in d.value.columns]  # only the open tab is drawn
    at.session_state["skmh-tab"] = "Saran"
    at.run()
    assert "Cepat sekali." in at.dataframe[-1].value["Saran"].tolist() and not at.get("plotly_chart")


def test_the_results_page_without_answers_says_so_and_offers_the_survey_link(app_db):
    open_app(user=None)
    at = open_app("skm-hasil", user="kadis")
    at.selectbox(key="skmh-sop").set_value("kartu-ak1").run()
    assert not at.exception
    assert any("Belum ada jawaban SKM" in i.value for i in at.info)
    assert "skm?layanan=kartu-ak1" in texts(at)
    assert len(at.tabs) == 3  # no import tab without manage_reviews


def test_staf_cannot_open_the_results_page(app_db):
    at = open_app("skm-hasil", user="staf")
    assert at.header[0].value == "Halaman tidak ditemukan" and not at.metric


def test_the_results_page_counts_an_answer_given_after_it_was_first_shown(app_db):
    # The figures are kept per filter and data version: a new answer (or case) is a new version.
    open_app(user=None)
    db = session_factory(app_db)
    today = dt.datetime.now(WIB)
    cases(db, 10, today - dt.timedelta(hours=1), sop="pelatihan")
    answer(db, [4] * 9, when=today - dt.timedelta(minutes=30), sop="pelatihan")
    at = open_app("skm-hasil", user="evaluator")
    at.selectbox(key="skmh-sop").set_value("pelatihan").run()
    assert {m.label: m.value for m in at.metric}["Responden"] == "1"
    at.run()  # again, unchanged: the kept figures
    assert {m.label: m.value for m in at.metric}["Responden"] == "1"
    answer(db, [3] * 9, when=today - dt.timedelta(minutes=10), sop="pelatihan")
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert not at.exception and metrics["Responden"] == "2" and metrics["IKM"] == "87,50"
