"""Login throttling: failed logins slow further attempts down, per account and per client address; no account
is ever locked, and every refusal reads exactly like a wrong password.

The rule, over a sliding window of :data:`config.THROTTLE_WINDOW_MINUTES` minutes:

* **Per address.** Once an address has :data:`config.THROTTLE_ADDRESS_FAILURES` failures in the window,
  whatever the accounts, its next attempt must wait a delay after its last failure.
* **Per account.** Once an account name (known or not) has :data:`config.THROTTLE_ACCOUNT_FAILURES` failures
  in the window, from any addresses, the next attempt must wait likewise: except from a *known address* of
  the account (one it logged in from within :data:`config.KNOWN_ADDRESS_DAYS` days), where only the failures
  from that address count. So an attacker elsewhere slows the account down everywhere but on the desks its
  owner uses, and cannot lock its owner out.
* **The delay** is :data:`config.THROTTLE_FIRST_DELAY_SECONDS` at the threshold and doubles with every further
  failure, up to :data:`config.THROTTLE_MAX_DELAY_SECONDS`.

An attempt inside a delay is refused without looking at the password and is not counted as a failure (so
the delays cannot be pushed on for ever). A success clears the failures of that account from that address;
an admin's password reset clears all of the account's.

The client address (:func:`client_address`) is the connection's own, or, only when the connection comes from
a proxy named in ``PORTAL_TRUSTED_PROXY``, the one that proxy puts in ``X-Forwarded-For``.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lib.base import config
from lib.base.db import LoginFailure, utcnow

#: The address of a local connection (Streamlit reports a loopback peer as none).
LOCAL = "127.0.0.1"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1`` or ``[2001:db8::1]:80``."""
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(ip, proxies: Sequence[Network]) -> bool:
    return ip is not None and any(ip in net for net in proxies if net.version == ip.version)


def client_address(peer: str | None, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The address a login counts against.

    ``peer`` is the connection's address (None for a local one). Without trusted proxies, or when the peer is
    not one of them, it is the answer and ``X-Forwarded-For`` (``forwarded_for``: the header's values) is
    ignored, since anyone can send it. From a trusted proxy the header is read from the right, past every
    trusted proxy, and the first address that is not one is the client (what lies further left was written
    by the client itself and proves nothing)."""
    current = _ip(peer or LOCAL)
    if current is None or not _trusted(current, proxies):
        return (peer or LOCAL)[:64]
    hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        current = ip
        if not _trusted(ip, proxies):
            break
    return str(current)


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may check its password now; if not, which rule holds it and for how long."""
    allowed: bool
    rule: str | None = None
    wait_seconds: int = 0


def delay_seconds(failures: int, threshold: int) -> int:
    """How long after the last failure the next attempt must wait, with ``failures`` in the window."""
    if failures < threshold:
        return 0
    return int(min(config.THROTTLE_FIRST_DELAY_SECONDS * 2 ** min(failures - threshold, 32),
                   config.THROTTLE_MAX_DELAY_SECONDS))


def _wait(session: Session, threshold: int, now: dt.datetime, *conditions) -> int:
    since = now - dt.timedelta(minutes=config.THROTTLE_WINDOW_MINUTES)
    count, last = session.execute(select(func.count(), func.max(LoginFailure.at))
                                  .where(LoginFailure.at >= since, *conditions)).one()
    if not count or last is None:
        return 0
    if last.tzinfo is None:  # an aggregate on SQLite comes back as text or a naive datetime
        last = last.replace(tzinfo=dt.timezone.utc)
    ready = last + dt.timedelta(seconds=delay_seconds(count, threshold))
    return max(0, int((ready - now).total_seconds() + 0.999))


def check(session: Session, username: str, address: str, known_address: bool,
          now: dt.datetime | None = None) -> Verdict:
    """Whether an attempt for ``username`` from ``address`` may check its password now (module docstring)."""
    now = now or utcnow()
    wait = _wait(session, config.THROTTLE_ADDRESS_FAILURES, now, LoginFailure.client_address == address)
    if wait:
        return Verdict(False, "alamat", wait)
    account = [LoginFailure.username == username]
    if known_address:
        account.append(LoginFailure.client_address == address)
    wait = _wait(session, config.THROTTLE_ACCOUNT_FAILURES, now, *account)
    if wait:
        return Verdict(False, "akun", wait)
    return Verdict(True)


def record_failure(session: Session, username: str, address: str, now: dt.datetime | None = None) -> None:
    """Count one failure (and forget those older than a day)."""
    now = now or utcnow()
    session.add(LoginFailure(at=now, username=username[:64], client_address=address[:64]))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(days=1)))
    session.flush()


def clear(session: Session, username: str, address: str | None = None) -> None:
    """Forget the failures of ``username`` (from ``address`` only, when given)."""
    q = delete(LoginFailure).where(LoginFailure.username == username)
    if address is not None:
        q = q.where(LoginFailure.client_address == address)
    session.execute(q)
