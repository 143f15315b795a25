"""Run-time configuration from the environment and ``.streamlit/secrets.toml`` (no Streamlit import).

Every setting a deployment can make is one row of :data:`SETTINGS` (the README's configuration table
documents each, and a test holds the two together); :func:`setting` reads them.

``PORTAL_ENV`` is ``demo`` (the default: demo users and demo data) or ``production`` (no default users,
and the app refuses to start without a proper cookie key).
"""
from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, its key in secrets.toml (if it may be set there too) and whether
    it is meant for the test suite rather than a deployment."""
    env: str
    secret: str | None = None
    for_tests: bool = False


#: Every setting read from the environment, in the order of the README's configuration table.
SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL"),
    Setting("DATABASE_OWNER_URL"),
    Setting("PORTAL_ENV"),
    Setting("PORTAL_DEMO_HISTORY"),
    Setting("PORTAL_PUBLIC_URL", "public_url"),
    Setting("PORTAL_NAMA_INSTANSI", "nama_instansi"),
    Setting("PORTAL_COOKIE_KEY", "cookie_key"),
    Setting("PORTAL_TRUSTED_PROXY", "trusted_proxy"),
    Setting("PORTAL_BACKUP_KEY"),
    Setting("PORTAL_BASE_URL", "base_url"),
    Setting("PORTAL_SMTP_HOST", "smtp_host"),
    Setting("PORTAL_SMTP_PORT", "smtp_port"),
    Setting("PORTAL_SMTP_USER", "smtp_user"),
    Setting("PORTAL_SMTP_PASSWORD", "smtp_password"),
    Setting("PORTAL_SMTP_TLS", "smtp_tls"),
    Setting("PORTAL_SMTP_SENDER", "smtp_sender"),
    Setting("PORTAL_BCRYPT_ROUNDS", for_tests=True),
    Setting("PORTAL_RAISE_ERRORS", for_tests=True),
)
_BY_ENV = {s.env: s for s in SETTINGS}


def setting(name: str, default: str | None = None) -> str | None:
    """The value of the setting ``name`` (an environment variable of :data:`SETTINGS`): the environment first,
    then secrets.toml where the setting may be kept there; ``default`` when neither has it (an empty variable
    counts as not set)."""
    declared = _BY_ENV[name]  # a KeyError here means a setting missing from the table
    value = os.environ.get(name) or None
    if value is None and declared.secret:
        value = _secrets().get(declared.secret)
    return default if value is None else str(value)

#: Keys that must never sign a production session cookie.
KNOWN_DEFAULT_KEYS = {"", "some_key", "change-me", "changeme", "secret", "portal-sop-demo-key"}
MIN_KEY_LENGTH = 32
#: Session cookies live for one working day.
COOKIE_HOURS = 8
COOKIE_NAME = "portal_sop_sesi"
#: bcrypt cost (2^rounds). Tests lower it with PORTAL_BCRYPT_ROUNDS to stay fast; never below 4.
BCRYPT_ROUNDS = max(4, int(setting("PORTAL_BCRYPT_ROUNDS", "12")))

# Login throttling (lib/base/throttle.py). Failures are counted over a sliding window; past a threshold the
# next attempt must wait a delay after the last failure that doubles with every further failure, up to a cap.
THROTTLE_WINDOW_MINUTES = 15
#: Failures for one account before it is slowed (from addresses it has not logged in from lately).
THROTTLE_ACCOUNT_FAILURES = 5
#: Failures from one client address, whatever the accounts, before that address is slowed.
THROTTLE_ADDRESS_FAILURES = 20
THROTTLE_FIRST_DELAY_SECONDS = 30
THROTTLE_MAX_DELAY_SECONDS = 15 * 60
#: An address an account logged in from within this many days is a known address of that account.
KNOWN_ADDRESS_DAYS = 30
#: How often (seconds) a session's last_seen is written: not on every click.
SESSION_SEEN_EVERY_SECONDS = 60


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to set (Indonesian)."""


def env() -> str:
    value = (setting("PORTAL_ENV") or "demo").strip().lower()
    if value not in ("demo", "production"):
        raise ConfigError(f"PORTAL_ENV harus “demo” atau “production”, bukan “{value}”.")
    return value


def is_production() -> bool:
    return env() == "production"


def _secrets() -> dict:
    if SECRETS.exists():
        with SECRETS.open("rb") as f:
            return tomllib.load(f)
    return {}


def configured_cookie_key() -> str | None:
    """The cookie key from ``PORTAL_COOKIE_KEY`` or ``cookie_key`` in secrets.toml, if any."""
    return setting("PORTAL_COOKIE_KEY") or None


def check_cookie_key(key: str | None) -> str:
    """Refuse a missing, default or short key (at least 32 random characters)."""
    if key is None or key.strip() in KNOWN_DEFAULT_KEYS:
        raise ConfigError("Kunci cookie belum diatur. Set PORTAL_COOKIE_KEY atau cookie_key di "
                          ".streamlit/secrets.toml dengan minimal 32 karakter acak, misalnya dari: "
                          "python -c \"import secrets; print(secrets.token_urlsafe(48))\"")
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"Kunci cookie terlalu pendek ({len(key)} karakter); minimal {MIN_KEY_LENGTH}.")
    return key


def public_url() -> str | None:
    """``PORTAL_PUBLIC_URL``: the address citizens reach the portal at (for the SKM link and QR code),
    when it differs from the address staff use (behind a proxy). None: use the address of the request."""
    url = (setting("PORTAL_PUBLIC_URL") or "").strip()
    return url.rstrip("/") or None


def base_url() -> str:
    """``PORTAL_BASE_URL``: the address staff open the portal at, for the links in e-mails (the password
    reset, the digest); without it ``PORTAL_PUBLIC_URL``, else ``http://localhost:8501``."""
    url = (setting("PORTAL_BASE_URL") or "").strip().rstrip("/")
    return url or public_url() or "http://localhost:8501"


def agency_name() -> str | None:
    """``PORTAL_NAMA_INSTANSI`` (or ``nama_instansi`` in secrets.toml): the agency's name as citizens know it,
    shown on the public SKM page. None: the page names the agencies of the SOPs in force instead."""
    name = (setting("PORTAL_NAMA_INSTANSI") or "").strip()
    return " ".join(name.split())[:200] or None


def demo_history() -> bool:
    """Whether a demo start fills two years of demo cases (``PORTAL_DEMO_HISTORY``, default on; never in
    production). The test suite turns it off for speed except where a test asks for it."""
    return not is_production() and (setting("PORTAL_DEMO_HISTORY") or "1").strip().lower() not in ("0", "false",
                                                                                                    "tidak")


def raise_page_errors() -> bool:
    """``PORTAL_RAISE_ERRORS=1`` (the test suite sets it): a page's unexpected error propagates instead of
    becoming the Indonesian message with a reference number, so tests see it."""
    return (setting("PORTAL_RAISE_ERRORS") or "0").strip() == "1"


def trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``PORTAL_TRUSTED_PROXY``: the addresses (or networks, ``10.0.0.0/8``) of the reverse proxies in front of
    the portal, separated by commas. Only a connection from one of them has its ``X-Forwarded-For`` believed.
    Empty (the default): the header is ignored and the connection's own address is the client's."""
    out = []
    for part in (setting("PORTAL_TRUSTED_PROXY") or "").replace(";", ",").split(","):
        if part.strip():
            try:
                out.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"PORTAL_TRUSTED_PROXY: “{part.strip()}” bukan alamat IP atau jaringan "
                                  "(contoh: 10.0.0.5 atau 10.0.0.0/8).") from None
    return tuple(out)
