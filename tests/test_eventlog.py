"""Event logs in and out: a round trip, XES names, XES output, and all-or-nothing imports."""
import datetime as dt
import json
import xml.etree.ElementTree as ET
from functools import partial

import pytest
from sqlalchemy import func, select

from lib.base import accounts
from lib.base.db import Case, StepRun, session_factory
from lib.casework import cases
from lib.measure import eventlog
from lib.setup import database as setup

from .cli import run as run_cli
from .conftest import add_users

T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("rina", "staf", None), ("dewi", "kasi", None))
    return session_factory(ready_db)


def _ak1_case(db, rework=False):
    with db.begin() as s:
        rina, dewi = accounts.load_actor(s, "rina"), accounts.load_actor(s, "dewi")
        v = cases.open_case(s, rina, "kartu-ak1", now=T0)
        plan = [(rina, 1, None, None), (rina, 2, "tidak", "FC ijazah belum ada"), (rina, 1, None, None),
                (rina, 2, "ya", None), (rina, 3, None, None), (dewi, 4, None, None)] if rework else \
               [(rina, 1, None, None), (rina, 2, "ya", None), (rina, 3, None, None), (dewi, 4, None, None)]
        for i, (who, no, outcome, note) in enumerate(plan, start=1):
            now = T0 + dt.timedelta(minutes=7 * i)
            v = cases.start_step(s, who, v.id, no, v.version, now=now - dt.timedelta(minutes=3))
            v = cases.complete_step(s, who, v.id, no, v.version, outcome=outcome, note=note, now=now)
    return v


def export_csv(url):
    with session_factory(url)() as s:
        return eventlog.to_csv(eventlog.export_rows(s))


def test_export_uses_the_standard_names(db):
    _ak1_case(db)
    with db() as s:
        rows = eventlog.export_rows(s)
    assert list(rows[0])[:5] == ["case:concept:name", "concept:name", "time:timestamp", "start_timestamp",
                                 "org:resource"]
    assert rows[0]["case:concept:name"] == "AK1/2026/00001" and rows[0]["concept:name"].startswith("1. ")
    assert rows[3]["org:resource"] == "dewi" and rows[0]["time:timestamp"] == "2026-01-05T01:07:00.000Z"


def test_an_event_log_round_trips_through_import_and_export(db, ready_db, tmp_path):
    _ak1_case(db, rework=True)
    first = export_csv(ready_db)
    other = f"sqlite:///{tmp_path / 'lain.db'}"
    setup.init(other)
    with session_factory(other).begin() as s:
        counts = eventlog.import_csv(s, first)
    assert counts == {"cases": 1, "step_runs": 6}
    assert export_csv(other) == first
    with session_factory(other)() as s:
        attempts = s.execute(select(StepRun.step_no, StepRun.attempt).order_by(StepRun.completed_at)).all()
    assert [tuple(a) for a in attempts] == [(1, 1), (2, 1), (1, 2), (2, 2), (3, 1), (4, 1)]


def test_the_plain_column_names_are_read_too(db):
    text = ("case_id,sop_id,step_no,started_at,completed_at,resource\n"
            "H-1,klaim-jht,1,2025-03-27T08:00:00+07:00,2025-03-27T08:04:00+07:00,petugas lama\n"
            "H-1,klaim-jht,2,,2025-03-27T08:20:00+07:00,rina\n")
    with db.begin() as s:
        assert eventlog.import_csv(s, text) == {"cases": 1, "step_runs": 2}
    with db() as s:
        rows = eventlog.export_rows(s, "klaim-jht")
    assert [r["org:resource"] for r in rows] == ["petugas lama", "rina"]
    assert rows[1]["start_timestamp"] == ""


def test_one_bad_row_imports_nothing_and_names_the_line_and_column(db):
    text = ("case:concept:name,concept:name,time:timestamp,start_timestamp,org:resource\n"
            "H-1,1. Mengajukan,2025-03-27T01:00:00Z,,rina\n"
            "H-1,9. Tidak ada,2025-03-27T01:10:00Z,,rina\n"
            "H-2,2,kemarin,,rina\n")
    with pytest.raises(eventlog.EventLogError) as err, db.begin() as s:
        eventlog.import_csv(s, text, default_sop="kartu-ak1")
    assert [(ln, col) for ln, col, _ in err.value.errors] == [(3, "step_no"), (4, "completed_at/started_at")]
    assert "baris 3, kolom step_no" in str(err.value)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_a_case_that_already_exists_is_not_imported_twice(db):
    text = "case_id,sop_id,step_no,completed_at,resource\nH-1,kartu-ak1,1,2025-03-27T01:00:00Z,rina\n"
    with db.begin() as s:
        eventlog.import_csv(s, text)
    with pytest.raises(eventlog.EventLogError, match="sudah ada"), db.begin() as s:
        eventlog.import_csv(s, text)


def test_the_xes_export_is_one_trace_per_case(db):
    _ak1_case(db)
    with db() as s:
        xes = eventlog.to_xes(eventlog.export_rows(s))
    root = ET.fromstring(xes)
    traces = root.findall("trace")
    assert len(traces) == 1 and len(traces[0].findall("event")) == 4
    keys = {el.get("key") for el in traces[0].find("event")}
    assert {"concept:name", "time:timestamp", "start_timestamp", "org:resource"} <= keys


def test_the_cli_round_trip_and_its_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    src = tmp_path / "log.csv"
    src.write_text("case_id,sop_id,step_no,completed_at,resource\nH-9,kartu-ak1,1,2025-03-27T01:00:00Z,x\n",
                   encoding="utf-8")
    run = partial(run_cli, url=url)
    out = run("events", "import", str(src), "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"imported": True, "cases": 1, "step_runs": 1}
    xes = run("events", "export", "--format", "xes")
    assert xes.returncode == 0 and "<trace>" in xes.stdout
    again = run("events", "import", str(src))
    assert again.returncode == 2 and "sudah ada" in again.stderr and "Traceback" not in again.stderr


def test_every_bad_case_is_named_and_the_import_stays_all_or_nothing(db):
    with db.begin() as s:
        eventlog.import_csv(s, "case_id,sop_id,step_no,completed_at\nE-1,kartu-ak1,1,2025-01-01T00:00:00Z\n")
    text = ("case_id,sop_id,step_no,started_at,completed_at\n"
            "A,kartu-ak1,1,,2025-01-01T00:00:00Z\n"
            "A,klaim-jht,1,,2025-01-01T00:10:00Z\n"
            "A,kartu-ak1,2,,2025-01-01T00:20:00Z\n"
            "E-1,kartu-ak1,1,,2025-01-01T00:00:00Z\n"
            "B,kartu-ak1,1,,2025-01-01T00:00:00Z,surplus,klaim-jht\n")
    with pytest.raises(eventlog.EventLogError) as err, db.begin() as s:
        eventlog.import_csv(s, text)
    assert [(ln, col) for ln, col, _ in err.value.errors] == [(3, "sop_id"), (5, "case_id")]
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(StepRun)) == 1


def test_runs_are_ordered_by_completion_and_measured_from_the_previous_one(db):
    text = ("case_id,sop_id,step_no,started_at,completed_at,resource,outcome\n"
            "X-1,kartu-ak1,2,,2025-03-27T01:04:00.500Z,rina,tidak lengkap\n"
            "X-1,kartu-ak1,1,2025-03-27T08:00:00+07:00,2025-03-27T08:04:00+07:00,petugas lama,\n"
            "X-1,kartu-ak1,1,2025-03-27T01:02:00Z,2025-03-27T01:10:00Z,rina,selesai\n"
            "X-2,kartu-ak1,6,2025-12-31T23:00:00Z,2025-12-31T23:30:00Z,,\n")
    with db.begin() as s:
        assert eventlog.import_csv(s, text) == {"cases": 2, "step_runs": 4}
    with db() as s:
        got = s.execute(select(Case.register_no, Case.year, Case.state, Case.created_at, Case.closed_at)
                        .order_by(Case.id)).all()
        runs = s.execute(select(StepRun.step_no, StepRun.attempt, StepRun.available_at, StepRun.started_at,
                                StepRun.outcome, StepRun.note).order_by(StepRun.id)).all()
    t = partial(dt.datetime, tzinfo=dt.timezone.utc)
    assert [tuple(r) for r in got] == [("X-1", 2025, "berjalan", t(2025, 3, 27, 1, 0), None),
                                       ("X-2", 2025, "selesai", t(2025, 12, 31, 23, 0), t(2025, 12, 31, 23, 30))]
    assert [tuple(r) for r in runs] == [
        (1, 1, t(2025, 3, 27, 1, 0), t(2025, 3, 27, 1, 0), None, "sumber: petugas lama"),
        (2, 1, t(2025, 3, 27, 1, 4), None, "tidak lengkap", None),
        (1, 2, t(2025, 3, 27, 1, 2), t(2025, 3, 27, 1, 2), "selesai", None),
        (6, 1, t(2025, 12, 31, 23, 0), t(2025, 12, 31, 23, 0), None, None)]
