"""The database: migrations, loading the catalogue into revisions, and the calendar settings."""
import datetime as dt
import shutil

from sqlalchemy import func, inspect, select

from lib.base import kalender
from lib.base.db import AuditEntry, CalendarOverride, SopRevision, WorkflowHistory, get_engine, session_factory
from lib.catalogue import model as catalog
from lib.catalogue import store
from lib.setup import database as setup


def _catalogue_with_a_shorter_ak1_step(tmp_path):
    """A copy of the catalogue in which AK1 step 3 has a target of 8 instead of 10 minutes."""
    folder = tmp_path / "sop"
    shutil.copytree(catalog.CATALOG_DIR, folder)
    path = folder / "kartu-ak1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("waktu: 10 Menit", "waktu: 8 Menit"), encoding="utf-8")
    return folder


def test_init_creates_the_core_tables_and_loads_every_document(db_url):
    report = setup.init(db_url)
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert {"users", "role_assignments", "sops", "sop_revisions", "cases", "step_runs", "audit_log", "settings",
            "calendar_overrides", "workflow_history", "alembic_version"} <= tables
    assert sorted(report.added) == sorted(catalog.load_catalog())
    with session_factory(db_url)() as s:
        docs = store.active_documents(s)
    assert set(docs) == set(catalog.load_catalog())
    assert all(d.revision_no == 1 for d in docs.values())


def test_the_head_read_from_the_migration_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    setup.head_revision.cache_clear()
    assert setup.head_revision() == ScriptDirectory.from_config(setup.alembic_config("sqlite://")).get_current_head()


def test_init_twice_changes_nothing(ready_db):
    report = setup.init(ready_db)
    assert not report.added and not report.updated
    with session_factory(ready_db)() as s:
        assert s.scalar(select(func.count()).select_from(SopRevision)) == len(catalog.load_catalog())


def test_a_changed_catalogue_file_becomes_a_new_revision_and_the_old_one_stops(ready_db, tmp_path):
    folder = _catalogue_with_a_shorter_ak1_step(tmp_path)
    with session_factory(ready_db).begin() as s:
        report = setup.sync_catalog(s, folder)
    assert report.updated == ["kartu-ak1"]
    with session_factory(ready_db)() as s:
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "muat_katalog")).all()
        assert [(e.object_id, e.username) for e in logged][-1] == ("kartu-ak1", "sistem")
        assert len(logged) == len(catalog.load_catalog()) + 1
    with session_factory(ready_db)() as s:
        revs = s.scalars(select(SopRevision).where(SopRevision.sop_id == "kartu-ak1")
                         .order_by(SopRevision.revision_no)).all()
        assert [(r.revision_no, r.state) for r in revs] == [(1, "tidak_berlaku"), (2, "disahkan")]
        assert store.active_documents(s)["kartu-ak1"].doc.langkah[2].waktu == "8 Menit"
        history = s.scalars(select(WorkflowHistory.to_state).where(WorkflowHistory.object_id == str(revs[0].id))).all()
        assert history == ["disahkan", "tidak_berlaku"]


def test_a_revision_made_in_the_browser_is_never_overwritten_by_a_file(ready_db, tmp_path):
    with session_factory(ready_db).begin() as s:
        current = store.current_revision(s, "kartu-ak1")
        s.add(SopRevision(sop_id="kartu-ak1", revision_no=2, state="draft", content=current.content,
                          content_hash="x", source="web"))
    folder = _catalogue_with_a_shorter_ak1_step(tmp_path)
    with session_factory(ready_db).begin() as s:
        report = setup.sync_catalog(s, folder)
    assert report.kept_web == ["kartu-ak1"] and not report.updated


def test_the_calendar_reads_the_admins_overrides(ready_db):
    with session_factory(ready_db).begin() as s:
        s.add(CalendarOverride(day=dt.date(2025, 5, 6), kind="libur", keterangan="Cuti bersama tambahan"))
    with session_factory(ready_db)() as s:
        cal = kalender.load_calendar(s)
    assert cal.minutes_in_day(dt.date(2025, 5, 6)) == 0
    assert cal.minutes_in_day(dt.date(2025, 5, 7)) == 450


def test_instants_come_back_as_aware_utc(ready_db):
    with session_factory(ready_db)() as s:
        rev = s.scalars(select(SopRevision).limit(1)).first()
    assert rev.created_at.tzinfo is not None and rev.created_at.utcoffset() == dt.timedelta(0)
