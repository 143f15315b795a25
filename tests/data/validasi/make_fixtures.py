"""Makes the two binary fixtures of tests/test_validasi.py that openpyxl cannot write. Not run by the tests;
needs ``pip install xlwt==1.3.0 msoffcrypto-tool`` (not project dependencies). Run from the repository root:
``python tests/data/validasi/make_fixtures.py``.

* ``desa.xls`` — an Excel 97–2003 file: a letterhead, the header on row 4, a NIK typed as text, one typed as a
  number, a birth date cell; sheet "Validasi".
* ``terkunci.xlsx`` — a real password-protected (encrypted) workbook, password ``rahasia``.

The rest of the corpus of village files (empty, random bytes, truncated zips, many sheets, merged header cells,
formulas with their saved results, header on row 5, hidden columns, CSV in both separators and encodings, the
row limit) is built at test time with openpyxl and csv in ``tests/test_validasi_files.py``.
"""
import datetime as dt
import io
from pathlib import Path

import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

HERE = Path(__file__).parent


def xls() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Validasi")
    ws.write(0, 0, "PEMERINTAH DESA SUKAMAJU")
    ws.write(1, 0, "Daftar validasi calon penerima")
    head = ["No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Status", "Keterangan"]
    for j, h in enumerate(head):
        ws.write(3, j, h)
    date = xlwt.easyxf(num_format_str="DD-MM-YYYY")
    rows = [
        [1, "3201014101900003", "Siti Aminah", dt.date(1990, 1, 1), "P", "Dusun Krajan", "Valid", ""],
        [2, 3201010202850007, "Budi Santoso", dt.date(1985, 2, 2), "L", "Dusun Kulon", "Meninggal", "Maret 2024"],
    ]
    for i, row in enumerate(rows, start=4):
        for j, v in enumerate(row):
            ws.write(i, j, v, date) if isinstance(v, dt.date) else ws.write(i, j, v)
    book.save(str(HERE / "desa.xls"))


def encrypted() -> None:
    wb = Workbook()
    wb.active.append(["NIK", "Nama", "Status"])
    wb.active.append(["3201014101900003", "Siti Aminah", "Valid"])
    plain = io.BytesIO()
    wb.save(plain)
    plain.seek(0)
    office = OOXMLFile(plain)
    out = io.BytesIO()
    office.encrypt("rahasia", out)
    (HERE / "terkunci.xlsx").write_bytes(out.getvalue())


if __name__ == "__main__":
    xls()
    encrypted()
