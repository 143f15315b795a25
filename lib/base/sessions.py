"""Login sessions kept in the database, so that a session can be ended for good and every replica agrees.

A login makes a random token (:func:`open_session`); the signed cookie carries it and the table
``login_sessions`` keeps only its SHA-256 (the row's ``id``), so a copy of the table opens nothing. Every
run of the portal checks the token against its row (:func:`check`): a session opens the portal only while
its row is neither ended nor past its 8 hours and its account is active. A session ends:

* at *Keluar* (:func:`log_out`);
* when the password changes: every other session of the account (the one that changed it stays);
  when the admin or the command line sets it: every session of the account;
* when the account is disabled;
* when the admin ends one session or all of an account's (:func:`end_one`, :func:`end_all_of`), which
  needs ``manage_users`` and is audited.

Ended rows stay (with when and why) and are pruned a while after they expired; the addresses an account
logged in from lately are what login throttling calls its known addresses (lib/base/throttle.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lib.base import audit, config, fmt
from lib.base.db import LoginSession, User, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, require

KELUAR, KATA_SANDI, NONAKTIF, ADMIN = "keluar", "kata_sandi", "nonaktif", "admin"
KEDALUWARSA, TIDAK_DIKENAL = "kedaluwarsa", "tidak_dikenal"

#: Why a session ended: (what the admin and the audit log call it, what the person is told at the login form).
REASONS: dict[str, tuple[str, str]] = {
    KELUAR: ("keluar", "Sesi ini sudah diakhiri dengan Keluar. Silakan masuk kembali."),
    KATA_SANDI: ("kata sandi diganti", "Sesi Anda berakhir karena kata sandi akun ini diganti. Silakan masuk "
                                       "kembali dengan kata sandi yang baru."),
    NONAKTIF: ("akun dinonaktifkan", "Sesi Anda berakhir karena akun dinonaktifkan. Hubungi pengelola portal."),
    ADMIN: ("diakhiri pengelola", "Sesi Anda diakhiri oleh pengelola portal. Silakan masuk kembali."),
    KEDALUWARSA: ("habis waktu", f"Sesi Anda sudah lewat {config.COOKIE_HOURS} jam. Silakan masuk kembali."),
    TIDAK_DIKENAL: ("tidak dikenal", "Sesi Anda sudah tidak berlaku. Silakan masuk kembali."),
}


class SessionError(UserError):
    """A session the admin wants to end is not there (any more)."""


def session_id(token: str) -> str:
    """The row id of a token: its SHA-256, hexadecimal."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def message(reason: str) -> str:
    return REASONS.get(reason, REASONS[TIDAK_DIKENAL])[1]


def open_session(session: Session, user_id: int, address: str | None, user_agent: str | None = None,
                 now: dt.datetime | None = None) -> str:
    """A new session for the account; returns its token (for the cookie, never stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(id=session_id(token), user_id=user_id, created_at=now, last_seen_at=now,
                             expires_at=now + dt.timedelta(hours=config.COOKIE_HOURS),
                             client_address=(address or None) and address[:64],
                             user_agent=(user_agent or None) and user_agent[:200]))
    cutoff = now - dt.timedelta(days=config.KNOWN_ADDRESS_DAYS)
    session.execute(delete(LoginSession).where(LoginSession.expires_at < cutoff))
    session.flush()
    return token


@dataclass(frozen=True)
class Checked:
    """The account a token opens (None when it opens nothing) and, if nothing, why."""
    user: User | None
    session_id: str | None = None
    reason: str | None = None


def check(session: Session, token: str | None, now: dt.datetime | None = None) -> Checked:
    """Whether ``token`` still opens the portal, and for whom. A session of a disabled account ends here too."""
    now = now or utcnow()
    row = session.get(LoginSession, session_id(token)) if token else None
    if row is None:
        return Checked(None, reason=TIDAK_DIKENAL)
    if row.revoked_at is not None:
        return Checked(None, row.id, row.reason or TIDAK_DIKENAL)
    if row.expires_at <= now:
        return Checked(None, row.id, KEDALUWARSA)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        row.revoked_at, row.reason = now, NONAKTIF
        return Checked(None, row.id, NONAKTIF)
    if row.last_seen_at is None or (now - row.last_seen_at).total_seconds() >= config.SESSION_SEEN_EVERY_SECONDS:
        row.last_seen_at = now
    return Checked(user, row.id)


def _active(now: dt.datetime):
    return (LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)


def revoke_user(session: Session, user_id: int, reason: str, keep: str | None = None,
                now: dt.datetime | None = None) -> int:
    """End every open session of the account except ``keep`` (a session id); returns how many ended."""
    now = now or utcnow()
    rows = session.scalars(select(LoginSession).where(LoginSession.user_id == user_id, *_active(now))).all()
    ended = [r for r in rows if r.id != keep]
    for row in ended:
        row.revoked_at, row.reason = now, reason
    session.flush()
    return len(ended)


def log_out(session: Session, actor: Actor) -> None:
    """*Keluar*: this session ends for good (a copy of its cookie opens nothing afterwards)."""
    if actor.session_id:
        row = session.get(LoginSession, actor.session_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at, row.reason = utcnow(), KELUAR
    audit.record(session, actor, "keluar", "user", actor.user_id)


def addresses_of(session: Session, user_id: int, since: dt.datetime) -> set[str]:
    """The client addresses the account logged in from since ``since``."""
    return set(session.scalars(select(LoginSession.client_address).distinct().where(
        LoginSession.user_id == user_id, LoginSession.created_at >= since,
        LoginSession.client_address.is_not(None))))


def count_active(session: Session, now: dt.datetime | None = None) -> dict[int, int]:
    """Open sessions per user id."""
    now = now or utcnow()
    return dict(session.execute(select(LoginSession.user_id, func.count()).where(*_active(now))
                                .group_by(LoginSession.user_id)).all())


# --- the admin --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionInfo:
    id: str
    username: str
    name: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    expires_at: dt.datetime
    client_address: str | None
    user_agent: str | None
    current: bool

    def label(self) -> str:
        here = " (sesi Anda ini)" if self.current else ""
        return (f"{self.username} — masuk {fmt.waktu_pendek(self.created_at)} dari {self.client_address or '—'}"
                f" · {self.id[:8]}{here}")

    def row(self) -> dict:
        return {"Pengguna": self.username, "Nama": self.name, "Masuk": fmt.waktu_pendek(self.created_at),
                "Terakhir aktif": fmt.waktu_pendek(self.last_seen_at), "Berakhir": fmt.waktu_pendek(self.expires_at),
                "Alamat": self.client_address or "—", "Peramban": self.user_agent or "—",
                "Sesi": self.id[:8] + (" (Anda)" if self.current else "")}


def list_active(session: Session, actor: Actor, username: str | None = None,
                now: dt.datetime | None = None) -> list[SessionInfo]:
    """The open sessions (of ``username``, or of everyone), newest first."""
    require(actor, "manage_users")
    now = now or utcnow()
    q = (select(LoginSession, User.username, User.name).join(User, User.id == LoginSession.user_id)
         .where(*_active(now), User.active))
    if username:
        q = q.where(User.username == username)
    return [SessionInfo(s.id, u, n, s.created_at, s.last_seen_at, s.expires_at, s.client_address, s.user_agent,
                        s.id == actor.session_id)
            for s, u, n in session.execute(q.order_by(LoginSession.created_at.desc(), LoginSession.id))]


def end_one(session: Session, actor: Actor, sid: str, now: dt.datetime | None = None) -> str:
    """The admin ends one session; returns its user's username."""
    require(actor, "manage_users")
    now = now or utcnow()
    row = session.scalar(select(LoginSession).where(LoginSession.id == sid, *_active(now)))
    if row is None:
        raise SessionError("Sesi itu sudah berakhir atau tidak ada.")
    row.revoked_at, row.reason = now, ADMIN
    username = session.scalar(select(User.username).where(User.id == row.user_id))
    audit.record(session, actor, "akhiri_sesi", "user", row.user_id,
                 f"{username}; sesi {sid[:8]} dari {row.client_address or '—'}")
    return username


def end_all_of(session: Session, actor: Actor, username: str, now: dt.datetime | None = None) -> int:
    """The admin ends every open session of ``username`` (but not the admin's own current one); returns how
    many ended."""
    require(actor, "manage_users")
    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise SessionError(f"Pengguna “{username}” tidak ada.")
    ended = revoke_user(session, user_id, ADMIN, keep=actor.session_id, now=now)
    audit.record(session, actor, "akhiri_sesi_pengguna", "user", user_id, f"{username}; {ended} sesi diakhiri")
    return ended
