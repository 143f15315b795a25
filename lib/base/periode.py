"""Reporting periods as the agency names them: a month (``2026-11``), a quarter (``2026-Q3``, the
"triwulan" of the SOP evaluation), a year (``2026``), or a custom range. Days are WIB calendar days,
both ends included."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from babel.dates import format_date

BULAN = [format_date(dt.date(2000, m, 1), "MMMM", locale="id_ID") for m in range(1, 13)]


@dataclass(frozen=True)
class Periode:
    start: dt.date
    end: dt.date
    label: str


def month(year: int, m: int) -> Periode:
    return Periode(dt.date(year, m, 1), dt.date(year, m, calendar.monthrange(year, m)[1]), f"{BULAN[m - 1]} {year}")


def quarter(year: int, q: int) -> Periode:
    if q not in (1, 2, 3, 4):
        raise ValueError("Triwulan harus 1–4.")
    first = 3 * q - 2
    label = f"Triwulan {'I II III IV'.split()[q - 1]} {year}"
    return Periode(dt.date(year, first, 1), month(year, first + 2).end, label)


def year(y: int) -> Periode:
    return Periode(dt.date(y, 1, 1), dt.date(y, 12, 31), f"Tahun {y}")


def custom(start: dt.date, end: dt.date) -> Periode:
    if end < start:
        raise ValueError("Tanggal akhir sebelum tanggal awal.")
    return Periode(start, end, f"{format_date(start, 'd MMM y', locale='id_ID')} – "
                               f"{format_date(end, 'd MMM y', locale='id_ID')}")


def parse(code: str) -> Periode:
    """``2026-11`` → month, ``2026-Q3`` → quarter, ``2026`` → year; anything else is a ValueError."""
    code = code.strip().upper()
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", code):
        return quarter(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", code):
        if 1 <= int(m[2]) <= 12:
            return month(int(m[1]), int(m[2]))
    if re.fullmatch(r"\d{4}", code):
        return year(int(code))
    raise ValueError(f"Periode “{code}” tidak dikenal. Tulis 2026-11 (bulan), 2026-Q3 (triwulan) atau 2026 (tahun).")


def trailing_months(end: dt.date, n: int = 12) -> Periode:
    """The ``n`` whole months ending with the month of ``end``."""
    y, m = end.year, end.month - (n - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return Periode(dt.date(y, m, 1), month(end.year, end.month).end, f"{n} bulan")


def recent_months(today: dt.date, n: int = 36) -> list[Periode]:
    """The month of ``today`` and the ``n - 1`` before it, newest first."""
    out, y, m = [], today.year, today.month
    for _ in range(n):
        out.append(month(y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def last_month(today: dt.date) -> Periode:
    """The whole month before the month of ``today`` ("bulan lalu"), e.g. November 2026 on 5 December 2026."""
    first = today.replace(day=1) - dt.timedelta(days=1)
    return month(first.year, first.month)


def recent_quarters(today: dt.date, n: int = 12) -> list[Periode]:
    q = (today.month - 1) // 3 + 1
    out, y = [], today.year
    for _ in range(n):
        out.append(quarter(y, q))
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    return out
