"""Benchmark: event import and the KPI command at 100,000, 300,000 and 1,000,000 step runs, each beside a peer.

    python bench/scale_data.py 100000 300000 1000000 [--database-url postgresql://...]   # once: the histories
    python bench/scale_bench.py import [--sizes 100000 300000 1000000] [--repeat 3]
    python bench/scale_bench.py kpi [--sizes ...] [--repeat 3] [--database-url postgresql://...]

Every figure is a whole process, started here and reaped with ``os.wait4``: CPU = user + system time of the
process, peak = its largest resident set (``ru_maxrss``), wall = from start to exit. The peer and the project
(and with ``--before DIR`` the same command run from DIR, a checkout of an earlier commit) run in turn
after one warm-up run of each; printed are the medians, and the median of the ratios to the peer taken
round by round (the runs of a round ran side by side, so the ratio holds when the machine's speed drifts).

* ``import``: ``python -m lib events import FILE --json`` (FILE: the CSV of N runs ``bench/scale_data.py`` writes)
  into a fresh copy of a migrated SQLite database with the demo users, against the peer: pandas
  ``read_csv``, the two time columns parsed by ``pandas.to_datetime``, attempt and availability computed
  with pandas, and the cases and step runs written into the same fresh database with sqlite3
  ``executemany`` (no row is checked and no error could be named: the floor for reading and writing).
* ``kpi``: ``python -m lib kpi --json`` (every SOP, all time) on the history of N step runs, against the
  peer: the step runs joined with their cases read into pandas (``pandas.read_sql_query`` over sqlite3, the
  stored text converted by ``pandas.to_datetime``; or psycopg's rows into a DataFrame, the times selected as
  epoch seconds and converted by pandas), processing and waiting time in
  working minutes from the portal's own ``WorkCalendar.working_minutes_array`` and in elapsed minutes, and
  per step of each SOP the count, median and p90 of processing time (working and elapsed), the median wait
  and the cases with rework, plus cases started and completed per SOP (the figures of ``kpi --json`` but
  the targets, which need the SOP revisions).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SIZES = [100_000, 300_000, 1_000_000]
TIMES = ["available_at", "started_at", "completed_at", "created_at", "closed_at"]


# --- peers (run as their own processes: python bench/scale_bench.py peer-import|peer-kpi ...) ---------------
def peer_import(csv_file: str, db_file: str) -> None:
    import sqlite3

    import numpy as np
    import pandas as pd

    df = pd.read_csv(csv_file, dtype=str, keep_default_na=False, usecols=[
        "case:concept:name", "time:timestamp", "start_timestamp", "org:resource", "sop_id", "step_no", "outcome"])
    done = pd.to_datetime(df["time:timestamp"], utc=True, format="ISO8601")
    start = pd.to_datetime(df["start_timestamp"].where(df["start_timestamp"] != ""), utc=True, format="ISO8601")
    frame = pd.DataFrame({"case": pd.factorize(df["case:concept:name"])[0], "step": df["step_no"].astype("int64"),
                          "start": start, "done": done, "own": start.fillna(done)})
    frame = frame.sort_values(["case", "done"], kind="stable")
    frame["attempt"] = frame.groupby(["case", "step"]).cumcount() + 1
    first = frame.groupby("case")["own"].transform("first")
    previous = frame.groupby("case")["done"].shift().fillna(first)
    frame["available"] = np.minimum(previous, frame["own"])

    def text(s: pd.Series) -> list:
        v = s.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        out = np.char.replace(np.datetime_as_string(v, unit="us"), "T", " ").astype(object)
        out[np.isnat(v)] = None
        return out.tolist()

    cases = df.drop_duplicates("case:concept:name")
    firsts = frame.groupby("case")["own"].min()
    con = sqlite3.connect(db_file)
    con.executemany("INSERT INTO cases (id, sop_id, revision_id, register_no, year, seq, state, data, created_at,"
                    " version) VALUES (?, ?, 1, ?, ?, 0, 'berjalan', '{}', ?, 1)",
                    zip(range(1, len(cases) + 1), cases["sop_id"].tolist(), cases["case:concept:name"].tolist(),
                        firsts.dt.year.tolist(), text(firsts)))
    con.executemany("INSERT INTO step_runs (case_id, step_no, attempt, available_at, started_at, completed_at, "
                    "outcome, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    zip((frame["case"] + 1).tolist(), frame["step"].tolist(), frame["attempt"].tolist(),
                        text(frame["available"]), text(frame["start"]), text(frame["done"]),
                        df["outcome"].to_numpy()[frame.index].tolist(), df["org:resource"].to_numpy()[frame.index]
                        .tolist()))
    con.commit()
    print(json.dumps({"cases": len(cases), "step_runs": len(frame)}))


def peer_kpi(url: str) -> None:
    import numpy as np
    import pandas as pd

    from lib.base.worktime import WorkCalendar

    def select(time) -> str:
        cols = ", ".join(time(f"{t}.{c}") + f" AS {c}" for t, c in zip("rrrcc", TIMES))
        return f"SELECT c.sop_id, r.case_id, r.step_no, {cols} FROM step_runs r JOIN cases c ON c.id = r.case_id"

    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
            df = pd.read_sql_query(select(lambda c: c), con)
        for c in TIMES:
            df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")
    else:
        import psycopg

        # epoch seconds: psycopg's aware datetimes would cost pandas about 10 s per million rows
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
            cur = con.execute(select(lambda c: f"extract(epoch FROM {c})::float8"))
            df = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
        for c in TIMES:
            df[c] = pd.to_datetime(np.rint(df[c].astype("float64") * 1e6), unit="us", utc=True)
    cal = WorkCalendar()
    minute = pd.Timedelta(minutes=1)
    df["proc_w"] = cal.working_minutes_array(df["started_at"], df["completed_at"])
    df["proc_e"] = (df["completed_at"] - df["started_at"]) / minute
    df["wait_w"] = cal.working_minutes_array(df["available_at"], df["started_at"])
    df["runs"] = df.groupby(["case_id", "step_no"])["step_no"].transform("size")
    done = df[df["completed_at"].notna()]
    g = done[done["started_at"].notna()].groupby(["sop_id", "step_no"])
    steps = pd.DataFrame({"n": done.groupby(["sop_id", "step_no"]).size(),
                          "median_w": g["proc_w"].median(), "p90_w": g["proc_w"].quantile(0.9),
                          "median_e": g["proc_e"].median(), "p90_e": g["proc_e"].quantile(0.9),
                          "wait_w": g["wait_w"].median(),
                          "rework": done[done["runs"] > 1].groupby(["sop_id", "step_no"])["case_id"].nunique()})
    steps["rework"] = steps["rework"].fillna(0)
    cases = df.drop_duplicates("case_id").groupby("sop_id")
    out = {"sops": [{"sop_id": sid, "cases_started": int(cases.get_group(sid)["created_at"].notna().sum()),
                     "cases_completed": int(cases.get_group(sid)["closed_at"].notna().sum()),
                     "steps": [{"no": int(no), **{k: (None if pd.isna(v) else round(float(v), 2))
                                                  for k, v in row.items()}}
                               for (_sid, no), row in part.iterrows()]}
                    for sid, part in steps.groupby(level=0)]}
    json.dump(out, sys.stdout, indent=2, default=lambda x: int(x) if isinstance(x, np.integer) else str(x))


# --- the harness --------------------------------------------------------------------------------------------
def run_reaped(cmd: list[str], env: dict | None = None, prepare=None, cwd: str | Path = ROOT) -> dict:
    """One run of ``cmd`` as its own process (output kept in files, the process reaped by ``os.wait4``): CPU
    (user + system), wall and peak RSS of that process."""
    if prepare:
        prepare()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {err.read().decode()[-2000:]}")
        return {"cpu": usage.ru_utime + usage.ru_stime, "wall": wall, "peak_mb": usage.ru_maxrss / 1024,
                "out": out.read().decode()}


def rounds(label: str, commands: dict[str, dict], repeat: int) -> None:
    """One warm-up run of each command, then ``repeat`` rounds of all in turn; prints the medians and, for
    each command but the first (the peer), the median of its ratios to the peer's run of the same round."""
    for spec in commands.values():
        run_reaped(**spec)
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, spec in commands.items():
            runs[name].append(run_reaped(**spec))

    def med(name, k):
        return statistics.median(r[k] for r in runs[name])

    print(label)
    peer = next(iter(commands))
    for name in commands:
        line = (f"  {name:<8} CPU {med(name, 'cpu'):6.2f} s (min {min(r['cpu'] for r in runs[name]):.2f}), wall "
                f"{med(name, 'wall'):6.2f} s, peak {med(name, 'peak_mb'):5.0f} MB")
        if name != peer:
            cpu = statistics.median(y["cpu"] / x["cpu"] for x, y in zip(runs[peer], runs[name]))
            wall = statistics.median(y["wall"] / x["wall"] for x, y in zip(runs[peer], runs[name]))
            peak = med(name, "peak_mb") / med(peer, "peak_mb")
            line += f"; /peer: CPU {cpu:.2f}×, wall {wall:.2f}×, peak {peak:.2f}×"
        print(line, flush=True)


def bench_import(sizes: list[int], repeat: int, before: str | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="scale_bench_"))
    template, target = tmp / "template.db", tmp / "target.db"
    subprocess.run([sys.executable, "-c", (
        "import os, sys; sys.path.insert(0, '.'); os.environ.setdefault('PORTAL_BCRYPT_ROUNDS', '4');"
        "from lib.base import accounts; from lib.base.db import session_factory, get_engine;"
        "from lib.setup import database as setup; u = sys.argv[1]; setup.init(u);"
        "s = session_factory(u).begin().__enter__(); accounts.ensure_demo_users(s); s.commit(); s.close();"
        "get_engine(u).dispose()"), f"sqlite:///{template}"], cwd=ROOT, check=True,
        env={**os.environ, "PORTAL_DEMO_HISTORY": "0"})

    def fresh():
        for p in tmp.glob("target.db*"):
            p.unlink()
        shutil.copyfile(template, target)

    try:
        for n in sizes:
            csv_file = OUT / f"events_{n}.csv"
            rows = sum(1 for _ in open(csv_file, encoding="utf-8")) - 1
            project = {"cmd": [sys.executable, "-m", "lib", "events", "import", str(csv_file), "--json"],
                       "env": {"DATABASE_URL": f"sqlite:///{target}"}, "prepare": fresh}
            rounds(f"events import, {rows:,} runs ({csv_file.stat().st_size / 1e6:.0f} MB CSV), SQLite:",
                   {"peer": {"cmd": [sys.executable, __file__, "peer-import", str(csv_file), str(target)],
                             "prepare": fresh},
                    "project": project, **({"before": {**project, "cwd": before}} if before else {})}, repeat)
    finally:
        shutil.rmtree(tmp)


def bench_kpi(sizes: list[int], repeat: int, database_url: str | None, before: str | None) -> None:
    for n in sizes:
        urls = [("SQLite", f"sqlite:///{OUT / f'history_{n}.db'}")]
        if database_url:
            sep = "&" if "?" in database_url else "?"
            urls.append(("PostgreSQL", f"{database_url}{sep}options=-csearch_path%3Dbench_history_{n}"))
        for backend, url in urls:
            project = {"cmd": [sys.executable, "-m", "lib", "kpi", "--json"], "env": {"DATABASE_URL": url}}
            rounds(f"kpi --json, history of {n:,} step runs, {backend}:",
                   {"peer": {"cmd": [sys.executable, __file__, "peer-kpi", url]}, "project": project,
                    **({"before": {**project, "cwd": before}} if before else {})}, repeat)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("peer-"):
        sys.path.insert(0, str(ROOT))
        (peer_import if sys.argv[1] == "peer-import" else peer_kpi)(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["import", "kpi"])
    ap.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database-url", help="PostgreSQL with the schemas bench/scale_data.py made (kpi only)")
    ap.add_argument("--before", help="a checkout of an earlier commit: its project command runs in each round too")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, load average {load:.2f}", flush=True)
    if args.what == "import":
        bench_import(args.sizes, args.repeat, args.before)
    else:
        bench_kpi(args.sizes, args.repeat, args.database_url, args.before)


if __name__ == "__main__":
    main()
