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
* One person, one open case per SOP: a NIK that already has an open case (``berjalan`` or
  ``dikembalikan``) of the same SOP gets a second one only with a written reason
  (:class:`DuplicateCase` otherwise). The reason is the comment of the case's ``buka`` history entry and is
  kept in ``data["alasan_ganda"]`` with the register numbers that were open (``data["ganda_dengan"]``).
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

from lib.base import audit, delegation, fmt, workflow
from lib.base.db import Case, SopRevision, StepRun, User, utcnow
from lib.base.errors import UserError
from lib.base.kalender import load_calendar
from lib.base.permissions import Actor, Grant, PermissionDenied, has_permission, scopes_for
from lib.casework import escalation, forms
from lib.catalogue import model as catalog
from lib.catalogue import store
from lib.catalogue.store import current_revision

STATES = {"berjalan": "Berjalan", "dikembalikan": "Dikembalikan ke pemohon", "selesai": "Selesai"}


class CaseError(UserError):
    """A user-caused problem with a case action (Indonesian message); nothing was written."""


class Conflict(CaseError):
    """Someone else changed the case first."""


#: The shortest reason accepted for a second open case of the same person and SOP.
MIN_REASON = 10


class DuplicateCase(CaseError):
    """The NIK already has an open case of this SOP and no reason was given; ``existing`` holds
    ``(case_id, register_no)`` of those cases. Nothing was written."""

    def __init__(self, sop: catalog.SOP, existing: list[tuple[int, str]], reason_given: bool):
        self.existing = existing
        numbers = ", ".join(no for _, no in existing)
        ask = (f"Alasan terlalu singkat: tulis minimal {MIN_REASON} karakter." if reason_given
               else "Bila memang perlu permohonan kedua, tulis alasannya.")
        super().__init__(f"NIK ini sudah memiliki permohonan {sop.label} yang masih terbuka: {numbers}. {ask}")


def _open_cases_of(session: Session, sop_id: str, nik: str | None) -> list[tuple[int, str]]:
    """``(case_id, register_no)`` of the cases of ``sop_id`` still open for ``nik``, oldest first."""
    if not nik:
        return []
    return [(i, no) for i, no in session.execute(
        select(Case.id, Case.register_no).where(Case.sop_id == sop_id, Case.nik == nik, Case.state != "selesai")
        .order_by(Case.created_at, Case.id))]


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
    """The SOP revision the case was opened under (a running case keeps it)."""
    return store.document(session.get(SopRevision, case.revision_id))


def register_code(sop: catalog.SOP) -> str:
    return sop.kode_register or sop.id.upper()


def may_run(actor: Actor, sop: catalog.SOP, case_scope: str | None = None) -> bool:
    """``run_cases`` on the SOP's bidang, or on the case's own scope (a village's proposal for its operator)."""
    return has_permission(actor, "run_cases", sop.scope) or (
        case_scope is not None and has_permission(actor, "run_cases", case_scope))


def require_run(actor: Actor, sop: catalog.SOP, case_scope: str | None = None) -> None:
    if not may_run(actor, sop, case_scope):
        raise PermissionDenied(actor, "run_cases", case_scope or sop.scope)


def _intake_scope(actor: Actor, sop: catalog.SOP) -> str | None:
    """A case opened by someone who runs cases only for their desa belongs to that desa."""
    if has_permission(actor, "run_cases", sop.scope):
        return None
    scopes = sorted(s for s in (scopes_for(actor, "run_cases") or ()) if s.startswith("desa:"))
    return scopes[0] if scopes else None


def can_open(actor: Actor, sop: catalog.SOP) -> bool:
    """Whether ``actor`` may open a case of ``sop``: whoever does its first step."""
    scope = _intake_scope(actor, sop)
    return may_run(actor, sop, scope) and step_role(actor, sop, sop.langkah[0], scope) is not None


def in_force(session: Session, sop_id: str) -> tuple[SopRevision, catalog.SOP]:
    """The revision in force of an SOP that takes cases, or :class:`CaseError`."""
    rev = current_revision(session, sop_id)
    if rev is None:
        raise CaseError(f"SOP “{sop_id}” tidak ada atau tidak berlaku.")
    sop = store.document(rev)
    if sop.jenis != "sop":
        raise CaseError("Permohonan hanya dapat dibuka pada SOP, bukan pada standar pelayanan.")
    return rev, sop


def open_case(session: Session, actor: Actor, sop_id: str, applicant_name: str | None = None,
              nik: str | None = None, data: dict | None = None, now: dt.datetime | None = None,
              reason: str | None = None) -> CaseView:
    """Open a case on the SOP revision in force; step 1 becomes available at ``now``.

    A NIK with an open case of the same SOP needs ``reason`` (:class:`DuplicateCase` otherwise)."""
    now = now or utcnow()
    rev, sop = in_force(session, sop_id)
    scope = _intake_scope(actor, sop)
    require_run(actor, sop, scope)
    first = sop.langkah[0]
    if step_role(actor, sop, first, scope) is None:  # a case is opened by whoever does its first step
        raise PermissionDenied(actor, "run_cases", f"langkah 1 ({sop.actors[first.pelaksana].label})")
    existing = _open_cases_of(session, sop_id, nik)
    reason = " ".join((reason or "").split())[:1000] or None
    if existing and (reason is None or len(reason) < MIN_REASON):
        raise DuplicateCase(sop, existing, reason is not None)
    if existing:
        data = {**(data or {}), "alasan_ganda": reason, "ganda_dengan": [no for _, no in existing]}
    year = now.astimezone(dt.timezone(dt.timedelta(hours=7))).year
    for _ in range(5):  # another counter may take the same number at the same moment: try the next one
        seq = (session.scalar(select(func.max(Case.seq)).where(Case.sop_id == sop_id, Case.year == year)) or 0) + 1
        number = f"{register_code(sop)}/{year}/{seq:05d}"
        try:
            with session.begin_nested():
                case = Case(sop_id=sop_id, revision_id=rev.id, register_no=number, year=year, seq=seq,
                            applicant_name=applicant_name, nik=nik, data=data or {}, scope=scope,
                            created_by=actor.user_id, created_at=now, version=1)
                detail = number + (f"; permohonan kedua, masih terbuka: {', '.join(data['ganda_dengan'])}"
                                   if existing else "")
                workflow.create(session, actor, case, "buka", comment=reason if existing else None,
                                detail=detail, now=now)
        except IntegrityError:
            continue
        break
    else:
        raise CaseError("Nomor register tidak dapat dibuat; coba lagi.")
    session.add(StepRun(case_id=case.id, step_no=1, attempt=1, available_at=now))
    return view(session, case)


def _scopes(session: Session, case: Case) -> tuple[str | None, ...]:
    return (store.document(session.get(SopRevision, case.revision_id)).scope, case.scope)


workflow.register(workflow.ObjectType("case", Case, scopes=_scopes, describe=lambda case: case.register_no,
                                      error=CaseError, conflict=Conflict, versioned=False))
#: the case's own state change when a step completes: (before, after) -> transition in data/workflows/case.yaml
_CASE_MOVES = {("berjalan", "dikembalikan"): "kembalikan", ("dikembalikan", "berjalan"): "lanjutkan",
               ("berjalan", "selesai"): "selesaikan", ("dikembalikan", "selesai"): "selesaikan"}


class FormInvalid(CaseError):
    """The intake form has errors; ``result`` says which field and why. Nothing was written."""

    def __init__(self, result: forms.FormResult):
        self.result = result
        super().__init__("Permohonan belum disimpan: periksa isian yang ditandai.")


def intake(session: Session, actor: Actor, sop_id: str, values: dict, documents: dict[str, bool] | None = None,
           now: dt.datetime | None = None, reason: str | None = None) -> tuple[CaseView, forms.FormResult]:
    """Register a new application from the SOP's intake form (``formulir`` and ``kelengkapan``).

    The form is checked by :func:`lib.casework.forms.validate`; with errors nothing is written
    (:class:`FormInvalid`). Otherwise a case is opened; when step 1 belongs to the applicant
    (``eksternal``) it is the submission itself and is completed now by the counter officer, without a
    processing time. Missing documents are kept with the case, for the completeness check of the next step.
    A NIK that already has an open case of this SOP is refused (:class:`DuplicateCase`) unless ``reason``
    says why a second one is opened.
    """
    now = now or utcnow()
    rev, sop = in_force(session, sop_id)
    first = sop.langkah[0]
    require_run(actor, sop, _intake_scope(actor, sop))
    if step_role(actor, sop, first, _intake_scope(actor, sop)) is None:
        raise PermissionDenied(actor, "run_cases", f"langkah 1 ({sop.actors[first.pelaksana].label})")
    result = forms.validate(sop, values, documents)
    if not result.ok:
        raise FormInvalid(result)
    name = result.values.get("nama") or next((result.values[f.nama] for f in sop.formulir
                                              if f.nama.startswith("nama") and result.values.get(f.nama)), None)
    nik = next((result.values[f.nama] for f in sop.formulir if f.jenis == "nik" and result.values.get(f.nama)), None)
    data = {"isian": result.values, "kelengkapan": {d.kode: bool((documents or {}).get(d.kode))
                                                    for d in sop.kelengkapan},
            "kurang": result.missing, "peringatan": result.warnings}
    case = open_case(session, actor, sop_id, name, nik, data, now=now, reason=reason)
    if sop.actors[first.pelaksana].eksternal:
        note = "Berkas diterima di loket." + (" Belum ada: " + ", ".join(result.missing) + "." if result.missing
                                             else "")
        case = complete_step(session, actor, case.id, 1, case.version, note=note, now=now)
    return case, result


def resubmit(session: Session, actor: Actor, case_id: int, expected_version: int, documents: dict[str, bool],
             note: str | None = None, now: dt.datetime | None = None) -> CaseView:
    """The applicant brings a returned file back: record the kelengkapan ticked now, then complete their
    step (the same case, a new attempt). What is still missing goes with the case for the next check."""
    now = now or utcnow()
    case = get_case(session, case_id)
    sop = sop_of(session, case)
    runs = [r for r in timeline(session, case.id) if r.completed_at is None]
    step_no = runs[0].step_no if runs else None
    if case.state != "dikembalikan" or step_no is None or not sop.actors[sop.langkah[step_no - 1].pelaksana].eksternal:
        raise CaseError(f"Berkas {case.register_no} tidak sedang menunggu pemohon.")
    _check_actor(actor, sop, sop.langkah[step_no - 1], case.scope)
    values = (case.data or {}).get("isian") or {}
    missing = forms.validate(sop, values, documents).missing
    data = {**(case.data or {}), "kelengkapan": {d.kode: bool(documents.get(d.kode)) for d in sop.kelengkapan},
            "kurang": missing}
    bump(session, case, expected_version, step_no, data=data)
    text = "Berkas dilengkapi pemohon." + (" Masih belum ada: " + ", ".join(missing) + "." if missing else "")
    return complete_step(session, actor, case.id, step_no, expected_version + 1,
                         note=((note or "").strip() + " " + text).strip(), now=now)


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


def role_grant(actor: Actor, sop: catalog.SOP, roles, case_scope: str | None = None) -> Grant | None:
    """The actor's grant of one of ``roles`` on this SOP (or the case's scope): their own before one held as Plh."""
    if not may_run(actor, sop, case_scope):
        return None
    for grant in sorted(actor.grants, key=lambda g: (g.via is not None, g.scope or "", g.role)):
        if grant.role in roles and grant.scope in (None, sop.scope, case_scope):
            return grant
    return None


def step_grant(actor: Actor, sop: catalog.SOP, step: catalog.Langkah, case_scope: str | None = None) -> Grant | None:
    """The grant that lets the actor do this step (from the SOP's actor column), or None."""
    return role_grant(actor, sop, sop.actors[step.pelaksana].peran, case_scope)


def step_role(actor: Actor, sop: catalog.SOP, step: catalog.Langkah, case_scope: str | None = None) -> str | None:
    """The actor's role that lets them do this step (from the SOP's actor column), or None."""
    grant = step_grant(actor, sop, step, case_scope)
    return grant.role if grant else None


def _check_actor(actor: Actor, sop: catalog.SOP, step: catalog.Langkah, case_scope: str | None = None) -> str:
    require_run(actor, sop, case_scope)
    role = step_role(actor, sop, step, case_scope)
    if role is None:
        raise PermissionDenied(actor, "run_cases", f"langkah {step.no} ({sop.actors[step.pelaksana].label})")
    return role


def _acting(session: Session, actor: Actor, sop: catalog.SOP, step: catalog.Langkah, case: Case, run: StepRun,
            now: dt.datetime) -> tuple[Actor, str]:
    """Who does the step and as which role: the step's own role (held oneself or as a running Plh, which is
    re-checked at ``now``), or the next official up when the step is escalated (lib/casework/escalation.py)."""
    require_run(actor, sop, case.scope)
    grant = step_grant(actor, sop, step, case.scope)
    if grant is None:
        up = escalation.escalated_role(load_calendar(session), sop, step, run, now)
        grant = role_grant(actor, sop, (up,), case.scope) if up else None
        if grant is not None and run.escalated_at is None:
            escalation.mark(session, case, run, up, now)
    if grant is None:
        raise PermissionDenied(actor, "run_cases", f"langkah {step.no} ({sop.actors[step.pelaksana].label})")
    if grant.via is not None:
        delegation.require_active(session, grant.via, now)
    return actor.acting(grant), grant.role


def bump(session: Session, case: Case, expected_version: int, step_no: int, **changes) -> None:
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
    case = get_case(session, case_id)
    sop = sop_of(session, case)
    step = sop.langkah[step_no - 1]
    require_run(actor, sop, case.scope)  # before anything about the case's steps is told
    run = _open_run(session, case, step_no)
    actor, role = _acting(session, actor, sop, step, case, run, now)
    if run.started_at is not None:
        raise CaseError(f"Langkah {step_no} sudah dimulai pada {fmt.waktu(run.started_at)}.")
    bump(session, case, expected_version, step_no)
    session.execute(update(StepRun).where(StepRun.id == run.id, StepRun.started_at.is_(None))
                    .values(started_at=now, actor_id=actor.user_id, role=role, capacity=actor.capacity)
                    .execution_options(synchronize_session=False))
    audit.record(session, actor, "mulai_langkah", "case", case.id, f"{case.register_no} langkah {step_no}")
    session.refresh(case)
    return view(session, case)


def complete_step(session: Session, actor: Actor, case_id: int, step_no: int, expected_version: int,
                  outcome: str | None = None, note: str | None = None, now: dt.datetime | None = None) -> CaseView:
    """Complete the open run of ``step_no`` and make the next step available (or close the case)."""
    now = now or utcnow()
    case = get_case(session, case_id)
    if case.state == "selesai":
        raise CaseError(f"Berkas {case.register_no} sudah selesai.")
    sop = sop_of(session, case)
    if not 1 <= step_no <= len(sop.langkah):
        raise CaseError(f"Langkah {step_no} tidak ada pada SOP ini.")
    step = sop.langkah[step_no - 1]
    require_run(actor, sop, case.scope)  # before anything about the case's steps is told
    run = _open_run(session, case, step_no)
    actor, role = _acting(session, actor, sop, step, case, run, now)
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
    bump(session, case, expected_version, step_no, closed_at=now if new_state == "selesai" else None)
    done = session.execute(update(StepRun).where(StepRun.id == run.id, StepRun.completed_at.is_(None))
                           .values(completed_at=now, actor_id=actor.user_id, role=role, outcome=outcome_label,
                                   note=(note or "").strip() or None, capacity=actor.capacity)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(f"Langkah {step_no} baru saja diselesaikan oleh pengguna lain.")
    if target != catalog.END:
        attempt = (session.scalar(select(func.max(StepRun.attempt)).where(
            StepRun.case_id == case.id, StepRun.step_no == target)) or 0) + 1
        session.add(StepRun(case_id=case.id, step_no=target, attempt=attempt, available_at=now))
    audit.record(session, actor, "selesai_langkah", "case", case.id,
                 f"{case.register_no} langkah {step_no}: {outcome_label}")
    if new_state != case.state:
        workflow.transition(session, actor, case, _CASE_MOVES[(case.state, new_state)], now=now,
                            comment=(note or "").strip() or None,
                            detail=f"{case.register_no} langkah {step_no}: {outcome_label}")
    session.flush()
    session.refresh(case)
    return view(session, case)


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError("Berkas tidak ditemukan.")
    return case


def timeline(session: Session, case_id: int) -> list[StepRun]:
    """Every run of the case, in the order they became available."""
    return list(session.scalars(select(StepRun).where(StepRun.case_id == case_id)
                                .order_by(StepRun.available_at, StepRun.id)))
