"""Sending e-mail through the SMTP server of the settings (``PORTAL_SMTP_*``, README's configuration table).

``PORTAL_SMTP_TLS`` is ``starttls`` (the default: a plain connection upgraded with STARTTLS, port 587),
``ssl`` (TLS from the first byte, port 465) or ``tidak`` (no encryption: a relay on the same machine or
network, port 25). A server that cannot be reached, refuses the login or refuses a message raises
:class:`SurelError` (Indonesian), so the command line exits 2 and the caller records nothing as sent.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from lib.base import config
from lib.base.errors import UserError

TLS_MODES = {"starttls": 587, "ssl": 465, "tidak": 25}
TIMEOUT_SECONDS = 20


class SurelError(UserError):
    """The e-mail could not be sent; the message says why (nothing was recorded as sent)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: str
    sender: str


def smtp_settings() -> SmtpSettings:
    """The SMTP server of the settings, or :class:`SurelError` naming what is missing or wrong."""
    host = (config.setting("PORTAL_SMTP_HOST") or "").strip()
    if not host:
        raise SurelError("Server surel belum diatur: isi PORTAL_SMTP_HOST (dan bila perlu PORTAL_SMTP_PORT, "
                         "PORTAL_SMTP_USER, PORTAL_SMTP_PASSWORD, PORTAL_SMTP_TLS, PORTAL_SMTP_SENDER).")
    tls = (config.setting("PORTAL_SMTP_TLS") or "starttls").strip().lower()
    if tls not in TLS_MODES:
        raise SurelError(f"PORTAL_SMTP_TLS harus salah satu dari {', '.join(TLS_MODES)}, bukan “{tls}”.")
    raw_port = (config.setting("PORTAL_SMTP_PORT") or str(TLS_MODES[tls])).strip()
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise SurelError(f"PORTAL_SMTP_PORT harus nomor port 1–65535, bukan “{raw_port}”.")
    user = (config.setting("PORTAL_SMTP_USER") or "").strip() or None
    sender = (config.setting("PORTAL_SMTP_SENDER") or user or f"portal-sop@{host}").strip()
    return SmtpSettings(host, int(raw_port), user, config.setting("PORTAL_SMTP_PASSWORD"), tls, sender)


def message(settings: SmtpSettings, to_name: str, to_address: str, subject: str, text: str,
            html: str) -> EmailMessage:
    """One message in plain text with an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = formataddr(("Portal SOP", settings.sender))
    msg["To"] = formataddr((to_name, to_address))
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class Connection:
    """One SMTP connection for several messages: ``with Connection(settings) as smtp: smtp.send(msg)``."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def __enter__(self) -> "Connection":
        s = self.settings
        try:
            if s.tls == "ssl":
                self._smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_SECONDS,
                                              context=ssl.create_default_context())
            else:
                self._smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
                if s.tls == "starttls":
                    self._smtp.starttls(context=ssl.create_default_context())
            if s.user:
                self._smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError:
            self._close()
            raise SurelError(f"Server surel {self._where()} menolak nama pengguna atau kata sandi SMTP "
                             "(PORTAL_SMTP_USER, PORTAL_SMTP_PASSWORD). Tidak ada surel yang dikirim.") from None
        except (OSError, smtplib.SMTPException) as err:
            self._close()
            raise SurelError(f"Server surel {self._where()} tidak dapat dihubungi ({err or type(err).__name__}). "
                             "Tidak ada surel yang dikirim; tidak ada yang hilang, jalankan lagi nanti.") from None
        return self

    def send(self, msg: EmailMessage) -> None:
        try:
            self._smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as err:
            raise SurelError(f"Server surel {self._where()} menolak surel ke {msg['To']} "
                             f"({err or type(err).__name__}).") from None

    def _close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def __exit__(self, *exc) -> None:
        self._close()


def send(msg: EmailMessage) -> None:
    """Send one message through the configured server."""
    with Connection(smtp_settings()) as smtp:
        smtp.send(msg)
