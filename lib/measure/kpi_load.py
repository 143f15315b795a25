"""KPI engine, loading: :func:`load` reads the step runs of the selected SOPs joined with their case, once,
into a :class:`KpiData`, with each run's target (the mutu baku of its case's revision) and its measures in
working and calendar time. No Streamlit here.

Every column and figure is defined in the module docstring of :mod:`lib.measure.kpi`, which computes the
figures from this frame and re-exports :func:`load`, :class:`KpiData` and :class:`KpiError`.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from lib.base import kalender
from lib.base.db import Case, SopRevision, StepRun, utcnow
from lib.base.errors import UserError
from lib.base.mutu_baku import MutuBaku
from lib.base.roles import ROLE_CODES
from lib.base.worktime import WIB, WorkCalendar
from lib.catalogue import model as catalog
from lib.catalogue import store

#: The columns of a lean load (see :func:`load`).
_LEAN_COLUMNS = ["run_id", "case_id", "step_no", "sop_id", "revision_id", "revision_no", "role", "started_at",
                 "completed_at", "case_created_at", "case_closed_at", "in_period", "processing_working_min",
                 "processing_elapsed_min", "wait_working_min", "within", "ratio", "step_runs_in_case"]


class KpiError(UserError):
    """A filter that cannot be applied (unknown SOP, bidang or role); the message is Indonesian."""


@dataclass
class KpiData:
    """Everything the figures are computed from, loaded once by :func:`load`."""
    #: One row per step run of the loaded cases (columns: see :mod:`lib.measure.kpi` and :func:`load`).
    runs: pd.DataFrame
    #: One row per step of every revision involved: targets and labels.
    steps: pd.DataFrame
    #: Steps of the revisions in force of the selected SOPs (the rows every per-step table shows).
    current_steps: pd.DataFrame
    #: Selected SOPs: id → the SOP in force.
    sops: dict[str, catalog.SOP]
    calendar: WorkCalendar
    now: pd.Timestamp
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    role: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    targets: dict[tuple[int, int], MutuBaku] = field(default_factory=dict)
    #: Frames derived once per load (selected runs, runs done in the period, open work).
    cache: dict = field(default_factory=dict, repr=False)


def _wib_start(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.combine(day, dt.time(), tzinfo=WIB)).tz_convert("UTC")


#: A NULL time or id as fetched: the smallest int64, which numpy reads as NaT.
_NULL = -(2 ** 63)


def _micros(column, dialect: str):
    """A time column as integer microseconds since the epoch (UTC), computed by the database, NULL as
    :data:`_NULL`: the rows need no parsing in Python. SQLite stores naive UTC text (``2025-03-27
    08:00:00.123456``): the whole seconds from its first 19 characters (``unixepoch``, or ``strftime('%s')``
    before SQLite 3.38), the fraction from the rest, exactly (SQLite's own date functions round it to the ms)."""
    if dialect == "sqlite":
        whole = (func.unixepoch(func.substr(column, 1, 19)) if sqlite3.sqlite_version_info >= (3, 38)
                 else cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger))
        micros = whole * 1_000_000 + cast(func.round(func.substr(column, 20) * 1_000_000), BigInteger)
    else:
        micros = cast(func.extract("epoch", column) * 1_000_000, BigInteger)
    return type_coerce(func.coalesce(micros, _NULL), BigInteger)


def _fetch(session: Session, query, names: list[str], run: bool = True) -> dict[str, tuple]:
    """A query's rows, column by column, straight from the driver (no per-value result processing)."""
    rows = []
    if run:
        result = session.connection().execute(query)
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()
    return dict(zip(names, zip(*rows) if rows else [()] * len(names)))


def _fetch_ints(session: Session, query, names: list[str], run: bool = True) -> dict[str, np.ndarray]:
    """Like :func:`_fetch` for a query of integers only, into int64 arrays a chunk of rows at a time (the
    driver's tuples of a whole million rows are never held at once)."""
    parts = []
    if run:
        result = session.connection().execute(query)
        try:
            while chunk := result.cursor.fetchmany(100_000):
                parts.append(np.array(chunk, dtype=np.int64))
        finally:
            result.close()
    table = np.concatenate(parts) if parts else np.empty((0, len(names)), dtype=np.int64)
    return {name: table[:, i] for i, name in enumerate(names)}


def _ints(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    return np.fromiter(values, dtype=np.int64, count=len(values))


def _utc(values) -> pd.DatetimeIndex:
    """Microseconds since the epoch (:data:`_NULL`: NaT) as UTC instants (nanosecond resolution)."""
    return pd.DatetimeIndex(_ints(values).view("datetime64[us]").astype("datetime64[ns]")).tz_localize("UTC")


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _step_rows(rev_id: int, revision_no: int, sop: catalog.SOP) -> list[dict]:
    has_calendar = bool(sop.calendar_targets())
    total = None if has_calendar else sop.target_working_minutes()
    rows = []
    for s in sop.langkah:
        t = s.target
        actor = sop.actors[s.pelaksana]
        rows.append({"revision_id": rev_id, "revision_no": revision_no, "sop_id": sop.id, "step_no": s.no,
                     "kegiatan": s.kegiatan, "pelaksana": actor.label, "actor_code": s.pelaksana,
                     "default_role": actor.peran[0],
                     "target_text": s.waktu or None, "target_label": t.label() if t else None,
                     "target_unit": t.unit if t else None, "target_value": t.value if t else np.nan,
                     "target_max": t.max if t else np.nan,
                     "target_working_min": t.working_minutes if t and t.working_minutes is not None else np.nan,
                     "target_sum_working_min": np.nan if total is None else float(total)})
    return rows


_STEP_COLUMNS = ["revision_id", "revision_no", "sop_id", "step_no", "kegiatan", "pelaksana", "actor_code",
                 "default_role", "target_text", "target_label", "target_unit", "target_value", "target_max",
                 "target_working_min", "target_sum_working_min"]


def _read_runs(session: Session, case_filter: list, sop_ids: list[str], dialect: str, lean: bool,
               with_role: bool) -> pd.DataFrame:
    """The step runs of the cases ``case_filter`` selects, each with its case's columns, ordered by case and
    run id. ``lean``: only what the per-step figures need (no attempt, actor, outcome, register number, case
    state; the recorded role only when ``with_role``)."""
    # lean: the SOP as its position in ``sop_ids`` (every column an integer: no Python object per value)
    sop = (case(*[(Case.sop_id == sid, i) for i, sid in enumerate(sop_ids)], else_=-1) if lean and sop_ids
           else Case.sop_id)
    case_cols = [Case.id, sop, Case.revision_id] + ([] if lean else [Case.register_no, Case.state])
    case_names = ["case_id", "sop_id", "revision_id"] + ([] if lean else ["register_no", "case_state"])
    cases = (_fetch_ints if lean else _fetch)(
        session, select(*case_cols, _micros(Case.created_at, dialect), _micros(Case.closed_at, dialect))
        .where(*case_filter), case_names + ["case_created_at", "case_closed_at"], bool(sop_ids))
    if lean:
        cases["sop_id"] = np.array(list(sop_ids) + [None], dtype=object)[cases["sop_id"]]
    run_cols = [StepRun.id, StepRun.case_id, StepRun.step_no] + ([] if lean else [StepRun.attempt])
    run_names = ["run_id", "case_id", "step_no"] + ([] if lean else ["attempt"])
    run_cols += [_micros(StepRun.available_at, dialect), _micros(StepRun.started_at, dialect),
                 _micros(StepRun.completed_at, dialect)]
    run_names += ["available_at", "started_at", "completed_at"]
    if not lean:
        run_cols.append(type_coerce(func.coalesce(StepRun.actor_id, _NULL), BigInteger))
        run_names.append("actor_id")
    if not lean or with_role:
        run_cols.append(StepRun.role)
        run_names.append("role_recorded")
    if not lean:
        run_cols.append(StepRun.outcome)
        run_names.append("outcome")
    fetch = _fetch_ints if lean and not with_role else _fetch
    runs = fetch(session, select(*run_cols).join(Case, Case.id == StepRun.case_id).where(*case_filter), run_names,
                 bool(sop_ids))
    # the case of each run (an inner join: a case opened between the two reads has no row here)
    case_id = _ints(runs["case_id"])
    ids = _ints(cases["case_id"])
    by_id = np.argsort(ids, kind="stable")
    pos = np.minimum(np.searchsorted(ids[by_id], case_id), max(len(ids) - 1, 0))
    found = ids[by_id][pos] == case_id if len(ids) else np.zeros(len(case_id), dtype=bool)
    run_id = _ints(runs["run_id"])
    order = np.lexsort((run_id, case_id))
    order = order[found[order]]
    of_case = by_id[pos[order]]
    out = {}
    for name, values in runs.items():
        if name in ("available_at", "started_at", "completed_at"):
            out[name] = _utc(values)[order]
        elif name == "actor_id":
            v = _ints(values)[order]
            out[name] = pd.arrays.IntegerArray(np.where(v == _NULL, 0, v), v == _NULL)
        elif name in ("role_recorded", "outcome"):
            out[name] = _objects(values)[order]
        else:
            out[name] = _ints(values)[order]
    for name, values in cases.items():
        if name == "case_id":
            continue
        if name in ("case_created_at", "case_closed_at"):
            out[name] = _utc(values)[of_case]
        elif name == "revision_id":
            out[name] = _ints(values)[of_case]
        else:
            out[name] = _objects(values)[of_case]
    return pd.DataFrame({k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
                         for k, v in out.items()})


def load(session: Session, date_from: dt.date | None = None, date_to: dt.date | None = None,
         sop_ids=None, bidang: str | None = None, role: str | None = None,
         now: dt.datetime | None = None, lean: bool = False) -> KpiData:
    """Load the step runs of the selected SOPs (see :mod:`lib.measure.kpi`) with their targets and measures.

    Loaded are all runs of the cases alive in the period (created before its end and not closed before
    its start) and of every case still open, so that case figures and rework see whole cases. ``lean``
    reads and keeps only the columns of the per-step figures and the case counts
    (:func:`lib.measure.kpi.step_stats`, :func:`lib.measure.kpi.summary_json`): those of ``_LEAN_COLUMNS``,
    ``role`` only with a role filter.
    """
    if date_from and date_to and date_from > date_to:
        raise KpiError("Tanggal awal tidak boleh setelah tanggal akhir.")
    if role is not None and role not in ROLE_CODES:
        raise KpiError(f"Peran “{role}” tidak dikenal. Pilihan: {', '.join(ROLE_CODES)}.")
    now_ts = pd.Timestamp(now or utcnow()).tz_convert("UTC")
    dialect = session.get_bind().dialect.name

    # the revisions in force: which SOPs exist, their bidang, the steps every table lists
    in_force = session.execute(select(SopRevision.id, SopRevision.sop_id, SopRevision.revision_no,
                                      SopRevision.content, SopRevision.content_hash)
                               .where(SopRevision.state == "disahkan")
                               .order_by(SopRevision.sop_id, SopRevision.revision_no)).all()
    current: dict[str, tuple[int, int, catalog.SOP]] = {}
    for rid, sid, no, content, digest in in_force:
        doc = store.parse(sid, no, content, digest)
        current[sid] = (rid, no, doc)  # the newest revision in force wins (ordered by revision_no)
    sops = {sid: doc for sid, (_r, _n, doc) in current.items() if doc.jenis == "sop"}
    if sop_ids is not None:
        sop_ids = [sop_ids] if isinstance(sop_ids, str) else list(sop_ids)
        for sid in sop_ids:
            if sid not in current:
                raise KpiError(f"SOP “{sid}” tidak ada. Lihat daftar dengan: python -m lib sop list")
            if sid not in sops:
                raise KpiError(f"“{sid}” adalah standar pelayanan, bukan SOP: tidak punya langkah untuk diukur.")
        sops = {sid: sops[sid] for sid in sorted(set(sop_ids))}
    if bidang is not None:
        known = sorted({doc.bidang for doc in sops.values() if doc.bidang})
        if bidang not in known:
            raise KpiError(f"Bidang “{bidang}” tidak dikenal." + (f" Pilihan: {', '.join(known)}." if known else ""))
        sops = {sid: doc for sid, doc in sops.items() if doc.bidang == bidang}

    start = _wib_start(date_from) if date_from else None
    end = _wib_start(date_to + dt.timedelta(days=1)) if date_to else None

    case_filter = [Case.sop_id.in_(list(sops))]
    in_range = []
    if start is not None:
        in_range.append(Case.closed_at >= start.to_pydatetime())
    if end is not None:
        in_range.append(Case.created_at < end.to_pydatetime())
    if in_range:
        case_filter.append(or_(Case.closed_at.is_(None), and_(*in_range)))
    runs = _read_runs(session, case_filter, list(sops), dialect, lean, role is not None)

    # targets of every revision involved
    parsed: dict[int, tuple[int, catalog.SOP]] = {rid: (no, doc) for rid, no, doc in current.values()
                                                  if doc.jenis == "sop"}
    missing = sorted(set(runs["revision_id"].unique().tolist()) - set(parsed)) if len(runs) else []
    if missing:
        for rid, sid, no, content, digest in session.execute(
                select(SopRevision.id, SopRevision.sop_id, SopRevision.revision_no, SopRevision.content,
                       SopRevision.content_hash).where(SopRevision.id.in_(missing))):
            parsed[rid] = (no, store.parse(sid, no, content, digest))
    step_rows = [r for rid, (no, doc) in parsed.items() for r in _step_rows(rid, no, doc)]
    steps = pd.DataFrame(step_rows, columns=_STEP_COLUMNS)
    targets = {(rid, s.no): s.target for rid, (_no, doc) in parsed.items() for s in doc.langkah if s.target}
    current_ids = [current[sid][0] for sid in sops]
    current_steps = steps[steps["revision_id"].isin(current_ids)].reset_index(drop=True)

    cal = kalender.load_calendar(session)
    runs = _measure(runs, steps, cal, start, end, lean)
    return KpiData(runs=runs, steps=steps, current_steps=current_steps, sops=sops, calendar=cal, now=now_ts,
                   start=start, end=end, role=role, date_from=date_from, date_to=date_to, targets=targets)


def _measure(runs: pd.DataFrame, steps: pd.DataFrame, cal: WorkCalendar, start, end, lean: bool) -> pd.DataFrame:
    """Add targets and the per-run measures (vectorised)."""
    info = steps[["revision_id", "step_no", "revision_no", "default_role", "target_unit", "target_value",
                  "target_max", "target_working_min", "target_sum_working_min"]]
    runs = runs.merge(info, on=["revision_id", "step_no"], how="left")
    runs["revision_no"] = runs["revision_no"].astype("Int64")
    if "role_recorded" in runs:
        runs["role"] = runs["role_recorded"].fillna(runs["default_role"])
    minute = pd.Timedelta(minutes=1)
    done = runs["completed_at"].notna()
    runs["is_open"] = ~done
    in_period = done.copy()
    if start is not None:
        in_period &= runs["completed_at"] >= start
    if end is not None:
        in_period &= runs["completed_at"] < end
    runs["in_period"] = in_period
    local_done = runs["completed_at"].dt.tz_convert(WIB)
    if not lean:
        runs["month"] = _month_labels(local_done)
    runs["processing_working_min"] = cal.working_minutes_array(runs["started_at"], runs["completed_at"])
    runs["processing_elapsed_min"] = (runs["completed_at"] - runs["started_at"]) / minute
    runs["wait_working_min"] = cal.working_minutes_array(runs["available_at"], runs["started_at"])
    runs["wait_elapsed_min"] = (runs["started_at"] - runs["available_at"]) / minute

    judged = done & runs["started_at"].notna() & runs["target_unit"].notna()
    within = pd.Series(np.nan, index=runs.index)
    working = judged & runs["target_working_min"].notna()
    within[working] = (runs.loc[working, "processing_working_min"]
                       <= runs.loc[working, "target_working_min"] + 1e-9).astype(float)
    window = judged & (runs["target_unit"] == "tanggal")
    if window.any():
        day = local_done[window].dt.day
        within[window] = ((day >= runs.loc[window, "target_value"])
                          & (day <= runs.loc[window, "target_max"])).astype(float)
    days = judged & (runs["target_unit"] == "hari kalender")
    if days.any():
        within[days] = (runs.loc[days, "processing_elapsed_min"]
                        <= runs.loc[days, "target_max"] * 24 * 60 + 1e-9).astype(float)
    months = judged & (runs["target_unit"] == "bulan")
    if months.any():
        started_local = runs.loc[months, "started_at"].dt.tz_convert(WIB).dt.tz_localize(None)
        done_local = local_done[months].dt.tz_localize(None)
        due = pd.Series(pd.NaT, index=started_local.index, dtype="datetime64[ns]")
        for k in runs.loc[months, "target_max"].unique():
            sel = runs.loc[months, "target_max"] == k
            due[sel] = started_local[sel] + pd.DateOffset(months=int(k))
        within[months] = (done_local <= due).astype(float)
    runs["within"] = within
    runs["ratio"] = runs["processing_working_min"] / runs["target_working_min"]
    runs["step_runs_in_case"] = runs.groupby(["case_id", "step_no"])["run_id"].transform("size").astype("int64")
    return runs[[c for c in _LEAN_COLUMNS if c in runs]] if lean else runs


def _month_labels(local: pd.Series) -> pd.Series:
    """``YYYY-MM`` of local instants (None for NaT), formatted once per distinct month."""
    ym = (local.dt.year * 100 + local.dt.month).to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(ym)
    out = np.full(len(ym), None, dtype=object)
    if ok.any():
        uniq, inverse = np.unique(ym[ok].astype(np.int64), return_inverse=True)
        labels = np.array([f"{v // 100:04d}-{v % 100:02d}" for v in uniq.tolist()], dtype=object)
        out[ok] = labels[inverse]
    return pd.Series(out, index=local.index, dtype=object)
