"""Benchmark: the KPI dashboard (load once + every figure) on the demo history and on a larger one.

    python bench/kpi_bench.py [--scale 6] [--repeat 5] [--database-url postgresql://...]

For each history (the demo history as the app makes it, and the same generator with ``--scale`` times the
cases, about 200,000 step runs at 6), in a fresh database (a temporary SQLite file unless
``--database-url`` names an empty PostgreSQL database or schema):

* how long ``demo.fill_history`` takes;
* ``kpi.dashboard`` for everything (all SOPs, all time): the first call in the process (cold: the
  holidays lookup, the calendar index and the revision parsing happen here) and the minimum and median
  of ``--repeat`` further calls (warm), split into ``kpi.load`` and the figures computed from the frame
  (the minimum is the figure to quote on a shared machine: other processes only ever add time);
* ``kpi.dashboard`` for one SOP over the last three months (what a Kepala Bidang opens most).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
from lib.base import accounts
from lib.base.db import session_factory
from lib.measure import kpi
from lib.setup import database as setup
from lib.setup import demo

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def dashboard(url: str, **kw) -> kpi.Dashboard:
    with session_factory(url)() as s:
        return kpi.dashboard(s, now=NOW, **kw)


def split(url: str) -> tuple[float, float]:
    """Seconds for kpi.load, and for every figure computed from the loaded frame."""
    with session_factory(url)() as s:
        data, t_load = timed(lambda: kpi.load(s, now=NOW))
    t0 = time.perf_counter()
    ow = kpi.open_work(data)
    steps = kpi.step_stats(data)
    kpi.headline(data, ow), kpi.case_stats(data), kpi.role_stats(data), kpi.step_month_table(data)
    kpi.monthly_trend(data), kpi.bottlenecks(data, steps)
    return t_load, time.perf_counter() - t0


def run(label: str, url: str, scale: float, repeat: int) -> None:
    setup.init(url)
    with session_factory(url).begin() as s:
        accounts.ensure_demo_users(s)
    with session_factory(url).begin() as s:
        made, t_fill = timed(lambda: demo.fill_history(s, now=NOW, scale=scale))
    cold_d, t_cold = timed(lambda: dashboard(url))
    warm = [timed(lambda: dashboard(url))[1] for _ in range(repeat)]
    parts = [split(url) for _ in range(repeat)]
    since = (NOW - dt.timedelta(days=91)).date()
    one = [timed(lambda: dashboard(url, sop_ids=["kartu-ak1"], date_from=since, date_to=NOW.date()))[1]
           for _ in range(repeat)]
    print(f"{label}: {made.cases:,} cases, {made.step_runs:,} step runs "
          f"({len(cold_d.open_work):,} open); fill_history {t_fill:.2f} s")
    print(f"  dashboard, everything: cold {t_cold:.2f} s, warm min {min(warm):.2f} s / median "
          f"{statistics.median(warm):.2f} s (load min {min(p[0] for p in parts):.2f} s + figures min "
          f"{min(p[1] for p in parts):.2f} s)")
    print(f"  dashboard, kartu-ak1, last 3 months: warm min {min(one):.2f} s / median {statistics.median(one):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=6.0, help="case multiplier of the larger history")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--database-url", help="an empty PostgreSQL database (two schemas are created and dropped)")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    for label, scale in (("demo history", 1.0), (f"larger history (scale {args.scale:g})", args.scale)):
        if args.database_url:
            schema = f"kpi_bench_{int(scale * 10)}"
            admin = create_engine(args.database_url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.database_url else "?"
            try:
                run(f"{label}, PostgreSQL", f"{args.database_url}{sep}options=-csearch_path%3D{schema}", scale,
                    args.repeat)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run(f"{label}, SQLite", f"sqlite:///{tmp}/bench.db", scale, args.repeat)
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
