"""Survei Kepuasan Masyarakat (SKM) by PermenPAN-RB 14/2017: the questionnaire as data, reading a respondent
file, the IKM with its grade, the Krejcie–Morgan minimum sample, and the report as XLSX.

Arithmetic (docs/design.md): NRR per unsur = total ÷ respondents; IKM = mean of the 9 NRR × 25, i.e. weight exactly
1/9 per unsur. ``weight="legacy"`` is the 0.111 weight of many old spreadsheets (Σ NRR × 0.111 × 25; it tops
out at 99,90). Sums are kept as exact fractions and the IKM is rounded once, to 2 decimals, half up on the
decimal value (78,125 → 78,13, where binary ``round`` gives 78,12); the grade is read from that rounded value:
A 88,31–100 Sangat Baik, B 76,61–88,30 Baik, C 65,00–76,60 Kurang Baik, D 25,00–64,99 Tidak Baik.

A respondent file (XLSX or CSV) has one row per respondent and the columns U1…U9 (any case, ``U 1``, ``U-1``
and ``U01`` are read too), values 1–4, and optionally the profile columns. The header row may sit under a
title; row numbers in messages are the spreadsheet's own (header on row 1 → first respondent on row 2).
No Streamlit and no database here.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import segno
from openpyxl import Workbook
from openpyxl.styles import Font

from lib.base import rows as rows_reader
from lib.base.errors import UserError
from lib.base.sheets import safe_cell, to_bytes, write_table


@dataclass(frozen=True)
class Unsur:
    """One element of the questionnaire: ``pilihan`` are the answers for 1 (worst) … 4 (best)."""
    kode: str
    nama: str
    pertanyaan: str
    pilihan: tuple[str, str, str, str]


#: The 9 unsur of PermenPAN-RB 14/2017, in the regulation's order, with the model questionnaire's wording.
UNSUR: tuple[Unsur, ...] = (
    Unsur("U1", "Persyaratan",
          "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
          ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Unsur("U2", "Sistem, Mekanisme dan Prosedur",
          "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
          ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah")),
    Unsur("U3", "Waktu Penyelesaian",
          "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
          ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    Unsur("U4", "Biaya/Tarif",
          "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
          ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")),
    Unsur("U5", "Produk Spesifikasi Jenis Pelayanan",
          "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar "
          "pelayanan dengan hasil yang diberikan?",
          ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Unsur("U6", "Kompetensi Pelaksana",
          "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
          ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten")),
    Unsur("U7", "Perilaku Pelaksana",
          "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
          ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah")),
    Unsur("U8", "Penanganan Pengaduan, Saran dan Masukan",
          "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
          ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik")),
    Unsur("U9", "Sarana dan Prasarana",
          "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
          ("Buruk", "Cukup", "Baik", "Sangat baik")),
)
KODE: tuple[str, ...] = tuple(u.kode for u in UNSUR)

#: Respondent profile: the canonical column name → its label and its choices, in the order reports list them.
JENIS_KELAMIN = ("Laki-laki", "Perempuan")
USIA = ("Di bawah 20 tahun", "20–29 tahun", "30–39 tahun", "40–49 tahun", "50–59 tahun", "60 tahun ke atas")
PENDIDIKAN = ("SD", "SMP", "SMA/sederajat", "D1-D3", "D4/S1", "S2", "S3")
PEKERJAAN = ("PNS", "TNI/Polri", "Swasta", "Wirausaha", "Pelajar/Mahasiswa", "Lainnya")
PROFIL: dict[str, tuple[str, tuple[str, ...]]] = {
    "jenis_kelamin": ("Jenis Kelamin", JENIS_KELAMIN),
    "usia": ("Usia", USIA),
    "pendidikan": ("Pendidikan", PENDIDIKAN),
    "pekerjaan": ("Pekerjaan", PEKERJAAN),
    "layanan": ("Jenis Layanan", ()),
}
#: Label of the group of respondents who left a profile question empty.
TIDAK_DIISI = "Tidak diisi"

#: (mutu, lowest rounded IKM, kinerja), best first (PermenPAN-RB 14/2017).
GRADES: tuple[tuple[str, Decimal, str], ...] = (
    ("A", Decimal("88.31"), "Sangat Baik"),
    ("B", Decimal("76.61"), "Baik"),
    ("C", Decimal("65.00"), "Kurang Baik"),
    ("D", Decimal("0"), "Tidak Baik"),
)
WEIGHTS = {"exact": Fraction(1, 9), "legacy": Fraction(111, 1000)}

_CENT = Decimal("0.01")


def round2(x: Fraction | Decimal | int | float | str) -> Decimal:
    """Round to 2 decimals, half up on the decimal value: ``88.245`` → ``88.25``, ``78.125`` → ``78.13``.
    A float is read as the decimal it prints as (``2.675`` → ``2.68``), not as its binary value."""
    if isinstance(x, float):
        x = repr(x)
    q = Fraction(Decimal(x) if isinstance(x, str) else x) * 100
    n = math.floor(q + Fraction(1, 2)) if q >= 0 else -math.floor(-q + Fraction(1, 2))
    return (Decimal(n) * _CENT).quantize(_CENT)


def grade(value) -> tuple[str, str]:
    """``(mutu, kinerja)`` of an IKM, read after rounding it to 2 decimals: 88,30 → B, 88,31 → A.
    Anything under 65,00 is D (the legacy weight can go down to 24,98)."""
    v = round2(value)
    if v < 0 or v > 100:
        raise ValueError(f"Nilai IKM {v} di luar rentang 0–100.")
    for mutu, low, kinerja in GRADES:
        if v >= low:
            return mutu, kinerja
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class IkmResult:
    """The IKM of a set of respondents. ``nrr[i]`` is unsur ``UNSUR[i]``'s total ÷ respondents (unrounded),
    ``nrr_weighted[i]`` that × the weight (1/9 or 0.111); ``ikm`` is rounded to 2 decimals, half up."""
    respondents: int
    totals: tuple[int, ...]
    nrr: tuple[float, ...]
    nrr_weighted: tuple[float, ...]
    ikm: Decimal
    mutu: str
    kinerja: str
    weight: str = "exact"

    @property
    def ikm_unsur(self) -> tuple[Decimal, ...]:
        """Each unsur's NRR × 25 (the converted value its own grade is read from), rounded to 2 decimals."""
        return tuple(round2(Fraction(t, self.respondents) * 25) for t in self.totals)


def _answer(value) -> int | None:
    """1–4 from an int, an integral float or a text like ``"3"`` / ``"3,0"``; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        n = int(value)
        return n if 1 <= n <= 4 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 1 <= value <= 4 else None
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([1-4])(?:[.,]0*)?\s*", value)
        return int(m.group(1)) if m else None
    return None


def _matrix(responses) -> list[list[int]]:
    if isinstance(responses, pd.DataFrame):
        cols = {str(c).strip().upper().replace(" ", ""): c for c in responses.columns}
        missing = [k for k in KODE if k not in cols]
        if missing:
            raise ValueError(f"Kolom {', '.join(missing)} tidak ada pada data responden.")
        rows = responses[[cols[k] for k in KODE]].itertuples(index=False, name=None)
    else:
        rows = responses
    out = []
    for i, row in enumerate(rows, start=1):
        row = list(row)
        if len(row) != 9:
            raise ValueError(f"Responden ke-{i}: harus 9 jawaban (U1–U9), ada {len(row)}.")
        answers = []
        for kode, v in zip(KODE, row):
            a = _answer(v)
            if a is None:
                raise ValueError(f"Responden ke-{i}, {kode}: nilai “{v}” harus 1–4.")
            answers.append(a)
        out.append(answers)
    return out


def ikm(responses, weight: str = "exact") -> IkmResult:
    """The IKM of ``responses``: a sequence of 9 answers (1–4) per respondent, or a DataFrame with U1…U9.
    ``weight`` is ``"exact"`` (1/9 per unsur, the rule) or ``"legacy"`` (0.111 per unsur, old spreadsheets)."""
    if weight not in WEIGHTS:
        raise ValueError("Bobot harus 'exact' (1/9) atau 'legacy' (0,111).")
    rows = _matrix(responses)
    n = len(rows)
    if n == 0:
        raise ValueError("Belum ada responden: IKM tidak dapat dihitung tanpa jawaban.")
    totals = tuple(sum(r[j] for r in rows) for j in range(9))
    w = WEIGHTS[weight]
    nrr = [Fraction(t, n) for t in totals]
    value = round2(sum(x * w for x in nrr) * 25)
    mutu, kinerja = grade(value)
    return IkmResult(respondents=n, totals=totals, nrr=tuple(float(x) for x in nrr),
                     nrr_weighted=tuple(float(x * w) for x in nrr), ikm=value, mutu=mutu, kinerja=kinerja,
                     weight=weight)


# Krejcie & Morgan (1970): χ² for 1 degree of freedom at 95 %, P = 0.5, d = 0.05.
_CHI2, _P, _D = Fraction("3.841"), Fraction(1, 2), Fraction(1, 20)


def min_sample(population: int) -> int:
    """Krejcie–Morgan minimum sample: s = χ²NP(1−P) / (d²(N−1) + χ²P(1−P)), rounded to the NEAREST whole
    respondent (half up). Nearest, not up, is what reproduces the published table: 10→10, 50→44, 100→80,
    200→132, 500→217, 1000→278, 5000→357, 1 000 000→384 (rounding up would give 50→45 and 500→218)."""
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError("Populasi harus bilangan bulat paling sedikit 1.")
    pq = _P * (1 - _P)
    s = _CHI2 * population * pq / (_D ** 2 * (population - 1) + _CHI2 * pq)
    return math.floor(s + Fraction(1, 2))


def usia_band(age) -> str | None:
    """A respondent's age in years → its band in :data:`USIA`; text that is already a band passes through."""
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return None
    if isinstance(age, str):
        text = age.strip()
        if not text:
            return None
        if not re.fullmatch(r"\d{1,3}", text):
            return text
        age = int(text)
    years = int(age)
    if years < 20:
        return USIA[0]
    if years >= 60:
        return USIA[-1]
    return USIA[(years - 10) // 10]


# ---------------------------------------------------------------------------------------------------------
# Reading a respondent file

class SkmFileError(UserError):
    """A respondent file that cannot be used; ``messages`` are Indonesian, one per problem, naming the
    spreadsheet row and column."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        head = " ".join(self.messages[:5])
        more = f" (dan {len(self.messages) - 5} kesalahan lain)" if len(self.messages) > 5 else ""
        super().__init__(f"Berkas responden tidak dapat dipakai: {head}{more}")


_U_HEADER = re.compile(r"u[\s._-]*0?([1-9])(?![0-9a-z]).*", re.I)
_PROFILE_HEADERS = {
    "jenis_kelamin": {"jeniskelamin", "jk", "kelamin", "lp", "gender", "sex"},
    "usia": {"usia", "umur", "usiatahun", "umurtahun"},
    "pendidikan": {"pendidikan", "pendidikanterakhir"},
    "pekerjaan": {"pekerjaan", "pekerjaanutama"},
    "layanan": {"layanan", "jenislayanan", "jenislayananyangditerima"},
    "saran": {"saran", "masukan", "saranmasukan", "sarandanmasukan", "komentar"},
}
_ALIASES = {
    "jenis_kelamin": {"l": "Laki-laki", "lk": "Laki-laki", "lakilaki": "Laki-laki", "pria": "Laki-laki",
                      "p": "Perempuan", "pr": "Perempuan", "perempuan": "Perempuan", "wanita": "Perempuan"},
    "pendidikan": {"sd": "SD", "sdkebawah": "SD", "smp": "SMP", "sltp": "SMP", "mts": "SMP",
                   "sma": "SMA/sederajat", "slta": "SMA/sederajat", "smk": "SMA/sederajat", "ma": "SMA/sederajat",
                   "smasederajat": "SMA/sederajat", "d1": "D1-D3", "d2": "D1-D3", "d3": "D1-D3", "d1d3": "D1-D3",
                   "diploma": "D1-D3", "d4": "D4/S1", "s1": "D4/S1", "d4s1": "D4/S1", "s2": "S2", "s3": "S3"},
    "pekerjaan": {"pns": "PNS", "asn": "PNS", "tni": "TNI/Polri", "polri": "TNI/Polri", "tnipolri": "TNI/Polri",
                  "swasta": "Swasta", "pegawaiswasta": "Swasta", "wirausaha": "Wirausaha", "wiraswasta": "Wirausaha",
                  "pelajar": "Pelajar/Mahasiswa", "mahasiswa": "Pelajar/Mahasiswa",
                  "pelajarmahasiswa": "Pelajar/Mahasiswa", "lainnya": "Lainnya"},
}
# A row whose label starts like this is the spreadsheet's own summary: the respondents end above it.
_SUMMARY = re.compile(r"\s*(jumlah|total|nrr|rata|ikm|nilai\s+(indeks|rata|per)|Σ|∑)", re.I)
_HEADER_SCAN = 20
#: Respondents one file may hold.
MAX_RESPONDEN = 50_000


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


def _shown(value) -> str:
    """A cell as the message quotes it (Indonesian decimal comma)."""
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value).replace(".", ","))
    return str(value).strip()


def _sheets(data: bytes, filename: str) -> list[list]:
    """The rows of every worksheet (or of the CSV), read by :func:`lib.base.rows.read_book`."""
    try:
        book = rows_reader.read_book(data, filename or "berkas", max_rows=MAX_RESPONDEN + _HEADER_SCAN,
                                     score=lambda rows: len(_find_header(rows)[1]))
    except rows_reader.TooManyRows:
        raise SkmFileError([str(rows_reader.too_many(MAX_RESPONDEN))]) from None
    except rows_reader.BookRefused as err:
        raise SkmFileError([str(err)]) from None
    return [sheet.rows for sheet in book.sheets]


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]]:
    """(index of the header row, U code → column index) of the row within the first rows naming most U's."""
    best, best_cols = -1, {}
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            if isinstance(cell, str):
                m = _U_HEADER.fullmatch(cell.strip())
                if m:
                    cols.setdefault("U" + m.group(1), j)
        if len(cols) > len(best_cols):
            best, best_cols = i, cols
    return best, best_cols


def _profile_value(column: str, value):
    if _blank(value):
        return None
    if column == "usia":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
        text = str(value).strip()
        return int(text) if re.fullmatch(r"\d{1,3}", text) else text
    text = _shown(value)
    return _ALIASES.get(column, {}).get(_key(text), text)


def read_responses(data: bytes, filename: str) -> pd.DataFrame:
    """Respondents from an XLSX or CSV file (comma or semicolon, UTF-8 or Latin-1): a DataFrame indexed by
    the spreadsheet row number (``baris``) with int columns U1…U9 and the profile columns found
    (``jenis_kelamin``, ``usia``, ``pendidikan``, ``pekerjaan``, ``layanan``, and ``saran`` as free text).
    Rows with all nine answers empty are not respondents and are skipped; a row labelled like "Jumlah",
    "NRR" or "IKM" whose cells are not all answers 1–4 is the spreadsheet's own totals and ends the data.
    Every bad cell is reported at once in a :class:`SkmFileError`."""
    if not data or not data.strip():
        raise SkmFileError(["Berkas kosong: tidak ada baris judul maupun data responden."])
    sheets = _sheets(data, filename)
    if all(_blank(v) for rows in sheets for row in rows for v in row):
        raise SkmFileError(["Berkas kosong: tidak ada baris judul maupun data responden."])
    found = [(rows, *_find_header(rows)) for rows in sheets]
    complete = [f for f in found if len(f[2]) == 9]
    if not complete:
        rows, h, cols = max(found, key=lambda f: len(f[2]))
        if not cols:
            raise SkmFileError(["Kolom U1–U9 tidak ditemukan. Baris judul harus memuat U1, U2, … U9 "
                                "(satu kolom per unsur, satu baris per responden)."])
        missing = [k for k in KODE if k not in cols]
        raise SkmFileError([f"Kolom {', '.join(missing)} tidak ditemukan di baris judul (baris {h + 1}); "
                            "harus ada U1 sampai U9."])
    rows, h, ucols = complete[0]
    header = rows[h]
    pcols: dict[str, int] = {}
    for j, cell in enumerate(header):
        if isinstance(cell, str) and j not in ucols.values():
            for name, keys in _PROFILE_HEADERS.items():
                if _key(cell) in keys:
                    pcols.setdefault(name, j)
    other = [j for j in range(len(header)) if j not in ucols.values() and j not in pcols.values()]

    def cell(row, j):
        return row[j] if j < len(row) else None

    errors: list[str] = []
    records, index = [], []
    for i in range(h + 1, len(rows)):
        row, excel_row = rows[i], i + 1
        values = [cell(row, ucols[k]) for k in KODE]
        if all(_blank(v) for v in values):
            continue
        if any(isinstance(cell(row, j), str) and _SUMMARY.match(cell(row, j)) for j in other) and \
                not all(_answer(v) for v in values):
            break
        answers = {}
        for kode, v in zip(KODE, values):
            if _blank(v):
                errors.append(f"Baris {excel_row}, kolom {kode}: kosong, harus diisi 1–4.")
                continue
            a = _answer(v)
            if a is None:
                errors.append(f"Baris {excel_row}, kolom {kode}: nilai “{_shown(v)}” harus 1–4.")
            answers[kode] = a
        for name, j in pcols.items():
            if isinstance(cell(row, j), rows_reader.Overlong):
                errors.append(f"Baris {excel_row}, kolom {header[j]}: {cell(row, j).length} karakter, lebih dari "
                              f"batas {rows_reader.MAX_CELL}.")
            answers[name] = _profile_value(name, cell(row, j))
        records.append(answers)
        index.append(excel_row)
    if errors:
        raise SkmFileError(errors)
    if not records:
        raise SkmFileError([f"Tidak ada data responden di bawah baris judul (baris {h + 1})."])
    df = pd.DataFrame.from_records(records, index=pd.Index(index, name="baris"),
                                   columns=[*KODE, *pcols])
    df[list(KODE)] = df[list(KODE)].astype("int64")
    for name in pcols:
        df[name] = df[name].astype(object).where(df[name].notna(), None)
    return df


# ---------------------------------------------------------------------------------------------------------
# Breakdown per profile, report, CLI

@dataclass(frozen=True)
class BreakdownRow:
    nilai: str
    respondents: int
    ikm: Decimal
    mutu: str
    kinerja: str


@dataclass(frozen=True)
class Breakdown:
    """The IKM per value of one profile column, in the profile's own order, "Tidak diisi" last."""
    column: str
    label: str
    rows: tuple[BreakdownRow, ...]


def breakdown(df: pd.DataFrame, column: str, weight: str = "exact") -> Breakdown:
    """Respondents and IKM for each value of ``column`` (``jenis_kelamin``, ``usia``, ``pendidikan``,
    ``pekerjaan``, ``layanan`` or any other column of ``df``); ages in years are grouped in :data:`USIA`."""
    if column not in df.columns:
        label = PROFIL.get(column, (column, ()))[0]
        raise ValueError(f"Kolom {label} tidak ada pada data responden.")
    label, order = PROFIL.get(column, (column, ()))
    values = df[column].map(usia_band) if column == "usia" else df[column]
    keys = values.map(lambda v: TIDAK_DIISI if _blank(v) else str(v).strip())
    present = list(dict.fromkeys(keys))
    known = [v for v in order if v in present]
    rest = sorted(v for v in present if v not in order and v != TIDAK_DIISI)
    rows = []
    for value in [*known, *rest, *([TIDAK_DIISI] if TIDAK_DIISI in present else [])]:
        r = ikm(df[keys == value], weight)
        rows.append(BreakdownRow(value, r.respondents, r.ikm, r.mutu, r.kinerja))
    return Breakdown(column, label, tuple(rows))


def _sheet_title(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Profil"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def report_workbook(result: IkmResult, breakdowns: Sequence[Breakdown] = (), suggestions: Sequence[str] = (),
                    title: str = "Laporan Survei Kepuasan Masyarakat", *, population: int | None = None) -> bytes:
    """The SKM report as XLSX: a summary (IKM, mutu, kinerja, sample vs Krejcie–Morgan minimum when the
    population is given), NRR per unsur, one sheet per profile breakdown, and the suggestions. Numbers are
    written already rounded (half up), so Excel shows the same 2 decimals as the portal."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    ws.cell(row=1, column=1, value=safe_cell(title)).font = Font(bold=True, size=14)
    bobot = "1/9 per unsur" if result.weight == "exact" else "0,111 per unsur (cara lama)"
    summary: list[list] = [
        ["Jumlah responden", result.respondents],
        ["Nilai IKM", float(result.ikm)],
        ["Mutu pelayanan", result.mutu],
        ["Kinerja unit pelayanan", result.kinerja],
        ["Bobot", bobot],
    ]
    if population is not None:
        minimum = min_sample(population)
        summary += [["Populasi", population], ["Sampel minimum (Krejcie–Morgan)", minimum],
                    ["Sampel memenuhi", "Ya" if result.respondents >= minimum else
                     f"Tidak (kurang {minimum - result.respondents} responden)"]]
    write_table(ws, ["Uraian", "Nilai"], summary, [34, 40], start_row=3)
    ws.cell(row=4, column=2).number_format = "0"
    ws.cell(row=5, column=2).number_format = "0.00"

    ws2 = wb.create_sheet("NRR per unsur")
    w = WEIGHTS[result.weight]
    rows = []
    for u, total, nilai in zip(UNSUR, result.totals, result.ikm_unsur):
        mutu, kinerja = grade(nilai)
        rows.append([u.kode, u.nama, total, float(round2(Fraction(total, result.respondents))),
                     float(round2(Fraction(total, result.respondents) * w)), float(nilai), mutu, kinerja])
    write_table(ws2, ["Kode", "Unsur", "Jumlah nilai", "NRR", "NRR tertimbang", "NRR × 25", "Mutu", "Kinerja"],
           rows, [7, 40, 12, 9, 14, 10, 7, 14])
    for r in range(2, len(rows) + 2):
        for c in (4, 5, 6):
            ws2.cell(row=r, column=c).number_format = "0.00"
    end = len(rows) + 2
    ws2.cell(row=end, column=2, value="IKM unit pelayanan").font = Font(bold=True)
    ws2.cell(row=end, column=6, value=float(result.ikm)).font = Font(bold=True)
    ws2.cell(row=end, column=6).number_format = "0.00"
    ws2.cell(row=end, column=7, value=result.mutu).font = Font(bold=True)
    ws2.cell(row=end, column=8, value=result.kinerja).font = Font(bold=True)

    used = {"ringkasan", "nrr per unsur", "saran"}
    for b in breakdowns:
        wsb = wb.create_sheet(_sheet_title(f"Per {b.label}", used))
        write_table(wsb, [b.label, "Responden", "IKM", "Mutu", "Kinerja"],
               [[r.nilai, r.respondents, float(r.ikm), r.mutu, r.kinerja] for r in b.rows], [28, 12, 10, 7, 14])
        for r in range(2, len(b.rows) + 2):
            wsb.cell(row=r, column=3).number_format = "0.00"

    ws3 = wb.create_sheet("Saran")
    write_table(ws3, ["No", "Saran dan masukan"], [[i, s] for i, s in enumerate(suggestions, start=1)], [6, 100])
    return to_bytes(wb)


def cli_ikm(path: str | Path, weight: str = "exact") -> dict:
    """For ``python -m lib skm ikm FILE [--weight exact|legacy] --json``: the IKM of a respondent file as
    ``{"respondents", "nrr": [9 numbers, 2 decimals], "ikm", "mutu", "kinerja"}``. Raises SkmFileError."""
    p = Path(path)
    result = ikm(read_responses(p.read_bytes(), p.name), weight)
    return {"respondents": result.respondents,
            "nrr": [float(round2(Fraction(t, result.respondents))) for t in result.totals],
            "ikm": float(result.ikm), "mutu": result.mutu, "kinerja": result.kinerja}


__all__ = ["UNSUR", "KODE", "Unsur", "PROFIL", "JENIS_KELAMIN", "USIA", "PENDIDIKAN", "PEKERJAAN", "TIDAK_DIISI",
           "GRADES", "WEIGHTS", "IkmResult", "Breakdown", "BreakdownRow", "SkmFileError", "round2", "grade", "ikm",
           "min_sample", "usia_band", "read_responses", "breakdown", "report_workbook", "cli_ikm"]


# --- the link a finished case shows the citizen ------------------------------------------------------------
SURVEY_PATH = "skm"


def survey_url(base_url: str, sop_id: str) -> str:
    """The public e-survey address for one service, e.g. ``https://portal.example/skm?layanan=kartu-ak1``."""
    return f"{base_url.rstrip('/')}/{SURVEY_PATH}?layanan={sop_id}"


def qr_svg(url: str, scale: int = 4) -> str:
    """An inline SVG QR code for ``url`` (segno), for the screen and for printing at the counter."""
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#111827")
