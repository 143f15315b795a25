"""The histories of the scale benchmarks (``bench/scale_bench.py``): made once, kept in ``bench/out/``.

    python bench/scale_data.py 100000 300000 1000000 [--database-url postgresql://...]

For each size N (step runs): a SQLite database ``bench/out/history_N.db`` (schema, catalogue, demo users and
``demo.fill_history`` with a pinned "now" and ``scale`` = N / 40,815, the step runs of the demo history
at scale 1), and from it the CSV ``events_N`` beside it: every completed run as ``python -m lib events export``
writes it (the standard XES column names, UTC ISO 8601 times with a ``Z``), the input of
``python -m lib events import``. With ``--database-url`` the same history is also made in the PostgreSQL
schema ``bench_history_N`` (kept for the next run; ``--drop`` removes those schemas).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
os.environ.setdefault("PORTAL_DEMO_HISTORY", "0")
from lib.base import accounts
from lib.base.db import get_engine, session_factory
from lib.catalogue import store
from lib.setup import database as setup
from lib.setup import demo

OUT = Path(__file__).resolve().parent / "out"
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
RUNS_AT_SCALE_1 = 40_815
COLUMNS = ["case:concept:name", "concept:name", "time:timestamp", "start_timestamp", "org:resource",
           "sop_id", "step_no", "attempt", "outcome"]


def db_path(n: int) -> Path:
    return OUT / f"history_{n}.db"


def csv_path(n: int) -> Path:
    return OUT / f"events_{n}.csv"


def pg_url(base: str, n: int) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3Dbench_history_{n}"


def fill(url: str, n: int) -> int:
    setup.init(url)
    with session_factory(url).begin() as s:
        accounts.ensure_demo_users(s)
        made = demo.fill_history(s, now=NOW, scale=n / RUNS_AT_SCALE_1)
    get_engine(url).dispose()
    return made.step_runs


def make_sqlite(n: int) -> None:
    path = db_path(n)
    if path.exists():
        return
    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    runs = fill(f"sqlite:///{tmp}", n)
    tmp.rename(path)
    print(f"{path.name}: {runs:,} step runs in {time.perf_counter() - t0:.0f} s", flush=True)


def make_csv(n: int) -> None:
    path = csv_path(n)
    if path.exists():
        return
    with session_factory(f"sqlite:///{db_path(n)}")() as s:
        kegiatan = {(doc.doc.id, st.no): st.kegiatan for doc in store.active_documents(s).values()
                    if doc.doc.jenis == "sop" for st in doc.doc.langkah}
    iso = "replace(substr({0}, 1, 23), ' ', 'T') || 'Z'"
    con = sqlite3.connect(db_path(n))
    rows = con.execute(f"""
        SELECT c.register_no, r.step_no, {iso.format('r.completed_at')}, {iso.format('r.started_at')},
               coalesce(u.username, ''), c.sop_id, r.attempt, coalesce(r.outcome, '')
        FROM step_runs r JOIN cases c ON c.id = r.case_id LEFT JOIN users u ON u.id = r.actor_id
        WHERE r.completed_at IS NOT NULL ORDER BY c.register_no, r.completed_at, r.id""")
    tmp = path.with_suffix(".part")
    count = 0
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for case, no, done, start, who, sop, attempt, outcome in rows:
            w.writerow([case, f"{no}. {kegiatan[(sop, no)]}", done, start or "", who, sop, no, attempt, outcome])
            count += 1
    con.close()
    tmp.rename(path)
    print(f"{path.name}: {count:,} rows, {path.stat().st_size / 1e6:.0f} MB", flush=True)


def make_pg(base: str, n: int) -> None:
    schema = f"bench_history_{n}"
    admin = create_engine(base)
    with admin.begin() as conn:
        exists = conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        if exists:
            done = conn.scalar(text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s "
                                    "AND table_name = 'step_runs'"), {"s": schema})
            if done and conn.scalar(text(f'SELECT count(*) > 0 FROM "{schema}".step_runs')):
                admin.dispose()
                return
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    t0 = time.perf_counter()
    runs = fill(pg_url(base, n), n)
    print(f"PostgreSQL {schema}: {runs:,} step runs in {time.perf_counter() - t0:.0f} s", flush=True)


def drop_pg(base: str, sizes: list[int]) -> None:
    admin = create_engine(base)
    with admin.begin() as conn:
        for n in sizes:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "bench_history_{n}" CASCADE'))
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+", type=int)
    ap.add_argument("--database-url")
    ap.add_argument("--drop", action="store_true", help="drop the PostgreSQL schemas of these sizes")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.drop:
        drop_pg(args.database_url, args.sizes)
        return
    for n in args.sizes:
        make_sqlite(n)
        make_csv(n)
        if args.database_url:
            make_pg(args.database_url, n)


if __name__ == "__main__":
    main()
