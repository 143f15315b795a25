"""The e-mail digest (``python -m lib notify``): one message per user of what is new, due soon and overdue
in their inbox since their last digest.

A user gets a digest when the account is active, has an e-mail address and has not turned the digest off on
*Akun saya* (``users.kabar_email``), and something in their inbox (:func:`lib.kabar.kotak.entries`) is new to
the digest or has risen in status (``baru`` → ``segera`` → ``terlambat``) since it last told them (an entry
the user already opened in the inbox is no news while it is ``baru``). What each
message told is recorded per user and entry (``kotak_masuk_tanda.dikirim_status``) right after that message
was accepted by the SMTP server, so a second run right after the first sends nothing, and a server that
cannot be reached loses nothing: the entries stay pending for the next run. ``dry_run`` computes the same
messages and sends and records nothing.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lib.base import accounts, audit, config, fmt
from lib.base.db import User, utcnow
from lib.base.permissions import Actor, require
from lib.kabar import kotak, surel


@dataclass(frozen=True)
class Digest:
    user_id: int
    username: str
    name: str
    email: str
    items: tuple[kotak.Entry, ...]

    @property
    def subject(self) -> str:
        counts = {s: sum(e.status == s for e in self.items) for s in kotak.STATUS}
        parts = [f"{counts['terlambat']} terlambat"] if counts["terlambat"] else []
        parts += [f"{counts['segera']} segera jatuh tempo"] if counts["segera"] else []
        parts += [f"{counts['baru']} baru"] if counts["baru"] else []
        return f"Portal SOP: {len(self.items)} pekerjaan untuk Anda ({', '.join(parts)})"

    def as_dict(self) -> dict:
        return {"username": self.username, "email": self.email, "subject": self.subject,
                "items": [e.as_dict() | {"tautan": config.base_url() + e.via_inbox} for e in self.items]}


def pending(session: Session, now: dt.datetime | None = None) -> list[Digest]:
    """The digests due now, by username."""
    now = now or utcnow()
    users = session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None),
                                               User.kabar_email.is_(True)).order_by(User.username)).all()
    out = []
    for user in users:
        actor = accounts.load_actor(session, user.username)
        told = kotak.sent_status(session, user.id)
        items = tuple(e for e in kotak.entries(session, actor, now)
                      if kotak.RANK[e.status] > kotak.RANK.get(told.get(e.kunci), 0)
                      and not (e.dibaca and e.status == "baru"))  # opened already: new to nobody
        if items:
            out.append(Digest(user.id, user.username, user.name, user.email, items))
    return out


def _text(d: Digest) -> str:
    base = config.base_url()
    lines = [f"Yth. {d.name},", "", "Pekerjaan berikut menunggu Anda di Portal SOP:", ""]
    for status in ("terlambat", "segera", "baru"):
        items = [e for e in d.items if e.status == status]
        if items:
            lines.append(f"{kotak.STATUS[status].upper()} ({len(items)})")
            for e in items:
                due = f" — tenggat {fmt.waktu(e.tenggat)}" if e.tenggat else ""
                lines += [f"- {kotak.KINDS[e.jenis]}: {e.judul}{due}", f"  {base}{e.via_inbox}"]
            lines.append("")
    lines += [f"Kotak masuk: {base}/{kotak.PAGE}",
              "Ringkasan ini dapat dimatikan di halaman Akun saya."]
    return "\n".join(lines)


def _html(d: Digest) -> str:
    base, esc = config.base_url(), html.escape
    parts = [f"<p>Yth. {esc(d.name)},</p><p>Pekerjaan berikut menunggu Anda di Portal SOP:</p>"]
    for status in ("terlambat", "segera", "baru"):
        items = [e for e in d.items if e.status == status]
        if items:
            parts.append(f"<h3>{esc(kotak.STATUS[status])} ({len(items)})</h3><ul>")
            for e in items:
                due = f" — tenggat {esc(fmt.waktu(e.tenggat))}" if e.tenggat else ""
                parts.append(f'<li>{esc(kotak.KINDS[e.jenis])}: <a href="{esc(base + e.via_inbox)}">{esc(e.judul)}</a>'
                             f"{due}</li>")
            parts.append("</ul>")
    parts.append(f'<p><a href="{esc(base)}/{kotak.PAGE}">Buka Kotak masuk</a>. Ringkasan ini dapat dimatikan di '
                 "halaman <em>Akun saya</em>.</p>")
    return "".join(parts)


def message(settings: surel.SmtpSettings, d: Digest):
    return surel.message(settings, d.name, d.email, d.subject, _text(d), _html(d))


@dataclass(frozen=True)
class Sent:
    digests: list[Digest]

    def as_json(self) -> list[dict]:
        return [d.as_dict() for d in self.digests]


def send(factory: sessionmaker, now: dt.datetime | None = None) -> Sent:
    """Send every pending digest through the configured SMTP server; each one is recorded as told right after
    the server accepted it. A server that cannot be reached raises :class:`lib.kabar.surel.SurelError` before
    anything is recorded; one that fails halfway keeps what was sent recorded and the rest pending."""
    now = now or utcnow()
    settings = surel.smtp_settings()
    with factory() as session:
        digests = pending(session, now)
    if not digests:
        return Sent([])
    sent = []
    with surel.Connection(settings) as smtp:
        for d in digests:
            smtp.send(message(settings, d))
            with factory.begin() as session:
                kotak.mark_sent(session, d.user_id, list(d.items), now)
                audit.record(session, None, "kirim_ringkasan", "user", d.user_id,
                             f"{d.username}: {len(d.items)} pekerjaan ke {d.email}", username="sistem")
            sent.append(d)
    return Sent(sent)


def set_subscribed(session: Session, actor: Actor, on: bool) -> None:
    """*Akun saya*: the user turns their digest on or off."""
    require(actor, "manage_own_account")
    user = session.get(User, actor.user_id)
    if bool(user.kabar_email) == on:
        return
    user.kabar_email = on
    audit.record(session, actor, "atur_ringkasan", "user", user.id, "ringkasan surel " + ("aktif" if on else "mati"))


def subscribed(session: Session, actor: Actor) -> tuple[bool, str | None]:
    """Whether the digest goes to the actor, and their e-mail address."""
    user = session.get(User, actor.user_id)
    return bool(user.kabar_email), user.email
