"""Cached access to the database for the pages."""
from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

from lib.base import config
from lib.base.db import database_url, session_factory, utcnow
from lib.base.permissions import Actor, require
from lib.catalogue import store
from lib.evaluation import skm_data, skm_hasil
from lib.kabar import kotak
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


class _Newest:
    """Values kept per key for the newest data version only (a write replaces them, the older one is dropped at
    once), for at most ``size`` keys (the least recently used goes): bounded memory, whatever the number of writes.
    Shared by every session of the server process; read-only for them."""

    def __init__(self, size: int):
        self.size, self.kept, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, version: tuple, make, refresh=None):
        """The value kept for ``key`` when it is of ``version`` (passed through ``refresh`` if given), otherwise
        ``make()``, kept."""
        with self.lock:
            kept = self.kept.get(key)
        if kept is not None and kept[0] == version:
            value = kept[1] if refresh is None else refresh(kept[1])
        else:
            value = make()
        with self.lock:
            self.kept[key] = (version, value)
            self.kept.move_to_end(key)
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.kept.clear()


_BOARDS = _Newest(16)
_HISTORIES = _Newest(8)


def _minute(t) -> int:
    return int(t.timestamp() // 60)


def _brought_up_to_date(board):
    now = utcnow()
    return board if _minute(now) == _minute(board.data.now) else kpi.at(board, now)


def kpi_dashboard(start, end, sop_ids: tuple, bidang, role):
    """Every dashboard figure for a filter (shared read-only). Computed once per filter and data version
    (:func:`lib.measure.kpi.data_version`, a cheap query): a write recomputes them; in a later minute without
    writes only the figures of open work are brought up to date (:func:`lib.measure.kpi.at`)."""
    url = database_url()

    def make():
        with session_factory(url)() as session:
            return kpi.dashboard(session, start, end, list(sop_ids), bidang, role)

    return _BOARDS.get((url, start, end, sop_ids, bidang, role), _data_version(url), make, _brought_up_to_date)


def kpi_history(start, end, sop_ids: tuple, bidang, role):
    """The runs of a longer window, for the trend and the step × month table (per filter and data version)."""
    url = database_url()

    def make():
        with session_factory(url)() as session:
            return kpi.load(session, start, end, list(sop_ids), bidang, role)

    return _HISTORIES.get((url, start, end, sop_ids, bidang, role), _data_version(url), make)


_BELLS = _Newest(512)


def unread(actor: Actor) -> int:
    """The number by the bell (:func:`lib.kabar.kotak.unread`), kept per user and grants while the data version
    (:func:`lib.measure.kpi.data_version`: every change of a case, a step or a workflow's state writes an audit
    entry), the user's read marks (:func:`lib.kabar.kotak.read_marks`) and the minute (due soon, overdue) stay
    the same: two cheap queries on most runs instead of reading every open step."""
    if actor.is_anonymous:
        return 0
    url = database_url()
    with session_factory(url)() as session:
        version = (kpi.data_version(session), kotak.read_marks(session, actor), _minute(utcnow()))
        return _BELLS.get((url, actor.user_id, actor.grants), version, lambda: kotak.unread(session, actor))


def clear_kpi() -> None:
    """Forget every kept dashboard figure (they are kept per database, filter and data version)."""
    _BOARDS.clear()
    _HISTORIES.clear()


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
