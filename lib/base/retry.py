"""A database that is busy with another writer is a normal moment, not an error: a transaction that meets it is
run again, and one that still meets it ends in one Indonesian sentence with nothing saved.

SQLite lets one writer at a time; another waits up to its busy timeout (5 s, :mod:`lib.base.db`) and then, or at
once when its snapshot is stale, fails with "database is locked". PostgreSQL ends one side of a deadlock or a
serialisation conflict (SQLSTATE 40P01, 40001). :func:`is_busy` recognises these; :func:`in_transaction` runs
an action in its own transaction, again up to :data:`ATTEMPTS` times when the database was busy, and raises
:class:`DatabaseBusy` after that. The pages' error boundary (:func:`lib.ui.widgets.guarded`) shows the same
sentence for a busy database met anywhere else.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from lib.base.errors import UserError

ATTEMPTS = 3
PAUSE_SECONDS = 0.3
BUSY_MESSAGE = ("Basis data sedang sibuk melayani pengguna lain, jadi perubahan ini belum disimpan. Tunggu "
                "sebentar, lalu ulangi.")
_BUSY_TEXT = ("database is locked", "database table is locked", "database schema is locked")
_BUSY_STATES = {"40001", "40P01"}

T = TypeVar("T")


class DatabaseBusy(UserError):
    """The database stayed busy through every attempt; nothing was saved."""


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver's error it wraps) says the database was busy with another writer."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in _BUSY_STATES or any(t in str(orig).lower() for t in _BUSY_TEXT)


def in_transaction(factory: sessionmaker[Session], action: Callable[[Session], T], *,
                   attempts: int = ATTEMPTS) -> T:
    """``action(session)`` in one transaction, committed; run again (after a short pause) when the database was
    busy, up to ``attempts`` times; :class:`DatabaseBusy` then. Any other error passes through unchanged."""
    for attempt in range(1, attempts + 1):
        try:
            with factory.begin() as session:
                return action(session)
        except DBAPIError as exc:
            if not is_busy(exc):
                raise
            if attempt == attempts:
                raise DatabaseBusy(BUSY_MESSAGE) from exc
            time.sleep(PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
