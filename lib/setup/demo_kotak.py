"""Two open steps of the demo Kasi against the clock, so that the inbox and the e-mail digest of a fresh demo
database show both kinds of deadline: a *pekerja rentan* case whose first step (the Kasi's, 30 minutes) has
used 70% of its target (due soon) and one that became available two working days ago (overdue). They are
opened through the case engine at those instants, once, with the rest of the demo history."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lib.base import accounts, kalender
from lib.base.db import utcnow
from lib.base.worktime import WorkCalendar
from lib.casework import cases

SOP = "pekerja-rentan"
#: working minutes before ``now`` at which the two steps became available: 70% of the 30-minute target, and
#: two working days
AGES = (21, 2 * 450)


def working_minutes_before(cal: WorkCalendar, now: dt.datetime, minutes: float) -> dt.datetime:
    """The instant from which ``minutes`` working minutes have passed by ``now`` (to the second)."""
    lo, hi = now - dt.timedelta(days=60), now
    for _ in range(40):
        mid = lo + (hi - lo) / 2
        if cal.working_minutes(mid, now) > minutes:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def seed(session: Session, now: dt.datetime | None = None) -> int:
    """Open the two cases when the demo Kasi exists and the SOP is in force; returns how many were opened."""
    kasi = accounts.load_actor(session, "kasi")
    if kasi is None:
        return 0
    now = now or utcnow()
    cal = kalender.load_calendar(session)
    try:
        cases.in_force(session, SOP)
    except cases.CaseError:
        return 0
    for minutes in AGES:
        cases.open_case(session, kasi, SOP, now=working_minutes_before(cal, now, minutes))
    return len(AGES)
