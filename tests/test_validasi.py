"""Village validation files (lib/rentan/): the template, reading XLSX/XLS/CSV as villages send them, the
row rules on top of the NIK rules of lib/casework/nik.py, and the error report. Test files are built here with
openpyxl and csv; the two binaries openpyxl cannot write (an .xls and an encrypted .xlsx) are in
tests/data/validasi/ with the script that made them."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from lib.casework import nik
from lib.rentan import validasi
from lib.rentan.validasi import UploadError, read_upload, template_workbook, validate

TODAY = dt.date(2026, 11, 22)
DATA = Path(__file__).parent / "data" / "validasi"
HEAD = ["No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Status", "Keterangan"]

SITI = "3201014101900003"    # woman, born 01-01-1990
BUDI = "3201010202850007"    # man, born 02-02-1985
ANI = "3273055505920011"     # woman, born 15-05-1992


def build(prov: int, reg: int, dist: int, born: dt.date, woman: bool, serial: int) -> str:
    day = born.day + (40 if woman else 0)
    return f"{prov:02d}{reg:02d}{dist:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def xlsx(rows: list[list], title: str = "Sheet1", more: dict[str, list[list]] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    for name, extra in (more or {}).items():
        other = wb.create_sheet(name)
        for r in extra:
            other.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[str]], sep: str = ",", encoding: str = "utf-8") -> bytes:
    import csv
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def simple(*rows: list) -> bytes:
    """Header on row 1 (NIK, Nama, Status, Tanggal Lahir, Jenis Kelamin); data from row 2."""
    return xlsx([["NIK", "Nama", "Status", "Tanggal Lahir", "Jenis Kelamin"], *rows])


def check(data: bytes, name: str = "desa.xlsx", reference: set[str] | None = None):
    upload = read_upload(data, name)
    return upload, validate(upload, reference, today=TODAY)


def problems_of(result, row: int) -> list[tuple[str, str]]:
    return [(p.code, p.level) for p in result.problems if p.excel_row == row]


def file_error(data: bytes, name: str, **kw) -> str:
    with pytest.raises(UploadError) as exc:
        read_upload(data, name, **kw)
    return exc.value.message


# ---------------------------------------------------------------------------------------------------------
# Finding the header and the columns


def test_the_header_row_is_found_below_a_letterhead_and_title_rows():
    rows = [["PEMERINTAH KABUPATEN CONTOH"], ["DESA SUKAMAJU, KECAMATAN CIBARU"],
            ["DAFTAR VALIDASI CALON PENERIMA BPJS KETENAGAKERJAAN TAHUN 2026"], [],
            ["No.", "No. NIK", "NAMA PENERIMA", "Tgl Lahir", "L/P", "Alamat", "Hasil Validasi", "Ket"],
            [1, SITI, "Siti Aminah", "01-01-1990", "P", "Dusun Krajan", "Valid", ""],
            [2, BUDI, "Budi Santoso", "02/02/1985", "L", "Dusun Kulon", "Meninggal", "Maret 2024"]]
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    ws.merge_cells("A1:H1")
    ws.merge_cells("A3:H3")
    buf = io.BytesIO()
    wb.save(buf)
    upload, result = check(buf.getvalue())
    assert upload.header_row == 5
    assert [r.excel_row for r in upload.rows] == [6, 7]
    assert {f: c.letter for f, c in upload.columns.items()} == {
        "nik": "B", "nama": "C", "tanggal_lahir": "D", "jenis_kelamin": "E", "alamat": "F", "status": "G",
        "keterangan": "H"}
    assert upload.columns["nik"].heading == "No. NIK"
    assert [a for a, _ in upload.above_header] == [1, 2, 3]
    assert result.summary.valid == 2 and not result.problems
    assert [(r.nik, r.status, r.tanggal_lahir, r.jenis_kelamin) for r in result.valid_rows] == [
        (SITI, "valid", dt.date(1990, 1, 1), "P"), (BUDI, "meninggal", dt.date(1985, 2, 2), "L")]


@pytest.mark.parametrize("nik_h, nama_h, status_h", [
    ("NIK", "Nama", "Status"),
    ("NIK KTP", "Nama Lengkap", "Status Validasi"),
    ("Nomor Induk Kependudukan", "NAMA PENERIMA", "Hasil Validasi"),
    ("No. NIK", "nama  lengkap", "STATUS"),
])
def test_column_names_are_matched_loosely(nik_h, nama_h, status_h):
    upload, result = check(xlsx([["No. KK", "Nama Ibu Kandung", "Status Perkawinan", nik_h, nama_h, status_h],
                                 ["3201010101010001", "Ibu", "Kawin", SITI, "Siti Aminah", "Layak"]]))
    assert {f: c.letter for f, c in upload.columns.items()} == {"nik": "D", "nama": "E", "status": "F"}
    assert [(r.nik, r.nama, r.status) for r in result.valid_rows] == [(SITI, "Siti Aminah", "valid")]


def test_the_data_sheet_is_found_behind_an_instructions_sheet():
    data = xlsx([["Petunjuk"], ["NIK harus 16 angka"], ["Status: pilih dari daftar"]], title="Petunjuk",
                more={"Data": [["NIK", "Nama", "Status"], [SITI, "Siti", "Valid"]]})
    upload, result = check(data)
    assert upload.sheet == "Data" and result.summary.valid == 1


def test_a_hidden_sheet_and_a_hidden_column_do_not_hide_or_add_data():
    wb = Workbook()
    ws = wb.active
    ws.title = "Validasi"
    for r in (["Nama", "NIK", "Status"], ["Siti", SITI, "Valid"]):
        ws.append(r)
    ws.column_dimensions["B"].hidden = True
    old = wb.create_sheet("Lama")
    for r in (["Nama", "NIK", "Status"], ["Budi", BUDI, "Valid"]):
        old.append(r)
    old.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    upload, result = check(buf.getvalue())
    assert upload.sheet == "Validasi" and [r.nik for r in result.valid_rows] == [SITI]


def test_a_second_sheet_with_validation_data_is_refused_rather_than_silently_ignored():
    sheet = [["NIK", "Nama", "Status"], [SITI, "Siti", "Valid"]]
    message = file_error(xlsx(sheet, title="Dusun 1", more={"Dusun 2": sheet}), "desa.xlsx")
    assert "lebih dari satu lembar" in message and "Dusun 1" in message and "Dusun 2" in message


# ---------------------------------------------------------------------------------------------------------
# Row rules


def test_a_nik_typed_as_a_number_ending_in_0_is_invalid_because_excel_keeps_15_digits():
    _, result = check(simple([3201010101900010, "Siti", "Valid"]))
    (p,) = result.problems
    assert (p.code, p.level, p.excel_row, p.column) == ("nik_excel", "error", 2, "A")
    assert p.message.startswith("Baris 2, kolom A (NIK): ") and "15 angka" in p.message
    assert result.summary.invalid == 1 and not result.valid_rows


def test_a_nik_typed_as_a_number_not_ending_in_0_is_valid_with_a_warning_to_use_text():
    _, result = check(simple([int(BUDI), "Budi", "Valid"]))
    assert problems_of(result, 2) == [("nik_angka", "warning")]
    assert result.valid_rows[0].nik == BUDI and result.summary.valid_with_warning == 1


@pytest.mark.parametrize("name, make", [
    ("desa.xlsx", lambda v: simple([v, "Siti", "Valid"])),
    ("desa.csv", lambda v: csv_bytes([["NIK", "Nama", "Status"], [v, "Siti", "Valid"]])),
])
def test_scientific_notation_text_is_excel_damage(name, make):
    _, result = check(make("3.20101E+15"), name)
    assert problems_of(result, 2) == [("nik_excel", "error")]
    assert "angka ilmiah" in result.problems[0].message


def test_a_repeated_nik_makes_the_later_row_invalid_naming_the_earlier_row():
    _, result = check(simple([SITI, "Siti", "Valid"], [BUDI, "Budi", "Valid"], [f"'{SITI[:4]} {SITI[4:]}", "Siti A",
                                                                                "Valid"]))
    assert problems_of(result, 2) == [] and problems_of(result, 4) == [("nik_ganda", "error")]
    assert "baris 2" in result.problems[0].message
    assert [r.excel_row for r in result.valid_rows] == [2, 3]


@pytest.mark.parametrize("written, code", [
    ("Valid", "valid"), ("layak", "valid"), ("  VALID  ", "valid"), ("Valid / Layak", "valid"),
    ("Tidak Valid", "tidak_valid"), ("tidak   layak", "tidak_valid"), ("Meninggal", "meninggal"),
    ("PINDAH", "pindah"), ("Sudah Terdaftar BPJS", "sudah_terdaftar_bpjs"),
    ("sudah\u00a0terdaftar  bpjs", "sudah_terdaftar_bpjs"),
])
def test_status_is_case_insensitive_tolerates_extra_spaces_and_gets_a_canonical_code(written, code):
    _, result = check(simple([SITI, "Siti", written]))
    assert [r.status for r in result.valid_rows] == [code]


def test_a_misspelt_or_missing_status_makes_the_row_invalid_and_suggests_the_right_one():
    _, result = check(simple([SITI, "Siti", "Menigal"], [BUDI, "Budi", None]))
    assert problems_of(result, 2) == [("status_tidak_dikenal", "error")]
    assert problems_of(result, 3) == [("status_kosong", "error")]
    msg = result.problems[0].message
    assert msg.startswith("Baris 2, kolom C (Status): ") and "“Meninggal”?" in msg and "Sudah Terdaftar BPJS" in msg


def test_a_missing_nik_or_name_makes_the_row_invalid():
    _, result = check(simple([None, "Siti", "Valid"], [BUDI, "  ", "Valid"]))
    assert problems_of(result, 2) == [("nik_kosong", "error")]
    assert problems_of(result, 3) == [("nama_kosong", "error")]
    assert result.summary.invalid == 2


def test_the_nik_rules_of_lib_nik_apply_to_every_row():
    _, result = check(simple(["320101010190003", "A", "Valid"], ["2001010101900003", "B", "Valid"],
                             ["3201013202900003", "C", "Valid"], ["3201010101900000", "D", "Valid"]))
    assert [c for p in result.problems for c in [p.code]] == ["nik_panjang", "nik_provinsi", "nik_tanggal", "nik_urut"]
    assert result.problems[0].message.startswith("Baris 2, kolom A (NIK): NIK harus 16 angka")


def test_a_womans_day_plus_40_is_accepted_and_a_disagreeing_sex_or_birth_date_is_only_a_warning():
    upload, result = check(simple([SITI, "Siti", "Valid", "01-01-1990", "P"],
                                  [SITI[:6] + "41019" + "00004", "Sita", "Valid", "01-01-1990", "L"],
                                  [BUDI, "Budi", "Valid", dt.date(1986, 2, 2), "Laki-laki"]))
    assert problems_of(result, 2) == []
    assert problems_of(result, 3) == [("nik_jk_beda", "warning")]
    assert result.problems[0].column == upload.columns["jenis_kelamin"].letter == "E"
    assert problems_of(result, 4) == [("nik_tanggal_beda", "warning")]
    assert result.problems[1].column == "D"
    assert result.summary.valid == 3 and result.summary.valid_with_warning == 2


def test_a_nik_missing_from_the_reference_data_is_a_warning_not_a_rejection():
    _, result = check(simple([SITI, "Siti", "Valid"], [BUDI, "Budi", "Valid"]), reference={SITI})
    assert problems_of(result, 2) == [] and problems_of(result, 3) == [("nik_bukan_rujukan", "warning")]
    assert result.summary.valid == 2


def test_completely_empty_rows_are_skipped_and_rows_without_nik_name_and_status_are_set_aside():
    upload, result = check(simple([SITI, "Siti", "Valid"], [], [None, None, None, None, "   "],
                                  [BUDI, "Budi", "Valid"], [None, None, None, "Kepala Desa Sukamaju"]))
    assert [r.excel_row for r in upload.rows] == [2, 5]
    assert [r.excel_row for r in upload.ignored] == [6]
    assert result.summary.rows == 2 and result.summary.ignored == 1


def test_messages_name_the_excel_row_and_the_column_letter_and_heading_the_village_sees():
    rows = [["Daftar validasi"], [], [], [], ["No", "Nama Lengkap", "Nomor NIK", "Status"]]
    rows += [[i, f"Orang {i}", build(32, 1, 1, dt.date(1990, 1, i), False, i), "Valid"] for i in range(1, 7)]
    rows.append([7, "Orang 7", "320101010190007", "Valid"])
    _, result = check(xlsx(rows))
    (p,) = result.problems
    assert p.message == ("Baris 12, kolom C (Nomor NIK): NIK harus 16 angka; tertulis “320101010190007” "
                         "(15 karakter).")


def test_the_summary_counts_rows_and_statuses():
    _, result = check(simple([SITI, "Siti", "Valid"], [BUDI, "Budi", "Pindah"], [ANI, "Ani", "Meninggal"],
                             [int(build(32, 1, 1, dt.date(1970, 3, 3), False, 9)), "Tono", "tidak layak"],
                             ["123", "Rusak", "Valid"]))
    s = result.summary
    assert (s.rows, s.valid, s.valid_with_warning, s.invalid) == (5, 4, 1, 1)
    assert s.per_status == {"valid": 1, "tidak_valid": 1, "meninggal": 1, "pindah": 1, "sudah_terdaftar_bpjs": 0}


@pytest.mark.parametrize("written, expected", [
    (dt.datetime(1990, 1, 31), dt.date(1990, 1, 31)), ("31-01-1990", dt.date(1990, 1, 31)),
    ("31/01/1990", dt.date(1990, 1, 31)), ("1990-01-31", dt.date(1990, 1, 31)), ("31.01.90", dt.date(1990, 1, 31)),
    ("31 Januari 1990", dt.date(1990, 1, 31)), ("31 Agt 1990", dt.date(1990, 8, 31)),
    ("Bandung, 31-01-1990", dt.date(1990, 1, 31)), ("1/31/1990", dt.date(1990, 1, 31)), (32904, dt.date(1990, 1, 31)),
    ("31-02-1990", None), ("kemarin", None),
])
def test_birth_dates_are_read_as_villages_write_them(written, expected):
    assert validasi.parse_date(written, TODAY) == expected


def test_an_unreadable_birth_date_or_sex_is_a_warning():
    _, result = check(simple([SITI, "Siti", "Valid", "kemarin", "X"]))
    assert problems_of(result, 2) == [("tanggal_lahir_tidak_terbaca", "warning"),
                                      ("jenis_kelamin_tidak_dikenal", "warning")]


# ---------------------------------------------------------------------------------------------------------
# File formats


def test_a_semicolon_csv_in_latin1_is_read_with_its_accents_and_text_niks():
    data = csv_bytes([["Daftar validasi desa"], ["NIK", "Nama Lengkap", "Alamat", "Status"],
                      [SITI, "José Ramírez", "Jl. Mawar 1, RT 01", "Valid"],
                      ["3201010101900010", "Budi", "Dusun Kulon", "Pindah"]], sep=";", encoding="latin-1")
    upload, result = check(data, "desa.csv")
    assert (upload.kind, upload.separator, upload.header_row) == ("csv", ";", 2)
    assert not any(r.nik_number_cell for r in upload.rows)
    assert [(r.nama, r.alamat) for r in result.valid_rows] == [("José Ramírez", "Jl. Mawar 1, RT 01"),
                                                               ("Budi", "Dusun Kulon")]


def test_a_tab_separated_utf16_text_file_from_excel_is_read():
    data = csv_bytes([["NIK", "Nama", "Status"], [SITI, "Siti Aminah", "Valid"]], sep="\t", encoding="utf-16")
    upload, result = check(data, "desa.txt")
    assert (upload.separator, upload.encoding) == ("\t", "utf-16") and result.summary.valid == 1


def test_a_comma_csv_in_utf8_with_a_bom_is_read():
    data = b"\xef\xbb\xbf" + csv_bytes([["NIK", "Nama", "Alamat", "Status"], [SITI, "Siti Aminah", "Jl. A, RT 1",
                                                                              "Valid"]])
    upload, result = check(data, "desa.csv")
    assert (upload.separator, upload.encoding) == (",", "utf-8-sig")
    assert upload.columns["nik"].heading == "NIK" and result.valid_rows[0].alamat == "Jl. A, RT 1"


def test_an_xls_file_is_read_with_its_number_cells():
    upload, result = check((DATA / "desa.xls").read_bytes(), "desa.xls")
    assert (upload.kind, upload.sheet, upload.header_row) == ("xls", "Validasi", 4)
    assert [r.nik_number_cell for r in upload.rows] == [False, True]
    assert problems_of(result, 6) == [("nik_angka", "warning")]
    assert [(r.nik, r.tanggal_lahir) for r in result.valid_rows] == [(SITI, dt.date(1990, 1, 1)),
                                                                     (BUDI, dt.date(1985, 2, 2))]


def test_xls_bytes_that_are_really_a_web_page_give_one_clear_message():
    message = file_error(b"<html><table><tr><td>NIK</td></tr></table></html>", "export.xls")
    assert "bukan berkas Excel" in message and "(.xlsx)" in message


def test_a_password_protected_xlsx_is_refused_with_one_message():
    real = file_error((DATA / "terkunci.xlsx").read_bytes(), "desa.xlsx")
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le")
    assert real == file_error(header + b"\x00" * 100, "desa.xlsx")
    assert "kata sandi" in real


@pytest.mark.parametrize("data, name, words", [
    (b"", "desa.xlsx", "Berkas kosong"),
    (b"   \r\n", "desa.csv", "Berkas kosong"),
    (bytes(range(256)) * 8, "desa.xlsx", "isinya bukan berkas Excel"),
    (xlsx([["NIK", "Nama", "Status"], [SITI, "Siti", "Valid"]])[:400], "desa.xlsx", "tidak dapat dibaca"),
    (b"%PDF-1.4\x00\x01\x02\x03" * 50, "desa.csv", "bukan berkas CSV"),
    (b"%PDF-1.4 hello", "desa.pdf", "tidak didukung"),
    (xlsx([]), "desa.xlsx", "Berkas kosong"),
    (xlsx([["NIK", "Nama"], [SITI, "Siti"]]), "desa.xlsx", "Kolom Status tidak ditemukan di baris judul (baris 1)"),
    (xlsx([["Nomor", "Nama Warga", "Catatan"], [1, "Siti", ""]]), "desa.xlsx", "Baris judul kolom tidak ditemukan"),
    (xlsx([["Judul"], ["NIK", "Nama", "Status"]]), "desa.xlsx", "Tidak ada data di bawah baris judul (baris 2)"),
], ids=["empty", "blank-csv", "random-bytes", "truncated-zip", "binary-csv", "pdf", "no-cells", "no-status",
        "no-header", "no-data"])
def test_a_file_level_problem_is_one_clear_message(data, name, words):
    assert words in file_error(data, name)


def test_a_zip_that_is_not_a_spreadsheet_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("foto.txt", "bukan excel")
    assert "tidak dapat dibaca sebagai Excel" in file_error(buf.getvalue(), "desa.xlsx")


def test_a_file_over_the_row_limit_is_refused_and_one_at_the_limit_is_read():
    rows = [[build(32, 1, 1, dt.date(1990, 1, 1 + i % 28), False, i + 1), f"Orang {i}", "Valid"] for i in range(11)]
    assert len(read_upload(simple(*rows[:10]), "desa.xlsx", max_rows=10).rows) == 10
    message = file_error(simple(*rows), "desa.xlsx", max_rows=10)
    assert "11 baris data" in message and "batas 10 baris" in message


def test_the_content_hash_recognises_the_same_file():
    data = simple([SITI, "Siti", "Valid"])
    assert read_upload(data, "a.xlsx").sha256 == read_upload(data, "b.xlsx").sha256 == hashlib.sha256(data).hexdigest()
    assert read_upload(simple([SITI, "Siti", "Pindah"]), "a.xlsx").sha256 != hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Template


CANDIDATES = [
    {"nik": SITI, "nama": "Siti Aminah", "tanggal_lahir": dt.date(1990, 1, 1), "jenis_kelamin": "P",
     "alamat": "Dusun Krajan RT 001"},
    {"nik": BUDI, "nama": "Budi Santoso", "tanggal_lahir": dt.date(1985, 2, 2), "jenis_kelamin": "L",
     "alamat": "=cmd|' /C calc'!A0"},
    {"nik": ANI, "nama_lengkap": "Ani", "tanggal_lahir": None, "jenis_kelamin": None, "alamat": None},
]


def test_the_template_has_instructions_a_text_nik_column_a_status_dropdown_and_a_locked_header():
    wb = load_workbook(io.BytesIO(template_workbook("Sukamaju", CANDIDATES, today=TODAY)))
    assert wb.sheetnames == ["Petunjuk", "Validasi"]
    guide = "\n".join(str(c.value) for row in wb["Petunjuk"].iter_rows() for c in row if c.value)
    for words in ("TEKS", "judul kolom", "Sudah Terdaftar BPJS", "Tidak Valid", "portal", "15 angka"):
        assert words in guide
    ws = wb["Validasi"]
    assert "Sukamaju" in ws["A2"].value and "22 November 2026" in ws["A3"].value
    assert [c.value for c in ws[5]] == HEAD
    assert [ws.cell(row=i, column=2).value for i in (6, 7, 8)] == [SITI, BUDI, ANI]
    assert all(ws.cell(row=i, column=2).data_type == "s" for i in (6, 7, 8))
    assert all(ws.cell(row=i, column=2).number_format == "@" for i in range(6, 109))
    assert ws["F7"].value.startswith("'=")
    (status,) = [dv for dv in ws.data_validations.dataValidation if "G6" in str(dv.sqref)]
    assert status.type == "list" and all(v in status.formula1 for v in validasi.STATUS_LABELS.values())
    assert ws.protection.sheet
    assert ws["B5"].protection.locked and ws["A1"].protection.locked
    assert not ws["G6"].protection.locked and not ws["B50"].protection.locked


def fill(template: bytes, statuses: list[str]) -> bytes:
    """What a village does: open the template, choose a status per row, save."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb["Validasi"]
    for i, s in enumerate(statuses, start=6):
        ws.cell(row=i, column=7, value=s)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_template_filled_in_by_a_village_reads_back_all_valid():
    data = fill(template_workbook("Sukamaju", CANDIDATES, today=TODAY), ["Valid", "Meninggal", "Sudah Terdaftar BPJS"])
    upload, result = check(data)
    assert (upload.sheet, upload.header_row) == ("Validasi", 5)
    assert not result.problems
    assert [(r.excel_row, r.nik, r.nama, r.status) for r in result.valid_rows] == [
        (6, SITI, "Siti Aminah", "valid"), (7, BUDI, "Budi Santoso", "meninggal"),
        (8, ANI, "Ani", "sudah_terdaftar_bpjs")]
    assert result.valid_rows[0].tanggal_lahir == dt.date(1990, 1, 1)


parts = st.tuples(st.sampled_from(sorted(nik.PROVINCE_CODES)), st.integers(1, 99), st.integers(1, 99),
                  st.dates(min_value=dt.date(1927, 1, 1), max_value=TODAY), st.booleans(), st.integers(1, 9999))


def _nik_of(p) -> str:
    return build(*p)


@settings(max_examples=25, deadline=None)
@given(st.lists(parts, min_size=1, max_size=15, unique_by=_nik_of),
       st.lists(st.sampled_from(list(validasi.STATUS_LABELS)), min_size=15, max_size=15))
def test_any_valid_nik_survives_template_upload_and_validation_unchanged(people, statuses):
    rows = [{"nik": build(*p), "nama": f"Warga {i}", "tanggal_lahir": p[3], "jenis_kelamin": "P" if p[4] else "L",
             "status": s} for i, (p, s) in enumerate(zip(people, statuses))]
    _, result = check(template_workbook("Desa", rows, today=TODAY))
    assert not result.problems
    assert [r.nik for r in result.valid_rows] == [r["nik"] for r in rows]
    assert [r.tanggal_lahir for r in result.valid_rows] == [p[3] for p in people]
    assert [r.status for r in result.valid_rows] == statuses[:len(people)]


# ---------------------------------------------------------------------------------------------------------
# Error report


def test_the_error_report_gives_back_the_villages_rows_with_reasons_and_coloured_cells():
    rows = [["DESA SUKAMAJU"], [], ["No", "NIK", "Nama", "JK", "Status", "Catatan desa"],
            [1, SITI, "Siti", "P", "Valid", "ok"],
            [2, 3201010101900010, "Budi", "L", "Valid", ""],
            [3, ANI, "Ani", "L", "Valid", ""],
            [4, SITI, "@Siti", "P", "Menigal", ""],
            [None, None, None, None, None, "Kepala Desa"]]
    upload, result = check(xlsx(rows, title="Data Desa"))
    wb = load_workbook(io.BytesIO(validasi.error_report(upload, result)))
    assert wb.sheetnames == ["Data Desa", "Ringkasan"]
    ws = wb["Data Desa"]
    assert ws["A1"].value == "DESA SUKAMAJU"
    assert [c.value for c in ws[3]] == ["No", "NIK", "Nama", "JK", "Status", "Catatan desa", "Alasan"]
    assert ws["B5"].value == "3201010101900010" and ws["B5"].data_type == "s" and ws["B5"].number_format == "@"
    assert ws["B4"].fill.fgColor.rgb.endswith("FFFFFF") or ws["B4"].fill.fill_type is None
    assert ws["G4"].value is None
    red, yellow = "00F8B4B4", "00FDE68A"
    assert ws["B5"].fill.fgColor.rgb == red and "15 angka" in ws["G5"].value
    assert ws["D6"].fill.fgColor.rgb == yellow and ws["G6"].value.startswith("Kolom D (JK): ")
    assert ws["B7"].fill.fgColor.rgb == red and ws["E7"].fill.fgColor.rgb == red
    assert "baris 4" in ws["G7"].value and "Meninggal" in ws["G7"].value
    assert ws["C7"].value == "'@Siti"
    assert ws["F8"].value == "Kepala Desa"
    summary = "\n".join(str(c.value) for row in wb["Ringkasan"].iter_rows() for c in row if c.value is not None)
    assert "Harus diperbaiki" in summary and "Perbaiki sel berwarna merah" in summary

    again = read_upload(validasi.error_report(upload, result), "laporan.xlsx")
    assert [r.excel_row for r in again.rows] == [r.excel_row for r in upload.rows]
    assert again.columns["nik"].letter == "B" and not any(r.nik_number_cell for r in again.rows)


def test_data_read_from_a_hidden_sheet_is_said_so():
    """Only a hidden sheet holds the list: it is read, and the village is told which sheet that was."""
    wb = Workbook()
    wb.active.title = "Petunjuk"
    wb.active.append(["Isi lembar Validasi."])
    data_sheet = wb.create_sheet("Validasi")
    for r in (["NIK", "Nama", "Status"], [SITI, "Siti", "Valid"]):
        data_sheet.append(r)
    data_sheet.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    upload, result = check(buf.getvalue())
    assert (upload.sheet, upload.sheet_hidden) == ("Validasi", True) and result.summary.valid == 1
    visible, _ = check(xlsx([["NIK", "Nama", "Status"], [SITI, "Siti", "Valid"]]))
    assert visible.sheet_hidden is False
