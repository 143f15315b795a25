"""Revocable sessions: a session ended by logout, a password change, a disabled account or the admin opens
nothing afterwards, on any replica (the check is the database's), and the login form says why."""
import datetime as dt

import pytest
from sqlalchemy import select

from lib.base import accounts, config, sessions
from lib.base.db import AuditEntry, LoginSession, session_factory
from lib.base.permissions import PermissionDenied

from .test_pages import open_app, texts


@pytest.fixture
def db(ready_db):
    with session_factory(ready_db).begin() as s:
        accounts.add_user(s, None, "admin", "Admin", "rahasia-admin", [("admin", None)])
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
    return session_factory(ready_db)


def login(db, username="rina", password="rahasia-rina", address="10.0.0.1"):
    with db.begin() as s:
        result = accounts.authenticate(s, username, password, address, "Firefox")
    assert result.ok
    return result


def opens(db, token, now=None):
    """The username a token opens the portal for, or None (and why)."""
    with db.begin() as s:
        resumed = accounts.resume(s, token, now)
    return resumed.actor.username if resumed.actor else resumed.reason


def test_a_login_opens_a_session_and_the_database_keeps_only_the_hash_of_its_token(db):
    result = login(db)
    assert opens(db, result.token) == "rina"
    with db() as s:
        row = s.scalar(select(LoginSession))
    assert row.id == sessions.session_id(result.token) == result.actor.session_id != result.token
    assert (row.client_address, row.user_agent) == ("10.0.0.1", "Firefox")
    assert opens(db, row.id) == sessions.TIDAK_DIKENAL  # the stored id is no token
    assert opens(db, "dibuat-buat") == opens(db, None) == sessions.TIDAK_DIKENAL


def test_a_session_ended_by_logout_opens_nothing_afterwards(db):
    first, second = login(db), login(db)
    with db.begin() as s:
        sessions.log_out(s, first.actor)
    assert opens(db, first.token) == sessions.KELUAR
    assert opens(db, second.token) == "rina"  # another device stays
    assert ("keluar", "rina") in [(e.action, e.username) for e in audit(db)]


def test_a_password_change_ends_the_other_sessions_but_not_the_current_one(db):
    here, phone, laptop = login(db), login(db), login(db)
    with db.begin() as s:
        assert accounts.change_own_password(s, here.actor, "rahasia-rina", "sandi-baru-rina") == 2
    assert opens(db, here.token) == "rina"
    assert opens(db, phone.token) == opens(db, laptop.token) == sessions.KATA_SANDI


def test_a_password_set_by_the_admin_or_the_command_line_ends_every_session_of_the_account(db):
    a, b = login(db), login(db)
    admin = login(db, "admin", "rahasia-admin")
    with db.begin() as s:
        accounts.reset_password(s, admin.actor, "rina", "sandi-baru-rina")
    assert opens(db, a.token) == sessions.KATA_SANDI and opens(db, admin.token) == "admin"
    with db.begin() as s:
        accounts.reset_password(s, None, "rina", "sandi-baru-lagi")
    assert opens(db, b.token) == sessions.KATA_SANDI


def test_a_session_ended_by_disabling_the_account_stays_ended_when_it_is_enabled_again(db):
    result = login(db)
    admin = login(db, "admin", "rahasia-admin")
    with db.begin() as s:
        accounts.set_active(s, admin.actor, "rina", False)
    assert opens(db, result.token) == sessions.NONAKTIF
    with db.begin() as s:
        accounts.set_active(s, admin.actor, "rina", True)
    assert opens(db, result.token) == sessions.NONAKTIF


def test_a_session_opens_nothing_after_its_eight_hours(db):
    result = login(db)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=config.COOKIE_HOURS, minutes=1)
    assert opens(db, result.token, later) == sessions.KEDALUWARSA


def audit(db):
    with db() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_the_admin_lists_open_sessions_and_ends_one_or_all_of_a_users_and_it_is_audited(db):
    one, two, three = login(db, address="10.0.0.1"), login(db, address="10.0.0.2"), login(db, address="10.0.0.3")
    admin = login(db, "admin", "rahasia-admin")
    with db() as s:
        listed = sessions.list_active(s, admin.actor, "rina")
        everyone = sessions.list_active(s, admin.actor)
    assert {i.id for i in listed} == {one.actor.session_id, two.actor.session_id, three.actor.session_id}
    assert {i.client_address for i in listed} == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    assert [i.current for i in everyone if i.username == "admin"] == [True]
    with db.begin() as s:
        assert sessions.end_one(s, admin.actor, one.actor.session_id) == "rina"
    assert opens(db, one.token) == sessions.ADMIN and opens(db, two.token) == "rina"
    with db.begin() as s:
        assert sessions.end_all_of(s, admin.actor, "rina") == 2
    assert opens(db, two.token) == opens(db, three.token) == sessions.ADMIN
    with db() as s:
        assert sessions.list_active(s, admin.actor, "rina") == []
        assert accounts.list_users(s, admin.actor)[0].open_sessions == 1  # the admin's own
    entries = [(e.action, e.username) for e in audit(db)]
    assert ("akhiri_sesi", "admin") in entries and ("akhiri_sesi_pengguna", "admin") in entries
    with pytest.raises(sessions.SessionError, match="sudah berakhir"), db.begin() as s:
        sessions.end_one(s, admin.actor, one.actor.session_id)


def test_only_a_user_manager_lists_or_ends_sessions(db):
    rina = login(db)
    with pytest.raises(PermissionDenied), db() as s:
        sessions.list_active(s, rina.actor)
    with pytest.raises(PermissionDenied), db.begin() as s:
        sessions.end_all_of(s, rina.actor, "admin")
    with pytest.raises(PermissionDenied), db.begin() as s:
        sessions.end_one(s, rina.actor, rina.actor.session_id)


# --- in the app -------------------------------------------------------------------------------------------
def login_form(at) -> bool:
    return any(w.key == "login_username" for w in at.text_input)


def test_a_session_the_admin_ends_shows_the_login_form_with_the_reason_at_the_next_click(app_db):
    at = open_app("kartu-ak1", user="staf")
    assert at.title and not login_form(at)
    with session_factory(app_db).begin() as s:
        sessions.end_all_of(s, accounts.load_actor(s, "admin"), "staf")
    at.run()
    assert login_form(at) and not at.title
    assert "diakhiri oleh pengelola portal" in at.warning[0].value


def test_a_password_changed_in_one_tab_ends_the_other_tab_but_not_this_one(app_db):
    here = open_app("akun", user="staf")
    other = open_app("kartu-ak1", user="staf")
    here.text_input[0].input("demo1234")
    here.text_input[1].input("sandi-baru-staf")
    here.text_input[2].input("sandi-baru-staf")
    here.button(key="FormSubmitter:ganti_sandi-Simpan kata sandi").click().run()
    assert "1 sesi lain akun ini diakhiri" in here.success[0].value
    other.run()
    assert login_form(other) and "kata sandi akun ini diganti" in other.warning[0].value
    here.run()
    assert not login_form(here) and "Akun saya" in texts(here)


def test_the_admin_ends_one_session_and_then_all_of_a_users_on_the_users_page(app_db):
    from lib.ui.auth import SESSION_TOKEN

    desk, phone = open_app("kartu-ak1", user="staf"), open_app("kartu-ak1", user="staf")
    at = open_app("admin-pengguna", user="admin")
    assert sorted(at.dataframe[1].value["Pengguna"]) == ["admin", "staf", "staf"]
    at.selectbox(key="sesi_pilih").set_value(sessions.session_id(phone.session_state[SESSION_TOKEN])).run()
    at.button(key="akhiri_sesi").click().run()
    assert "Sesi “staf” diakhiri." in [s.value for s in at.success]
    phone.run()
    desk.run()
    assert login_form(phone) and not login_form(desk)
    at.selectbox(key="sesi_pengguna").select("staf")
    at.button(key="akhiri_semua_sesi").click().run()
    assert "1 sesi “staf” diakhiri." in [s.value for s in at.success]
    assert list(at.dataframe[1].value["Pengguna"]) == ["admin"]
    desk.run()
    assert login_form(desk)


def test_a_token_handed_to_a_new_tab_after_logout_opens_nothing(app_db):
    """What a copied cookie carries is the token: after *Keluar* it opens nothing in another tab."""
    at = open_app("kartu-ak1", user="staf")
    from lib.ui.auth import SESSION_TOKEN
    token = at.session_state[SESSION_TOKEN]
    at.button(key="keluar").click().run()
    at.run()  # in the browser the cookie component's answer brings this run, once the cookie is deleted
    assert login_form(at) and "Anda telah keluar" in at.success[0].value
    again = open_app(user=None)
    again.session_state[SESSION_TOKEN] = token
    again.run()
    assert login_form(again) and "diakhiri dengan Keluar" in again.warning[0].value
