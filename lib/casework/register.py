"""Buku Register: each SOP's register of cases, and the search across cases.

A register shows what the paper book showed: number, date, applicant, NIK (masked), where the file is,
who did its last step (a Plh as "Plh. <jabatan>, <deputy> a.n. <delegator>") and when it was finished. Only
users who may run the SOP's cases see it. The XLSX export holds personal
data: it needs ``export_personal_data`` and is logged. Searching by NIK needs ``view_nik_full`` and is
logged; searching by register number or name is not.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import Case, SopRevision, StepRun, User
from lib.base.kalender import load_calendar
from lib.base.mutu_baku import format_working_minutes
from lib.base.permissions import Actor, PermissionDenied, holds_anywhere, require
from lib.base.sheets import safe_cell, to_bytes
from lib.base.worktime import WIB
from lib.casework import nik as nik_rules
from lib.casework.cases import STATES, CaseError, in_force, may_run
from lib.catalogue import store

#: Most rows a register screen or a search returns (the export has no limit).
LIMIT = 5000


@dataclass(frozen=True)
class RegisterFilter:
    year: int | None = None
    state: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Entry:
    case_id: int
    register_no: str
    sop_id: str
    opened_at: dt.datetime
    applicant_name: str | None
    nik_masked: str
    state: str
    current_steps: str
    closed_at: dt.datetime | None
    lead_working_min: float | None
    last_by: str | None = None


def _sop_for(session: Session, actor: Actor, sop_id: str):
    _, sop = in_force(session, sop_id)
    if not may_run(actor, sop):
        raise PermissionDenied(actor, "run_cases", sop.scope)
    return sop


def _entries(session: Session, query, limit: int | None) -> list[Entry]:
    cases = session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)).all()
    if not cases:
        return []
    open_steps: dict[int, list[int]] = {}
    for case_id, step_no in session.execute(select(StepRun.case_id, StepRun.step_no).where(
            StepRun.case_id.in_([c.id for c in cases]), StepRun.completed_at.is_(None))):
        open_steps.setdefault(case_id, []).append(step_no)
    last_by: dict[int, str | None] = {}
    for case_id, capacity, name in session.execute(
            select(StepRun.case_id, StepRun.capacity, User.name).outerjoin(User, User.id == StepRun.actor_id)
            .where(StepRun.case_id.in_([c.id for c in cases]), StepRun.completed_at.is_not(None))
            .order_by(StepRun.completed_at, StepRun.id)):
        last_by[case_id] = capacity or name
    closed = [c for c in cases if c.closed_at]
    leads = dict(zip((c.id for c in closed), load_calendar(session).working_minutes_array(
        [c.created_at for c in closed], [c.closed_at for c in closed]).tolist())) if closed else {}
    out = []
    for c in cases:
        steps = ", ".join(str(n) for n in sorted(open_steps.get(c.id, [])))
        out.append(Entry(c.id, c.register_no, c.sop_id, c.created_at, c.applicant_name, nik_rules.mask(c.nik),
                         c.state, steps, c.closed_at, leads.get(c.id), last_by.get(c.id)))
    return out


def _filtered(sop_id: str, flt: RegisterFilter):
    q = select(Case).where(Case.sop_id == sop_id)
    if flt.year:
        q = q.where(Case.year == flt.year)
    if flt.state:
        q = q.where(Case.state == flt.state)
    text = (flt.text or "").strip()
    if text:
        like = f"%{text.lower()}%"
        q = q.where(or_(func.lower(Case.register_no).like(like), func.lower(Case.applicant_name).like(like)))
    return q


def entries(session: Session, actor: Actor, sop_id: str, flt: RegisterFilter = RegisterFilter(),
            limit: int | None = LIMIT) -> list[Entry]:
    """The SOP's register, newest first, filtered by year, state and number/name."""
    _sop_for(session, actor, sop_id)
    return _entries(session, _filtered(sop_id, flt), limit)


def years(session: Session, sop_id: str) -> list[int]:
    return list(session.scalars(select(Case.year).where(Case.sop_id == sop_id).distinct().order_by(Case.year.desc())))


def rows(found: list[Entry]) -> list[dict]:
    """Display rows, in Indonesian."""
    return [{"No. register": e.register_no, "Tanggal masuk": fmt.waktu(e.opened_at), "Nama pemohon": e.applicant_name
             or "—", "NIK": e.nik_masked, "Status": STATES.get(e.state, e.state),
             "Langkah berjalan": e.current_steps or "—", "Langkah terakhir oleh": e.last_by or "—",
             "Tanggal selesai": fmt.waktu(e.closed_at),
             "Lama (waktu kerja)": format_working_minutes(e.lead_working_min)} for e in found]


def export_xlsx(session: Session, actor: Actor, sop_id: str, flt: RegisterFilter = RegisterFilter()) -> bytes:
    """The filtered register as XLSX (names and masked NIK): needs ``export_personal_data``; logged."""
    sop = _sop_for(session, actor, sop_id)
    require(actor, "export_personal_data", sop.scope)
    found = entries(session, actor, sop_id, flt, limit=None)
    wb = Workbook()
    ws = wb.active
    ws.title = "Buku Register"
    ws.append([f"Buku Register {sop.label}"])
    ws.append([sop.nama])
    ws.append([])
    ws.append(["No. register", "Tanggal masuk (WIB)", "Nama pemohon", "NIK", "Status", "Langkah berjalan",
               "Tanggal selesai (WIB)", "Lama (menit kerja)"])
    for e in found:
        ws.append([e.register_no, e.opened_at.astimezone(WIB).replace(tzinfo=None), safe_cell(e.applicant_name),
                   e.nik_masked, STATES.get(e.state, e.state), e.current_steps,
                   e.closed_at.astimezone(WIB).replace(tzinfo=None) if e.closed_at else None,
                   round(e.lead_working_min) if e.lead_working_min is not None else None])
    for col, width in zip("ABCDEFGH", (20, 20, 30, 20, 22, 16, 20, 16)):
        ws.column_dimensions[col].width = width
    for col in "BG":
        for cell in ws[col][4:]:
            cell.number_format = "dd/mm/yyyy hh:mm"
    data = to_bytes(wb)
    audit.record(session, actor, "ekspor", "register", sop_id, f"Buku Register {sop.label}: {len(found)} baris")
    return data


def search(session: Session, actor: Actor, text: str, limit: int = 200) -> list[Entry]:
    """Cases the actor may work on whose number or name contains ``text``; a 16-digit ``text`` is a NIK
    search, which needs ``view_nik_full`` and is logged."""
    text = (text or "").strip()
    if len(text) < 3:
        raise CaseError("Ketik minimal 3 karakter: nomor register, nama, atau NIK.")
    digits = re.sub(r"[\s.]", "", text)
    if re.fullmatch(r"\d{16}", digits):
        if not holds_anywhere(actor, "view_nik_full"):
            raise PermissionDenied(actor, "view_nik_full")
        query = select(Case).where(Case.nik == digits)
        audit.record(session, actor, "cari_nik", nik_rules.AUDIT_OBJECT, nik_rules.fingerprint(session, digits),
                     f"NIK {nik_rules.mask(digits)}")
    else:
        like = f"%{text.lower()}%"
        query = select(Case).where(or_(func.lower(Case.register_no).like(like),
                                       func.lower(Case.applicant_name).like(like)))
    allowed = []
    revs = {}
    for c in session.scalars(query.order_by(Case.created_at.desc()).limit(limit * 5)):
        rev = revs.get(c.revision_id) or revs.setdefault(c.revision_id, session.get(SopRevision, c.revision_id))
        if may_run(actor, store.document(rev), c.scope):
            allowed.append(c.id)
        if len(allowed) >= limit:
            break
    if not allowed:
        return []
    return _entries(session, select(Case).where(Case.id.in_(allowed)), limit)
