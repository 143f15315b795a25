"""The health of a deployment, for ``python -m lib check``: whether the database answers, its schema revision,
the migrations not yet applied, whether the cookie key is sound and, when one is configured, whether the mail
server (``PORTAL_SMTP_*``: the digest, the password reset, the applicants' status e-mails) accepts a connection and
the login. It changes nothing (it never creates a database, runs a migration or sends a message).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from lib.base import config
from lib.base.db import get_engine
from lib.kabar import surel
from lib.setup.backup import sqlite_path, where
from lib.setup.database import alembic_config


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _database(url: str) -> tuple[Check, str | None]:
    """Whether the database answers, and its schema revision (None: no schema, or no answer)."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return Check("basis_data", False, f"berkas basis data {path} tidak ada"), None
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
            if not inspect(conn).has_table("alembic_version"):
                return Check("basis_data", True, f"{where(url)} terhubung, tetapi belum berisi skema"), None
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as err:
        return Check("basis_data", False, f"{where(url)} tidak dapat dihubungi: {str(err.orig).strip()}"), None
    return Check("basis_data", True, f"{where(url)} terhubung"), revision


def _schema(reachable: bool, revision: str | None) -> list[Check]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    if not reachable:
        return [Check("revisi_skema", False, "tidak diketahui (basis data tidak terhubung)")]
    if revision is None:
        return [Check("revisi_skema", False, f"belum ada skema; terbaru {head}. Jalankan: python -m lib init")]
    try:
        pending = [r.revision for r in script.iterate_revisions(head, revision)][::-1]
    except Exception:  # noqa: BLE001 - a revision this version does not know: a newer portal wrote the schema
        return [Check("revisi_skema", False, f"{revision} tidak dikenal versi ini (terbaru yang dikenal: {head}); "
                                             "perbarui aplikasi")]
    pending = [r for r in pending if r != revision]
    return [Check("revisi_skema", True, f"{revision} (terbaru: {head})"),
            Check("migrasi_tertunda", not pending,
                  "tidak ada" if not pending else f"{', '.join(pending)}. Jalankan: python -m lib init")]


def _cookie_key() -> Check:
    try:
        production = config.is_production()
    except config.ConfigError as err:
        return Check("kunci_cookie", False, str(err))
    key = config.configured_cookie_key()
    if key is None and not production:
        return Check("kunci_cookie", True, "mode demo: kunci acak disimpan di basis data")
    try:
        config.check_cookie_key(key)
    except config.ConfigError as err:
        return Check("kunci_cookie", False, str(err))
    return Check("kunci_cookie", True, f"diatur ({len(key)} karakter)")


def _mail_server() -> Check:
    if not (config.setting("PORTAL_SMTP_HOST") or "").strip():
        return Check("server_surel", True, "tidak diatur: ringkasan surel, lupa kata sandi dan kabar ke pemohon "
                                           "tidak dikirim")
    try:
        settings = surel.smtp_settings()
        with surel.Connection(settings):
            pass
    except surel.SurelError as err:
        return Check("server_surel", False, str(err))
    return Check("server_surel", True, f"{settings.host}:{settings.port} menjawab ({settings.tls})")


def run(url: str) -> list[Check]:
    """Every check, in the order they are printed."""
    database, revision = _database(url)
    return [database, *_schema(database.ok, revision), _cookie_key(), _mail_server()]


def as_dict(checks: list[Check]) -> dict:
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}
