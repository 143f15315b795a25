"""Village validation spreadsheets (SOP pekerja-rentan, seed 000: stages ``jawaban_desa``, ``pemutakhiran_calon``):
checking every row of what a desa sends back.

* :func:`validate` — every row judged with the NIK rules of :mod:`lib.casework.nik` plus the file's own rules
  (repeated NIK, name, status): invalid, valid with a warning, or valid (:class:`Validation`).
* :func:`parse_date`, :func:`parse_sex`, :func:`status_code` — a cell's value as a village writes it.
* :func:`read_upload` — the file as the village sent it (:func:`lib.rentan.upload.read_upload`), at most
  :data:`MAX_ROWS` data rows.

The rest of the job lives beside this module and is re-exported here, so callers keep one module to import:
reading the file (:class:`UploadError`, :class:`Upload`, :func:`field_of` …) in :mod:`lib.rentan.upload`; the
template a village fills and the error report it fixes (:func:`template_workbook`, :func:`error_report`) in
:mod:`lib.rentan.validasi_xlsx`.

A file of :data:`MAX_ROWS` (100,000) rows is read and checked in about the time calamine alone takes to read it
twice (``bench/validasi_bench.py``, figures in ``bench/RESULTS.md``). Checking loads neither SQLAlchemy,
pandas, openpyxl nor Babel: ``python -m lib desa validate`` runs before the rest of the CLI is imported.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from lib.casework import nik as nik_rules
from lib.rentan import upload as reader
from lib.rentan.upload import (
    FIELDS,
    HEADER_SCAN,
    HEADERS,
    REQUIRED,
    STATUS_LABELS,
    Column,
    Upload,
    UploadError,
    UploadRow,
    cell_text,
    clean_text,
    column_letter,
    field_of,
    gc_paused,
    is_blank,
    is_number,
    shown_text,
)
from lib.rentan.validasi_xlsx import error_report, template_workbook

__all__ = [
    "FIELDS", "HEADER_SCAN", "HEADERS", "MAX_ROWS", "REQUIRED", "STATUS_LABELS", "Column", "Problem", "RowResult",
    "Summary", "Upload", "UploadError", "UploadRow", "ValidRow", "Validation", "column_letter", "error_report",
    "field_of", "parse_date", "parse_sex", "read_upload", "status_code", "template_workbook", "validate",
]

#: Rows one upload may hold (read at call time: the page, a test or a setting may lower it).
MAX_ROWS = 100_000
#: The longest nama, alamat and keterangan a row may hold (the columns of ``validasi_baris``); longer is an
#: error on the row, never a silent cut.
NAMA_MAX, ALAMAT_MAX, KETERANGAN_MAX = 200, 300, 1000

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
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if is_number(value):
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
    if is_blank(value):
        return None
    return _SEX.get(re.sub(r"[^a-z]", "", str(value).lower()))


def status_code(value) -> str | None:
    """The canonical status code of what a village wrote (case-insensitive, spaces tolerated), or None."""
    if is_blank(value) or not isinstance(value, str):
        return None
    key = re.sub(r"\s*/\s*", "/", clean_text(value).lower())
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
    shown = shown_text(raw)
    guess = difflib.get_close_matches(re.sub(r"\s*/\s*", "/", shown.lower()), list(_STATUS_ALIASES), n=1,
                                      cutoff=0.75)
    hint = f" (maksudnya “{STATUS_LABELS[_STATUS_ALIASES[guess[0]]]}”?)" if guess else ""
    return None, ("status_tidak_dikenal", f"Status “{shown}” tidak dikenal{hint}. Pilih salah satu: {_STATUS_CHOICES}.")


def read_upload(data: bytes, filename: str, max_rows: int | None = None) -> Upload:
    """The validation file ``data`` read by :func:`lib.rentan.upload.read_upload`; more than ``max_rows`` data rows
    (default :data:`MAX_ROWS`) is refused with :class:`UploadError`."""
    return reader.read_upload(data, filename, MAX_ROWS if max_rows is None else max_rows)


def validate(upload: Upload, reference_niks: set[str] | None = None, *, today: dt.date | None = None) -> Validation:
    """Judge every row of ``upload``. Invalid: NIK missing or breaking a NIK rule of :func:`lib.casework.nik.check`
    (length, province, birth date, serial, Excel damage), a NIK repeating an earlier row (the later row),
    no name, a status that is not one of :data:`STATUS_LABELS` (or their aliases). Valid with a warning:
    birth date or sex disagreeing with the NIK or unreadable, a NIK not in ``reference_niks`` (when given),
    a NIK typed as a number that did not end in 0."""
    with gc_paused():
        return _validate(upload, reference_niks, today or dt.date.today())


_SEX_LABELS = {"L": "Laki-laki", "P": "Perempuan", None: None}
# Reasons given by _validate's row loop (the ones quoting a cell or a row are filled with str.format).
_NIK_BUKAN_RUJUKAN = "NIK tidak ada di data rujukan (DTKS/P3KE/DTSEN); periksa kembali NIK-nya dengan KTP/KK."
_NIK_GANDA = "NIK ini sudah tertulis di baris {}; satu orang cukup satu baris. Hapus salah satu."
_TANGGAL_TIDAK_TERBACA = "Tanggal lahir “{}” tidak terbaca; tulis seperti 31-12-1990. NIK tetap dipakai."


class _Memo(dict):
    """One verdict per distinct cell: ``memo[type(v), v]`` is ``judge(v)``, worked out on first use (the type is
    in the key because 1, 1.0 and True are one dict key). A hit costs a single dict lookup."""
    __slots__ = ("judge",)

    def __init__(self, judge):
        super().__init__()
        self.judge = judge

    def __missing__(self, key):
        value = self[key] = self.judge(key[1])
        return value


def _validate(upload: Upload, reference_niks: set[str] | None, today: dt.date) -> Validation:
    nik_j, nama_j, status_j, bd_j, jk_j, alamat_j, ket_j, width = _column_indices(upload.columns)
    problem, order, warning_field = _problem_factory(upload.columns)
    # Villages repeat the same few values: each distinct status, sex or date is judged once.
    status_seen, sex_seen, date_seen = _Memo(_status_verdict), _Memo(parse_sex), _Memo(lambda v: parse_date(v, today))
    seen: dict[str, int] = {}
    results: list[RowResult] = []
    valid_rows: list[ValidRow] = []
    per_status, n_warning, year = dict.fromkeys(STATUS_LABELS, 0), 0, today.year
    check_nik, quick_nik, date_type, sex_label = nik_rules.check, nik_rules.quick, dt.date, _SEX_LABELS
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
            born = bd_raw if bd_raw.__class__ is date_type else date_seen[bd_raw.__class__, bd_raw]
            if born is None and not is_blank(bd_raw):
                problems = [problem(r, "tanggal_lahir", "tanggal_lahir_tidak_terbaca", "warning",
                                    _TANGGAL_TIDAK_TERBACA.format(shown_text(bd_raw)))]
        sex = None
        if jk_j is not None and (jk_raw := cells[jk_j]) is not None:
            sex = sex_seen[jk_raw.__class__, jk_raw]
            if sex is None and not is_blank(jk_raw):
                p = problem(r, "jenis_kelamin", "jenis_kelamin_tidak_dikenal", "warning",
                            f"Jenis kelamin “{shown_text(jk_raw)}” tidak dikenal; tulis L atau P.")
                problems = [*problems, p] if problems else [p]
        nik, number_cell, sex_text = cells[nik_j], row.nik_number_cell, sex_label[sex]
        nik_ok = not number_cell and quick_nik(nik, year, born, sex_text) is not None
        if not nik_ok:  # something to say about it: the full check gives the reasons
            check = check_nik(nik, number_cell=number_cell, birth_date=born, sex=sex_text, today=today)
            if check.errors or check.warnings:
                problems = problems or []
                for code, reason in check.errors:
                    problems.append(problem(r, "nik", code, "error", reason))
                for code, reason in check.warnings:
                    problems.append(problem(r, warning_field.get(code, "nik"), code, "warning", reason))
            nik, nik_ok = check.nik, not check.errors
        if nik_ok:
            first = seen.setdefault(nik, r)
            if first != r:
                problems = problems or []
                problems.append(problem(r, "nik", "nik_ganda", "error", _NIK_GANDA.format(first)))
            elif reference_niks is not None and nik not in reference_niks:
                problems = problems or []
                problems.append(problem(r, "nik", "nik_bukan_rujukan", "warning", _NIK_BUKAN_RUJUKAN))
        nama_raw = cells[nama_j]
        nama = (clean_text(nama_raw) or None) if nama_raw.__class__ is str else cell_text(nama_raw)
        if nama is None:
            problems = problems or []
            problems.append(problem(r, "nama", "nama_kosong", "error", "Nama kosong; isi nama lengkap sesuai KTP."))
        status_raw = cells[status_j]
        status, bad = status_seen[status_raw.__class__, status_raw]
        if bad:
            problems = problems or []
            problems.append(problem(r, "status", bad[0], "error", bad[1]))
        alamat = None if alamat_j is None else cell_text(cells[alamat_j])
        ket = None if ket_j is None else cell_text(cells[ket_j])
        if (nama and len(nama) > NAMA_MAX) or (alamat and len(alamat) > ALAMAT_MAX) or \
                (ket and len(ket) > KETERANGAN_MAX):
            problems = [*(problems or []), *_too_long(r, problem, cells, (nama_j, nama), (alamat_j, alamat),
                                                      (ket_j, ket))]
        if problems:
            problems.sort(key=lambda p: order[p.field])
            if any(p.level == "error" for p in problems):
                results.append(RowResult(r, "invalid", tuple(problems), None))
                continue
            n_warning += 1
        record = ValidRow(r, nik, nama, born, sex, alamat, status, ket,
                          tuple([p.code for p in problems]) if problems else ())
        valid_rows.append(record)
        per_status[status] += 1
        results.append(RowResult(r, "warning", tuple(problems), record) if problems else
                       RowResult(r, "valid", (), record))
    return _validation(results, valid_rows, per_status, n_warning, len(upload.ignored))


def _column_indices(cols: dict[str, Column]) -> tuple[int | None, ...]:
    """The 0-based column of NIK, name, status, birth date, sex, address and note (None for an optional column
    the file lacks), then the row width they need."""
    nik_j, nama_j, status_j = cols["nik"].index, cols["nama"].index, cols["status"].index
    bd_j, jk_j, alamat_j, ket_j = (cols[f].index if f in cols else None
                                   for f in ("tanggal_lahir", "jenis_kelamin", "alamat", "keterangan"))
    return nik_j, nama_j, status_j, bd_j, jk_j, alamat_j, ket_j, max(c.index for c in cols.values()) + 1


def _too_long(r: int, problem, cells: tuple, *fields: tuple[int | None, str | None]) -> list[Problem]:
    """An error for each cell longer than its column allows (nama, alamat, keterangan): never a silent cut."""
    out = []
    for (j, text), (field, label, limit) in zip(fields, (("nama", "Nama", NAMA_MAX), ("alamat", "Alamat", ALAMAT_MAX),
                                                        ("keterangan", "Keterangan", KETERANGAN_MAX))):
        if text and len(text) > limit:
            length = max(getattr(cells[j], "length", 0), len(text))
            out.append(problem(r, field, f"{field}_terlalu_panjang", "error",
                               f"{label} {length} karakter, lebih dari batas {limit}; persingkat lalu unggah lagi."))
    return out


def _problem_factory(cols: dict[str, Column]):
    """(``problem(row, field, code, level, reason)``: a :class:`Problem` at the field's column as the village
    wrote it; field → column index, the order of a row's problems; NIK warning code → the field it is shown in)."""
    where = {c.field: (c.letter, c.heading) for c in cols.values()}
    order = {c.field: c.index for c in cols.values()}
    warning_field = {"nik_tanggal_beda": "tanggal_lahir" if "tanggal_lahir" in where else "nik",
                     "nik_jk_beda": "jenis_kelamin" if "jenis_kelamin" in where else "nik"}

    def problem(r: int, name: str, code: str, level: str, reason: str) -> Problem:
        letter, heading = where[name]
        return Problem(r, letter, heading, name, code, level, reason)

    return problem, order, warning_field


def _validation(results: list[RowResult], valid_rows: list[ValidRow], per_status: dict[str, int], n_warning: int,
                ignored: int) -> Validation:
    """The verdicts of a file with their :class:`Summary`."""
    summary = Summary(rows=len(results), valid=len(valid_rows), valid_with_warning=n_warning,
                      invalid=len(results) - len(valid_rows), per_status=per_status, ignored=ignored)
    return Validation(tuple(results), tuple(valid_rows), summary)
