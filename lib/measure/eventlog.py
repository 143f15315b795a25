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
import json
import re
from array import array
from dataclasses import dataclass, field
from typing import TextIO
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lib.base import audit, workflow
from lib.base.db import Case, StepRun, User
from lib.base.errors import UserError
from lib.casework.cases import sop_of
from lib.catalogue import model as catalog
from lib.catalogue.store import active_documents

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


_STEP_NO = re.compile(r"^\s*(\d+)")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)
#: An empty time in the columns of µs since the epoch (numpy reads it as NaT).
_NO_TIME = -(2 ** 63)
#: Rows (or cases) per INSERT executemany: bounded memory whatever the file's size.
_CHUNK = 20_000


def _parse_time(text: str) -> int:
    """An ISO 8601 instant with a zone as microseconds since the epoch (UTC)."""
    t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("waktu tanpa zona; tulis misalnya 2025-03-27T08:00:00Z atau +07:00")
    return (t - _EPOCH) // _MICROSECOND


@dataclass
class _Log:
    """The checked rows of a file, column by column (a million rows fit in tens of MB)."""
    register: list[str] = field(default_factory=list)  # per case, in order of first appearance
    sop: list[str] = field(default_factory=list)  # per case: the SOP of its first row
    first_line: list[int] = field(default_factory=list)  # per case
    second_line: list[int] = field(default_factory=list)  # per case (0: one row only)
    mixed: list[bool] = field(default_factory=list)  # per case: rows of more than one SOP
    case: array = field(default_factory=lambda: array("q"))  # per row: index of its case
    step: array = field(default_factory=lambda: array("q"))
    started: array = field(default_factory=lambda: array("q"))  # µs since the epoch, or _NO_TIME
    completed: array = field(default_factory=lambda: array("q"))
    line: array = field(default_factory=lambda: array("q"))
    resource: array = field(default_factory=lambda: array("q"))  # index into ``resources``
    outcome: array = field(default_factory=lambda: array("q"))  # index into ``outcomes``
    resources: list[str] = field(default_factory=list)
    outcomes: list[str | None] = field(default_factory=list)
    _cases: dict[str, int] = field(default_factory=dict)
    _resources: dict[str, int] = field(default_factory=dict)
    _outcomes: dict[str | None, int] = field(default_factory=dict)

    def add(self, case_id: str, sop_id: str, line: int, step_no: int, started: int, completed: int, resource: str,
            outcome: str | None) -> None:
        ci = self._cases.get(case_id)
        if ci is None:
            ci = self._cases[case_id] = len(self.register)
            self.register.append(case_id)
            self.sop.append(sop_id)
            self.first_line.append(line)
            self.second_line.append(0)
            self.mixed.append(False)
        else:
            if not self.second_line[ci]:
                self.second_line[ci] = line
            if sop_id != self.sop[ci]:
                self.mixed[ci] = True
        ri = self._resources.get(resource)
        if ri is None:
            ri = self._resources[resource] = len(self.resources)
            self.resources.append(resource)
        oi = self._outcomes.get(outcome)
        if oi is None:
            oi = self._outcomes[outcome] = len(self.outcomes)
            self.outcomes.append(outcome)
        self.case.append(ci)
        self.step.append(step_no)
        self.started.append(started)
        self.completed.append(completed)
        self.line.append(line)
        self.resource.append(ri)
        self.outcome.append(oi)


def _columns(header: list[str], default_sop: str | None) -> dict[str, int]:
    """Where each column is (the last of equal names wins, as in a dict of the row); refuses a file without
    the required ones."""
    names = [XES_TO_PLAIN.get(h.strip(), h.strip()) for h in header]
    if "concept:name" in {h.strip() for h in header} and "step_no" not in names:
        names.append("step_no")  # counted as present: the step is read from concept:name
    needed = {"case_id", "step_no", "completed_at"} | ({"sop_id"} if not default_sop else set())
    missing = sorted(needed - set(names))
    if missing:
        raise EventLogError([(1, ", ".join(missing), "kolom wajib tidak ada")])
    return {name: i for i, name in enumerate(names[:len(header)]) if header[i]}


def _read(source: str | TextIO, default_sop: str | None, docs: dict) -> _Log:
    """Check every row (see the module docstring); raises EventLogError naming each bad row's line and column."""
    reader = csv.reader(io.StringIO(source) if isinstance(source, str) else source)
    col = _columns(next(reader, []), default_sop)
    width = max(col.values(), default=-1) + 1
    i_case, i_sop, i_step, i_name, i_done, i_start, i_res, i_out = (
        col.get(k, width) for k in ("case_id", "sop_id", "step_no", "concept:name", "completed_at", "started_at",
                                    "resource", "outcome"))
    n_steps = {k: len(d.langkah) for k, d in docs.items() if d.jenis == "sop"}
    log, errors = _Log(), []
    line = 1
    for row in reader:
        if not row:
            continue  # a blank line is no row (and no line number), as csv.DictReader reads it
        line += 1
        if len(row) <= width:
            row += [""] * (width + 1 - len(row))
        else:
            row[width] = ""  # where absent columns are read: a cell past the header is no column
        sop_id = row[i_sop].strip() or default_sop or ""
        last = n_steps.get(sop_id)
        if last is None:
            errors.append((line, "sop_id", f"SOP “{sop_id}” tidak ada"))
            continue
        step_text = row[i_step].strip() or row[i_name].strip()
        if step_text.isdecimal():
            step_no = int(step_text)
        else:
            m = _STEP_NO.match(step_text)
            step_no = int(m.group(1)) if m else 0
        if not 1 <= step_no <= last:
            errors.append((line, "step_no", f"langkah “{step_text}” tidak ada pada {sop_id}"))
            continue
        case_id = row[i_case].strip()
        if not case_id:
            errors.append((line, "case_id", "kosong"))
            continue
        start_text = row[i_start].strip()
        try:
            completed = _parse_time(row[i_done])
            started = _parse_time(start_text) if start_text else _NO_TIME
        except ValueError as err:
            errors.append((line, "completed_at/started_at", f"waktu tidak sah ({err})"))
            continue
        if started > completed:
            errors.append((line, "started_at", "mulai sesudah selesai"))
            continue
        if not errors:  # after the first error only the rest of the errors are wanted
            log.add(case_id, sop_id, line, step_no, started, completed, row[i_res].strip(), row[i_out].strip() or None)
    if errors:
        raise EventLogError(errors)
    return log


def _check_cases(session: Session, log: _Log) -> None:
    """One SOP per case, and no case that is already in the database."""
    existing: set[str] = set()
    for i in range(0, len(log.register), 1000):
        chunk = log.register[i:i + 1000]
        existing.update(session.scalars(select(Case.register_no).where(Case.register_no.in_(chunk))))
    errors = []
    for ci, case_id in enumerate(log.register):
        if log.mixed[ci]:
            errors.append((log.second_line[ci], "sop_id", f"berkas {case_id} memakai lebih dari satu SOP"))
        if case_id in existing:
            errors.append((log.first_line[ci], "case_id", f"berkas {case_id} sudah ada di basis data"))
    if errors:
        raise EventLogError(errors)


def _db_times(micros: np.ndarray, dialect: str) -> list:
    """µs since the epoch (``_NO_TIME``: None) as the database takes them in bulk: on SQLite the text the UTC
    column type writes (``2025-03-27 08:00:00.000000``, naive UTC), elsewhere aware UTC datetimes."""
    values = micros.astype("datetime64[us]")
    missing = np.isnat(values)
    if dialect == "sqlite":
        text = np.datetime_as_string(values, unit="us")
        if len(text) and text.dtype.itemsize == 26 * 4:  # the "T" between date and time becomes a space
            text.view(np.uint32).reshape(len(text), 26)[:, 10] = ord(" ")
        else:
            text = np.char.replace(text, "T", " ")
        out = text.astype(object)
    else:
        out = pd.DatetimeIndex(values).tz_localize("UTC").to_pydatetime()
    out[missing] = None
    return out.tolist()


def _insert_many(session: Session, table, columns: list[str], rows: list[tuple]) -> None:
    """One executemany of ``rows`` (tuples in the order of ``columns``). On SQLite the statement Core compiles
    goes to the driver as it is, with the times already in stored form (see :func:`_db_times`): no
    conversion per value; elsewhere through Core, whose UTC column type converts the aware datetimes."""
    if session.get_bind().dialect.name == "sqlite":
        compiled = insert(table).compile(dialect=session.get_bind().dialect, column_keys=columns)
        assert list(compiled.positiontup) == columns
        session.connection().exec_driver_sql(str(compiled), rows)
    else:
        session.execute(insert(table), [dict(zip(columns, r)) for r in rows])


_CASE_COLUMNS = ["sop_id", "revision_id", "register_no", "year", "seq", "state", "data", "created_at", "closed_at",
                 "version"]
_RUN_COLUMNS = ["case_id", "step_no", "attempt", "available_at", "started_at", "completed_at", "actor_id", "outcome",
                "note"]


def _write_cases(session: Session, log: _Log, revisions: dict[str, int], n_steps: dict[str, int],
                 first: np.ndarray, last_step: np.ndarray, last_done: np.ndarray) -> np.ndarray:
    """Insert the cases (created at their first start, closed at their last step's completion when that is
    the SOP's last step); returns their ids in the order of ``log.register``."""
    dialect = session.get_bind().dialect.name
    done = last_step == np.array([n_steps[s] for s in log.sop], dtype=np.int64)
    closed = np.where(done, last_done, _NO_TIME)
    years = first.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
    states = {True: workflow.bulk_state("case", "impor_selesai"), False: workflow.bulk_state("case", "impor_berjalan")}
    data = json.dumps({"sumber": "impor log"}) if dialect == "sqlite" else {"sumber": "impor log"}
    ids: dict[str, int] = {}
    for i in range(0, len(log.register), _CHUNK):
        part = slice(i, i + _CHUNK)
        registers = log.register[part]
        _insert_many(session, Case.__table__, _CASE_COLUMNS, [
            (sop, revisions[sop], reg, year, 0, states[d], data, a, b, 1)
            for sop, reg, year, d, a, b in zip(log.sop[part], registers, years[part].tolist(), done[part].tolist(),
                                               _db_times(first[part], dialect), _db_times(closed[part], dialect))])
        for j in range(0, len(registers), 1000):
            ids.update(session.execute(select(Case.register_no, Case.id)
                                       .where(Case.register_no.in_(registers[j:j + 1000]))).all())
    return np.array([ids[r] for r in log.register], dtype=np.int64)


def import_csv(session: Session, source: str | TextIO, default_sop: str | None = None) -> dict:
    """Import historical step runs (see the module docstring) from CSV text or an open text file. Returns the
    counts; raises EventLogError (and writes nothing) when a row or a case is bad."""
    active = active_documents(session)
    docs = {k: v.doc for k, v in active.items()}
    log = _read(source, default_sop, docs)
    _check_cases(session, log)
    n = len(log.line)
    if n:
        _write(session, log, {k: v.revision_id for k, v in active.items()},
               {k: len(d.langkah) for k, d in docs.items() if d.jenis == "sop"})
    audit.record(session, None, "impor_log", "step_runs", None, f"{len(log.register)} berkas, {n} langkah",
                 username="sistem")
    return {"cases": len(log.register), "step_runs": n}


def _write(session: Session, log: _Log, revisions: dict[str, int], n_steps: dict[str, int]) -> None:
    """Each case's runs in order of completion (ties: file order): attempt = how often its step ran so far,
    available = the previous run's completion (the first run: its case's creation), never after the run's
    own start (or completion)."""
    case, step, line = (np.frombuffer(a, dtype=np.int64) for a in (log.case, log.step, log.line))
    started, completed = np.frombuffer(log.started, dtype=np.int64), np.frombuffer(log.completed, dtype=np.int64)
    order = np.lexsort((line, completed, case))
    case, step, started, completed = case[order], step[order], started[order], completed[order]
    n = len(order)
    new_case = np.ones(n, dtype=bool)
    new_case[1:] = case[1:] != case[:-1]
    starts = np.flatnonzero(new_case)
    ends = np.append(starts[1:], n) - 1
    own = np.where(started != _NO_TIME, started, completed)
    first = own[starts]
    ids = _write_cases(session, log, revisions, n_steps, first, step[ends], completed[ends])
    key = case * (int(step.max()) + 1) + step
    by_step = np.argsort(key, kind="stable")
    k = key[by_step]
    new_key = np.ones(n, dtype=bool)
    new_key[1:] = k[1:] != k[:-1]
    pos = np.arange(n)
    attempt = np.empty(n, dtype=np.int64)
    attempt[by_step] = pos - np.maximum.accumulate(np.where(new_key, pos, 0)) + 1
    previous = np.empty(n, dtype=np.int64)
    previous[1:] = completed[:-1]
    previous[starts] = first
    available = np.minimum(previous, own)
    users = dict(session.execute(select(User.username, User.id)).all())
    actor = np.array([users.get(r) for r in log.resources] + [None], dtype=object)[:-1]
    note = np.array([None if uid or not r else f"sumber: {r}" for r, uid in zip(log.resources, actor)] + [None],
                    dtype=object)[:-1]
    resource = np.frombuffer(log.resource, dtype=np.int64)[order]
    outcome = np.frombuffer(log.outcome, dtype=np.int64)[order]
    outcomes = np.array(log.outcomes + [None], dtype=object)[:-1]
    case_ids = ids[case]
    dialect = session.get_bind().dialect.name
    for i in range(0, n, _CHUNK):
        part = slice(i, i + _CHUNK)
        res = resource[part]
        _insert_many(session, StepRun.__table__, _RUN_COLUMNS, list(zip(
            case_ids[part].tolist(), step[part].tolist(), attempt[part].tolist(), _db_times(available[part], dialect),
            _db_times(started[part], dialect), _db_times(completed[part], dialect), actor[res].tolist(),
            outcomes[outcome[part]].tolist(), note[res].tolist())))
