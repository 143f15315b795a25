"""A corpus of village files as they really arrive, good and bad, read by lib/rentan/ and taken through
rentan.check_upload / rentan.accept against a database (SQLite, and PostgreSQL with TEST_DATABASE_URL).

Every file that cannot be used gives its one Indonesian message and leaves validasi_batch, validasi_baris and
calon_penerima as they were; every readable one gives exactly its rows, checking it writes nothing, and
accepting it adds one batch with its valid rows. The files are built here (openpyxl, csv); the password-
protected workbook and the .xls are binaries in tests/data/validasi/ (made by make_fixtures.py there)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lib.base import db
from lib.base.db import CalonPenerima, ValidasiBaris, ValidasiBatch
from lib.rentan import desa as rentan
from lib.rentan import validasi
from lib.rentan.cli import SYSTEM_ACTOR
from lib.rentan.validasi import UploadError, read_upload
from lib.setup import database as setup

from .conftest import prepared_db

DATA = Path(__file__).parent / "data" / "validasi"
TODAY = dt.date(2026, 11, 22)
DESA = "karang-dalo"

SITI = "3201014101900003"    # woman, born 01-01-1990
BUDI = "3201010202850007"    # man, born 02-02-1985
ANI = "3273055505920011"     # woman, born 15-05-1992
PEOPLE = [(SITI, "Siti Aminah", "Valid"), (BUDI, "Budi Santoso", "Meninggal"), (ANI, "Ani Rahayu", "Pindah")]


# ---------------------------------------------------------------------------------------------------------
# Building the files


def save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def simple_xlsx(rows: list[list] | None = None) -> bytes:
    wb = Workbook()
    for r in [["No", "NIK", "Nama", "Status"], *(rows if rows is not None else
                                                [[i, n, nama, s] for i, (n, nama, s) in enumerate(PEOPLE, 1)])]:
        wb.active.append(r)
    return save(wb)


def header_on_row_5() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Validasi"
    ws.append(["PEMERINTAH KABUPATEN KARANGANYAR"])
    ws.append(["DESA KARANG DALO, KECAMATAN JATIPURO"])
    ws.append(["DAFTAR VALIDASI CALON PENERIMA BANTUAN IURAN BPJS KETENAGAKERJAAN"])
    ws.append([])
    ws.append(["No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Status", "Keterangan"])
    ws.append([1, SITI, "Siti Aminah", dt.date(1990, 1, 1), "P", "Dusun Krajan", "Valid", None])
    ws.append([2, BUDI, "Budi Santoso", "02-02-1985", "L", "Dusun Kulon", "Meninggal", "Maret 2024"])
    ws.append([3, ANI, "Ani Rahayu", None, "P", None, "Pindah", None])
    for ref in ("A1:H1", "A2:H2", "A3:H3"):
        ws.merge_cells(ref)
    return save(wb)


def merged_header() -> bytes:
    """A two-row header: No, NIK, Nama merged over rows 4–5, "Hasil Validasi" merged over Status and
    Keterangan, then a row numbering the columns (1)…(6) as government forms do."""
    wb = Workbook()
    ws = wb.active
    ws.append(["DAFTAR VALIDASI DESA KARANG DALO"])
    ws.append([])
    ws.append([])
    ws.append(["No", "NIK", "Nama", "Hasil Validasi", None, "Alamat"])
    ws.append([None, None, None, "Status", "Keterangan", None])
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    for i, (n, nama, s) in enumerate(PEOPLE, 1):
        ws.append([i, n, nama, s, None, f"RT 0{i}"])
    for ref in ("A1:F1", "A4:A5", "B4:B5", "C4:C5", "D4:E4", "F4:F5"):
        ws.merge_cells(ref)
    return save(wb)


def with_cached_results(data: bytes, results: dict[str, tuple[str, str]]) -> bytes:
    """openpyxl writes a formula without its result; Excel saves both. ``results``: cell → (type, value) with
    type ``n`` (number), ``str`` (text) or ``e`` (an error such as #N/A)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for ref, (typ, value) in results.items():
                    kind = "" if typ == "n" else f' t="{typ}"'
                    # openpyxl writes an empty value as <v /> (its own writer) or <v/> (with lxml)
                    text, n = re.subn(rf'<c r="{ref}"><f>(.*?)</f>(?:<v ?/>|<v></v>)',
                                      lambda m, ref=ref, kind=kind, value=value:
                                      f'<c r="{ref}"{kind}><f>{m.group(1)}</f><v>{value}</v>', text)
                    assert n == 1, ref
                body = text.encode()
            z.writestr(item, body)
    return out.getvalue()


def formulas() -> bytes:
    """No, NIK, name and status all computed by formulas (with their saved results), as a village that
    builds its list from another sheet sends it."""
    wb = Workbook()
    ws = wb.active
    ws.append(["No", "NIK", "Nama", "Status"])
    results = {}
    for i, (n, nama, s) in enumerate(PEOPLE, start=2):
        ws.append(["=ROW()-1", f'=TEXT({n},"0")', f'=UPPER("{nama}")', f'=IF(TRUE,"{s}","")'])
        results |= {f"A{i}": ("n", str(i - 1)), f"B{i}": ("str", n), f"C{i}": ("str", nama.upper()),
                    f"D{i}": ("str", s)}
    return with_cached_results(save(wb), results)


def hidden_columns() -> bytes:
    """Helper columns the village hid (an old ID, a lookup key) between the real ones, the NIK column among
    the hidden ones too: hidden cells are still the village's data."""
    wb = Workbook()
    ws = wb.active
    ws.append(["No", "ID DTKS", "NIK", "Kunci", "Nama", "Status"])
    for i, (n, nama, s) in enumerate(PEOPLE, 1):
        ws.append([i, f"DTKS-{i:05d}", n, f"{n}-{i}", nama, s])
    for letter in ("B", "C", "D"):
        ws.column_dimensions[letter].hidden = True
    return save(wb)


def many_sheets() -> bytes:
    """Thirty sheets: instructions, empty ones, a summary, a hidden old list, and the data in the middle."""
    wb = Workbook()
    wb.active.title = "Petunjuk"
    wb.active.append(["Isi lembar Validasi. NIK ditulis sebagai teks."])
    for k in range(1, 15):
        wb.create_sheet(f"Kosong {k}")
    ws = wb.create_sheet("Validasi")
    ws.append(["NIK", "Nama", "Status"])
    for n, nama, s in PEOPLE:
        ws.append([n, nama, s])
    for k in range(15, 28):
        wb.create_sheet(f"Kosong {k}")
    wb.create_sheet("Rekap").append(["Jumlah", "=COUNTA(Validasi!A:A)-1"])
    old = wb.create_sheet("Lama")
    old.append(["NIK", "Nama", "Status"])
    old.append([BUDI, "Budi (data lama)", "Valid"])
    old.sheet_state = "hidden"
    return save(wb)


def two_data_sheets() -> bytes:
    wb = Workbook()
    wb.active.title = "Dusun Krajan"
    wb.active.append(["NIK", "Nama", "Status"])
    wb.active.append([SITI, "Siti Aminah", "Valid"])
    other = wb.create_sheet("Dusun Kulon")
    other.append(["NIK", "Nama", "Status"])
    other.append([BUDI, "Budi Santoso", "Valid"])
    return save(wb)


def csv_file(sep: str, encoding: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(["Daftar validasi Desa Karang Dalo"])
    w.writerow(["NIK", "Nama Lengkap", "Alamat", "Status"])
    w.writerow([SITI, "Siti Aminah", "Jl. Mawar 1, RT 01; RW 02", "Valid"])
    w.writerow([BUDI, "José Santoso", "Dusun Kulon", "Meninggal"])
    w.writerow([ANI, "Ani Rahayu", "Dusun Wetan", "Pindah"])
    return buf.getvalue().encode(encoding)


def rows_at_limit(n: int) -> bytes:
    return simple_xlsx([[i, f"320101{1 + i % 28:02d}0190{i + 1:04d}", f"Orang {i}", "Valid"] for i in range(n)])


# ---------------------------------------------------------------------------------------------------------
# The corpus


@dataclass(frozen=True)
class Case:
    id: str
    filename: str
    make: Callable[[], bytes]
    message: str | None = None                       # a file-level error with this text …
    rows: tuple[tuple[int, str, str, str], ...] = ()  # … or these importable rows: (excel row, NIK, name, status)
    max_rows: int | None = None                      # validasi.MAX_ROWS for this case


def people_at(*excel_rows: int, names: tuple[str, ...] = ()) -> tuple[tuple[int, str, str, str], ...]:
    codes = {"Valid": "valid", "Meninggal": "meninggal", "Pindah": "pindah"}
    return tuple((r, n, names[k] if names else nama, codes[s])
                 for k, (r, (n, nama, s)) in enumerate(zip(excel_rows, PEOPLE)))


def truncated(cut: float) -> Callable[[], bytes]:
    def make() -> bytes:
        data = header_on_row_5()
        return data[:int(len(data) * cut)]
    return make


BAD = [
    Case("empty", "desa.xlsx", lambda: b"", "Berkas kosong"),
    Case("empty-csv", "desa.csv", lambda: b"", "Berkas kosong"),
    Case("blank-csv", "desa.csv", lambda: b" \r\n\r\n;;;\r\n", "Berkas kosong"),
    Case("no-cells", "desa.xlsx", lambda: save(Workbook()), "Berkas kosong"),
    Case("random-bytes", "desa.xlsx", lambda: random.Random(6).randbytes(8192), "isinya bukan berkas Excel"),
    Case("truncated-zip-half", "desa.xlsx", truncated(0.5), "tidak dapat dibaca sebagai Excel"),
    Case("truncated-zip-end", "desa.xlsx", truncated(0.97), "tidak dapat dibaca sebagai Excel"),
    Case("password", "desa.xlsx", lambda: (DATA / "terkunci.xlsx").read_bytes(), "dilindungi kata sandi"),
    Case("no-columns", "desa.xlsx", lambda: save_rows([["Nomor", "Nama Warga", "Catatan"], [1, "Siti", ""]]),
         "Baris judul kolom tidak ditemukan"),
    Case("no-status-column", "desa.xlsx", lambda: save_rows([["NIK", "Nama"], [SITI, "Siti"]]),
         "Kolom Status tidak ditemukan"),
    Case("header-too-low", "desa.xlsx",
         lambda: save_rows([[]] * 40 + [["NIK", "Nama", "Status"], [SITI, "S", "Valid"]]),
         "Baris judul kolom tidak ditemukan"),
    Case("two-data-sheets", "desa.xlsx", two_data_sheets, "lebih dari satu lembar"),
    Case("over-row-limit", "desa.xlsx", lambda: rows_at_limit(11), "11 baris data, lebih dari batas 10 baris",
         max_rows=10),
    Case("word-document", "desa.xlsx", lambda: zip_of({"word/document.xml": "<w:document/>"}),
         "tidak dapat dibaca sebagai Excel"),
    Case("pdf-named-csv", "desa.csv", lambda: b"%PDF-1.7\x00\x01\x02\x03\xff" * 200, "bukan berkas CSV"),
]

GOOD = [
    Case("header-on-row-5", "desa.xlsx", header_on_row_5, rows=people_at(6, 7, 8)),
    Case("merged-header-cells", "desa.xlsx", merged_header, rows=people_at(7, 8, 9)),
    Case("formulas", "desa.xlsx", formulas, rows=people_at(2, 3, 4, names=("SITI AMINAH", "BUDI SANTOSO",
                                                                            "ANI RAHAYU"))),
    Case("hidden-columns", "desa.xlsx", hidden_columns, rows=people_at(2, 3, 4)),
    Case("many-sheets", "desa.xlsx", many_sheets, rows=people_at(2, 3, 4)),
    *[Case(f"csv-{name}-{enc}", "desa.csv", (lambda sep=sep, enc=enc: csv_file(sep, enc)),
           rows=people_at(3, 4, 5, names=("Siti Aminah", "José Santoso", "Ani Rahayu")))
      for name, sep in (("comma", ","), ("semicolon", ";")) for enc in ("utf-8", "latin-1")],
    Case("xls", "desa.xls", lambda: (DATA / "desa.xls").read_bytes(),
         rows=((5, SITI, "Siti Aminah", "valid"), (6, BUDI, "Budi Santoso", "meninggal"))),
    Case("at-row-limit", "desa.xlsx", lambda: rows_at_limit(10),
         rows=tuple((i + 2, f"320101{1 + i % 28:02d}0190{i + 1:04d}", f"Orang {i}", "valid") for i in range(10)),
         max_rows=10),
]


def save_rows(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    return save(wb)


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def limit(monkeypatch):
    def apply(case: Case) -> None:
        if case.max_rows is not None:
            monkeypatch.setattr(validasi, "MAX_ROWS", case.max_rows)
    return apply


# ---------------------------------------------------------------------------------------------------------
# Reading (no database)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_a_file_that_cannot_be_used_gives_one_clear_indonesian_message(case, limit):
    limit(case)
    with pytest.raises(UploadError) as exc:
        read_upload(case.make(), case.filename)
    message = exc.value.message
    assert case.message in message
    assert "Traceback" not in message and "Error" not in message and len(message) < 400


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_a_readable_file_gives_exactly_its_rows(case, limit):
    limit(case)
    upload = read_upload(case.make(), case.filename)
    result = validasi.validate(upload, today=TODAY)
    assert not result.errors, [p.message for p in result.errors]
    assert tuple((r.excel_row, r.nik, r.nama, r.status) for r in result.valid_rows) == case.rows


def test_random_bytes_under_any_excel_name_or_size_give_a_message_never_a_crash():
    rnd = random.Random(2026)
    for size in (1, 2, 7, 100, 5000):
        for name in ("desa.xlsx", "desa.xls", "desa.ods", "desa.csv"):
            data = rnd.randbytes(size)
            try:
                read_upload(data, name)
            except UploadError as err:
                assert err.message
            # a few random bytes may decode as a text file without a header: that is an UploadError too


def test_every_cut_of_a_real_workbook_is_refused_with_a_message():
    data = header_on_row_5()
    for cut in range(0, len(data), max(1, len(data) // 25)):
        with pytest.raises(UploadError):
            read_upload(data[:cut], "desa.xlsx")


def test_the_merged_header_names_columns_by_their_lower_heading_and_the_report_keeps_both_rows():
    upload = read_upload(merged_header(), "desa.xlsx")
    assert (upload.header_row, [r for r, _ in upload.below_header]) == (4, [5, 6])
    assert {f: (c.letter, c.heading) for f, c in upload.columns.items()} == {
        "nik": ("B", "NIK"), "nama": ("C", "Nama"), "status": ("D", "Status"), "keterangan": ("E", "Keterangan"),
        "alamat": ("F", "Alamat")}
    report = validasi.error_report(upload, validasi.validate(upload, today=TODAY))
    again = read_upload(report, "laporan.xlsx")
    assert [r.excel_row for r in again.rows] == [7, 8, 9] and again.header_row == 4


def test_a_title_row_that_happens_to_name_a_column_does_not_swallow_the_real_header():
    data = save_rows([["Hasil validasi desa"], ["NIK", "Nama", "Status"], [SITI, "Siti", "Valid"]])
    upload = read_upload(data, "desa.xlsx")
    assert upload.header_row == 2 and upload.below_header == () and len(upload.rows) == 1


def test_a_data_row_right_below_the_header_is_never_taken_for_a_heading_row():
    data = save_rows([["No", "NIK", "Nama", "Status"], [1, None, "Siti", "Valid"], [2, 3, 4, "Valid"]])
    upload = read_upload(data, "desa.xlsx")
    assert upload.below_header == () and [r.excel_row for r in upload.rows] == [2, 3]


# ---------------------------------------------------------------------------------------------------------
# Through rentan.check_upload / rentan.accept, against a database


def _build(url: str) -> None:
    setup.init(url)
    with db.session_factory(url).begin() as s:
        rentan.seed_demo(s)


@pytest.fixture
def sf(db_url, tmp_path_factory):
    return db.session_factory(prepared_db(db_url, tmp_path_factory, "validasi-files", _build))


def counts(sf) -> tuple[int, int, int, int]:
    with sf() as s:
        return (s.scalar(select(func.count(ValidasiBatch.id))), s.scalar(select(func.count(ValidasiBaris.id))),
                s.scalar(select(func.count(CalonPenerima.id))),
                s.scalar(select(func.count(CalonPenerima.id)).where(CalonPenerima.status_validasi.is_not(None))))


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_a_bad_file_changes_nothing_in_the_database(sf, case, limit):
    limit(case)
    before = counts(sf)
    with pytest.raises(UploadError) as exc, sf.begin() as s:
        rentan.check_upload(s, SYSTEM_ACTOR, DESA, case.make(), case.filename)
    assert case.message in exc.value.message
    assert counts(sf) == before


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_a_readable_file_is_checked_without_writing_and_accepted_with_exactly_its_rows(sf, case, limit):
    limit(case)
    before = counts(sf)
    with sf.begin() as s:
        checked = rentan.check_upload(s, SYSTEM_ACTOR, DESA, case.make(), case.filename)
    assert counts(sf) == before
    with sf.begin() as s:
        done = rentan.accept(s, SYSTEM_ACTOR, checked)
    assert done.imported == len(case.rows) and not done.already
    assert counts(sf) == (before[0] + 1, before[1] + len(case.rows), before[2], before[3])
    with sf() as s:
        stored = s.execute(select(ValidasiBaris.excel_row, ValidasiBaris.nik, ValidasiBaris.nama,
                                  ValidasiBaris.status).order_by(ValidasiBaris.excel_row)).all()
    assert tuple(tuple(r) for r in stored) == case.rows
