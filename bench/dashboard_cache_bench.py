"""Benchmark: the dashboard's figures as the page gets them (``lib.ui.data.kpi_dashboard``), at 10× the demo history.

    python bench/dashboard_cache_bench.py [--scale 10] [--repeat 7]

In a fresh SQLite database filled by ``demo.fill_history(scale=...)``, for "everything, all time" (every SOP, no
period, no bidang or role):

* from scratch: ``kpi.dashboard`` (what the page computed every minute while the figures were kept for 60 s);
* warm, same minute: ``kpi_dashboard`` again (the data-version query and a cache hit);
* warm, a later minute without writes: the data-version query and ``kpi.at`` (open work brought up to date);
* after a write (one audit entry): recomputed from scratch, as it must be.

The peer in the same run is ``kpi.dashboard`` from scratch on the demo history itself (scale 1). Each figure is the
median of ``--repeat`` calls: CPU time of this process (``time.process_time``) and wall time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
logging.getLogger("streamlit").setLevel(logging.ERROR)


def measure(fn, repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def fill(url: str, scale: float) -> tuple[int, float]:
    from lib.base import accounts
    from lib.base.db import session_factory
    from lib.setup import database as setup
    from lib.setup import demo

    setup.init(url)
    with session_factory(url).begin() as s:
        accounts.ensure_demo_users(s)
    started = time.perf_counter()
    with session_factory(url).begin() as s:
        made = demo.fill_history(s, scale=scale)
    return made.step_runs, time.perf_counter() - started


def line(label: str, figures: tuple[float, float]) -> str:
    return f"  {label:<58} CPU {figures[0]:6.3f} s, wall {figures[1]:6.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from lib.base import audit
    from lib.base.db import session_factory, utcnow
    from lib.catalogue import store
    from lib.measure import kpi
    from lib.ui import data

    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        peer_url, url = f"sqlite:///{tmp}/demo.db", f"sqlite:///{tmp}/scaled.db"
        peer_runs, peer_fill = fill(peer_url, 1.0)
        runs, t_fill = fill(url, args.scale)
        with session_factory(url)() as s:
            sops = tuple(i for i, a in store.active_documents(s).items() if a.doc.jenis == "sop")

        def scratch(u):
            with session_factory(u)() as s:
                return kpi.dashboard(s, None, None, list(sops))

        scratch(peer_url)  # the process's first call: holidays lookup, calendar index
        print(f"demo history: {peer_runs:,} step runs (fill {peer_fill:.1f} s); scale {args.scale:g}: {runs:,} step "
              f"runs (fill {t_fill:.1f} s)")
        peer = measure(lambda: scratch(peer_url), args.repeat)
        print(line("peer: kpi.dashboard from scratch, demo history", peer))
        cold = measure(lambda: scratch(url), args.repeat)
        print(line(f"kpi.dashboard from scratch, scale {args.scale:g}", cold))
        with mock.patch.dict(os.environ, {"DATABASE_URL": url}):
            page = lambda: data.kpi_dashboard(None, None, sops, None, None)  # noqa: E731
            page()
            same = measure(page, args.repeat)
            print(line("page, warm, same minute (version query + cache hit)", same))
            minutes = iter(range(1, 10_000))

            def later_minute():
                with mock.patch.object(data, "utcnow", lambda: utcnow() + dt.timedelta(minutes=next(minutes))):
                    return data.kpi_dashboard(None, None, sops, None, None)

            later = measure(later_minute, args.repeat)
            print(line("page, warm, a later minute, no writes (version + kpi.at)", later))

            def after_write():
                with session_factory(url).begin() as s:
                    audit.record(s, None, "ubah_pengaturan", "bench", None, "a write")
                return data.kpi_dashboard(None, None, sops, None, None)

            written = measure(after_write, max(3, args.repeat // 2))
            print(line("page after a write (recomputed)", written))
        print(f"  ratios (CPU): warm later minute / peer {later[0] / peer[0]:.2f}×; from scratch / peer "
              f"{cold[0] / peer[0]:.2f}×")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
