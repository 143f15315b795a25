"""Setting up a database: the schema by Alembic, the catalogue files as SOP revisions, demo data.

``init`` creates or upgrades the schema with Alembic and loads the SOP catalogue from ``data/sop``
into SOP revisions. The YAML files are the profile the database is seeded from: a document missing
from the database becomes revision 1 (``disahkan``); a file that changed since the revision it last
produced becomes a new ``disahkan`` revision and the old one ``tidak_berlaku``. A revision made in the
browser is never overwritten by a file.
"""
from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from lib.base import accounts, config, workflow
from lib.base.db import ROOT, Setting, Sop, SopRevision, database_url, get_engine, session_factory
from lib.base.errors import UserError
from lib.base.fmt import angka
from lib.base.kalender import CALENDAR_KEY
from lib.base.worktime import CalendarSettings
from lib.catalogue import model as catalog
from lib.catalogue import revisions  # noqa: F401  (declares the sop_revision workflow)
from lib.catalogue.store import newest_revisions, remember
from lib.setup import db_roles

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = ROOT / "lib" / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # Alembic loads in a third of a second: only when a migration may run

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


class SchemaPrivilegeError(UserError):
    """The schema needs creating or upgrading and the role connected may not change it (the runtime role)."""


_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration's revision, read from the ``revision``/``down_revision`` lines of the files in
    ``lib/migrations/versions`` without loading Alembic (or parsing the whole files); None when they do not form
    one chain with one head (Alembic then decides)."""
    ids, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_ASSIGNED.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            parent = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        ids.add(revision)
        parents.update(parent if isinstance(parent, (tuple, list)) else [parent])
    heads = ids - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(conn: Connection) -> bool:
    """Whether the database's schema is already at :func:`head_revision` (a read the runtime role may do)."""
    head = head_revision()
    if head is None or not inspect(conn).has_table("alembic_version"):
        return False
    return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [head]


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest migration. At the newest one already it only reads the
    version, which the runtime role may do, and leaves Alembic unloaded; changing the schema needs the owner of
    the tables."""
    engine = get_engine(url)
    try:
        with engine.begin() as conn:
            if not at_head(conn):
                from alembic import command

                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            db_roles.narrow_after_migration(conn)
    except ProgrammingError as err:
        if getattr(err.orig, "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        raise SchemaPrivilegeError(
            "Skema basis data perlu dibuat atau diperbarui, tetapi peran basis data yang dipakai tidak berhak "
            "mengubahnya (peran aplikasi hanya punya hak atas baris). Jalankan: python -m lib init, dengan "
            "DATABASE_OWNER_URL berisi alamat pemilik tabel; lalu, bila peran aplikasi belum diberi hak: "
            "python -m lib db roles PERAN.") from None


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_web: list[str] = field(default_factory=list)
    demo_users: list[str] = field(default_factory=list)
    #: Cases of demo history created by :func:`lib.setup.demo.fill_history` (0 when none were made).
    demo_cases: int = 0
    #: Demo SKM answers created by :func:`lib.setup.demo_skm.fill_answers`.
    demo_skm: int = 0

    def lines(self) -> list[str]:
        out = []
        if self.added:
            out.append(f"ditambahkan: {', '.join(self.added)}")
        if self.updated:
            out.append(f"revisi baru dari berkas: {', '.join(self.updated)}")
        if self.kept_web:
            out.append(f"dibiarkan (ada revisi dari editor): {', '.join(self.kept_web)}")
        out.append(f"{len(self.unchanged)} dokumen tidak berubah")
        if self.demo_users:
            out.append(f"pengguna demo dibuat: {', '.join(self.demo_users)} (kata sandi di README)")
        if self.demo_cases:
            out.append(f"Riwayat demo: {angka(self.demo_cases)} berkas")
        if self.demo_skm:
            out.append(f"Jawaban SKM demo: {angka(self.demo_skm)}")
        return out


def sync_catalog(session: Session, directory: Path | str = catalog.CATALOG_DIR) -> SyncReport:
    """Load every catalogue file into SOP revisions (see the module docstring)."""
    report = SyncReport()
    now = dt.datetime.now(dt.timezone.utc)
    docs = catalog.load_catalog(directory)
    known = set(session.scalars(select(Sop.id)))
    in_force, newest = newest_revisions(session, in_force=True), newest_revisions(session)  # two queries for all
    for doc_id, doc in docs.items():
        data = catalog.to_data(doc)
        digest = catalog.content_hash(data)
        if doc_id not in known:
            session.add(Sop(id=doc_id, jenis=doc.jenis, created_at=now))
            session.flush()
            _add_revision(session, doc_id, 1, data, digest, now, "Dimuat dari katalog (data/sop)", "dokumen baru")
            report.added.append(doc_id)
            continue
        current, latest = in_force.get(doc_id), newest.get(doc_id)
        if current is not None and current.content_hash == digest:
            remember(digest, doc)  # the revision in force holds this very content: no second validation
            report.unchanged.append(doc_id)
            continue
        if latest is not None and latest.source != "file":
            report.kept_web.append(doc_id)
            continue
        if current is not None:
            workflow.transition(session, None, current, "ganti_berkas", now=now,
                                comment="Diganti oleh berkas katalog yang berubah")
        number = (latest.revision_no if latest else 0) + 1
        _add_revision(session, doc_id, number, data, digest, now, "Berkas katalog berubah", "revisi baru dari berkas")
        report.updated.append(doc_id)
    return report


def _add_revision(session: Session, doc_id: str, number: int, data: dict, digest: str, now: dt.datetime,
                  note: str, detail: str) -> SopRevision:
    rev = SopRevision(sop_id=doc_id, revision_no=number, content=data, content_hash=digest, source="file", note=note,
                      created_at=now)
    workflow.create(session, None, rev, "muat_berkas", comment=note, detail=detail, now=now)
    return rev


def init(url: str | None = None, demo: bool = False, owner_url: str | None = None) -> SyncReport:
    """Create or upgrade the schema and load the catalogue. Safe to run again.

    The schema is migrated through ``owner_url`` when given (the owner of the tables), the rows are written
    through ``url``. With ``demo`` (and not in production) an empty database also gets one demo user per role,
    and a database without cases two years of demo history (:func:`lib.setup.demo.fill_history`).
    """
    url = url or database_url()
    migrate(owner_url or url)
    with session_factory(url).begin() as session:
        if session.get(Setting, CALENDAR_KEY) is None:
            session.add(Setting(key=CALENDAR_KEY, value=CalendarSettings().to_dict()))
        report = sync_catalog(session)
        if demo:
            report.demo_users = accounts.ensure_demo_users(session)
            if not config.is_production():
                # loaded here, not at the top: the CLI's other commands import this module and need neither
                from lib.rentan import desa as rentan
                from lib.rentan import kohort

                rentan.seed_demo(session)  # a few desa and one candidate list, well under 0.1 s
                kohort.seed_demo(session)  # a cohort whose letters went to two of them
            if config.demo_history():
                from lib.setup import demo as demo_history
                from lib.setup import demo_kotak, demo_skm

                filled = demo_history.fill_history(session).cases  # 0: the database had cases already
                report.demo_cases = filled + (demo_kotak.seed(session) if filled else 0)
                report.demo_skm = demo_skm.fill_answers(session)
    return report
