"""The KPI engine on a tiny history whose figures are checked by hand (and against numpy)."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from lib.base.db import Case, SopRevision, StepRun, session_factory
from lib.base.mutu_baku import parse
from lib.base.permissions import Actor, Grant, PermissionDenied
from lib.catalogue import model as catalog
from lib.catalogue import store
from lib.measure import kpi
from lib.setup import database as setup

from .cli import run as run_cli

WIB = ZoneInfo("Asia/Jakarta")
#: "Now" for open work: Wednesday 11 June 2025, 08:20 WIB.
NOW = dt.datetime(2025, 6, 11, 8, 20, tzinfo=WIB)


def t(text: str | None) -> dt.datetime | None:
    """``"2025-06-03 08:00"`` WIB → aware datetime."""
    return None if text is None else dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=WIB)


def add_case(session, sop_id: str, register_no: str, runs: list[tuple], closed: str | None = None,
             revision_id: int | None = None, applicant: str | None = None) -> Case:
    """A case with its runs ``(step_no, available, started, completed, role, outcome)`` (WIB text)."""
    rev_id = revision_id or store.current_revision(session, sop_id).id
    first = t(runs[0][1])
    year, seq = register_no.split("/")[1:]
    case = Case(sop_id=sop_id, revision_id=rev_id, register_no=register_no, year=int(year), seq=int(seq),
                state="selesai" if closed else "berjalan", applicant_name=applicant, data={}, created_at=first,
                closed_at=t(closed), version=1)
    session.add(case)
    session.flush()
    attempts: dict[int, int] = {}
    for step_no, avail, start, done, role, outcome in runs:
        attempts[step_no] = attempts.get(step_no, 0) + 1
        session.add(StepRun(case_id=case.id, step_no=step_no, attempt=attempts[step_no], available_at=t(avail),
                            started_at=t(start), completed_at=t(done), role=role, outcome=outcome))
    session.flush()
    return case


def build_history(url: str) -> None:
    """Kartu AK1 (step 3 target 10 menit, step 4 5 menit) and PBI-JK (step 1 "Setiap Tanggal 1 - 15")."""
    with session_factory(url).begin() as s:
        # A: the file is returned twice at step 2 ("tidak lengkap"), then goes through; one run has no start
        add_case(s, "kartu-ak1", "AK1/2025/00001", [
            (1, "2025-06-03 08:00", "2025-06-03 08:00", "2025-06-03 08:03", "staf", "selesai"),
            (2, "2025-06-03 08:03", "2025-06-03 08:05", "2025-06-03 08:09", "staf", "tidak lengkap"),
            (1, "2025-06-03 08:09", None, "2025-06-03 08:20", "staf", "selesai"),
            (2, "2025-06-03 08:20", "2025-06-03 08:25", "2025-06-03 08:27", "staf", "tidak lengkap"),
            (1, "2025-06-03 08:27", "2025-06-03 08:28", "2025-06-03 08:30", "staf", "selesai"),
            (2, "2025-06-03 08:30", "2025-06-03 08:31", "2025-06-03 08:33", "staf", "lengkap"),
            (3, "2025-06-03 08:33", "2025-06-03 08:36", "2025-06-03 08:40", "staf", "selesai"),
            (4, "2025-06-03 08:40", "2025-06-03 08:45", "2025-06-03 08:50", "kasi", "selesai"),
            (5, "2025-06-03 08:50", "2025-06-03 09:00", "2025-06-03 09:03", "kepala_bidang", "selesai"),
            (6, "2025-06-03 09:03", "2025-06-03 09:05", "2025-06-03 09:10", "staf", "selesai"),
        ], closed="2025-06-03 09:10", applicant="Sri Lestari")
        # B: step 3 over the lunch break: 11:55–12:00 and 13:00–13:07 = 12 working minutes (late)
        add_case(s, "kartu-ak1", "AK1/2025/00002", [
            (3, "2025-06-03 11:50", "2025-06-03 11:55", "2025-06-03 13:07", "staf", "selesai"),
        ], closed="2025-06-03 13:07", applicant="Budi Santoso")
        # C: step 3 over Idul Adha (Fri 6 June) and its cuti bersama (Mon 9 June): 5 + 5 = 10 working minutes
        add_case(s, "kartu-ak1", "AK1/2025/00003", [
            (3, "2025-06-05 15:50", "2025-06-05 15:55", "2025-06-10 07:35", "staf", "selesai"),
        ], closed="2025-06-10 07:35")
        # D: step 3 recorded as done without a start
        add_case(s, "kartu-ak1", "AK1/2025/00004", [
            (3, "2025-06-04 09:00", None, "2025-06-04 09:30", "staf", "selesai"),
        ], closed="2025-06-04 09:30")
        # G, H, I: step 3 open at NOW (08:20): 20, 7 and 2 working minutes old against a 10-minute target
        add_case(s, "kartu-ak1", "AK1/2025/00005", [(3, "2025-06-11 08:00", "2025-06-11 08:05", None, "staf", None)])
        add_case(s, "kartu-ak1", "AK1/2025/00006", [(3, "2025-06-11 08:13", None, None, None, None)])
        add_case(s, "kartu-ak1", "AK1/2025/00007", [(3, "2025-06-11 08:18", None, None, None, None)])
        # PBI-JK step 1: completed on the 16th (outside 1–15) and on the 15th (inside), both one hour's work
        add_case(s, "pbi-jk", "PBIJK/2025/00001", [
            (1, "2025-06-16 07:30", "2025-06-16 08:00", "2025-06-16 09:00", "operator_desa", "selesai")])
        add_case(s, "pbi-jk", "PBIJK/2025/00002", [
            (1, "2025-07-14 14:00", "2025-07-14 15:00", "2025-07-15 08:00", "operator_desa", "selesai")])


@pytest.fixture
def history(ready_db):
    build_history(ready_db)
    return ready_db


def load(url: str, **kw) -> kpi.KpiData:
    with session_factory(url)() as s:
        return kpi.load(s, now=NOW, **kw)


def step_row(frame, sop_id: str, step_no: int, **more):
    sel = (frame["sop_id"] == sop_id) & (frame["step_no"] == step_no)
    for k, v in more.items():
        sel &= frame[k] == v
    rows = frame[sel]
    assert len(rows) == 1
    return rows.iloc[0]


# --- per step -----------------------------------------------------------------------------------------
def test_step_median_p90_mean_max_are_numpys_over_working_and_elapsed_minutes(history):
    row = step_row(kpi.step_stats(load(history, sop_ids=["kartu-ak1"])), "kartu-ak1", 3)
    working = np.array([4.0, 12.0, 10.0])  # A, B (lunch break), C (Idul Adha weekend)
    elapsed = np.array([4.0, 72.0, (t("2025-06-10 07:35") - t("2025-06-05 15:55")).total_seconds() / 60])
    assert row.median_working_min == pytest.approx(np.median(working)) == pytest.approx(10.0)
    assert row.p90_working_min == pytest.approx(np.percentile(working, 90)) == pytest.approx(11.6)
    assert row.mean_working_min == pytest.approx(working.mean())
    assert row.max_working_min == pytest.approx(12.0)
    assert row.median_elapsed_min == pytest.approx(np.median(elapsed)) == pytest.approx(72.0)
    assert row.p90_elapsed_min == pytest.approx(np.percentile(elapsed, 90))
    assert row.max_elapsed_min == pytest.approx(6700.0)
    assert row.target_working_min == 10.0
    assert (row.judged, row.within) == (3, 2)  # 10 minutes against a 10-minute target is within
    assert row.within_pct == pytest.approx(200 / 3)
    assert row.median_ratio == pytest.approx(1.0)
    assert row.median_wait_working_min == pytest.approx(np.median([3.0, 5.0, 5.0]))


def test_a_run_without_start_counts_in_n_but_in_no_processing_figure(history):
    row = step_row(kpi.step_stats(load(history, sop_ids=["kartu-ak1"])), "kartu-ak1", 3)
    assert (row.n, row.n_started, row.n_without_start) == (4, 3, 1)
    assert row.median_working_min == pytest.approx(10.0)  # D (no start) is not a zero


def test_open_runs_stay_out_of_completed_figures_and_appear_in_open_work_with_their_status(history):
    data = load(history, sop_ids=["kartu-ak1"])
    assert step_row(kpi.step_stats(data), "kartu-ak1", 3).n == 4
    ow = kpi.open_work(data).set_index("register_no")
    assert list(ow.index) == ["AK1/2025/00005", "AK1/2025/00006", "AK1/2025/00007"]
    assert list(ow["status"]) == ["terlambat", "segera", "normal"]
    assert list(ow["age_working_min"]) == pytest.approx([20.0, 7.0, 2.0])
    assert list(ow["used_pct"]) == pytest.approx([200.0, 70.0, 20.0])
    assert ow.loc["AK1/2025/00005", "due_at"] == t("2025-06-11 08:10")
    assert ow.loc["AK1/2025/00006", "role"] == "staf"  # not started: the role the SOP names for the step


def test_a_calendar_window_step_is_judged_by_the_day_it_was_completed(history):
    data = load(history, sop_ids=["pbi-jk"])
    row = step_row(kpi.step_stats(data), "pbi-jk", 1)
    assert np.isnan(row.target_working_min) and row.target_unit == "tanggal"
    assert (row.n, row.judged, row.within) == (2, 2, 1)
    assert row.within_pct == pytest.approx(50.0)
    assert np.isnan(row.median_ratio)
    runs = data.runs.set_index("register_no")
    assert runs.loc["PBIJK/2025/00001", "within"] == 0  # done on the 16th
    assert runs.loc["PBIJK/2025/00002", "within"] == 1  # done on the 15th
    window = parse("Setiap Tanggal 1 - 15")
    assert not data.calendar.within_target(t("2025-06-16 08:00"), t("2025-06-16 09:00"), window)
    assert data.calendar.within_target(t("2025-07-14 15:00"), t("2025-07-15 08:00"), window)


def test_a_calendar_day_step_counts_weekends_and_holidays(history):
    with session_factory(history).begin() as s:
        # Pendaftaran BPU step 7 "7 Hari Kalender": 6 days 23 hours over a weekend is on time; 7 days 1 hour late
        add_case(s, "pendaftaran-bpu", "BPU/2025/00001", [
            (7, "2025-06-02 09:00", "2025-06-02 09:00", "2025-06-09 08:00", "petugas_pendaftaran", "selesai")])
        add_case(s, "pendaftaran-bpu", "BPU/2025/00002", [
            (7, "2025-06-02 09:00", "2025-06-02 09:00", "2025-06-09 10:00", "petugas_pendaftaran", "selesai")])
    data = load(history, sop_ids=["pendaftaran-bpu"])
    runs = data.runs.set_index("register_no")
    assert runs.loc["BPU/2025/00001", "within"] == 1 and runs.loc["BPU/2025/00002", "within"] == 0
    row = step_row(kpi.step_stats(data), "pendaftaran-bpu", 7)
    assert row.target_unit == "hari kalender" and np.isnan(row.target_working_min)


def test_rework_is_counted_once_per_case_however_often_the_step_ran(history):
    steps = kpi.step_stats(load(history, sop_ids=["kartu-ak1"]))
    one, two, three = (step_row(steps, "kartu-ak1", n) for n in (1, 2, 3))
    assert (one.n, one.rework_cases) == (3, 1)
    assert (two.n, two.rework_cases) == (3, 1)
    assert three.rework_cases == 0


def test_a_new_revision_with_another_target_does_not_change_the_judgement_of_older_runs(history):
    with session_factory(history).begin() as s:
        old = store.current_revision(s, "kartu-ak1")
        content = json.loads(json.dumps(old.content))
        content["langkah"][2]["waktu"] = "5 Menit"
        old.state = "tidak_berlaku"
        new = SopRevision(sop_id="kartu-ak1", revision_no=old.revision_no + 1, state="disahkan", content=content,
                          content_hash=catalog.content_hash(content), source="web")
        s.add(new)
        s.flush()
        # F: 7 minutes, within the old 10 minutes but not the new 5
        add_case(s, "kartu-ak1", "AK1/2025/00008", [
            (3, "2025-06-04 10:00", "2025-06-04 10:00", "2025-06-04 10:07", "staf", "selesai")],
            closed="2025-06-04 10:07", revision_id=new.id)
    data = load(history, sop_ids=["kartu-ak1"])
    by_rev = kpi.step_stats(data, by_revision=True)
    first = step_row(by_rev, "kartu-ak1", 3, revision_no=1)
    second = step_row(by_rev, "kartu-ak1", 3, revision_no=2)
    assert (first.target_working_min, first.judged, first.within) == (10.0, 3, 2)
    assert (second.target_working_min, second.judged, second.within) == (5.0, 1, 0)
    pooled = step_row(kpi.step_stats(data), "kartu-ak1", 3)
    assert pooled.target_working_min == 5.0 and pooled.target_revision_no == 2  # the target in force is shown
    assert (pooled.judged, pooled.within) == (4, 2)  # each run judged by its own revision
    assert pooled.median_ratio == pytest.approx(np.median([4 / 10, 12 / 10, 10 / 10, 7 / 5]))


def test_the_period_is_wib_days_with_both_ends_included(history):
    with session_factory(history).begin() as s:
        add_case(s, "kartu-ak1", "AK1/2025/00009", [
            (4, "2025-06-03 23:00", "2025-06-03 23:20", "2025-06-03 23:30", "kasi", "selesai")])
        add_case(s, "kartu-ak1", "AK1/2025/00010", [  # 17:30 UTC on the 3rd, but the 4th in WIB
            (4, "2025-06-04 00:10", "2025-06-04 00:20", "2025-06-04 00:30", "kasi", "selesai")])
    third = step_row(kpi.step_stats(load(history, sop_ids=["kartu-ak1"], date_from=dt.date(2025, 6, 3),
                                         date_to=dt.date(2025, 6, 3))), "kartu-ak1", 4)
    fourth = step_row(kpi.step_stats(load(history, sop_ids=["kartu-ak1"], date_from=dt.date(2025, 6, 4),
                                          date_to=dt.date(2025, 6, 4))), "kartu-ak1", 4)
    assert third.n == 2 and fourth.n == 1
    step3 = step_row(kpi.step_stats(load(history, sop_ids=["kartu-ak1"], date_from=dt.date(2025, 6, 3),
                                         date_to=dt.date(2025, 6, 4))), "kartu-ak1", 3)
    assert (step3.n, step3.n_started) == (3, 2)  # A, B and D; C finished on the 10th


# --- per case, role, headline -------------------------------------------------------------------------
def test_case_lead_time_touch_time_and_flow_efficiency(history):
    cases = kpi.case_stats(load(history, sop_ids=["kartu-ak1"])).set_index("register_no")
    a = cases.loc["AK1/2025/00001"]
    assert a.lead_working_min == pytest.approx(70.0) and a.lead_elapsed_min == pytest.approx(70.0)
    assert a.touch_working_min == pytest.approx(3 + 4 + 2 + 2 + 2 + 4 + 5 + 3 + 5)  # the run without start adds 0
    assert a.flow_efficiency == pytest.approx(30 / 70)
    assert a.within_pct == pytest.approx(100.0) and a.rework_steps == 2
    assert a.target_sum_working_min == pytest.approx(35.0)
    assert np.isnan(cases.loc["AK1/2025/00005", "lead_working_min"])  # still open


def test_role_figures_and_workload(history):
    roles = kpi.role_stats(load(history, sop_ids=["kartu-ak1"])).set_index("role")
    assert roles.loc["kasi", "completed"] == 1 and roles.loc["kasi", "median_working_min"] == pytest.approx(5.0)
    assert roles.loc["staf", "open"] == 3 and roles.loc["staf", "open_overdue"] == 1
    only_kasi = load(history, sop_ids=["kartu-ak1"], role="kasi")
    assert set(kpi.step_stats(only_kasi).query("n > 0")["step_no"]) == {4}
    assert kpi.open_work(only_kasi).empty


def test_headline_figures(history):
    with session_factory(history)() as s:
        d = kpi.dashboard(s, sop_ids=["kartu-ak1"], now=NOW)
    h = d.headline
    assert (h.cases_started, h.cases_completed, h.open_cases) == (7, 4, 3)
    assert (h.open_runs, h.overdue_runs, h.overdue_cases) == (3, 1, 1)
    # judged: A's 9 runs with a start (all within) + B (late) + C (within)
    assert h.judged_runs == 11 and h.within_pct == pytest.approx(round(100 * 10 / 11, 2))
    leads = [70.0, 17.0, 15.0, 30.0]  # A, B, C, D: created (step available) to closed, in working minutes
    assert h.median_lead_working_min == pytest.approx(np.median(leads))
    assert h.median_target_sum_working_min == pytest.approx(35.0)


def test_bottlenecks_rank_by_excess_of_median_over_target_times_volume(history):
    with session_factory(history).begin() as s:
        for i, minutes in enumerate((9, 8, 7)):  # step 4 (5 minutes) takes 9, 8, 7: median excess 3
            add_case(s, "kartu-ak1", f"AK1/2025/{20 + i:05d}", [
                (4, "2025-06-04 08:00", "2025-06-04 08:00", f"2025-06-04 08:{minutes:02d}", "kasi", "selesai")])
    ranking = kpi.bottlenecks(load(history, sop_ids=["kartu-ak1"]))
    top = ranking.iloc[0]
    assert (top["rank"], top.step_no, top.n) == (1, 4, 4)
    assert top.excess_per_run_min == pytest.approx(np.median([0, 4, 3, 2]))
    assert top.excess_total_min == pytest.approx(np.median([0, 4, 3, 2]) * 4)
    assert (ranking["excess_total_min"].diff().dropna() <= 0).all()


def test_breaches_list_the_late_runs_of_one_step_for_holders_of_view_dashboard(history):
    data = load(history, sop_ids=["kartu-ak1"])
    kadis = Actor(1, "kadis", "Kadis", frozenset({Grant("kepala_dinas")}))
    with session_factory(history)() as s:
        rows = kpi.breaches(s, kadis, data, "kartu-ak1", 3)
        assert list(rows["register_no"]) == ["AK1/2025/00002"]
        r = rows.iloc[0]
        assert r.applicant_name == "Budi Santoso" and r.processing_working_min == pytest.approx(12.0)
        assert r.target_working_min == 10.0 and r.over_target_working_min == pytest.approx(2.0)
        assert r.completed_at == t("2025-06-03 13:07") and str(r.completed_at.tz) == "Asia/Jakarta"
        staf = Actor(2, "staf", "Staf", frozenset({Grant("staf")}))
        with pytest.raises(PermissionDenied):
            kpi.breaches(s, staf, data, "kartu-ak1", 3)


def test_the_ranking_lists_only_steps_over_target_and_never_a_step_of_the_applicant(ready_db):
    from lib.base import accounts
    from lib.catalogue import revisions

    from .conftest import add_users
    from .test_revisions import three_step_sop

    add_users(ready_db, ("adi", "admin", None), ("hendra", "kepala_dinas", None))
    db = session_factory(ready_db)
    with db.begin() as s:  # step 1 "Mengajukan permohonan" belongs to the applicant (pemohon), 5 minutes
        rev = revisions.save_draft(s, accounts.load_actor(s, "adi"), three_step_sop(), "SOP baru")
        revisions.submit(s, accounts.load_actor(s, "adi"), rev.id)
        revisions.approve(s, accounts.load_actor(s, "hendra"), rev.id)
    with db.begin() as s:
        add_case(s, "surat-keterangan", "SKK/2025/00001", [
            (1, "2025-06-03 08:00", "2025-06-03 08:00", "2025-06-03 09:00", "staf", "selesai"),  # 60 of 5
            (2, "2025-06-03 09:00", "2025-06-03 09:00", "2025-06-03 09:30", "staf", "selesai"),  # 30 of 15
            (3, "2025-06-03 09:30", "2025-06-03 09:30", "2025-06-03 09:35", "kasi", "selesai")])  # 5 of 10
    data = load(ready_db, sop_ids=["surat-keterangan"])
    assert list(kpi.bottlenecks(data)["step_no"]) == [2]
    with session_factory(ready_db)() as s:
        late = kpi.breaches(s, Actor(1, "k", "K", frozenset({Grant("kepala_dinas")})), data)
    assert sorted(late["step_no"]) == [1, 2]  # the download still lists every late run, the applicant's too


def test_the_late_runs_of_the_whole_filter_name_the_officer_and_give_working_days_hours_and_minutes(history):
    import io

    from openpyxl import load_workbook

    from lib.base.db import User
    from lib.base.sheets import frame_workbook
    from lib.measure import kpi_tables

    from .conftest import add_users

    add_users(history, ("rina", "staf", None))
    with session_factory(history).begin() as s:
        rina = s.query(User).filter_by(username="rina").one()
        late = s.query(StepRun).join(Case).filter(Case.register_no == "AK1/2025/00002").one()
        late.actor_id, late.started_at = rina.id, t("2025-06-02 11:55")  # a day earlier: 1 hari 12 menit
    data = load(history, sop_ids=["kartu-ak1", "pbi-jk"])
    kadis = Actor(1, "kadis", "Kadis", frozenset({Grant("kepala_dinas")}))
    with session_factory(history)() as s:
        rows = kpi.breaches(s, kadis, data)
    assert set(zip(rows["sop_id"], rows["step_no"], rows["register_no"])) == {
        ("kartu-ak1", 3, "AK1/2025/00002"), ("pbi-jk", 1, "PBIJK/2025/00001")}
    table = kpi_tables.breach_table(rows, with_names=False, sop_labels={"kartu-ak1": "Kartu AK1"})
    sheet = load_workbook(io.BytesIO(frame_workbook({"Berkas terlambat": table}, "Judul"))).active
    header = [c.value for c in sheet[3]]
    record = dict(zip(header, [c.value for c in sheet[4]]))
    assert record["SOP"] == "Kartu AK1" and record["Langkah"] == 3 and record["Petugas"] == "Rina"
    assert record["Proses (menit kerja)"] == 462 and record["Proses (waktu kerja)"] == "1 hari 12 menit"
    assert header.index("Proses (waktu kerja)") + 1 == header.index("Proses (menit kerja)")
    assert record["Lewat target (waktu kerja)"] == "1 hari 2 menit" and "Nama pemohon" not in header
    assert sheet.max_row == 5  # both SOPs' late runs in one sheet


def test_bulan_lalu_is_the_whole_month_before_this_one():
    from lib.base import periode

    assert periode.last_month(dt.date(2026, 12, 5)) == periode.month(2026, 11)
    assert periode.last_month(dt.date(2027, 1, 31)).start == dt.date(2026, 12, 1)
    assert periode.last_month(dt.date(2027, 3, 1)).end == dt.date(2027, 2, 28)


def test_compliance_by_step_and_month_and_the_monthly_trend(history):
    data = load(history, sop_ids=["kartu-ak1", "pbi-jk"])
    table = kpi.step_month_table(data)
    assert table.loc[("kartu-ak1", 3), "2025-06"] == pytest.approx(200 / 3)
    assert table.loc[("pbi-jk", 1), "2025-06"] == 0 and table.loc[("pbi-jk", 1), "2025-07"] == 100
    trend = kpi.monthly_trend(data).set_index("month")
    assert list(trend.index) == ["2025-06", "2025-07"]
    assert trend.loc["2025-07", "completed_runs"] == 1 and trend.loc["2025-07", "within_pct"] == 100


# --- JSON and CLI -------------------------------------------------------------------------------------
STEP_KEYS = {"no", "n", "median_elapsed_min", "p90_elapsed_min", "median_working_min", "p90_working_min",
             "target_working_min", "within_pct", "median_wait_working_min", "rework_cases"}


def test_summary_json_has_the_documented_shape_rounded_with_nulls_where_nothing_applies(history):
    with session_factory(history)() as s:
        out = kpi.summary_json(s, "kartu-ak1")
        everything = kpi.summary_json(s)
    assert set(out) == {"sops"} and [x["sop_id"] for x in out["sops"]] == ["kartu-ak1"]
    sop = out["sops"][0]
    assert set(sop) == {"sop_id", "layanan", "kanal", "cases_started", "cases_completed", "steps"}
    assert sop["layanan"] is None and sop["kanal"] is None
    assert (sop["cases_started"], sop["cases_completed"]) == (7, 4)
    assert [st["no"] for st in sop["steps"]] == [1, 2, 3, 4, 5, 6]
    assert all(set(st) == STEP_KEYS for st in sop["steps"])
    three = sop["steps"][2]
    assert three == {"no": 3, "n": 4, "median_elapsed_min": 72.0, "p90_elapsed_min": round(np.percentile(
        [4.0, 72.0, 6700.0], 90), 2), "median_working_min": 10.0, "p90_working_min": 11.6,
        "target_working_min": 10.0, "within_pct": 66.67, "median_wait_working_min": 5.0, "rework_cases": 0}
    ids = [x["sop_id"] for x in everything["sops"]]
    assert ids == sorted(d.id for d in catalog.load_catalog().values() if d.jenis == "sop")
    idle = next(x for x in everything["sops"] if x["sop_id"] == "pelatihan")
    assert idle["cases_started"] == 0 and all(st["n"] == 0 and st["median_working_min"] is None
                                              and st["within_pct"] is None for st in idle["steps"])


def test_each_channel_of_a_service_is_its_own_sop_in_the_summary_named_by_layanan_and_kanal(history):
    with session_factory(history)() as s:
        everything = kpi.summary_json(s)
    channels = {x["sop_id"]: (x["layanan"], x["kanal"], len(x["steps"])) for x in everything["sops"] if x["kanal"]}
    assert channels == {
        "pendaftaran-bpu": ("Pendaftaran Kepesertaan BPU", "Loket (layanan kontak fisik)", 8),
        "pendaftaran-bpu-bank": ("Pendaftaran Kepesertaan BPU", "Bank (Service Point Office)", 8),
        "pendaftaran-bpu-online": ("Pendaftaran Kepesertaan BPU", "Website atau aplikasi JMO", 7),
        "pendaftaran-bpu-perisai": ("Pendaftaran Kepesertaan BPU", "Agen PERISAI", 5),
        "pendaftaran-pu": ("Pendaftaran Kepesertaan PU", "Loket (offline)", 7),
        "pendaftaran-pu-online": ("Pendaftaran Kepesertaan PU", "Website (online)", 7)}


def test_the_channels_of_a_service_are_compared_side_by_side_on_lead_time_and_steps_within_target(history):
    with session_factory(history).begin() as s:
        # counter: closed in 3 days, its card (7 calendar days) on time; bank: closed in 10 days, card late
        add_case(s, "pendaftaran-bpu", "BPU/2025/00001", [
            (7, "2025-06-02 09:00", "2025-06-02 09:00", "2025-06-05 09:00", "staf", "selesai")],
            closed="2025-06-05 09:00")
        add_case(s, "pendaftaran-bpu-bank", "BPU-SPO/2025/00001", [
            (8, "2025-06-02 09:00", "2025-06-02 09:00", "2025-06-12 09:00", "staf", "selesai")],
            closed="2025-06-12 09:00")
        add_case(s, "pendaftaran-bpu-bank", "BPU-SPO/2025/00002", [
            (8, "2025-06-20 09:00", None, None, None, None)])
    data = load(history, date_from=dt.date(2025, 6, 1), date_to=dt.date(2025, 6, 30))
    channels = kpi.channel_stats(data).set_index("sop_id")
    assert list(channels.columns) == [c for c in kpi.CHANNEL_COLUMNS if c != "sop_id"]
    assert set(channels.index) == {"pendaftaran-bpu", "pendaftaran-bpu-bank", "pendaftaran-bpu-online",
                                   "pendaftaran-bpu-perisai", "pendaftaran-pu", "pendaftaran-pu-online"}
    counter, bank = channels.loc["pendaftaran-bpu"], channels.loc["pendaftaran-bpu-bank"]
    assert (counter.cases_started, counter.cases_completed, counter.within_pct) == (1, 1, 100.0)
    assert (bank.cases_started, bank.cases_completed, bank.within_pct) == (2, 1, 0.0)
    assert (counter.median_lead_elapsed_min, bank.median_lead_elapsed_min) == (3 * 1440, 10 * 1440)
    idle = channels.loc["pendaftaran-bpu-perisai"]
    assert idle.cases_started == 0 and idle.judged == 0 and pd.isna(idle.within_pct)
    only_ak1 = kpi.channel_stats(load(history, sop_ids=["kartu-ak1"]))
    assert only_ak1.empty and list(only_ak1.columns) == kpi.CHANNEL_COLUMNS


def test_the_dashboard_works_on_a_database_without_cases(ready_db):
    with session_factory(ready_db)() as s:
        d = kpi.dashboard(s, now=NOW)
        out = kpi.summary_json(s, "pbi-jk")
    assert d.headline.cases_started == 0 and d.headline.within_pct is None
    assert d.open_work.empty and d.trend.empty and d.bottlenecks.empty and d.cases.empty
    assert (d.steps["n"] == 0).all() and len(d.steps) > 0
    assert out["sops"][0]["steps"][0]["target_working_min"] is None


def test_unknown_filters_are_refused_in_indonesian(ready_db):
    with session_factory(ready_db)() as s:
        for kw, words in (({"sop_ids": ["tidak-ada"]}, "tidak ada"), ({"bidang": "antah"}, "Bidang"),
                          ({"role": "raja"}, "Peran"),
                          ({"date_from": dt.date(2025, 2, 1), "date_to": dt.date(2025, 1, 1)}, "tanggal akhir")):
            with pytest.raises(kpi.KpiError, match=words):
                kpi.load(s, **kw)


def test_cli_kpi_json_is_the_summary_and_the_text_is_an_indonesian_table(app_db, capsys):
    from lib.__main__ import main

    setup.init(app_db)
    build_history(app_db)
    out = run_cli("kpi", "--sop", "kartu-ak1", "--from", "2025-06-01", "--to", "2025-06-30", "--json", url=app_db)
    assert out.returncode == 0, out.stderr
    with session_factory(app_db)() as s:
        assert json.loads(out.stdout) == kpi.summary_json(s, "kartu-ak1", dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    assert main(["kpi", "--sop", "kartu-ak1"]) == 0
    text = capsys.readouterr().out
    assert "Penerbitan Kartu Pencari Kerja (AK1)" in text and "Berkas dimulai: 7, selesai: 4" in text
    assert "66,7%" in text  # step 3: 2 of 3 within target
    assert "kanal:" not in text
    assert main(["kpi", "--sop", "pendaftaran-bpu-bank"]) == 0
    assert "Layanan: Pendaftaran Kepesertaan BPU, kanal: Bank (Service Point Office)" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [(("--from", "03/06/2025"), "YYYY-MM-DD"),
                                         (("--sop", "tidak-ada"), "tidak ada"),
                                         (("--from", "2025-07-01", "--to", "2025-06-01"), "tanggal akhir")])
def test_cli_kpi_refuses_bad_dates_and_unknown_sops_in_indonesian_with_exit_code_2(app_db, capsys, args, words):
    from lib.__main__ import main

    assert main(["kpi", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_cached_board_brought_forward_in_time_is_the_board_computed_then(history):
    later = NOW + dt.timedelta(days=3, hours=2)
    with session_factory(history)() as s:
        board = kpi.dashboard(s, now=NOW)
        fresh = kpi.dashboard(s, now=later)
    moved = kpi.at(board, later)
    assert moved.headline == fresh.headline and moved.headline != board.headline
    pd.testing.assert_frame_equal(moved.open_work, fresh.open_work)
    pd.testing.assert_frame_equal(moved.roles, fresh.roles)
    pd.testing.assert_frame_equal(moved.steps, fresh.steps)
    assert (moved.open_work["age_elapsed_min"] > board.open_work["age_elapsed_min"]).all()
    assert board.data.now == pd.Timestamp(NOW)  # the cached board itself is left as it was


def test_the_data_version_moves_with_every_write_and_not_with_reading_a_login_or_an_export(history):
    from lib.base import audit

    with session_factory(history)() as s:
        before = kpi.data_version(s)
        kpi.dashboard(s, now=NOW)
        assert kpi.data_version(s) == before
    with session_factory(history).begin() as s:  # a reload restores the session from the cookie, an export
        audit.record(s, None, "masuk", "user", 1, "dari cookie sesi")
        audit.record(s, None, "ekspor", "register", "kartu-ak1", "Buku Register")
    with session_factory(history)() as s:
        assert kpi.data_version(s) == before
    with session_factory(history).begin() as s:  # what every change of a case, a step or a calendar writes
        audit.record(s, None, "ubah_pengaturan", "kalender", "2025-06-12", "libur")
    with session_factory(history).begin() as s:
        audit.record(s, None, "masuk", "user", 1, "dari cookie sesi")  # after a change: still that change's
    with session_factory(history)() as s:
        after_audit = kpi.data_version(s)
    with session_factory(history).begin() as s:  # rows written in bulk without an entry of their own
        add_case(s, "kartu-ak1", "AK1/2025/00099", [(1, "2025-06-10 08:00", None, None, "staf", None)])
    with session_factory(history)() as s:
        after_rows = kpi.data_version(s)
    assert len({before, after_audit, after_rows}) == 3


def test_a_lean_load_keeps_the_values_of_the_full_load_in_fewer_columns(history):
    for kw in ({}, {"date_from": dt.date(2025, 6, 4), "date_to": dt.date(2025, 6, 10)}, {"role": "staf"}):
        full, lean = load(history, **kw).runs, load(history, lean=True, **kw).runs
        assert set(lean.columns) < set(full.columns) and len(lean) == len(full) > 0
        pd.testing.assert_frame_equal(full[list(lean.columns)], lean, check_exact=True)


def test_times_are_read_to_the_microsecond(history):
    with session_factory(history).begin() as s:
        case = add_case(s, "kartu-ak1", "AK1/2025/00099", [
            (3, "2025-06-10 08:00", "2025-06-10 08:00", "2025-06-10 08:01", "staf", "selesai")],
            closed="2025-06-10 08:01")
        run = s.scalars(select(StepRun).where(StepRun.case_id == case.id)).one()
        run.started_at = dt.datetime(2025, 6, 10, 1, 0, 0, 999_999, tzinfo=dt.timezone.utc)
        run.completed_at = dt.datetime(2025, 6, 10, 1, 0, 1, tzinfo=dt.timezone.utc)
        case_id = case.id
    for lean in (False, True):
        runs = load(history, lean=lean).runs
        row = runs[runs["case_id"] == case_id].iloc[0]
        assert row["started_at"] == pd.Timestamp("2025-06-10 01:00:00.999999", tz="UTC")
        assert row["completed_at"] - row["started_at"] == pd.Timedelta(microseconds=1)
