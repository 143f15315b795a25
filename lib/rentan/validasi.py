"""Village validation spreadsheets (seed 000, steps 16–19): the template a desa fills, reading what it sends
back, checking every row, and the error report it fixes and sends again.

* :func:`template_workbook` — the XLSX a village receives: a "Petunjuk" sheet, then "Validasi" with the
  candidates pre-filled, the NIK column formatted as text, a dropdown on Status and a locked header row.
* :func:`read_upload` — an XLSX, XLS (or ODS) or CSV file as the village sent it: the header row is found
  even below a letterhead, column names are matched loosely, every row keeps the Excel row number the
  village sees and whether its NIK cell was stored as a number. A problem with the file as a whole raises
  :class:`UploadError` with one Indonesian message.
* :func:`validate` — every row judged with the NIK rules of :mod:`lib.nik` plus the file's own rules
  (repeated NIK, name, status): invalid, valid with a warning, or valid.
* :func:`error_report` — the village's own rows, at their own row numbers, with an "Alasan" column and the
  bad cells coloured, plus a "Ringkasan" sheet.

Spreadsheets are read with calamine (the engine behind ``pandas.read_excel(engine="calamine")``, used
directly so that cell types, sheet visibility and absolute row numbers are kept) and written with openpyxl;
text cells starting with = + - @ are neutralised on export (:func:`lib.base.sheets.safe_cell`). A file of
:data:`MAX_ROWS` (100,000) rows is read and checked in about the time calamine alone takes to read it twice
(``bench/validasi_bench.py``, figures in ``bench/RESULTS.md``).
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import gc
import hashlib
import io
import math
import re
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import python_calamine

from lib.base.errors import UserError
from lib.casework import nik as nik_rules

# openpyxl, lib.fmt (Babel, pandas) and lib.export are loaded only when a workbook is written (_xl()): checking a
# file from the command line then starts in about 0.1 s instead of 1.5 s.

#: Rows one upload may hold (read at call time: the page, a test or a setting may lower it).
MAX_ROWS = 100_000
#: Rows searched for the header row.
HEADER_SCAN = 30

#: Accepted statuses: canonical code → the label the template offers.
STATUS_LABELS: dict[str, str] = {
    "valid": "Valid",
    "tidak_valid": "Tidak Valid",
    "meninggal": "Meninggal",
    "pindah": "Pindah",
    "sudah_terdaftar_bpjs": "Sudah Terdaftar BPJS",
}
# What a village may write (case-insensitive, spaces collapsed, no spaces around "/").
_STATUS_ALIASES: dict[str, str] = {
    "valid": "valid", "layak": "valid", "valid/layak": "valid", "layak/valid": "valid",
    "tidak valid": "tidak_valid", "tidak layak": "tidak_valid", "tidak valid/tidak layak": "tidak_valid",
    "tidak layak/tidak valid": "tidak_valid",
    "meninggal": "meninggal",
    "pindah": "pindah",
    "sudah terdaftar bpjs": "sudah_terdaftar_bpjs",
}
_STATUS_CHOICES = "Valid (atau Layak), Tidak Valid (atau Tidak Layak), Meninggal, Pindah, Sudah Terdaftar BPJS"

#: The template's columns, in order.
HEADERS = ("No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Status", "Keterangan")
FIELDS = ("nik", "nama", "tanggal_lahir", "jenis_kelamin", "alamat", "status", "keterangan")
REQUIRED = ("nik", "nama", "status")
_FIELD_NAMES = {"nik": "NIK", "nama": "Nama", "status": "Status", "tanggal_lahir": "Tanggal Lahir",
                "jenis_kelamin": "Jenis Kelamin", "alamat": "Alamat", "keterangan": "Keterangan"}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
_TEXT_SUFFIXES = {".csv", ".txt", ""}


def column_letter(n: int) -> str:
    """The Excel letter of the 1-based column ``n``: 1 → A, 27 → AA (openpyxl's get_column_letter, without
    loading openpyxl)."""
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


@lru_cache(maxsize=1)
def _xl() -> SimpleNamespace:
    """What writing a workbook needs, imported on first use: openpyxl, lib.fmt, lib.base.sheets.safe_cell and the
    shared style objects. Reading and checking a file need none of it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    from lib.base import fmt
    from lib.base.sheets import safe_cell

    thin = Side(style="thin", color="9CA3AF")
    return SimpleNamespace(
        Workbook=Workbook, WriteOnlyCell=WriteOnlyCell, Cell=Cell, Alignment=Alignment, Font=Font,
        Protection=Protection, DataValidation=DataValidation, fmt=fmt, safe_cell=safe_cell,
        illegal=ILLEGAL_CHARACTERS_RE,
        head_fill=PatternFill("solid", fgColor="DCE6F1"), red=PatternFill("solid", fgColor="F8B4B4"),
        yellow=PatternFill("solid", fgColor="FDE68A"), box=Border(left=thin, right=thin, top=thin, bottom=thin),
        wrap=Alignment(wrap_text=True, vertical="top"),
        centre=Alignment(wrap_text=True, vertical="center", horizontal="center"))


@contextmanager
def _gc_paused():
    """Python's cyclic garbage collector paused while a file's rows are built: they are hundreds of thousands of
    small objects without reference cycles, and the collector would walk the growing heap again and again
    (about a third of the time of a 100,000-row file). It runs again afterwards, if it ran before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _angka(n: int) -> str:
    """``100.000``: Indonesian thousands separator, without loading Babel for one message."""
    return f"{n:,}".replace(",", ".")


class UploadError(UserError):
    """A file that cannot be read as a validation list; ``message`` is one Indonesian sentence or two."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# ---------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Column:
    """A recognised column: ``field`` (one of :data:`FIELDS`), 0-based ``index``, ``heading`` as written."""
    field: str
    index: int
    heading: str

    @property
    def letter(self) -> str:
        return column_letter(self.index + 1)

    @property
    def label(self) -> str:
        """``kolom B (No. NIK)``: how a message names the column."""
        return f"kolom {self.letter} ({self.heading})"


@dataclass(slots=True)
class UploadRow:
    """One row as read: ``cells`` holds every cell of the row (text, float, int, date, datetime, bool, or
    None for a blank cell); ``nik_number_cell`` is true when the NIK cell was stored as a number."""
    excel_row: int
    cells: tuple
    nik_number_cell: bool = False

    def cell(self, index: int):
        return self.cells[index] if index < len(self.cells) else None


@dataclass(frozen=True)
class Upload:
    """A validation file as the village sent it.

    ``rows`` are the data rows below the header (fully empty rows left out); ``ignored`` are rows with
    something in them but no NIK, name or status (a signature block, a total line, a numbered empty line);
    ``above_header`` the letterhead and title rows as (excel row, cells); ``below_header`` the rows under the
    header that belong to it (a second heading row under merged cells, the columns numbered 1, 2, 3 …): their
    headings name the columns (``columns``) where they have one; ``headings`` are the header row's own."""
    filename: str
    kind: str                      # "xlsx", "xls", "ods" or "csv"
    sha256: str                    # of the bytes: the same file uploaded again is recognised
    sheet: str | None              # the sheet read (None for CSV)
    header_row: int                # Excel row number of the header
    headings: tuple[str, ...]      # every column's heading as written ("" when blank)
    columns: dict[str, Column]     # field → column found; always has nik, nama, status
    rows: tuple[UploadRow, ...]
    ignored: tuple[UploadRow, ...] = ()
    above_header: tuple[tuple[int, tuple], ...] = ()
    below_header: tuple[tuple[int, tuple], ...] = ()  # a second heading row, a column-numbering row
    encoding: str | None = None    # CSV only
    separator: str | None = None   # CSV only

    def value(self, row: UploadRow, name: str):
        col = self.columns.get(name)
        return None if col is None else row.cell(col.index)


@dataclass(slots=True)
class Problem:
    """One finding about one cell. ``level`` is ``error`` (the row is not imported) or ``warning``.
    ``reason`` is the sentence alone, ``message`` names the row and column as the village sees them."""
    excel_row: int
    column: str        # letter, e.g. "B"
    heading: str       # the village's heading of that column
    field: str         # nik, nama, status, tanggal_lahir, jenis_kelamin
    code: str
    level: str         # "error" | "warning"
    reason: str

    @property
    def message(self) -> str:
        return f"Baris {self.excel_row}, kolom {self.column} ({self.heading}): {self.reason}"


@dataclass(slots=True)
class ValidRow:
    """An importable row with its values normalised: ``nik`` 16 digits as text, ``nama``/``alamat``/
    ``keterangan`` with spaces collapsed, ``tanggal_lahir`` a date or None, ``jenis_kelamin`` ``L``/``P``/
    None, ``status`` a code of :data:`STATUS_LABELS`; ``warnings`` the codes of its warnings."""
    excel_row: int
    nik: str
    nama: str
    tanggal_lahir: dt.date | None
    jenis_kelamin: str | None
    alamat: str | None
    status: str
    keterangan: str | None
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class RowResult:
    """The verdict on one row: ``state`` is ``valid``, ``warning`` (valid, with warnings) or ``invalid``."""
    excel_row: int
    state: str
    problems: tuple[Problem, ...]
    record: ValidRow | None


@dataclass(frozen=True)
class Summary:
    """``valid`` counts every importable row, with or without a warning; ``valid_with_warning`` is the part
    of them with at least one warning; ``rows`` = ``valid`` + ``invalid``. ``per_status`` counts the
    importable rows per status code (every code present). ``ignored`` rows had no NIK, name or status."""
    rows: int
    valid: int
    valid_with_warning: int
    invalid: int
    per_status: dict[str, int]
    ignored: int = 0


@dataclass(frozen=True)
class Validation:
    rows: tuple[RowResult, ...]
    valid_rows: tuple[ValidRow, ...]
    summary: Summary

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def _blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not _clean(value)) or \
        (isinstance(value, float) and math.isnan(value))


def _clean(text: str) -> str:
    """Spaces (including non-breaking ones) collapsed; zero-width characters and a BOM removed."""
    if text.isascii():  # O(1) in CPython: most cells, and no zero-width characters to look for
        return " ".join(text.split())
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def _cells(row, width: int = 0) -> tuple:
    """A row as kept: blank cells (empty or only spaces) are None, padded to ``width``."""
    out = [None if v.__class__ is str and (not v or v.isspace()) or v is None
           or (v.__class__ is float and math.isnan(v)) else v for v in row]
    if len(out) < width:
        out.extend([None] * (width - len(out)))
    return tuple(out)


def _text(value) -> str | None:
    if value is None:
        return None
    if value.__class__ is str:
        return _clean(value) or None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value:%d-%m-%Y}"
    return _clean(str(value)) or None


def _shown(value) -> str:
    return _text(value) or ""


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------------------
# Column names


_NIK_KEYS = {"nik", "nonik", "nomornik", "nikktp", "noktp", "nomorktp", "nomorindukkependudukan",
             "noindukkependudukan"}
_NAMA_KEYS = {"nama", "namalengkap", "namapenerima", "namapeserta", "namacalonpenerima", "namasesuaiktp",
              "namaktp", "namaanggota"}
_NAMA_NOT = {"ibu", "ayah", "kk", "kepala", "desa", "kelurahan", "kecamatan", "kabupaten", "kota", "petugas",
             "perusahaan", "ahli", "waris", "pendamping", "dusun", "usaha", "lembaga", "program", "bank",
             "instansi", "pemberi", "kerja", "file", "berkas", "operator"}
_STATUS_KEYS = {"status", "statusvalidasi", "hasilvalidasi", "validasi", "statuspenerima", "hasilverifikasi",
                "statusverifikasi", "statushasilvalidasi"}
_STATUS_NOT = {"perkawinan", "kawin", "pekerjaan", "hubungan", "keluarga", "rumah", "tempat", "tinggal",
               "bangunan", "kepemilikan", "lahan", "desil", "kesejahteraan", "kependudukan", "disabilitas",
               "sekolah", "pendidikan", "kk"}
_SEX_KEYS = {"jeniskelamin", "jk", "kelamin", "lp", "gender", "sex", "jnskelamin", "jeniskel", "jkel"}


def field_of(heading) -> str | None:
    """Which field a column heading names (loosely), or None: "No. NIK" → ``nik``, "NAMA PENERIMA" →
    ``nama``, "Hasil Validasi" → ``status``, "Tgl Lahir" → ``tanggal_lahir``, "L/P" → ``jenis_kelamin``."""
    if not isinstance(heading, str) or len(heading) > 60:
        return None
    words = re.findall(r"[a-z0-9]+", heading.lower())
    if not words or len(words) > 6:
        return None
    key, ws = "".join(words), set(words)
    if words[0] in ("keterangan", "ket", "catatan"):
        return "keterangan"
    if key in _NIK_KEYS or "indukkependudukan" in key or ("nik" in ws and not ws & {"kk", "kepala"}):
        return "nik"
    if key in _NAMA_KEYS or (words[0] == "nama" and not ws & _NAMA_NOT):
        return "nama"
    if key in _SEX_KEYS or key.startswith("jeniskelamin"):
        return "jenis_kelamin"
    if "lahir" in ws and ws & {"tanggal", "tgl", "tgllahir"} or key.startswith(("tanggallahir", "tgllahir")) \
            or key in {"ttl", "tgllhr", "tanggallhr"}:
        return "tanggal_lahir"
    if words[0] == "alamat":
        return "alamat"
    if key in _STATUS_KEYS or (ws & {"status", "validasi"} and not ws & _STATUS_NOT):
        return "status"
    return None


_NUMBERING = re.compile(r"^\(?\d{1,2}\)?\.?$")


def _sub_header(row) -> dict[str, int] | None:
    """Field → column index of a row right below the header that belongs to the header, or None.

    Two kinds: a second heading row under merged cells ("Hasil Validasi" over "Status" and "Keterangan"), in
    which every filled cell names a column; and a row numbering the columns (1, 2, 3 … or (1), (2), (3) …, as
    government forms do), which names none ({})."""
    filled = [v for v in row if not _blank(v)]
    if not filled:
        return None
    names: dict[str, int] = {}
    for j, v in enumerate(row):
        if _blank(v):
            continue
        name = field_of(v)
        if name is None:
            break
        names.setdefault(name, j)
    else:
        return names
    if len(filled) >= 3 and len(set(map(str, filled))) == len(filled) and all(
            (_is_number(v) and float(v).is_integer() and 0 < v < 100) or
            (isinstance(v, str) and _NUMBERING.match(v.strip())) for v in filled):
        return {}
    return None


def _header_in(rows: list) -> tuple[int, dict[str, int], int]:
    """(0-based index, field → column index, how many rows below it belong to it: 0–2) of the header: the row
    within the first :data:`HEADER_SCAN` naming most required columns (then most optional ones), together
    with a second heading row and/or a column-numbering row under it (:func:`_sub_header`), whose names win;
    (-1, {}, 0) when no row names any."""
    best, best_cols, best_sub, best_score = -1, {}, 0, (0, 0, 0)
    for i, row in enumerate(rows[:HEADER_SCAN]):
        own: dict[str, int] = {}
        for j, cell in enumerate(row):
            name = field_of(cell)
            if name:
                own.setdefault(name, j)
        if not own:
            continue
        cols, below = own, 0
        while below < 2 and i + 1 + below < len(rows) and (sub := _sub_header(rows[i + 1 + below])) is not None:
            cols = {**cols, **sub}
            below += 1
        # A row naming the required columns itself beats a title row that only seems to have them with the
        # real header under it taken for its second heading row.
        score = (sum(f in cols for f in REQUIRED), sum(f in own for f in REQUIRED), len(cols))
        if score > best_score:
            best, best_cols, best_sub, best_score = i, cols, below, score
    return best, best_cols, best_sub


# ---------------------------------------------------------------------------------------------------------
# Reading


_PASSWORD = ("Berkas dilindungi kata sandi (password), jadi isinya tidak dapat dibaca. Buka di Excel, hapus "
             "kata sandinya (File › Info › Proteksi Buku Kerja › Enkripsi dengan Kata Sandi, kosongkan isiannya), "
             "simpan, lalu unggah lagi.")
_EMPTY = "Berkas kosong: tidak ada baris judul maupun data. Pilih berkas validasi yang sudah diisi."


def _unreadable(filename: str) -> UploadError:
    return UploadError(f"Berkas “{filename}” tidak dapat dibaca sebagai Excel: mungkin rusak, terpotong saat "
                       "dikirim, atau bukan berkas Excel. Buka di Excel, simpan ulang sebagai Buku Kerja Excel "
                       "(.xlsx), lalu unggah lagi.")


def _excel_sheets(data: bytes, filename: str) -> list[tuple[str, bool, list[list]]]:
    """(name, visible, rows from A1) of every worksheet; blank cells are empty strings."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            sheets.append((meta.name, meta.visible == python_calamine.SheetVisibleEnum.Visible, rows))
    except python_calamine.PasswordError as exc:
        raise UploadError(_PASSWORD) from exc
    except Exception as exc:  # calamine raises its own error types for a damaged or foreign file
        if re.search(r"password|encrypt", str(exc), re.IGNORECASE):
            raise UploadError(_PASSWORD) from exc
        raise _unreadable(filename) from exc
    return sheets


def _decode(data: bytes) -> tuple[str, str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _csv_rows(text: str, sep: str) -> list[list]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def _csv_sheet(data: bytes, filename: str) -> tuple[list[list], str, str]:
    head = data[:8192]
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not utf16 and (b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > max(2, len(head) // 100)):
        raise UploadError(f"Berkas “{filename}” bukan berkas CSV (isinya bukan teks). Unggah berkas Excel "
                          "(.xlsx atau .xls) atau CSV.")
    text, encoding = _decode(data)
    lines = text.splitlines()[:HEADER_SCAN]
    best = None
    for sep in (";", ",", "\t"):
        try:
            _, cols, _ = _header_in(_csv_rows("\n".join(lines), sep))
        except csv.Error:
            continue
        score = (sum(f in cols for f in REQUIRED), len(cols))
        if best is None or score > best[0]:
            best = (score, sep)
    sep = best[1] if best else ","
    try:
        return _csv_rows(text, sep), encoding, sep
    except csv.Error as exc:
        raise UploadError(f"Berkas CSV “{filename}” tidak dapat dibaca ({exc}). Buka di Excel, simpan ulang, "
                          "lalu unggah lagi.") from exc


def _kind(data: bytes, filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if data[:8] == _OLE2:
        if _ENCRYPTED in data:
            raise UploadError(_PASSWORD)
        return "xls"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "ods" if suffix == ".ods" else "xlsx"
    if suffix in _EXCEL_SUFFIXES:
        raise UploadError(f"Berkas “{filename}” bernama {suffix} tetapi isinya bukan berkas Excel (mungkin rusak, "
                          f"atau halaman web/teks yang diberi nama {suffix}). Buka di Excel, simpan sebagai Buku Kerja "
                          "Excel (.xlsx), lalu unggah lagi.")
    if suffix in _TEXT_SUFFIXES:
        return "csv"
    raise UploadError(f"Jenis berkas “{filename}” tidak didukung. Unggah berkas Excel (.xlsx atau .xls) atau CSV.")


def read_upload(data: bytes, filename: str, max_rows: int | None = None) -> Upload:
    """Read a validation file (XLSX, XLS, ODS, or CSV with comma/semicolon/tab in UTF-8, UTF-16 or
    Latin-1/Windows-1252). The format is told by the bytes, not the name.

    The sheet read is the visible worksheet whose header row (within the first 30 rows) has NIK, Nama and
    Status columns. More than ``max_rows`` data rows (default :data:`MAX_ROWS`) is refused. Raises
    :class:`UploadError` (one message) when the file cannot be used as a whole."""
    with _gc_paused():
        return _read_upload(data, filename, MAX_ROWS if max_rows is None else max_rows)


def _read_upload(data: bytes, filename: str, max_rows: int) -> Upload:
    filename = filename or "berkas"
    if not data or not data.strip():
        raise UploadError(_EMPTY)
    kind = _kind(data, filename)
    encoding = separator = None
    if kind == "csv":
        rows, encoding, separator = _csv_sheet(data, filename)
        sheets = [(None, True, rows)]
    else:
        sheets = _excel_sheets(data, filename)
    if not any(v is not None for _, _, rows in sheets for row in rows for v in _cells(row)):
        raise UploadError(_EMPTY)

    found = []
    subs = {}
    for name, visible, rows in sheets:
        h, cols, subs[name] = _header_in(rows)
        found.append((name, visible, rows, h, cols))
    complete = [f for f in found if all(r in f[4] for r in REQUIRED)]
    where = (lambda f, h: f"lembar “{f[0]}”, baris {h + 1}") if len(sheets) > 1 else (lambda f, h: f"baris {h + 1}")
    if not complete:
        best = max(found, key=lambda f: (sum(r in f[4] for r in REQUIRED), len(f[4])))
        have = [r for r in REQUIRED if r in best[4]]
        if len(have) < 2:
            raise UploadError(f"Baris judul kolom tidak ditemukan: di {HEADER_SCAN} baris pertama tidak ada baris "
                              "yang memuat kolom NIK, Nama dan Status. Gunakan templat validasi dari portal, atau "
                              "tambahkan judul kolom itu di atas data.")
        missing = " dan ".join(_FIELD_NAMES[r] for r in REQUIRED if r not in best[4])
        raise UploadError(f"Kolom {missing} tidak ditemukan di baris judul ({where(best, best[3])}). Baris judul "
                          "harus memuat kolom NIK, Nama dan Status; gunakan templat validasi dari portal.")
    # Prefer visible sheets; a second sheet holding data too is refused rather than silently ignored.
    chosen = [f for f in complete if f[1]] or complete
    with_data = [f for f in chosen if len(chosen) > 1 and
                 any(v is not None for row in f[2][f[3] + 1:] for v in _cells(row))]
    if len(with_data) > 1:
        names = " dan ".join(f"“{f[0]}”" for f in with_data[:3])
        raise UploadError(f"Berkas berisi lebih dari satu lembar dengan data validasi ({names}). Satukan datanya "
                          "di satu lembar atau hapus lembar yang tidak dipakai, lalu unggah lagi.")
    name, _, rows, h, cols = (with_data or chosen)[0]

    header = rows[h]
    headings = tuple(_text(v) or "" for v in header)
    width = len(headings)
    # A second heading row and/or a row numbering the columns under the header: their headings name the columns.
    below_header = tuple((i + 1, _cells(rows[i], width)) for i in range(h + 1, h + 1 + subs[name]))
    named = [None] * width
    for _, cells in below_header:
        for j, v in enumerate(cells[:width]):
            if field_of(v):
                named[j] = _text(v)
    columns = {f: Column(f, j, named[j] or headings[j]) for f, j in cols.items()}
    nik_j, nama_j, status_j = (cols[r] for r in REQUIRED)
    excel = kind != "csv"
    kept: list[UploadRow] = []
    ignored: list[UploadRow] = []
    keep, set_aside = kept.append, ignored.append
    number = (float, int)
    # The hot loop of a 100,000-row file: calamine gives "" for a blank cell and never NaN, and a CSV gives text
    # only, so a cell is blank when it is an empty or whitespace-only string (None is kept as it is).
    for i in range(h + 1 + subs[name], len(rows)):
        row = rows[i]
        cells = tuple([None if v.__class__ is str and (not v or v.isspace()) else v for v in row])
        if len(cells) < width:
            cells += (None,) * (width - len(cells))
        nik_value = cells[nik_j]
        if nik_value is None and cells[nama_j] is None and cells[status_j] is None:
            cells = _cells(row, width)
            if any(v is not None for v in cells):
                set_aside(UploadRow(i + 1, cells))
            continue
        keep(UploadRow(i + 1, cells, excel and nik_value.__class__ in number))
    if not kept:
        raise UploadError(f"Tidak ada data di bawah baris judul ({where((name,), h)}). Isi satu baris untuk setiap "
                          "orang, lalu unggah lagi.")
    if len(kept) > max_rows:
        raise UploadError(f"Berkas berisi {_angka(len(kept))} baris data, lebih dari batas {_angka(max_rows)} "
                          "baris per unggahan. Bagi menjadi beberapa berkas, lalu unggah satu per satu.")
    return Upload(
        filename=filename, kind=kind, sha256=hashlib.sha256(data).hexdigest(), sheet=name, header_row=h + 1,
        headings=headings, columns=columns, rows=tuple(kept), ignored=tuple(ignored),
        above_header=tuple((i + 1, c) for i, c in enumerate(map(_cells, rows[:h])) if any(v is not None for v in c)),
        below_header=below_header, encoding=encoding, separator=separator)


# ---------------------------------------------------------------------------------------------------------
# Values


_MONTHS = {"januari": 1, "january": 1, "jan": 1, "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
           "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "june": 6,
           "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8,
           "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10,
           "november": 11, "nopember": 11, "nov": 11, "nop": 11, "desember": 12, "december": 12, "des": 12,
           "dec": 12}
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})(?!\d)")
_DMONY = re.compile(r"(?<!\d)(\d{1,2})[\s\-/.]*([A-Za-z]{3,9})\.?[\s\-/.,]*(\d{4}|\d{2})(?!\d)")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value, today: dt.date | None = None) -> dt.date | None:
    """A birth date as a village writes it: a date cell, an Excel serial number, ``31-12-1990``,
    ``31/12/90``, ``1990-12-31``, ``31 Desember 1990``, or ``Bandung, 31-12-1990``; None when unreadable."""
    if _blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if _is_number(value):
        if 367 <= value < 73051:  # 1901 … 2099
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = str(value)
    today = today or dt.date.today()

    def year(y: str) -> int:
        n = int(y)
        if len(y) == 2:
            n += 2000 if 2000 + n <= today.year else 1900
        return n

    for pattern, order in ((_ISO, "ymd"), (_DMY, "dmy"), (_DMONY, "dMy")):
        m = pattern.search(text)
        if not m:
            continue
        a, b, c = m.groups()
        try:
            if order == "ymd":
                return dt.date(int(a), int(b), int(c))
            if order == "dMy":
                month = _MONTHS.get(b.lower())
                return dt.date(year(c), month, int(a)) if month else None
            d, mo, y = int(a), int(b), year(c)
            if mo > 12 >= d:  # month/day/year from an English-language Excel
                d, mo = mo, d
            return dt.date(y, mo, d)
        except ValueError:
            return None
    return None


_SEX = {"l": "L", "lk": "L", "laki": "L", "lakilaki": "L", "pria": "L", "male": "L", "m": "L",
        "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "female": "P", "f": "P", "w": "P"}


def parse_sex(value) -> str | None:
    """``L`` or ``P`` from L/P, LK/PR, Laki-laki/Perempuan, Pria/Wanita; None when unreadable."""
    if _blank(value):
        return None
    return _SEX.get(re.sub(r"[^a-z]", "", str(value).lower()))


def status_code(value) -> str | None:
    """The canonical status code of what a village wrote (case-insensitive, spaces tolerated), or None."""
    if _blank(value) or not isinstance(value, str):
        return None
    key = re.sub(r"\s*/\s*", "/", _clean(value).lower())
    return _STATUS_ALIASES.get(key)


# ---------------------------------------------------------------------------------------------------------
# Validation


def _status_verdict(raw) -> tuple[str | None, tuple[str, str] | None]:
    """(status code, None) or (None, (problem code, reason)) for one status cell."""
    if raw is None:
        return None, ("status_kosong", f"Status kosong; pilih salah satu: {_STATUS_CHOICES}.")
    code = status_code(raw)
    if code is not None:
        return code, None
    shown = _shown(raw)
    guess = difflib.get_close_matches(re.sub(r"\s*/\s*", "/", shown.lower()), list(_STATUS_ALIASES), n=1,
                                      cutoff=0.75)
    hint = f" (maksudnya “{STATUS_LABELS[_STATUS_ALIASES[guess[0]]]}”?)" if guess else ""
    return None, ("status_tidak_dikenal", f"Status “{shown}” tidak dikenal{hint}. Pilih salah satu: {_STATUS_CHOICES}.")


def validate(upload: Upload, reference_niks: set[str] | None = None, *, today: dt.date | None = None) -> Validation:
    """Judge every row of ``upload``. Invalid: NIK missing or breaking a NIK rule of :func:`lib.casework.nik.check`
    (length, province, birth date, serial, Excel damage), a NIK repeating an earlier row (the later row),
    no name, a status that is not one of :data:`STATUS_LABELS` (or their aliases). Valid with a warning:
    birth date or sex disagreeing with the NIK or unreadable, a NIK not in ``reference_niks`` (when given),
    a NIK typed as a number that did not end in 0."""
    with _gc_paused():
        return _validate(upload, reference_niks, today or dt.date.today())


def _validate(upload: Upload, reference_niks: set[str] | None, today: dt.date) -> Validation:
    cols = upload.columns
    nik_j, nama_j, status_j = cols["nik"].index, cols["nama"].index, cols["status"].index
    bd_j, jk_j, alamat_j, ket_j = (cols[f].index if f in cols else None
                                   for f in ("tanggal_lahir", "jenis_kelamin", "alamat", "keterangan"))
    width = max(c.index for c in cols.values()) + 1
    where = {c.field: (c.letter, c.heading) for c in cols.values()}
    order = {c.field: c.index for c in cols.values()}
    warning_field = {"nik_tanggal_beda": "tanggal_lahir" if "tanggal_lahir" in where else "nik",
                     "nik_jk_beda": "jenis_kelamin" if "jenis_kelamin" in where else "nik"}
    sex_label = {"L": "Laki-laki", "P": "Perempuan", None: None}
    # Villages repeat the same few values: each distinct status, sex or date is judged once.
    status_seen: dict = {}
    sex_seen: dict = {}
    date_seen: dict = {}
    seen: dict[str, int] = {}
    results: list[RowResult] = []
    valid_rows: list[ValidRow] = []
    per_status = dict.fromkeys(STATUS_LABELS, 0)
    n_warning = 0
    check_nik = nik_rules.check
    date_type = dt.date

    def problem(r: int, name: str, code: str, level: str, reason: str) -> Problem:
        letter, heading = where[name]
        return Problem(r, letter, heading, name, code, level, reason)

    # The loop below runs once per row of a file of up to 100,000 rows: no per-row closures or keyword-heavy
    # calls beyond the NIK check, and a problem list only for a row that has a problem.
    for row in upload.rows:
        r = row.excel_row
        cells = row.cells
        if len(cells) < width:
            cells = cells + (None,) * (width - len(cells))
        problems = None

        born = None
        if bd_j is not None and (bd_raw := cells[bd_j]) is not None:
            if bd_raw.__class__ is date_type:
                born = bd_raw
            else:
                key = (bd_raw.__class__, bd_raw)
                if key in date_seen:
                    born = date_seen[key]
                else:
                    born = date_seen[key] = parse_date(bd_raw, today)
                if born is None and not _blank(bd_raw):
                    problems = [problem(r, "tanggal_lahir", "tanggal_lahir_tidak_terbaca", "warning",
                                        f"Tanggal lahir “{_shown(bd_raw)}” tidak terbaca; tulis seperti 31-12-1990. "
                                        "NIK tetap dipakai.")]
        sex = None
        if jk_j is not None and (jk_raw := cells[jk_j]) is not None:
            key = (jk_raw.__class__, jk_raw)
            if key in sex_seen:
                sex = sex_seen[key]
            else:
                sex = sex_seen[key] = parse_sex(jk_raw)
            if sex is None and not _blank(jk_raw):
                p = problem(r, "jenis_kelamin", "jenis_kelamin_tidak_dikenal", "warning",
                            f"Jenis kelamin “{_shown(jk_raw)}” tidak dikenal; tulis L atau P.")
                problems = [*problems, p] if problems else [p]

        check = check_nik(cells[nik_j], number_cell=row.nik_number_cell, birth_date=born, sex=sex_label[sex],
                          today=today)
        if check.errors or check.warnings:
            problems = problems or []
            for code, reason in check.errors:
                problems.append(problem(r, "nik", code, "error", reason))
            for code, reason in check.warnings:
                problems.append(problem(r, warning_field.get(code, "nik"), code, "warning", reason))
        nik = check.nik
        if not check.errors:
            first = seen.setdefault(nik, r)
            if first != r:
                problems = problems or []
                problems.append(problem(r, "nik", "nik_ganda", "error", f"NIK ini sudah tertulis di baris {first}; "
                                        "satu orang cukup satu baris. Hapus salah satu."))
            elif reference_niks is not None and nik not in reference_niks:
                problems = problems or []
                problems.append(problem(r, "nik", "nik_bukan_rujukan", "warning",
                                        "NIK tidak ada di data rujukan (DTKS/P3KE); periksa kembali NIK-nya dengan "
                                        "KTP/KK."))

        nama_raw = cells[nama_j]
        nama = (_clean(nama_raw) or None) if nama_raw.__class__ is str else _text(nama_raw)
        if nama is None:
            problems = problems or []
            problems.append(problem(r, "nama", "nama_kosong", "error", "Nama kosong; isi nama lengkap sesuai KTP."))

        status_raw = cells[status_j]
        key = (status_raw.__class__, status_raw)
        if key in status_seen:
            status, bad = status_seen[key]
        else:
            status, bad = status_seen[key] = _status_verdict(status_raw)
        if bad:
            problems = problems or []
            problems.append(problem(r, "status", bad[0], "error", bad[1]))

        if problems:
            problems.sort(key=lambda p: order[p.field])
            if any(p.level == "error" for p in problems):
                results.append(RowResult(r, "invalid", tuple(problems), None))
                continue
            n_warning += 1
        alamat = None if alamat_j is None else cells[alamat_j]
        if alamat is not None:
            alamat = (_clean(alamat) or None) if alamat.__class__ is str else _text(alamat)
        ket = None if ket_j is None else cells[ket_j]
        if ket is not None:
            ket = (_clean(ket) or None) if ket.__class__ is str else _text(ket)
        record = ValidRow(r, nik, nama, born, sex, alamat, status, ket,
                          tuple([p.code for p in problems]) if problems else ())
        valid_rows.append(record)
        per_status[status] += 1
        results.append(RowResult(r, "warning", tuple(problems), record) if problems else
                       RowResult(r, "valid", (), record))

    summary = Summary(rows=len(results), valid=len(valid_rows), valid_with_warning=n_warning,
                      invalid=len(results) - len(valid_rows), per_status=per_status, ignored=len(upload.ignored))
    return Validation(tuple(results), tuple(valid_rows), summary)


# ---------------------------------------------------------------------------------------------------------
# Writing: template and error report


_DATE_FORMAT = "DD-MM-YYYY"
_TEMPLATE_HEADER_ROW = 5
_TEMPLATE_SPARE_ROWS = 100
_WIDTHS = {"No": 6, "NIK": 21, "Nama Lengkap": 30, "Tanggal Lahir": 14, "Jenis Kelamin": 9, "Alamat": 36,
           "Status": 22, "Keterangan": 34}


def _status_dropdown(ws, ref: str) -> None:
    dv = _xl().DataValidation(type="list", formula1='"' + ",".join(STATUS_LABELS.values()) + '"', allow_blank=True,
                              showErrorMessage=True, showInputMessage=True)
    dv.errorTitle, dv.error = "Status tidak dikenal", "Pilih status dari daftar: " + ", ".join(STATUS_LABELS.values())
    dv.promptTitle, dv.prompt = "Status validasi", "Pilih dari daftar"
    ws.data_validations.append(dv)  # what ws.add_data_validation does; a write-only sheet lacks that method
    dv.add(ref)


def _nik_text(value) -> str | None:
    """A NIK cell as text, so Excel cannot round it: a number cell becomes its digits."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return f"{value:.0f}"
    return str(value)


def _style(ws, **attrs):
    """A style to give many cells at once (``cell._style = copy(...)``): openpyxl's per-attribute style
    setters hash every style object, which dominates writing thousands of cells."""
    proto = _xl().Cell(ws)
    for name, value in attrs.items():
        setattr(proto, name, value)
    return proto._style


def template_workbook(desa_label: str, rows: list[dict], today: dt.date | None = None) -> bytes:
    """The validation spreadsheet for one desa. ``rows`` are the candidates, dicts with ``nik`` and ``nama``
    (or ``nama_lengkap``) and optionally ``tanggal_lahir`` (date or text), ``jenis_kelamin`` (L/P),
    ``alamat``, ``status`` (code or label) and ``keterangan``."""
    x = _xl()
    today = today or dt.date.today()
    wb = x.Workbook()
    guide = wb.active
    guide.title = "Petunjuk"
    ws = wb.create_sheet("Validasi")
    _guide_sheet(guide, desa_label, today)

    ws["A1"] = "DAFTAR VALIDASI CALON PENERIMA BANTUAN IURAN BPJS KETENAGAKERJAAN (PEKERJA RENTAN)"
    ws["A1"].font = x.Font(bold=True, size=12)
    ws["A2"] = _cell_value(f"Desa/Kelurahan: {desa_label}")
    ws["A3"] = f"Tanggal: {x.fmt.tanggal(today)}"
    ws["A2"].font = ws["A3"].font = x.Font(bold=True)
    h = _TEMPLATE_HEADER_ROW
    for j, heading in enumerate(HEADERS, start=1):
        c = ws.cell(row=h, column=j, value=heading)
        c.font, c.fill, c.border, c.alignment = x.Font(bold=True), x.head_fill, x.box, x.centre
        ws.column_dimensions[column_letter(j)].width = _WIDTHS[heading]
    last = h + len(rows) + _TEMPLATE_SPARE_ROWS
    unlocked = x.Protection(locked=False)
    plain = _style(ws, protection=unlocked, border=x.box)
    styles = {2: _style(ws, protection=unlocked, border=x.box, number_format="@"),
              4: _style(ws, protection=unlocked, border=x.box, number_format=_DATE_FORMAT)}
    for i in range(h + 1, last + 1):
        for j in range(1, len(HEADERS) + 1):
            ws.cell(row=i, column=j)._style = copy(styles.get(j, plain))
    for n, r in enumerate(rows, start=1):
        status = r.get("status")
        values = [n, _nik_text(r.get("nik")), r.get("nama", r.get("nama_lengkap")), r.get("tanggal_lahir"),
                  r.get("jenis_kelamin"), r.get("alamat"), STATUS_LABELS.get(status, status), r.get("keterangan")]
        for j, v in enumerate(values, start=1):
            ws.cell(row=h + n, column=j).value = _cell_value(v)
    _status_dropdown(ws, f"G{h + 1}:G{last}")
    sex = x.DataValidation(type="list", formula1='"L,P"', allow_blank=True, showErrorMessage=True)
    sex.errorTitle, sex.error = "Jenis kelamin", "Tulis L (laki-laki) atau P (perempuan)."
    ws.add_data_validation(sex)
    sex.add(f"E{h + 1}:E{last}")
    ws.freeze_panes = ws.cell(row=h + 1, column=1)
    # Headers and title are locked; the data cells were unlocked above. No password: protection guards against
    # accidents, the portal reads loosely anyway.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _guide_sheet(ws, desa_label: str, today: dt.date) -> None:
    h = _TEMPLATE_HEADER_ROW
    lines: list[tuple[str, ...] | str] = [
        "PETUNJUK PENGISIAN DAFTAR VALIDASI CALON PENERIMA BANTUAN IURAN BPJS KETENAGAKERJAAN",
        f"Desa/Kelurahan: {desa_label} — dibuat {_xl().fmt.tanggal(today)}",
        "",
        "Langkah",
        (f"1. Buka lembar “Validasi”. Satu baris untuk satu orang. Baris judul kolom (baris {h}) dikunci: jangan "
         "mengubah, memindah, atau menghapus judul kolom."),
        ("2. Periksa setiap orang di daftar, lalu pilih Status dari pilihan di kolom Status (klik sel, lalu tanda "
         "panah di sampingnya)."),
        ("3. NIK harus 16 angka dan ditulis sebagai TEKS. Kolom NIK sudah berformat Teks; jangan diubah ke format "
         "Angka (Number). Excel hanya menyimpan 15 angka untuk sebuah angka, sehingga angka terakhir NIK bisa "
         "berubah menjadi 0 atau tampil seperti 3,20101E+15."),
        ("4. Jika NIK ditempel dari berkas lain, gunakan Tempel Khusus › Nilai (Paste Special › Values), atau ketik "
         "tanda petik ' di depan NIK."),
        "5. Baris yang seluruhnya kosong diabaikan.",
        ("6. Simpan sebagai Excel (.xlsx) dan kirim kembali melalui halaman unggah validasi di portal, bukan lewat "
         "pesan atau surel. Portal langsung memeriksa setiap baris; jika ada yang salah, unduh laporan "
         "kesalahannya, perbaiki sel yang berwarna merah, lalu unggah lagi."),
        "",
        ("Kolom", "Artinya", "Contoh"),
        ("No", "Nomor urut", "1"),
        ("NIK", "16 angka sesuai KTP atau Kartu Keluarga, ditulis sebagai teks", "3201014101900003"),
        ("Nama Lengkap", "Nama sesuai KTP", "SITI AMINAH"),
        ("Tanggal Lahir", "Tanggal-bulan-tahun", "01-01-1990"),
        ("Jenis Kelamin", "L untuk laki-laki, P untuk perempuan", "P"),
        ("Alamat", "Alamat tempat tinggal (dusun, RT/RW)", "Dusun Krajan RT 001 RW 002"),
        ("Status", "Hasil pemeriksaan desa; pilih dari daftar (lihat di bawah)", "Valid"),
        ("Keterangan", "Catatan tambahan, misalnya alasan tidak layak, tanggal meninggal, atau tujuan pindah",
         "Pindah ke Desa Sukamaju sejak Maret"),
        "",
        ("Pilihan Status", "Artinya", ""),
        ("Valid", "Benar warga desa ini, masih hidup, dan memenuhi syarat pekerja rentan (boleh ditulis Layak)", ""),
        ("Tidak Valid", "Tidak memenuhi syarat; tulis alasannya di Keterangan (boleh ditulis Tidak Layak)", ""),
        ("Meninggal", "Sudah meninggal dunia; tulis tanggalnya di Keterangan bila diketahui", ""),
        ("Pindah", "Sudah pindah tempat tinggal; tulis tujuannya di Keterangan bila diketahui", ""),
        ("Sudah Terdaftar BPJS", "Sudah menjadi peserta BPJS Ketenagakerjaan dari program atau pemberi kerja lain",
         ""),
    ]
    x = _xl()
    for i, line in enumerate(lines, start=1):
        if isinstance(line, str):
            c = ws.cell(row=i, column=1, value=_cell_value(line))
            if i in (1, 4):
                c.font = x.Font(bold=True, size=12 if i == 1 else 11)
            continue
        for j, v in enumerate(line, start=1):
            c = ws.cell(row=i, column=j, value=v)
            c.alignment, c.border = x.wrap, x.box
            if line[0] in ("Kolom", "Pilihan Status"):
                c.font, c.fill = x.Font(bold=True), x.head_fill
        ws.cell(row=i, column=3).number_format = "@"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 34


def _cell_value(value):
    """A value as written to a cell: text neutralised (= + - @) and stripped of the control characters
    openpyxl refuses."""
    if value.__class__ is str:
        x = _xl()
        return x.safe_cell(x.illegal.sub("", value))
    return value


def error_report(upload: Upload, validation: Validation) -> bytes:
    """The village's file back, ready to fix: every row at its own Excel row number with the same columns,
    an "Alasan" column, cells with an error red and with a warning yellow, the NIK column as text; a
    "Ringkasan" sheet with the counts and how to fix the file.

    Written row by row with openpyxl's write-only workbook (nothing is kept per cell), one shared style object
    per kind of cell: a 100,000-row report is written in a fraction of the time a normal workbook takes."""
    x = _xl()
    wb = x.Workbook(write_only=True)
    ws = wb.create_sheet((upload.sheet or "Data")[:31])
    width = max([len(upload.headings)] + [len(r.cells) for r in (*upload.rows, *upload.ignored)])
    reason_col = width + 1
    nik_j = upload.columns["nik"].index + 1
    status_j = upload.columns["status"].index + 1
    h = upload.header_row
    data_rows = sorted((*upload.rows, *upload.ignored), key=lambda r: r.excel_row)
    last = data_rows[-1].excel_row if data_rows else h

    # Everything about the sheet but its cells goes first: a write-only sheet streams its rows.
    for j in range(1, width + 1):
        heading = upload.headings[j - 1] if j <= len(upload.headings) else ""
        ws.column_dimensions[column_letter(j)].width = 21 if j == nik_j else max(8, min(36, len(heading) + 6))
    ws.column_dimensions[column_letter(reason_col)].width = 70
    ws.column_dimensions[column_letter(nik_j)].number_format = "@"  # a NIK typed in a new row stays text too
    ws.freeze_panes = f"A{h + 1 + len(upload.below_header)}"
    _status_dropdown(ws, f"{column_letter(status_j)}{h + 1}:{column_letter(status_j)}{max(last, h + 1)}")

    styles: dict[tuple[str, str | None], object] = {}

    def cell(value, kind: str = "plain", level: str | None = None):
        """A cell with the shared style of its kind (nik, date, reason, head, plain) and level."""
        if (kind, level) not in styles:
            attrs = {"number_format": {"nik": "@", "date": _DATE_FORMAT}.get(kind, "General")}
            if kind == "reason":
                attrs["alignment"] = x.wrap
            if kind == "head":
                attrs.update(font=x.Font(bold=True), fill=x.head_fill, border=x.box, alignment=x.centre)
            if level:
                attrs["fill"] = x.red if level == "error" else x.yellow
            styles[kind, level] = _style(ws, **attrs)
        c = x.WriteOnlyCell(ws, _cell_value(value))
        c._style = copy(styles[kind, level])
        return c

    safe, illegal = x.safe_cell, x.illegal
    row_no = 0

    def put(excel_row: int, values: list) -> None:
        nonlocal row_no
        while row_no < excel_row - 1:  # the village's blank rows stay blank
            row_no += 1
            ws.append([])
        ws.append(values)
        row_no = excel_row

    for excel_row, cells in upload.above_header:
        put(excel_row, [None if _blank(v) else cell(v, "date") if isinstance(v, (dt.date, dt.datetime)) else
                        _cell_value(v) for v in cells])
    alasan = "Alasan" if "alasan" not in {x.lower() for x in upload.headings} else "Alasan pemeriksaan"
    put(h, [cell(heading or None, "head") for heading in
            [*upload.headings, *[""] * (width - len(upload.headings)), alasan]])
    for excel_row, cells in upload.below_header:
        put(excel_row, [cell(v, "head") for v in cells])

    by_row = {r.excel_row: r for r in validation.rows}
    date_types = (dt.date, dt.datetime)
    for row in data_rows:
        result = by_row.get(row.excel_row)
        problems = result.problems if result else ()
        worst: dict[int, str] = {}
        for p in problems:
            j = upload.columns[p.field].index
            worst[j] = "error" if p.level == "error" else worst.get(j, "warning")
        values = []
        for j, v in enumerate(row.cells[:width]):
            level = worst.get(j) if worst else None
            if j == nik_j - 1:
                values.append(cell(_nik_text(v), "nik", level))
            elif level:
                values.append(cell(v, "date" if isinstance(v, date_types) else "plain", level))
            elif v is None:
                values.append(None)
            elif v.__class__ is str:
                values.append(safe(illegal.sub("", v)))
            elif isinstance(v, date_types):
                values.append(cell(v, "date"))
            else:
                values.append(v)
        if problems:
            values.extend([None] * (reason_col - 1 - len(values)))
            values.append(cell("\n".join(f"Kolom {p.column} ({p.heading}): {p.reason}" for p in problems), "reason",
                               "error" if result.state == "invalid" else "warning"))
        put(row.excel_row, values)

    _summary_sheet(wb.create_sheet("Ringkasan"), upload, validation)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary_sheet(ws, upload: Upload, validation: Validation) -> None:
    """The "Ringkasan" sheet of the error report (a write-only sheet: widths first, then the rows in order)."""
    x = _xl()
    s = validation.summary
    lines = [
        ("Hasil pemeriksaan berkas validasi", None),
        ("Berkas", upload.filename),
        ("Diperiksa", x.fmt.waktu(dt.datetime.now(dt.UTC))),
        (None, None),
        ("Jumlah baris data", s.rows),
        ("Dapat diterima", s.valid),
        ("   di antaranya dengan catatan (kuning)", s.valid_with_warning),
        ("Harus diperbaiki (merah)", s.invalid),
        ("Per status (baris yang dapat diterima)", None),
        *[(f"   {label}", s.per_status[code]) for code, label in STATUS_LABELS.items()],
        ("Baris tanpa NIK, nama, dan status (diabaikan)", s.ignored),
        *([("   yaitu baris", ", ".join(str(r.excel_row) for r in upload.ignored[:20])
            + (", …" if len(upload.ignored) > 20 else ""))] if upload.ignored else []),
        (None, None),
        ("Cara memperbaiki", ("Perbaiki sel berwarna merah di lembar pertama; alasannya ada di kolom Alasan. Sel "
                              "kuning hanya catatan: baris itu tetap diterima. Tulis NIK sebagai teks (16 angka). "
                              "Simpan, lalu unggah lagi berkas ini melalui portal.")),
        (None, None),
    ]
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 80
    top_left = x.Alignment(wrap_text=True, vertical="top", horizontal="left")
    for i, (a, b) in enumerate(lines, start=1):
        row = [None, None]
        if a is not None:
            row[0] = x.WriteOnlyCell(ws, a)
            row[0].font = x.Font(bold=i == 1, size=12 if i == 1 else 11)
        if b is not None:
            row[1] = x.WriteOnlyCell(ws, _cell_value(b))
            row[1].alignment = top_left
        ws.append(row)
