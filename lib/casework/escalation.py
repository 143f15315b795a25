"""Escalation: a step overdue by more than its own target again goes up to the next official.

An office step (not the applicant's) that nobody has started and that has waited more than ``kelipatan``
times its target (mutu baku) in working time — twice by default, i.e. overdue by its own target again — is
*escalated*: it appears in *Tugas Saya* of the official one level above its actor in the SOP's chain
(``rantai``: Staf → Kasi → Kepala Bidang → Kepala Dinas by default), who may do it, and the case's history
records it once (an ``eskalasi`` row, :func:`mark`). Steps without a target never escalate.

The rules are data beside the SOPs, ``data/eskalasi.yaml``: a default and optional per-SOP rules.
Whether a step is escalated is computed from the clock when it is read (no job needs to run for it to show);
the history row is written by the first reading of *Tugas Saya* that shows it to the official above, by the
official acting on it, or by ``python -m lib eskalasi`` (for a scheduled run); whichever comes first writes it,
the others find it written.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.base import workflow
from lib.base.db import ROOT, Case, SopRevision, StepRun, utcnow
from lib.base.kalender import load_calendar
from lib.base.roles import ROLES
from lib.base.worktime import WorkCalendar
from lib.catalogue import model as catalog
from lib.catalogue import store

RULES_FILE = ROOT / "data" / "eskalasi.yaml"


@dataclass(frozen=True)
class Rule:
    kelipatan: float
    rantai: tuple[str, ...]

    def above(self, roles) -> str | None:
        """The next role up the chain from the lowest of ``roles`` found in it (None at the top)."""
        found = [self.rantai.index(r) for r in roles if r in self.rantai]
        if not found:
            return None
        i = min(found) + 1
        return self.rantai[i] if i < len(self.rantai) else None


def _rule(raw: dict, base: Rule | None = None) -> Rule:
    kelipatan = float(raw.get("kelipatan", base.kelipatan if base else 2))
    rantai = tuple(raw.get("rantai", base.rantai if base else ()))
    if kelipatan <= 1 or any(r not in ROLES for r in rantai):
        raise ValueError(f"aturan eskalasi tidak sah: {raw}")
    return Rule(kelipatan, rantai)


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, dict[str, Rule]]:
    """The default rule and the per-SOP rules from data/eskalasi.yaml."""
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")) or {}
    default = _rule(data.get("bawaan") or {})
    return default, {k: _rule(v or {}, default) for k, v in (data.get("sop") or {}).items()}


def rule_for(sop_id: str) -> Rule:
    default, per_sop = rules()
    return per_sop.get(sop_id, default)


def overdue_twice(calendar: WorkCalendar, available_at: dt.datetime, target, now: dt.datetime,
                  kelipatan: float = 2) -> bool:
    """Whether a step available since ``available_at`` has waited more than ``kelipatan`` × its target."""
    if target is None or now <= available_at:
        return False
    if target.working_minutes is not None:
        return calendar.working_minutes(available_at, now) > kelipatan * target.working_minutes
    return now > available_at + kelipatan * (calendar.due(available_at, target) - available_at)


def escalated_role(calendar: WorkCalendar, sop: catalog.SOP, step: catalog.Langkah, run: StepRun,
                   now: dt.datetime) -> str | None:
    """The role the open ``run`` of ``step`` has gone up to at ``now``, or None when it is not escalated."""
    who = sop.actors[step.pelaksana]
    if who.eksternal or run.started_at is not None or run.completed_at is not None:
        return None
    if run.escalated_to:
        return run.escalated_to
    rule = rule_for(sop.id)
    if not overdue_twice(calendar, run.available_at, step.target, now, rule.kelipatan):
        return None
    return rule.above(who.peran)


def mark(session: Session, case: Case, run: StepRun, role: str, now: dt.datetime | None = None) -> bool:
    """Record once that ``run`` went up to ``role``: the step run's mark and the case's ``eskalasi`` history
    row. Returns False when it was already recorded (by anyone)."""
    now = now or utcnow()
    done = session.execute(update(StepRun).where(StepRun.id == run.id, StepRun.escalated_at.is_(None))
                           .values(escalated_at=now, escalated_to=role)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    run.escalated_at, run.escalated_to = now, role
    if case.state == "berjalan":
        workflow.transition(session, None, case, "eskalasi", now=now,
                            comment=f"Langkah {run.step_no} melewati dua kali target waktunya tanpa ada yang "
                                    f"memulai; dinaikkan ke {ROLES[role]}.",
                            detail=f"{case.register_no} langkah {run.step_no} → {ROLES[role]}")
    return True


def record_all(session: Session, now: dt.datetime | None = None,
               case_ids: list[int] | None = None) -> list[tuple[str, int, str]]:
    """Mark every step escalated at ``now`` not yet recorded (of ``case_ids`` only, when given): returns
    ``(register_no, step_no, role)`` of the ones recorded now. ``python -m lib eskalasi`` runs it for all."""
    now = now or utcnow()
    calendar = load_calendar(session)
    q = (select(StepRun, Case, SopRevision).join(Case, Case.id == StepRun.case_id)
         .join(SopRevision, SopRevision.id == Case.revision_id)
         .where(StepRun.completed_at.is_(None), StepRun.started_at.is_(None),
                StepRun.escalated_at.is_(None), Case.state == "berjalan"))
    if case_ids is not None:
        q = q.where(Case.id.in_(case_ids))
    rows = session.execute(q).all()
    out = []
    for run, case, rev in rows:
        sop = store.document(rev)
        role = escalated_role(calendar, sop, sop.langkah[run.step_no - 1], run, now)
        if role and mark(session, case, run, role, now):
            out.append((case.register_no, run.step_no, role))
    return out
