"""KPI engine: how long the steps of the SOPs really take, against their mutu baku.

Pure pandas/numpy over one query: :func:`load` reads the step runs of the selected SOPs joined with
their case, once, into a DataFrame; every other function computes from that frame, vectorised. No
Streamlit here. The loading (:func:`load`, :class:`KpiData`, :class:`KpiError`) lives in
:mod:`lib.measure.kpi_load` and is re-exported here; this module computes the figures. Department heads
quote these figures in official reports, so every figure is defined below, and :data:`DEFINISI` says the
same in Indonesian for the dashboard's help texts.

Inputs and conventions
----------------------
* **Period.** ``date_from`` .. ``date_to`` are calendar days in WIB (Asia/Jakarta), both included;
  either may be left open. A run *belongs to the period* when it was **completed** in it.
* **Filters.** ``sop_ids``; ``bidang`` (the SOP's ``bidang`` field in the revision in force); ``role``
  (``StepRun.role``, the role the actor did the step in). A run not yet started has no recorded role;
  it counts for the first role the SOP names for its actor column. The role filter applies to
  run-level figures (steps, roles, open work, breaches, compliance); case-level figures ignore it.
* **Targets.** Each run is judged against the mutu baku of the SOP revision **its case was opened
  under** (``Case.revision_id``), never against a later one: a changed target does not rewrite history.
  ``revision_id`` / ``revision_no`` stay in the frames so every figure can be grouped by revision.
  Where runs of several revisions are pooled (one row per step), the target *shown* is that of the
  revision in force (or of the newest revision with runs, for a step the revision in force no longer
  has), while the percentages and ratios still judge each run by its own revision.
* **Working time** is the agency's calendar (``kalender.load_calendar``: Perpres 21/2023 hours, holidays,
  cuti bersama, admin overrides), computed with ``WorkCalendar.working_minutes_array``. *Elapsed*
  (calendar) time is plain wall-clock time. Targets in ``menit``, ``jam``, ``hari`` (450 working
  minutes), ``minggu`` (5 working days) have a working-minute value; ``hari kalender``, ``bulan`` and
  ``tanggal`` targets have none (``target_working_min`` is empty) and are judged on the calendar.

Per run (columns of ``KpiData.runs``)
-------------------------------------
* ``processing_working_min`` / ``processing_elapsed_min``: completed − started. Empty when the run has
  no start (a step recorded as done without being started) or is still open.
* ``wait_working_min`` / ``wait_elapsed_min``: started − available (available = the previous step done).
* ``within``: 1 when the run met its target, 0 when it did not, empty when it is not judged. Judged are
  completed runs **with a start** whose step has a target. Working-unit targets: processing working
  minutes ≤ target. ``hari kalender``: elapsed processing time ≤ that many 24-hour days (weekends and
  holidays count). ``bulan``: completed no later than started + that many calendar months.
  ``tanggal`` ("Setiap Tanggal 1 - 15"): the WIB day of the month the step was completed lies in the
  window (``WorkCalendar.within_target``).
* ``ratio``: processing working minutes ÷ target working minutes (working-unit targets only).
* ``step_runs_in_case``: how many runs the step has in the case (more than one = rework).

Per step (:func:`step_stats`), over the runs completed in the period
-------------------------------------------------------------------
* ``n``: runs completed in the period (with or without a start). ``n_started``: those with a start;
  ``n_without_start`` = ``n`` − ``n_started``. Runs without a start count in ``n`` only, never in a
  processing statistic. Open runs are never in these figures.
* ``median_*``, ``p90_*``, ``mean_*``, ``max_*`` of processing time, in working minutes (``*_working_min``)
  and elapsed minutes (``*_elapsed_min``), over the runs with a start. p90 is the linearly interpolated
  90th percentile (numpy's default, ``pandas.quantile(0.9)``).
* ``judged``, ``within``, ``within_pct``: judged runs, those within target, and 100 × within ÷ judged.
* ``median_ratio``: median of actual ÷ target (1.0 = exactly the target; working-unit targets only).
* ``median_wait_working_min``: median of started − available, in working minutes.
* ``rework_cases``: cases with a run of this step completed in the period in which the step ran more than
  once (counting all its runs in that case, open ones included).

Per case (:func:`case_stats`)
----------------------------
* ``lead_working_min`` / ``lead_elapsed_min``: closed − created (closed cases only).
* ``touch_working_min`` / ``touch_elapsed_min``: sum of the processing times of the case's runs that have
  a start (empty when none has).
* ``flow_efficiency``: touch ÷ lead, both in working minutes (0–1; closed cases with lead > 0).
* ``within_pct``: 100 × the case's judged runs within target ÷ its judged runs ("% of steps on time").
* ``target_sum_working_min``: the sum of the working-minute targets of the case's revision (one pass
  through every step); empty when that revision has a ``bulan`` or ``tanggal`` target, because such a
  sum would leave out the longest steps.

Per role (:func:`role_stats`): the per-step aggregates grouped by role, plus workload: ``completed`` (= ``n``)
and ``open`` / ``open_overdue`` (open runs now, and those ``terlambat``).

Open work (:func:`open_work`): every run not completed (``completed_at`` empty) at ``now``, whatever the
period: ``age_working_min`` / ``age_elapsed_min`` since it became available; ``due_at`` =
``WorkCalendar.due(available_at, target)``; ``used_pct`` = age ÷ target (working minutes; calendar time for
``bulan``/``tanggal``); ``status``: ``terlambat`` when ``now`` is past ``due_at``, ``segera`` when more than
half the target is used, else ``normal`` (also for steps without a target). Open work is measured from
availability: the office answers for the whole time the file waits on a desk.

Compliance over time: :func:`step_month_table` (% within target per step × WIB month of completion),
:func:`monthly_trend` (per month: runs completed, judged, within, % within, cases started, cases
completed). :func:`bottlenecks`: per step with a working-minute target, ``excess_per_run_min`` = median over
its judged runs of (processing − own target) in working minutes (= median − target when the target did
not change), ``excess_total_min`` = max(excess_per_run, 0) × ``n``; ranked by ``excess_total_min``. Only
steps with ``excess_total_min`` > 0 are listed, and never a step of the applicant (actor column
``pemohon``): the office does not answer for the time an applicant takes.
:func:`breaches`: the runs completed in the period that missed their target — of one step, or of every
step of the filter — with the officer who did each run.

Headline (:func:`headline`): cases started (created in the period), cases completed (closed in the
period), open cases and open runs now, overdue runs and cases now, % of judged runs within target in the
period, median lead time of the cases closed in the period against the median of their target sums.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import audit
from lib.base.db import AuditEntry, Case, StepRun, User
from lib.base.permissions import Actor, require
from lib.base.roles import ROLE_CODES
from lib.base.worktime import WIB
from lib.measure.kpi_load import KpiData as KpiData
from lib.measure.kpi_load import KpiError as KpiError
from lib.measure.kpi_load import load as load

#: The actor column of the applicant: their steps are no bottleneck of the office.
APPLICANT = "pemohon"

#: Open-run status: past due, more than half the target used, otherwise.
STATUS = {"terlambat": "Terlambat", "segera": "Segera jatuh tempo", "normal": "Normal"}

#: Indonesian definitions for the dashboard (help texts, footnotes of printed reports).
DEFINISI: dict[str, str] = {
    "periode": "Periode: tanggal WIB, kedua ujung termasuk. Langkah dihitung pada periode saat langkah selesai.",
    "n": "Jumlah langkah yang selesai dalam periode (termasuk yang dicatat selesai tanpa waktu mulai).",
    "waktu_proses": "Waktu proses = selesai − mulai, dalam menit kerja (jam kerja Perpres 21/2023, tanpa hari "
                    "libur dan cuti bersama) dan dalam menit kalender. Langkah tanpa waktu mulai tidak dihitung.",
    "median": "Median: nilai tengah waktu proses.",
    "p90": "P90: 90% langkah selesai dalam waktu ini atau lebih cepat (persentil ke-90, interpolasi linear).",
    "target": "Target: mutu baku pada revisi SOP saat berkas dibuka; 1 hari = 450 menit kerja, 1 minggu = "
              "5 hari kerja. Target hari kalender, bulan dan tanggal dinilai dengan kalender (hari kalender: "
              "akhir pekan dan hari libur ikut dihitung).",
    "tepat_waktu": "% tepat waktu: langkah bertarget yang punya waktu mulai dan selesai dalam target, dibagi "
                   "semua langkah tersebut. Target “Setiap Tanggal a - b” dinilai dari tanggal langkah selesai.",
    "rasio": "Rasio: waktu proses ÷ target (1,0 = tepat sama dengan target).",
    "tunggu": "Waktu tunggu = mulai − tersedia (langkah sebelumnya selesai), dalam menit kerja.",
    "rework": "Pengulangan: jumlah berkas yang langkah ini dikerjakan lebih dari sekali.",
    "lead_time": "Waktu selesai berkas (lead time) = ditutup − dibuat, dalam waktu kerja; median atas berkas yang "
                 "ditutup dalam periode. Targetnya (hanya untuk satu SOP) = median jumlah mutu baku semua langkah. "
                 "Waktu sentuh = jumlah waktu proses langkahnya; efisiensi alur = waktu sentuh ÷ waktu selesai.",
    "terbuka": "Pekerjaan terbuka: langkah yang belum selesai saat ini, umurnya dihitung sejak tersedia. "
               "Terlambat: melewati jatuh tempo; segera: lebih dari separuh target terpakai.",
    "hambatan": "Hambatan: (median waktu proses − target) × jumlah langkah, untuk langkah bertarget menit kerja.",
}


@dataclass(frozen=True)
class Headline:
    cases_started: int
    cases_completed: int
    open_cases: int
    open_runs: int
    overdue_runs: int
    overdue_cases: int
    judged_runs: int
    within_pct: float | None
    median_lead_working_min: float | None
    median_lead_elapsed_min: float | None
    median_target_sum_working_min: float | None


@dataclass
class Dashboard:
    """All dashboard figures for one filter (what the KPI page draws)."""
    data: KpiData
    headline: Headline
    steps: pd.DataFrame
    cases: pd.DataFrame
    roles: pd.DataFrame
    open_work: pd.DataFrame
    step_month: pd.DataFrame
    trend: pd.DataFrame
    bottlenecks: pd.DataFrame


# --- the frames every figure starts from ---------------------------------------------------------------
def _cached(data: KpiData, key: str, make):
    if key not in data.cache:
        data.cache[key] = make()
    return data.cache[key]


def _selected(data: KpiData) -> pd.DataFrame:
    runs = data.runs
    if data.role is None:
        return runs
    return _cached(data, "selected", lambda: runs[runs["role"] == data.role])


def _done_in_period(data: KpiData) -> pd.DataFrame:
    return _cached(data, "done", lambda: _selected(data)[_selected(data)["in_period"]])


def _labels(data: KpiData, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the step's labels (kegiatan, pelaksana, target texts) of the run's own revision."""
    cols = ["revision_id", "step_no", "kegiatan", "pelaksana", "target_text", "target_label"]
    return frame.merge(data.steps[cols], on=["revision_id", "step_no"], how="left")


# --- aggregates ---------------------------------------------------------------------------------------
_STAT_COLUMNS = ["n", "n_started", "n_without_start",
                 "median_working_min", "p90_working_min", "mean_working_min", "max_working_min",
                 "median_elapsed_min", "p90_elapsed_min", "mean_elapsed_min", "max_elapsed_min",
                 "judged", "within", "within_pct", "median_ratio", "median_wait_working_min", "rework_cases"]


_AGGREGATED = ["case_id", "started_at", "processing_working_min", "processing_elapsed_min", "within", "ratio",
               "wait_working_min", "step_runs_in_case"]


def _aggregate(done: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The processing statistics of completed runs grouped by ``keys`` (definitions: module docstring)."""
    if done.empty:
        return pd.DataFrame(columns=keys + _STAT_COLUMNS).set_index(keys)
    done = done[list(dict.fromkeys(keys + _AGGREGATED))]  # only these columns are filtered and grouped below
    g = done.groupby(keys, sort=True)
    out = pd.DataFrame({"n": g.size()})
    started = done[done["started_at"].notna()]
    gs = started.groupby(keys, sort=True)
    pw, pe = gs["processing_working_min"], gs["processing_elapsed_min"]
    stats = pd.DataFrame({
        "n_started": gs.size(),
        "median_working_min": pw.median(), "p90_working_min": pw.quantile(0.9),
        "mean_working_min": pw.mean(), "max_working_min": pw.max(),
        "median_elapsed_min": pe.median(), "p90_elapsed_min": pe.quantile(0.9),
        "mean_elapsed_min": pe.mean(), "max_elapsed_min": pe.max(),
        "judged": gs["within"].count(), "within": gs["within"].sum(min_count=1),
        "median_ratio": gs["ratio"].median(), "median_wait_working_min": gs["wait_working_min"].median()})
    out = out.join(stats, how="left")
    rework = done[done["step_runs_in_case"] > 1].groupby(keys)["case_id"].nunique()
    out["rework_cases"] = rework
    for c in ("n_started", "judged", "within", "rework_cases"):
        out[c] = out[c].fillna(0).astype("int64")
    out["n_without_start"] = out["n"] - out["n_started"]
    judged = out["judged"].where(out["judged"] > 0)
    out["within_pct"] = np.where(out["judged"] > 0, 100.0 * out["within"] / judged, np.nan)
    return out[_STAT_COLUMNS]


def _step_labels(data: KpiData, by_revision: bool) -> pd.DataFrame:
    """The rows a per-step table shows: the steps of the revisions in force, plus steps that only older
    revisions with runs have; with by_revision every revision with runs gets its own rows."""
    label_cols = ["kegiatan", "pelaksana", "actor_code", "target_text", "target_label", "target_unit",
                  "target_working_min"]
    if by_revision:
        used = set(data.runs["revision_id"].unique().tolist()) | set(data.current_steps["revision_id"].tolist())
        rows = data.steps[data.steps["revision_id"].isin(used) & data.steps["sop_id"].isin(list(data.sops))]
        return rows[["sop_id", "revision_no", "step_no", "revision_id"] + label_cols].set_index(
            ["sop_id", "revision_no", "step_no"]).sort_index()
    cur = data.current_steps[["sop_id", "step_no", "revision_no"] + label_cols]
    used = data.runs[["revision_id"]].drop_duplicates()
    older = data.steps.merge(used, on="revision_id").sort_values("revision_no", ascending=False)
    older = older[["sop_id", "step_no", "revision_no"] + label_cols].drop_duplicates(["sop_id", "step_no"])
    both = pd.concat([cur, older], ignore_index=True).drop_duplicates(["sop_id", "step_no"], keep="first")
    both = both.rename(columns={"revision_no": "target_revision_no"})
    return both.set_index(["sop_id", "step_no"]).sort_index()


def step_stats(data: KpiData, by_revision: bool = False) -> pd.DataFrame:
    """One row per step (``sop_id``, ``step_no``; with ``by_revision`` also ``revision_no``).

    Columns: ``kegiatan``, ``pelaksana``, ``actor_code`` (the SOP's actor column), ``target_text``,
    ``target_label``, ``target_unit``,
    ``target_working_min`` (empty for ``bulan``/``tanggal``/no target), ``target_revision_no`` (pooled: the
    revision whose target is shown) and the statistics of :data:`_STAT_COLUMNS` — ``n``, ``n_started``,
    ``n_without_start``, ``median/p90/mean/max_working_min``, ``median/p90/mean/max_elapsed_min``,
    ``judged``, ``within``, ``within_pct``, ``median_ratio``, ``median_wait_working_min``, ``rework_cases``.
    Every step of the revisions in force is listed, with ``n`` = 0 when nothing was completed.
    """
    keys = ["sop_id", "revision_no", "step_no"] if by_revision else ["sop_id", "step_no"]
    labels = _step_labels(data, by_revision)
    stats = _aggregate(_done_in_period(data), keys)
    out = labels.join(stats, how="outer")
    for c in ("n", "n_started", "n_without_start", "judged", "within", "rework_cases"):
        out[c] = out[c].fillna(0).astype("int64")
    return out.reset_index()


def role_stats(data: KpiData) -> pd.DataFrame:
    """One row per role: the statistics of :func:`step_stats` over all steps done in that role, and the
    workload ``completed`` (= ``n``), ``open`` and ``open_overdue`` (open runs now)."""
    stats = _cached(data, "role_done", lambda: _aggregate(_done_in_period(data), ["role"]))
    ow = open_work(data)
    open_counts = ow.groupby("role").size().rename("open")
    overdue = ow[ow["status"] == "terlambat"].groupby("role").size().rename("open_overdue")
    out = stats.join(open_counts, how="outer").join(overdue, how="left")
    for c in ("n", "n_started", "n_without_start", "judged", "within", "rework_cases", "open", "open_overdue"):
        out[c] = out[c].fillna(0).astype("int64")
    out["completed"] = out["n"]
    out.index.name = "role"
    return out.reset_index().sort_values("role", key=lambda s: s.map(
        {r: i for i, r in enumerate(ROLE_CODES)})).reset_index(drop=True)


def case_stats(data: KpiData) -> pd.DataFrame:
    """One row per case created or closed in the period, or open now.

    Columns: ``case_id``, ``register_no``, ``sop_id``, ``revision_id``, ``revision_no``, ``state``,
    ``created_at``, ``closed_at``, ``created_in_period``, ``closed_in_period``, ``lead_working_min``,
    ``lead_elapsed_min``, ``touch_working_min``, ``touch_elapsed_min``, ``flow_efficiency``, ``runs``,
    ``judged``, ``within_pct``, ``rework_steps`` (steps that ran more than once), ``target_sum_working_min``.
    """
    runs = data.runs
    cols = ["case_id", "register_no", "sop_id", "revision_id", "revision_no", "case_state", "case_created_at",
            "case_closed_at", "target_sum_working_min"]
    cases = runs[cols].drop_duplicates("case_id").set_index("case_id")
    cases = cases.rename(columns={"case_state": "state", "case_created_at": "created_at",
                                  "case_closed_at": "closed_at"})
    g = runs.groupby("case_id")
    started = runs[runs["started_at"].notna() & runs["completed_at"].notna()].groupby("case_id")
    cases["runs"] = g.size()
    cases["touch_working_min"] = started["processing_working_min"].sum()
    cases["touch_elapsed_min"] = started["processing_elapsed_min"].sum()
    cases["judged"] = g["within"].count()
    cases["within_pct"] = 100.0 * g["within"].sum() / cases["judged"].where(cases["judged"] > 0)
    rework = runs[runs["step_runs_in_case"] > 1].groupby("case_id")["step_no"].nunique()
    cases["rework_steps"] = rework.reindex(cases.index).fillna(0).astype("int64")
    closed = cases["closed_at"].notna()
    cases["lead_working_min"] = np.nan
    if closed.any():
        cases.loc[closed, "lead_working_min"] = data.calendar.working_minutes_array(
            cases.loc[closed, "created_at"], cases.loc[closed, "closed_at"])
    cases["lead_elapsed_min"] = (cases["closed_at"] - cases["created_at"]) / pd.Timedelta(minutes=1)
    cases["flow_efficiency"] = cases["touch_working_min"] / cases["lead_working_min"].where(
        cases["lead_working_min"] > 0)
    cases["created_in_period"] = _between(cases["created_at"], data)
    cases["closed_in_period"] = _between(cases["closed_at"], data)
    keep = cases["created_in_period"] | cases["closed_in_period"] | ~closed
    out = cases[keep].reset_index()
    order = ["case_id", "register_no", "sop_id", "revision_id", "revision_no", "state", "created_at", "closed_at",
             "created_in_period", "closed_in_period", "lead_working_min", "lead_elapsed_min", "touch_working_min",
             "touch_elapsed_min", "flow_efficiency", "runs", "judged", "within_pct", "rework_steps",
             "target_sum_working_min"]
    return out[order].sort_values(["sop_id", "created_at"]).reset_index(drop=True)


def _between(values: pd.Series, data: KpiData) -> pd.Series:
    ok = values.notna()
    if data.start is not None:
        ok &= values >= data.start
    if data.end is not None:
        ok &= values < data.end
    return ok


def open_work(data: KpiData) -> pd.DataFrame:
    """Every run not completed at ``data.now`` (filters of SOP, bidang and role apply; the period does not).

    Columns: ``run_id``, ``case_id``, ``register_no``, ``sop_id``, ``revision_no``, ``step_no``, ``kegiatan``,
    ``pelaksana``, ``role``, ``attempt``, ``case_state``, ``available_at``, ``started_at``, ``age_working_min``,
    ``age_elapsed_min``, ``target_label``, ``target_working_min``, ``due_at``, ``used_pct``, ``status``.
    Sorted: ``terlambat`` first, then ``segera``, then ``normal``; within each, the earliest due first.
    """
    return _cached(data, "open_work", lambda: _open_work(data)).copy()


def _open_work(data: KpiData) -> pd.DataFrame:
    runs = _selected(data)
    op = _labels(data, runs[runs["is_open"]])
    now = data.now
    op["age_working_min"] = data.calendar.working_minutes_array(
        op["available_at"], pd.Series(now, index=op.index))
    op["age_elapsed_min"] = (now - op["available_at"]) / pd.Timedelta(minutes=1)
    due = []
    for rid, no, avail in zip(op["revision_id"].tolist(), op["step_no"].tolist(), op["available_at"].tolist()):
        t = data.targets.get((rid, no))
        due.append(pd.Timestamp(data.calendar.due(avail.to_pydatetime(), t)).tz_convert("UTC") if t else pd.NaT)
    op["due_at"] = pd.Series(due, index=op.index, dtype="datetime64[ns, UTC]")
    window = (op["due_at"] - op["available_at"]) / pd.Timedelta(minutes=1)
    used = np.where(op["target_working_min"].notna(), op["age_working_min"] / op["target_working_min"],
                    op["age_elapsed_min"] / window.where(window > 0))
    op["used_pct"] = 100.0 * used
    status = np.where(op["due_at"].notna() & (op["due_at"] < now), "terlambat",
                      np.where(op["used_pct"] > 50.0, "segera", "normal"))
    op["status"] = status
    op["_rank"] = op["status"].map({"terlambat": 0, "segera": 1, "normal": 2})
    cols = ["run_id", "case_id", "register_no", "sop_id", "revision_no", "step_no", "kegiatan", "pelaksana", "role",
            "attempt", "case_state", "available_at", "started_at", "age_working_min", "age_elapsed_min",
            "target_label", "target_working_min", "due_at", "used_pct", "status"]
    return op.sort_values(["_rank", "due_at", "available_at"], na_position="last")[cols].reset_index(drop=True)


def step_month_table(data: KpiData) -> pd.DataFrame:
    """% of judged runs within target, per step (rows: ``sop_id``, ``step_no``) and WIB month of completion
    (columns ``YYYY-MM``). Empty cells: nothing judged that month."""
    done = _done_in_period(data)
    judged = done[done["within"].notna()]
    if judged.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["sop_id", "step_no"]))
    table = judged.pivot_table(index=["sop_id", "step_no"], columns="month", values="within", aggfunc="mean")
    table = table * 100.0
    table.columns.name = "month"
    return table[sorted(table.columns)]


def monthly_trend(data: KpiData) -> pd.DataFrame:
    """Per WIB month of the period: ``completed_runs``, ``judged``, ``within``, ``within_pct``,
    ``cases_started``, ``cases_completed``."""
    done = _done_in_period(data)
    g = done.groupby("month")
    out = pd.DataFrame({"completed_runs": g.size(), "judged": g["within"].count(),
                        "within": g["within"].sum(min_count=1)})
    cases = data.runs.drop_duplicates("case_id")
    for name, col in (("cases_started", "case_created_at"), ("cases_completed", "case_closed_at")):
        sel = cases[_between(cases[col], data)]
        local = sel[col].dt.tz_convert(WIB)
        out = out.join(pd.Series([f"{y:04d}-{m:02d}" for y, m in zip(local.dt.year, local.dt.month)],
                                 dtype=object).value_counts().rename(name), how="outer")
    out = out.sort_index()
    if len(out):
        months = pd.period_range(out.index.min(), out.index.max(), freq="M").strftime("%Y-%m")
        out = out.reindex(months)
    for c in ("completed_runs", "judged", "within", "cases_started", "cases_completed"):
        out[c] = out[c].fillna(0).astype("int64")
    out["within_pct"] = 100.0 * out["within"] / out["judged"].where(out["judged"] > 0)
    out.index.name = "month"
    return out.reset_index()[["month", "completed_runs", "judged", "within", "within_pct", "cases_started",
                              "cases_completed"]]


def bottlenecks(data: KpiData, steps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Steps with a working-minute target over it, ranked by ``excess_total_min`` (see the module docstring);
    steps of the applicant (:data:`APPLICANT`) and steps within their target are left out.

    Columns: ``rank``, ``sop_id``, ``step_no``, ``kegiatan``, ``pelaksana``, ``n``, ``n_started``,
    ``median_working_min``, ``target_working_min``, ``excess_per_run_min``, ``excess_total_min``, ``within_pct``.
    """
    steps = step_stats(data) if steps is None else steps
    done = _done_in_period(data)
    judged = done[done["target_working_min"].notna() & done["processing_working_min"].notna()]
    excess = (judged["processing_working_min"] - judged["target_working_min"]).groupby(
        [judged["sop_id"], judged["step_no"]]).median().rename("excess_per_run_min")
    out = steps.set_index(["sop_id", "step_no"]).join(excess, how="inner").reset_index()
    out["excess_total_min"] = out["excess_per_run_min"].clip(lower=0) * out["n"]
    out = out[(out["excess_total_min"] > 0) & (out["actor_code"] != APPLICANT)]
    out = out.sort_values(["excess_total_min", "excess_per_run_min"], ascending=False).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[["rank", "sop_id", "step_no", "kegiatan", "pelaksana", "n", "n_started", "median_working_min",
                "target_working_min", "excess_per_run_min", "excess_total_min", "within_pct"]]


def breaches(session: Session, actor: Actor, data: KpiData, sop_id: str | None = None,
             step_no: int | None = None) -> pd.DataFrame:
    """The runs completed in the period that missed their target, for a drill-down and its download: of one
    step (``sop_id``, ``step_no``), or of every step of every SOP of the filter (both None).

    Requires ``view_dashboard`` on the bidang of every SOP listed. Columns: ``sop_id``, ``step_no``,
    ``kegiatan``, ``register_no``, ``applicant_name``, ``revision_no``, ``attempt``, ``role``, ``officer_name``
    (the user who did the run), ``available_at``, ``started_at``, ``completed_at`` (WIB), ``wait_working_min``,
    ``processing_working_min``, ``processing_elapsed_min``, ``target_label``, ``target_working_min``,
    ``over_target_working_min``, ``outcome``. Call :func:`record_export` when the rows leave the portal as a
    file (names are personal data).
    """
    ids = list(data.sops) if sop_id is None else [sop_id]
    for sid in ids:
        sop = data.sops.get(sid)
        require(actor, "view_dashboard", sop.scope if sop else None)
    done = _done_in_period(data)
    late = done["sop_id"].isin(ids) & (done["within"] == 0)
    if step_no is not None:
        late &= done["step_no"] == step_no
    rows = _labels(data, done[late])
    rows["applicant_name"] = rows["case_id"].map(_names(session, Case.id, Case.applicant_name, rows["case_id"]))
    officers = _names(session, User.id, User.name, rows["actor_id"].dropna().astype("int64"))
    rows["officer_name"] = pd.Series([None if pd.isna(i) else officers.get(int(i)) for i in rows["actor_id"]],
                                     index=rows.index, dtype=object)
    for c in ("available_at", "started_at", "completed_at"):
        rows[c] = rows[c].dt.tz_convert(WIB)
    rows["over_target_working_min"] = rows["processing_working_min"] - rows["target_working_min"]
    cols = ["sop_id", "step_no", "kegiatan", "register_no", "applicant_name", "revision_no", "attempt", "role",
            "officer_name", "available_at", "started_at", "completed_at", "wait_working_min",
            "processing_working_min", "processing_elapsed_min", "target_label", "target_working_min",
            "over_target_working_min", "outcome"]
    return rows.sort_values(["sop_id", "step_no", "completed_at"])[cols].reset_index(drop=True)


def _names(session: Session, key, name, ids: pd.Series) -> dict[int, str | None]:
    """``key`` → ``name`` for the given ids, read in chunks (a long period lists many cases)."""
    out: dict[int, str | None] = {}
    wanted = sorted(set(int(i) for i in ids.tolist()))
    for i in range(0, len(wanted), 5000):
        out.update(session.execute(select(key, name).where(key.in_(wanted[i:i + 5000]))).all())
    return out


def record_export(session: Session, actor: Actor, breaches_rows: pd.DataFrame) -> None:
    """Log the download of a breach list (it holds applicants' names) in the audit log, one entry per SOP."""
    for sid, steps in breaches_rows.groupby("sop_id")["step_no"]:
        audit.record(session, actor, "ekspor", "sop", sid,
                     f"daftar langkah melewati target: langkah {', '.join(map(str, sorted(set(steps))))} "
                     f"({len(steps)} baris)")


CHANNEL_COLUMNS = ["layanan", "kanal", "sop_id", "cases_started", "cases_completed", "median_lead_elapsed_min",
                   "median_lead_working_min", "judged", "within_pct"]


def channel_stats(data: KpiData, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The channels of a service side by side: one row per selected SOP that is a ``kanal`` of a ``layanan``.

    ``cases_started``/``cases_completed``: cases created/closed in the period; ``median_lead_*``: lead time of
    the cases closed in the period (calendar minutes, and working minutes); ``within_pct``: steps completed in
    the period within their mutu baku, of ``judged`` (empty when nothing was judged).
    """
    cases = case_stats(data) if cases is None else cases
    done = _done_in_period(data)
    rows = []
    for sid, sop in data.sops.items():
        if not sop.kanal:
            continue
        mine = cases[cases["sop_id"] == sid]
        closed = mine[mine["closed_in_period"]]
        within = done.loc[done["sop_id"] == sid, "within"]
        judged = int(within.count())
        rows.append({"layanan": sop.layanan, "kanal": sop.kanal, "sop_id": sid,
                     "cases_started": int(mine["created_in_period"].sum()), "cases_completed": len(closed),
                     "median_lead_elapsed_min": _num(closed["lead_elapsed_min"].median()),
                     "median_lead_working_min": _num(closed["lead_working_min"].median()),
                     "judged": judged, "within_pct": _num(100.0 * within.sum() / judged) if judged else None})
    return pd.DataFrame(rows, columns=CHANNEL_COLUMNS).sort_values(["layanan", "kanal"]).reset_index(drop=True)


def headline(data: KpiData, open_runs: pd.DataFrame | None = None) -> Headline:
    """The headline figures of a filter (definitions: module docstring)."""
    ow = open_work(data) if open_runs is None else open_runs
    overdue = ow[ow["status"] == "terlambat"]
    return Headline(**_cached(data, "headline", lambda: _headline_of_period(data)),
                    open_runs=len(ow), overdue_runs=len(overdue), overdue_cases=int(overdue["case_id"].nunique()))


def _headline_of_period(data: KpiData) -> dict:
    """The headline figures that do not depend on ``data.now``."""
    cases = data.runs.drop_duplicates("case_id")
    done = _done_in_period(data)
    judged = int(done["within"].count())
    closed = cases[_between(cases["case_closed_at"], data)]
    lead_w = data.calendar.working_minutes_array(closed["case_created_at"], closed["case_closed_at"])
    lead_e = (closed["case_closed_at"] - closed["case_created_at"]) / pd.Timedelta(minutes=1)
    return dict(
        cases_started=int(_between(cases["case_created_at"], data).sum()),
        cases_completed=len(closed),
        open_cases=int(cases["case_closed_at"].isna().sum()),
        judged_runs=judged, within_pct=_num(100.0 * done["within"].sum() / judged) if judged else None,
        median_lead_working_min=_num(np.median(lead_w)) if len(closed) else None,
        median_lead_elapsed_min=_num(lead_e.median()) if len(closed) else None,
        median_target_sum_working_min=_num(closed["target_sum_working_min"].median()))


def dashboard(session: Session, date_from: dt.date | None = None, date_to: dt.date | None = None, sop_ids=None,
              bidang: str | None = None, role: str | None = None, now: dt.datetime | None = None) -> Dashboard:
    """Load once and compute every dashboard figure."""
    data = load(session, date_from, date_to, sop_ids, bidang, role, now)
    ow = open_work(data)
    steps = step_stats(data)
    return Dashboard(data=data, headline=headline(data, ow), steps=steps, cases=case_stats(data),
                     roles=role_stats(data), open_work=ow, step_month=step_month_table(data),
                     trend=monthly_trend(data), bottlenecks=bottlenecks(data, steps))


def at(board: Dashboard, now: dt.datetime) -> Dashboard:
    """``board`` as it reads at ``now`` with no data changed since it was computed: open work (ages, due
    status), the headline's open and overdue counts and the per-role workload are recomputed; every figure of
    the period (the costly part) is kept. What a cache of boards (:func:`data_version`) serves as time passes."""
    kept = {k: v for k, v in board.data.cache.items() if k != "open_work"}
    data = dataclasses.replace(board.data, now=pd.Timestamp(now).tz_convert("UTC"), cache=kept)
    ow = open_work(data)
    return dataclasses.replace(board, data=data, headline=headline(data, ow), roles=role_stats(data), open_work=ow)


def data_version(session: Session) -> tuple:
    """A cheap fingerprint of everything the figures are computed from, for caches to know when to recompute:
    the newest audit entry's id that is not an access only (:data:`lib.base.audit.ACCESS_ONLY`: a login, a reload,
    an export), and the newest case's and step run's.

    Every change the portal makes to a case, a step run, an SOP revision or the working calendar writes an audit
    entry in the same transaction, and audit entries are appended one at a time in commit order with the next
    id (the hash chain, :mod:`lib.base.audit_chain`), so the newest id moves with every such commit; the other two
    catch rows written in bulk under one entry. Lookups backwards along primary keys, whatever the size (the
    first only passes the access entries written since the last change)."""
    changed = (select(AuditEntry.id).where(AuditEntry.action.not_in(sorted(audit.ACCESS_ONLY)))
               .order_by(AuditEntry.id.desc()).limit(1))
    newest = [changed.scalar_subquery(), select(func.max(Case.id)).scalar_subquery(),
              select(func.max(StepRun.id)).scalar_subquery()]
    return tuple(session.execute(select(*newest)).one())


# --- JSON for scripts ---------------------------------------------------------------------------------
def _num(x) -> float | None:
    if x is None or pd.isna(x):
        return None
    return round(float(x), 2)


def summary_json(session: Session, sop_id: str | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> dict:
    """Per SOP: cases started and completed in the period and the per-step figures (``python -m lib kpi``).

    ``layanan`` and ``kanal`` name the service and the channel of an SOP that is one channel of a service
    (e.g. BPU registration at the counter, at a bank, online, through an agent), so channels can be compared.

    Floats are rounded to 2 decimals; a figure that does not apply is ``None``.
    """
    data = load(session, date_from, date_to, [sop_id] if sop_id else None, lean=True)
    steps = step_stats(data)
    cases = data.runs.drop_duplicates("case_id")
    out = []
    for sid in data.sops:
        mine = cases[cases["sop_id"] == sid]
        rows = steps[steps["sop_id"] == sid].sort_values("step_no")
        out.append({
            "sop_id": sid, "layanan": data.sops[sid].layanan, "kanal": data.sops[sid].kanal,
            "cases_started": int(_between(mine["case_created_at"], data).sum()),
            "cases_completed": int(_between(mine["case_closed_at"], data).sum()),
            "steps": [{"no": int(r.step_no), "n": int(r.n),
                       "median_elapsed_min": _num(r.median_elapsed_min), "p90_elapsed_min": _num(r.p90_elapsed_min),
                       "median_working_min": _num(r.median_working_min), "p90_working_min": _num(r.p90_working_min),
                       "target_working_min": _num(r.target_working_min),
                       "within_pct": _num(r.within_pct) if r.judged else None,
                       "median_wait_working_min": _num(r.median_wait_working_min),
                       "rework_cases": int(r.rework_cases)}
                      for r in rows.itertuples(index=False)]})
    return {"sops": out}
