"""The workflow engine: a case moves through the steps of the SOP revision it was opened under.

* Opening a case pins the SOP revision in force, gives it a register number per SOP and year
  (``AK1/2026/00042``) and makes step 1 available.
* A step is done by a user holding one of the roles its actor column names (``peran`` in the SOP) and
  ``run_cases``. Starting is optional: a step completed without a start is kept without a processing
  time, never given a fake one.
* A decision step needs an outcome, ``ya`` or ``tidak``; its branch leads to the next step, back to an
  earlier one (rework: the same case, a new attempt of that step; when the step belongs to the applicant,
  the file is returned, ``dikembalikan``, with the note saying what is missing) or to the end.
* After the last step the case is ``selesai``.
* Two people completing the same step at once: the case's version is checked in the UPDATE itself, so
  exactly one succeeds; the other gets :class:`Conflict` naming who did it and when, and nothing is
  written twice.

Step runs are append-only except for the start and completion timestamps of the run in progress.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from . import audit, catalog, fmt
from .db import Case, SopRevision, StepRun, User, utcnow
from .permissions import Actor, PermissionDenied, require
from .store import current_revision

STATES = {"berjalan": "Berjalan", "dikembalikan": "Dikembalikan ke pemohon", "selesai": "Selesai"}


class CaseError(ValueError):
    """A user-caused problem with a case action (Indonesian message); nothing was written."""


class Conflict(CaseError):
    """Someone else changed the case first."""


@dataclass(frozen=True)
class CaseView:
    id: int
    register_no: str
    sop_id: str
    revision_id: int
    state: str
    version: int
    open_steps: tuple[int, ...]


def sop_of(session: Session, case: Case) -> catalog.SOP:
    rev = session.get(SopRevision, case.revision_id)
    return catalog.parse_document(rev.content, f"{case.sop_id} revisi {rev.revision_no}")


def register_code(sop: catalog.SOP) -> str:
    return sop.kode_register or sop.id.upper()


def open_case(session: Session, actor: Actor, sop_id: str, applicant_name: str | None = None,
              nik: str | None = None, data: dict | None = None, now: dt.datetime | None = None) -> CaseView:
    """Open a case on the SOP revision in force; step 1 becomes available at ``now``."""
    now = now or utcnow()
    rev = current_revision(session, sop_id)
    if rev is None:
        raise CaseError(f"SOP “{sop_id}” tidak ada atau tidak berlaku.")
    sop = catalog.parse_document(rev.content, sop_id)
    if sop.jenis != "sop":
        raise CaseError("Permohonan hanya dapat dibuka pada SOP, bukan pada standar pelayanan.")
    require(actor, "run_cases", sop.scope)
    year = now.astimezone(dt.timezone(dt.timedelta(hours=7))).year
    for _ in range(5):  # another counter may take the same number at the same moment: try the next one
        seq = (session.scalar(select(func.max(Case.seq)).where(Case.sop_id == sop_id, Case.year == year)) or 0) + 1
        number = f"{register_code(sop)}/{year}/{seq:05d}"
        try:
            with session.begin_nested():
                case = Case(sop_id=sop_id, revision_id=rev.id, register_no=number, year=year, seq=seq,
                            state="berjalan", applicant_name=applicant_name, nik=nik, data=data or {},
                            created_by=actor.user_id, created_at=now, version=1)
                session.add(case)
                session.flush()
        except IntegrityError:
            continue
        break
    else:
        raise CaseError("Nomor register tidak dapat dibuat; coba lagi.")
    session.add(StepRun(case_id=case.id, step_no=1, attempt=1, available_at=now))
    audit.record(session, actor, "buka_permohonan", "case", case.id, number)
    return view(session, case)


def view(session: Session, case: Case) -> CaseView:
    open_steps = tuple(session.scalars(select(StepRun.step_no).where(
        StepRun.case_id == case.id, StepRun.completed_at.is_(None)).order_by(StepRun.step_no)))
    return CaseView(case.id, case.register_no, case.sop_id, case.revision_id, case.state, case.version, open_steps)


def _open_run(session: Session, case: Case, step_no: int) -> StepRun:
    run = session.scalar(select(StepRun).where(StepRun.case_id == case.id, StepRun.step_no == step_no,
                                               StepRun.completed_at.is_(None)))
    if run is None:
        done = _completed_by(session, case, step_no)
        if done:
            raise Conflict(done)
        raise CaseError(f"Langkah {step_no} belum tersedia untuk berkas {case.register_no}.")
    return run


def _check_actor(actor: Actor, sop: catalog.SOP, step: catalog.Langkah) -> str:
    """The actor's role that lets them do this step (from the SOP's actor column)."""
    require(actor, "run_cases", sop.scope)
    allowed = sop.actors[step.pelaksana].peran
    mine = [r for r in allowed if r in actor.roles]
    if not mine:
        raise PermissionDenied(actor, "run_cases", f"langkah {step.no} ({sop.actors[step.pelaksana].label})")
    return mine[0]


def _bump(session: Session, case: Case, expected_version: int, step_no: int, **changes) -> None:
    """Optimistic lock: the UPDATE only applies when nobody changed the case since ``expected_version``."""
    try:
        result = session.execute(update(Case).where(Case.id == case.id, Case.version == expected_version)
                                 .values(version=expected_version + 1, **changes)
                                 .execution_options(synchronize_session=False))
    except OperationalError as err:  # SQLite: another writer held the database past the busy timeout
        raise Conflict("Berkas ini sedang diubah oleh pengguna lain. Coba lagi sebentar lagi.") from err
    if result.rowcount != 1:
        raise Conflict(_completed_by(session, case, step_no)
                       or "Berkas ini baru saja diubah oleh pengguna lain. Muat ulang lalu periksa langkahnya.")


def _completed_by(session: Session, case: Case, step_no: int) -> str | None:
    """"Step N was completed by X at T", for the user who came second; None if nobody completed it."""
    last = session.scalar(select(StepRun).where(StepRun.case_id == case.id, StepRun.step_no == step_no,
                                                StepRun.completed_at.is_not(None))
                          .order_by(StepRun.completed_at.desc(), StepRun.id.desc()).limit(1)
                          .execution_options(populate_existing=True))  # the identity map holds the stale run
    if last is None:
        return None
    who = session.get(User, last.actor_id).name if last.actor_id else "pengguna lain"
    return f"Langkah {step_no} sudah diselesaikan oleh {who} pada {fmt.waktu(last.completed_at)}."


def start_step(session: Session, actor: Actor, case_id: int, step_no: int, expected_version: int,
               now: dt.datetime | None = None) -> CaseView:
    now = now or utcnow()
    case = _case(session, case_id)
    sop = sop_of(session, case)
    step = sop.langkah[step_no - 1]
    role = _check_actor(actor, sop, step)
    run = _open_run(session, case, step_no)
    if run.started_at is not None:
        raise CaseError(f"Langkah {step_no} sudah dimulai pada {fmt.waktu(run.started_at)}.")
    _bump(session, case, expected_version, step_no)
    session.execute(update(StepRun).where(StepRun.id == run.id, StepRun.started_at.is_(None))
                    .values(started_at=now, actor_id=actor.user_id, role=role)
                    .execution_options(synchronize_session=False))
    audit.record(session, actor, "mulai_langkah", "case", case.id, f"{case.register_no} langkah {step_no}")
    session.refresh(case)
    return view(session, case)


def complete_step(session: Session, actor: Actor, case_id: int, step_no: int, expected_version: int,
                  outcome: str | None = None, note: str | None = None, now: dt.datetime | None = None) -> CaseView:
    """Complete the open run of ``step_no`` and make the next step available (or close the case)."""
    now = now or utcnow()
    case = _case(session, case_id)
    if case.state == "selesai":
        raise CaseError(f"Berkas {case.register_no} sudah selesai.")
    sop = sop_of(session, case)
    if not 1 <= step_no <= len(sop.langkah):
        raise CaseError(f"Langkah {step_no} tidak ada pada SOP ini.")
    step = sop.langkah[step_no - 1]
    role = _check_actor(actor, sop, step)
    run = _open_run(session, case, step_no)
    if step.keputusan is not None:
        if outcome not in ("ya", "tidak"):
            k = step.keputusan
            raise CaseError(f"Pilih hasil keputusan: “{k.ya.label}” atau “{k.tidak.label}”.")
        branch = getattr(step.keputusan, outcome)
        target = branch.ke
        outcome_label = branch.label
    else:
        if outcome not in (None, "", "selesai"):
            raise CaseError("Langkah ini bukan keputusan; tidak perlu memilih hasil.")
        target = step_no + 1 if step_no < len(sop.langkah) else catalog.END
        outcome_label = "selesai"
    returned = target != catalog.END and target <= step_no and sop.actors[sop.langkah[target - 1].pelaksana].eksternal
    if returned and not (note or "").strip():
        raise CaseError("Tulis apa yang kurang, supaya pemohon tahu apa yang harus dilengkapi.")
    new_state = "selesai" if target == catalog.END else ("dikembalikan" if returned else "berjalan")
    _bump(session, case, expected_version, step_no, state=new_state,
          closed_at=now if new_state == "selesai" else None)
    done = session.execute(update(StepRun).where(StepRun.id == run.id, StepRun.completed_at.is_(None))
                           .values(completed_at=now, actor_id=actor.user_id, role=role, outcome=outcome_label,
                                   note=(note or "").strip() or None)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(f"Langkah {step_no} baru saja diselesaikan oleh pengguna lain.")
    if target != catalog.END:
        attempt = (session.scalar(select(func.max(StepRun.attempt)).where(
            StepRun.case_id == case.id, StepRun.step_no == target)) or 0) + 1
        session.add(StepRun(case_id=case.id, step_no=target, attempt=attempt, available_at=now))
    audit.record(session, actor, "selesai_langkah", "case", case.id,
                 f"{case.register_no} langkah {step_no}: {outcome_label}")
    session.flush()
    session.refresh(case)
    return view(session, case)


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError("Berkas tidak ditemukan.")
    return case


def timeline(session: Session, case_id: int) -> list[StepRun]:
    """Every run of the case, in the order they became available."""
    return list(session.scalars(select(StepRun).where(StepRun.case_id == case_id)
                                .order_by(StepRun.available_at, StepRun.id)))
