"""A person's data on request (UU 27/2022, lib/pribadi/permintaan.py): one logged XLSX of everything held about one
NIK and nothing about anyone else, on SQLite and PostgreSQL; and its section of the audit page (AppTest)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lib.base import db
from lib.base.db import AuditEntry, CalonPenerima, Setting
from lib.base.errors import UserError
from lib.base.permissions import PermissionDenied
from lib.casework import case_files, cases, register
from lib.casework import nik as nik_rules
from lib.pribadi import permintaan
from lib.rentan import bpjs, kohort

from .conftest import prepared_db
from .test_kohort import _prepare, bpjs_answer, letter_answered, new_kohort
from .test_pages import open_app, texts
from .test_rentan import actor

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: Two people on Karang Dalo's demo candidate list.
SUPARMI = "3313014101600001"


@pytest.fixture
def sf(db_url, tmp_path_factory):
    return db.session_factory(prepared_db(db_url, tmp_path_factory, "kohort", _prepare))


def _apply(s, nik: str, nama: str) -> cases.CaseView:
    values = {"nama": nama, "nik": nik, "tanggal_lahir": dt.date(1960, 1, 1), "jenis_kelamin": "Perempuan",
              "pendidikan": "SD"}
    documents = {"fc_ktp": True, "fc_ijazah": True, "foto_3x4": True, "foto_2x3": True}
    view, _ = cases.intake(s, actor(s, "stafku"), "kartu-ak1", values, documents)
    return view


def _world(s) -> dict:
    """Suparmi and another candidate of Karang Dalo: each has a case whose full NIK the staff viewed and searched,
    both are in the accepted validation file, the cohort and BPJS's answer."""
    other = s.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == "karang-dalo",
                                                  CalonPenerima.nik != SUPARMI).order_by(CalonPenerima.id)).first()
    mine, theirs = _apply(s, SUPARMI, "Suparmi"), _apply(s, other.nik, other.nama)
    staf = actor(s, "stafku")
    case_files.add_comment(s, staf, mine.id, "KTP asli sudah dilihat.")
    case_files.add_comment(s, staf, theirs.id, "Komentar tentang orang lain.")
    case_files.attach(s, staf, mine.id, "ktp-suparmi.pdf", PDF)
    for view, nik in ((mine, SUPARMI), (theirs, other.nik)):
        nik_rules.reveal(s, staf, nik, "case", view.id)
        register.search(s, staf, nik)
    kid = new_kohort(s)
    letter_answered(s, kid)
    kohort.take_validated(s, staf, kid)
    bpjs.bpjs_import(s, staf, kid, bpjs_answer(s, kid, set()), "jawaban-bpjs.xlsx")
    return {"mine": mine.register_no, "theirs": theirs.register_no, "other": other}


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
            for ws in wb.worksheets}


def _table(sheets, name) -> list[dict]:
    """The rows of a data sheet as dicts (title, count, header, then the rows)."""
    header, *rows = sheets[name][2:]
    return [dict(zip(header, r)) for r in rows]


def test_the_export_holds_the_persons_case_candidate_row_upload_and_nik_views_and_nothing_about_another(sf):
    with sf.begin() as s:
        world = _world(s)
        got = permintaan.export(s, actor(s, "kadisku"), SUPARMI)
    sheets = _sheets(got.data)
    assert list(sheets)[0] == "Ringkasan"
    (case,) = _table(sheets, "Permohonan")
    assert (case["No. register"], case["NIK"], case["Nama pemohon"]) == (world["mine"], SUPARMI, "Suparmi")
    values = {(r["Isian"], r["Nilai"]) for r in _table(sheets, "Isian permohonan")}
    assert ("Nama lengkap", "Suparmi") in values and ("Pendidikan terakhir", "SD") in values
    assert _table(sheets, "Langkah permohonan")[0]["No. register"] == world["mine"]
    assert {r["Jenis"] for r in _table(sheets, "Komentar & lampiran")} == {"Komentar", "Lampiran"}
    assert [r["NIK"] for r in _table(sheets, "Calon penerima")] == [SUPARMI]
    assert [r["NIK"] for r in _table(sheets, "Data referensi")] == [SUPARMI]
    assert [r["NIK"] for r in _table(sheets, "Baris validasi")] == [SUPARMI]
    (upload,) = _table(sheets, "Unggahan validasi")
    assert (upload["Berkas"], upload["Desa/Kelurahan"], upload["Oleh"]) == ("karang-dalo.xlsx", "Karang Dalo",
                                                                            "Stafku (stafku)")
    assert [r["NIK"] for r in _table(sheets, "Peserta kohort")] == [SUPARMI]
    assert [r["Berkas jawaban"] for r in _table(sheets, "Jawaban BPJS")] == ["jawaban-bpjs.xlsx"]
    access = _table(sheets, "Akses NIK")
    links = [r["Kaitan"] for r in access]
    assert f"NIK lengkap ditampilkan pada berkas {world['mine']}" in links
    assert "Pencarian berkas menurut NIK ini" in links
    assert any(k.startswith("Unduhan daftar kohort") for k in links)  # the BPJS list carried the full NIK
    assert {r["Pengguna"] for r in access if r["Aksi"] == "Lihat NIK lengkap"} == {"Stafku (stafku)"}
    other = world["other"]
    cells = "\n".join(str(v) for rows in sheets.values() for r in rows for v in r if v is not None)
    for trace in (other.nik, other.nama, world["theirs"], "Komentar tentang orang lain", nik_rules.mask(other.nik)):
        assert trace not in cells, trace


def test_an_actor_without_the_permission_is_refused_and_nothing_is_logged(sf):
    with sf() as s:
        before = s.scalar(select(func.count(AuditEntry.id)))
    for username in ("stafku", "kabidku", "opdesa"):
        with sf.begin() as s, pytest.raises(PermissionDenied):
            permintaan.export(s, actor(s, username), SUPARMI)
        with sf.begin() as s, pytest.raises(PermissionDenied):  # the permission is checked before the NIK
            permintaan.export(s, actor(s, username), "123")
    with sf() as s:
        assert s.scalar(select(func.count(AuditEntry.id))) == before


def test_the_export_is_logged_with_the_nik_masked_and_the_counts_and_shows_in_the_next_one(sf):
    with sf.begin() as s:
        got = permintaan.export(s, actor(s, "adminku"), SUPARMI)
    with sf() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.username, last.object_type) == ("ekspor_data_pribadi", "adminku", "nik")
    assert last.detail.startswith("NIK 3313********0001: ") and "Calon penerima 1" in last.detail
    assert SUPARMI not in last.detail and SUPARMI not in last.object_id
    assert got.nik_masked == "3313********0001" and SUPARMI not in got.file_name
    with sf.begin() as s:
        again = _sheets(permintaan.export(s, actor(s, "kadisku"), SUPARMI).data)
    (earlier,) = _table(again, "Akses NIK")
    assert (earlier["Pengguna"], earlier["Kaitan"]) == ("Adminku (adminku)", "Unduhan data pribadi NIK ini")


@pytest.mark.parametrize("typed, message", [
    ("3313 0141 0160", "NIK harus 16 angka"),
    ("9913014101600001", "Kode provinsi “99” pada NIK tidak ada."),
    ("3313019901600001", "bukan tanggal yang sah"),
    ("", "NIK kosong."),
])
def test_a_bad_nik_is_refused_in_indonesian_and_nothing_is_logged(sf, typed, message):
    with sf() as s:
        before = s.scalar(select(func.count(AuditEntry.id)))
    with sf.begin() as s, pytest.raises(UserError, match="NIK tidak dapat dicari") as err:
        permintaan.export(s, actor(s, "kadisku"), typed)
    assert message in str(err.value)
    with sf() as s:
        assert s.scalar(select(func.count(AuditEntry.id))) == before


def test_a_nik_the_portal_does_not_hold_gives_a_workbook_saying_tidak_ada_data_on_every_sheet(sf):
    with sf.begin() as s:
        got = permintaan.export(s, actor(s, "kadisku"), "3313015505900007")
    assert got.total == 0
    summary = _sheets(got.data)["Ringkasan"]
    pairs = {r[:2] for r in summary}
    assert ("NIK yang dicari", "3313015505900007") in pairs and ("Dicari oleh", "Kadisku (kadisku)") in pairs
    listed = [r for r in summary if r[2] == 0]
    assert len(listed) == len(got.counts) == 12 and all(r[3] == "tidak ada data" for r in listed)


def test_the_log_names_a_searched_nik_by_a_keyed_fingerprint_never_in_full(sf):
    with sf.begin() as s:
        register.search(s, actor(s, "stafku"), SUPARMI)
        register.search(s, actor(s, "kabidku"), "3313 0141 0160 0001")
        key = s.get(Setting, nik_rules.FINGERPRINT_KEY_SETTING).value["key"]
    with sf() as s:
        searches = s.scalars(select(AuditEntry).where(AuditEntry.action == "cari_nik")).all()
        assert len({e.object_id for e in searches}) == 1 and searches[0].object_type == "nik"
        assert all(SUPARMI not in (e.detail + e.object_id) for e in searches)
        fingerprint = nik_rules.fingerprint(s, SUPARMI)
        assert searches[0].object_id == fingerprint != nik_rules.fingerprint(s, "3313010806630002")
    assert hashlib.sha256(SUPARMI.encode()).hexdigest()[:32] != searches[0].object_id and len(key) == 64


# --- the page ---------------------------------------------------------------------------------------------------
def test_the_audit_page_gives_the_kepala_dinas_a_persons_data_as_one_download(app_db):
    at = open_app("admin-audit", user="kadis")
    assert "Data pribadi atas permintaan" in texts(at) and not at.get("download_button")
    at.text_input(key="dp_nik").input("33130141016000")
    at.button(key="FormSubmitter:data_pribadi-Cari dan siapkan berkas").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value.startswith("NIK tidak dapat dicari: NIK harus 16 angka")
    assert not at.get("download_button")
    at.text_input(key="dp_nik").input(SUPARMI)
    at.button(key="FormSubmitter:data_pribadi-Cari dan siapkan berkas").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "2 baris tentang NIK 3313********0001 ditemukan."
    assert set(at.dataframe[-1].value["Lembar"]) == {"Data referensi", "Calon penerima"}
    assert len(at.get("download_button")) == 1


def test_the_audit_page_says_so_when_the_portal_holds_nothing_about_the_nik(app_db):
    at = open_app("admin-audit", user="admin")
    at.text_input(key="dp_nik").input("3313015505900007")
    at.button(key="FormSubmitter:data_pribadi-Cari dan siapkan berkas").click().run()
    assert not at.exception, at.exception
    assert at.info[-1].value.startswith("Tidak ada data tentang NIK 3313********0007 di portal.")
    assert len(at.get("download_button")) == 1
