"""NIK (Nomor Induk Kependudukan) on screen: masked by default, full only with permission, logged.

UU 27/2022 asks for access control and a processing log on NIK-bearing data: :func:`mask` is the one way
a NIK is shown; :func:`reveal` checks ``view_nik_full`` and records every full view in the audit log.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit
from .permissions import Actor, require


def mask(nik: str | None) -> str:
    """``3201010101900003`` → ``3201********0003``; anything shorter than 8 characters is fully masked."""
    if not nik:
        return "—"
    s = str(nik).strip()
    if len(s) < 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def reveal(session: Session, actor: Actor, nik: str, object_type: str, object_id: str | int,
           scope: str | None = None) -> str:
    """The full NIK, for an actor holding ``view_nik_full`` (on ``scope``); the view is logged."""
    require(actor, "view_nik_full", scope)
    audit.record(session, actor, "lihat_nik", object_type, object_id, f"NIK {mask(nik)} ditampilkan lengkap")
    return nik


def display(session: Session, actor: Actor, nik: str | None, object_type: str, object_id: str | int,
            full: bool = False, scope: str | None = None) -> str:
    """What a page shows: the masked NIK, or the full one when asked for and permitted."""
    if not full or not nik:
        return mask(nik)
    return reveal(session, actor, nik, object_type, object_id, scope)
