"""The CLI's fixed start-up: ``python -m lib sop list --json`` as its own process, beside peers in the same run.

Peers: Python itself (``-c pass``), ``import sqlalchemy.orm`` (the least a command that reads the database
loads) and ``import pandas, sqlalchemy``. Each is run ``--repeat`` times, alternately; the figures are the
median CPU time (user + system of the child), the median wall time and the largest peak RSS. The database is a
freshly initialised SQLite file (the catalogue loaded, no history). Bytecode is cached as in a deployment
(``PYTHONPYCACHEPREFIX`` in a scratch folder, written by a first untimed run), whatever PYTHONDONTWRITEBYTECODE says.

    python bench/startup_bench.py --repeat 11
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("python -c pass", ["-c", "pass"]),
    ("import sqlalchemy.orm", ["-c", "import sqlalchemy.orm"]),
    ("import pandas, sqlalchemy", ["-c", "import pandas, sqlalchemy"]),
    ("python -m lib sop list --json", ["-m", "lib", "sop", "list", "--json"]),
]


def timed(args: list[str], env: dict) -> tuple[float, float, float]:
    """(CPU s, wall s, peak RSS MB) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{args} failed with status {status}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"DATABASE_URL": f"sqlite:///{scratch / 'portal.db'}", "PYTHONPYCACHEPREFIX": str(scratch / "pyc")}
    subprocess.run([sys.executable, "-m", "lib", "init"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    for _, case in CASES:  # writes the bytecode caches
        timed(case, env)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in CASES}
    for _ in range(args.repeat):
        for name, case in CASES:
            runs[name].append(timed(case, env))
    medians = {}
    for name, _ in CASES:
        cpu = statistics.median(r[0] for r in runs[name])
        wall = statistics.median(r[1] for r in runs[name])
        medians[name] = cpu
        print(f"{name:<32} CPU median {cpu:.3f} s, wall median {wall:.3f} s (min {min(r[1] for r in runs[name]):.3f}),"
              f" peak RSS {max(r[2] for r in runs[name]):.0f} MB")
    project = medians["python -m lib sop list --json"]
    for peer in ("import sqlalchemy.orm", "import pandas, sqlalchemy"):
        print(f"sop list / {peer}: CPU {project / medians[peer]:.2f}×")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
