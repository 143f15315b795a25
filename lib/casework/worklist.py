"""Tugas Saya: the steps waiting for the acting user's roles and scopes (Plone's worklist).

A step waits for a user when its actor column (``pelaksana``) names one of the user's roles and the user
may run cases of that SOP (on its bidang, or on the case's desa). Oldest first. Each task carries its age
since it became available and the time left against its mutu baku, both in working time:

* ``terlambat`` — past its target;
* ``segera`` — more than half the target used;
* ``normal`` — otherwise; ``tanpa_target`` when the SOP gives no time for the step;
* ``menunggu_pemohon`` — the file was returned to the applicant (a step of an external actor); the clock
  is shown but the file waits for the citizen, not for the office.

Working-unit targets (menit, jam, hari, minggu) count working minutes; ``bulan`` and ``tanggal`` targets
are judged on the calendar (:meth:`lib.base.worktime.WorkCalendar.due`).

A step also waits for the user when they hold it as Plh (``plh`` names the capacity) and when it was
escalated to their role (``escalated``, lib/casework/escalation.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base.db import Case, SopRevision, StepRun, User, utcnow
from lib.base.kalender import load_calendar
from lib.base.mutu_baku import MutuBaku
from lib.base.permissions import Actor
from lib.base.worktime import WorkCalendar
from lib.casework import escalation
from lib.casework.cases import role_grant, step_grant
from lib.catalogue import store

STATUS_LABELS = {"terlambat": "Terlambat", "segera": "Segera jatuh tempo", "normal": "Dalam target",
                 "tanpa_target": "Tanpa target waktu", "menunggu_pemohon": "Menunggu pemohon"}
#: Share of the target after which a step is "due soon".
DUE_SOON = 0.5


@dataclass(frozen=True)
class Clock:
    """Where an open step stands against its target at ``now``."""
    age_working_min: float
    due: dt.datetime | None
    left_working_min: float | None   # negative when overdue; None for calendar targets or no target
    used: float | None               # share of the target used (1.0 = at the limit)
    status: str


def clock(calendar: WorkCalendar, available_at: dt.datetime, target: MutuBaku | None, now: dt.datetime) -> Clock:
    age = calendar.working_minutes(available_at, now) if now > available_at else 0.0
    if target is None:
        return Clock(age, None, None, None, "tanpa_target")
    due = calendar.due(available_at, target)
    if target.working_minutes is not None:
        left = target.working_minutes - age
        used = age / target.working_minutes if target.working_minutes else (1.0 if age else 0.0)
    else:
        left = None
        span = (due - available_at).total_seconds()
        used = (now - available_at).total_seconds() / span if span > 0 else 1.0
    status = "terlambat" if now > due else "segera" if used > DUE_SOON else "normal"
    return Clock(age, due, left, used, status)


@dataclass(frozen=True)
class Task:
    case_id: int
    register_no: str
    sop_id: str
    sop_label: str
    step_no: int
    kegiatan: str
    pelaksana: str
    applicant_name: str | None
    attempt: int
    available_at: dt.datetime
    started_at: dt.datetime | None
    target: MutuBaku | None
    clock: Clock
    version: int = 0
    #: "Plh. <jabatan>, <deputy> a.n. <delegator>" when the user holds the step as Plh
    plh: str | None = None
    #: the step went up to the user's role: overdue by twice its target with nobody acting
    escalated: bool = False
    #: who started the step (its holder), when started
    holder: str | None = None

    @property
    def status(self) -> str:
        return self.clock.status


def tasks(session: Session, actor: Actor, now: dt.datetime | None = None,
          calendar: WorkCalendar | None = None) -> list[Task]:
    """The open steps waiting for ``actor``, oldest first."""
    if actor.is_anonymous:
        return []
    now = now or utcnow()
    calendar = calendar or load_calendar(session)
    rows = session.execute(
        select(StepRun, Case, SopRevision, User.name).join(Case, Case.id == StepRun.case_id)
        .join(SopRevision, SopRevision.id == Case.revision_id).outerjoin(User, User.id == StepRun.actor_id)
        .where(StepRun.completed_at.is_(None), Case.state != "selesai")
        .order_by(StepRun.available_at, StepRun.id)).all()
    out = []
    for run, case, rev, holder in rows:
        sop = store.document(rev)
        step = sop.langkah[run.step_no - 1]
        grant = step_grant(actor, sop, step, case.scope)
        escalated = False
        if grant is None:
            up = escalation.escalated_role(calendar, sop, step, run, now)
            grant = role_grant(actor, sop, (up,), case.scope) if up else None
            if grant is None:
                continue
            escalated = True
        who = sop.actors[step.pelaksana]
        c = clock(calendar, run.available_at, step.target, now)
        if who.eksternal and run.attempt > 1:
            c = Clock(c.age_working_min, c.due, c.left_working_min, c.used, "menunggu_pemohon")
        out.append(Task(case.id, case.register_no, case.sop_id, sop.label, run.step_no, step.kegiatan, who.label,
                        case.applicant_name, run.attempt, run.available_at, run.started_at, step.target, c,
                        case.version, grant.via.label if grant.via else None, escalated, holder))
    return out
