"""User accounts: passwords (bcrypt), login with throttling and its session, roles and local roles, demo users.

Every function that changes an account takes the acting user and calls ``require(actor, "manage_users")``
(changing one's own password excepted), and records the change in the audit log. A new password or a
disabled account ends the account's sessions (lib/base/sessions.py); failed logins slow further attempts
down (lib/base/throttle.py) and every failure gets the same message.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import audit, config, delegation, sessions, throttle
from lib.base.db import RoleAssignment, Setting, User, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, Grant, check_scope, require
from lib.base.roles import ROLES

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MIN_PASSWORD = 8
#: A well-formed bcrypt hash of the configured cost, of a password that stands for no account: checking an unknown name
#: against it costs what checking a real account costs, and building it costs nothing (no hashing at import).
_DUMMY_HASH = f"$2b${config.BCRYPT_ROUNDS:02d}$H4APmFTsrM8pcwEA6.R6oeD2jb6FNFCkF.exbNFabMkzQ.KetDbY2"

#: Demo-only accounts, one per role (PORTAL_ENV=demo). The README lists them; never in production.
DEMO_PASSWORD = "demo1234"
DEMO_USERS: list[tuple[str, str, str, str | None]] = [
    ("admin", "Admin Portal", "admin", None),
    ("kadis", "Hendra Gunawan", "kepala_dinas", None),
    ("sekdin", "Siti Rahmawati", "sekretaris", None),
    ("kabid", "Budi Santoso", "kepala_bidang", "bidang:tenaga-kerja"),
    ("kabidsos", "Wahyu Hidayat", "kepala_bidang", "bidang:jaminan-sosial"),
    ("kasi", "Dewi Lestari", "kasi", None),
    ("staf", "Rina Marlina", "staf", None),
    ("operator", "Agus Pratama", "operator_desa", "desa:karang-dalo"),
    ("evaluator", "Maya Sari", "evaluator", None),
]


def demo_email(username: str) -> str:
    """The demo account's e-mail address (the reserved ``.example`` domain: no real mailbox)."""
    return f"{username}@portal-sop.example"


class AccountError(UserError):
    """A user-caused problem with an account change; the message is Indonesian and safe to show."""


def _secret(password: str) -> bytes:
    """What bcrypt hashes: the password's UTF-8 bytes, or, past bcrypt's 72-byte limit, their SHA-256 (base64),
    so that a long passphrase works and every character of it counts (shorter passwords hash as they always
    did, so existing hashes stay valid)."""
    raw = password.encode("utf-8")
    return raw if len(raw) <= 72 else base64.b64encode(hashlib.sha256(raw).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_secret(password), bcrypt.gensalt(rounds=config.BCRYPT_ROUNDS)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(_secret(password), hashed.encode("ascii"))
    except ValueError:
        return False


def validate_password(password: str, username: str | None = None) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"Kata sandi minimal {MIN_PASSWORD} karakter.")
    if username and password.strip().lower() == username.lower():
        raise AccountError("Kata sandi tidak boleh sama dengan nama pengguna.")


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"Pengguna “{username}” tidak ada.")
    return user


def _own_grants(session: Session, user_id: int) -> frozenset[Grant]:
    rows = session.execute(select(RoleAssignment.role, RoleAssignment.scope)
                           .where(RoleAssignment.user_id == user_id)).all()
    return frozenset(Grant(r, s) for r, s in rows)


def _grants(session: Session, user_id: int, now: dt.datetime | None = None) -> frozenset[Grant]:
    """The user's own roles, and those they hold as Plh at ``now`` (lib/base/delegation.py)."""
    return _own_grants(session, user_id) | delegation.acting_grants(session, user_id, now)


def load_actor(session: Session, username: str, now: dt.datetime | None = None) -> Actor | None:
    """The acting user with their roles (and those held as Plh at ``now``), or None when unknown or disabled."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return None
    return Actor(user.id, user.username, user.name, _grants(session, user.id, now))


# --- login --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    """A login: the actor and the token of the new session (for the cookie), or the one failure message."""
    actor: Actor | None
    message: str | None = None
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.actor is not None


#: The one answer to every failed login: unknown name, wrong password, disabled account or a throttled attempt.
GENERIC_FAILURE = "Nama pengguna atau kata sandi salah."


def authenticate(session: Session, username: str, password: str, address: str | None = None,
                 user_agent: str | None = None, now: dt.datetime | None = None) -> LoginResult:
    """Check a login from the client ``address`` and, when it succeeds, open its session. Every failure gets
    :data:`GENERIC_FAILURE`; an attempt that throttling holds back (lib/base/throttle.py) gets it too, without
    its password being looked at. Every outcome is audited."""
    now = now or utcnow()
    username = (username or "").strip().lower()[:64]
    address = (address or throttle.LOCAL)[:64]
    user = session.scalar(select(User).where(User.username == username)) if username else None
    since = now - dt.timedelta(days=config.KNOWN_ADDRESS_DAYS)
    # The same queries whether the name is known or not (-1 is no user's id).
    known = address in sessions.addresses_of(session, user.id if user else -1, since)
    verdict = throttle.check(session, username, address, known, now)
    if not verdict.allowed:
        audit.record(session, None, "gagal_masuk", "user", user.id if user else None,
                     f"ditahan {verdict.wait_seconds} detik lagi: terlalu sering gagal ({verdict.rule}); "
                     f"dari {address}", username=username or None)
        return LoginResult(None, GENERIC_FAILURE)
    # An unknown name costs a bcrypt check too, so the answer takes as long as for a real account.
    right = check_password(password or "", user.password_hash if user else _DUMMY_HASH)
    if user is None or not right or not user.active:
        why = ("nama pengguna tidak dikenal" if user is None else "kata sandi salah" if not right
               else "akun nonaktif")
        throttle.record_failure(session, username, address, now)
        audit.record(session, None, "gagal_masuk", "user", user.id if user else None, f"{why}; dari {address}",
                     username=username or None)
        return LoginResult(None, GENERIC_FAILURE)
    throttle.clear(session, username, address)
    token = sessions.open_session(session, user.id, address, user_agent, now)
    actor = Actor(user.id, user.username, user.name, _grants(session, user.id), sessions.session_id(token))
    audit.record(session, actor, "masuk", "user", user.id, f"dari {address}")
    return LoginResult(actor, token=token)


@dataclass(frozen=True)
class Resumed:
    """What a session token opens: the actor, or nothing and the message saying why."""
    actor: Actor | None
    reason: str | None = None

    @property
    def message(self) -> str | None:
        return None if self.actor else sessions.message(self.reason or sessions.TIDAK_DIKENAL)


def resume(session: Session, token: str | None, now: dt.datetime | None = None) -> Resumed:
    """The actor of a session token (every run of the portal asks), or why it opens nothing any more."""
    checked = sessions.check(session, token, now)
    if checked.user is None:
        return Resumed(None, checked.reason)
    user = checked.user
    return Resumed(Actor(user.id, user.username, user.name, _grants(session, user.id), checked.session_id))


def record_cookie_login(session: Session, actor: Actor) -> None:
    """A session restored from the cookie (a new tab or a reload) counts as a login."""
    audit.record(session, actor, "masuk", "user", actor.user_id, "dari cookie sesi")


# --- administration -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserInfo:
    username: str
    name: str
    email: str | None
    active: bool
    grants: tuple[Grant, ...]
    open_sessions: int

    def role_text(self) -> str:
        return ", ".join(ROLES[g.role] + (f" ({g.scope})" if g.scope else "") for g in self.grants) or "—"


def list_users(session: Session, actor: Actor | None) -> list[UserInfo]:
    """All accounts; ``actor`` None is the server shell (the CLI)."""
    if actor is not None:
        require(actor, "manage_users")
    users = session.scalars(select(User).order_by(User.username)).all()
    open_sessions = sessions.count_active(session)
    return [UserInfo(u.username, u.name, u.email, u.active,
                     tuple(sorted(_own_grants(session, u.id), key=lambda g: (g.role, g.scope or ""))),
                     open_sessions.get(u.id, 0)) for u in users]


def _normalise_grants(grants) -> list[Grant]:
    out = []
    for g in grants:
        role, scope = (g.role, g.scope) if isinstance(g, Grant) else g
        try:
            out.append(Grant(role, check_scope(role, scope)))
        except ValueError as err:
            raise AccountError(str(err)) from None
    if not out:
        raise AccountError("Pilih minimal satu peran.")
    return sorted(set(out), key=lambda g: (g.role, g.scope or ""))


def add_user(session: Session, actor: Actor | None, username: str, name: str, password: str,
             grants, email: str | None = None) -> None:
    """Create an account. ``actor`` None is allowed only for the bootstrap (CLI first admin, demo users)."""
    if actor is not None:
        require(actor, "manage_users")
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise AccountError("Nama pengguna 3–32 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.")
    if not (name or "").strip():
        raise AccountError("Nama lengkap wajib diisi.")
    validate_password(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"Nama pengguna “{username}” sudah dipakai.")
    normal = _normalise_grants(grants)
    user = User(username=username, name=name.strip(), email=(email or "").strip() or None,
                password_hash=hash_password(password), active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    for g in normal:
        session.add(RoleAssignment(user_id=user.id, role=g.role, scope=g.scope))
    roles = ", ".join(g.role + (f"@{g.scope}" if g.scope else "") for g in normal)
    audit.record(session, actor, "tambah_pengguna", "user", user.id, f"{username}; peran: {roles}",
                 username=None if actor else "sistem")


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count(func.distinct(User.id))).join(
        RoleAssignment, RoleAssignment.user_id == User.id).where(RoleAssignment.role == "admin", User.active))


def set_active(session: Session, actor: Actor | None, username: str, active: bool) -> None:
    """Disable (which ends every session of the account at once) or re-enable an account; ``actor`` None is the
    server shell (the CLI)."""
    if actor is not None:
        require(actor, "manage_users")
    user = _user(session, username)
    if user.active == active:
        return
    if not active and actor is not None and user.id == actor.user_id:
        raise AccountError("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    if not active and "admin" in {g.role for g in _own_grants(session, user.id)} and _active_admins(session) <= 1:
        raise AccountError("Ini admin aktif terakhir; tambahkan admin lain sebelum menonaktifkannya.")
    user.active = active
    detail = username
    if not active:
        detail += f"; {sessions.revoke_user(session, user.id, sessions.NONAKTIF)} sesi diakhiri"
    audit.record(session, actor, "aktifkan_pengguna" if active else "nonaktifkan_pengguna", "user", user.id,
                 detail, username=None if actor else "sistem")


def reset_password(session: Session, actor: Actor | None, username: str, new_password: str) -> None:
    """Set a new password (admin, or the CLI with ``actor`` None): every session of the account ends (but the
    admin's own current one, when they reset their own) and its failed logins are forgotten."""
    if actor is not None:
        require(actor, "manage_users")
    user = _user(session, username)
    validate_password(new_password, user.username)
    user.password_hash = hash_password(new_password)
    keep = actor.session_id if actor is not None and actor.user_id == user.id else None
    ended = sessions.revoke_user(session, user.id, sessions.KATA_SANDI, keep=keep)
    throttle.clear(session, user.username)
    audit.record(session, actor, "atur_kata_sandi", "user", user.id, f"{username}; {ended} sesi diakhiri",
                 username=None if actor else "sistem")


def change_own_password(session: Session, actor: Actor, old_password: str, new_password: str) -> int:
    """A user's new password; every OTHER session of the account ends (the one they changed it in stays).
    Returns how many ended."""
    require(actor, "manage_own_account")
    user = _user(session, actor.username)
    if not check_password(old_password or "", user.password_hash):
        raise AccountError("Kata sandi lama salah.")
    validate_password(new_password, user.username)
    user.password_hash = hash_password(new_password)
    ended = sessions.revoke_user(session, user.id, sessions.KATA_SANDI, keep=actor.session_id)
    audit.record(session, actor, "ganti_kata_sandi", "user", user.id, f"{ended} sesi lain diakhiri")
    return ended


def set_roles(session: Session, actor: Actor, username: str, grants) -> None:
    """Replace a user's roles and local roles."""
    require(actor, "manage_users")
    user = _user(session, username)
    normal = _normalise_grants(grants)
    had_admin = "admin" in {g.role for g in _own_grants(session, user.id)}
    if had_admin and "admin" not in {g.role for g in normal} and user.active and _active_admins(session) <= 1:
        raise AccountError("Ini admin aktif terakhir; peran admin tidak dapat dicabut.")
    for ra in session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)):
        session.delete(ra)
    session.flush()
    for g in normal:
        session.add(RoleAssignment(user_id=user.id, role=g.role, scope=g.scope))
    roles = ", ".join(g.role + (f"@{g.scope}" if g.scope else "") for g in normal)
    audit.record(session, actor, "atur_peran", "user", user.id, f"{username}; peran: {roles}")


def update_profile(session: Session, actor: Actor, username: str, name: str, email: str | None) -> None:
    require(actor, "manage_users")
    user = _user(session, username)
    if not (name or "").strip():
        raise AccountError("Nama lengkap wajib diisi.")
    user.name, user.email = name.strip(), (email or "").strip() or None
    audit.record(session, actor, "ubah_pengguna", "user", user.id, username)


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def ensure_demo_users(session: Session) -> list[str]:
    """In demo mode, one account per role when the database has no users yet."""
    if config.is_production() or count_users(session):
        return []
    for username, name, role, scope in DEMO_USERS:
        add_user(session, None, username, name, DEMO_PASSWORD, [(role, scope)], email=demo_email(username))
    return [u for u, *_ in DEMO_USERS]


def has_demo_users(session: Session) -> bool:
    """Whether the login page may point to the demo accounts: demo mode and one of them still active."""
    if config.is_production():
        return False
    names = [u for u, *_ in DEMO_USERS]
    return bool(session.scalar(select(func.count()).select_from(User)
                               .where(User.username.in_(names), User.active.is_(True))))


COOKIE_KEY_SETTING = "kunci_cookie_demo"


def session_cookie_key(session: Session) -> str:
    """The key that signs session cookies.

    Production: ``PORTAL_COOKIE_KEY`` / secrets ``cookie_key``, at least 32 characters, never a default;
    otherwise :class:`config.ConfigError`. Demo: the configured key when there is one, else a random key
    kept in the settings table so that restarts and replicas share it.
    """
    configured = config.configured_cookie_key()
    if config.is_production() or configured:
        return config.check_cookie_key(configured)
    row = session.get(Setting, COOKIE_KEY_SETTING)
    if row is None:
        row = Setting(key=COOKIE_KEY_SETTING, value={"key": secrets.token_urlsafe(48)}, updated_at=utcnow())
        session.add(row)
        session.flush()
    return row.value["key"]
