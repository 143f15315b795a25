"""SOP revisions edited through the web, with their workflow (Plone's through-the-web editing).

A revision follows draft → diajukan → disahkan → tidak_berlaku:

* every save in the editor, every import and every revert makes a **new** draft revision (author, time,
  note); a revision's content never changes once written, but for the *Tanggal Revisi* that approval sets
  (:func:`stamp_revision_date`);
* ``manage_catalogue`` writes drafts and submits them (draft → diajukan);
* ``approve_sop`` (Kepala Dinas) approves (diajukan → disahkan) — never a revision they wrote — or returns
  it with a comment (diajukan → draft); approving puts the previous revision in force out of force
  (disahkan → tidak_berlaku), and ``retire`` takes an SOP out of force altogether;
* only the revision in force drives the page and new cases; a running case keeps the revision it was
  opened under (``Case.revision_id``), and the KPI engine judges each run by that revision.

Every transition is kept in ``workflow_history`` and the audit log. YAML export and import use the
catalogue's own format (``data/sop/README.md``): export → import → export gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import workflow
from lib.base.db import Sop, SopRevision, User, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, PermissionDenied, require
from lib.base.worktime import to_wib
from lib.catalogue import checks, store
from lib.catalogue import model as catalog

#: state -> Indonesian label, from the workflow table (data/workflows/sop_revision.yaml)
STATES = workflow.table("sop_revision").states


class RevisionError(UserError):
    """A workflow step that is not allowed now, or invalid content; Indonesian, nothing was written."""


@dataclass(frozen=True)
class RevisionInfo:
    id: int
    sop_id: str
    revision_no: int
    state: str
    source: str
    author: str | None
    author_id: int | None
    note: str | None
    created_at: dt.datetime


# --- YAML -------------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    """Block style, Unicode kept, long lines kept whole: a stable text for the same data. YAML 1.2
    booleans as the catalogue's loader reads them, so ``no:`` stays a plain key."""


_Dumper.yaml_implicit_resolvers = {ch: list(rs) for ch, rs in catalog.YamlLoader.yaml_implicit_resolvers.items()}

def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(doc: catalog.SOP | catalog.StandarPelayanan) -> str:
    """The document in the catalogue's YAML format (fields left at their default are omitted)."""
    data = doc.model_dump(mode="python", exclude_defaults=True)
    data = {"id": data.pop("id"), "jenis": data.pop("jenis"), **data}
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000,
                     default_flow_style=False)


def read_yaml(text: str, source: str = "YAML") -> object:
    """The data of a YAML text, not yet validated (CatalogError when it is no YAML)."""
    try:
        return catalog.read_yaml(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (baris {mark.line + 1})" if mark else ""
        raise catalog.CatalogError(f"{source}: bukan YAML yang sah{where}.") from None


def from_yaml(text: str, source: str = "YAML") -> catalog.SOP | catalog.StandarPelayanan:
    """Parse and validate a YAML text (CatalogError with an Indonesian message when it is not valid)."""
    return catalog.parse_document(read_yaml(text, source), source)


# --- reading ------------------------------------------------------------------------------------------------
def revisions(session: Session, sop_id: str) -> list[RevisionInfo]:
    rows = session.execute(select(SopRevision, User.name).outerjoin(User, User.id == SopRevision.author_id)
                           .where(SopRevision.sop_id == sop_id).order_by(SopRevision.revision_no.desc())).all()
    return [RevisionInfo(r.id, r.sop_id, r.revision_no, r.state, r.source, name, r.author_id, r.note, r.created_at)
            for r, name in rows]


def get(session: Session, revision_id: int) -> SopRevision:
    rev = session.get(SopRevision, revision_id)
    if rev is None:
        raise RevisionError("Revisi tidak ditemukan.")
    return rev


def document(rev: SopRevision) -> catalog.SOP | catalog.StandarPelayanan:
    return catalog.parse_document(rev.content, f"{rev.sop_id} revisi {rev.revision_no}")


def export_yaml(session: Session, sop_id: str, revision_no: int | None = None) -> str:
    """A revision (default: the newest) as YAML."""
    q = select(SopRevision).where(SopRevision.sop_id == sop_id)
    q = q.where(SopRevision.revision_no == revision_no) if revision_no else q.order_by(
        SopRevision.revision_no.desc()).limit(1)
    rev = session.scalars(q).first()
    if rev is None:
        raise RevisionError(f"SOP “{sop_id}”" + (f" revisi {revision_no}" if revision_no else "") + " tidak ada.")
    return to_yaml(document(rev))


def diff_html(old: SopRevision, new: SopRevision) -> str:
    """Side by side, line by line, of the two revisions' YAML (unchanged stretches folded)."""
    a, b = to_yaml(document(old)).splitlines(), to_yaml(document(new)).splitlines()
    table = difflib.HtmlDiff(wrapcolumn=70).make_table(a, b, f"Revisi {old.revision_no}", f"Revisi {new.revision_no}",
                                                       context=True, numlines=2)
    return table.replace('nowrap="nowrap"', "")


def history(session: Session, revision_id: int) -> list[tuple[dt.datetime, str | None, str, str | None]]:
    """(when, who, to_state, comment) of one revision, oldest first."""
    return [(h.at, h.actor, h.to_state, h.comment) for h in workflow.history(session, OBJECT_TYPE, revision_id)]


# --- the workflow (data/workflows/sop_revision.yaml) -------------------------------------------------------------
OBJECT_TYPE = "sop_revision"
workflow.register(workflow.ObjectType(OBJECT_TYPE, SopRevision, audit_target=lambda rev: ("sop", rev.sop_id),
                                      describe=lambda rev: f"revisi {rev.revision_no}", error=RevisionError,
                                      conflict=RevisionError))


@workflow.guard("bukan_penulis")
def _not_the_author(session: Session, actor: Actor | None, rev: SopRevision, context: dict) -> str | None:
    if actor is not None and rev.author_id is not None and rev.author_id == actor.user_id:
        return "Revisi yang Anda tulis sendiri tidak dapat Anda sahkan; pengesahan oleh pejabat lain."
    return None


def actions(session: Session, actor: Actor, revision_id: int) -> list[str]:
    """What ``actor`` may do with the revision now (transition names of its table), for the pages' buttons."""
    return [t.name for t in workflow.available(session, actor, get(session, revision_id))]


# --- writing ------------------------------------------------------------------------------------------------
def _require(actor: Actor | None, permission: str) -> None:
    """``actor`` None is the server's own shell (``python -m lib``), which acts as the system."""
    if actor is not None:
        require(actor, permission)


def check(session: Session, data: dict | catalog.SOP | catalog.StandarPelayanan, action: str = "disimpan",
          source: str = "Isian SOP") -> catalog.SOP | catalog.StandarPelayanan:
    """The document of ``data`` if it may become a revision of its SOP (:func:`lib.catalogue.checks.check`
    against the revision in force): :class:`~lib.catalogue.checks.RevisionRefused` lists every step problem,
    a :class:`~lib.catalogue.model.CatalogError` names the model's. The editor's preview, every save, every
    submission and every approval ask here."""
    if not isinstance(data, dict):
        data = catalog.to_data(data)
    current = store.current_revision(session, data.get("id")) if isinstance(data.get("id"), str) else None
    in_force = document(current) if current is not None else None
    return checks.check(data, in_force, source, action, current.revision_no if current is not None else None)


def refusal(session: Session, rev: SopRevision, action: str = "disahkan") -> str | None:
    """Why :func:`check` would refuse the stored revision ``rev`` now (None when it passes), for a page to say so
    before anyone presses the button."""
    try:
        check(session, rev.content, action, f"Revisi {rev.revision_no}")
    except catalog.CatalogError as err:
        return str(err)
    return None


def save_draft(session: Session, actor: Actor | None, data: dict | catalog.SOP | catalog.StandarPelayanan,
               note: str, source: str = "web", now: dt.datetime | None = None) -> SopRevision:
    """Check ``data`` (:func:`check`) and store it as a new draft revision (a new SOP when its id is new)."""
    _require(actor, "manage_catalogue")
    now = now or utcnow()
    note = (note or "").strip()
    if not note:
        raise RevisionError("Tulis catatan revisi: apa yang diubah dan mengapa.")
    doc = check(session, data, source="YAML" if source == "import" else "Isian SOP")
    content = catalog.to_data(doc)
    sop = session.get(Sop, doc.id)
    if sop is None:
        session.add(Sop(id=doc.id, jenis=doc.jenis, created_at=now))
        session.flush()
    elif sop.jenis != doc.jenis:
        raise RevisionError(f"“{doc.id}” sudah dipakai oleh dokumen jenis lain.")
    number = (session.scalar(select(func.max(SopRevision.revision_no)).where(SopRevision.sop_id == doc.id)) or 0) + 1
    rev = SopRevision(sop_id=doc.id, revision_no=number, content=content,
                      content_hash=catalog.content_hash(content), source=source,
                      author_id=actor.user_id if actor else None, note=note,
                      created_at=now)
    workflow.create(session, actor, rev, "simpan", comment=note, detail=f"revisi {number}: {note}", now=now)
    return rev


def import_yaml(session: Session, actor: Actor | None, text: str, note: str | None = None,
                now: dt.datetime | None = None) -> SopRevision:
    """A YAML text (the catalogue format) as a new draft revision, checked as every save is."""
    _require(actor, "manage_catalogue")
    data = read_yaml(text)
    if not isinstance(data, dict):
        raise catalog.CatalogError("YAML: isi berkas harus berupa pemetaan YAML (kunci: nilai)")
    return save_draft(session, actor, data, note or "Diimpor dari YAML", source="import", now=now)


def revert(session: Session, actor: Actor, sop_id: str, revision_no: int,
           now: dt.datetime | None = None) -> SopRevision:
    """A new draft with the content of an earlier revision (history is never rewritten)."""
    old = session.scalars(select(SopRevision).where(SopRevision.sop_id == sop_id,
                                                    SopRevision.revision_no == revision_no)).first()
    if old is None:
        raise RevisionError(f"Revisi {revision_no} tidak ada.")
    return save_draft(session, actor, document(old), f"Dikembalikan ke isi revisi {revision_no}", now=now)


def submit(session: Session, actor: Actor, revision_id: int, now: dt.datetime | None = None) -> None:
    require(actor, "manage_catalogue")
    rev = get(session, revision_id)
    if rev.state != "draft":
        raise RevisionError(f"Hanya draf yang dapat diajukan; revisi ini {STATES[rev.state].lower()}.")
    check(session, rev.content, "diajukan", f"Revisi {rev.revision_no}")
    workflow.transition(session, actor, rev, "ajukan", now=now)


def approve(session: Session, actor: Actor, revision_id: int, comment: str | None = None,
            now: dt.datetime | None = None) -> None:
    """Put a submitted revision in force; the one in force before goes out of force."""
    require(actor, "approve_sop")
    rev = get(session, revision_id)
    if rev.state != "diajukan":
        raise RevisionError("Hanya revisi yang diajukan yang dapat disahkan.")
    if rev.author_id is not None and rev.author_id == actor.user_id:
        raise PermissionDenied(actor, "approve_sop", "revisi yang Anda tulis sendiri")
    check(session, rev.content, "disahkan (kembalikan ke penyusun untuk diperbaiki)", f"Revisi {rev.revision_no}")
    now = now or utcnow()
    replaced = session.scalars(select(SopRevision).where(SopRevision.sop_id == rev.sop_id,
                                                         SopRevision.state == "disahkan")).all()
    for old in replaced:
        workflow.transition(session, actor, old, "ganti", comment=f"Diganti oleh revisi {rev.revision_no}", now=now)
    workflow.transition(session, actor, rev, "sahkan", comment=comment, now=now)
    if replaced:
        stamp_revision_date(rev, now)


def stamp_revision_date(rev: SopRevision, when: dt.datetime) -> None:
    """An approved revision of an SOP already in force carries its approval day (WIB) as the document's
    *Tanggal Revisi*: the one field of a revision's content that approval writes, before it is in force."""
    if "tanggal_revisi" not in rev.content:
        return  # a document without that field (standar pelayanan)
    content = {**rev.content, "tanggal_revisi": to_wib(when).date().isoformat()}
    rev.content, rev.content_hash = content, catalog.content_hash(content)


def send_back(session: Session, actor: Actor, revision_id: int, comment: str, now: dt.datetime | None = None) -> None:
    """Return a submitted revision to draft, with the reason."""
    require(actor, "approve_sop")
    rev = get(session, revision_id)
    if rev.state != "diajukan":
        raise RevisionError("Hanya revisi yang diajukan yang dapat dikembalikan.")
    workflow.transition(session, actor, rev, "kembalikan", comment=comment, now=now,
                        detail=f"revisi {rev.revision_no}: {comment}")


def retire(session: Session, actor: Actor, sop_id: str, comment: str, now: dt.datetime | None = None) -> None:
    """Take an SOP out of force: its page and intake disappear; running cases finish under their revision."""
    require(actor, "approve_sop")
    if not (comment or "").strip():
        raise RevisionError("Tulis alasan SOP tidak berlaku lagi.")
    now = now or utcnow()
    current = session.scalars(select(SopRevision).where(SopRevision.sop_id == sop_id,
                                                        SopRevision.state == "disahkan")).all()
    if not current:
        raise RevisionError("SOP ini tidak sedang berlaku.")
    for rev in current:
        workflow.transition(session, actor, rev, "cabut", comment=comment, now=now, detail=comment.strip())


def pending(session: Session) -> list[RevisionInfo]:
    """Revisions waiting for approval, oldest first."""
    ids = session.scalars(select(SopRevision.sop_id).where(SopRevision.state == "diajukan").distinct()).all()
    out = [r for sop_id in ids for r in revisions(session, sop_id) if r.state == "diajukan"]
    return sorted(out, key=lambda r: r.created_at)
