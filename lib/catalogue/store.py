"""The document store: the SOP revisions in force, read from the database and parsed once.

A revision's content never changes once written, so its parsed document is cached per process by the
revision's content hash (:func:`document`); the KPI engine, the case engine and the pages all ask here.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base.db import Sop, SopRevision
from lib.catalogue import model as catalog

_PARSED: dict[str, catalog.SOP | catalog.StandarPelayanan] = {}
_MAX_CACHED = 512


def parse(sop_id: str, revision_no: int, content: dict,
          digest: str | None = None) -> catalog.SOP | catalog.StandarPelayanan:
    """A revision's content as a document, parsed once per content hash (a bad one raises
    :class:`lib.catalogue.model.CatalogError` naming ``sop_id`` and the revision)."""
    digest = digest or catalog.content_hash(content)
    doc = _PARSED.get(digest)
    if doc is None:
        doc = catalog.parse_document(content, f"{sop_id} revisi {revision_no}")
        if len(_PARSED) >= _MAX_CACHED:
            _PARSED.clear()
        _PARSED[digest] = doc
    return doc


def document(rev: SopRevision) -> catalog.SOP | catalog.StandarPelayanan:
    """The parsed document of one revision row."""
    return parse(rev.sop_id, rev.revision_no, rev.content, rev.content_hash)


def remember(digest: str, doc: catalog.SOP | catalog.StandarPelayanan) -> None:
    """Keep a document already validated (a catalogue file whose content a revision stores under ``digest``),
    so that :func:`parse` need not validate that content again."""
    if len(_PARSED) >= _MAX_CACHED:
        _PARSED.clear()
    _PARSED[digest] = doc


def current_revision(session: Session, doc_id: str) -> SopRevision | None:
    """The revision in force (``disahkan``) of a document."""
    return session.scalars(select(SopRevision).where(SopRevision.sop_id == doc_id, SopRevision.state == "disahkan")
                           .order_by(SopRevision.revision_no.desc()).limit(1)).first()


@dataclass(frozen=True)
class ActiveDocument:
    revision_id: int
    revision_no: int
    doc: catalog.SOP | catalog.StandarPelayanan


def newest_revisions(session: Session, in_force: bool = False) -> dict[str, SopRevision]:
    """Every document's newest revision (with ``in_force``: its newest ``disahkan`` one, as
    :func:`current_revision` gives it), by id in id order: one query for all of them."""
    newest = select(SopRevision.sop_id, func.max(SopRevision.revision_no).label("n"))
    if in_force:
        newest = newest.where(SopRevision.state == "disahkan")
    newest = newest.group_by(SopRevision.sop_id).subquery()
    rows = session.scalars(select(SopRevision).join(
        newest, (SopRevision.sop_id == newest.c.sop_id) & (SopRevision.revision_no == newest.c.n))
        .order_by(SopRevision.sop_id)).all()
    return {r.sop_id: r for r in rows}


def active_documents(session: Session) -> dict[str, ActiveDocument]:
    """Every document's revision in force, validated, in id order."""
    return {r.sop_id: ActiveDocument(r.id, r.revision_no, document(r))
            for r in newest_revisions(session, in_force=True).values()}


def catalog_version(session: Session) -> tuple:
    """A cheap fingerprint of the revisions in force, for caches to know when to reload."""
    return tuple(session.execute(select(SopRevision.id).where(SopRevision.state == "disahkan")
                                 .order_by(SopRevision.id)).scalars())


def sop_ids(session: Session, jenis: str = "sop") -> list[str]:
    """The ids of every document of one kind in the database (in force or not), in id order."""
    return list(session.scalars(select(Sop.id).where(Sop.jenis == jenis).order_by(Sop.id)))


def sop_titles(session: Session, jenis: str = "sop") -> dict[str, str]:
    """Every document of one kind (in force or not), id → the short name of its newest revision, in id order."""
    newest = (select(SopRevision.sop_id, func.max(SopRevision.revision_no).label("no"))
              .group_by(SopRevision.sop_id).subquery())
    rows = session.execute(select(Sop.id, SopRevision.content).join(newest, newest.c.sop_id == Sop.id)
                           .join(SopRevision, (SopRevision.sop_id == Sop.id) & (SopRevision.revision_no == newest.c.no))
                           .where(Sop.jenis == jenis).order_by(Sop.id)).all()
    return {i: (c or {}).get("nama_singkat") or (c or {}).get("nama") or i for i, c in rows}
