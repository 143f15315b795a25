"""What the case page shows: the case, its open steps for the acting user, and the timeline of every step
with who did it, when, and how long it took against its target (mutu baku), in working time.

* Waiting time = started − available; processing time = completed − started, both in working minutes.
* A step completed without pressing "Mulai" has no processing time: it is shown as such, never guessed.
* A step is judged on target by its processing time (a calendar-window target by its completion date).
* A step done by a Plh names the capacity ("Plh. <jabatan>, <deputy> a.n. <delegator>") as its doer; the
  case's history (opened, escalated, reassigned, returned, done) follows the timeline.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lib.base import fmt, workflow
from lib.base.db import SopRevision, User, utcnow
from lib.base.kalender import load_calendar
from lib.base.mutu_baku import format_working_minutes
from lib.base.permissions import Actor
from lib.casework import escalation, forms, reassign
from lib.casework.cases import STATES, get_case, require_run, role_grant, sop_of, step_grant, timeline
from lib.casework.worklist import Clock, clock
from lib.catalogue import model as catalog


@dataclass(frozen=True)
class OpenStep:
    step: catalog.Langkah
    pelaksana: str
    attempt: int
    available_at: dt.datetime
    started_at: dt.datetime | None
    clock: Clock
    #: The role the acting user would do it as, or None when it is someone else's step.
    my_role: str | None
    #: "Plh. …" when the acting user would do it as Plh; "eskalasi" when it came up to them as escalated
    acting_as: str | None = None
    holder: str | None = None
    #: started and past its target: may be reassigned (lib/casework/reassign.py)
    stalled: bool = False


@dataclass(frozen=True)
class CaseDetail:
    id: int
    register_no: str
    sop: catalog.SOP
    revision_no: int
    state: str
    state_label: str
    version: int
    applicant_name: str | None
    nik: str | None
    scope: str | None
    data: dict
    created_at: dt.datetime
    closed_at: dt.datetime | None
    open_steps: list[OpenStep]
    timeline: list[dict]
    lead_working_min: float | None
    history: list[workflow.HistoryEntry] = ()


def detail(session: Session, actor: Actor, case_id: int, now: dt.datetime | None = None) -> CaseDetail:
    now = now or utcnow()
    case = get_case(session, case_id)
    sop = sop_of(session, case)
    require_run(actor, sop, case.scope)
    calendar = load_calendar(session)
    runs = timeline(session, case.id)
    names = {u.id: u.name for u in session.query(User).filter(User.id.in_({r.actor_id for r in runs} - {None}))}
    rows, open_steps = [], []
    for r in runs:
        step = sop.langkah[r.step_no - 1]
        target = step.target
        who = sop.actors[step.pelaksana].label
        if r.completed_at is None:
            open_steps.append(_open_step(calendar, actor, sop, case, step, r, now, names.get(r.actor_id)))
        wait = calendar.working_minutes(r.available_at, r.started_at) if r.started_at else None
        work = (calendar.working_minutes(r.started_at, r.completed_at) if r.started_at and r.completed_at else None)
        if r.completed_at is None:
            verdict = "sedang dikerjakan" if r.started_at else "menunggu"
        elif r.started_at is None:
            verdict = "tanpa waktu proses (tidak ditekan Mulai)"
        elif target is None:
            verdict = "tanpa target"
        else:
            verdict = "sesuai target" if calendar.within_target(r.started_at, r.completed_at, target) \
                else "melebihi target"
        # the step and how it went against its target first (what a reader looks for), then who and when
        rows.append({"Langkah": step.no, "Kegiatan": step.kegiatan, "Target": target.label() if target else "—",
                     "Waktu proses": format_working_minutes(work), "Penilaian": verdict,
                     "Oleh": r.capacity or names.get(r.actor_id, "—"), "Pelaksana": who, "Ke-": r.attempt,
                     "Tersedia": fmt.waktu_pendek(r.available_at), "Mulai": fmt.waktu_pendek(r.started_at),
                     "Selesai": fmt.waktu_pendek(r.completed_at), "Waktu tunggu": format_working_minutes(wait),
                     "Hasil": r.outcome or "—", "Catatan": r.note or ""})
    rev = session.get(SopRevision, case.revision_id)
    lead = calendar.working_minutes(case.created_at, case.closed_at) if case.closed_at else None
    return CaseDetail(case.id, case.register_no, sop, rev.revision_no, case.state, STATES.get(case.state, case.state),
                      case.version, case.applicant_name, case.nik, case.scope, case.data or {}, case.created_at,
                      case.closed_at, open_steps, rows, lead, workflow.history(session, "case", case.id))


def _open_step(calendar, actor: Actor, sop: catalog.SOP, case, step: catalog.Langkah, run, now: dt.datetime,
               holder: str | None) -> OpenStep:
    grant = step_grant(actor, sop, step, case.scope)
    acting = grant.via.label if grant and grant.via else None
    if grant is None:
        up = escalation.escalated_role(calendar, sop, step, run, now)
        grant = role_grant(actor, sop, (up,), case.scope) if up else None
        acting = "eskalasi" if grant else None
    return OpenStep(step, sop.actors[step.pelaksana].label, run.attempt, run.available_at, run.started_at,
                    clock(calendar, run.available_at, step.target, now), grant.role if grant else None, acting,
                    holder if run.started_at else None, reassign.stalled(calendar, step, run, now))


def return_note(detail: CaseDetail, step: catalog.Langkah) -> str:
    """For a decision whose "no" branch returns the file to the applicant: the documents the applicant did
    not bring at intake, as the note that goes back with the file ("" otherwise)."""
    k = step.keputusan
    if k is None or k.tidak.ke == catalog.END or k.tidak.ke > step.no:
        return ""
    if not detail.sop.actors[detail.sop.langkah[k.tidak.ke - 1].pelaksana].eksternal:
        return ""
    missing = detail.data.get("kurang") or []
    return ("Belum lengkap: " + ", ".join(missing) + ".") if missing else ""


# --- what the case page shows, as Markdown lines ---------------------------------------------------------------
def identity_lines(d: CaseDetail, shown_nik: str) -> list[str]:
    """The intake form's values, labelled and formatted as the SOP's fields say (the NIK as ``shown_nik``: masked
    or, after a logged request, full), with the BPU contribution the form implies."""
    values = d.data.get("isian") or {}
    labels = {f.nama: f for f in d.sop.formulir}
    lines = []
    for name, value in values.items():
        f = labels.get(name)
        if f is None:
            continue
        if f.jenis == "nik":
            value = shown_nik
        elif f.jenis == "date" and value:
            value = fmt.tanggal(dt.date.fromisoformat(value))
        elif f.jenis == "money" and value is not None:
            value = fmt.rupiah(value)
        elif f.jenis == "checkbox":
            value = "Ya" if value else "Tidak"
        lines.append(f"- **{f.label}:** {value if value not in (None, '') else '—'}")
    paid = forms.iuran_bpu_of(d.sop, values)
    if paid is not None:
        lines.append(f"- **Iuran per bulan:** JKK {fmt.rupiah(paid.jkk)} + JKM {fmt.rupiah(paid.jkm)}"
                     + (f" + JHT {fmt.rupiah(paid.jht)}" if paid.jht else "") + f" = {fmt.rupiah(paid.total)}")
    return lines


def documents_line(d: CaseDetail) -> str | None:
    """The kelengkapan checklist as brought at intake (✓/✗ per document), or None before any was ticked."""
    brought = d.data.get("kelengkapan") or {}
    if not brought:
        return None
    docs = {x.kode: x.label for x in d.sop.kelengkapan}
    return "**Kelengkapan:** " + "; ".join(f"{docs.get(k, k)} {'✓' if v else '✗'}" for k, v in brought.items())


def history_lines(d: CaseDetail) -> list[str]:
    """The case's history, oldest first: when, who (a Plh named as such), which state, the comment."""
    return [f"- {fmt.waktu(h.at)} · **{fmt.md(h.who)}** · {fmt.md(STATES.get(h.to_state, h.to_state))}"
            + (f" — {fmt.md(h.comment)}" if h.comment else "") for h in d.history]
