"""Reading a village's validation file (SOP pekerja-rentan, seed 000): the file as the village sent it, before any row
is judged.

* :func:`read_upload` — an XLSX, XLS (or ODS) or CSV file as the village sent it: the header row is found
  even below a letterhead, column names are matched loosely (:func:`field_of`), every row keeps the Excel row
  number the village sees and whether its NIK cell was stored as a number. A problem with the file as a whole
  raises :class:`UploadError` with one Indonesian message.
* :class:`Upload`, :class:`UploadRow`, :class:`Column` — what was read.
* The file's vocabulary shared by the checks (:mod:`lib.rentan.validasi`) and the workbooks
  (:mod:`lib.rentan.validasi_xlsx`): the template's columns, the statuses it offers, and the small cell helpers
  (:func:`is_blank`, :func:`clean_text`, :func:`cell_text`, :func:`shown_text`, :func:`is_number`).

The bytes are read by :func:`lib.base.rows.read_book`, the one reader of every spreadsheet that comes in
(archive check, rows capped while reading, over-long cells marked, formula errors kept). Nothing here loads
pandas, openpyxl or Babel: ``python -m lib desa validate`` reads and checks a file without them.
"""
from __future__ import annotations

import datetime as dt
import gc
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass

from lib.base import rows as rows_reader
from lib.base.errors import UserError

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


@contextmanager
def gc_paused():
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
    sheet_hidden: bool = False     # the data came from a hidden sheet (the village may not know it is there)

    def value(self, row: UploadRow, name: str):
        col = self.columns.get(name)
        return None if col is None else row.cell(col.index)


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def is_blank(value) -> bool:
    """True for a cell with nothing in it: None, NaN, or text that is empty once spaces are collapsed."""
    return value is None or value == "" or (isinstance(value, str) and not clean_text(value)) or \
        (isinstance(value, float) and math.isnan(value))


def clean_text(text: str) -> str:
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


def cell_text(value) -> str | None:
    """A cell as clean text (a whole number without ".0", a date as 31-12-1990), or None when blank."""
    if value is None:
        return None
    if value.__class__ is str:
        return clean_text(value) or None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value:%d-%m-%Y}"
    return clean_text(str(value)) or None


def shown_text(value) -> str:
    """A cell as a message quotes it: :func:`cell_text`, "" when blank."""
    return cell_text(value) or ""


def is_number(value) -> bool:
    """True for an int or float cell (a bool is not a number here)."""
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
    filled = [v for v in row if not is_blank(v)]
    if not filled:
        return None
    names: dict[str, int] = {}
    for j, v in enumerate(row):
        if is_blank(v):
            continue
        name = field_of(v)
        if name is None:
            break
        names.setdefault(name, j)
    else:
        return names
    if len(filled) >= 3 and len(set(map(str, filled))) == len(filled) and all(
            (is_number(v) and float(v).is_integer() and 0 < v < 100) or
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


def read_upload(data: bytes, filename: str, max_rows: int) -> Upload:
    """Read a validation file (XLSX, XLS, ODS, or CSV with comma/semicolon/tab in UTF-8, UTF-16 or
    Latin-1/Windows-1252). The format is told by the bytes, not the name.

    The sheet read is the visible worksheet whose header row (within the first 30 rows) has NIK, Nama and
    Status columns. More than ``max_rows`` data rows is refused (callers go through
    :func:`lib.rentan.validasi.read_upload`, whose default is :data:`lib.rentan.validasi.MAX_ROWS`). Raises
    :class:`UploadError` (one message) when the file cannot be used as a whole."""
    with gc_paused():
        return _read_upload(data, filename, max_rows)


def _read_upload(data: bytes, filename: str, max_rows: int) -> Upload:
    filename = filename or "berkas"
    try:
        # Title rows, a second heading row and a signature block may come on top of the data rows.
        book = rows_reader.read_book(data, filename, max_rows=max_rows + HEADER_SCAN + 10, score=_separator_score)
    except rows_reader.TooManyRows:
        raise UploadError(str(rows_reader.too_many(max_rows))) from None
    except rows_reader.BookRefused as err:
        raise UploadError(str(err)) from None
    kind, encoding, separator = book.kind, book.encoding, book.separator
    sheets = [(s.name, s.visible, s.rows) for s in book.sheets]
    name, visible, rows, h, cols, n_below = _header_sheet(sheets)
    headings = tuple(cell_text(v) or "" for v in rows[h])
    below_header, columns = _columns(rows, h, n_below, headings, cols)
    kept, ignored = _data_rows(rows, h + 1 + n_below, len(headings), cols, kind != "csv")
    if not kept:
        raise UploadError(f"Tidak ada data di bawah baris judul ({_where(name, h, len(sheets))}). Isi satu baris "
                          "untuk setiap orang, lalu unggah lagi.")
    if len(kept) > max_rows:
        raise UploadError(f"Berkas berisi {_angka(len(kept))} baris data, lebih dari batas {_angka(max_rows)} "
                          "baris per unggahan. Bagi menjadi beberapa berkas, lalu unggah satu per satu.")
    return Upload(
        filename=filename, kind=kind, sha256=book.sha256, sheet=name, header_row=h + 1,
        headings=headings, columns=columns, rows=tuple(kept), ignored=tuple(ignored),
        above_header=tuple((i + 1, c) for i, c in enumerate(map(_cells, rows[:h])) if any(v is not None for v in c)),
        below_header=below_header, encoding=encoding, separator=separator, sheet_hidden=not visible)


def _separator_score(rows: list) -> tuple[int, int]:
    """How well a CSV separator splits the first lines: required columns named, then columns named."""
    _, cols, _ = _header_in(rows)
    return sum(f in cols for f in REQUIRED), len(cols)


def _where(sheet: str | None, h: int, n_sheets: int) -> str:
    """Where the 0-based row ``h`` is, as a message names it: the sheet too when the file has several."""
    return f"lembar “{sheet}”, baris {h + 1}" if n_sheets > 1 else f"baris {h + 1}"


def _header_sheet(sheets: list) -> tuple[str | None, bool, list[list], int, dict[str, int], int]:
    """(name, visible, rows, 0-based header row, field → column index, rows below the header that belong to it) of the
    sheet to read: the one whose header names NIK, Nama and Status, a visible one first. :class:`UploadError`
    when no sheet has such a header, or when more than one such sheet holds data."""
    found = [(name, visible, rows, *_header_in(rows)) for name, visible, rows in sheets]
    complete = [f for f in found if all(r in f[4] for r in REQUIRED)]
    if not complete:
        best = max(found, key=lambda f: (sum(r in f[4] for r in REQUIRED), len(f[4])))
        have = [r for r in REQUIRED if r in best[4]]
        if len(have) < 2:
            raise UploadError(f"Baris judul kolom tidak ditemukan: di {HEADER_SCAN} baris pertama tidak ada baris "
                              "yang memuat kolom NIK, Nama dan Status. Gunakan templat validasi dari portal, atau "
                              "tambahkan judul kolom itu di atas data.")
        missing = " dan ".join(_FIELD_NAMES[r] for r in REQUIRED if r not in best[4])
        raise UploadError(f"Kolom {missing} tidak ditemukan di baris judul ({_where(best[0], best[3], len(sheets))}). "
                          "Baris judul harus memuat kolom NIK, Nama dan Status; gunakan templat validasi dari portal.")
    # Prefer visible sheets; a second sheet holding data too is refused rather than silently ignored.
    chosen = [f for f in complete if f[1]] or complete
    with_data = [f for f in chosen if len(chosen) > 1 and
                 any(v is not None for row in f[2][f[3] + 1:] for v in _cells(row))]
    if len(with_data) > 1:
        names = " dan ".join(f"“{f[0]}”" for f in with_data[:3])
        raise UploadError(f"Berkas berisi lebih dari satu lembar dengan data validasi ({names}). Satukan datanya "
                          "di satu lembar atau hapus lembar yang tidak dipakai, lalu unggah lagi.")
    name, visible, rows, h, cols, n_below = (with_data or chosen)[0]
    return name, visible, rows, h, cols, n_below


def _columns(rows: list, h: int, n_below: int, headings: tuple[str, ...],
             cols: dict[str, int]) -> tuple[tuple[tuple[int, tuple], ...], dict[str, Column]]:
    """(the rows below the header that belong to it, field → :class:`Column`). A second heading row and/or a row
    numbering the columns under the header: their headings name the columns."""
    width = len(headings)
    below_header = tuple((i + 1, _cells(rows[i], width)) for i in range(h + 1, h + 1 + n_below))
    named = [None] * width
    for _, cells in below_header:
        for j, v in enumerate(cells[:width]):
            if field_of(v):
                named[j] = cell_text(v)
    return below_header, {f: Column(f, j, named[j] or headings[j]) for f, j in cols.items()}


def _data_rows(rows: list, start: int, width: int, cols: dict[str, int],
               excel: bool) -> tuple[list[UploadRow], list[UploadRow]]:
    """(rows kept, rows set aside) from the 0-based row ``start`` on: a row with a NIK, name or status is kept;
    one with something else only (a signature, a total) is set aside; an empty one is left out."""
    nik_j, nama_j, status_j = (cols[r] for r in REQUIRED)
    kept: list[UploadRow] = []
    ignored: list[UploadRow] = []
    keep, set_aside = kept.append, ignored.append
    number = (float, int)
    # The hot loop of a 100,000-row file: calamine gives "" for a blank cell and never NaN, and a CSV gives text
    # only, so a cell is blank when it is an empty or whitespace-only string (None is kept as it is).
    for i in range(start, len(rows)):
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
    return kept, ignored
