"""Indonesian formats for numbers, money, dates and times (Babel, locale ``id``)."""
from __future__ import annotations

import datetime as dt
import html
import re

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from lib.base.worktime import WIB

LOCALE = "id_ID"


def tanggal(d: dt.date | None) -> str:
    """``23 Januari 2024``; an em dash for no date."""
    if d is None:
        return "—"
    return format_date(d, "d MMMM y", locale=LOCALE)


def waktu(t: dt.datetime | None) -> str:
    """``23 Januari 2024 14.05 WIB`` for an instant (shown in Asia/Jakarta)."""
    if t is None:
        return "—"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return format_datetime(t.astimezone(WIB), "d MMMM y HH.mm", locale=LOCALE) + " WIB"


def waktu_pendek(t: dt.datetime | None) -> str:
    """``23/01/24 14.05`` for tables (WIB)."""
    if t is None:
        return "—"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return format_datetime(t.astimezone(WIB), "dd/MM/yy HH.mm", locale=LOCALE)


def angka(x: float | int | None, digits: int = 0) -> str:
    """``1.234.567`` or ``12,5`` with Indonesian separators."""
    if x is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(x, format=fmt, locale=LOCALE)


def rupiah(x: float | int | None) -> str:
    """``Rp1.234.567`` (no space, no decimals), as Indonesian official documents write it."""
    if x is None:
        return "—"
    sign = "-" if x < 0 else ""
    return f"{sign}Rp{angka(abs(round(x)))}"


def bulan_tahun(d: dt.date | None) -> str:
    """``Januari 2027``; an em dash for no date."""
    if d is None:
        return "—"
    return format_date(d, "MMMM y", locale=LOCALE)


#: What Markdown reads as formatting, a link or an image (``![x](url)`` needs its brackets), or HTML.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>$~|#])")


def md(text) -> str:
    """Text a person typed (a name, a comment, a file name), shown literally in Markdown: no formatting, no link,
    no image fetched from elsewhere, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def html_text(text) -> str:
    """Text a person typed, shown literally inside an HTML element (where Markdown is not read)."""
    return html.escape(str(text), quote=True)
