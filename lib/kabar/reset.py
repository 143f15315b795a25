"""*Lupa kata sandi*: a single-use link by e-mail, valid for :data:`VALID_MINUTES` minutes.

* :func:`request` — someone types a username or an e-mail address on the login page. When it names an active
  account with an e-mail address, a random token is made, only its SHA-256 is kept (``reset_sandi``), and the
  message with the link ``PORTAL_BASE_URL/?reset=<token>`` is returned for the caller to send after the
  commit. The page says :data:`SAME_ANSWER` whatever happened: whether the account exists never shows.
* Requests are throttled like logins (lib/base/throttle.py: per name typed and per client address, a delay
  that doubles), every request counts; a held-back request sends nothing, with the same answer.
* :func:`reset` — the link's token and a new password: the token must exist, be unused and unexpired and its
  account active (else :data:`INVALID`, with nothing changed but the audit entry); then the password
  changes, this token and every other open one of the account are used up, every session of the account
  ends and its failed logins are forgotten. A refused token counts as a failure of its client address.
* Every request, every reset and every refused token is in the audit log (never the token itself). Rows a day
  past their expiry are deleted at the next request.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import secrets
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lib.base import accounts, audit, config, sessions, throttle
from lib.base.db import PasswordReset, User, utcnow
from lib.kabar import surel

VALID_MINUTES = 30
#: The one answer to every request.
SAME_ANSWER = ("Bila nama pengguna atau alamat surel itu terdaftar dan akunnya memiliki alamat surel, tautan untuk "
               f"mengatur ulang kata sandi sudah dikirim ke alamat itu. Tautan berlaku {VALID_MINUTES} menit dan "
               "hanya dapat dipakai sekali.")
INVALID = ("Tautan atur ulang kata sandi ini tidak berlaku: sudah dipakai, sudah lewat "
           f"{VALID_MINUTES} menit, atau tidak dikenal. Minta tautan baru lewat “Lupa kata sandi?”.")
#: How throttling names the requests (a prefix no username can have: usernames have no colon).
_REQUEST = "reset:"
_TOKEN = "reset-token:"


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _find(session: Session, who: str) -> User | None:
    if "@" in who:
        return session.scalars(select(User).where(func.lower(User.email) == who).order_by(User.id)).first()
    return session.scalar(select(User).where(User.username == who))


def request(session: Session, who: str, address: str | None = None,
            now: dt.datetime | None = None) -> EmailMessage | None:
    """A reset link asked for ``who`` (username or e-mail) from ``address``: the message to send after the
    commit, or None (nothing to send). The caller shows :data:`SAME_ANSWER` either way."""
    now = now or utcnow()
    who = " ".join((who or "").split()).lower()[:200]
    address = (address or throttle.LOCAL)[:64]
    if not who:
        return None
    name = (_REQUEST + who)[:64]
    verdict = throttle.check(session, name, address, False, now)
    if not verdict.allowed:
        audit.record(session, None, "minta_atur_ulang_sandi", "user", None,
                     f"ditahan {verdict.wait_seconds} detik ({verdict.rule}); dari {address}", username=who[:64])
        return None
    throttle.record_failure(session, name, address, now)  # every request counts towards the delay
    user = _find(session, who)
    if user is None or not user.active or not user.email:
        why = "akun tidak dikenal" if user is None else "akun nonaktif" if not user.active else "akun tanpa surel"
        audit.record(session, None, "minta_atur_ulang_sandi", "user", user.id if user else None,
                     f"tidak dikirim: {why}; dari {address}", username=who[:64])
        return None
    session.execute(delete(PasswordReset).where(PasswordReset.expires_at < now - dt.timedelta(days=1)))
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(id=token_id(token), user_id=user.id, created_at=now,
                              expires_at=now + dt.timedelta(minutes=VALID_MINUTES), client_address=address))
    audit.record(session, None, "minta_atur_ulang_sandi", "user", user.id,
                 f"tautan dikirim ke {user.email}; dari {address}", username=user.username)
    session.flush()
    return _message(user, token)


def link(token: str) -> str:
    return f"{config.base_url()}/?reset={token}"


def _message(user: User, token: str) -> EmailMessage:
    url = link(token)
    text = (f"Yth. {user.name},\n\nAda permintaan mengatur ulang kata sandi akun “{user.username}” di Portal SOP. "
            f"Buka tautan ini dalam {VALID_MINUTES} menit (hanya dapat dipakai sekali):\n\n{url}\n\n"
            "Bila Anda tidak memintanya, abaikan surel ini: kata sandi Anda tidak berubah.")
    page = (f"<p>Yth. {html.escape(user.name)},</p><p>Ada permintaan mengatur ulang kata sandi akun "
            f"<b>{html.escape(user.username)}</b> di Portal SOP. Buka tautan ini dalam {VALID_MINUTES} menit "
            f'(hanya dapat dipakai sekali):</p><p><a href="{html.escape(url)}">Atur ulang kata sandi</a></p>'
            "<p>Bila Anda tidak memintanya, abaikan surel ini: kata sandi Anda tidak berubah.</p>")
    return surel.message(surel.smtp_settings(), user.name, user.email,
                         "Portal SOP: atur ulang kata sandi", text, page)


def _valid(session: Session, token: str | None, now: dt.datetime) -> tuple[PasswordReset, User] | None:
    row = session.get(PasswordReset, token_id(token)) if token else None
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    return (row, user) if user is not None and user.active else None


def username_of(session: Session, token: str | None, now: dt.datetime | None = None) -> str | None:
    """The account a token would reset now (for the page's heading), or None when it opens nothing."""
    found = _valid(session, token, now or utcnow())
    return found[1].username if found else None


@dataclass(frozen=True)
class Outcome:
    """A reset: the account's username, or None and the message why the link opened nothing."""
    username: str | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.username is not None


def reset(session: Session, token: str, new_password: str, address: str | None = None,
          now: dt.datetime | None = None) -> Outcome:
    """Set the new password through the link's token. A token that opens nothing gives :data:`INVALID` (the
    refusal is audited and counted, in the caller's transaction, which should commit); a password the rules
    refuse raises :class:`lib.base.accounts.AccountError` before anything is written and leaves the link
    usable."""
    now = now or utcnow()
    address = (address or throttle.LOCAL)[:64]
    verdict = throttle.check(session, _TOKEN[:-1], address, True, now)  # by address only
    found = _valid(session, token, now) if verdict.allowed else None
    if found is None:
        throttle.record_failure(session, _TOKEN[:-1], address, now)
        audit.record(session, None, "tautan_sandi_ditolak", "user", None,
                     ("ditahan; " if not verdict.allowed else "") + f"dari {address}", username="anonim")
        return Outcome(None, INVALID)
    row, user = found
    accounts.validate_password(new_password, user.username)
    user.password_hash = accounts.hash_password(new_password)
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    ended = sessions.revoke_user(session, user.id, sessions.KATA_SANDI, now=now)
    throttle.clear(session, user.username)
    audit.record(session, None, "atur_ulang_sandi_surel", "user", user.id,
                 f"{ended} sesi diakhiri; dari {address}", username=user.username)
    session.flush()
    return Outcome(user.username)
