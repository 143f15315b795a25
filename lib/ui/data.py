"""Cached access to the database for the pages."""
from __future__ import annotations

import streamlit as st

from lib.base import config
from lib.base.db import database_url, session_factory
from lib.catalogue import store
from lib.measure import kpi
from lib.setup import database as setup


@st.cache_resource(show_spinner="Menyiapkan basis data…")
def ensure_database(url: str) -> list[str]:
    """Create or upgrade the schema and load the catalogue once per server process (and, in demo mode,
    create the demo users when the database has none)."""
    return setup.init(url, demo=not config.is_production()).lines()


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


@st.cache_resource(ttl=60, max_entries=64, show_spinner=False)
def kpi_dashboard(start, end, sop_ids: tuple, bidang, role):
    """Every dashboard figure for a filter, computed at most once a minute per filter (shared read-only)."""
    with session_factory(database_url())() as session:
        return kpi.dashboard(session, start, end, list(sop_ids), bidang, role)


@st.cache_resource(ttl=60, max_entries=64, show_spinner=False)
def kpi_history(start, end, sop_ids: tuple, bidang, role):
    """The runs of a longer window, for the trend and the step × month table."""
    with session_factory(database_url())() as session:
        return kpi.load(session, start, end, list(sop_ids), bidang, role)
