"""``python -m lib check``: the database, its schema revision, pending migrations and the cookie key, exit 1 when
something is wrong, and it changes nothing."""
import json

from alembic import command
from alembic.script import ScriptDirectory

from lib.setup import database as setup

from .cli import run
from .test_kabar import smtp  # noqa: F401  (a fixture: a real SMTP server on localhost)

HEAD = ScriptDirectory.from_config(setup.alembic_config("sqlite://")).get_current_head()
GOOD_KEY = "k" * 8 + "-kunci-cookie-yang-cukup-panjang-0123456789"


def check(url: str, **env) -> tuple[int, dict, str]:
    result = run("check", "--json", url=url, env_extra={"PORTAL_COOKIE_KEY": "", **env})
    text = run("check", url=url, env_extra={"PORTAL_COOKIE_KEY": "", **env}).stdout
    return result.returncode, {c["name"]: c for c in json.loads(result.stdout)["checks"]}, text


def test_a_current_database_with_a_sound_key_passes_on_sqlite_and_postgresql(ready_db):
    code, checks, text = check(ready_db, PORTAL_ENV="production", PORTAL_COOKIE_KEY=GOOD_KEY)
    assert code == 0, checks
    assert checks["revisi_skema"]["detail"].startswith(HEAD) and checks["migrasi_tertunda"]["detail"] == "tidak ada"
    assert "Semua pemeriksaan lulus." in text and "[OK] Basis data" in text


def test_a_weak_or_missing_cookie_key_in_production_fails_the_check(ready_db):
    code, checks, _ = check(ready_db, PORTAL_ENV="production")
    assert code == 1 and not checks["kunci_cookie"]["ok"] and "Kunci cookie belum diatur" in checks["kunci_cookie"][
        "detail"]
    code, checks, text = check(ready_db, PORTAL_COOKIE_KEY="pendek")
    assert code == 1 and "terlalu pendek" in checks["kunci_cookie"]["detail"] and "[MASALAH] Kunci cookie" in text
    code, checks, _ = check(ready_db)  # demo without a key: a random one kept in the database
    assert code == 0 and checks["kunci_cookie"]["ok"]


def test_pending_migrations_are_named_and_fail_the_check(tmp_path):
    url = f"sqlite:///{tmp_path / 'lama.db'}"
    command.upgrade(setup.alembic_config(url), "0006")
    code, checks, _ = check(url)
    assert code == 1 and checks["revisi_skema"]["detail"].startswith("0006")
    assert not checks["migrasi_tertunda"]["ok"] and checks["migrasi_tertunda"]["detail"].startswith("0007, 0008, ")


def test_an_unreachable_database_fails_the_check_and_nothing_is_created(tmp_path):
    missing = tmp_path / "tidak-ada.db"
    code, checks, _ = check(f"sqlite:///{missing}")
    assert code == 1 and not checks["basis_data"]["ok"] and not missing.exists()
    code, checks, _ = check("postgresql://postgres@127.0.0.1:1/portal?connect_timeout=3")
    assert code == 1 and "tidak dapat dihubungi" in checks["basis_data"]["detail"]


def test_the_mail_server_is_checked_when_one_is_configured(ready_db, smtp):  # noqa: F811
    code, checks, text = check(ready_db)
    assert code == 0 and checks["server_surel"]["ok"] and "menjawab" in checks["server_surel"]["detail"]
    code, checks, text = check(ready_db, PORTAL_SMTP_PORT="1")  # nothing listens there
    mail = checks["server_surel"]
    assert code == 1 and not mail["ok"] and "tidak dapat dihubungi" in mail["detail"]
    assert "[MASALAH] Server surel" in text
    code, checks, _ = check(ready_db, PORTAL_SMTP_HOST="")
    assert code == 0 and "tidak diatur" in checks["server_surel"]["detail"]
