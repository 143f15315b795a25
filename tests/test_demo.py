"""Demo history: deterministic, inside working time, shaped by the SOPs' own steps, roles and decisions."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import func, select

from lib.base import accounts, kalender
from lib.base.db import Case, StepRun, User, session_factory
from lib.casework import cases
from lib.catalogue import store
from lib.measure import kpi
from lib.setup import database as setup
from lib.setup import demo

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=WIB)  # a Tuesday morning


def fill(url: str, seed: int = 2026, years: int = 1) -> demo.DemoHistory:
    """Schema, catalogue and demo users, then the history (with a fixed ``now``)."""
    setup.init(url)
    with session_factory(url).begin() as s:
        accounts.ensure_demo_users(s)
        return demo.fill_history(s, seed=seed, years=years, now=NOW)


def rows(url: str) -> tuple[list, list]:
    """Every case and run as comparable tuples (users by name, instants as UTC)."""
    with session_factory(url)() as s:
        users = dict(s.execute(select(User.id, User.username)).all())
        case_rows = [(c.register_no, c.sop_id, c.state, c.applicant_name, c.created_at, c.closed_at, c.version)
                     for c in s.scalars(select(Case).order_by(Case.register_no))]
        run_rows = s.execute(select(Case.register_no, StepRun.step_no, StepRun.attempt, StepRun.available_at,
                                    StepRun.started_at, StepRun.completed_at, StepRun.role, StepRun.actor_id,
                                    StepRun.outcome, StepRun.note).join(Case, Case.id == StepRun.case_id)
                             .order_by(Case.register_no, StepRun.available_at, StepRun.step_no)).all()
    return case_rows, [tuple(r[:7]) + (users.get(r[7]),) + tuple(r[8:]) for r in run_rows]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'reference.db'}"
    made = fill(url)
    return url, made, rows(url)


def frames(url: str):
    with session_factory(url)() as s:
        docs = {k: v.doc for k, v in store.active_documents(s).items()}
        cal = kalender.load_calendar(s)
        users = dict(s.execute(select(User.id, User.username)).all())
    c, r = rows(url)
    case_df = pd.DataFrame(c, columns=["register_no", "sop_id", "state", "applicant_name", "created_at", "closed_at",
                                       "version"])
    run_df = pd.DataFrame(r, columns=["register_no", "step_no", "attempt", "available_at", "started_at",
                                      "completed_at", "role", "actor", "outcome", "note"])
    run_df = run_df.merge(case_df[["register_no", "sop_id"]], on="register_no")
    return docs, cal, users, case_df, run_df


def test_the_same_seed_gives_the_same_history_on_every_backend(db_url, reference):
    _url, made, expected = reference
    assert fill(db_url) == made
    assert rows(db_url) == expected


def test_another_seed_gives_another_history(tmp_path, reference):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    fill(url, seed=7)
    assert rows(url)[1] != reference[2][1]


def test_every_demo_time_lies_inside_working_time(reference):
    url = reference[0]
    _docs, cal, _users, case_df, run_df = frames(url)
    instants = pd.concat([case_df["created_at"], case_df["closed_at"], run_df["available_at"],
                          run_df["started_at"], run_df["completed_at"]]).dropna()
    assert len(instants) > 10_000
    outside = []
    for t in instants.tolist():
        local = t.astimezone(WIB)
        second = local.hour * 3600 + local.minute * 60 + local.second
        if not any(a * 60 <= second <= b * 60 for a, b in cal.segments(local.date())):
            outside.append(local)
    assert not outside, outside[:5]
    assert instants.max() <= NOW


def test_the_history_is_a_few_thousand_cases_for_every_sop_with_fewer_for_monthly_ones(reference):
    url, made, _ = reference
    docs, _cal, _users, case_df, run_df = frames(url)
    assert 1000 <= made.cases <= 4000 and made.step_runs == len(run_df)
    per_sop = case_df.groupby("sop_id").size()
    assert set(per_sop.index) == {k for k, d in docs.items() if d.jenis == "sop"}
    assert per_sop["pbi-jk"] < per_sop["kartu-ak1"] / 5


def test_register_numbers_follow_the_engine_per_sop_and_year(reference):
    docs, _cal, _users, case_df, _runs = frames(reference[0])
    for (sop_id, year), group in case_df.assign(year=case_df["register_no"].str.split("/").str[1]).groupby(
            ["sop_id", "year"]):
        group = group.sort_values("created_at")
        code = cases.register_code(docs[sop_id])
        assert list(group["register_no"]) == [f"{code}/{year}/{i:05d}" for i in range(1, len(group) + 1)]
        local_years = {t.astimezone(WIB).year for t in group["created_at"]}
        assert local_years == {int(year)}


def test_roles_are_the_sops_actor_roles_and_actors_are_demo_users_holding_them(reference):
    docs, _cal, _users, _cases, run_df = frames(reference[0])
    role_of = {u: r for u, _n, r, _s in accounts.DEMO_USERS}
    for r in run_df.itertuples():
        step = docs[r.sop_id].langkah[r.step_no - 1]
        allowed = docs[r.sop_id].actors[step.pelaksana].peran
        if pd.notna(r.role):
            assert r.role in allowed
        if pd.notna(r.actor):
            assert role_of[r.actor] == r.role
    assert run_df["actor"].notna().mean() > 0.8


def test_rework_follows_the_sops_decision_branches_and_returns_the_file_with_a_note(reference):
    docs, _cal, _users, _cases, run_df = frames(reference[0])
    ak1 = run_df[run_df["sop_id"] == "kartu-ak1"].sort_values(["register_no", "available_at", "step_no"])
    returned = ak1[(ak1["step_no"] == 2) & (ak1["outcome"] == "tidak lengkap")]
    assert len(returned) > 10
    assert returned["note"].str.startswith("Berkas belum lengkap: ").all()
    labels = {d.label for d in docs["kartu-ak1"].kelengkapan}
    assert {n.removeprefix("Berkas belum lengkap: ").removesuffix(".") for n in returned["note"]} <= labels
    for register_no, _ in returned.groupby("register_no"):
        steps = ak1[ak1["register_no"] == register_no]
        again = steps[(steps["step_no"] == 1) & (steps["attempt"] == 2)]
        assert len(again) == 1  # the applicant's step runs again, as a second attempt
    assert set(ak1["outcome"].dropna()) <= {"selesai", "lengkap", "tidak lengkap"}
    ended_early = run_df[(run_df["sop_id"] == "perselisihan-hi") & (run_df["outcome"] == "sepakat")]
    assert len(ended_early) > 0  # "sepakat" goes straight to the end


def test_the_history_has_late_steps_runs_without_start_and_open_cases_near_now(reference):
    url = reference[0]
    _docs, _cal, _users, case_df, run_df = frames(url)
    done = run_df[run_df["completed_at"].notna()]
    assert 0.02 < done["started_at"].isna().mean() < 0.2
    open_runs = run_df[run_df["completed_at"].isna()]
    open_cases = case_df[case_df["closed_at"].isna()]
    assert 5 <= len(open_cases) <= 200 and len(open_runs) == len(open_cases)  # one open step per open case
    assert (case_df["closed_at"].notna() == (case_df["state"] == "selesai")).all()
    assert set(open_cases["state"]) <= {"berjalan", "dikembalikan"}
    counter = open_runs[open_runs["sop_id"] == "kartu-ak1"]
    assert (counter["available_at"] > NOW - dt.timedelta(days=7)).all()
    assert open_runs["started_at"].notna().any() and open_runs["started_at"].isna().any()
    assert open_runs.loc[open_runs["started_at"].isna(), "role"].isna().all()  # as the engine: no role before start
    with session_factory(url)() as s:
        d = kpi.dashboard(s, now=NOW)
    assert 60 < d.headline.within_pct < 95
    assert (d.bottlenecks["excess_total_min"] > 0).sum() >= 3


def test_fill_history_does_nothing_when_the_database_has_cases(reference, tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    fill(url, years=1)
    with session_factory(url).begin() as s:
        before = s.scalar(select(func.count()).select_from(StepRun))
        assert demo.fill_history(s, now=NOW) == demo.DemoHistory(0, 0)
        assert s.scalar(select(func.count()).select_from(StepRun)) == before


def test_the_engine_opens_the_next_case_after_the_demo_history_without_a_clash(db_url):
    fill(db_url, years=1)
    with session_factory(db_url).begin() as s:
        last = s.scalar(select(func.max(Case.seq)).where(Case.sop_id == "kartu-ak1", Case.year == 2026))
        view = cases.open_case(s, accounts.load_actor(s, "staf"), "kartu-ak1", "Pemohon Baru", now=NOW)
        assert view.register_no == f"AK1/2026/{last + 1:05d}"
        assert view.id == s.scalar(select(func.max(Case.id)))


def test_init_in_demo_mode_fills_the_history_once_and_reports_it(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'init.db'}"
    monkeypatch.setenv("PORTAL_ENV", "production")
    assert setup.init(url, demo=True).demo_cases == 0
    monkeypatch.setenv("PORTAL_ENV", "demo")
    monkeypatch.setenv("PORTAL_DEMO_HISTORY", "1")
    report = setup.init(url, demo=True)
    assert report.demo_cases > 2000
    assert any(line.startswith("Riwayat demo: ") and line.endswith(" berkas") and "." in line
               for line in report.lines())
    assert setup.init(url, demo=True).demo_cases == 0

