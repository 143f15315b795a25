"""Reassignment: a Kasi or Kepala Bidang (``reassign_steps`` on the SOP's bidang) moves a started but stalled
step to another officer of the same role, with a reason.

A step is *stalled* when it was started and is past its target (a step without a target: started more than
one working day ago) and not completed. The new officer must hold the role the step was started as, on the
SOP (their own role, not one held as Plh), and be someone else. The step keeps its start (its times stay
honest); its holder becomes the new officer. The case's history records the move with the reason
(``alihkan``, lib/base/workflow.py), which both officers see on the case page; *Tugas Saya* shows the step's
holder.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.base import accounts, workflow
from lib.base.db import StepRun, User, utcnow
from lib.base.kalender import load_calendar
from lib.base.permissions import Actor, PermissionDenied
from lib.base.roles import ROLES
from lib.base.worktime import WorkCalendar
from lib.casework import cases
from lib.casework.cases import CaseError
from lib.catalogue import model as catalog

#: A step without a target counts as stalled after this many working minutes since its start.
NO_TARGET_STALL_MIN = 8 * 60
MIN_REASON = 5


def stalled(calendar: WorkCalendar, step: catalog.Langkah, run: StepRun, now: dt.datetime) -> bool:
    if run.started_at is None or run.completed_at is not None:
        return False
    if step.target is None:
        return calendar.working_minutes(run.started_at, now) > NO_TARGET_STALL_MIN
    return now > calendar.due(run.available_at, step.target)


def candidates(session: Session, case_id: int, step_no: int) -> list[tuple[str, str]]:
    """``(username, name)`` of the active officers who could take over the started step, its holder left out."""
    case = cases.get_case(session, case_id)
    sop = cases.sop_of(session, case)
    run = session.scalar(select(StepRun).where(StepRun.case_id == case.id, StepRun.step_no == step_no,
                                               StepRun.completed_at.is_(None)))
    if run is None or run.role is None:
        return []
    out = []
    for user in session.scalars(select(User).where(User.active, User.id != run.actor_id).order_by(User.name)):
        other = accounts.load_actor(session, user.username)
        grant = cases.role_grant(other, sop, (run.role,), case.scope) if other else None
        if grant is not None and grant.via is None:
            out.append((user.username, user.name))
    return out


def reassign(session: Session, actor: Actor, case_id: int, step_no: int, expected_version: int, to_username: str,
             reason: str, now: dt.datetime | None = None) -> cases.CaseView:
    """Move the stalled, started step ``step_no`` to ``to_username`` (see the module docstring)."""
    now = now or utcnow()
    case = cases.get_case(session, case_id)
    sop = cases.sop_of(session, case)
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        raise CaseError("Tulis alasan pengalihan langkah.")
    run = session.scalar(select(StepRun).where(StepRun.case_id == case.id, StepRun.step_no == step_no,
                                               StepRun.completed_at.is_(None)))
    if run is None or not 1 <= step_no <= len(sop.langkah):
        raise CaseError(f"Langkah {step_no} tidak sedang berjalan pada berkas {case.register_no}.")
    if not workflow.may(session, actor, case, "alihkan"):
        raise PermissionDenied(actor, "reassign_steps", sop.scope)
    if not stalled(load_calendar(session), sop.langkah[step_no - 1], run, now):
        raise CaseError(f"Langkah {step_no} belum macet: hanya langkah yang sudah dimulai dan melewati target "
                        "waktunya yang dapat dialihkan.")
    other = accounts.load_actor(session, (to_username or "").strip().lower())
    grant = cases.role_grant(other, sop, (run.role,), case.scope) if other else None
    if other is None or grant is None or grant.via is not None:
        raise CaseError(f"“{to_username}” bukan petugas aktif dengan peran {ROLES.get(run.role, run.role)} "
                        "untuk SOP ini.")
    if other.user_id == run.actor_id:
        raise CaseError(f"Langkah {step_no} sudah dipegang {other.name}.")
    before = session.get(User, run.actor_id).name if run.actor_id else "—"
    cases.bump(session, case, expected_version, step_no)
    session.execute(update(StepRun).where(StepRun.id == run.id, StepRun.completed_at.is_(None))
                    .values(actor_id=other.user_id, capacity=None).execution_options(synchronize_session=False))
    workflow.transition(session, actor, case, "alihkan", now=now,
                        comment=f"Langkah {step_no} dialihkan dari {before} kepada {other.name}: {text}",
                        detail=f"{case.register_no} langkah {step_no}: {before} → {other.name}")
    session.flush()
    session.refresh(case)
    return cases.view(session, case)
