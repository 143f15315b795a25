"""Per-session context for the pages: the acting user (set by Home.py every run) and the database."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from lib.base.db import database_url, session_factory
from lib.base.permissions import Actor

_KEY = "_portal_actor"


def set_actor(actor: Actor) -> None:
    st.session_state[_KEY] = actor


def actor() -> Actor:
    return st.session_state.get(_KEY) or Actor.anonymous()


def db() -> sessionmaker[Session]:
    return session_factory(database_url())
