"""One reader for every spreadsheet that comes in: a village's validation list, a registry extract, BPJS's
answers, the SKM questionnaire. XLSX, XLSM, XLS, ODS and CSV, told apart by their bytes, not their names.

:func:`read_book` is the only way in. In order, it

1. refuses an empty file, a password-protected one, and one whose name promises Excel but whose bytes do not;
2. checks an archive before anything unpacks it (:func:`lib.base.archive.check`: entry count, declared and
   real unpacked size, ratio);
3. reads, capping the rows while reading: more than ``max_rows`` rows with something in them stops the
   reading and refuses the file with one message; a cell longer than :data:`MAX_CELL` characters is kept as
   an :class:`Overlong` of its first :data:`MAX_CELL` characters carrying its real length, so that the caller
   reports it as an error on that row (a column's own limit is the caller's: never a silent cut);
4. keeps the Excel row numbers: ``rows[i]`` is Excel row ``i + 1``; an empty row is an empty tuple.

Excel formats are read with calamine in a child process (``python -m lib.base.rows``) limited to
:data:`CHILD_MEMORY` bytes of address space and :data:`CHILD_SECONDS` of time. calamine builds the whole
rectangle between the first and last cell of a sheet: a 1.4 KB XLSX with one cell at A1 and one at XFD1048576
asks for 512 GB and aborts the process that reads it. In the child such a file ends the child, not the portal,
and is refused with one message. The child sends back only the capped rows. A formula error cell (``#N/A``,
``#REF!``, …), which calamine hands over as empty text, comes back as a :class:`FormulaError`.

CSV is read in this process, one record at a time from the decoded text: UTF-8 (with or without BOM),
UTF-16 (with BOM), Windows-1252 or Latin-1; separator ``;``, ``,`` or tab, chosen by the caller's ``score``
of the first :data:`HEADER_SCAN` lines (or by the widest row). Nothing here loads pandas or openpyxl.
"""
from __future__ import annotations

import csv
import hashlib
import io
import pickle
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lib.base import archive
from lib.base.errors import UserError

#: Rows searched for a header row (and for the CSV separator).
HEADER_SCAN = 30
#: Characters a cell may hold before it is an :class:`Overlong` (no column of the portal allows more).
MAX_CELL = 2000
#: The Excel-reading child process: address space and time.
CHILD_MEMORY = 1536 * 1024 * 1024
CHILD_SECONDS = 120

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
_TEXT_SUFFIXES = {".csv", ".txt", ""}

PASSWORD = ("Berkas dilindungi kata sandi (password), jadi isinya tidak dapat dibaca. Buka di Excel, hapus "
            "kata sandinya (File › Info › Proteksi Buku Kerja › Enkripsi dengan Kata Sandi, kosongkan isiannya), "
            "simpan, lalu unggah lagi.")
EMPTY = "Berkas kosong: tidak ada baris judul maupun data. Pilih berkas yang sudah diisi."


class BookRefused(UserError):
    """The file cannot be read as a whole; the message is one or two Indonesian sentences. Nothing was kept."""


class Overlong(str):
    """A cell longer than :data:`MAX_CELL`: its first :data:`MAX_CELL` characters, and ``length``, the real one."""
    length: int

    def __new__(cls, text: str, length: int):
        obj = super().__new__(cls, text[:MAX_CELL])
        obj.length = length
        return obj

    def __reduce__(self):
        return Overlong, (str(self), self.length)


class FormulaError(str):
    """A cell holding a formula's error value (``#N/A``, ``#REF!``, ``#VALUE!`` …), as its text."""

    def __reduce__(self):
        return FormulaError, (str(self),)


@dataclass(frozen=True)
class Sheet:
    """One worksheet (or the CSV): ``rows[i]`` is Excel row ``i + 1`` from A1; an empty row is ``()``. Cells
    are text, float, int, bool, date, datetime or time; a blank cell is ``""`` or None."""
    name: str | None
    visible: bool
    rows: list


@dataclass(frozen=True)
class Book:
    """What :func:`read_book` read: ``kind`` is xlsx, xls, ods or csv; ``encoding``/``separator`` for a CSV."""
    filename: str
    kind: str
    sha256: str
    sheets: list[Sheet]
    encoding: str | None = None
    separator: str | None = None


def angka(n: int) -> str:
    """``100.000``: Indonesian thousands separator, without loading Babel for one message."""
    return f"{n:,}".replace(",", ".")


class TooManyRows(BookRefused):
    """More rows with something in them than the caller's cap; the reading stopped there."""


def too_many(max_rows: int) -> TooManyRows:
    """The message for a file of more than ``max_rows`` rows of data."""
    return TooManyRows(f"Berkas berisi lebih dari {angka(max_rows)} baris data, batas per unggahan. Bagi menjadi "
                       "beberapa berkas, lalu unggah satu per satu.")


def unreadable(filename: str) -> BookRefused:
    return BookRefused(f"Berkas “{filename}” tidak dapat dibaca sebagai Excel: mungkin rusak, terpotong saat "
                       "dikirim, atau bukan berkas Excel. Buka di Excel, simpan ulang sebagai Buku Kerja Excel "
                       "(.xlsx), lalu unggah lagi.")


def kind_of(data: bytes, filename: str) -> str:
    """xlsx, xls, ods or csv, told by the bytes; :class:`BookRefused` for a protected or foreign file."""
    suffix = Path(filename or "").suffix.lower()
    if data[:8] == _OLE2:
        if _ENCRYPTED in data:
            raise BookRefused(PASSWORD)
        return "xls"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "ods" if suffix == ".ods" or _is_ods(data) else "xlsx"
    if suffix in _EXCEL_SUFFIXES:
        raise BookRefused(f"Berkas “{filename}” bernama {suffix} tetapi isinya bukan berkas Excel (mungkin rusak, "
                          f"atau halaman web/teks yang diberi nama {suffix}). Buka di Excel, simpan sebagai Buku Kerja "
                          "Excel (.xlsx), lalu unggah lagi.")
    if suffix in _TEXT_SUFFIXES:
        return "csv"
    raise BookRefused(f"Jenis berkas “{filename}” tidak didukung. Unggah berkas Excel (.xlsx atau .xls) atau CSV.")


def _is_ods(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read("mimetype").startswith(b"application/vnd.oasis.opendocument.spreadsheet")
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
        return False


def read_book(data: bytes, filename: str, *, max_rows: int, first_sheet_only: bool = False,
              score: Callable[[list], object] | None = None) -> Book:
    """Read ``data`` (see the module's description). ``max_rows`` caps the rows with something in them, per
    sheet; ``first_sheet_only`` reads the first worksheet alone; ``score`` ranks the CSV separators by the
    rows they give (higher is better). :class:`BookRefused` with one Indonesian message otherwise."""
    filename = filename or "berkas"
    if not data or not data.strip():
        raise BookRefused(EMPTY)
    kind = kind_of(data, filename)
    try:
        archive.check(data, filename)
    except archive.ArchiveRefused as err:
        raise BookRefused(str(err)) from None
    sha = hashlib.sha256(data).hexdigest()
    if kind == "csv":
        rows, encoding, sep = _csv(data, filename, max_rows, score)
        sheets, book = [Sheet(None, True, rows)], (encoding, sep)
    else:
        sheets, book = _excel(data, filename, max_rows, first_sheet_only), (None, None)
    if not any(v not in (None, "") and not (isinstance(v, str) and v.isspace())
               for s in sheets for row in s.rows for v in row):
        raise BookRefused(EMPTY)
    return Book(filename, kind, sha, sheets, *book)


# ---------------------------------------------------------------------------------------------------------
# CSV, in this process


def _decode(data: bytes) -> tuple[str, str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time (no list of every line, no second copy)."""
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", start)
        end = n if end < 0 else end + 1
        yield text[start:end]
        start = end


def _widest(rows: list) -> int:
    return max((sum(1 for v in row if v.strip()) for row in rows), default=0)


def _csv(data: bytes, filename: str, max_rows: int, score) -> tuple[list, str, str]:
    head = data[:8192]
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not utf16 and (b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > max(2, len(head) // 100)):
        raise BookRefused(f"Berkas “{filename}” bukan berkas CSV (isinya bukan teks). Unggah berkas Excel "
                          "(.xlsx atau .xls) atau CSV.")
    text, encoding = _decode(data)
    first = "".join(line for _, line in zip(range(HEADER_SCAN), _lines(text)))
    best = None
    for sep in (";", ",", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(first, newline=""), delimiter=sep))
        except csv.Error:
            continue
        rank = (score or _widest)(rows)
        if best is None or rank > best[0]:
            best = (rank, sep)
    sep = best[1] if best else ","
    return _csv_rows(text, filename, sep, max_rows), encoding, sep


def _csv_rows(text: str, filename: str, sep: str, max_rows: int) -> list:
    rows: list = []
    filled = 0
    reader = csv.reader(_lines(text), delimiter=sep)
    try:
        for record in reader:
            if not any(v and not v.isspace() for v in record):
                rows.append(())
                continue
            filled += 1
            if filled > max_rows:
                raise too_many(max_rows)
            rows.append([v if len(v) <= MAX_CELL else Overlong(v, len(v)) for v in record])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise BookRefused(f"Berkas CSV “{filename}”, baris {len(rows) + 1}: satu sel berisi lebih dari "
                              f"{angka(csv.field_size_limit())} karakter. Periksa tanda kutip (\") yang tidak "
                              "ditutup, simpan ulang, lalu unggah lagi.") from exc
        raise BookRefused(f"Berkas CSV “{filename}” tidak dapat dibaca di baris {len(rows) + 1}. Buka di Excel, "
                          "simpan ulang, lalu unggah lagi.") from exc
    while rows and rows[-1] == ():
        rows.pop()
    return rows


# ---------------------------------------------------------------------------------------------------------
# Excel, in a child process


def _excel(data: bytes, filename: str, max_rows: int, first_only: bool) -> list[Sheet]:
    cmd = [sys.executable, "-m", "lib.base.rows", str(max_rows), "1" if first_only else "0"]
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=CHILD_SECONDS,
                              cwd=str(Path(__file__).resolve().parents[2]))
    except subprocess.TimeoutExpired as exc:
        raise BookRefused(f"Berkas “{filename}” terlalu lama dibaca (lebih dari {CHILD_SECONDS} detik). Simpan "
                          "datanya saja ke buku kerja baru (tanpa rumus dan format), lalu unggah lagi.") from exc
    if done.returncode != 0:
        raise BookRefused(f"Berkas “{filename}” tidak dapat dibaca: lembar kerjanya membentang jauh melampaui "
                          "datanya, atau berkasnya rusak. Salin datanya saja ke buku kerja baru, simpan, lalu "
                          "unggah lagi.")
    answer = pickle.loads(done.stdout)
    if answer[0] == "refused":
        raise {"password": BookRefused(PASSWORD), "unreadable": unreadable(filename),
               "too_many": too_many(max_rows)}[answer[1]]
    return [Sheet(name, visible, rows) for name, visible, rows in answer[1]]


_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?\bt="e"[^>]*>(?:<f[^>]*?/>|<f[^>]*>.*?</f>)?'
                         rb"<v>([^<]{1,20})</v>", re.DOTALL)


def _column_number(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n


def _xlsx_errors(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet name → {(0-based row, column): error text} of the formula error cells of an XLSX."""
    found: dict[str, dict[tuple[int, int], str]] = {}
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        book = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
        return found
    targets = {m[0]: m[1] for m in re.findall(rb'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets |= {m[1]: m[0] for m in re.findall(rb'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)}
    for name, rid in re.findall(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', book):
        target = targets.get(rid, b"").decode("utf-8", "replace").lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        try:
            xml = zf.read(path)
        except (KeyError, zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
            continue
        if b't="e"' not in xml:
            continue
        cells = {(int(r) - 1, _column_number(c) - 1): v.decode("utf-8", "replace")
                 for c, r, v in _ERROR_CELL.findall(xml)}
        found[_unescape(name.decode("utf-8", "replace"))] = cells
    return found


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")


def _child_sheet(sheet, max_rows: int, errors: dict[tuple[int, int], str]) -> list:
    """The rows of ``sheet`` as kept (Excel row ``i + 1`` is ``rows[i]``, columns from the sheet's first used
    one, as calamine's ``iter_rows`` gives them), or None when more than ``max_rows`` rows hold something."""
    first_row, first_col = sheet.start if sheet.height else (0, 0)
    if sheet.height <= max_rows:
        # At most max_rows rows: calamine converts them in one call (cheaper than row by row), and the cap
        # cannot be passed. The lists are calamine's own and are changed in place.
        rows: list = [()] * first_row
        for row in sheet.to_python(skip_empty_area=True):
            rows.append(_kept(row))
    else:
        rows = []
        filled = 0
        for row in sheet.iter_rows():
            kept = _kept(row)
            filled += kept != ()
            if filled > max_rows:
                return None
            rows.append(kept)
    for (r, c), text in errors.items():
        c -= first_col
        if r < len(rows) and rows[r] != () and 0 <= c < len(rows[r]) and rows[r][c] == "":
            rows[r][c] = FormulaError(text)
    while rows and rows[-1] == ():
        rows.pop()
    return rows


def _kept(row: list):
    """A row as the child hands it over: () when every cell is empty, over-long text as :class:`Overlong`."""
    if not any(map("".__ne__, row)):  # "" != v for every cell, at C speed (a number is never "")
        return ()
    for j, v in enumerate(row):
        if v.__class__ is str and len(v) > MAX_CELL:
            row[j] = Overlong(v, len(v))
    return row


def child_answer(max_rows: int, first_only: bool) -> tuple:
    """What the child answers: ("ok", [(name, visible, rows)]) or ("refused", why)."""
    import python_calamine  # noqa: PLC0415 (the child alone loads the Rust reader)

    data = sys.stdin.buffer.read()
    errors = _xlsx_errors(data) if data[:2] == b"PK" else {}
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            rows = _child_sheet(book.get_sheet_by_name(meta.name), max_rows, errors.get(meta.name, {}))
            if rows is None:
                return "refused", "too_many"
            sheets.append((meta.name, meta.visible == python_calamine.SheetVisibleEnum.Visible, rows))
            if first_only:
                break
    except python_calamine.PasswordError:
        return "refused", "password"
    except Exception as exc:  # calamine raises its own error types for a damaged or foreign file
        return "refused", "password" if re.search(r"password|encrypt", str(exc), re.IGNORECASE) else "unreadable"
    return "ok", sheets


if __name__ == "__main__":
    import gc
    import resource

    gc.disable()  # a short-lived process building some 100,000 row lists: collections would only cost time
    from lib.base import rows as this  # the classes pickled must be lib.base.rows's, not __main__'s

    resource.setrlimit(resource.RLIMIT_AS, (this.CHILD_MEMORY, this.CHILD_MEMORY))
    sys.stdout.buffer.write(pickle.dumps(this.child_answer(int(sys.argv[1]), sys.argv[2] == "1"),
                                         protocol=pickle.HIGHEST_PROTOCOL))
