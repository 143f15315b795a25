"""The sealed audit log: REPLACE (SQLite) and TRUNCATE (PostgreSQL) are refused on the append-only tables, every
entry is sealed into a hash chain, and ``python -m lib audit verify`` finds where it was tampered with."""
import datetime as dt
import json
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from lib.base import accounts, audit, audit_chain
from lib.base.db import APPEND_ONLY_TABLES, AuditEntry, get_engine, session_factory, utcnow
from lib.setup import database as setup

from .cli import run


@pytest.fixture
def db(ready_db):
    """A ready database with a few more entries: two accounts, a login and a failed login."""
    with session_factory(ready_db).begin() as s:
        accounts.add_user(s, None, "admin", "Admin", "rahasia-admin", [("admin", None)])
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
        accounts.authenticate(s, "rina", "rahasia-rina")
        accounts.authenticate(s, "rina", "salah")
    return ready_db


def verify(url: str) -> audit_chain.Report:
    with session_factory(url)() as s:
        return audit_chain.verify(s, None)


def ids(url: str) -> list[int]:
    with session_factory(url)() as s:
        return list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def as_owner(url: str, *statements: str) -> None:
    """Run statements with the owner's powers: set the append-only trigger aside, run them, put it back."""
    engine = get_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        for sql in statements:
            conn.execute(text(sql))


# --- the chain ------------------------------------------------------------------------------------------------
def test_every_entry_is_sealed_and_an_untouched_log_verifies_intact(db):
    report = verify(db)
    assert report.intact and report.checked == len(ids(db)) > 4
    with session_factory(db)() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert rows[0].prev_hash == audit_chain.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
    assert report.last_id == rows[-1].id and report.last_hash == rows[-1].row_hash


def test_the_hash_is_of_the_values_not_of_their_stored_text():
    """The same values give the same hash whatever the time's zone or the id's type."""
    values = {"id": 7, "at": dt.datetime(2026, 12, 8, 2, 30, 0, 5, tzinfo=dt.timezone.utc), "user_id": 3,
              "username": "rina", "action": "masuk", "object_type": None, "object_id": None, "detail": "ø"}
    same = {**values, "id": "7", "at": values["at"].astimezone(dt.timezone(dt.timedelta(hours=7)))}
    assert audit_chain.link(audit_chain.GENESIS, values) == audit_chain.link(audit_chain.GENESIS, same)
    assert audit_chain.canonical(values) == ('{"action":"masuk","at":"2026-12-08T02:30:00.000005Z","detail":"ø",'
                                             '"id":7,"object_id":null,"object_type":null,"user_id":3,'
                                             '"username":"rina"}')
    assert audit_chain.link(audit_chain.GENESIS, {**values, "detail": "o"}) != audit_chain.link(
        audit_chain.GENESIS, values)


def test_a_detail_changed_by_the_owner_behind_the_trigger_is_found_at_its_id(db):
    middle = ids(db)[3]
    as_owner(db, f"UPDATE audit_log SET detail = 'bukan apa-apa' WHERE id = {middle}")
    report = verify(db)
    assert report.broken.id == middle and report.broken.problem == "isi"
    assert report.last_id == ids(db)[2] and report.checked == 4


def test_a_time_moved_by_the_owner_is_found_at_its_id(db):
    middle = ids(db)[2]
    with session_factory(db)() as s:
        at = s.get(AuditEntry, middle).at
    stored = at.replace(tzinfo=None) if get_engine(db).dialect.name == "sqlite" else at
    earlier = stored - dt.timedelta(hours=1)
    as_owner(db)
    with get_engine(db).begin() as conn:
        conn.execute(sa.update(sa.table("audit_log", sa.column("id"), sa.column("at")))
                     .where(sa.column("id") == middle).values(at=earlier))
    assert verify(db).broken.id == middle


def test_a_middle_row_deleted_by_the_owner_is_found_at_the_next_id(db):
    rows = ids(db)
    as_owner(db, f"DELETE FROM audit_log WHERE id = {rows[3]}")
    report = verify(db)
    assert report.broken.id == rows[4] and report.broken.problem == "mata_rantai"
    assert f"id {rows[2]}" in report.broken.message


def test_the_first_row_deleted_by_the_owner_is_found(db):
    rows = ids(db)
    as_owner(db, f"DELETE FROM audit_log WHERE id = {rows[0]}")
    assert verify(db).broken.id == rows[1]


@pytest.mark.parametrize("prev, row_hash, problem", [
    ("head", "f" * 64, "isi"),          # linked to the newest row, but the hash is made up
    ("0" * 63 + "1", "f" * 64, "mata_rantai"),  # linked to nothing
    (None, None, "tanpa_segel"),         # written past the application, without a seal
], ids=["wrong-hash", "wrong-link", "no-seal"])
def test_a_row_inserted_with_a_wrong_hash_is_found_at_its_id(db, prev, row_hash, problem):
    with session_factory(db)() as s:
        head = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    new_id = head.id + 1
    entry = sa.table("audit_log", *[sa.column(c) for c in ("id", "at", "username", "action", "prev_hash",
                                                            "row_hash")])
    with get_engine(db).begin() as conn:
        conn.execute(sa.insert(entry).values(id=new_id, at=utcnow().replace(tzinfo=None), username="siluman",
                                             action="masuk", prev_hash=head.row_hash if prev == "head" else prev,
                                             row_hash=row_hash))
    report = verify(db)
    assert report.broken.id == new_id and report.broken.problem == problem
    assert report.last_id == head.id


def test_entries_written_after_a_forged_row_still_append(db):
    """A row without a seal does not stop the log: the next entry links to the newest sealed row."""
    with get_engine(db).begin() as conn:
        conn.execute(text("INSERT INTO audit_log (id, at, action) VALUES (:i, :at, 'masuk')"),
                     {"i": ids(db)[-1] + 1, "at": utcnow().replace(tzinfo=None)})
    with session_factory(db).begin() as s:
        audit.record(s, None, "masuk", username="rina")
    assert verify(db).broken.problem == "tanpa_segel"


def test_two_entries_linking_to_the_same_row_are_refused(db):
    """The unique index on prev_hash: whatever the isolation level, the chain cannot fork."""
    with session_factory(db)() as s:
        head = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    with pytest.raises(IntegrityError), get_engine(db).begin() as conn:
        conn.execute(text("INSERT INTO audit_log (id, at, action, prev_hash, row_hash) "
                          "VALUES (:i, :at, 'masuk', :p, :h)"),
                     {"i": head.id + 1, "at": utcnow().replace(tzinfo=None), "p": head.prev_hash, "h": "e" * 64})


def test_two_writers_appending_at_once_do_not_fork_the_chain(db):
    """Each writer holds its transaction open a moment after appending; without the chain lock the second would
    link to the same row as the first and be refused (or fork the chain)."""
    if get_engine(db).dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time; a writer that read an older head cannot write")
    factory = session_factory(db)
    start, errors = threading.Barrier(2), []

    def writer(name: str) -> None:
        try:
            start.wait()
            for i in range(15):
                with factory.begin() as s:
                    audit.record(s, None, "masuk", username=f"{name}-{i}")
                    time.sleep(0.005)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    before = len(ids(db))
    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    report = verify(db)
    assert report.intact and report.checked == before + 30


# --- the migration --------------------------------------------------------------------------------------------
def _alembic(url: str, action, revision: str) -> None:
    with get_engine(url).begin() as conn:
        cfg = setup.alembic_config(url)
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def test_rows_written_before_the_seal_are_chained_by_the_migration(db_url):
    _alembic(db_url, command.upgrade, "0007")
    old = sa.table("audit_log", *[sa.column(c) for c in ("at", "username", "action", "detail")])
    with get_engine(db_url).begin() as conn:
        for i in range(5):
            conn.execute(sa.insert(old).values(at=utcnow().replace(tzinfo=None), username="lama", action="masuk",
                                               detail=f"sebelum segel {i}"))
    _alembic(db_url, command.upgrade, "head")
    assert verify(db_url).intact and verify(db_url).checked == 5
    with session_factory(db_url).begin() as s:
        audit.record(s, None, "masuk", username="baru")
    report = verify(db_url)
    assert report.intact and report.checked == 6
    with pytest.raises(DatabaseError), get_engine(db_url).begin() as conn:  # the update trigger is back
        conn.execute(text("UPDATE audit_log SET detail = 'x'"))


def test_the_seal_migration_goes_down_and_up_again(db):
    _alembic(db, command.downgrade, "0007")
    columns = {c["name"] for c in sa.inspect(get_engine(db)).get_columns("audit_log")}
    assert "row_hash" not in columns and "prev_hash" not in columns
    _alembic(db, command.upgrade, "head")
    get_engine.cache_clear()
    assert verify(db).intact and verify(db).checked == len(ids(db))


# --- REPLACE and TRUNCATE -------------------------------------------------------------------------------------
def test_sqlite_refuses_replace_into_the_audit_log_and_the_validation_rows(db):
    if not db.startswith("sqlite"):
        pytest.skip("REPLACE is SQLite's")
    first = ids(db)[0]
    with pytest.raises(DatabaseError, match="append-only"), get_engine(db).begin() as conn:  # the app's connection
        conn.execute(text("REPLACE INTO audit_log (id, at, action) VALUES (:i, '2020-01-01 00:00:00', 'masuk')"),
                     {"i": first})
    raw = sqlite3.connect(db.removeprefix("sqlite:///"))  # any connection: no pragma of ours
    try:
        raw.execute("INSERT INTO validasi_baris (id, batch_id, excel_row, nik, nama, status, warnings) "
                    "VALUES (1, 1, 2, '3313010101900001', 'Asli', 'valid', '[]')")
        raw.commit()
        for sql in ("REPLACE INTO audit_log (id, at, action) VALUES (?, '2020-01-01 00:00:00', 'masuk')",
                    "INSERT OR REPLACE INTO validasi_baris (id, batch_id, excel_row, nik, nama, status, warnings) "
                    "VALUES (?, 1, 2, '3313010101900001', 'Palsu', 'valid', '[]')"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(sql, (first if "audit_log" in sql else 1,))
        assert raw.execute("SELECT nama FROM validasi_baris").fetchall() == [("Asli",)]
    finally:
        raw.close()
    assert verify(db).intact


def test_sqlite_refuses_a_replace_that_would_push_out_a_row_by_another_unique_key(db):
    """bpjs_cek is unique on (kohort_id, sha256) too: the app's connections fire its DELETE trigger on REPLACE."""
    if not db.startswith("sqlite"):
        pytest.skip("REPLACE is SQLite's")
    with get_engine(db).begin() as conn:
        conn.execute(text("INSERT INTO kohort_rentan (id, nama, mulai, selesai, sumber_dana, state, created_at) "
                          "VALUES (1, 'K', '2026-01-01', '2026-12-01', 'APBD', 'disusun', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO bpjs_cek (id, kohort_id, filename, sha256, imported_at, rows_total, cocok, "
                          "terdaftar_lain, diganti) VALUES (1, 1, 'a.xlsx', 'abc', '2026-01-01 00:00:00', 1, 1, 0, 0)"))
    with pytest.raises(DatabaseError, match="append-only"), get_engine(db).begin() as conn:
        conn.execute(text("REPLACE INTO bpjs_cek (id, kohort_id, filename, sha256, imported_at, rows_total, cocok, "
                          "terdaftar_lain, diganti) VALUES (2, 1, 'b.xlsx', 'abc', '2026-01-02 00:00:00', 0, 0, 0, 0)"))


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_postgresql_refuses_truncate_on_every_append_only_table(db, table):
    if db.startswith("sqlite"):
        pytest.skip("SQLite has no TRUNCATE")
    before = len(ids(db))
    with pytest.raises(DatabaseError, match="append-only"), get_engine(db).begin() as conn:
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert len(ids(db)) == before


def test_postgresql_refuses_a_truncate_that_cascades_into_the_audit_log(db):
    if db.startswith("sqlite"):
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DatabaseError, match="audit_log is append-only"), get_engine(db).begin() as conn:
        conn.execute(text("TRUNCATE users CASCADE"))
    with session_factory(db)() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) > 0


# --- python -m lib audit verify -------------------------------------------------------------------------------
def test_audit_verify_says_the_chain_is_intact_and_exits_0(db):
    out = run("audit", "verify", url=db)
    assert out.returncode == 0, out.stderr
    assert f"{len(ids(db))} baris diperiksa, rantai hash utuh" in out.stdout


def test_audit_verify_names_the_first_broken_row_and_exits_1(db):
    middle = ids(db)[3]
    as_owner(db, f"UPDATE audit_log SET username = 'orang lain' WHERE id = {middle}")
    out = run("audit", "verify", url=db)
    assert out.returncode == 1
    assert f"PUTUS pada id {middle}" in out.stdout and "isi baris" in out.stdout and "Traceback" not in out.stderr
    data = json.loads(run("audit", "verify", "--json", url=db).stdout)
    assert data["intact"] is False and data["break"]["id"] == middle and data["checked"] == 4
