"""Backing up the whole database while the portal keeps running, and reading a backup back.

The snapshot is consistent: on SQLite the online backup API copies the database in one step (one read
transaction, so a write committed meanwhile is either wholly in the copy or not at all) into a private temporary
file, which is then read; on PostgreSQL every table is read in one ``REPEATABLE READ READ ONLY`` transaction.
Every table is written (the case attachments too: they live in the database), with the schema revision; the
format is :mod:`lib.setup.backup_file`. The file is written under a temporary name with mode 0600, encrypted
when ``PORTAL_BACKUP_KEY`` is set, and renamed into place only when complete; ``keep`` then removes the older
backups of the same folder.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import LargeBinary, MetaData, Table, create_engine, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from lib.base.db import get_engine
from lib.setup import backup_file as bf
from lib.setup.backup_file import BackupRefused


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database)."""
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


def where(url: str) -> str:
    """The database of ``url`` as it can be shown (no password)."""
    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def snapshot(url: str) -> Iterator[Connection]:
    """A connection that sees the whole database of ``url`` as it was at one instant (module docstring)."""
    path = sqlite_path(url)
    if path is None:
        try:
            conn = get_engine(url).connect()
        except DBAPIError as err:
            raise BackupRefused(f"Basis data {where(url)} tidak dapat dihubungi: {err.orig}") from None
        with conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as ro:
            with ro.begin():
                ro.execute(text("SELECT 1"))  # the snapshot is taken at the first statement
                yield ro
        return
    if not path.is_file():
        raise BackupRefused(f"Basis data {path} tidak ada.")
    with tempfile.TemporaryDirectory(prefix="portal-cadangan-") as tmp:  # mode 0700
        copy = Path(tmp) / "salinan.db"
        source, target = sqlite3.connect(f"file:{path}?mode=ro", uri=True), sqlite3.connect(copy)
        try:
            source.backup(target)  # pages=-1: the whole database in one step
        finally:
            target.close()
            source.close()
        engine = create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


def portal_tables(conn: Connection) -> tuple[str, list[Table]]:
    """The schema revision and the tables of the portal in an order that loads without breaking a foreign key."""
    md = MetaData()
    md.reflect(conn)
    if "alembic_version" not in md.tables:
        raise BackupRefused("Basis data ini belum berisi skema Portal SOP (tabel alembic_version tidak ada).")
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return revision, [t for t in md.sorted_tables if t.name != "alembic_version"]


def chunk_rows(table: Table) -> int:
    """Rows read or written at a time: few where a row may hold a file (an attachment is up to 5 MB)."""
    return 20 if any(isinstance(c.type, LargeBinary) for c in table.columns) else 2000


def read_table(conn: Connection, table: Table, columns: list[str]) -> Iterator[bytes]:
    """The lines of a table (:func:`lib.setup.backup_file.line`), in primary-key order."""
    order = list(table.primary_key.columns) or [table.c[c] for c in columns]
    result = conn.execute(select(*[table.c[c] for c in columns]).order_by(*order),
                          execution_options={"stream_results": True, "yield_per": chunk_rows(table)})
    for row in result:
        yield bf.line(row)


def digest(conn: Connection, table: Table, columns: list[str]) -> bf.TableDigest:
    out = bf.TableDigest()
    for data in read_table(conn, table, columns):
        out.add(data)
    return out


def _write_tables(url: str, zf: zipfile.ZipFile, on_table: Callable[[str, int], None] | None) -> dict:
    with snapshot(url) as conn:
        revision, tables = portal_tables(conn)
        entries = []
        for table in tables:
            columns = [c.name for c in table.columns]
            sums = bf.TableDigest()
            with zf.open(bf.member(table.name), "w", force_zip64=True) as out:
                for data in read_table(conn, table, columns):
                    out.write(data)
                    sums.add(data)
            entries.append({"name": table.name, "columns": columns, "rows": sums.rows, "sha256": sums.hexdigest()})
            if on_table is not None:
                on_table(table.name, sums.rows)
    return {"format": bf.FORMAT, "format_version": bf.FORMAT_VERSION, "schema_revision": revision,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "source": make_url(url).get_backend_name(), "tables": entries}


def write_backup(url: str, path: Path | str, key: bytes | None = None,
                 on_table: Callable[[str, int], None] | None = None) -> dict:
    """Write a backup of the database of ``url`` to the new file ``path`` (module docstring); returns the
    manifest. ``on_table(name, rows)`` is called after each table is read."""
    path = Path(path)
    if path.exists():
        raise BackupRefused(f"Berkas {path} sudah ada; pilih nama lain (cadangan lama tidak ditimpa).")
    if not path.parent.is_dir():
        raise BackupRefused(f"Folder {path.parent} tidak ada.")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.sementara")
    try:
        with bf.open_private(tmp) as raw:
            sink = bf.EncryptingWriter(raw, key) if key else raw
            with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                manifest = _write_tables(url, zf, on_table)
                zf.writestr(bf.MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            if key:
                sink.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    manifest["encrypted"] = key is not None
    return manifest


def is_backup(path: Path) -> bool:
    """Whether ``path`` is a backup of the portal (encrypted, or an archive with the portal's manifest)."""
    try:
        if bf.is_encrypted(path):
            return True
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read(bf.MANIFEST)).get("format") == bf.FORMAT
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, AttributeError):
        return False


def keep(folder: Path, n: int) -> list[Path]:
    """Remove all but the ``n`` newest backups in ``folder`` (other files stay); returns those removed."""
    if n < 1:
        raise BackupRefused("--keep harus paling sedikit 1.")
    found = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and is_backup(p)]
    found.sort(key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    for old in found[n:]:
        old.unlink()
    return found[n:]


@dataclass
class Backup:
    """An opened backup: its archive and manifest."""
    zf: zipfile.ZipFile
    manifest: dict
    name: str

    def lines(self, table: str) -> Iterator[bytes]:
        try:
            with self.zf.open(bf.member(table)) as f:
                yield from f
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
            raise BackupRefused(f"Berkas cadangan {self.name} rusak (tabel {table}: {err}).") from None

    def _parse(self, table: str, data: bytes, columns: int) -> list:
        try:
            row = json.loads(data)
        except ValueError:
            row = None
        if not isinstance(row, list) or len(row) != columns:
            raise BackupRefused(f"Berkas cadangan {self.name} rusak (baris tabel {table} tidak terbaca).")
        return row

    def rows(self, table: str, columns: int, chunk: int = 1000) -> Iterator[list[list]]:
        """The rows of ``table`` as lists of encoded values, ``chunk`` at a time."""
        batch = []
        for data in self.lines(table):
            batch.append(self._parse(table, data, columns))
            if len(batch) >= chunk:
                yield batch
                batch = []
        if batch:
            yield batch

    def verify(self) -> None:
        """Every table's rows and checksum as the manifest says, before anything is written."""
        for entry in self.manifest["tables"]:
            sums = bf.TableDigest()
            for data in self.lines(entry["name"]):
                self._parse(entry["name"], data, len(entry["columns"]))
                sums.add(data)
            if sums.rows != entry["rows"] or sums.hexdigest() != entry["sha256"]:
                raise BackupRefused(f"Berkas cadangan {self.name} rusak: isi tabel {entry['name']} tidak cocok "
                                    "dengan checksum di manifesnya.")


def _manifest(zf: zipfile.ZipFile, name: str) -> dict:
    foreign = BackupRefused(f"Berkas {name} bukan cadangan Portal SOP.")
    try:
        manifest = json.loads(zf.read(bf.MANIFEST))
    except KeyError:
        raise foreign from None
    except (ValueError, zipfile.BadZipFile, zlib.error, EOFError):
        raise BackupRefused(f"Berkas cadangan {name} rusak (manifes tidak terbaca).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != bf.FORMAT:
        raise foreign
    if manifest.get("format_version") != bf.FORMAT_VERSION:
        raise BackupRefused(f"Berkas cadangan {name} memakai format versi {manifest.get('format_version')}, yang "
                            "tidak dikenal versi portal ini; perbarui aplikasi dulu.")
    tables = manifest.get("tables")
    names = set(zf.namelist())
    ok = isinstance(manifest.get("schema_revision"), str) and isinstance(tables, list) and all(
        isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("rows"), int)
        and isinstance(t.get("sha256"), str) and isinstance(t.get("columns"), list)
        and bf.member(t["name"]) in names for t in tables)
    if not ok:
        raise BackupRefused(f"Berkas cadangan {name} rusak (manifes tidak lengkap).")
    return manifest


@contextlib.contextmanager
def open_backup(path: Path | str, key: bytes | None) -> Iterator[Backup]:
    """Open a backup (decrypting it into a private temporary file when it is encrypted) and read its manifest;
    a foreign, damaged or undecryptable file is refused with :class:`BackupRefused`."""
    path = Path(path)
    if not path.is_file():
        raise BackupRefused(f"Berkas cadangan {path} tidak ada.")
    with tempfile.TemporaryDirectory(prefix="portal-pulih-") as tmp:
        plain = path
        if bf.is_encrypted(path):
            plain = Path(tmp) / "cadangan.zip"
            with bf.open_private(plain) as out:
                bf.decrypt(path, out, key)
        try:
            zf = zipfile.ZipFile(plain)
        except (zipfile.BadZipFile, OSError):
            raise BackupRefused(f"Berkas {path.name} bukan cadangan Portal SOP (bukan arsip cadangan, atau "
                                "rusak).") from None
        with zf:
            yield Backup(zf, _manifest(zf, path.name), path.name)
