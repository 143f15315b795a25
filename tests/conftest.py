"""Shared fixtures. Tests run on SQLite always, and on PostgreSQL too when TEST_DATABASE_URL is set:
each PostgreSQL test gets its own schema, dropped afterwards."""
from __future__ import annotations

import os
import shutil
import uuid

# Cheap bcrypt for the many test accounts (the app uses cost 12); set before lib.config is imported.
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
# No two-year demo history in every fresh test database (tests that need it fill it themselves).
os.environ.setdefault("PORTAL_DEMO_HISTORY", "0")

import pytest
from sqlalchemy import create_engine, text

from lib import db, store

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """An empty database URL on each configured backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    yield url
    db.get_engine(url).dispose()
    db.get_engine.cache_clear()
    with admin.begin() as conn:
        # A test that leaves a transaction open fails here instead of hanging the run.
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_ready(tmp_path_factory):
    """One SQLite database migrated and loaded once; each test gets a copy (a file copy is much faster
    than running the migrations and loading the catalogue again)."""
    path = tmp_path_factory.mktemp("ready") / "portal.db"
    store.init(f"sqlite:///{path}")
    db.get_engine(f"sqlite:///{path}").dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def ready_db(db_url, request):
    """A database with the schema and the catalogue loaded."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("_sqlite_ready"), db_url.removeprefix("sqlite:///"))
    else:
        store.init(db_url)
    return db_url


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """DATABASE_URL pointing at a fresh SQLite file, for AppTest and CLI tests."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def add_users(url: str, *users: tuple[str, str, str | None]) -> None:
    """Accounts (username, role, scope) whose password is ``sandi-<username>-123``."""
    from lib import accounts
    from lib.db import session_factory

    with session_factory(url).begin() as s:
        for username, role, scope in users:
            accounts.add_user(s, None, username, username.title(), f"sandi-{username}-123", [(role, scope)])
