"""Benchmark: working minutes over many (start, end) pairs, vectorised against the row-by-row path.

    python bench/worktime_bench.py [--rows 1000000] [--scalar-rows 20000] [--seed 7]

Prints the machine, the timings and the largest difference between the two paths on the scalar sample.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lib.base.worktime import WorkCalendar  # noqa: E402


def make_pairs(rows: int, seed: int) -> tuple[pd.Series, pd.Series]:
    """Starts spread over 2024–2026 (UTC), durations from minutes to weeks, like real step runs."""
    rng = np.random.default_rng(seed)
    origin = np.datetime64("2024-01-01T00:00:00", "s")
    span = 3 * 365 * 86400
    starts = origin + rng.integers(0, span, rows).astype("timedelta64[s]")
    durations = np.exp(rng.uniform(np.log(60), np.log(21 * 86400), rows)).astype("int64")
    ends = starts + durations.astype("timedelta64[s]")
    return (pd.Series(pd.to_datetime(starts).tz_localize("UTC")),
            pd.Series(pd.to_datetime(ends).tz_localize("UTC")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--scalar-rows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    starts, ends = make_pairs(args.rows, args.seed)
    cal = WorkCalendar()
    cal.working_minutes_array(starts[:10], ends[:10])  # build the calendar index once (holidays lookup)

    t0 = time.perf_counter()
    vec = cal.working_minutes_array(starts, ends)
    t_vec = time.perf_counter() - t0

    n = min(args.scalar_rows, args.rows)
    s_list, e_list = starts[:n].dt.to_pydatetime(), ends[:n].dt.to_pydatetime()
    t0 = time.perf_counter()
    scalar = np.array([cal.working_minutes(a, b) for a, b in zip(s_list, e_list)])
    t_scalar = time.perf_counter() - t0
    diff = float(np.max(np.abs(scalar - vec[:n])))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"vectorised: {args.rows:,} rows in {t_vec:.3f} s ({args.rows / t_vec / 1e6:.1f} M rows/s)")
    print(f"row by row: {n:,} rows in {t_scalar:.3f} s "
          f"(≈ {t_scalar / n * args.rows:.1f} s for {args.rows:,} rows)")
    print(f"speed-up: {t_scalar / n * args.rows / t_vec:.0f}x; largest difference: {diff:.2e} min")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
