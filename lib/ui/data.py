"""Cached access to the database for the pages."""
from __future__ import annotations

import streamlit as st

from lib import config, store
from lib.db import database_url, session_factory


@st.cache_resource(show_spinner="Menyiapkan basis data…")
def ensure_database(url: str) -> list[str]:
    """Create or upgrade the schema and load the catalogue once per server process (and, in demo mode,
    create the demo users when the database has none)."""
    return store.init(url, demo=not config.is_production()).lines()


def _catalog_version(url: str) -> tuple:
    with session_factory(url)() as session:
        return store.catalog_version(session)


@st.cache_data(show_spinner=False)
def _documents(url: str, version: tuple) -> dict[str, store.ActiveDocument]:
    with session_factory(url)() as session:
        return store.active_documents(session)


def documents() -> dict[str, store.ActiveDocument]:
    """The documents in force; reloaded as soon as a revision changes (the version is a cheap query)."""
    url = database_url()
    ensure_database(url)
    return _documents(url, _catalog_version(url))
