"""The agency's working calendar: working minutes between two instants and when a target falls due.

Working hours follow Perpres 21/2023 (37.5 hours a week from 07:30): Monday–Thursday 07:30–16:00 with a
12:00–13:00 break, Friday 07:30–16:30 with an 11:30–13:00 break, so every working day holds 450 working
minutes. Public holidays and cuti bersama come from the ``holidays`` package; the admin can add
overrides (a new SKB date off, an extra working day, special hours). All of these are settings
(:class:`CalendarSettings`).

Ramadan has shorter hours (:data:`DEFAULT_RAMADAN_WEEK`, 32.5 hours a week) by default, every year, without
anyone setting a period: the period runs from 1 Ramadan to the day before Idul Fitri, where Idul Fitri is the
date the ``holidays`` package gives and **1 Ramadan is taken as 30 days before it** (a Ramadan of 30 days; the
government's sidang isbat may make it 29, and then the admin moves the start one day later on *Kalender kerja*).
The admin's period for a year replaces the derived one (:meth:`WorkCalendar.ramadan`).

Instants are stored in UTC and shown in Asia/Jakarta (WIB, UTC+7, no daylight saving). A naive datetime
given to this module is read as WIB wall-clock time, because that is what people type.

Working time is computed from a cumulative working-minute index: ``W(t)`` counts the working minutes
from the start of the indexed range up to ``t``, and the working time between ``a`` and ``b`` is
``W(b) - W(a)``. The array function evaluates that with numpy for millions of rows at once.
"""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Sequence
from zoneinfo import ZoneInfo

from lib.base.mutu_baku import MutuBaku

if TYPE_CHECKING:
    import numpy as np

WIB = ZoneInfo("Asia/Jakarta")
UTC = dt.timezone.utc
_WIB_OFFSET = dt.timedelta(hours=7)

Segment = tuple[int, int]  # minutes from local midnight: [start, end)


def hm(text: str) -> int:
    """``"07:30"`` → 450 (minutes from midnight)."""
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _fmt_hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _segments(*pairs: tuple[str, str]) -> tuple[Segment, ...]:
    return tuple((hm(a), hm(b)) for a, b in pairs)


#: Perpres 21/2023 default: 450 working minutes a day, 37.5 hours a week.
DEFAULT_WEEK: dict[int, tuple[Segment, ...]] = {
    0: _segments(("07:30", "12:00"), ("13:00", "16:00")),
    1: _segments(("07:30", "12:00"), ("13:00", "16:00")),
    2: _segments(("07:30", "12:00"), ("13:00", "16:00")),
    3: _segments(("07:30", "12:00"), ("13:00", "16:00")),
    4: _segments(("07:30", "11:30"), ("13:00", "16:30")),
    5: (),
    6: (),
}
#: Shorter Ramadan hours (32.5 hours a week), used inside each year's Ramadan period.
DEFAULT_RAMADAN_WEEK: dict[int, tuple[Segment, ...]] = {
    0: _segments(("08:00", "12:00"), ("12:30", "15:00")),
    1: _segments(("08:00", "12:00"), ("12:30", "15:00")),
    2: _segments(("08:00", "12:00"), ("12:30", "15:00")),
    3: _segments(("08:00", "12:00"), ("12:30", "15:00")),
    4: _segments(("08:00", "11:30"), ("12:30", "15:30")),
    5: (),
    6: (),
}
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


@dataclass(frozen=True)
class Override:
    """An admin's change to one date: ``libur`` (a day off) or ``kerja`` (a working day).

    A ``kerja`` override without its own segments uses the normal hours of that weekday, or the
    Monday hours when it falls on a weekend.
    """
    kind: str  # "libur" | "kerja"
    keterangan: str = ""
    segments: tuple[Segment, ...] | None = None

    def __post_init__(self):
        if self.kind not in ("libur", "kerja"):
            raise ValueError(f"jenis pengecualian harus “libur” atau “kerja”, bukan “{self.kind}”")
        if self.segments:
            _check_segments(self.segments)


def _check_segments(segments: Sequence[Segment]) -> None:
    last = -1
    for a, b in segments:
        if not (0 <= a < b <= 24 * 60) or a < last:
            raise ValueError("jam kerja harus urut dan tidak bertumpuk, antara 00:00 dan 24:00")
        last = b


@dataclass(frozen=True)
class CalendarSettings:
    week: dict[int, tuple[Segment, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    ramadan_week: dict[int, tuple[Segment, ...]] = field(default_factory=lambda: dict(DEFAULT_RAMADAN_WEEK))
    #: The admin's Ramadan periods (each replaces the derived period of the year it ends in), with notes.
    ramadan_periods: tuple[tuple[dt.date, dt.date], ...] = ()
    ramadan_notes: dict[dt.date, str] = field(default_factory=dict)
    overrides: dict[dt.date, Override] = field(default_factory=dict)
    holiday_categories: tuple[str, ...] = ("public", "government")

    def to_dict(self) -> dict:
        """JSON-able form, as stored in the settings table."""
        def week(w):
            return {HARI[d]: [[_fmt_hm(a), _fmt_hm(b)] for a, b in segs] for d, segs in sorted(w.items())}
        return {
            "jam_kerja": week(self.week),
            "jam_kerja_ramadan": week(self.ramadan_week),
            "periode_ramadan": [[a.isoformat(), b.isoformat(), self.ramadan_notes.get(a, "")]
                                for a, b in self.ramadan_periods],
            "kategori_libur": list(self.holiday_categories),
        }

    @classmethod
    def from_dict(cls, data: dict, overrides: dict[dt.date, Override] | None = None) -> "CalendarSettings":
        def week(w, default):
            if not w:
                return dict(default)
            out = {}
            for d, name in enumerate(HARI):
                segs = tuple((hm(a), hm(b)) for a, b in w.get(name, []))
                _check_segments(segs)
                out[d] = segs
            return out
        return cls(
            week=week(data.get("jam_kerja"), DEFAULT_WEEK),
            ramadan_week=week(data.get("jam_kerja_ramadan"), DEFAULT_RAMADAN_WEEK),
            ramadan_periods=tuple((dt.date.fromisoformat(p[0]), dt.date.fromisoformat(p[1]))
                                  for p in data.get("periode_ramadan", [])),
            ramadan_notes={dt.date.fromisoformat(p[0]): (p[2] if len(p) > 2 else "")
                           for p in data.get("periode_ramadan", [])},
            overrides=dict(overrides or {}),
            holiday_categories=tuple(data.get("kategori_libur", ("public", "government"))),
        )


@lru_cache(maxsize=64)
def _holidays(year: int, categories: tuple[str, ...]) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.country_holidays("ID", years=year, categories=categories, language="id"))


#: Days from 1 Ramadan to Idul Fitri, as the derived period takes them.
RAMADAN_DAYS = 30


@lru_cache(maxsize=64)
def idul_fitri(year: int) -> dt.date | None:
    """The first day of Idul Fitri in ``year`` as the ``holidays`` package gives it (None if it has none)."""
    days = [d for d, name in _holidays(year, ("public",)).items() if name.startswith("Hari Raya Idul Fitri")]
    return min(days, default=None)


def derived_ramadan(year: int) -> tuple[dt.date, dt.date] | None:
    """(1 Ramadan, the day before Idul Fitri) of the Ramadan that ends in ``year``: 1 Ramadan is taken as
    :data:`RAMADAN_DAYS` days before Idul Fitri."""
    fitri = idul_fitri(year)
    return None if fitri is None else (fitri - dt.timedelta(days=RAMADAN_DAYS), fitri - dt.timedelta(days=1))


@dataclass(frozen=True)
class RamadanPeriod:
    """The Ramadan period in force for the Ramadan ending in ``year``: ``source`` is ``otomatis`` (derived from
    Idul Fitri) or ``admin`` (set on *Kalender kerja*)."""
    year: int
    start: dt.date
    end: dt.date
    source: str
    keterangan: str = ""


def to_wib(t: dt.datetime) -> dt.datetime:
    """An instant in WIB; a naive datetime is taken as WIB wall-clock time."""
    if t.tzinfo is None:
        return t.replace(tzinfo=WIB)
    return t.astimezone(WIB)


def to_utc(t: dt.datetime) -> dt.datetime:
    return to_wib(t).astimezone(UTC)


class WorkCalendar:
    """Working days, working minutes and due instants under one set of calendar settings."""

    def __init__(self, settings: CalendarSettings | None = None):
        self.settings = settings or CalendarSettings()
        self._ramadan_cache: dict[int, RamadanPeriod | None] = {}
        self._index_start: dt.date | None = None
        self._seg_start = self._seg_end = self._cum = None

    # --- days ---------------------------------------------------------------------------------------
    def holiday_name(self, day: dt.date) -> str | None:
        """Why ``day`` is a day off (public holiday, cuti bersama or admin override), else ``None``."""
        ov = self.settings.overrides.get(day)
        if ov is not None:
            return (ov.keterangan or "Libur (pengecualian admin)") if ov.kind == "libur" else None
        return _holidays(day.year, self.settings.holiday_categories).get(day)

    def ramadan(self, year: int) -> RamadanPeriod | None:
        """The Ramadan period in force for the Ramadan that ends in ``year``: the admin's when one is set (a
        period ending in ``year``), otherwise the one derived from Idul Fitri (:func:`derived_ramadan`)."""
        cache = self._ramadan_cache
        if year not in cache:
            set_by_admin = [(a, b) for a, b in self.settings.ramadan_periods if b.year == year]
            derived = derived_ramadan(year)
            if set_by_admin:
                a, b = set_by_admin[0]
                cache[year] = RamadanPeriod(year, a, b, "admin", self.settings.ramadan_notes.get(a, ""))
            elif derived is not None:
                cache[year] = RamadanPeriod(year, *derived, "otomatis")
            else:
                cache[year] = None
        return cache[year]

    def _in_ramadan(self, day: dt.date) -> bool:
        for year in (day.year, day.year + 1):  # a Ramadan may start in December and end in January
            period = self.ramadan(year)
            if period is not None and period.start <= day <= period.end:
                return True
        return False

    def hours_on(self, day: dt.date) -> tuple[tuple[Segment, ...], str]:
        """(working intervals of ``day``, why: the holiday's name, "jam kerja Ramadan", "jam kerja biasa",
        "akhir pekan" or the admin's note)."""
        segments = self.segments(day)
        ov = self.settings.overrides.get(day)
        if not segments:
            return (), self.holiday_name(day) or "akhir pekan"
        if ov is not None:
            return segments, ov.keterangan or "hari kerja (pengecualian admin)"
        return segments, "jam kerja Ramadan" if self._in_ramadan(day) else "jam kerja biasa"

    def segments(self, day: dt.date) -> tuple[Segment, ...]:
        """The working intervals of ``day`` in minutes from local midnight (empty on a day off)."""
        ov = self.settings.overrides.get(day)
        week = self.settings.ramadan_week if self._in_ramadan(day) else self.settings.week
        if ov is not None:
            if ov.kind == "libur":
                return ()
            return ov.segments or week.get(day.weekday()) or week[0]
        if _holidays(day.year, self.settings.holiday_categories).get(day):
            return ()
        return week.get(day.weekday(), ())

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.segments(day))

    def minutes_in_day(self, day: dt.date) -> int:
        return sum(b - a for a, b in self.segments(day))

    # --- the cumulative index -----------------------------------------------------------------------
    def _ensure_index(self, first: dt.date, last: dt.date) -> None:
        """Build (or widen) the per-day index covering ``first``..``last`` whole years."""
        import numpy as np  # numpy, pandas and holidays load on first use: most commands compute no working time

        start = dt.date(first.year, 1, 1)
        end = dt.date(last.year, 12, 31)
        if self._index_start is not None:
            cur_end = self._index_start + dt.timedelta(days=len(self._cum) - 2)
            if self._index_start <= start and end <= cur_end:
                return
            start = min(start, self._index_start)
            end = max(end, cur_end)
        n = (end - start).days + 1
        days = [start + dt.timedelta(days=i) for i in range(n)]
        segs = [self.segments(d) for d in days]
        k = max(1, max(len(s) for s in segs))
        seg_start = np.zeros((n, k), dtype=np.float64)
        seg_end = np.zeros((n, k), dtype=np.float64)
        for i, ss in enumerate(segs):
            for j, (a, b) in enumerate(ss):
                seg_start[i, j], seg_end[i, j] = a, b
        per_day = (seg_end - seg_start).sum(axis=1)
        cum = np.concatenate([[0.0], np.cumsum(per_day)])
        self._index_start, self._seg_start, self._seg_end, self._cum = start, seg_start, seg_end, cum

    def _w_local(self, day_idx: np.ndarray, minute: np.ndarray) -> np.ndarray:
        """W for local day indices and minutes-of-day (float)."""
        import numpy as np

        s = self._seg_start[day_idx]
        e = self._seg_end[day_idx]
        within = np.clip(minute[:, None] - s, 0.0, e - s).sum(axis=1)
        return self._cum[day_idx] + within

    # --- working minutes ----------------------------------------------------------------------------
    def working_minutes(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes between two instants (0 when ``end`` is not after ``start``)."""
        import numpy as np

        a, b = to_wib(start), to_wib(end)
        if b <= a:
            return 0.0
        self._ensure_index(a.date(), b.date())
        idx = np.array([(a.date() - self._index_start).days, (b.date() - self._index_start).days])
        mins = np.array([a.hour * 60 + a.minute + a.second / 60 + a.microsecond / 6e7,
                         b.hour * 60 + b.minute + b.second / 60 + b.microsecond / 6e7])
        w = self._w_local(idx, mins)
        return float(w[1] - w[0])

    def working_minutes_array(self, starts, ends) -> np.ndarray:
        """Vectorised :meth:`working_minutes` for two equal-length sequences of instants.

        Accepts pandas Series/DatetimeIndex or numpy datetime64 arrays; tz-aware values are converted
        to WIB, naive values are read as UTC (the database convention). NaT gives NaN.
        """
        import numpy as np

        a = _local_ns(starts)
        b = _local_ns(ends)
        out = np.full(a.shape, np.nan)
        ok = ~(np.isnat(a) | np.isnat(b))
        if not ok.any():
            return out
        a_ok, b_ok = a[ok], b[ok]
        day_a = a_ok.astype("datetime64[D]")
        day_b = b_ok.astype("datetime64[D]")
        first = min(day_a.min(), day_b.min()).astype(dt.date)
        last = max(day_a.max(), day_b.max()).astype(dt.date)
        self._ensure_index(first, last)
        origin = np.datetime64(self._index_start, "D")
        ia = (day_a - origin).astype(np.int64)
        ib = (day_b - origin).astype(np.int64)
        ma = (a_ok - day_a).astype("timedelta64[ns]").astype(np.float64) / 6e10
        mb = (b_ok - day_b).astype("timedelta64[ns]").astype(np.float64) / 6e10
        out[ok] = np.maximum(self._w_local(ib, mb) - self._w_local(ia, ma), 0.0)
        return out

    # --- due instants -------------------------------------------------------------------------------
    def add_working_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant (in WIB) at which ``minutes`` working minutes after ``start`` have passed.

        A target that ends exactly at the close of a working day falls due at that close.
        """
        t = to_wib(start)
        left = float(minutes)
        day = t.date()
        minute = t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 6e7
        for _ in range(3660):  # ten years of days is far beyond any SOP target
            for a, b in self.segments(day):
                lo = max(a, minute)
                if lo >= b:
                    continue
                span = b - lo
                if left <= span:
                    local = dt.datetime.combine(day, dt.time(), tzinfo=WIB) + dt.timedelta(minutes=lo + left)
                    return local
                left -= span
            day += dt.timedelta(days=1)
            minute = 0
        raise ValueError("target terlalu panjang untuk kalender kerja")

    def due(self, start: dt.datetime, target: MutuBaku) -> dt.datetime:
        """When a step that became available at ``start`` is due under ``target``.

        Working units add working minutes; ``hari kalender`` adds calendar days (weekends and holidays
        count); ``bulan`` adds calendar months; a ``tanggal`` window is due
        at the end of day ``max`` of the month (of the next month once that day has passed).
        """
        t = to_wib(start)
        if target.working_minutes is not None:
            return self.add_working_minutes(t, target.working_minutes)
        if target.unit == "hari kalender":
            return t + dt.timedelta(days=target.max)
        if target.unit == "bulan":
            return _add_months(t, int(target.max))
        if target.unit == "tanggal":
            year, month = t.year, t.month
            if t.day > target.max:
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            last_day = min(int(target.max), _calendar.monthrange(year, month)[1])
            return dt.datetime(year, month, last_day, 23, 59, 59, tzinfo=WIB)
        raise ValueError(f"satuan {target.unit} tidak dikenal")

    def within_target(self, start: dt.datetime, end: dt.datetime, target: MutuBaku) -> bool:
        """Whether a step available at ``start`` and done at ``end`` met its target.

        A calendar window (``tanggal``) is judged by the date the step completed.
        """
        if target.unit == "tanggal":
            return target.value <= to_wib(end).day <= target.max
        if target.working_minutes is not None:
            return self.working_minutes(start, end) <= target.working_minutes + 1e-9
        return to_wib(end) <= self.due(start, target)

    def holidays_between(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        """Days off on weekdays and every admin override between two dates, with their reason."""
        out = []
        d = first
        while d <= last:
            ov = self.settings.overrides.get(d)
            name = self.holiday_name(d)
            if ov is not None:
                out.append((d, name or ov.keterangan or "Hari kerja tambahan"))
            elif name and d.weekday() < 5:
                out.append((d, name))
            d += dt.timedelta(days=1)
        return out


def _add_months(t: dt.datetime, months: int) -> dt.datetime:
    m = t.month - 1 + months
    year, month = t.year + m // 12, m % 12 + 1
    day = min(t.day, _calendar.monthrange(year, month)[1])
    return t.replace(year=year, month=month, day=day)


def _local_ns(values) -> np.ndarray:
    """Instants as naive datetime64[ns] WIB wall-clock values."""
    import pandas as pd

    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, utc=True)
    if getattr(s.dt, "tz", None) is not None:
        local = s.dt.tz_convert(WIB).dt.tz_localize(None)
    else:
        local = s + pd.Timedelta(_WIB_OFFSET)  # naive values are UTC in the database
    return local.to_numpy(dtype="datetime64[ns]")


def parse_local(text: str) -> dt.datetime:
    """``"2025-03-27 15:00"`` (WIB) → an aware datetime; a clear Indonesian error otherwise."""
    try:
        t = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"Waktu “{text}” harus berformat YYYY-MM-DD HH:MM (WIB), misalnya 2025-03-27 15:00") from None
    return t.replace(tzinfo=WIB)


def overrides_from_rows(rows: Iterable[tuple[dt.date, str, str, list | None]]) -> dict[dt.date, Override]:
    """Build the override map from ``(date, kind, keterangan, segments-as-[[HH:MM, HH:MM]])`` rows."""
    out = {}
    for day, kind, note, segs in rows:
        seg = tuple((hm(a), hm(b)) for a, b in segs) if segs else None
        out[day] = Override(kind=kind, keterangan=note or "", segments=seg)
    return out
