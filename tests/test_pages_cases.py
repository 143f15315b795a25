"""AppTest of the case pages: the AK1 intake form, Tugas Saya, and one case at ``berkas?id=N``.

Every test starts from a database with the demo users and one AK1 case waiting for the Kasi (fixture
``waiting``), made through lib.cases before the app's first run. Register numbers are read from what
lib.cases returns and cases are counted before and after, never assumed: with a demo history (on outside
the tests) the same assertions hold.
"""
import datetime as dt

import pytest
from sqlalchemy import func, select

from lib.base import accounts
from lib.base.db import Case, session_factory
from lib.casework import cases
from lib.setup import database as setup

from .test_pages import open_app, texts

NIK = "1671015505950003"  # Palembang-style code 16, woman born 15-05-95 (day + 40)
OTHER_NIK = "1671015606960004"  # another woman, born 16-06-96, with no case yet
FORM = "intake-kartu-ak1-0"  # the first intake form of the session (a new key after each success)


def case_count(url: str) -> int:
    with session_factory(url)() as s:
        return s.scalar(select(func.count()).select_from(Case))


def ak1_cases_named(url: str, name: str) -> list[Case]:
    with session_factory(url)() as s:
        return list(s.scalars(select(Case).where(Case.sop_id == "kartu-ak1", Case.applicant_name == name)))


@pytest.fixture
def waiting(app_db) -> cases.CaseView:
    """Schema, catalogue, demo users and an AK1 case waiting at step 4 (Kasi)."""
    setup.init(app_db)
    with session_factory(app_db).begin() as s:
        accounts.ensure_demo_users(s)
    return ak1_case_waiting_for_kasi(app_db)


def act(url: str, username: str, fn, *args, **kwargs):
    with session_factory(url).begin() as s:
        return fn(s, accounts.load_actor(s, username), *args, **kwargs)


def ak1_case_waiting_for_kasi(url: str, name: str = "Andi Saputra") -> cases.CaseView:
    """An AK1 case taken in at the counter, found complete and typed in: step 4 (Kasi) is open."""
    values = {"nama": name, "nik": NIK, "tanggal_lahir": "1995-05-15", "jenis_kelamin": "Perempuan",
              "pendidikan": "SMA/SMK"}
    v, _ = act(url, "staf", cases.intake, "kartu-ak1", values, {"fc_ktp": True, "fc_ijazah": True,
                                                                 "foto_3x4": True, "foto_2x3": True})
    v = act(url, "staf", cases.complete_step, v.id, 2, v.version, outcome="ya")
    v = act(url, "staf", cases.complete_step, v.id, 3, v.version)
    assert v.open_steps == (4,)
    return v


def open_case_page(case_id, user: str):
    """The ``berkas`` page with ``?id=case_id``, as ``user``."""
    at = open_app(None, user)
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == "berkas"]
    at._page_hash = hashes[0]
    at.query_params["id"] = str(case_id)
    return at.run()


def fill_valid_form(at, name: str = "Siti Aminah", nik: str = OTHER_NIK) -> None:
    at.text_input(key=f"{FORM}-nama").input(name)
    at.text_input(key=f"{FORM}-nik").input(nik)
    born = dt.date(1995, 5, 15) if nik == NIK else dt.date(1996, 6, 16)
    at.date_input(key=f"{FORM}-tanggal_lahir").set_value(born)
    at.selectbox(key=f"{FORM}-jenis_kelamin").select("Perempuan")
    at.selectbox(key=f"{FORM}-pendidikan").select("D4/S1")
    for kode in ("fc_ktp", "fc_ijazah", "foto_3x4"):
        at.checkbox(key=f"{FORM}-kelengkapan-{kode}").check()


def submit(at):
    return at.button(key=f"FormSubmitter:{FORM}-Daftarkan permohonan").click().run()


# --- intake ---------------------------------------------------------------------------------------------
def test_counter_staff_land_on_the_form_and_the_register_is_read_only_when_its_tab_is_opened(app_db, waiting):
    at = open_app("kartu-ak1", "staf")
    assert at.text_input(key=f"{FORM}-nama") is not None
    assert not at.dataframe and 'class="sop-flow"' not in texts(at)  # neither the register nor the flowchart
    at.session_state["sop-tab-kartu-ak1"] = "Buku Register"
    at.run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["No. register"]) == [waiting.register_no]
    assert not [w for w in at.text_input if w.key == f"{FORM}-nama"]  # the form is not drawn meanwhile


def test_submitting_the_empty_intake_form_names_every_required_field_and_registers_nothing(app_db, waiting):
    at = open_app("kartu-ak1", user="staf")
    before = case_count(app_db)
    submit(at)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    for label in ("Nama lengkap", "NIK", "Tanggal lahir", "Jenis kelamin", "Pendidikan terakhir"):
        assert f"{label} wajib diisi." in errors, errors
    assert not any("Alamat" in e or "Nomor HP" in e for e in errors)  # optional fields
    assert not at.success
    assert case_count(app_db) == before


def test_an_intake_form_whose_checklist_shares_a_code_with_a_field_opens_without_an_error(app_db, waiting):
    # Pendaftaran BPU asks for an email (a field) and checks that the applicant brought one (kelengkapan "email").
    at = open_app("pendaftaran-bpu", user="staf")
    assert not at.exception, at.exception
    assert "kesalahan tak terduga" not in texts(at) and not at.error
    assert at.text_input(key="intake-pendaftaran-bpu-0-email") is not None
    assert at.checkbox(key="intake-pendaftaran-bpu-0-kelengkapan-email").label.startswith("Alamat Email")


def test_a_valid_intake_registers_exactly_one_case_and_says_terdaftar(app_db, waiting):
    at = open_app("kartu-ak1", user="staf")
    before = case_count(app_db)
    fill_valid_form(at, "Siti Aminah Uji")
    submit(at)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert case_count(app_db) == before + 1
    [case] = ak1_cases_named(app_db, "Siti Aminah Uji")
    assert case.register_no != waiting.register_no
    assert case.nik == OTHER_NIK and case.state == "berjalan"
    assert case.data["kurang"] == ["Pas Photo 2 x 3 (1 lbr)"]
    done = [s.value for s in at.success if "terdaftar" in s.value]
    assert done == [f"Permohonan **{case.register_no}** terdaftar."]
    link = [p for p in at.get("page_link") if case.register_no in p.proto.label]
    assert link and link[0].proto.query_string == f"id={case.id}"
    # A clean form for the next applicant.
    assert at.text_input(key="intake-kartu-ak1-1-nama").value == ""


def test_an_intake_with_a_15_digit_nik_keeps_the_form_and_registers_nothing(app_db, waiting):
    at = open_app("kartu-ak1", user="staf")
    before = case_count(app_db)
    fill_valid_form(at, "Nina Nik Pendek")
    at.text_input(key=f"{FORM}-nik").input(NIK[:-1])
    submit(at)
    assert [e.value for e in at.error] == [f"NIK harus 16 angka; tertulis “{NIK[:-1]}” (15 karakter)."]
    assert case_count(app_db) == before
    assert at.text_input(key=f"{FORM}-nama").value == "Nina Nik Pendek"


def test_a_nik_with_an_open_case_is_told_so_with_a_link_to_it_and_registered_only_with_a_reason(app_db, waiting):
    at = open_app("kartu-ak1", user="staf")
    before = case_count(app_db)
    fill_valid_form(at, "Siti Aminah Ganda", nik=NIK)  # the NIK of the case waiting for the Kasi
    submit(at)
    assert not at.exception, at.exception
    assert case_count(app_db) == before
    warned = [w.value for w in at.warning if "masih terbuka" in w.value]
    assert warned and waiting.register_no in warned[0]
    link = [p for p in at.get("page_link") if waiting.register_no in p.proto.label]
    assert link and link[0].proto.query_string == f"id={waiting.id}"
    assert at.text_input(key=f"{FORM}-nama").value == "Siti Aminah Ganda"  # the form is kept
    submit(at)  # again without a reason: still refused
    assert case_count(app_db) == before
    reason = "Pemohon kehilangan berkas pertama di kantor pos."
    at.text_area(key=f"{FORM}-alasan").input(reason)
    submit(at)
    assert not at.exception, at.exception
    assert case_count(app_db) == before + 1
    [case] = ak1_cases_named(app_db, "Siti Aminah Ganda")
    assert case.data["alasan_ganda"] == reason and case.data["ganda_dengan"] == [waiting.register_no]
    assert [s.value for s in at.success if "terdaftar" in s.value] == [f"Permohonan **{case.register_no}** terdaftar."]
    # Its case page says why it was opened.
    page = open_case_page(case.id, "staf")
    assert any(reason in i.value and waiting.register_no in i.value for i in page.info)


def test_cari_berkas_by_nik_shows_both_open_cases_of_the_same_person(app_db, waiting):
    second, _ = act(app_db, "staf", cases.intake, "kartu-ak1",
                    {"nama": "Andi Saputra", "nik": NIK, "tanggal_lahir": "1995-05-15", "jenis_kelamin": "Perempuan",
                     "pendidikan": "SMA/SMK"}, {"fc_ktp": True}, reason="Permohonan pertama salah tanggal lahir.")
    at = open_app(None, "staf")
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == "berkas"]
    at._page_hash = hashes[0]
    at.run()
    at.text_input(key="cari-teks").input(NIK)
    at.button(key="FormSubmitter:cari-berkas-Cari").click().run()
    assert not at.exception, at.exception
    shown = at.dataframe(key="cari-hasil").value
    assert set(shown["No. register"]) == {waiting.register_no, second.register_no}


# --- Tugas Saya -----------------------------------------------------------------------------------------
def test_kasi_finds_a_case_waiting_at_step_4_in_tugas_saya(waiting):
    v = waiting
    at = open_app("tugas", user="kasi")
    assert not at.exception, at.exception
    assert at.title[0].value == "Tugas Saya"
    table = at.dataframe[0].value
    mine = table[table["No. register"] == v.register_no]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert row["Langkah"] == "4. Meneliti, mengoreksi dan memberikan paraf"
    assert row["Pelaksana"] == "Kasi" and row["Pemohon"] == "Andi Saputra"
    assert row["SOP"] == "Kartu Pencari Kerja (AK1)"


def test_the_counter_staf_sees_the_completeness_check_but_not_the_kasi_step_in_tugas_saya(app_db, waiting):
    values = {"nama": "Budi Loket", "nik": OTHER_NIK, "tanggal_lahir": "1996-06-16", "jenis_kelamin": "Perempuan",
              "pendidikan": "SD"}
    at_counter, _ = act(app_db, "staf", cases.intake, "kartu-ak1", values, {"fc_ktp": True})
    at = open_app("tugas", user="staf")
    table = at.dataframe[0].value
    assert table[table["No. register"] == at_counter.register_no]["Langkah"].tolist() == [
        "2. Menerima berkas dan meneliti kelengkapan persyaratan administrasi"]
    assert waiting.register_no not in table["No. register"].tolist()


def test_tugas_saya_is_not_a_page_for_the_evaluator(waiting):
    at = open_app("tugas", user="evaluator")
    assert at.header[0].value == "Halaman tidak ditemukan"
    assert not at.dataframe and not at.title


# --- the case page --------------------------------------------------------------------------------------
def test_the_case_page_shows_the_register_number_and_a_masked_nik(waiting):
    v = waiting
    at = open_case_page(v.id, "kasi")
    assert not at.exception, at.exception
    assert at.title[0].value == f"Berkas {v.register_no}"
    body = texts(at)
    assert "**NIK:** 1671********0003" in body
    everything = body + at.dataframe[0].value.to_csv()
    assert NIK not in everything
    assert "**Status:** Berjalan · **Pemohon:** Andi Saputra · **Langkah berjalan:** 4" in body
    assert at.button(key=f"mulai-{v.id}-4")  # the Kasi's step is open for the Kasi


@pytest.mark.parametrize("username", ["kabidsos", "operator"])
def test_a_user_of_another_scope_cannot_open_the_case(waiting, username):
    v = waiting
    at = open_case_page(v.id, username)
    assert not at.exception, at.exception
    assert at.title[0].value == "Berkas tidak ditemukan"
    body = texts(at) + "\n".join(i.value for i in at.info)
    assert v.register_no not in body and "Andi Saputra" not in body and "1671" not in body


@pytest.mark.parametrize("raw", ["999999", "abc"])
def test_an_unknown_or_malformed_case_id_reads_as_not_found(waiting, raw):
    at = open_case_page(raw, "staf")
    assert not at.exception, at.exception
    assert at.title[0].value == "Berkas tidak ditemukan"


def test_a_validation_error_is_not_left_beside_a_field_once_the_page_is_drawn_again(app_db, waiting):
    at = open_app("kartu-ak1", user="staf")
    submit(at)
    assert "NIK wajib diisi." in [e.value for e in at.error]
    at.text_input(key=f"{FORM}-nik").input(NIK)
    at.run()  # any rerun without a new submission (another widget, a tab): the old verdict is gone
    assert not at.error, [e.value for e in at.error]


def test_a_step_without_a_decision_has_one_optional_note_line_not_an_empty_box(waiting):
    at = open_case_page(waiting.id, "kasi")
    assert not at.exception, at.exception
    assert at.text_input(key=f"catatan-{waiting.id}-4-{waiting.version}").label == "Catatan (tidak wajib)"
    assert not [t for t in at.text_area if (t.key or "").startswith("catatan-")]
