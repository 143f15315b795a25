"""python -m lib desa validate / desa import: a village file checked from the shell (no database, nothing
written) and imported into a desa in one transaction, as the system."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib.base import db
from lib.base.db import AuditEntry, CalonPenerima, ValidasiBaris, ValidasiBatch, WorkflowHistory
from lib.rentan import desa as rentan
from lib.setup import database as setup

from .cli import ROOT, run, run_process

DATA = Path(__file__).parent / "data" / "validasi"
SITI = "3201014101900003"
BUDI = "3201010202850007"
ANI = "3273055505920011"
KEYS = {"rows_total", "rows_valid", "rows_invalid", "rows_warning", "errors", "file_error"}


def workbook(rows: list[list], path: Path) -> Path:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


@pytest.fixture
def mixed(tmp_path) -> Path:
    """Two valid rows (one with a NIK typed as a number: a warning), a 15-digit NIK, a repeated NIK, a
    misspelt status; a letterhead above the header."""
    return workbook([["DESA KARANG DALO"], [], ["No", "NIK", "Nama", "Status"],
                     [1, SITI, "Siti Aminah", "Valid"],
                     [2, int(BUDI), "Budi Santoso", "Meninggal"],
                     [3, "320101020285000", "Tono", "Valid"],
                     [4, SITI, "Siti lagi", "Valid"],
                     [5, ANI, "Ani Rahayu", "Menigal"]], tmp_path / "desa.xlsx")


@pytest.fixture
def good(tmp_path) -> Path:
    return workbook([["NIK", "Nama", "Status"], [SITI, "Siti Aminah", "Valid"], [BUDI, "Budi Santoso", "Pindah"]],
                    tmp_path / "baik.xlsx")


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-desa") / "portal.db"
    url = f"sqlite:///{path}"
    setup.init(url)
    with db.session_factory(url).begin() as s:
        rentan.seed_demo(s)
    db.get_engine(url).dispose()
    return path


@pytest.fixture
def url(tmp_path, _template):
    path = tmp_path / "portal.db"
    shutil.copyfile(_template, path)
    return f"sqlite:///{path}"


def counts(url: str) -> tuple[int, int, int, int]:
    with db.session_factory(url)() as s:
        return (s.scalar(select(func.count(ValidasiBatch.id))), s.scalar(select(func.count(ValidasiBaris.id))),
                s.scalar(select(func.count(CalonPenerima.id))),
                s.scalar(select(func.count(CalonPenerima.id)).where(CalonPenerima.status_validasi.is_not(None))))


# ---------------------------------------------------------------------------------------------------------
# desa validate


def test_validate_json_counts_the_rows_and_lists_every_error_by_row_and_column(mixed, tmp_path):
    out = run("desa", "validate", str(mixed), "--json", url=f"sqlite:///{tmp_path / 'none.db'}")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report) == KEYS
    assert (report["rows_total"], report["rows_valid"], report["rows_invalid"], report["rows_warning"]) == (5, 2, 3, 1)
    assert report["file_error"] is None
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (6, "B", "nik_panjang"), (7, "B", "nik_ganda"), (8, "D", "status_tidak_dikenal")]
    assert all(set(e) == {"row", "column", "code", "message"} for e in report["errors"])
    assert report["errors"][1]["message"].startswith("Baris 7, kolom B (NIK): NIK ini sudah tertulis di baris 4")


def test_validate_without_json_prints_a_readable_indonesian_summary(mixed, tmp_path):
    out = run("desa", "validate", str(mixed), url=f"sqlite:///{tmp_path / 'none.db'}")
    assert out.returncode == 0
    text = out.stdout
    for words in ("Berkas desa.xlsx (lembar “Sheet”, judul kolom di baris 3)", "Baris data: 5",
                  "dapat diterima: 2 (di antaranya 1 dengan catatan)", "tidak sah: 3",
                  "Per status: Valid 1, Meninggal 1",
                  "Masalah yang membuat baris tidak sah: 3", "Baris 8, kolom D (Status): Status “Menigal” tidak "
                  "dikenal (maksudnya “Meninggal”?)", "Catatan (baris tetap diterima): 1",
                  "Baris 5, kolom B (NIK): NIK diketik sebagai angka"):
        assert words in text, words


def test_validate_of_a_file_that_cannot_be_read_sets_file_error_and_exits_2(tmp_path):
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"\x00\x01 ini bukan excel " * 50)
    out = run("desa", "validate", str(bad), "--json", url=f"sqlite:///{tmp_path / 'none.db'}")
    assert out.returncode == 2
    report = json.loads(out.stdout)
    assert set(report) == KEYS and report["rows_total"] == 0 and report["errors"] == []
    assert "bukan berkas Excel" in report["file_error"]
    assert out.stderr.startswith("Galat: ") and "Traceback" not in out.stderr


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "tidak-ada.xlsx", "berkas tidak ada"),
    (lambda p: p, "folder"),
    (lambda p: (p / "terkunci.xlsx").write_bytes((DATA / "terkunci.xlsx").read_bytes()) and p / "terkunci.xlsx",
     "kata sandi"),
], ids=["missing", "directory", "password"])
def test_validate_names_the_problem_of_an_unreadable_file_in_indonesian(tmp_path, make, words):
    out = run("desa", "validate", str(make(tmp_path)), url=f"sqlite:///{tmp_path / 'none.db'}")
    assert out.returncode == 2 and words in out.stderr and out.stdout == ""


def test_validate_needs_and_touches_no_database(mixed, tmp_path):
    nowhere = tmp_path / "tidak" / "ada" / "portal.db"
    out = run("desa", "validate", str(mixed), "--json", url=f"sqlite:///{nowhere}")
    assert out.returncode == 0 and not nowhere.parent.exists()


def test_validate_as_its_own_process_starts_without_the_database_or_spreadsheet_writers(mixed):
    """The real command: its output, and the modules it loads (python -X importtime lists every import)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "lib", "desa", "validate", str(mixed), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/portal.db"})
    assert proc.returncode == 0 and json.loads(proc.stdout)["rows_valid"] == 2
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "python_calamine" not in loaded  # Excel is read in a child process (lib/base/rows.py)
    assert not loaded & {"sqlalchemy", "alembic", "pandas", "numpy", "streamlit", "plotly", "openpyxl", "babel"}


def test_validate_as_its_own_process_exits_2_for_a_bad_file(tmp_path):
    (tmp_path / "kosong.csv").write_bytes(b"")
    proc = run_process("desa", "validate", str(tmp_path / "kosong.csv"), "--json", url="sqlite:////nonexistent/x.db")
    assert proc.returncode == 2 and json.loads(proc.stdout)["file_error"].startswith("Berkas kosong")
    assert "Galat: Berkas kosong" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------------------
# desa import


def test_import_stores_the_valid_rows_in_one_batch_as_the_system_and_says_so(mixed, url):
    before = counts(url)
    out = run("desa", "import", str(mixed), "--desa", "karang-dalo", url=url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Desa Karang Dalo, Kec. Jatipuro: 2 baris dari desa.xlsx diterima (batch ")
    assert "3 baris tidak sah dilewati; daftarnya: python -m lib desa validate" in out.stdout
    assert counts(url) == (before[0] + 1, before[1] + 2, before[2], before[3])
    with db.session_factory(url)() as s:
        batch = s.scalars(select(ValidasiBatch)).one()
        assert (batch.desa_kode, batch.rows_total, batch.rows_imported, batch.rows_invalid, batch.uploaded_by) == \
            ("karang-dalo", 5, 2, 3, None)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "impor_validasi")).one()
        assert (entry.user_id, entry.username) == (None, "sistem")
        assert s.scalar(select(WorkflowHistory.to_state).where(WorkflowHistory.object_type == "validasi_batch")) \
            == "diterima"


def test_import_json_and_the_same_file_again_changes_nothing(good, url):
    first = json.loads(run("desa", "import", str(good), "--desa", "karang-dalo", "--json", url=url).stdout)
    assert first == {"desa": "karang-dalo", "file": "baik.xlsx", "batch_id": first["batch_id"],
                     "already_imported": False, "rows_total": 2, "rows_imported": 2, "rows_invalid": 0,
                     "rows_warning": 2, "candidates_updated": 0}  # warnings: not in the desa's reference data
    after = counts(url)
    again = run("desa", "import", str(good), "--desa", "karang-dalo", url=url)
    assert again.returncode == 0 and "sudah diterima" in again.stdout and "Tidak ada yang berubah" in again.stdout
    assert counts(url) == after


def test_import_updates_the_status_of_the_desas_own_candidates(tmp_path, url):
    with db.session_factory(url)() as s:
        cands = list(s.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == "karang-dalo")))
    path = workbook([["NIK", "Nama", "Status"], *[[c.nik, c.nama, "Sudah Terdaftar BPJS"] for c in cands]],
                    tmp_path / "calon.xlsx")
    out = json.loads(run("desa", "import", str(path), "--desa", "karang-dalo", "--json", url=url).stdout)
    assert out["candidates_updated"] == len(cands) == out["rows_imported"] and out["rows_warning"] == 0
    with db.session_factory(url)() as s:
        assert set(s.scalars(select(CalonPenerima.status_validasi).where(CalonPenerima.desa_kode == "karang-dalo"))) \
            == {"sudah_terdaftar_bpjs"}


@pytest.mark.parametrize("args, words", [
    (["--desa", "desa-antah"], "Desa/kelurahan “desa-antah” tidak ada"),
    (["--desa", "karang-dalo", "--bad-file"], "bukan berkas Excel"),
    (["--desa", "karang-dalo", "--password"], "kata sandi"),
    (["--desa", "karang-dalo", "--no-valid-rows"], "Tidak ada baris yang sah"),
    (["--desa", "karang-dalo", "--missing"], "berkas tidak ada"),
], ids=["unknown-desa", "not-excel", "password", "no-valid-rows", "missing-file"])
def test_import_refusal_exits_2_with_a_clear_message_and_writes_nothing(good, tmp_path, url, args, words):
    path = good
    if "--bad-file" in args:
        path = tmp_path / "rusak.xlsx"
        path.write_bytes(b"<html>bukan excel</html>")
    elif "--password" in args:
        path = tmp_path / "terkunci.xlsx"
        shutil.copyfile(DATA / "terkunci.xlsx", path)
    elif "--no-valid-rows" in args:
        path = workbook([["NIK", "Nama", "Status"], ["123", "Rusak", "Valid"]], tmp_path / "salah.xlsx")
    elif "--missing" in args:
        path = tmp_path / "tidak-ada.xlsx"
    before = counts(url)
    with db.session_factory(url)() as s:
        audits = s.scalar(select(func.count(AuditEntry.id)))
    out = run("desa", "import", str(path), *args[:2], url=url)
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr
    assert counts(url) == before
    with db.session_factory(url)() as s:
        assert s.scalar(select(func.count(AuditEntry.id))) == audits


def test_import_without_desa_is_a_usage_error(good, url):
    out = run("desa", "import", str(good), url=url)
    assert out.returncode == 2 and "--desa" in out.stderr and counts(url)[:2] == (0, 0)
