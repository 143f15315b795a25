"""The one reader of every spreadsheet that comes in (lib/base/rows.py): what it refuses, what it keeps, and
the memory an upload may cost the portal's process."""
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from lib.base import rows
from lib.casework import nik as nik_rules
from lib.evaluation import skm
from lib.rentan import desa, validasi

ROOT = Path(__file__).resolve().parent.parent
SITI = "3201014101900002"  # valid NIK: Bogor, born 1 Jan 1990, woman


def raw_xlsx(sheet_xml: bytes | str, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal real XLSX of one sheet named "Data" whose sheetData is ``sheet_xml`` (inline strings)."""
    sheet_xml = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        z.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types xmlns="{pkg}/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}/relationships"><Relationship '
                   f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                   '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>'.encode())
            f.write(sheet_xml)
            f.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def _row(r: int, *values: str) -> str:
    cells = "".join(f'<c r="{chr(65 + j)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


def _many_rows(n: int) -> bytes:
    body = [_row(1, "NIK", "Nama", "Status")] + [_row(i, SITI, f"Orang {i}", "Valid") for i in range(2, n + 2)]
    return raw_xlsx("".join(body))


def test_a_sheet_stretched_to_the_last_cell_of_excel_is_refused_and_the_portal_lives_on():
    """Two cells, A1 and XFD1048576, in a 1.5 KB file: calamine would ask for 512 GB and abort the process."""
    data = raw_xlsx(_row(1, "NIK") + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    assert len(data) < 2000
    with pytest.raises(validasi.UploadError, match="membentang jauh melampaui datanya"):
        validasi.read_upload(data, "desa.xlsx")
    with pytest.raises(desa.RentanError, match="membentang jauh"):
        desa.sheet_rows(data, "dtks.xlsx")
    assert validasi.read_upload(_many_rows(3), "desa.xlsx").rows  # this process still reads files


def test_rows_past_the_cap_stop_the_reading_with_one_message_in_xlsx_and_csv():
    with pytest.raises(rows.BookRefused, match="lebih dari 1.000 baris data"):
        rows.read_book(_many_rows(1_500), "desa.xlsx", max_rows=1_000)
    csv_data = ("NIK;Nama;Status\n" + f"{SITI};Siti;Valid\n" * 1_500).encode()
    with pytest.raises(rows.BookRefused, match="lebih dari 1.000 baris data"):
        rows.read_book(csv_data, "desa.csv", max_rows=1_000)
    assert len(rows.read_book(csv_data, "desa.csv", max_rows=1_501).sheets[0].rows) == 1_501


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_a_csv_is_read_in_any_usual_encoding_and_separator(encoding, sep):
    text = sep.join(["NIK", "Nama", "Status"]) + "\r\n" + sep.join([SITI, "Siti Aminah Rûm", "Valid"]) + "\r\n"
    book = rows.read_book(text.encode(encoding), "desa.csv", max_rows=10)
    assert book.separator == sep
    assert book.sheets[0].rows[1] == [SITI, "Siti Aminah Rûm", "Valid"]


def test_excel_row_numbers_are_kept_past_title_rows_and_blank_rows():
    data = raw_xlsx(_row(1, "DAFTAR VALIDASI DESA CIBODAS") + _row(3, "NIK", "Nama", "Status")
                    + _row(4, SITI, "Siti", "Valid") + _row(9, "3201010101900001", "Budi", "Valid"))
    upload = validasi.read_upload(data, "desa.xlsx")
    assert upload.header_row == 3
    assert [r.excel_row for r in upload.rows] == [4, 9]


def test_a_cell_longer_than_its_column_is_an_error_on_its_row_never_a_cut():
    long_name, huge_note = "A" * 250, "x" * 5_000
    wb = Workbook()
    wb.active.append(["NIK", "Nama", "Alamat", "Status", "Keterangan"])
    wb.active.append([SITI, long_name, "Jl. Mawar", "Valid", ""])
    wb.active.append(["3201010101900001", "Budi", "Jl. Melati", "Valid", huge_note])
    wb.active.append(["3201014101900003", "Ani", "Jl. Kenanga", "Valid", "ok"])
    buf = io.BytesIO()
    wb.save(buf)
    result = validasi.validate(validasi.read_upload(buf.getvalue(), "desa.xlsx"))
    by_row = {r.excel_row: r for r in result.rows}
    assert by_row[2].state == "invalid"
    assert [(p.code, p.column) for p in by_row[2].problems] == [("nama_terlalu_panjang", "B")]
    assert "Nama 250 karakter, lebih dari batas 200" in by_row[2].problems[0].reason
    assert [p.code for p in by_row[3].problems] == ["keterangan_terlalu_panjang"]
    assert "5000 karakter" in by_row[3].problems[0].reason  # the real length, not the reader's cap
    assert by_row[4].state == "valid"
    assert [r.nama for r in result.valid_rows] == ["Ani"]


def test_a_formula_error_in_a_nik_cell_is_named_a_formula_error_not_an_empty_nik():
    wb = Workbook()
    wb.active.append(["NIK", "Nama", "Status"])
    wb.active.append(["#N/A", "Siti", "Valid"])
    buf = io.BytesIO()
    wb.save(buf)
    result = validasi.validate(validasi.read_upload(buf.getvalue(), "desa.xlsx"))
    (problem,) = result.rows[0].problems
    assert problem.code == "nik_rumus"
    assert "galat rumus “#N/A”" in problem.reason
    assert nik_rules.check(rows.FormulaError("#REF!")).errors[0][0] == "nik_rumus"


def test_a_formula_error_is_found_in_its_own_cell_when_the_table_starts_right_of_column_a_and_below_a_title():
    wb = Workbook()
    wb.active["C1"] = "Daftar validasi"
    for r, values in ((3, ("NIK", "Nama", "Status")), (4, ("#N/A", "Siti", "Valid")),
                      (5, ("3201010101900001", "Budi", "#REF!"))):
        for j, v in enumerate(values):
            wb.active.cell(row=r, column=3 + j, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    upload = validasi.read_upload(buf.getvalue(), "desa.xlsx")
    result = validasi.validate(upload)
    assert [(p.excel_row, p.code) for p in result.problems] == [(4, "nik_rumus"), (5, "status_tidak_dikenal")]
    assert "#REF!" in result.problems[1].reason


def test_the_skm_reader_refuses_what_the_one_reader_refuses():
    data = raw_xlsx(_row(1, "U1") + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    with pytest.raises(skm.SkmFileError) as err:
        skm.read_responses(data, "skm.xlsx")
    assert "membentang jauh" in err.value.messages[0]


def test_no_module_but_the_one_reader_opens_an_uploaded_spreadsheet():
    offenders = []
    for path in sorted((ROOT / "lib").rglob("*.py")) + sorted((ROOT / "views").rglob("*.py")):
        if path.name == "rows.py" and path.parent.name == "base":
            continue
        text = path.read_text(encoding="utf-8")
        if "python_calamine" in text or "read_excel(" in text or "read_csv(" in text or "load_workbook(" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


_MEASURE = """
import json, re, sys
from lib.rentan import validasi

def high_water_kb():  # VmHWM is this process's own peak (ru_maxrss carries the parent's over fork and exec)
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))

data = open(sys.argv[1], "rb").read()
before = high_water_kb()
try:
    upload = validasi.read_upload(data, sys.argv[1])
    result = validasi.validate(upload)
    outcome = len(result.valid_rows)
except validasi.UploadError as err:
    outcome = str(err)
after = high_water_kb()
print(json.dumps({"rise_mb": (after - before) / 1024, "size_mb": len(data) / 2**20, "outcome": outcome}))
"""


def _rise(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, cwd=ROOT,
                          check=True, timeout=300)
    return json.loads(done.stdout)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_an_upload_within_the_size_limit_raises_memory_by_at_most_ten_times_its_size_or_300_mb(tmp_path):
    """A 24 MB CSV (the uploader takes 25 MB) of 100,000 rows is read and checked, and a 250,000-row XLSX is
    refused by the row cap, each in a fresh process whose high-water mark may rise by max(10× size, 300 MB)."""
    note = "keterangan panjang " * 7
    line = f"{SITI};Siti Aminah binti Abdullah;Jl. Mawar Merah No. 12 RT 01 RW 02 Dusun Krajan;Valid;{note}\n"
    big_csv = tmp_path / "desa.csv"
    with big_csv.open("w", encoding="utf-8") as f:
        f.write("NIK;Nama;Alamat;Status;Keterangan\n")
        f.writelines(line for _ in range(validasi.MAX_ROWS))
    xlsx = tmp_path / "desa.xlsx"
    xlsx.write_bytes(_many_rows(250_000))
    got = {path.suffix: _rise(path) for path in (big_csv, xlsx)}
    for measured in got.values():
        assert measured["rise_mb"] < max(10 * measured["size_mb"], 300), got
    assert 20 < got[".csv"]["size_mb"] < 25 and got[".csv"]["outcome"] == 1  # one NIK, repeated: one valid row
    assert "lebih dari 100.000 baris data" in got[".xlsx"]["outcome"]
    assert got[".csv"]["rise_mb"] > 5, got  # the measure sees the rows being built
