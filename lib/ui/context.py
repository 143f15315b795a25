"""Per-session context for the pages: the acting user (set by Home.py every run) and the database."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from lib.base import config
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
    """The client's address as Streamlit sees it (the one place a page asks for it: a trusted proxy's
    X-Forwarded-For belongs here)."""
    return str(st.context.ip_address or "tidak diketahui")
