"""Backup and restore: a consistent snapshot taken while the portal writes, restored into a fresh SQLite and a fresh
PostgreSQL database with the same figures and an intact audit chain; damaged, foreign and newer files refused with
nothing written; private files, encryption and --keep."""
import datetime as dt
import io
import json
import os
import shutil
import stat
import threading
import zipfile

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, select, text

from lib.base import accounts
from lib.base.db import AuditEntry, Case, CaseAttachment, session_factory
from lib.casework import case_files, cases
from lib.catalogue import model as catalog
from lib.measure import kpi
from lib.setup import backup, demo
from lib.setup import database as setup
from lib.setup.backup_file import MAGIC

from .cli import run
from .conftest import PG_URL, _pg_create_schema, _pg_drop_schema, pg_schema_url, prepared_db

NOW = dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.timezone.utc)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEY = "kunci-cadangan-yang-panjang-dan-acak-0123456789"
#: The newest schema revision (the migrations' head).
HEAD = ScriptDirectory.from_config(setup.alembic_config("sqlite://")).get_current_head()


def build_demo(url: str) -> None:
    """The demo database (``init --demo``) with a small history and one attachment (kept in the database)."""
    setup.init(url, demo=True)
    with session_factory(url).begin() as s:
        demo.fill_history(s, years=1, scale=0.03, now=NOW)
        staf = accounts.load_actor(s, "staf")
        first = s.scalar(select(Case.id).where(Case.sop_id == "kartu-ak1").order_by(Case.id).limit(1))
        case_files.attach(s, staf, first, "ktp.pdf", PDF, now=NOW)


@pytest.fixture
def demo_db(db_url, tmp_path_factory):
    return prepared_db(db_url, tmp_path_factory, "backup-demo", build_demo)


@pytest.fixture
def fresh(tmp_path):
    """Makes empty target databases: ``fresh("sqlite")`` or ``fresh("postgresql")`` (skipped without one)."""
    schemas = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'pulih-{len(schemas)}-{os.urandom(3).hex()}.db'}"
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL tidak diatur")
        schemas.append(_pg_create_schema("r_"))
        return pg_schema_url(schemas[-1])

    yield make
    for schema in schemas:
        _pg_drop_schema(schema, pg_schema_url(schema))


TARGETS = ["sqlite", "postgresql"]


@pytest.fixture
def sqlite_db(tmp_path, _sqlite_ready):
    """A ready SQLite database: the source where its kind does not matter (the targets are of both kinds)."""
    path = tmp_path / "asal.db"
    shutil.copyfile(_sqlite_ready, path)
    return f"sqlite:///{path}"


def counts(url: str) -> dict[str, int]:
    with session_factory(url)() as s:
        md = MetaData()
        md.reflect(s.connection())
        return {t: s.scalar(select(func.count()).select_from(md.tables[t])) for t in md.tables}


def state(url: str) -> dict:
    with session_factory(url)() as s:
        return {"audit_max": s.scalar(select(func.max(AuditEntry.id))), "counts": counts(url),
                "kpi": json.loads(json.dumps(kpi.summary_json(s, None, None, None)))}


def cli_json(url: str, *args: str):
    result = run(*args, "--json", url=url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_backup_taken_while_steps_are_completed_restores_the_snapshot_on_sqlite_and_postgresql(demo_db, fresh,
                                                                                                  tmp_path):
    records, stop, wrote, errors = [state(demo_db)], threading.Event(), threading.Event(), []

    def writer():
        factory = session_factory(demo_db)
        try:
            while not stop.is_set():
                with factory.begin() as s:
                    staf = accounts.load_actor(s, "staf")
                    v = cases.open_case(s, staf, "kartu-ak1", "Pemohon Baru", None)
                    cases.complete_step(s, staf, v.id, 1, v.version)
                records.append(state(demo_db))
                wrote.set()
        except Exception as e:  # noqa: BLE001 - reported by the test below
            errors.append(e)
            wrote.set()

    def during_snapshot(name, rows):
        if name == backup_tables[0]:  # the snapshot is open: let the writer commit once more meanwhile
            wrote.clear()
            assert wrote.wait(60) and not errors, errors

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert wrote.wait(60)
        with session_factory(demo_db)() as s:
            backup_tables = [t.name for t in backup.portal_tables(s.connection())[1]]
        manifest = backup.write_backup(demo_db, tmp_path / "cadangan.zip", on_table=during_snapshot)
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors
    assert manifest["schema_revision"] == HEAD
    in_file = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert in_file["case_attachments"] == 1
    for kind in TARGETS:
        target = fresh(kind)
        result = run("restore", str(tmp_path / "cadangan.zip"), url=target)
        assert result.returncode == 0, result.stderr
        assert "rantai hash utuh" in result.stdout
        assert run("audit", "verify", url=target).returncode == 0
        restored = state(target)
        at_snapshot = [r for r in records if r["audit_max"] == restored["audit_max"]]
        assert at_snapshot, "the restored database matches no state the source went through"
        assert records[-1]["audit_max"] > restored["audit_max"], "no write happened during the snapshot"
        assert restored["counts"] == at_snapshot[0]["counts"]
        assert {t: n for t, n in restored["counts"].items() if t != "alembic_version"} == in_file
        assert cli_json(target, "kpi") == at_snapshot[0]["kpi"]
        with session_factory(target)() as s:
            assert s.scalar(select(CaseAttachment.content)) == PDF
        with session_factory(target).begin() as s:  # the restored database takes new rows (sequences set)
            highest = s.scalar(select(func.max(Case.id)))
            v = cases.open_case(s, accounts.load_actor(s, "staf"), "kartu-ak1", "Sesudah Pulih", None)
            assert v.id == highest + 1
        assert run("audit", "verify", url=target).returncode == 0


@pytest.mark.parametrize("kind", TARGETS)
def test_db_move_of_the_demo_database_gives_the_same_kpi_sop_list_and_users_list(tmp_path_factory, tmp_path, fresh,
                                                                                 kind):
    source = prepared_db(f"sqlite:///{tmp_path / 'asal.db'}", tmp_path_factory, "backup-demo", build_demo)
    target = fresh(kind)
    result = run("db", "move", "--to", target, url=source)
    assert result.returncode == 0, result.stderr
    assert "cocok" in result.stdout and "TIDAK" not in result.stdout and "rantai hash utuh" in result.stdout
    for command in (["kpi"], ["sop", "list"], ["users", "list"]):
        assert cli_json(source, *command) == cli_json(target, *command), command
    assert run("audit", "verify", url=target).returncode == 0
    assert counts(source) == counts(target)
    again = run("db", "move", "--to", target, url=source)
    assert again.returncode == 2 and "sudah berisi data" in again.stderr


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, change(name, zin.read(name)))


def _no_tables(url: str) -> bool:
    path = backup.sqlite_path(url)
    if path is not None:
        return not path.exists()
    with session_factory(url)() as s:
        return not s.execute(text("SELECT 1 FROM pg_tables WHERE schemaname = current_schema()")).first()


def test_a_damaged_a_foreign_or_a_newer_schema_file_is_refused_with_exit_2_and_nothing_written(sqlite_db, fresh,
                                                                                                tmp_path):
    good = tmp_path / "baik.zip"
    assert run("backup", str(good), url=sqlite_db).returncode == 0
    data = good.read_bytes()
    damaged = tmp_path / "rusak.zip"
    middle = len(data) // 3
    damaged.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:])
    cut = tmp_path / "terpotong.zip"
    cut.write_bytes(data[: len(data) // 2])
    edited = tmp_path / "diubah.zip"
    _rewrite(good, edited, lambda n, b: b.replace(b"kartu-ak1", b"kartu-ak2") if n == "tables/sops.jsonl" else b)
    newer = tmp_path / "baru.zip"
    _rewrite(good, newer, lambda n, b: b.replace(f'"{HEAD}"'.encode(), b'"0099"') if n == "manifest.json" else b)
    foreign = tmp_path / "lain.zip"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("data.csv", "a,b\n1,2\n")
    text_file = tmp_path / "catatan.txt"
    text_file.write_text("bukan cadangan")
    cases_ = [(damaged, "rusak"), (cut, "bukan cadangan"), (edited, "rusak"), (newer, "lebih baru"),
              (foreign, "bukan cadangan Portal SOP"), (text_file, "bukan cadangan Portal SOP")]
    for kind in TARGETS:
        target = fresh(kind)
        for file, message in cases_:
            result = run("restore", str(file), url=target)
            assert result.returncode == 2, (file.name, result.stdout, result.stderr)
            assert message in result.stderr and "Traceback" not in result.stderr, (file.name, result.stderr)
            assert _no_tables(target), file.name


def test_a_backup_file_is_readable_by_its_owner_only_and_an_existing_file_is_never_overwritten(sqlite_db, tmp_path):
    old = os.umask(0)
    try:
        assert run("backup", str(tmp_path / "a.zip"), url=sqlite_db).returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.zip").stat().st_mode) == 0o600
    again = run("backup", str(tmp_path / "a.zip"), url=sqlite_db)
    assert again.returncode == 2 and "sudah ada" in again.stderr


def test_an_encrypted_backup_restores_with_its_key_and_a_wrong_or_missing_key_is_refused_in_indonesian(
        sqlite_db, fresh, tmp_path):
    with session_factory(sqlite_db).begin() as s:
        accounts.add_user(s, None, "nik3201", "Pemilik NIK 3201010101900003", "sandi-rahasia-123", [("staf", None)])
    file = tmp_path / "rahasia.zip"
    result = run("backup", str(file), url=sqlite_db, env_extra={"PORTAL_BACKUP_KEY": KEY})
    assert result.returncode == 0 and "terenkripsi" in result.stdout
    raw = file.read_bytes()
    assert raw.startswith(MAGIC) and b"manifest" not in raw and b"3201010101900003" not in raw
    wrong = run("restore", str(file), url=fresh("sqlite"), env_extra={"PORTAL_BACKUP_KEY": KEY[::-1]})
    assert wrong.returncode == 2 and "kunci PORTAL_BACKUP_KEY salah" in wrong.stderr
    missing = run("restore", str(file), url=fresh("sqlite"), env_extra={"PORTAL_BACKUP_KEY": ""})
    assert missing.returncode == 2 and "terenkripsi" in missing.stderr
    short = run("backup", str(tmp_path / "b.zip"), url=sqlite_db, env_extra={"PORTAL_BACKUP_KEY": "pendek"})
    assert short.returncode == 2 and "terlalu pendek" in short.stderr
    cut = tmp_path / "potong.zip"
    cut.write_bytes(raw[:-20])
    target = fresh("sqlite")
    damaged = run("restore", str(cut), url=target, env_extra={"PORTAL_BACKUP_KEY": KEY})
    assert damaged.returncode == 2 and "rusak" in damaged.stderr and _no_tables(target)
    target = fresh("sqlite")
    ok = run("restore", str(file), url=target, env_extra={"PORTAL_BACKUP_KEY": KEY})
    assert ok.returncode == 0, ok.stderr
    assert counts(target) == counts(sqlite_db)


def test_keep_n_removes_the_older_backups_of_the_folder_and_nothing_else(sqlite_db, tmp_path):
    folder = tmp_path / "cadangan"
    folder.mkdir()
    (folder / "catatan.txt").write_text("bukan cadangan")
    with zipfile.ZipFile(folder / "lain.zip", "w") as z:
        z.writestr("data.csv", "a\n")
    for i, env in enumerate([{}, {"PORTAL_BACKUP_KEY": KEY}, {}]):
        assert run("backup", str(folder / f"portal-{i}.zip"), url=sqlite_db, env_extra=env).returncode == 0
        os.utime(folder / f"portal-{i}.zip", (1_700_000_000 + i, 1_700_000_000 + i))
    result = run("backup", str(folder / "portal-3.zip"), "--keep", "2", url=sqlite_db)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["catatan.txt", "lain.zip", "portal-2.zip", "portal-3.zip"]
    assert "portal-0.zip" in result.stdout and "portal-1.zip" in result.stdout


@pytest.mark.parametrize("kind", TARGETS)
def test_restore_refuses_a_database_with_data_and_replace_rebuilds_it_through_the_migrations(sqlite_db, fresh,
                                                                                             tmp_path, kind):
    file = tmp_path / "c.zip"
    assert run("backup", str(file), url=sqlite_db).returncode == 0
    target = fresh(kind)
    setup.init(target)
    with session_factory(target).begin() as s:  # rows in the append-only tables too
        accounts.add_user(s, None, "lain", "Pengguna Lain", "sandi-lain-12345", [("staf", None)])
    refused = run("restore", str(file), url=target)
    assert refused.returncode == 2 and "--replace" in refused.stderr
    assert "lain" in {u["username"] for u in cli_json(target, "users", "list")}
    replaced = run("restore", str(file), "--replace", url=target)
    assert replaced.returncode == 0, replaced.stderr
    assert "diganti seluruhnya" in replaced.stdout
    assert counts(target) == counts(sqlite_db)
    assert run("audit", "verify", url=target).returncode == 0


@pytest.mark.parametrize("kind", TARGETS)
def test_restore_of_a_file_from_an_older_schema_upgrades_it_and_seals_its_audit_log(tmp_path, fresh, kind):
    from alembic import command

    old = f"sqlite:///{tmp_path / 'lama.db'}"
    cfg = setup.alembic_config(old)
    command.upgrade(cfg, "0007")
    with session_factory(old).begin() as s:
        s.execute(text("INSERT INTO audit_log (id, at, action, detail) VALUES (1, '2025-01-02 03:04:05.000000', "
                       "'masuk', 'sebelum segel')"))
    file = tmp_path / "lama.zip"
    backup.write_backup(old, file)
    target = fresh(kind)
    result = run("restore", str(file), url=target)
    assert result.returncode == 0, result.stderr
    assert f"dari revisi 0007 ke {HEAD}" in result.stdout and "rantai hash utuh" in result.stdout


def test_a_backup_streams_through_the_archive_and_lists_every_table(sqlite_db, tmp_path):
    manifest = backup.write_backup(sqlite_db, tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "x.zip") as z:
        names = set(z.namelist())
        lines = io.TextIOWrapper(z.open("tables/sops.jsonl"), encoding="utf-8").readlines()
    assert {f"tables/{t['name']}.jsonl" for t in manifest["tables"]} | {"manifest.json"} == names
    sops = len([d for d in catalog.load_catalog().values()])
    assert len(lines) == next(t["rows"] for t in manifest["tables"] if t["name"] == "sops") == sops
