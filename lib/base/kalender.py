"""The working calendar as the admin edits it: the year's days off and the admin's overrides.

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
from lib.base.worktime import CalendarSettings, WorkCalendar, overrides_from_rows

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
