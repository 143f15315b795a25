"""The figures of ``python -m lib kpi --json`` on a fixed demo history stay exactly those kept in
``tests/data/kpi_snapshot.json``, on every backend.

The history is the demo generator's (seed 2026, one year) up to a pinned "now", so the database, and
with it every figure, is the same on every run and machine. A faster way of loading or computing the
figures must give the same JSON; only a change of the rules (a target, the working hours, a holiday)
may change it, and then the snapshot is written anew, on purpose, with::

    python -m tests.test_kpi_snapshot
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from lib.base import accounts
from lib.base.db import get_engine, session_factory
from lib.setup import database as setup
from lib.setup import demo

from .cli import run as run_cli
from .conftest import prepared_db

SNAPSHOT = Path(__file__).parent / "data" / "kpi_snapshot.json"
#: The pinned clock of the history: Tuesday 10 March 2026, 09:30 WIB.
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
#: The command lines kept: everything, one period, one SOP over a period, one bidang's SOP all time.
CASES = {
    "semua": ["kpi", "--json"],
    "periode": ["kpi", "--from", "2025-10-01", "--to", "2026-01-31", "--json"],
    "kartu-ak1, periode": ["kpi", "--sop", "kartu-ak1", "--from", "2026-01-01", "--to", "2026-03-10", "--json"],
    "klaim-jht": ["kpi", "--sop", "klaim-jht", "--json"],
}


def build(url: str) -> None:
    """Schema, catalogue, demo users and one year of demo history up to :data:`NOW`."""
    setup.init(url)
    with session_factory(url).begin() as s:
        accounts.ensure_demo_users(s)
        made = demo.fill_history(s, seed=2026, years=1, now=NOW)
    assert made.step_runs > 10_000


def outputs(url: str) -> dict[str, dict]:
    out = {}
    for name, args in CASES.items():
        res = run_cli(*args, url=url)
        assert res.returncode == 0, res.stderr
        out[name] = json.loads(res.stdout)
    return out


def test_kpi_json_on_the_fixed_demo_history_is_the_kept_snapshot(db_url, tmp_path_factory):
    url = prepared_db(db_url, tmp_path_factory, "kpi_snapshot", build)
    kept = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    got = outputs(url)
    assert set(got) == set(kept)
    for name in kept:
        assert len(got[name]["sops"]) == len(kept[name]["sops"]), name
        for mine, theirs in zip(got[name]["sops"], kept[name]["sops"]):
            assert mine == theirs, f"{name}: {theirs['sop_id']}"
    # the snapshot is not vacuous: figures of real runs, targets met and missed, rework
    steps = [st for sop in kept["semua"]["sops"] for st in sop["steps"]]
    assert sum(st["n"] for st in steps) > 10_000
    assert any(st["within_pct"] not in (None, 100.0) for st in steps)
    assert any(st["rework_cases"] > 0 for st in steps)


if __name__ == "__main__":  # write the snapshot anew (only when a rule change changes the figures)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory() as tmp:
        db_file = f"sqlite:///{tmp}/snapshot.db"
        build(db_file)
        SNAPSHOT.write_text(json.dumps(outputs(db_file), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                            encoding="utf-8")
        get_engine(db_file).dispose()
    print(f"ditulis: {SNAPSHOT}")
