"""Setting up the database and reading the catalogue and the calendar from it.

``init`` creates or upgrades the schema with Alembic and loads the SOP catalogue from ``data/sop``
into SOP revisions. The YAML files are the profile the database is seeded from: a document missing
from the database becomes revision 1 (``disahkan``); a file that changed since the revision it last
produced becomes a new ``disahkan`` revision and the old one ``tidak_berlaku``. A revision made in the
browser is never overwritten by a file.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import accounts, audit, catalog, config
from .db import ROOT, CalendarOverride, Setting, Sop, SopRevision, WorkflowHistory, get_engine, session_factory
from .fmt import angka
from .worktime import CalendarSettings, WorkCalendar, overrides_from_rows

MIGRATIONS = ROOT / "lib" / "migrations"
CALENDAR_KEY = "kalender_kerja"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest migration."""
    engine = get_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_web: list[str] = field(default_factory=list)
    demo_users: list[str] = field(default_factory=list)
    #: Cases of demo history created by :func:`lib.demo.fill_history` (0 when none were made).
    demo_cases: int = 0

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
        return out


def sync_catalog(session: Session, directory: Path | str = catalog.CATALOG_DIR) -> SyncReport:
    """Load every catalogue file into SOP revisions (see the module docstring)."""
    report = SyncReport()
    now = dt.datetime.now(dt.timezone.utc)
    for doc_id, doc in catalog.load_catalog(directory).items():
        data = catalog.to_data(doc)
        digest = catalog.content_hash(data)
        if session.get(Sop, doc_id) is None:
            session.add(Sop(id=doc_id, jenis=doc.jenis, created_at=now))
            session.flush()
            _add_revision(session, doc_id, 1, data, digest, now, "Dimuat dari katalog (data/sop)")
            report.added.append(doc_id)
            continue
        current = current_revision(session, doc_id)
        latest = session.scalars(select(SopRevision).where(SopRevision.sop_id == doc_id)
                                 .order_by(SopRevision.revision_no.desc()).limit(1)).first()
        if current is not None and current.content_hash == digest:
            report.unchanged.append(doc_id)
            continue
        if latest is not None and latest.source != "file":
            report.kept_web.append(doc_id)
            continue
        if current is not None:
            current.state = "tidak_berlaku"
            session.add(WorkflowHistory(object_type="sop_revision", object_id=str(current.id),
                                        from_state="disahkan", to_state="tidak_berlaku", at=now,
                                        comment="Diganti oleh berkas katalog yang berubah"))
        number = (latest.revision_no if latest else 0) + 1
        _add_revision(session, doc_id, number, data, digest, now, "Berkas katalog berubah")
        report.updated.append(doc_id)
    for doc_id in report.added + report.updated:
        audit.record(session, None, "muat_katalog", "sop", doc_id,
                     "dokumen baru" if doc_id in report.added else "revisi baru dari berkas", username="sistem")
    return report


def _add_revision(session: Session, doc_id: str, number: int, data: dict, digest: str, now: dt.datetime,
                  note: str) -> SopRevision:
    rev = SopRevision(sop_id=doc_id, revision_no=number, state="disahkan", content=data, content_hash=digest,
                      source="file", note=note, created_at=now)
    session.add(rev)
    session.flush()
    session.add(WorkflowHistory(object_type="sop_revision", object_id=str(rev.id), from_state=None,
                                to_state="disahkan", at=now, comment=note))
    return rev


def current_revision(session: Session, doc_id: str) -> SopRevision | None:
    """The revision in force (``disahkan``) of a document."""
    return session.scalars(select(SopRevision).where(SopRevision.sop_id == doc_id, SopRevision.state == "disahkan")
                           .order_by(SopRevision.revision_no.desc()).limit(1)).first()


@dataclass(frozen=True)
class ActiveDocument:
    revision_id: int
    revision_no: int
    doc: catalog.SOP | catalog.StandarPelayanan


def active_documents(session: Session) -> dict[str, ActiveDocument]:
    """Every document's revision in force, validated, in id order."""
    newest = (select(SopRevision.sop_id, func.max(SopRevision.revision_no).label("n"))
              .where(SopRevision.state == "disahkan").group_by(SopRevision.sop_id).subquery())
    rows = session.scalars(select(SopRevision).join(
        newest, (SopRevision.sop_id == newest.c.sop_id) & (SopRevision.revision_no == newest.c.n))
        .order_by(SopRevision.sop_id)).all()
    return {r.sop_id: ActiveDocument(r.id, r.revision_no,
                                     catalog.parse_document(r.content, f"{r.sop_id} revisi {r.revision_no}"))
            for r in rows}


def catalog_version(session: Session) -> tuple:
    """A cheap fingerprint of the revisions in force, for caches to know when to reload."""
    return tuple(session.execute(select(SopRevision.id).where(SopRevision.state == "disahkan")
                                 .order_by(SopRevision.id)).scalars())


def load_calendar(session: Session) -> WorkCalendar:
    """The working calendar from the settings table and the admin's overrides."""
    setting = session.get(Setting, CALENDAR_KEY)
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.keterangan,
                                  CalendarOverride.segments)).all()
    overrides = overrides_from_rows(rows)
    settings = CalendarSettings.from_dict(setting.value if setting else {}, overrides)
    return WorkCalendar(settings)


def init(url: str | None = None, demo: bool = False) -> SyncReport:
    """Create or upgrade the schema and load the catalogue. Safe to run again.

    With ``demo`` (and not in production) an empty database also gets one demo user per role, and a
    database without cases two years of demo history (:func:`lib.demo.fill_history`).
    """
    from .db import database_url

    url = url or database_url()
    migrate(url)
    with session_factory(url).begin() as session:
        if session.get(Setting, CALENDAR_KEY) is None:
            session.add(Setting(key=CALENDAR_KEY, value=CalendarSettings().to_dict()))
        report = sync_catalog(session)
        if demo:
            report.demo_users = accounts.ensure_demo_users(session)
            if not config.is_production():
                from . import kohort, rentan
                rentan.seed_demo(session)  # a few desa and one candidate list, well under 0.1 s
                kohort.seed_demo(session)  # a cohort whose letters went to two of them
            if config.demo_history():
                from . import demo as demo_history  # lib.demo imports this module
                report.demo_cases = demo_history.fill_history(session).cases
    return report
