"""What is kept with a case besides its steps: comments and attached files. Both are append-only.

Attachments are checked before anything is stored: at most :data:`lib.casework.forms.MAX_FILE_MB` MB, and the
content must really be one of the accepted types (the first bytes are checked, not only the name), so a
renamed executable is refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit
from lib.base.db import CaseAttachment, CaseComment, User, utcnow
from lib.base.permissions import Actor
from lib.casework.cases import CaseError, get_case, require_run, sop_of
from lib.casework.forms import MAX_FILE_MB

#: Accepted attachment types: extension -> (MIME type, signatures the content may start with).
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Comment:
    author: str
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class Attachment:
    id: int
    filename: str
    mime: str
    size: int
    uploaded_by: str
    at: dt.datetime


def _guard(session: Session, actor: Actor, case_id: int):
    case = get_case(session, case_id)
    require_run(actor, sop_of(session, case), case.scope)
    return case


def _names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return {i: n for i, n in session.execute(select(User.id, User.name).where(User.id.in_(ids)))} if ids else {}


def add_comment(session: Session, actor: Actor, case_id: int, text: str, now: dt.datetime | None = None) -> None:
    case = _guard(session, actor, case_id)
    text = (text or "").strip()
    if not text:
        raise CaseError("Komentar masih kosong.")
    if len(text) > MAX_COMMENT:
        raise CaseError(f"Komentar terlalu panjang (maksimal {MAX_COMMENT} karakter).")
    session.add(CaseComment(case_id=case.id, author_id=actor.user_id, at=now or utcnow(), text=text))
    audit.record(session, actor, "tambah_komentar", "case", case.id, case.register_no)


def comments(session: Session, actor: Actor, case_id: int) -> list[Comment]:
    _guard(session, actor, case_id)
    rows = list(session.scalars(select(CaseComment).where(CaseComment.case_id == case_id)
                                .order_by(CaseComment.at, CaseComment.id)))
    names = _names(session, (r.author_id for r in rows))
    return [Comment(names.get(r.author_id, "—"), r.at, r.text) for r in rows]


def check_file(filename: str, content: bytes) -> str:
    """The MIME type of an acceptable attachment, or :class:`CaseError` saying why it is refused."""
    ending = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ending not in FILE_TYPES:
        raise CaseError(f"“{filename}” tidak dapat dilampirkan: hanya berkas "
                        f"{', '.join(sorted({e.upper() for e in FILE_TYPES} - {'JPEG'}))}.")
    if not content:
        raise CaseError(f"“{filename}” kosong.")
    if len(content) > MAX_FILE_MB * 1024 * 1024:
        raise CaseError(f"“{filename}” lebih dari {MAX_FILE_MB} MB; perkecil atau pindai ulang dengan resolusi "
                        "lebih rendah.")
    mime, signatures = FILE_TYPES[ending]
    if not content.startswith(signatures):
        raise CaseError(f"Isi “{filename}” bukan berkas {ending.upper()} yang sah (mungkin hanya namanya yang "
                        "diganti).")
    return mime


def attach(session: Session, actor: Actor, case_id: int, filename: str, content: bytes,
           now: dt.datetime | None = None) -> int:
    case = _guard(session, actor, case_id)
    filename = filename.replace("/", "_").replace("\\", "_").strip()[:200] or "lampiran"
    mime = check_file(filename, content)
    row = CaseAttachment(case_id=case.id, filename=filename, mime=mime, size=len(content),
                         sha256=hashlib.sha256(content).hexdigest(), content=content, uploaded_by=actor.user_id,
                         at=now or utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, "tambah_lampiran", "case", case.id, f"{case.register_no}: {filename}")
    return row.id


def attachments(session: Session, actor: Actor, case_id: int) -> list[Attachment]:
    _guard(session, actor, case_id)
    rows = list(session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case_id)
                                .order_by(CaseAttachment.at, CaseAttachment.id)))
    names = _names(session, (r.uploaded_by for r in rows))
    return [Attachment(r.id, r.filename, r.mime, r.size, names.get(r.uploaded_by, "—"), r.at) for r in rows]


def attachment_content(session: Session, actor: Actor, attachment_id: int) -> tuple[str, str, bytes]:
    """(filename, MIME type, bytes) of one attachment, for a user who may work on its case."""
    row = session.get(CaseAttachment, attachment_id)
    if row is None:
        raise CaseError("Lampiran tidak ditemukan.")
    _guard(session, actor, row.case_id)
    return row.filename, row.mime, row.content
