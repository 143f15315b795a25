"""Restoring a backup into an empty database of either kind, and moving a database to another one.

All or nothing. The file is read through and checked (format, every table's rows and checksum, a schema
revision this version of the portal knows) before anything is written. Then the schema is built by the
migrations up to the file's revision, the rows are loaded verbatim in chunks (the audit log with its
``prev_hash``/``row_hash``, so its chain stays valid), every table is read back and compared with the file's
rows and checksum, the schema is upgraded to the newest migration and, on PostgreSQL, the sequences are set
past the highest id. On PostgreSQL all of it is one transaction; on SQLite it is built in a new file next to the
target, which replaces the target only at the end.

A database that holds rows is refused unless ``replace``: then its tables are dropped (with their triggers and
trigger functions) and built again by the migrations. Rows are never deleted one by one: the append-only tables
refuse that. It runs as the owner of the schema (``DATABASE_OWNER_URL``).

:func:`move` copies the database of one URL into an empty database (SQLite into PostgreSQL, the usual case):
a backup to a private temporary file, restored into the target.
"""
from __future__ import annotations

import base64
import datetime as dt
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import JSON, Date, DateTime, LargeBinary, MetaData, Numeric, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, ProgrammingError

from lib.base.db import Base, get_engine
from lib.base.errors import UserError
from lib.setup import backup as bk
from lib.setup import db_roles
from lib.setup.backup_file import BackupRefused
from lib.setup.database import alembic_config


class TargetNotEmpty(UserError):
    """The target database holds rows and ``--replace`` was not given; nothing was written."""


@dataclass
class TableCheck:
    """A table's rows and checksum in the file (the source) and in the restored database."""
    name: str
    rows_source: int
    rows_target: int
    sha256_source: str
    sha256_target: str

    @property
    def ok(self) -> bool:
        return self.rows_source == self.rows_target and self.sha256_source == self.sha256_target


@dataclass
class RestoreReport:
    target: str
    schema_revision: str
    head_revision: str
    replaced: bool
    tables: list[TableCheck]

    def as_dict(self) -> dict:
        return {"target": self.target, "schema_revision": self.schema_revision, "head_revision": self.head_revision,
                "replaced": self.replaced, "tables": [asdict(t) | {"ok": t.ok} for t in self.tables]}


def check_revision(revision: str, name: str) -> str:
    """Refuse a file from a schema this version of the portal does not know (a newer one); returns the head."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupRefused(f"Berkas cadangan {name} berasal dari skema revisi {revision}, yang tidak dikenal versi "
                            "portal ini (lebih baru): perbarui aplikasi dulu, lalu pulihkan.")
    return script.get_current_head()


def _has_rows(url: str) -> bool:
    """Whether the database of ``url`` holds any row in a table (an absent SQLite file holds none)."""
    path = bk.sqlite_path(url)
    if path is not None:
        if not path.exists():
            return False
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'")]
            return any(conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0] for t in tables)
        finally:
            conn.close()
    try:
        with get_engine(url).connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                       "AND tablename <> 'alembic_version'")).scalars().all()
            return any(conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{t}")')).scalar() for t in tables)
    except DBAPIError as err:
        raise UserError(f"Basis data tujuan {bk.where(url)} tidak dapat dihubungi: {err.orig}") from None


def _decoder(column_type, sqlite: bool):
    """From a backup's value to what the column takes."""
    if isinstance(column_type, DateTime):
        aware = column_type.timezone and not sqlite

        def instant(v):
            t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            return t if aware else t.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return instant
    if isinstance(column_type, Date):
        return dt.date.fromisoformat
    if isinstance(column_type, LargeBinary):
        return base64.b64decode
    if isinstance(column_type, Numeric) and column_type.asdecimal:
        return Decimal
    return None


def _load(conn: Connection, backup: bk.Backup) -> list[TableCheck]:
    """Build the schema at the file's revision, load the rows and compare them with the file."""
    manifest, sqlite = backup.manifest, conn.dialect.name == "sqlite"
    cfg = alembic_config(conn.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, manifest["schema_revision"])
    md = MetaData()
    md.reflect(conn)
    tables = [t for t in md.sorted_tables if t.name != "alembic_version"]
    entries = {e["name"]: e for e in manifest["tables"]}
    if {t.name for t in tables} != set(entries) or any(
            {c.name for c in t.columns} != set(entries[t.name]["columns"]) for t in tables):
        raise BackupRefused(f"Isi berkas cadangan {backup.name} tidak cocok dengan skema revisi "
                            f"{manifest['schema_revision']} (tabel atau kolom berbeda).")
    for table in tables:
        columns = entries[table.name]["columns"]
        for c in table.columns:
            if isinstance(c.type, JSON):
                c.type.none_as_null = True  # NULL stays NULL (not the JSON text 'null')
        decoders = [_decoder(table.c[c].type, sqlite) for c in columns]
        for batch in backup.rows(table.name, len(columns), bk.chunk_rows(table)):
            conn.execute(table.insert(), [
                {c: (v if d is None or v is None else d(v)) for c, d, v in zip(columns, decoders, row)}
                for row in batch])
    checks = []
    for table in tables:
        entry = entries[table.name]
        sums = bk.digest(conn, table, entry["columns"])
        checks.append(TableCheck(table.name, entry["rows"], sums.rows, entry["sha256"], sums.hexdigest()))
    wrong = [c.name for c in checks if not c.ok]
    if wrong:
        raise BackupRefused(f"Hasil pemulihan tidak sama dengan berkas pada tabel {', '.join(wrong)}; dibatalkan, "
                            "tidak ada yang ditulis.")
    command.upgrade(cfg, "head")
    db_roles.narrow_after_migration(conn)
    return checks


def _drop_portal_tables(conn: Connection, names: set[str]) -> None:
    """Drop the portal's tables in the current schema, their triggers and trigger functions (PostgreSQL)."""
    present = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
    tables = sorted(set(present.scalars()) & (names | set(Base.metadata.tables) | {"alembic_version"}))
    if not tables:
        return
    functions = conn.execute(text(
        "SELECT DISTINCT CAST(CAST(g.tgfoid AS regprocedure) AS text) FROM pg_trigger g "
        "JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid "
        "WHERE NOT g.tgisinternal AND c.relnamespace = CAST(current_schema() AS regnamespace) "
        "AND p.pronamespace = c.relnamespace AND c.relname = ANY(:t)"), {"t": tables}).scalars().all()
    conn.execute(text("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    for fn in functions:
        conn.execute(text(f"DROP FUNCTION IF EXISTS {fn}"))


def _set_sequences(conn: Connection) -> None:
    """Every serial or identity column's sequence just past the highest value in its column (PostgreSQL)."""
    found = conn.execute(text(
        "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(c.relname), a.attname) FROM pg_class c "
        "JOIN pg_attribute a ON a.attrelid = c.oid WHERE c.relnamespace = CAST(current_schema() AS regnamespace) "
        "AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL")).all()
    for table, column, sequence in found:
        conn.execute(text(f'SELECT setval(:s, coalesce((SELECT max("{column}") FROM "{table}"), 1), '
                          f'(SELECT max("{column}") FROM "{table}") IS NOT NULL)'), {"s": sequence})


def _restore_sqlite(backup: bk.Backup, target: Path) -> list[TableCheck]:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.pulih-{os.getpid()}")
    url = f"sqlite:///{tmp}"
    try:
        with get_engine(url).begin() as conn:
            checks = _load(conn, backup)
        get_engine(url).dispose()  # the last connection closing folds the WAL into the file
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        return checks
    finally:
        get_engine(url).dispose()
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


def _restore_postgresql(backup: bk.Backup, url: str) -> list[TableCheck]:
    try:
        with get_engine(url).begin() as conn:
            _drop_portal_tables(conn, {e["name"] for e in backup.manifest["tables"]})
            checks = _load(conn, backup)
            _set_sequences(conn)
    except ProgrammingError as err:
        if getattr(err.orig, "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        raise UserError("Peran basis data tujuan tidak berhak membuat atau menghapus tabel; tidak ada yang ditulis. "
                        "Pulihkan sebagai pemilik skema: DATABASE_OWNER_URL (restore) atau alamat pemilik pada "
                        "--to (db move).") from None
    return checks


def restore(path: Path | str, url: str, key: bytes | None = None, replace: bool = False) -> RestoreReport:
    """Restore the backup ``path`` into the database of ``url`` (module docstring)."""
    with bk.open_backup(path, key) as backup:
        backup.verify()
        revision = backup.manifest["schema_revision"]
        head = check_revision(revision, backup.name)
        has_rows = _has_rows(url)
        if has_rows and not replace:
            raise TargetNotEmpty(f"Basis data tujuan {bk.where(url)} sudah berisi data; tidak ada yang ditulis. "
                                 "Untuk menggantinya seluruhnya dengan isi cadangan, ulangi dengan --replace.")
        target = bk.sqlite_path(url)
        if target is not None:
            get_engine(url).dispose()
            checks = _restore_sqlite(backup, target)
        else:
            checks = _restore_postgresql(backup, url)
    return RestoreReport(bk.where(url), revision, head, has_rows, checks)


def move(source_url: str, target_url: str) -> RestoreReport:
    """Copy the database of ``source_url`` into the empty database of ``target_url``, checked table by table."""
    if bk.where(source_url) == bk.where(target_url):
        raise UserError("Basis data tujuan sama dengan basis data asal.")
    with tempfile.TemporaryDirectory(prefix="portal-pindah-") as tmp:  # mode 0700; the file 0600
        file = Path(tmp) / "pindah.zip"
        bk.write_backup(source_url, file)
        return restore(file, target_url)
