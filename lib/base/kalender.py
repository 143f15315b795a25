"""The working calendar as the admin edits it: the year's days off, the admin's overrides and the Ramadan
period of each year (derived from Idul Fitri by :mod:`lib.base.worktime`; the admin may correct it).

Public holidays and cuti bersama come from the ``holidays`` package; an override adds a day off (a new
SKB date) or a working day (a replacement working Saturday, a cancelled holiday). Every change needs
``manage_settings`` and is recorded in the audit log.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import CalendarOverride, Setting, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, require
from lib.base.worktime import CalendarSettings, RamadanPeriod, WorkCalendar, derived_ramadan, overrides_from_rows

CALENDAR_KEY = "kalender_kerja"


class CalendarError(UserError):
    """A user-caused problem with a calendar change (Indonesian message)."""


@dataclass(frozen=True)
class DayOff:
    day: dt.date
    name: str
    source: str  # "libur nasional/cuti bersama" or "pengecualian admin"


def days_off(calendar: WorkCalendar, year: int) -> list[DayOff]:
    """Weekday holidays and cuti bersama of ``year``, plus every admin override, in date order."""
    out = []
    for day, name in calendar.holidays_between(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        source = "pengecualian admin" if day in calendar.settings.overrides else "libur nasional/cuti bersama"
        out.append(DayOff(day, name, source))
    return out


def set_override(session: Session, actor: Actor, day: dt.date, kind: str, keterangan: str) -> None:
    require(actor, "manage_settings")
    if kind not in ("libur", "kerja"):
        raise CalendarError("Jenis harus “libur” atau “kerja”.")
    note = (keterangan or "").strip()
    if not note:
        raise CalendarError("Tulis keterangannya, misalnya nomor SKB cuti bersama.")
    row = session.get(CalendarOverride, day)
    if row is None:
        session.add(CalendarOverride(day=day, kind=kind, keterangan=note[:200], created_by=actor.user_id,
                                     created_at=utcnow()))
    else:
        row.kind, row.keterangan = kind, note[:200]
    audit.record(session, actor, "ubah_pengaturan", "kalender", day.isoformat(),
                 f"{'hari libur' if kind == 'libur' else 'hari kerja'}: {note[:150]}")


def remove_override(session: Session, actor: Actor, day: dt.date) -> None:
    require(actor, "manage_settings")
    row = session.get(CalendarOverride, day)
    if row is None:
        raise CalendarError(f"Tidak ada pengecualian pada {fmt.tanggal(day)}.")
    session.delete(row)
    audit.record(session, actor, "ubah_pengaturan", "kalender", day.isoformat(), "pengecualian dihapus")


def overrides(session: Session) -> list[CalendarOverride]:
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


def load_calendar(session: Session) -> WorkCalendar:
    """The working calendar from the settings table and the admin's overrides."""
    setting = session.get(Setting, CALENDAR_KEY)
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.keterangan,
                                  CalendarOverride.segments)).all()
    overrides = overrides_from_rows(rows)
    settings = CalendarSettings.from_dict(setting.value if setting else {}, overrides)
    return WorkCalendar(settings)


# --- Ramadan -------------------------------------------------------------------------------------------
def _calendar_setting(session: Session) -> Setting:
    setting = session.get(Setting, CALENDAR_KEY)
    if setting is None:
        setting = Setting(key=CALENDAR_KEY, value={})
        session.add(setting)
    return setting


def set_ramadan(session: Session, actor: Actor, start: dt.date, end: dt.date, keterangan: str) -> RamadanPeriod:
    """The admin's Ramadan period for the Ramadan ending in ``end.year`` (replacing the derived one); audited."""
    require(actor, "manage_settings")
    note = (keterangan or "").strip()
    if not note:
        raise CalendarError("Tulis dasarnya, misalnya hasil sidang isbat Kementerian Agama.")
    if end < start:
        raise CalendarError("Hari terakhir Ramadan tidak boleh sebelum hari pertamanya.")
    if not 28 <= (end - start).days + 1 <= 31:
        raise CalendarError(f"Ramadan berlangsung 29 atau 30 hari; yang dipilih {(end - start).days + 1} hari.")
    derived = derived_ramadan(end.year)
    if derived is not None and abs((end - derived[1]).days) > 3:
        raise CalendarError(f"Idul Fitri {end.year} jatuh pada {fmt.tanggal(derived[1] + dt.timedelta(days=1))}; "
                            "hari terakhir Ramadan semestinya sehari sebelumnya (selisih paling banyak 3 hari).")
    setting = _calendar_setting(session)
    value = dict(setting.value or {})
    periods = [p for p in value.get("periode_ramadan", []) if dt.date.fromisoformat(p[1]).year != end.year]
    value["periode_ramadan"] = sorted([*periods, [start.isoformat(), end.isoformat(), note[:200]]])
    setting.value, setting.updated_at, setting.updated_by = value, utcnow(), actor.user_id
    audit.record(session, actor, "ubah_pengaturan", "kalender", f"ramadan-{end.year}",
                 f"periode Ramadan {fmt.tanggal(start)} – {fmt.tanggal(end)}: {note[:150]}")
    return RamadanPeriod(end.year, start, end, "admin", note[:200])


def remove_ramadan(session: Session, actor: Actor, year: int) -> None:
    """Back to the period derived from Idul Fitri for the Ramadan ending in ``year``; audited."""
    require(actor, "manage_settings")
    setting = _calendar_setting(session)
    value = dict(setting.value or {})
    periods = value.get("periode_ramadan", [])
    kept = [p for p in periods if dt.date.fromisoformat(p[1]).year != year]
    if len(kept) == len(periods):
        raise CalendarError(f"Tidak ada periode Ramadan {year} yang diatur admin.")
    value["periode_ramadan"] = kept
    setting.value, setting.updated_at, setting.updated_by = value, utcnow(), actor.user_id
    audit.record(session, actor, "ubah_pengaturan", "kalender", f"ramadan-{year}",
                 "periode Ramadan kembali dihitung dari Idul Fitri")


def _jam(minutes: int) -> str:
    return f"{minutes // 60:02d}.{minutes % 60:02d}"


def hours_text(calendar: WorkCalendar, day: dt.date) -> str:
    """The hours in force on ``day`` as a sentence: "08.00–12.00, 12.30–15.00 (390 menit kerja; jam kerja
    Ramadan)" or "Tidak ada jam kerja (Hari Raya Idul Fitri)"."""
    segments, why = calendar.hours_on(day)
    if not segments:
        return f"Tidak ada jam kerja ({why})."
    spans = ", ".join(f"{_jam(a)}–{_jam(b)}" for a, b in segments)
    return f"{spans} ({sum(b - a for a, b in segments)} menit kerja; {why})."


def ramadan_text(calendar: WorkCalendar, year: int) -> str:
    """The Ramadan period in force for ``year`` and where it comes from, as a sentence."""
    period = calendar.ramadan(year)
    if period is None:
        return f"Tanggal Idul Fitri {year} belum diketahui; atur periode Ramadan di bawah."
    where = (f"diatur admin: {period.keterangan}" if period.source == "admin" else
             f"dihitung otomatis: 1 Ramadan diambil 30 hari sebelum Idul Fitri "
             f"{fmt.tanggal(period.end + dt.timedelta(days=1))}")
    return (f"Ramadan yang berakhir pada {year}: {fmt.tanggal(period.start)} – {fmt.tanggal(period.end)} ({where}). "
            "Selama itu berlaku jam kerja Ramadan (32,5 jam seminggu).")
