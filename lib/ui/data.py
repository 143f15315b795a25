"""Cached access to the database for the pages."""
from __future__ import annotations

import streamlit as st

from lib.base import config
from lib.base.db import database_url, session_factory, utcnow
from lib.base.permissions import Actor, require
from lib.catalogue import store
from lib.evaluation import skm_data, skm_hasil
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


def _data_version(url: str) -> tuple:
    with session_factory(url)() as session:
        return kpi.data_version(session)


@st.cache_resource(max_entries=64, show_spinner=False)
def _kpi_board(url: str, start, end, sop_ids: tuple, bidang, role, version: tuple):
    with session_factory(url)() as session:
        return kpi.dashboard(session, start, end, list(sop_ids), bidang, role)


@st.cache_resource(max_entries=64, show_spinner=False)
def _kpi_board_now(url: str, start, end, sop_ids: tuple, bidang, role, version: tuple, minute: int):
    board = _kpi_board(url, start, end, sop_ids, bidang, role, version)
    return board if minute == _minute(board.data.now) else kpi.at(board, utcnow())


def _minute(t) -> int:
    return int(t.timestamp() // 60)


def kpi_dashboard(start, end, sop_ids: tuple, bidang, role):
    """Every dashboard figure for a filter (shared read-only). Computed once per filter and data version
    (:func:`lib.measure.kpi.data_version`, a cheap query): a write recomputes them; in a later minute without
    writes only the figures of open work are brought up to date (:func:`lib.measure.kpi.at`)."""
    url = database_url()
    version = _data_version(url)
    return _kpi_board_now(url, start, end, sop_ids, bidang, role, version, _minute(utcnow()))


@st.cache_resource(max_entries=16, show_spinner=False)
def _kpi_history(url: str, start, end, sop_ids: tuple, bidang, role, version: tuple):
    with session_factory(url)() as session:
        return kpi.load(session, start, end, list(sop_ids), bidang, role)


def kpi_history(start, end, sop_ids: tuple, bidang, role):
    """The runs of a longer window, for the trend and the step × month table (per filter and data version)."""
    url = database_url()
    return _kpi_history(url, start, end, sop_ids, bidang, role, _data_version(url))


def clear_kpi() -> None:
    """Forget every cached dashboard figure (they are kept per database, filter and data version)."""
    _kpi_board.clear()
    _kpi_board_now.clear()
    _kpi_history.clear()


def skm_report(actor: Actor, sop_id: str | None, start, end, weight: str, labels: dict[str, str]):
    """The SKM results of a filter (:func:`lib.evaluation.skm_hasil.report`), computed once per filter and data
    version (:func:`lib.evaluation.skm_data.data_version`); the permission is checked for every viewer."""
    require(actor, "view_skm_results")
    url = database_url()
    with session_factory(url)() as session:
        version = skm_data.data_version(session)
    return _skm_report(url, sop_id, start, end, weight, tuple(labels.items()), version, actor)


@st.cache_data(max_entries=32, show_spinner=False)
def _skm_report(url: str, sop_id, start, end, weight: str, labels: tuple, version: tuple, _actor: Actor):
    with session_factory(url)() as session:
        return skm_hasil.report(session, _actor, sop_id, start, end, weight, dict(labels))
