"""Demo history: two years of plausible cases for every SOP, so the KPI dashboard has something to show.

:func:`fill_history` runs once, on a database without cases (``python -m lib init --demo`` and the app's
first start in demo mode). It is deterministic: the same seed and the same ``now`` give the same rows.

How the history is made
-----------------------
* Everything is drawn on a *working-minute axis*: position ``W`` counts the working minutes of the
  agency's calendar (``kalender.load_calendar``: Perpres 21/2023 hours, holidays, cuti bersama, admin
  overrides) from the first day of the history. Arrivals, waits and processing times are drawn as
  working minutes and only then turned into instants, so every ``created_at``, ``available_at``,
  ``started_at``, ``completed_at`` and ``closed_at`` lies inside working time, and nights, weekends and
  holidays fall between steps exactly as they do in the office.
* Arrivals per SOP are spread evenly over working time with a gentle upward trend; their number is
  scaled to the SOP: counter services whose steps add up to at most two hours get about 45 cases a
  month, longer procedures fewer, and SOPs with calendar targets (``bulan``, ``tanggal``: PBI-JK,
  pekerja rentan) about three.
* Each step's processing time is drawn around a fraction of its mutu baku; a few steps per SOP are
  bottlenecks that often run late, and every step runs late now and then. Waits depend on the role
  (a Kepala Dinas signs later than the counter staff takes a file). Steps without a target take minutes.
  ``tanggal`` steps complete on a day of their window (sometimes a few days after it); ``bulan`` steps
  take about that many months.
* Decisions follow the SOP's own branches: a branch back to an earlier step is rework (a new attempt of
  that step; when the step is the applicant's, the file is returned and the case is ``dikembalikan``
  until the applicant's step is done again, with a note naming a missing document from the SOP's
  kelengkapan); a branch to ``selesai`` ends the case early (e.g. "sepakat" in a mediation).
* Some runs are completed without a start (``started_at`` NULL), more often for the applicant's steps,
  which the counter staff records afterwards.
* The history stops at ``now``: a step that became available before ``now`` and was not done by then
  is left open (started or not), so the dashboard has a few open cases near ``now``.
* ``StepRun.role`` is one of the roles the SOP's actor column names (``peran``); ``actor_id`` is the demo
  user (``staf``, ``kasi``, ``kabid``, ``sekdin``, ``kadis``) holding that role when that user may run
  the SOP's cases, else empty. Register numbers follow the engine: ``<kode>/<year>/<seq>`` per SOP and
  year.

Rows are inserted in bulk, without audit entries (they are demo data, not acts of users).
"""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
import json
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import JSON, String, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from lib.base import accounts, kalender, workflow
from lib.base.db import Case, StepRun, utcnow
from lib.base.mutu_baku import MINUTES_PER_WORKING_DAY
from lib.base.permissions import has_permission
from lib.base.worktime import WIB, WorkCalendar
from lib.casework.cases import register_code
from lib.catalogue import model as catalog
from lib.catalogue import store

_WIB_OFFSET = np.timedelta64(7, "h")
#: Working minutes taken for one calendar month when drawing a ``bulan`` step.
_MONTH_WORKING_MINUTES = 21 * MINUTES_PER_WORKING_DAY
#: Median wait (working minutes) before a step is taken up, by role.
_ROLE_WAIT = {"staf": 8.0, "operator_desa": 60.0, "kasi": 20.0, "kepala_bidang": 45.0, "sekretaris": 60.0,
              "kepala_dinas": 90.0}

_FIRST_NAMES = ("Agus", "Budi", "Dewi", "Eka", "Fitri", "Gilang", "Hadi", "Indah", "Joko", "Kartika", "Lestari",
                "Muhammad", "Nur", "Putri", "Rahmat", "Sri", "Siti", "Teguh", "Wahyu", "Yuni", "Ahmad", "Rina",
                "Dian", "Bayu", "Ratna", "Andi", "Nanda", "Rizky", "Wulan", "Slamet")
_LAST_NAMES = ("Saputra", "Wijaya", "Lestari", "Hidayat", "Pratama", "Santoso", "Rahayu", "Kurniawan",
               "Susanti", "Setiawan", "Nugroho", "Permata", "Hakim", "Maharani", "Siregar", "Nasution",
               "Purnomo", "Handayani", "Firmansyah", "Utami")


@dataclass(frozen=True)
class DemoHistory:
    """What :func:`fill_history` created (zeros when the database already had cases)."""
    cases: int = 0
    step_runs: int = 0


# --- the working-minute axis --------------------------------------------------------------------------
class _Axis:
    """Position ``W`` (working minutes since the first day) ↔ instants, for a range of days."""

    def __init__(self, cal: WorkCalendar, first: dt.date, last: dt.date):
        self.first = first
        n = (last - first).days + 1
        segs = [cal.segments(first + dt.timedelta(days=i)) for i in range(n)]
        k = max(1, max(len(s) for s in segs))
        self.seg_start = np.zeros((n, k))
        self.seg_len = np.zeros((n, k))
        for i, ss in enumerate(segs):
            for j, (a, b) in enumerate(ss):
                self.seg_start[i, j], self.seg_len[i, j] = a, b - a
        self.seg_cum = np.cumsum(self.seg_len, axis=1)
        self.per_day = self.seg_len.sum(axis=1)
        self.cum = np.concatenate([[0.0], np.cumsum(self.per_day)])
        self.days = n

    def day_index(self, day: dt.date) -> int:
        return min(max((day - self.first).days, 0), self.days - 1)

    def w_at(self, t: dt.datetime) -> float:
        """W of an instant."""
        local = t.astimezone(WIB)
        i = self.day_index(local.date())
        minute = local.hour * 60 + local.minute + local.second / 60
        inside = np.clip(minute - self.seg_start[i], 0.0, self.seg_len[i]).sum()
        return float(self.cum[i] + inside)

    def day_of(self, w: float) -> int:
        """Index of the working day that holds position ``w``."""
        return int(np.clip(np.searchsorted(self.cum, w, side="left") - 1, 0, self.days - 1))

    def date_of(self, w: float) -> dt.date:
        return self.first + dt.timedelta(days=self.day_of(w))

    def working_day_on_or_after(self, i: int) -> int:
        while i < self.days - 1 and self.per_day[i] == 0:
            i += 1
        return i

    def instants(self, w: np.ndarray) -> np.ndarray:
        """UTC instants (datetime64[s]) of positions ``w``; NaN gives NaT. Each lies in a working segment."""
        w = np.asarray(w, dtype=float)
        out = np.full(w.shape, np.datetime64("NaT"), dtype="datetime64[s]")
        ok = ~np.isnan(w)
        if not ok.any():
            return out
        wv = np.maximum(w[ok], 1e-6)
        day = np.clip(np.searchsorted(self.cum, wv, side="left") - 1, 0, self.days - 1)
        rest = np.clip(wv - self.cum[day], 0.0, self.per_day[day])
        cum = self.seg_cum[day]
        seg = np.argmax(cum >= rest[:, None] - 1e-9, axis=1)
        rows = np.arange(len(day))
        a = self.seg_start[day, seg]
        ln = self.seg_len[day, seg]
        minute = a + np.clip(rest - (cum[rows, seg] - ln), 0.0, ln)
        seconds = np.clip(np.rint(minute * 60), a * 60, (a + ln) * 60).astype(np.int64)
        local = (np.datetime64(self.first, "s") + day.astype("timedelta64[D]").astype("timedelta64[s]")
                 + seconds.astype("timedelta64[s]"))
        out[ok] = local - _WIB_OFFSET
        return out


class _Draws:
    """Pre-drawn random numbers consumed in order (numpy scalars one by one are slow)."""

    def __init__(self, rng: np.random.Generator, size: int):
        self.rng = rng
        self.size = size
        self._refill()

    def _refill(self):
        self.u = self.rng.random(self.size).tolist()
        self.z = self.rng.standard_normal(self.size).tolist()
        self.iu = self.iz = 0

    def uniform(self, lo: float = 0.0, hi: float = 1.0) -> float:
        if self.iu >= self.size:
            self._refill()
        x = self.u[self.iu]
        self.iu += 1
        return lo + (hi - lo) * x

    def lognormal(self, median: float, sigma: float) -> float:
        if self.iz >= self.size:
            self._refill()
        x = self.z[self.iz]
        self.iz += 1
        return median * float(np.exp(sigma * x))

    def choice(self, items):
        return items[min(int(self.uniform() * len(items)), len(items) - 1)]


# --- one SOP ------------------------------------------------------------------------------------------
def _monthly_volume(sop: catalog.SOP) -> float:
    if sop.calendar_targets():
        return 3.0
    total = sop.target_working_minutes()
    if total <= 120:
        return 45.0
    if total <= 3 * MINUTES_PER_WORKING_DAY:
        return 25.0
    if total <= 10 * MINUTES_PER_WORKING_DAY:
        return 12.0
    return 3.0


@dataclass
class _StepModel:
    target_w: float | None      # working minutes (bulan: an approximation), None without a target
    window: tuple[int, int] | None  # tanggal window
    late_p: float
    speed: float
    wait: float
    external: bool
    roles: list[str]


def _step_models(sop: catalog.SOP, d: _Draws) -> list[_StepModel]:
    models = []
    n = len(sop.langkah)
    # one step usually late (median over target), one often late
    worst, often = int(d.uniform() * n) + 1, int(d.uniform() * n) + 1
    for step in sop.langkah:
        t = step.target
        actor = sop.actors[step.pelaksana]
        target_w = window = None
        if t is not None and t.unit == "tanggal":
            window = (int(t.value), int(t.max))
        elif t is not None and t.unit == "bulan":
            target_w = t.max * _MONTH_WORKING_MINUTES
        elif t is not None and t.unit == "hari kalender":
            target_w = t.max * MINUTES_PER_WORKING_DAY * 5 / 7  # about the working minutes of that many days
        elif t is not None:
            target_w = t.working_minutes
        late_p = 0.6 if step.no == worst else 0.3 if step.no == often else d.choice((0.03, 0.05, 0.08, 0.12))
        wait = _ROLE_WAIT.get(actor.peran[0], 15.0)
        if target_w is not None:
            wait = min(wait + 0.15 * target_w, 4 * MINUTES_PER_WORKING_DAY)
        models.append(_StepModel(target_w, window, late_p, d.uniform(0.35, 0.75), wait, actor.eksternal,
                                 list(actor.peran)))
    return models


def _window_completion(axis: _Axis, avail: float, window: tuple[int, int], late: bool, d: _Draws) -> float:
    """W of the completion of a ``tanggal`` step available at ``avail``: a working day in the window of the
    month (the next month once the window has passed), or a few days after it when late."""
    lo, hi = window
    day = axis.date_of(avail)
    year, month = day.year, day.month
    if day.day > hi:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    first_ok = max(lo, day.day) if (year, month) == (day.year, day.month) else lo
    if late:
        target_day = hi + 1 + int(d.uniform() * 4)
    else:
        target_day = first_ok + int(d.uniform() * (hi - first_ok + 1))
    chosen = dt.date(year, month, min(target_day, _calendar.monthrange(year, month)[1]))
    i = axis.working_day_on_or_after(axis.day_index(chosen))
    w = axis.cum[i] + d.uniform(0.05, 0.95) * axis.per_day[i]
    return max(w, avail + d.uniform(5, 60))


def _simulate_case(sop: catalog.SOP, models: list[_StepModel], axis: _Axis, arrival: float, d: _Draws,
                   w_now: float) -> tuple[list[dict], str, bool]:
    """The runs of one case up to ``w_now`` (W positions), its state and whether it closed."""
    runs: list[dict] = []
    attempts: dict[int, int] = {}
    returns = 0
    t = arrival
    step_no: int | str = 1
    state = "berjalan"
    for _ in range(80):
        if step_no == catalog.END:
            return runs, "selesai", True
        step = sop.langkah[step_no - 1]
        m = models[step_no - 1]
        attempts[step_no] = attempts.get(step_no, 0) + 1
        avail = t
        if avail > w_now:
            break
        late = d.uniform() < m.late_p
        wait = d.lognormal(m.wait, 0.8)
        if m.window is not None:
            done = _window_completion(axis, avail, m.window, late, d)
            start = max(avail + min(wait, 0.5 * (done - avail)), done - d.lognormal(45.0, 0.6))
        else:
            if m.target_w is None:
                proc = d.lognormal(10.0, 0.6)
            elif late:
                proc = m.target_w * d.uniform(1.05, 2.6)
            else:
                proc = m.target_w * d.lognormal(m.speed, 0.3)
                if proc > m.target_w:
                    proc = m.target_w * d.uniform(0.5, 1.0)
            start = avail + wait
            done = start + max(proc, 0.5)
        no_start = d.uniform() < (0.25 if m.external else 0.04)
        role = m.roles[0] if len(m.roles) == 1 or d.uniform() < 0.7 else m.roles[1]
        run = {"step_no": step_no, "attempt": attempts[step_no], "available": avail, "role": role,
               "start": None if no_start else start, "done": done, "outcome": None, "note": None}
        runs.append(run)
        if done > w_now:  # still open at ``now``
            run["done"] = None
            if no_start or start > w_now:
                run["start"] = None
                run["role"] = None
            break
        # where the step leads
        if step.keputusan is not None:
            k = step.keputusan
            forward, other = (k.ya, k.tidak) if k.ya.ke == step_no + 1 else (k.tidak, k.ya)
            if other.ke == catalog.END:
                p_other = 0.35
            elif other.ke < step_no:
                p_other = 0.12 if returns < 2 else 0.0
            else:
                p_other = 0.2
            branch = other if d.uniform() < p_other else forward
            run["outcome"] = branch.label
            nxt = branch.ke
        else:
            run["outcome"] = "selesai"
            nxt = step_no + 1 if step_no < len(sop.langkah) else catalog.END
        returned = nxt != catalog.END and nxt <= step_no and sop.actors[sop.langkah[nxt - 1].pelaksana].eksternal
        if nxt != catalog.END and nxt <= step_no:
            returns += 1
        if returned:
            missing = d.choice([x.label for x in sop.kelengkapan]) if sop.kelengkapan else "persyaratan"
            run["note"] = f"Berkas belum lengkap: {missing}."
        state = "selesai" if nxt == catalog.END else ("dikembalikan" if returned else "berjalan")
        t = done
        step_no = nxt
    if step_no == catalog.END and runs and runs[-1]["done"] is not None:
        return runs, "selesai", True
    return runs, state, False


def _actor_ids(demo_actors: list, sop: catalog.SOP) -> dict[str, int]:
    """For each role, the first demo user holding it who may run this SOP's cases (scope included)."""
    out: dict[str, int] = {}
    for actor in demo_actors:
        if has_permission(actor, "run_cases", sop.scope):
            for role in sorted(actor.roles):
                out.setdefault(role, actor.user_id)
    return out


def _arrivals(volume: float, w0: float, w1: float, d: _Draws, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival positions in (w0, w1]: even over working time, rising by half over the period."""
    months = (w1 - w0) / _MONTH_WORKING_MINUTES
    n = int(rng.poisson(volume * d.uniform(0.7, 1.3) * months))
    x = rng.random(2 * n + 10)
    keep = rng.random(x.size) < (0.67 + 0.33 * x)
    x = np.sort(x[keep][:n])
    return w0 + x * (w1 - w0)


# --- the whole history --------------------------------------------------------------------------------
def fill_history(session: Session, seed: int = 2026, years: int = 2, now: dt.datetime | None = None,
                 scale: float = 1.0) -> DemoHistory:
    """Fill an empty database with ``years`` of demo cases for every SOP in the active catalogue, up to ``now``.

    ``scale`` multiplies the number of cases (the benchmark uses it for a larger history). Does nothing
    (and returns zeros) when the database already has cases.
    """
    if session.scalar(select(func.count()).select_from(Case)):
        return DemoHistory()
    now = (now or utcnow()).astimezone(dt.UTC).replace(microsecond=0)
    local_now = now.astimezone(WIB)
    try:
        begin = local_now.replace(year=local_now.year - years)
    except ValueError:  # 29 February
        begin = local_now.replace(year=local_now.year - years, day=28)
    cal = kalender.load_calendar(session)
    axis = _Axis(cal, begin.date() - dt.timedelta(days=1), local_now.date() + dt.timedelta(days=366 * 2 + 60))
    w0, w_now = axis.w_at(begin), axis.w_at(now)
    docs = {k: v for k, v in store.active_documents(session).items() if v.doc.jenis == "sop"}
    demo_actors = [a for a in (accounts.load_actor(session, u[0]) for u in accounts.DEMO_USERS) if a is not None]
    staf_id = next((a.user_id for a in demo_actors if "staf" in a.roles), None)

    case_rows: list[dict] = []
    case_runs: list[list[dict]] = []
    for sop_id, active in docs.items():
        sop: catalog.SOP = active.doc
        rng = np.random.default_rng([seed, zlib.crc32(sop_id.encode())])
        d = _Draws(rng, 4096)
        models = _step_models(sop, d)
        actor_ids = _actor_ids(demo_actors, sop)
        person = sop.actors[sop.langkah[0].pelaksana].eksternal
        arrivals = _arrivals(_monthly_volume(sop) * scale, w0, w_now, d, rng)
        created = axis.instants(arrivals)
        seq: dict[int, int] = {}
        for w_arrival, created_at in zip(arrivals.tolist(), created):
            runs, state, closed = _simulate_case(sop, models, axis, w_arrival, d, w_now)
            if not runs:
                continue
            year = int(str(created_at + _WIB_OFFSET)[:4])
            seq[year] = seq.get(year, 0) + 1
            name = f"{d.choice(_FIRST_NAMES)} {d.choice(_LAST_NAMES)}" if person else None
            for r in runs:
                r["actor_id"] = actor_ids.get(r["role"]) if r["role"] else None
            moves = sum((r["start"] is not None) + (r["done"] is not None) for r in runs)
            case_rows.append({"sop_id": sop_id, "revision_id": active.revision_id,
                              "register_no": f"{register_code(sop)}/{year}/{seq[year]:05d}", "year": year,
                              "seq": seq[year], "state": workflow.bulk_state("case", f"riwayat_{state}"),
                              "applicant_name": name, "data": {},
                              "created_by": staf_id, "created": w_arrival,
                              "closed": runs[-1]["done"] if closed else None, "version": 1 + moves})
            case_runs.append(runs)
    if not case_rows:
        return DemoHistory()

    # W positions → instants, all at once; then two bulk inserts.
    dialect = session.get_bind().dialect.name
    ids = _new_ids(session, len(case_rows))
    created_at = _db_times(axis.instants(np.array([c.pop("created") for c in case_rows])), dialect)
    closed_at = _db_times(axis.instants(np.array([np.nan if c["closed"] is None else c["closed"]
                                                  for c in case_rows])), dialect)
    for c, cid, a, b in zip(case_rows, ids, created_at, closed_at):
        del c["closed"]
        c["id"], c["created_at"], c["closed_at"] = cid, a, b
    _bulk_insert(session, Case.__table__, case_rows, ("created_at", "closed_at"))

    flat = [(cid, r) for cid, runs in zip(ids, case_runs) for r in runs]
    avail = _db_times(axis.instants(np.array([r["available"] for _, r in flat])), dialect)
    start = _db_times(axis.instants(np.array([np.nan if r["start"] is None else r["start"] for _, r in flat])),
                      dialect)
    done = _db_times(axis.instants(np.array([np.nan if r["done"] is None else r["done"] for _, r in flat])),
                     dialect)
    run_rows = [{"case_id": cid, "step_no": r["step_no"], "attempt": r["attempt"], "available_at": a,
                 "started_at": s, "completed_at": c, "actor_id": r["actor_id"], "role": r["role"],
                 "outcome": r["outcome"] if c is not None else None, "note": r["note"] if c is not None else None}
                for (cid, r), a, s, c in zip(flat, avail, start, done)]
    _bulk_insert(session, StepRun.__table__, run_rows, ("available_at", "started_at", "completed_at"))
    return DemoHistory(cases=len(case_rows), step_runs=len(run_rows))


def _new_ids(session: Session, n: int) -> list[int]:
    """``n`` case ids taken the way the database would give them (PostgreSQL: from the column's sequence,
    so cases opened later by the engine do not collide)."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(text("SELECT nextval(pg_get_serial_sequence('cases', 'id')) "
                                         "FROM generate_series(1, :n)"), {"n": n}).scalars())
    first = (session.scalar(select(func.max(Case.id))) or 0) + 1
    return list(range(first, first + n))


def _bulk_insert(session: Session, table, rows: list[dict], time_columns: tuple[str, ...]) -> None:
    """Insert many rows at once. PostgreSQL: ``COPY`` (an executemany of 30,000 rows takes seconds there);
    otherwise one executemany whose time columns take the values already in stored form
    (see :func:`_db_times`)."""
    columns = list(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        raw = session.connection().connection.driver_connection
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])
        return
    stmt = insert(table).values({c: bindparam(c, type_=String()) for c in time_columns})
    session.execute(stmt, rows)


def _db_times(values: np.ndarray, dialect: str) -> list:
    """UTC datetime64 values as the database takes them in bulk: on SQLite the text SQLAlchemy's UTC column
    type writes (``2025-03-27 08:00:00.000000``, naive UTC), elsewhere aware UTC datetimes. NaT gives None."""
    values = np.asarray(values, dtype="datetime64[us]")
    missing = np.isnat(values).tolist()
    if dialect == "sqlite":
        text_values = np.char.replace(np.datetime_as_string(values, unit="us"), "T", " ").tolist()
        return [None if m else t for t, m in zip(text_values, missing)]
    return [None if m else t for t, m in zip(_aware(values), missing)]


def _aware(values: np.ndarray) -> list[dt.datetime | None]:
    """datetime64 UTC values as aware datetimes (None for NaT), for the ORM's UTC column type."""
    idx = pd.DatetimeIndex(values).tz_localize("UTC")
    out = idx.to_pydatetime().tolist()
    return [None if m else t for t, m in zip(out, idx.isna().tolist())]
