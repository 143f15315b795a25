"""Per-session context for the pages: the acting user (set by Home.py every run) and the database."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from lib.base import config, throttle
from lib.base.db import database_url, session_factory
from lib.base.permissions import Actor

_KEY = "_portal_actor"


def set_actor(actor: Actor) -> None:
    st.session_state[_KEY] = actor


def actor() -> Actor:
    return st.session_state.get(_KEY) or Actor.anonymous()


def db() -> sessionmaker[Session]:
    return session_factory(database_url())


def base_url() -> str:
    """The address citizens reach the portal at: ``PORTAL_PUBLIC_URL``, or the address of this request."""
    return config.public_url() or str(st.context.url or "").split("?")[0].rsplit("/", 1)[0]


def client_address() -> str:
    """The client's address (the one place a page asks for it): a trusted proxy's ``X-Forwarded-For`` when
    ``PORTAL_TRUSTED_PROXY`` names the peer, the peer otherwise (:func:`lib.base.throttle.client_address`)."""
    peer, forwarded = st.context.ip_address, st.context.headers.get_all("X-Forwarded-For")
    # Without a browser connection (a test run) these are no text: then there is no header and no peer.
    forwarded = [f for f in forwarded if isinstance(f, str)] if isinstance(forwarded, list) else []
    return throttle.client_address(peer if isinstance(peer, str) else None, forwarded, config.trusted_proxies())
