"""Acting for each other: Plh delegation, escalation of late steps, bulk completion, reassignment."""
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from lib.base import accounts, delegation, workflow
from lib.base.db import AuditEntry, Delegation, StepRun, session_factory
from lib.base.delegation import DelegationError
from lib.base.permissions import PermissionDenied, has_permission
from lib.casework import bulk, cases, escalation, reassign, register, worklist
from lib.casework.cases import CaseError

from .conftest import add_users

T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone.utc)  # Monday 08:00 WIB
WEEK = dt.timedelta(days=7)
PLH = "Plh. Kepala Bidang, Dewi a.n. Budi"


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("rina", "staf", None), ("dewi", "kasi", None), ("tono", "kasi", None),
              ("budi", "kepala_bidang", "bidang:tenaga-kerja"), ("wahyu", "kepala_bidang", "bidang:jaminan-sosial"),
              ("hendra", "kepala_dinas", None), ("admin", "admin", None))
    return session_factory(ready_db)


def who(db, username, now=T0):
    with db() as s:
        return accounts.load_actor(s, username, now)


def act(db, username, fn, *args, at=T0, **kwargs):
    with db.begin() as s:
        return fn(s, who(db, username, at), *args, **kwargs)


def name_plh(db, by="budi", delegator="budi", deputy="dewi", start=T0, end=T0 + WEEK, reason="Cuti tahunan"):
    return act(db, by, delegation.delegate, delegator, deputy, start, end, reason, now=start)


def ak1_at_step(db, step_no, at=T0):
    """An AK1 file whose step ``step_no`` is waiting (steps before it done within minutes of ``at``)."""
    v = act(db, "rina", cases.open_case, "kartu-ak1", "Andi", now=at)
    for no in range(1, step_no):
        user = {4: "dewi", 5: "budi"}.get(no, "rina")
        v = act(db, user, cases.complete_step, v.id, no, v.version, outcome="ya" if no == 2 else None,
                now=at + dt.timedelta(minutes=no), at=at + dt.timedelta(minutes=no))
    return v


# --- Plh -----------------------------------------------------------------------------------------------------
def test_a_deputy_signs_as_plh_and_every_record_says_plh_a_n_the_delegator(db):
    name_plh(db)
    v = ak1_at_step(db, 5)
    at = T0 + dt.timedelta(hours=1)
    v = act(db, "dewi", cases.complete_step, v.id, 5, v.version, now=at, at=at)
    with db() as s:
        run = s.scalar(select(StepRun).where(StepRun.case_id == v.id, StepRun.step_no == 5))
        assert (run.capacity, run.role, run.actor_id) == (PLH, "kepala_bidang", who(db, "dewi").user_id)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "selesai_langkah")
                         .order_by(AuditEntry.id.desc()).limit(1))
        assert entry.detail.endswith(f"({PLH})")
        found = register.entries(s, who(db, "dewi"), "kartu-ak1")
        assert next(e for e in found if e.case_id == v.id).last_by == PLH
        tasks = worklist.tasks(s, who(db, "dewi", at), now=at)
    assert not any(t.case_id == v.id for t in tasks)


def test_the_deputy_sees_the_delegators_steps_in_tugas_saya_during_the_period_only(db):
    name_plh(db)
    v = ak1_at_step(db, 5)
    at = T0 + dt.timedelta(hours=1)
    with db() as s:
        during = [t for t in worklist.tasks(s, who(db, "dewi", at), now=at) if t.case_id == v.id]
        after = [t for t in worklist.tasks(s, who(db, "dewi", T0 + WEEK), now=T0 + WEEK) if t.case_id == v.id]
    assert [(t.step_no, t.plh) for t in during] == [(5, PLH)]
    assert after == []


def test_deputy_cannot_act_after_period(db):
    name_plh(db)
    v = ak1_at_step(db, 5)
    loaded_during = who(db, "dewi", T0 + dt.timedelta(days=6))
    with db.begin() as s, pytest.raises(DelegationError, match="tidak berlaku"):
        cases.complete_step(s, loaded_during, v.id, 5, v.version, now=T0 + WEEK + dt.timedelta(minutes=1))
    after = who(db, "dewi", T0 + WEEK)
    assert "kepala_bidang" not in after.roles
    with db.begin() as s, pytest.raises(PermissionDenied):
        cases.complete_step(s, after, v.id, 5, v.version, now=T0 + WEEK)


def test_deputy_cannot_act_before_period(db):
    name_plh(db, start=T0 + dt.timedelta(days=1), end=T0 + WEEK)
    v = ak1_at_step(db, 5)
    assert "kepala_bidang" not in who(db, "dewi", T0 + dt.timedelta(hours=2)).roles
    with db.begin() as s, pytest.raises(PermissionDenied):
        cases.complete_step(s, who(db, "dewi", T0 + dt.timedelta(hours=2)), v.id, 5, v.version,
                            now=T0 + dt.timedelta(hours=2))


def test_deputy_cannot_act_after_the_delegator_ends_it_early(db):
    d = name_plh(db)
    v = ak1_at_step(db, 5)
    loaded = who(db, "dewi", T0 + dt.timedelta(hours=1))
    act(db, "budi", delegation.end_early, d, now=T0 + dt.timedelta(hours=2), at=T0 + dt.timedelta(hours=2))
    with db.begin() as s, pytest.raises(DelegationError):
        cases.complete_step(s, loaded, v.id, 5, v.version, now=T0 + dt.timedelta(hours=3))
    assert "kepala_bidang" not in who(db, "dewi", T0 + dt.timedelta(hours=3)).roles
    with db() as s:
        assert [h.to_state for h in workflow.history(s, "delegasi", d)] == ["berlaku", "diakhiri"]


def test_deputy_cannot_act_outside_delegator_scope(db):
    name_plh(db, deputy="rina")  # a staf as Plh of the Kepala Bidang Tenaga Kerja
    rina = who(db, "rina", T0 + dt.timedelta(hours=1))
    assert has_permission(rina, "verify_candidates", "bidang:tenaga-kerja")
    assert not has_permission(rina, "verify_candidates", "bidang:jaminan-sosial")
    assert not has_permission(rina, "verify_candidates")
    assert ("kepala_bidang", "bidang:tenaga-kerja") in {(g.role, g.scope) for g in rina.grants}
    assert not any(g.role == "kepala_bidang" and g.scope != "bidang:tenaga-kerja" for g in rina.grants)


def test_deputy_gains_no_permission_to_name_deputies(db):
    name_plh(db, deputy="rina")
    rina = who(db, "rina", T0 + dt.timedelta(hours=1))
    assert not has_permission(rina, "delegate", "bidang:tenaga-kerja")
    with db.begin() as s, pytest.raises((PermissionDenied, DelegationError)):
        delegation.delegate(s, rina, "budi", "tono", T0 + dt.timedelta(hours=1), T0 + dt.timedelta(days=2),
                            "Cuti juga", now=T0 + dt.timedelta(hours=1))


def test_a_plh_is_not_passed_on(db):
    name_plh(db, by="hendra", delegator="hendra", deputy="budi")   # budi is Plh. Kepala Dinas
    name_plh(db, deputy="dewi")                                     # budi names dewi for himself
    dewi = who(db, "dewi", T0 + dt.timedelta(hours=1))
    assert "kepala_bidang" in dewi.roles and "kepala_dinas" not in dewi.roles


def test_only_the_official_or_the_admin_names_a_plh(db):
    with pytest.raises(DelegationError, match="pejabat itu sendiri atau Pengelola Portal"):
        name_plh(db, by="tono", delegator="budi", deputy="dewi")
    with pytest.raises(PermissionDenied):
        name_plh(db, by="rina", delegator="budi", deputy="dewi")
    d = name_plh(db, by="admin", delegator="budi", deputy="dewi")
    with db() as s:
        assert s.get(Delegation, d).created_by == who(db, "admin").user_id


@pytest.mark.parametrize("kwargs, message", [
    ({"reason": ""}, "alasan"),
    ({"end": T0 + dt.timedelta(days=120)}, "paling lama"),
    ({"end": T0 - dt.timedelta(hours=1)}, "sesudah awalnya"),
    ({"deputy": "budi"}, "orang lain"),
    ({"delegator": "rina", "by": "admin"}, "bukan pejabat"),
])
def test_a_delegation_needs_a_reason_a_sensible_period_and_an_official(db, kwargs, message):
    with pytest.raises(DelegationError, match=message):
        name_plh(db, **kwargs)


def test_one_official_has_one_plh_at_a_time(db):
    name_plh(db)
    with pytest.raises(DelegationError, match="sudah menunjuk Plh"):
        name_plh(db, deputy="tono", start=T0 + dt.timedelta(days=2), end=T0 + dt.timedelta(days=3))


# --- escalation ----------------------------------------------------------------------------------------------
def test_a_step_overdue_by_twice_its_target_goes_up_to_the_next_official_and_is_recorded_once(db):
    v = ak1_at_step(db, 4)          # step 4 (Kasi, 5 minutes) available at T0 + 3 min
    early, late = T0 + dt.timedelta(minutes=12), T0 + dt.timedelta(minutes=14)
    with db() as s:
        assert not any(t.case_id == v.id for t in worklist.tasks(s, who(db, "budi"), now=early))
        up = [t for t in worklist.tasks(s, who(db, "budi"), now=late) if t.case_id == v.id]
    assert [(t.step_no, t.escalated) for t in up] == [(4, True)]
    with db.begin() as s:
        assert escalation.record_all(s, late) == [(v.register_no, 4, "kepala_bidang")]
    with db.begin() as s:
        assert escalation.record_all(s, late + dt.timedelta(hours=1)) == []
    act(db, "budi", cases.complete_step, v.id, 4, v.version, now=late)
    with db() as s:
        rows = [h for h in workflow.history(s, "case", v.id) if "dinaikkan ke Kepala Bidang" in (h.comment or "")]
        run = s.scalar(select(StepRun).where(StepRun.case_id == v.id, StepRun.step_no == 4))
    assert len(rows) == 1 and run.role == "kepala_bidang"


def test_escalation_rules_are_data_with_a_default_chain(db):
    rule = escalation.rule_for("kartu-ak1")
    assert rule.kelipatan == 2 and rule.above(["kasi"]) == "kepala_bidang"
    assert rule.above(["kepala_bidang"]) == "kepala_dinas" and rule.above(["kepala_dinas"]) is None


# --- bulk ------------------------------------------------------------------------------------------------------
def test_a_bulk_action_completes_each_file_as_its_own_step_record(db):
    files = [ak1_at_step(db, 4) for _ in range(3)]
    result = bulk.complete_many(db, who(db, "dewi"), [(v.id, v.version) for v in files], 4,
                                now=T0 + dt.timedelta(minutes=30))
    assert result.done == [v.register_no for v in files] and result.refused == []
    with db() as s:
        for v in files:
            assert s.scalar(select(func.count()).select_from(StepRun).where(
                StepRun.case_id == v.id, StepRun.step_no == 4, StepRun.completed_at.is_not(None))) == 1
            assert cases.view(s, cases.get_case(s, v.id)).open_steps == (5,)


def test_a_file_someone_else_took_is_reported_by_name_and_the_rest_succeed(db):
    a, b = ak1_at_step(db, 4), ak1_at_step(db, 4)
    act(db, "tono", cases.complete_step, b.id, 4, b.version, now=T0 + dt.timedelta(minutes=20))
    result = bulk.complete_many(db, who(db, "dewi"), [(a.id, a.version), (b.id, b.version)], 4)
    assert result.done == [a.register_no]
    assert result.refused[0][0] == b.register_no and "Tono" in result.refused[0][1]


def test_a_step_needing_input_per_file_cannot_be_done_in_bulk(db):
    v = ak1_at_step(db, 2)
    with pytest.raises(CaseError, match="tidak dapat diselesaikan sekaligus"):
        bulk.complete_many(db, who(db, "rina"), [(v.id, v.version)], 2, outcome="tidak")
    assert bulk.complete_many(db, who(db, "rina"), [(v.id, v.version)], 2, outcome="ya").done == [v.register_no]


def test_two_people_bulk_completing_overlapping_files_produce_exactly_one_record_per_step(db):
    files = [ak1_at_step(db, 4) for _ in range(6)]
    items = [(v.id, v.version) for v in files]
    barrier, results = threading.Barrier(2), {}

    def worker(username, mine):
        actor = who(db, username)
        barrier.wait(timeout=10)
        results[username] = bulk.complete_many(db, actor, mine, 4, now=T0 + dt.timedelta(minutes=40))

    threads = [threading.Thread(target=worker, args=("dewi", items[:4])),
               threading.Thread(target=worker, args=("tono", items[2:][::-1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done = results["dewi"].done + results["tono"].done
    assert sorted(done) == sorted(v.register_no for v in files), results
    refused = [no for r in results.values() for no, _ in r.refused]
    assert sorted(refused + done) == sorted([v.register_no for v in files] + [files[2].register_no,
                                                                              files[3].register_no])
    with db() as s:
        for v in files:
            for step_no in (4, 5):
                assert s.scalar(select(func.count()).select_from(StepRun).where(
                    StepRun.case_id == v.id, StepRun.step_no == step_no)) == 1, (v.register_no, step_no)


# --- reassignment --------------------------------------------------------------------------------------------
def test_a_stalled_step_moves_to_another_officer_of_the_same_role_with_a_reason(db):
    v = ak1_at_step(db, 4)
    v = act(db, "dewi", cases.start_step, v.id, 4, v.version, now=T0 + dt.timedelta(minutes=4))
    at = T0 + dt.timedelta(hours=2)
    with pytest.raises(CaseError, match="alasan"):
        act(db, "budi", reassign.reassign, v.id, 4, v.version, "tono", "", now=at)
    with pytest.raises(CaseError, match="bukan petugas aktif dengan peran Kepala Seksi"):
        act(db, "budi", reassign.reassign, v.id, 4, v.version, "rina", "Dewi sakit", now=at)
    with pytest.raises(PermissionDenied):
        act(db, "rina", reassign.reassign, v.id, 4, v.version, "tono", "Dewi sakit", now=at)
    with pytest.raises(PermissionDenied):
        act(db, "wahyu", reassign.reassign, v.id, 4, v.version, "tono", "Dewi sakit", now=at)
    v = act(db, "budi", reassign.reassign, v.id, 4, v.version, "tono", "Dewi sakit", now=at)
    with db() as s:
        run = s.scalar(select(StepRun).where(StepRun.case_id == v.id, StepRun.step_no == 4))
        assert run.actor_id == who(db, "tono").user_id and run.started_at is not None
        last = workflow.history(s, "case", v.id)[-1]
        assert last.comment == "Langkah 4 dialihkan dari Dewi kepada Tono: Dewi sakit" and last.actor == "Budi"
        assert [t.holder for t in worklist.tasks(s, who(db, "dewi"), now=at) if t.case_id == v.id] == ["Tono"]


def test_a_step_within_its_target_is_not_reassigned(db):
    v = ak1_at_step(db, 4)
    v = act(db, "dewi", cases.start_step, v.id, 4, v.version, now=T0 + dt.timedelta(minutes=4))
    with pytest.raises(CaseError, match="belum macet"):
        act(db, "budi", reassign.reassign, v.id, 4, v.version, "tono", "Dewi sakit",
            now=T0 + dt.timedelta(minutes=6))


def test_the_escalation_rules_name_known_sops_and_roles():
    from lib.base.roles import ROLES
    from lib.catalogue import model as catalog

    default, per_sop = escalation.rules()
    assert set(default.rantai) <= set(ROLES) and default.kelipatan > 1
    assert set(per_sop) <= set(catalog.load_catalog())


def test_the_cli_records_escalations_once(db, ready_db):
    import json

    from .cli import run

    v = ak1_at_step(db, 4)  # long overdue by now
    first = run("eskalasi", "--json", url=ready_db)
    assert first.returncode == 0, first.stderr
    assert {"register": v.register_no, "langkah": 4, "ke": "kepala_bidang"} in json.loads(first.stdout)
    again = run("eskalasi", "--json", url=ready_db)
    assert json.loads(again.stdout) == []


def test_the_kabid_names_the_kasi_plh_on_its_page_and_both_see_it_in_tugas_saya(app_db):
    from .test_pages import open_app

    at = open_app("plh", user="kabid")
    assert not at.exception, at.exception
    at.selectbox(key="plh-wakil").select("kasi")
    at.text_input(key="plh-alasan").input("Dinas luar kota")
    next(b for b in at.button if b.label == "Tunjuk Plh").click().run()
    assert not at.exception, at.exception
    assert any("Dewi Lestari ditunjuk sebagai Plh Budi Santoso" in s.value for s in at.success), at.success
    label = "Plh. Kepala Bidang, Dewi Lestari a.n. Budi Santoso"
    for user in ("kasi", "kabid"):
        tugas = open_app("tugas", user=user)
        assert not tugas.exception, tugas.exception
        assert any(label in i.value for i in tugas.info), (user, [i.value for i in tugas.info])
    # The kabid ends it early: from then on the kasi is no Plh.
    at = open_app("plh", user="kabid")
    next(b for b in at.button if b.label == "Akhiri Plh sekarang").click().run()
    assert any("Penunjukan Plh diakhiri." in s.value for s in at.success), at.success
    tugas = open_app("tugas", user="kasi")
    assert not any(label in i.value for i in tugas.info)
    assert not any(label in m.value for m in tugas.markdown)


def test_the_kabid_reassigns_a_stalled_step_on_the_case_page_and_both_see_it(app_db):
    from lib.base.db import utcnow
    from lib.setup import database as setup

    from .test_pages_cases import act as act_on
    from .test_pages_cases import ak1_case_waiting_for_kasi, open_case_page

    setup.init(app_db)
    with session_factory(app_db).begin() as s:
        accounts.ensure_demo_users(s)
    v = ak1_case_waiting_for_kasi(app_db)
    add_users(app_db, ("tono", "kasi", None))
    with session_factory(app_db).begin() as s:  # step 4 came three days ago and was started then
        s.execute(update(StepRun).where(StepRun.case_id == v.id, StepRun.step_no == 4)
                  .values(available_at=utcnow() - dt.timedelta(days=3)))
    act_on(app_db, "kasi", cases.start_step, v.id, 4, v.version, now=utcnow() - dt.timedelta(days=3))
    at = open_case_page(v.id, "kabid")
    assert not at.exception, at.exception
    at.selectbox(key=f"alihkan-ke-{v.id}-4").select("tono")
    at.text_input(key=f"alihkan-alasan-{v.id}-4").input("Dewi sedang diklat")
    next(b for b in at.button if b.label == "Alihkan").click().run()
    assert not at.exception, at.exception
    assert any("Langkah 4 dialihkan kepada Tono." in s.value for s in at.success), at.success
    for user in ("kasi", "kabid"):
        page = open_case_page(v.id, user)
        text = " ".join(m.value for m in page.markdown) + " ".join(c.value for c in page.caption)
        assert "Langkah 4 dialihkan dari Dewi Lestari kepada Tono: Dewi sedang diklat" in text, user
        assert "Dipegang Tono." in text, user


def test_a_period_of_whole_days_starts_now_when_it_starts_today_and_ends_at_the_last_days_end():
    from lib.base.worktime import WIB

    now = dt.datetime(2026, 1, 5, 3, 30, tzinfo=dt.timezone.utc)  # Monday 10.30 WIB
    start, end = delegation.period(dt.date(2026, 1, 5), dt.date(2026, 1, 11), now)
    assert start == now and end == dt.datetime(2026, 1, 11, 23, 59, tzinfo=WIB)
    later, _ = delegation.period(dt.date(2026, 1, 6), dt.date(2026, 1, 7), now)
    assert later == dt.datetime(2026, 1, 6, tzinfo=WIB)
