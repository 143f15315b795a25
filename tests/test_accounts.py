"""Accounts: passwords, login, disabled users, roles, demo users, the cookie key. (Throttling:
tests/test_throttle.py; sessions: tests/test_sessions.py.)"""
import pytest
from sqlalchemy import select

from lib.base import accounts, config
from lib.base.accounts import AccountError
from lib.base.db import AuditEntry, User, session_factory
from lib.base.permissions import Actor, Grant, PermissionDenied


@pytest.fixture
def db(ready_db):
    with session_factory(ready_db).begin() as s:
        accounts.add_user(s, None, "admin", "Admin", "rahasia-admin", [("admin", None)])
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
    return session_factory(ready_db)


def admin(db) -> Actor:
    with db() as s:
        return accounts.load_actor(s, "admin")


def actions(db) -> list[tuple[str, str | None]]:
    with db() as s:
        return [(e.action, e.username) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_passwords_are_stored_as_bcrypt_hashes(db):
    with db() as s:
        user = s.scalar(select(User).where(User.username == "rina"))
    assert user.password_hash.startswith("$2") and "rahasia-rina" not in user.password_hash
    assert accounts.check_password("rahasia-rina", user.password_hash)


def test_a_correct_login_gives_the_actor_with_their_roles_and_is_audited(db):
    with db.begin() as s:
        result = accounts.authenticate(s, "Rina ", "rahasia-rina")
    assert result.ok and result.actor.roles == {"staf"}
    assert actions(db)[-1] == ("masuk", "rina")


def test_a_wrong_password_is_refused_with_a_generic_message_and_audited(db):
    with db.begin() as s:
        result = accounts.authenticate(s, "rina", "salah")
    assert not result.ok and result.message == accounts.GENERIC_FAILURE
    assert actions(db)[-1] == ("gagal_masuk", "rina")


def test_an_unknown_user_gets_the_same_message(db):
    with db.begin() as s:
        result = accounts.authenticate(s, "siapa", "apa-saja")
    assert result.message == accounts.GENERIC_FAILURE
    assert actions(db)[-1] == ("gagal_masuk", "siapa")


def test_a_disabled_user_cannot_log_in_and_loses_their_session(db):
    with db.begin() as s:
        accounts.set_active(s, admin(db), "rina", False)
    with db.begin() as s:
        result = accounts.authenticate(s, "rina", "rahasia-rina")
        assert not result.ok and result.message == accounts.GENERIC_FAILURE  # says nothing about the account
        assert accounts.load_actor(s, "rina") is None


def test_staf_cannot_add_users(db):
    with db() as s:
        rina = accounts.load_actor(s, "rina")
    with pytest.raises(PermissionDenied), db.begin() as s:
        accounts.add_user(s, rina, "baru", "Baru", "rahasia-baru", [("admin", None)])


def test_admin_adds_a_village_operator_bound_to_their_desa(db):
    with db.begin() as s:
        accounts.add_user(s, admin(db), "operator1", "Operator", "rahasia-op", [("operator_desa", "desa:karang-dalo")])
    with db() as s:
        assert accounts.load_actor(s, "operator1").grants == {Grant("operator_desa", "desa:karang-dalo")}
    assert actions(db)[-1] == ("tambah_pengguna", "admin")


@pytest.mark.parametrize("username, password, grants, message", [
    ("ab", "rahasia-123", [("staf", None)], "Nama pengguna"),
    ("rina", "rahasia-123", [("staf", None)], "sudah dipakai"),
    ("budi", "pendek", [("staf", None)], "minimal 8"),
    ("budi", "budi", [("staf", None)], "minimal 8"),
    ("budibudi", "budibudi", [("staf", None)], "sama dengan nama pengguna"),
    ("budi", "rahasia-123", [], "minimal satu peran"),
    ("budi", "rahasia-123", [("operator_desa", None)], "cakupan"),
])
def test_bad_account_input_is_refused_in_indonesian_and_changes_nothing(db, username, password, grants, message):
    with pytest.raises(AccountError, match=message), db.begin() as s:
        accounts.add_user(s, admin(db), username, "Budi", password, grants)
    with db() as s:
        assert len(s.scalars(select(User)).all()) == 2


def test_the_last_active_admin_cannot_be_disabled_or_demoted(db):
    with db.begin() as s:
        accounts.add_user(s, None, "admin2", "Admin Dua", "rahasia-admin2", [("admin", None)])
    with db.begin() as s:
        accounts.set_active(s, admin(db), "admin2", False)
    with pytest.raises(AccountError, match="sendiri"), db.begin() as s:
        accounts.set_active(s, admin(db), "admin", False)
    with pytest.raises(AccountError, match="terakhir"), db.begin() as s:
        accounts.set_roles(s, admin(db), "admin", [("staf", None)])


def test_a_user_changes_their_own_password_only_with_the_old_one(db):
    with db() as s:
        rina = accounts.load_actor(s, "rina")
    with pytest.raises(AccountError, match="lama salah"), db.begin() as s:
        accounts.change_own_password(s, rina, "salah", "sandi-baru-rina")
    with db.begin() as s:
        accounts.change_own_password(s, rina, "rahasia-rina", "sandi-baru-rina")
    with db.begin() as s:
        assert accounts.authenticate(s, "rina", "sandi-baru-rina").ok


def test_demo_mode_creates_a_user_for_every_role_and_a_kepala_bidang_per_bidang(ready_db, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    with session_factory(ready_db).begin() as s:
        created = accounts.ensure_demo_users(s)
    assert len(created) == 9
    with session_factory(ready_db)() as s:
        assert {g.scope for u in ("kabid", "kabidsos") for g in accounts.load_actor(s, u).grants} == {
            "bidang:tenaga-kerja", "bidang:jaminan-sosial"}
    with session_factory(ready_db)() as s:
        roles = {r for u in created for r in accounts.load_actor(s, u).roles}
        assert accounts.authenticate(s, "staf", accounts.DEMO_PASSWORD).ok
    from lib.base.roles import ROLE_CODES
    assert roles == set(ROLE_CODES)


def test_production_mode_has_no_default_users(ready_db, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    with session_factory(ready_db).begin() as s:
        assert accounts.ensure_demo_users(s) == []
        assert accounts.count_users(s) == 0


@pytest.mark.parametrize("key", [None, "", "some_key", "portal-sop-demo-key", "pendek-sekali"])
def test_production_refuses_to_start_with_a_missing_default_or_short_cookie_key(ready_db, monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setattr(config, "SECRETS", config.ROOT / "tidak-ada.toml")
    if key is None:
        monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    else:
        monkeypatch.setenv("PORTAL_COOKIE_KEY", key)
    with pytest.raises(config.ConfigError), session_factory(ready_db).begin() as s:
        accounts.session_cookie_key(s)


def test_production_accepts_a_long_random_cookie_key(ready_db, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_COOKIE_KEY", "k" * 48)
    with session_factory(ready_db).begin() as s:
        assert accounts.session_cookie_key(s) == "k" * 48


def test_demo_mode_keeps_one_random_cookie_key_in_the_database(ready_db, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.setattr(config, "SECRETS", config.ROOT / "tidak-ada.toml")
    with session_factory(ready_db).begin() as s:
        first = accounts.session_cookie_key(s)
    with session_factory(ready_db).begin() as s:
        assert accounts.session_cookie_key(s) == first and len(first) >= 32


def test_a_passphrase_past_bcrypts_72_bytes_works_and_every_character_counts(db):
    """bcrypt refuses (or cuts) past 72 bytes: a long passphrase is hashed through SHA-256 first, so it neither
    shows a traceback on Akun saya nor lets a different ending log in."""
    long = "kopi tubruk di warung pak darmo setiap pagi sebelum apel jam tujuh tiga puluh " * 2
    assert len(long.encode()) > 72
    with db.begin() as s:
        accounts.change_own_password(s, accounts.load_actor(s, "rina"), "rahasia-rina", long)
    with db.begin() as s:
        assert accounts.authenticate(s, "rina", long).ok
    with db.begin() as s:
        assert not accounts.authenticate(s, "rina", long[:-1] + "!").ok
    assert accounts.check_password("rahasia-rina", accounts.hash_password("rahasia-rina"))  # short ones as before
