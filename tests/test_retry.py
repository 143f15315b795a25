"""A busy database ends in a retry or one Indonesian sentence, never in a traceback: the condition is forced
(another connection holds SQLite's write lock), not waited for by chance."""
import sqlite3
import threading

import pytest
from sqlalchemy import text

from lib.base import retry
from lib.base.db import session_factory


@pytest.fixture
def sqlite_file(tmp_path):
    path = tmp_path / "sibuk.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE catatan (isi TEXT)")
    con.commit()
    con.close()
    return path


def _holder(path):
    """A second writer holding the write lock until released."""
    con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO catatan VALUES ('dari penulis lain')")
    return con


def _write(session, calls: list) -> str:
    calls.append(1)
    session.execute(text("PRAGMA busy_timeout=20"))  # meet the lock at once instead of after 5 s
    session.execute(text("INSERT INTO catatan VALUES ('dari portal')"))
    return "tersimpan"


def _rows(path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT isi FROM catatan ORDER BY rowid")]
    finally:
        con.close()


def test_a_write_that_meets_a_locked_database_is_run_again_and_stored_once(sqlite_file):
    holder = _holder(sqlite_file)
    threading.Timer(0.1, holder.commit).start()  # the other writer finishes while the portal waits to retry
    calls: list = []
    assert retry.in_transaction(session_factory(f"sqlite:///{sqlite_file}"), lambda s: _write(s, calls)) == "tersimpan"
    holder.close()
    assert len(calls) == 2
    assert _rows(sqlite_file) == ["dari penulis lain", "dari portal"]


def test_a_database_locked_past_every_attempt_ends_in_one_indonesian_sentence_and_nothing_saved(sqlite_file):
    holder = _holder(sqlite_file)
    calls: list = []
    try:
        with pytest.raises(retry.DatabaseBusy, match="Basis data sedang sibuk melayani pengguna lain"):
            retry.in_transaction(session_factory(f"sqlite:///{sqlite_file}"), lambda s: _write(s, calls))
    finally:
        holder.rollback()
        holder.close()
    assert len(calls) == retry.ATTEMPTS
    assert _rows(sqlite_file) == []


def test_an_error_that_is_not_a_busy_database_is_not_retried(sqlite_file):
    calls: list = []

    def broken(session):
        calls.append(1)
        session.execute(text("INSERT INTO tabel_yang_tidak_ada VALUES (1)"))

    with pytest.raises(Exception, match="no such table"):
        retry.in_transaction(session_factory(f"sqlite:///{sqlite_file}"), broken)
    assert len(calls) == 1


def test_a_busy_database_met_by_a_page_shows_the_sentence_not_a_reference_number(app_db, monkeypatch):
    import sqlalchemy.exc

    import views.akun

    from .test_pages import open_app

    def busy() -> None:
        raise sqlalchemy.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(views.akun, "render", busy)
    monkeypatch.setenv("PORTAL_RAISE_ERRORS", "0")
    at = open_app("akun", user="staf")
    assert not at.exception
    assert [w.value for w in at.warning] == [retry.BUSY_MESSAGE]
    assert not at.error
