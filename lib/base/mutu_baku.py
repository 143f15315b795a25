"""Mutu baku (the SOP's time standard) parsed from the text written in the SOP.

The "Waktu" column of an SOP holds free text such as ``5 Menit``, ``2-3 Jam``, ``1 minggu``,
``12 bulan``, ``7 hari kalender`` (a promise in calendar days, weekends and holidays included) or the calendar
window ``Setiap Tanggal 1 - 15``. Each parses into a
:class:`MutuBaku` ``(value, max, unit)``; a range keeps both ends and the upper end is the limit.
Text that is not understood raises :class:`MutuBakuError`: a target is never silently zero.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lib.base.errors import UserError

#: Working minutes in one working day (Perpres 21/2023: 37.5 hours over 5 days).
MINUTES_PER_WORKING_DAY = 450
#: One ``minggu`` is five working days.
WORKING_DAYS_PER_WEEK = 5

UNITS = ("menit", "jam", "hari", "minggu", "hari kalender", "bulan", "tanggal")
#: Units measured in working minutes; ``hari kalender``, ``bulan`` and ``tanggal`` are judged on the calendar.
WORKING_UNITS = {"menit": 1, "jam": 60, "hari": MINUTES_PER_WORKING_DAY,
                 "minggu": WORKING_DAYS_PER_WEEK * MINUTES_PER_WORKING_DAY}

_UNIT_WORDS = {
    "menit": "menit", "mnt": "menit", "min": "menit",
    "jam": "jam",
    "hari": "hari", "hari kerja": "hari", "hari kalender": "hari kalender",
    "minggu": "minggu", "pekan": "minggu",
    "bulan": "bulan",
}

_NUM = r"(\d+(?:[.,]\d+)?)"
_RANGE = rf"{_NUM}(?:\s*(?:-|–|s\.?d\.?|sampai)\s*{_NUM})?"
_DURATION_RE = re.compile(rf"^{_RANGE}\s*(menit|mnt|min|jam|hari kalender|hari kerja|hari|minggu|pekan|bulan)$")
_WINDOW_RE = re.compile(rf"^(?:setiap\s+)?tanggal\s+{_RANGE}$")


class MutuBakuError(UserError):
    """The waktu text of an SOP step is not a time standard this portal understands."""


@dataclass(frozen=True)
class MutuBaku:
    value: float
    max: float
    unit: str
    text: str = ""

    @property
    def limit(self) -> float:
        """The number the step is judged against: the upper end of a range."""
        return self.max

    @property
    def is_calendar(self) -> bool:
        """``hari kalender``, ``bulan`` and ``tanggal`` targets have no working-minute equivalent."""
        return self.unit not in WORKING_UNITS

    @property
    def working_minutes(self) -> float | None:
        """The limit in working minutes, or ``None`` for calendar targets."""
        if self.is_calendar:
            return None
        return self.max * WORKING_UNITS[self.unit]

    def as_dict(self) -> dict:
        return {"value": _plain(self.value), "max": _plain(self.max), "unit": self.unit}

    def label(self) -> str:
        """Indonesian label, e.g. ``2–3 jam`` or ``tanggal 1–15``."""
        span = _fmt(self.value) if self.value == self.max else f"{_fmt(self.value)}–{_fmt(self.max)}"
        if self.unit == "tanggal":
            return f"tanggal {span} setiap bulan"
        return f"{span} {self.unit}"


def _plain(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _fmt(x: float) -> str:
    return str(_plain(x)).replace(".", ",")


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def parse(text: str | None) -> MutuBaku | None:
    """Parse a waktu text. Empty text means "no target" and gives ``None``.

    >>> parse("2-3 Jam")
    MutuBaku(value=2.0, max=3.0, unit='jam', text='2-3 Jam')
    """
    if text is None:
        return None
    raw = str(text)
    norm = re.sub(r"\s+", " ", raw.strip().lower())
    if norm in ("", "-"):
        return None
    m = _DURATION_RE.match(norm)
    if m:
        lo, hi, word = m.group(1), m.group(2), m.group(3)
        unit = _UNIT_WORDS[word]
    else:
        m = _WINDOW_RE.match(norm)
        if not m:
            raise MutuBakuError(
                f"Waktu “{raw.strip()}” tidak dikenali. Tulis misalnya “5 Menit”, “2-3 Jam”, “1 Hari”, "
                "“1 Minggu”, “7 Hari Kalender”, “12 Bulan” atau “Setiap Tanggal 1 - 15”.")
        lo, hi = m.group(1), m.group(2)
        unit = "tanggal"
    value = _num(lo)
    top = _num(hi) if hi else value
    if value <= 0 or top < value:
        raise MutuBakuError(f"Waktu “{raw.strip()}” tidak masuk akal: batas atas harus ≥ batas bawah dan > 0.")
    if unit == "tanggal" and not (1 <= value <= 31 and 1 <= top <= 31):
        raise MutuBakuError(f"Waktu “{raw.strip()}”: tanggal harus antara 1 dan 31.")
    return MutuBaku(value=value, max=top, unit=unit, text=raw.strip())


def format_working_minutes(minutes: float | None) -> str:
    """Working minutes as Indonesian text in working days (450 min), hours and minutes.

    >>> format_working_minutes(545)
    '1 hari 1 jam 35 menit kerja'
    """
    if minutes is None:
        return "—"
    total = int(round(minutes))
    if total == 0:
        return "0 menit kerja"
    days, rest = divmod(total, MINUTES_PER_WORKING_DAY)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} hari")
    if hours:
        parts.append(f"{hours} jam")
    if mins:
        parts.append(f"{mins} menit")
    return " ".join(parts) + " kerja"
