"""The page registry: every page with the permission it needs, built for the acting user.

All pages are registered with st.navigation, so a deep link always resolves, but a page the actor may
not open is hidden from the menu and Home.py never runs it: it shows the login form (anonymous) or a
"not found / no access" notice instead. The permission checks that matter are in lib.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from lib.base.permissions import Actor, has_permission, holds_anywhere
from lib.catalogue import model as catalog
from lib.ui import widgets


@dataclass(frozen=True)
class PageSpec:
    key: str               # url path
    title: str
    render: Callable
    permission: str | tuple[str, ...] | None  # None: anyone, logged in or not; a tuple: any one of them
    section: str
    icon: str
    default_for_users: bool = False
    default_for_anonymous: bool = False
    scope: str | None = None  # the permission must be held globally or on this scope (e.g. one bidang)


_KEY = "_portal_pages"


@dataclass
class Registry:
    """The pages built for one session's run (never shared between sessions)."""
    pages: dict[str, st.Page]
    specs: dict[int, PageSpec]  # by id() of the st.Page: the default page's url_path reads as ""
    sections: dict[str, list[st.Page]]
    visible: set[str]  # url paths shown in this user's menu
    home: st.Page | None = None  # the start page of this user


def build(specs: list[PageSpec], actor: Actor) -> dict[str, list[st.Page]]:
    """st.Page objects for ``actor``, grouped by section; pages they may not open are hidden."""
    reg = Registry({}, {}, {}, set())
    for spec in specs:
        allowed = allowed_to_open(actor, spec)
        visible = allowed and not (spec.permission is None and not actor.is_anonymous)
        default = spec.default_for_anonymous if actor.is_anonymous else spec.default_for_users
        page = st.Page(widgets.guarded(spec.render), title=spec.title, icon=spec.icon, url_path=spec.key,
                       default=default, visibility="visible" if visible else "hidden")
        if visible:
            reg.visible.add(spec.key)
        reg.pages[spec.key] = page
        if default:
            reg.home = page
        reg.specs[id(page)] = spec
        reg.sections.setdefault(spec.section, []).append(page)
    st.session_state[_KEY] = reg
    return reg.sections


def allowed_to_open(actor: Actor, spec: PageSpec) -> bool:
    if spec.permission is None:
        return True
    if actor.is_anonymous:
        return False
    wanted = spec.permission if isinstance(spec.permission, tuple) else (spec.permission,)
    if spec.scope:
        return any(has_permission(actor, p, spec.scope) for p in wanted)
    return any(holds_anywhere(actor, p) for p in wanted)


def spec_of(page: st.Page) -> PageSpec:
    return st.session_state[_KEY].specs[id(page)]


def page(key: str) -> st.Page | None:
    reg = st.session_state.get(_KEY)
    return reg.pages.get(key) if reg else None


def home() -> st.Page | None:
    """The start page of this session's user (Beranda, or the login page for a visitor)."""
    reg = st.session_state.get(_KEY)
    return reg.home if reg else None


#: A url path that can be registered as a page of its own (st.Page refuses a nested path; Streamlit does not
#: even load the app under one).
_PLAIN_PATH = re.compile(r"[^/\\]{1,200}")
NOT_FOUND_TITLE = "Halaman tidak ditemukan"
_MISSING = "_portal_missing_path"


def missing_page(specs: list[PageSpec]) -> str | None:
    """The url path a visitor typed or followed when no page has it (a typo, an old link), else None.

    Streamlit would run the start page under an English "Page not found" dialog; Home.py registers a
    page of ours under that path instead (:func:`not_found_pages`)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.util import calc_hash

    ctx = get_script_run_ctx()
    pages = ctx.pages_manager if ctx else None
    if pages is None:
        return None
    last = st.session_state.get(_MISSING)
    if pages.intended_page_script_hash:  # a rerun or a click in the menu names the page by its hash
        return last if last and calc_hash(last) == pages.intended_page_script_hash else None
    name = (pages.intended_page_name or "").strip("/")
    if not name or name in {s.key for s in specs}:
        return None
    st.session_state[_MISSING] = name  # the page's own reruns (e.g. "Keluar") name it by its hash
    return name


def not_found_pages(specs: list[PageSpec]) -> list[PageSpec]:
    """An Indonesian "not found" page registered under the url path no page has (see :func:`missing_page`),
    or nothing."""
    path = missing_page(specs)
    if not path or not _PLAIN_PATH.fullmatch(path):
        return []
    return [PageSpec(path, NOT_FOUND_TITLE, not_found, None, "Portal", ":material/help:")]


def not_found() -> None:
    widgets.no_access(home())


def catalogue_specs(docs: dict, render_for: Callable[[str], Callable]) -> list[PageSpec]:
    """One page per catalogue document, grouped by instansi as on the home page."""
    specs = []
    for instansi, units in catalog.grouped([a.doc for a in docs.values()]):
        section = instansi if len(instansi) <= 60 else instansi[:57] + "…"
        for _, items in units:
            for doc in items:
                specs.append(PageSpec(doc.id, doc.label, render_for(doc.id), "view_catalogue", section,
                                      ":material/account_tree:" if doc.jenis == "sop" else ":material/menu_book:"))
    return specs


_HANDOVER = "_portal_open_id"


def open_with_id(key: str, record_id: int | str) -> None:
    """Open page ``key`` for one record (``/<key>?id=…``). The id is handed over in the session and put in
    the address by that page itself (:func:`requested_id`): st.switch_page's ``query_params`` are sent
    while the old page is still in the address bar, which leaves ``/tugas?id=…`` in it or in the history."""
    st.session_state[_HANDOVER] = (key, str(record_id))
    st.switch_page(page(key))


def requested_id(key: str) -> str | None:
    """The ``id`` page ``key`` was opened for: handed over by :func:`open_with_id` (then written into the
    address), or from the address itself."""
    handed = st.session_state.pop(_HANDOVER, None)
    if handed and handed[0] == key:
        st.query_params["id"] = handed[1]
        return handed[1]
    return st.query_params.get("id")


def open_case_on_select(selection, case_ids: list[int]) -> None:
    """Open the case page for the row a user clicked in a single-row-select dataframe."""
    rows = selection.selection.rows if selection else []
    if rows:
        open_with_id("berkas", case_ids[rows[0]])
