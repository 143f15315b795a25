"""The workflow engine: every transition, guard, rework loop, revision pinning and the concurrency rule."""
import datetime as dt
import shutil
import threading

import pytest
from sqlalchemy import func, select

from lib.base import accounts
from lib.base.db import Case, StepRun, session_factory
from lib.base.permissions import PermissionDenied
from lib.casework import cases
from lib.casework.cases import CaseError, Conflict
from lib.catalogue import model as catalog
from lib.setup import database as setup

from .conftest import add_users

T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone.utc)  # Monday 08:00 WIB


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("rina", "staf", None), ("dewi", "kasi", None),
              ("budi", "kepala_bidang", "bidang:tenaga-kerja"),
              ("agus", "operator_desa", "desa:karang-dalo"), ("hendra", "kepala_dinas", None),
              ("siti", "sekretaris", None), ("tono", "staf", None))
    return session_factory(ready_db)


def who(db, username):
    with db() as s:
        return accounts.load_actor(s, username)


def act(db, username, fn, *args, **kwargs):
    with db.begin() as s:
        return fn(s, who(db, username), *args, **kwargs)


def step(db, username, view, no, outcome=None, note=None, minutes=5):
    now = T0 + dt.timedelta(minutes=minutes * no)
    return act(db, username, cases.complete_step, view.id, no, view.version, outcome=outcome, note=note, now=now)


def runs(db, case_id):
    with db() as s:
        return [(r.step_no, r.attempt, r.outcome, r.started_at is not None, r.completed_at is not None)
                for r in cases.timeline(s, case_id)]


def test_opening_a_case_numbers_it_per_sop_and_year_and_makes_step_1_available(db):
    a = act(db, "rina", cases.open_case, "kartu-ak1", "Andi", "3201010101900003", now=T0)
    b = act(db, "rina", cases.open_case, "kartu-ak1", "Budi", None, now=T0)
    c = act(db, "rina", cases.open_case, "klaim-jht", "Citra", None, now=T0)
    assert (a.register_no, b.register_no, c.register_no) == ("AK1/2026/00001", "AK1/2026/00002", "JHT/2026/00001")
    assert a.open_steps == (1,) and a.state == "berjalan" and a.version == 1


def test_an_ak1_case_goes_from_intake_to_done_through_three_roles(db):
    v = act(db, "rina", cases.open_case, "kartu-ak1", "Andi", now=T0)
    v = step(db, "rina", v, 1)                      # pemohon's step, recorded by the counter
    v = step(db, "rina", v, 2, outcome="ya")        # lengkap
    v = step(db, "rina", v, 3)                      # pengadministrasi
    v = step(db, "dewi", v, 4)                      # Kasi: paraf
    v = step(db, "budi", v, 5)                      # Kabid: tanda tangan
    v = step(db, "rina", v, 6)                      # diserahkan
    assert v.state == "selesai" and v.open_steps == ()
    assert [(r[0], r[2]) for r in runs(db, v.id)] == [(1, "selesai"), (2, "lengkap"), (3, "selesai"), (4, "selesai"),
                                                      (5, "selesai"), (6, "selesai")]
    with db() as s:
        assert s.get(Case, v.id).closed_at == T0 + dt.timedelta(minutes=30)


def test_a_step_is_available_only_to_the_role_its_sop_names(db):
    v = act(db, "rina", cases.open_case, "kartu-ak1", "Andi", now=T0)
    for no, outcome in ((1, None), (2, "ya"), (3, None)):
        v = step(db, "rina", v, no, outcome)
    with pytest.raises(PermissionDenied):
        step(db, "rina", v, 4)  # step 4 is the Kasi's


def test_operator_desa_cannot_open_a_counter_case(db):
    with pytest.raises(PermissionDenied):
        act(db, "agus", cases.open_case, "kartu-ak1", "Andi", now=T0)


def test_operator_desa_opens_a_pbi_jk_proposal_that_belongs_to_their_desa_only(db, ready_db):
    add_users(ready_db, ("lina", "operator_desa", "desa:sukamaju"))
    v = act(db, "agus", cases.open_case, "pbi-jk", "Usulan Karang Dalo", now=T0)
    with db() as s:
        assert s.get(Case, v.id).scope == "desa:karang-dalo"
    with pytest.raises(PermissionDenied):  # step 1 is the PMK Desa of that desa, not another village's
        act(db, "lina", cases.complete_step, v.id, 1, v.version, now=T0)
    v = act(db, "agus", cases.complete_step, v.id, 1, v.version, now=T0)
    assert v.open_steps == (2,)


def test_a_decision_needs_an_outcome(db):
    v = step(db, "rina", act(db, "rina", cases.open_case, "kartu-ak1", now=T0), 1)
    with pytest.raises(CaseError, match="lengkap"):
        step(db, "rina", v, 2)


def test_an_incomplete_file_goes_back_with_what_is_missing_and_returns_as_the_same_case(db):
    v = step(db, "rina", act(db, "rina", cases.open_case, "kartu-ak1", now=T0), 1)
    with pytest.raises(CaseError, match="kurang"):
        step(db, "rina", v, 2, outcome="tidak")
    v = step(db, "rina", v, 2, outcome="tidak", note="Pas foto 3x4 belum ada")
    assert v.state == "dikembalikan" and v.open_steps == (1,)
    v = step(db, "rina", v, 1, minutes=60)          # the applicant comes back
    assert v.state == "berjalan" and v.open_steps == (2,)
    v = step(db, "rina", v, 2, outcome="ya", minutes=61)
    assert [(r[0], r[1]) for r in runs(db, v.id)] == [(1, 1), (2, 1), (1, 2), (2, 2), (3, 1)]
    with db() as s:
        returned = s.scalar(select(StepRun).where(StepRun.case_id == v.id, StepRun.step_no == 2, StepRun.attempt == 1))
    assert returned.outcome == "tidak lengkap" and returned.note == "Pas foto 3x4 belum ada"


def test_a_dispute_settled_at_bipartit_closes_the_case(db):
    v = act(db, "rina", cases.open_case, "perselisihan-hi", now=T0)
    v = step(db, "rina", v, 1)
    v = step(db, "rina", v, 2, outcome="ya")
    v = step(db, "rina", v, 3, outcome="tidak")  # sepakat
    assert v.state == "selesai"


def test_a_dispute_still_open_goes_on_to_the_mediator_request(db):
    v = act(db, "rina", cases.open_case, "perselisihan-hi", now=T0)
    v = step(db, "rina", v, 1)
    v = step(db, "rina", v, 2, outcome="ya")
    v = step(db, "rina", v, 3, outcome="ya")  # masih berselisih
    assert v.open_steps == (4,) and v.state == "berjalan"


def test_a_step_completed_without_a_start_has_no_processing_time(db):
    v = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    v = act(db, "rina", cases.start_step, v.id, 1, v.version, now=T0 + dt.timedelta(minutes=1))
    v = step(db, "rina", v, 1)
    v = step(db, "rina", v, 2, outcome="ya")
    assert [r[3] for r in runs(db, v.id)][:2] == [True, False]


def test_a_stale_version_is_refused_and_writes_nothing(db):
    v = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    step(db, "rina", v, 1)
    with pytest.raises(Conflict):
        act(db, "rina", cases.complete_step, v.id, 2, v.version, outcome="ya", now=T0)
    assert len(runs(db, v.id)) == 2


def test_the_second_person_is_told_who_completed_the_step_and_when(db):
    v = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    step(db, "rina", v, 1)
    with pytest.raises(Conflict, match="sudah diselesaikan oleh Rina pada 5 Januari 2026 08.05 WIB"):
        step(db, "tono", v, 1)


def test_two_people_completing_the_same_step_at_once_exactly_one_succeeds(db):
    v = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    v = step(db, "rina", v, 1)
    v = step(db, "rina", v, 2, outcome="ya")
    barrier = threading.Barrier(2)
    results = {}

    def worker(username):
        try:
            with db.begin() as s:
                actor = accounts.load_actor(s, username)
                barrier.wait(timeout=10)
                cases.complete_step(s, actor, v.id, 3, v.version, now=T0 + dt.timedelta(minutes=20))
            results[username] = "ok"
        except Conflict as err:
            results[username] = str(err)

    threads = [threading.Thread(target=worker, args=(u,)) for u in ("rina", "tono")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r == "ok" for r in results.values()) == [False, True], results
    loser = next(r for r in results.values() if r != "ok")
    winner = next(u for u, r in results.items() if r == "ok").title()
    assert f"sudah diselesaikan oleh {winner}" in loser or "sedang diubah" in loser
    with db() as s:
        assert s.scalar(select(func.count()).select_from(StepRun).where(
            StepRun.case_id == v.id, StepRun.step_no == 3)) == 1
        assert s.scalar(select(func.count()).select_from(StepRun).where(
            StepRun.case_id == v.id, StepRun.step_no == 4)) == 1
        assert s.get(Case, v.id).version == v.version + 1


def test_a_running_case_keeps_the_revision_it_started_under(db, tmp_path):
    old = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    folder = tmp_path / "sop"
    shutil.copytree(catalog.CATALOG_DIR, folder)
    path = folder / "kartu-ak1.yaml"
    text = path.read_text(encoding="utf-8").replace("waktu: 10 Menit", "waktu: 8 Menit")
    path.write_text(text, encoding="utf-8")
    with db.begin() as s:
        setup.sync_catalog(s, folder)
    new = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    assert new.revision_id != old.revision_id
    with db() as s:
        assert cases.sop_of(s, s.get(Case, old.id)).langkah[2].waktu == "10 Menit"
        assert cases.sop_of(s, s.get(Case, new.id)).langkah[2].waktu == "8 Menit"


def test_no_case_on_a_service_standard(db):
    with pytest.raises(CaseError, match="standar pelayanan"):
        act(db, "rina", cases.open_case, "standar-pelayanan-bpjs-tk", now=T0)


def test_a_finished_case_takes_no_more_steps(db):
    v = act(db, "rina", cases.open_case, "perselisihan-hi", now=T0)
    for no, outcome in ((1, None), (2, "ya"), (3, "tidak")):
        v = step(db, "rina", v, no, outcome)
    with pytest.raises(CaseError, match="sudah selesai"):
        step(db, "rina", v, 4)


def test_a_kepala_bidang_works_only_on_the_sops_of_their_bidang(db):
    # Budi is Kepala Bidang with the local role bidang:tenaga-kerja; PBI-JK is Dinas Sosial's SOP.
    with pytest.raises(PermissionDenied):
        act(db, "budi", cases.open_case, "pbi-jk", now=T0)
    v = act(db, "rina", cases.open_case, "kartu-ak1", now=T0)
    for no, user, outcome in ((1, "rina", None), (2, "rina", "ya"), (3, "rina", None), (4, "dewi", None)):
        v = step(db, user, v, no, outcome)
    assert step(db, "budi", v, 5).open_steps == (6,)
