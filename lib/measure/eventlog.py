"""Step runs as an event log, in and out, with the standard names PM4Py, Disco and ProM read.

Export: one row per completed step run: ``case:concept:name`` (the register number), ``concept:name``
(``"<no>. <kegiatan>"``), ``time:timestamp`` (completed), ``start_timestamp``, ``org:resource`` (username),
plus ``sop_id``, ``step_no``, ``attempt``, ``outcome``. Times are UTC, ISO 8601. CSV or XES.

Import: historical runs from CSV with ``case_id, sop_id, step_no, started_at, completed_at, resource`` or
the XES names above (``sop_id`` as a column or given once for the file; ``outcome`` optional). All or nothing:
every row is checked first, and one bad row leaves the database unchanged with a message naming its line and column.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit, workflow
from lib.base.db import Case, StepRun, User
from lib.base.errors import UserError
from lib.casework.cases import sop_of
from lib.catalogue import model as catalog
from lib.catalogue.store import active_documents, current_revision

XES_COLUMNS = ["case:concept:name", "concept:name", "time:timestamp", "start_timestamp", "org:resource",
               "sop_id", "step_no", "attempt", "outcome"]
PLAIN = {"case_id", "sop_id", "step_no", "started_at", "completed_at", "resource"}
XES_TO_PLAIN = {"case:concept:name": "case_id", "time:timestamp": "completed_at", "start_timestamp": "started_at",
                "org:resource": "resource"}


class EventLogError(UserError):
    """A bad event-log file; nothing was imported. ``errors`` lists (line, column, message)."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        self.errors = errors
        head = "; ".join(f"baris {ln}, kolom {col}: {msg}" for ln, col, msg in errors[:5])
        more = f" (dan {len(errors) - 5} kesalahan lain)" if len(errors) > 5 else ""
        super().__init__(f"Berkas log tidak diimpor: {head}{more}.")


def _iso(t: dt.datetime | None) -> str:
    return "" if t is None else t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def export_rows(session: Session, sop_id: str | None = None) -> list[dict]:
    """Completed step runs as event rows, by case and completion time."""
    q = (select(StepRun, Case, User.username).join(Case, Case.id == StepRun.case_id)
         .outerjoin(User, User.id == StepRun.actor_id).where(StepRun.completed_at.is_not(None)))
    if sop_id:
        q = q.where(Case.sop_id == sop_id)
    docs: dict[int, catalog.SOP] = {}
    rows = []
    for run, case, username in session.execute(q.order_by(Case.register_no, StepRun.completed_at, StepRun.id)):
        if case.revision_id not in docs:
            docs[case.revision_id] = sop_of(session, case)
        step = docs[case.revision_id].langkah[run.step_no - 1]
        rows.append({"case:concept:name": case.register_no, "concept:name": f"{run.step_no}. {step.kegiatan}",
                     "time:timestamp": _iso(run.completed_at), "start_timestamp": _iso(run.started_at),
                     "org:resource": username or _resource_from_note(run.note) or "", "sop_id": case.sop_id,
                     "step_no": run.step_no, "attempt": run.attempt, "outcome": run.outcome or ""})
    return rows


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=XES_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def to_xes(rows: list[dict]) -> str:
    """An XES 1.0 log: one trace per case, one event per completed step run."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<log xes.version="1.0" xes.features="nested-attributes" openxes.version="1.0RC7">',
           '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>',
           '  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>',
           '  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>']
    current = None
    for r in rows:
        if r["case:concept:name"] != current:
            if current is not None:
                out.append("  </trace>")
            current = r["case:concept:name"]
            out.append(f'  <trace><string key="concept:name" value={quoteattr(current)}/>')
            out.append(f'    <string key="sop_id" value={quoteattr(r["sop_id"])}/>')
        out.append("    <event>")
        out.append(f'      <string key="concept:name" value={quoteattr(r["concept:name"])}/>')
        out.append(f'      <date key="time:timestamp" value={quoteattr(r["time:timestamp"])}/>')
        if r["start_timestamp"]:
            out.append(f'      <date key="start_timestamp" value={quoteattr(r["start_timestamp"])}/>')
        out.append(f'      <string key="org:resource" value={quoteattr(r["org:resource"])}/>')
        out.append(f'      <int key="step_no" value="{r["step_no"]}"/>')
        out.append(f'      <int key="attempt" value="{r["attempt"]}"/>')
        out.append(f'      <string key="outcome" value={quoteattr(r["outcome"])}/>')
        out.append("    </event>")
    if current is not None:
        out.append("  </trace>")
    out.append("</log>")
    return "\n".join(out) + "\n"


def _resource_from_note(note: str | None) -> str | None:
    m = re.match(r"^sumber: (.+)$", note or "")
    return m.group(1) if m else None


def _parse_time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("waktu tanpa zona; tulis misalnya 2025-03-27T08:00:00Z atau +07:00")
    return t.astimezone(dt.timezone.utc)


@dataclass
class _Row:
    line: int
    case_id: str
    sop_id: str
    step_no: int
    started_at: dt.datetime | None
    completed_at: dt.datetime
    resource: str
    outcome: str | None


def _read(text: str, default_sop: str | None, docs: dict) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    names = {XES_TO_PLAIN.get(h, h) for h in header}
    if "concept:name" in header and "step_no" not in header:
        names.add("step_no")
    needed = {"case_id", "step_no", "completed_at"} | ({"sop_id"} if not default_sop else set())
    missing = sorted(needed - names)
    if missing:
        raise EventLogError([(1, ", ".join(missing), "kolom wajib tidak ada")])
    errors, rows = [], []
    for line, raw in enumerate(reader, start=2):
        rec = {XES_TO_PLAIN.get(k.strip(), k.strip()): (v or "").strip() for k, v in raw.items() if k}
        sop_id = rec.get("sop_id") or default_sop or ""
        doc = docs.get(sop_id)
        if doc is None or doc.jenis != "sop":
            errors.append((line, "sop_id", f"SOP “{sop_id}” tidak ada"))
            continue
        step_text = rec.get("step_no") or rec.get("concept:name", "")
        m = re.match(r"^\s*(\d+)", step_text)
        if not m or not 1 <= int(m.group(1)) <= len(doc.langkah):
            errors.append((line, "step_no", f"langkah “{step_text}” tidak ada pada {sop_id}"))
            continue
        if not rec.get("case_id"):
            errors.append((line, "case_id", "kosong"))
            continue
        try:
            completed = _parse_time(rec.get("completed_at", ""))
            started = _parse_time(rec["started_at"]) if rec.get("started_at") else None
        except (ValueError, KeyError) as err:
            errors.append((line, "completed_at/started_at", f"waktu tidak sah ({err})"))
            continue
        if started and started > completed:
            errors.append((line, "started_at", "mulai sesudah selesai"))
            continue
        rows.append(_Row(line, rec["case_id"], sop_id, int(m.group(1)), started, completed, rec.get("resource", ""),
                         rec.get("outcome") or None))
    if errors:
        raise EventLogError(errors)
    return rows


def import_csv(session: Session, text: str, default_sop: str | None = None) -> dict:
    """Import historical step runs (see the module docstring). Returns counts; raises EventLogError."""
    docs = {k: v.doc for k, v in active_documents(session).items()}
    rows = _read(text, default_sop, docs)
    by_case: dict[str, list[_Row]] = {}
    for r in rows:
        by_case.setdefault(r.case_id, []).append(r)
    errors = []
    for case_id, items in by_case.items():
        if len({r.sop_id for r in items}) > 1:
            errors.append((items[1].line, "sop_id", f"berkas {case_id} memakai lebih dari satu SOP"))
        if session.scalar(select(Case.id).where(Case.register_no == case_id)) is not None:
            errors.append((items[0].line, "case_id", f"berkas {case_id} sudah ada di basis data"))
    if errors:
        raise EventLogError(errors)
    users = {u.username: u.id for u in session.scalars(select(User))}
    n_runs = 0
    for case_id, items in by_case.items():
        items.sort(key=lambda r: (r.completed_at, r.line))
        rev = current_revision(session, items[0].sop_id)
        first = items[0].started_at or items[0].completed_at
        done = items[-1].step_no == len(docs[items[0].sop_id].langkah)
        case = Case(sop_id=items[0].sop_id, revision_id=rev.id, register_no=case_id, year=first.year, seq=0,
                    data={"sumber": "impor log"}, created_at=first,
                    closed_at=items[-1].completed_at if done else None, version=1)
        workflow.create_many(session, None, [case], "impor_selesai" if done else "impor_berjalan")
        attempts: dict[int, int] = {}
        available = first
        for r in items:
            attempts[r.step_no] = attempts.get(r.step_no, 0) + 1
            uid = users.get(r.resource)
            session.add(StepRun(case_id=case.id, step_no=r.step_no, attempt=attempts[r.step_no],
                                available_at=min(available, r.started_at or r.completed_at),
                                started_at=r.started_at, completed_at=r.completed_at, actor_id=uid,
                                outcome=r.outcome,
                                note=None if uid or not r.resource else f"sumber: {r.resource}"))
            available = r.completed_at
            n_runs += 1
    audit.record(session, None, "impor_log", "step_runs", None, f"{len(by_case)} berkas, {n_runs} langkah",
                 username="sistem")
    return {"cases": len(by_case), "step_runs": n_runs}
