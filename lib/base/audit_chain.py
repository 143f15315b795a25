"""The seal of the audit log: a hash chain over its rows.

Each row stores ``prev_hash`` (the ``row_hash`` of the row before it; :data:`GENESIS` for the first) and
``row_hash = sha256(prev_hash + canonical(row))``. :func:`canonical` is JSON of the row's values (id, time
as ISO 8601 UTC with microseconds, user id, user name, action, object, detail) with sorted keys, not the
text the database stores, so a change of column type or of database leaves the chain valid. Changing a
row, deleting one or inserting one without the chain breaks it, and :func:`verify` names the first row
where it breaks. Rows that existed before the seal (migration 0008) were chained by that migration in id
order, so the chain starts at the first row ever written.

Appending (:func:`seal`) reads the newest sealed row and gives the new row the next id. Two writers must
not both link to the same row (a fork): on PostgreSQL every append first takes a transaction-scoped
advisory lock keyed on the audit table, so appends are serialised until their transaction ends; on SQLite
a writer holds the database's one write lock, and a transaction that read an older head cannot write.
Either way a unique index on ``prev_hash`` refuses a fork outright.

What the chain cannot show by itself: rows removed at the end of the log, or a chain recomputed from an
altered row to the end. :func:`verify` reports the newest id and hash; noted elsewhere (a printout, a
message to the inspectorate) they make such a rewrite visible as well.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from lib.base.db import AuditEntry
from lib.base.errors import UserError
from lib.base.permissions import Actor, require

#: The ``prev_hash`` of the first row.
GENESIS = "0" * 64
#: The columns :func:`canonical` reads, in the order the rows are read.
COLUMNS = ("id", "at", "user_id", "username", "action", "object_type", "object_id", "detail")


class ChainUnavailable(UserError):
    """The database has no sealed audit log yet (its schema predates migration 0008)."""


def canonical(values: dict[str, Any]) -> str:
    """The row as the chain sees it: sorted-key JSON of its values, the time in UTC with microseconds."""
    at = values["at"]
    if at.tzinfo is None:
        raise ValueError("audit time without a time zone")
    data = {
        "id": int(values["id"]),
        "at": at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user_id": None if values["user_id"] is None else int(values["user_id"]),
        "username": values["username"],
        "action": values["action"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        "detail": values["detail"],
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(prev_hash: str, values: dict[str, Any]) -> str:
    """The ``row_hash`` of a row with these values after a row whose hash is ``prev_hash``."""
    return hashlib.sha256((prev_hash + canonical(values)).encode("utf-8")).hexdigest()


def _head(session: Session) -> tuple[int, str]:
    """The id the next row gets and the hash it links to, with the chain locked on PostgreSQL."""
    newest_sealed = (select(AuditEntry.row_hash).where(AuditEntry.row_hash.is_not(None))
                     .order_by(AuditEntry.id.desc()).limit(1).scalar_subquery())
    # Above every id there is, so that id order is the order of the chain (SQLite numbers rows so itself).
    next_id = func.coalesce(select(func.max(AuditEntry.id)).scalar_subquery(), 0) + 1
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(CAST(CAST('audit_log' AS regclass) AS oid) "
                             "AS bigint))"))
        next_id = func.greatest(func.nextval(func.pg_get_serial_sequence("audit_log", "id")), next_id)
    new_id, prev = session.execute(select(next_id, newest_sealed)).one()
    return int(new_id), prev or GENESIS


def seal(session: Session, entry: AuditEntry) -> None:
    """Give a new, not yet added ``entry`` its id, ``prev_hash`` and ``row_hash`` (see the module docstring)."""
    session.flush()  # an entry added earlier in this transaction is the head now
    entry.id, entry.prev_hash = _head(session)
    entry.row_hash = link(entry.prev_hash, {c: getattr(entry, c) for c in COLUMNS})


@dataclass(frozen=True)
class Break:
    """The first row where the chain breaks: its id, what is wrong (``tanpa_segel``, ``mata_rantai``,
    ``isi``) and an Indonesian sentence saying what differs."""
    id: int
    problem: str
    message: str


@dataclass(frozen=True)
class Report:
    checked: int
    last_id: int | None
    last_hash: str | None
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _short(h: str | None) -> str:
    return "(kosong)" if h is None else h[:16] + "…"


def check_row(row: dict[str, Any], prev_id: int | None, prev_hash: str) -> Break | None:
    """Whether ``row`` links to the row before it (``prev_id``/``prev_hash``; None/GENESIS at the start) and
    its content matches its hash."""
    rid = int(row["id"])
    if row["row_hash"] is None or row["prev_hash"] is None:
        return Break(rid, "tanpa_segel", f"baris id {rid} tidak bersegel (tanpa hash): ditulis tanpa lewat aplikasi")
    if row["prev_hash"] != prev_hash:
        where = (f"baris sebelumnya (id {prev_id}) ber-hash {_short(prev_hash)}" if prev_id is not None
                 else "baris pertama seharusnya diawali segel awal")
        return Break(rid, "mata_rantai", f"baris id {rid} menunjuk hash sebelumnya {_short(row['prev_hash'])}, "
                                         f"tetapi {where}: ada baris yang dihapus, disisipkan atau diubah sebelum "
                                         f"id {rid}")
    expected = link(row["prev_hash"], row)
    if row["row_hash"] != expected:
        return Break(rid, "isi", f"isi baris id {rid} tidak cocok dengan hash-nya (tersimpan "
                                 f"{_short(row['row_hash'])}, dihitung dari isinya {_short(expected)}): isi baris "
                                 "diubah setelah ditulis")
    return None


def verify(session: Session, actor: Actor | None, batch: int = 5000) -> Report:
    """Walk the whole log in id order and stop at the first break. ``actor`` None is the server shell."""
    if actor is not None:
        require(actor, "view_audit_log")
    names = {c["name"] for c in inspect(session.connection()).get_columns("audit_log")}
    if "row_hash" not in names:
        raise ChainUnavailable("Log audit di basis data ini belum bersegel (skema lama). Jalankan dulu: "
                               "python -m lib init")
    columns = [getattr(AuditEntry, c) for c in (*COLUMNS, "prev_hash", "row_hash")]
    checked, prev_id, prev_hash = 0, None, GENESIS
    while True:
        q = select(*columns).order_by(AuditEntry.id).limit(batch)
        if prev_id is not None:
            q = q.where(AuditEntry.id > prev_id)
        rows = session.execute(q).mappings().all()
        for row in rows:
            checked += 1
            broken = check_row(row, prev_id, prev_hash)
            if broken:
                return Report(checked, prev_id, prev_hash if prev_id is not None else None, broken)
            prev_id, prev_hash = int(row["id"]), row["row_hash"]
        if len(rows) < batch:
            return Report(checked, prev_id, prev_hash if prev_id is not None else None, None)
