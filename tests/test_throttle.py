"""Login throttling: failures slow further attempts per account and per client address, every failure reads the
same, and nobody can lock an account's owner out (lib/base/throttle.py states the rule)."""
import datetime as dt
import ipaddress

import pytest
from sqlalchemy import select

from lib.base import accounts, config, throttle
from lib.base.db import AuditEntry, LoginFailure, session_factory

T0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
ACCOUNT_T = config.THROTTLE_ACCOUNT_FAILURES
ADDRESS_T = config.THROTTLE_ADDRESS_FAILURES
FIRST = config.THROTTLE_FIRST_DELAY_SECONDS


@pytest.fixture
def db(ready_db):
    with session_factory(ready_db).begin() as s:
        accounts.add_user(s, None, "admin", "Admin", "rahasia-admin", [("admin", None)])
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
        accounts.add_user(s, None, "budi", "Budi", "rahasia-budi", [("staf", None)])
    return session_factory(ready_db)


def login(db, username, password, address, at):
    with db.begin() as s:
        return accounts.authenticate(s, username, password, address, now=at)


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def test_the_failure_message_is_identical_for_unknown_user_wrong_password_disabled_and_throttled(db):
    with db.begin() as s:
        accounts.set_active(s, None, "budi", False)
    unknown = login(db, "siapa", "apa-saja", "10.0.0.1", T0)
    wrong = login(db, "rina", "salah", "10.0.0.2", T0)
    disabled = login(db, "budi", "rahasia-budi", "10.0.0.3", T0)  # the right password of a disabled account
    for i in range(ACCOUNT_T):
        login(db, "admin", "salah", f"10.1.0.{i}", T0)
    throttled = login(db, "admin", "rahasia-admin", "10.0.0.4", T0 + seconds(1))
    results = [unknown, wrong, disabled, throttled]
    assert not any(r.ok for r in results)
    assert {r.message for r in results} == {accounts.GENERIC_FAILURE} == {"Nama pengguna atau kata sandi salah."}


def test_failures_for_one_account_from_many_addresses_slow_that_account_down(db):
    for i in range(ACCOUNT_T):
        assert not login(db, "rina", "salah", f"192.0.2.{i}", T0 + seconds(i)).ok
    last = T0 + seconds(ACCOUNT_T - 1)
    # Even the right password, from yet another address, is refused inside the delay ...
    assert not login(db, "rina", "rahasia-rina", "198.51.100.7", last + seconds(FIRST - 1)).ok
    # ... and works once it has passed.
    assert login(db, "rina", "rahasia-rina", "198.51.100.7", last + seconds(FIRST + 1)).ok


def test_failures_for_many_accounts_from_one_address_slow_that_address_down(db):
    for i in range(ADDRESS_T):
        login(db, f"tebakan{i}", "salah", "203.0.113.9", T0 + seconds(i))
    at = T0 + seconds(ADDRESS_T)
    assert not login(db, "rina", "rahasia-rina", "203.0.113.9", at).ok  # that address waits, whatever the account
    assert login(db, "rina", "rahasia-rina", "203.0.113.10", at).ok  # another address does not


def test_the_delay_doubles_with_every_further_failure_up_to_the_cap():
    assert [throttle.delay_seconds(n, 5) for n in range(4, 9)] == [0, FIRST, 2 * FIRST, 4 * FIRST, 8 * FIRST]
    assert throttle.delay_seconds(100, 5) == config.THROTTLE_MAX_DELAY_SECONDS


def test_an_attempt_inside_the_delay_checks_no_password_and_does_not_push_the_delay_on(db):
    for _ in range(ACCOUNT_T):
        login(db, "rina", "salah", "192.0.2.1", T0)
    for i in range(20):  # hammering inside the delay: refused, audited, not counted
        assert not login(db, "rina", "salah", "192.0.2.1", T0 + seconds(i)).ok
    with db() as s:
        assert s.query(LoginFailure).count() == ACCOUNT_T
        details = [e.detail for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "gagal_masuk"))]
    assert sum("ditahan" in d for d in details) == 20
    assert login(db, "rina", "rahasia-rina", "192.0.2.1", T0 + seconds(FIRST)).ok


def test_an_anonymous_attacker_cannot_lock_the_admin_out(db):
    """The rule: failures from other addresses never hold back an address the account logged in from within
    the last days; from a new address they only slow it down (a delay, never a lock)."""
    assert login(db, "admin", "rahasia-admin", "10.20.0.5", T0).ok  # the admin's desk
    attack = T0 + dt.timedelta(hours=1)
    for i in range(60):  # a botnet: 60 addresses, none of them slowed on its own
        login(db, "admin", f"tebakan-{i}", f"172.16.{i // 250}.{i % 250}", attack + seconds(i))
    now = attack + seconds(60)
    assert not login(db, "admin", "tebakan-lagi", "172.16.9.9", now).ok
    assert login(db, "admin", "rahasia-admin", "10.20.0.5", now).ok  # the desk: straight in
    # From a new address the admin waits at most the cap after the attack's last failure, then gets in.
    assert not login(db, "admin", "rahasia-admin", "10.99.0.1", now).ok
    later = attack + seconds(59 + config.THROTTLE_MAX_DELAY_SECONDS + 1)
    assert login(db, "admin", "rahasia-admin", "10.99.0.1", later).ok


def test_failures_from_the_owners_own_desk_still_slow_that_desk(db):
    assert login(db, "rina", "rahasia-rina", "10.20.0.6", T0).ok
    for i in range(ACCOUNT_T):
        login(db, "rina", "salah", "10.20.0.6", T0 + seconds(10 + i))
    assert not login(db, "rina", "rahasia-rina", "10.20.0.6", T0 + seconds(10 + ACCOUNT_T)).ok


def test_a_success_forgets_that_addresss_failures_and_a_password_reset_forgets_all(db):
    for _ in range(2):  # four failures: still under the threshold
        login(db, "rina", "salah", "192.0.2.1", T0)
        login(db, "rina", "salah", "192.0.2.2", T0)
    assert login(db, "rina", "rahasia-rina", "192.0.2.1", T0 + seconds(1)).ok
    with db() as s:
        assert {f.client_address for f in s.scalars(select(LoginFailure))} == {"192.0.2.2"}
    with db.begin() as s:
        accounts.reset_password(s, None, "rina", "sandi-baru-rina")
    with db() as s:
        assert s.query(LoginFailure).count() == 0


def net(*texts):
    return tuple(ipaddress.ip_network(t, strict=False) for t in texts)


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy_and_honoured_with_one():
    forwarded = ["198.51.100.7"]
    assert throttle.client_address("203.0.113.5", forwarded, ()) == "203.0.113.5"
    assert throttle.client_address("203.0.113.5", forwarded, net("10.0.0.0/8")) == "203.0.113.5"  # not the proxy
    assert throttle.client_address("10.0.0.5", forwarded, net("10.0.0.5")) == "198.51.100.7"
    assert throttle.client_address("10.0.0.5", [], net("10.0.0.5")) == "10.0.0.5"
    assert throttle.client_address(None, forwarded, ()) == throttle.LOCAL  # Streamlit's "local connection"
    assert throttle.client_address(None, forwarded, net("127.0.0.1")) == "198.51.100.7"


def test_what_a_client_writes_left_of_the_proxys_own_entry_proves_nothing():
    proxies = net("10.0.0.0/8")
    assert throttle.client_address("10.0.0.5", ["1.2.3.4, 198.51.100.7"], proxies) == "198.51.100.7"
    assert throttle.client_address("10.0.0.5", ["1.2.3.4", "198.51.100.7, 10.0.0.9"], proxies) == "198.51.100.7"
    assert throttle.client_address("10.0.0.5", ["bukan-alamat, 10.0.0.9"], proxies) == "10.0.0.9"
    assert throttle.client_address("10.0.0.5", ["[2001:db8::7]:4431"], proxies) == "2001:db8::7"


def test_the_trusted_proxy_setting_is_read_from_the_environment_and_a_bad_one_is_refused(monkeypatch):
    monkeypatch.delenv("PORTAL_TRUSTED_PROXY", raising=False)
    monkeypatch.setattr(config, "SECRETS", config.ROOT / "tidak-ada.toml")
    assert config.trusted_proxies() == ()
    monkeypatch.setenv("PORTAL_TRUSTED_PROXY", "10.0.0.5, 192.168.0.0/16")
    assert config.trusted_proxies() == net("10.0.0.5", "192.168.0.0/16")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXY", "proxy.dinas.go.id")
    with pytest.raises(config.ConfigError, match="bukan alamat IP"):
        config.trusted_proxies()
