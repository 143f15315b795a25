"""A faster ``ready_db`` for test modules with many small database tests: on SQLite each test gets a copy of
one database migrated and loaded once per module (a file copy instead of migrations and the catalogue);
on PostgreSQL each test's own schema becomes a copy of a template schema built once per test process with the
same users (``conftest.pg_copy``)."""
from __future__ import annotations

import shutil

import pytest

from lib.base import db
from lib.setup import database as setup

from .conftest import add_users, pg_copy


def template_fixture(*users: tuple[str, str, str | None]):
    """A module-scoped fixture: the path of a migrated SQLite database with the catalogue and ``users``."""

    @pytest.fixture(scope="module")
    def template(tmp_path_factory):
        path = tmp_path_factory.mktemp("template") / "portal.db"
        url = f"sqlite:///{path}"
        setup.init(url)
        add_users(url, *users)
        db.get_engine(url).dispose()  # the last connection closing folds the WAL into the file
        return path, users

    return template


def ready(db_url: str, template) -> db.sessionmaker:
    """The session factory of ``db_url``, ready with the catalogue and the template's users."""
    path, users = template
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(path, db_url.removeprefix("sqlite:///"))
    else:
        pg_copy(db_url, ("fast_db", users), lambda url: _init(url, users))
    return db.session_factory(db_url)


def _init(url: str, users) -> None:
    setup.init(url)
    add_users(url, *users)
