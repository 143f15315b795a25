"""Run-time configuration from the environment and ``.streamlit/secrets.toml`` (no Streamlit import).

``PORTAL_ENV`` is ``demo`` (the default: demo users and demo data) or ``production`` (no default users,
and the app refuses to start without a proper cookie key).
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ROOT / ".streamlit" / "secrets.toml"

#: Keys that must never sign a production session cookie.
KNOWN_DEFAULT_KEYS = {"", "some_key", "change-me", "changeme", "secret", "portal-sop-demo-key"}
MIN_KEY_LENGTH = 32
#: Session cookies live for one working day.
COOKIE_HOURS = 8
COOKIE_NAME = "portal_sop_sesi"
#: bcrypt cost (2^rounds). Tests lower it with PORTAL_BCRYPT_ROUNDS to stay fast; never below 4.
BCRYPT_ROUNDS = max(4, int(os.environ.get("PORTAL_BCRYPT_ROUNDS", "12")))
#: Failed logins in a row that lock an account, and for how long.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to set (Indonesian)."""


def env() -> str:
    value = os.environ.get("PORTAL_ENV", "demo").strip().lower()
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
    return os.environ.get("PORTAL_COOKIE_KEY") or _secrets().get("cookie_key")


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
    url = (os.environ.get("PORTAL_PUBLIC_URL") or _secrets().get("public_url") or "").strip()
    return url.rstrip("/") or None


def agency_name() -> str | None:
    """``PORTAL_NAMA_INSTANSI`` (or ``nama_instansi`` in secrets.toml): the agency's name as citizens know it,
    shown on the public SKM page. None: the page names the agencies of the SOPs in force instead."""
    name = (os.environ.get("PORTAL_NAMA_INSTANSI") or _secrets().get("nama_instansi") or "").strip()
    return " ".join(name.split())[:200] or None


def demo_history() -> bool:
    """Whether a demo start fills two years of demo cases (``PORTAL_DEMO_HISTORY``, default on; never in
    production). The test suite turns it off for speed except where a test asks for it."""
    return not is_production() and os.environ.get("PORTAL_DEMO_HISTORY", "1").strip().lower() not in ("0", "false",
                                                                                                      "tidak")


def raise_page_errors() -> bool:
    """``PORTAL_RAISE_ERRORS=1`` (the test suite sets it): a page's unexpected error propagates instead of
    becoming the Indonesian message with a reference number, so tests see it."""
    return os.environ.get("PORTAL_RAISE_ERRORS", "0").strip() == "1"
