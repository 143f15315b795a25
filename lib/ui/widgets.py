"""Small shared widgets: the page header, the CSS, document downloads."""
from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.base import config, retry
from lib.base.errors import UserError
from lib.base.permissions import PermissionDenied
from lib.catalogue import document

#: What a page shows as a message instead of a traceback: every user-caused error and a refused permission.
USER_ERRORS: tuple[type[Exception], ...] = (UserError, PermissionDenied)

_LOG = logging.getLogger("portal")
ASSETS = Path(__file__).resolve().parents[2] / "assets"


def inject_css() -> None:
    """The portal's CSS plus the SOP document CSS, and print rules that hide Streamlit's chrome."""
    css = (ASSETS / "portal.css").read_text(encoding="utf-8") + document.css()
    st.html(f"<style>{css}</style>")


def header(title: str, caption: str | None = None) -> None:
    st.title(title, anchor=False)
    if caption:
        st.caption(caption)


def no_access(home=None) -> None:
    """What a user sees for a page they may not open: the same answer as for a page that does not exist.
    ``home`` (an st.Page) gives a link back to the start page."""
    st.header("Halaman tidak ditemukan", anchor=False)
    st.info("Halaman ini tidak ada atau Anda tidak memiliki akses ke halaman ini. Jika Anda memerlukannya, "
            "hubungi pengelola portal.")
    if home is not None:
        st.page_link(home, label="Kembali ke halaman utama", icon=":material/home:")


#: Server limit for an upload (MB), as in .streamlit/config.toml ``server.maxUploadSize``.
UPLOAD_LIMIT_MB = 25
#: What an empty grid cell shows (Streamlit draws "None" otherwise).
EMPTY_CELL = "–"


def file_upload(label: str, type: list[str] | None = None, max_mb: int = UPLOAD_LIMIT_MB, **kwargs):
    """st.file_uploader with Indonesian instructions: Streamlit's English ones are hidden by the portal CSS
    and the button reads "Pilih berkas"; this caption says what may be uploaded."""
    upload = st.file_uploader(label, type=type, max_upload_size=max_mb, **kwargs)
    kinds = f"; jenis {', '.join(t.upper() for t in type)}" if type else ""
    st.caption(f"Seret berkas ke kotak di atas atau klik **Pilih berkas**. Maksimal {max_mb} MB per berkas{kinds}.")
    return upload


def column_labels(columns, labels: dict[str, str] | None = None, **config) -> dict:
    """A ``column_config`` that gives every column of a grid a label: ``labels`` for raw field names, the
    column's own (Indonesian) name otherwise; ``config`` overrides single columns (e.g. a DatetimeColumn)."""
    labels = labels or {}
    out = {str(c): st.column_config.Column(labels.get(str(c), str(c))) for c in columns}
    out.update(config)
    return out


def _columns(data) -> list:
    if hasattr(data, "columns"):  # a DataFrame or a pandas Styler
        return list(data.columns)
    if isinstance(data, list):
        return list(dict.fromkeys(k for row in data for k in row))
    return []


def grid(data, labels: dict[str, str] | None = None, config: dict | None = None, **kwargs):
    """st.dataframe with a label for every column (:func:`column_labels`) and an Indonesian empty cell."""
    return st.dataframe(data, column_config=column_labels(_columns(data), labels, **(config or {})),
                        placeholder=EMPTY_CELL, **kwargs)


def table(rows, **kwargs):
    """A read-only :func:`grid` of ``rows`` (dicts, a DataFrame or a Styler), without its index, page-wide."""
    return grid(rows if hasattr(rows, "columns") else pd.DataFrame(rows), hide_index=True, width="stretch", **kwargs)


def titled_table(title: str, rows, **kwargs) -> None:
    """A :func:`table` under its subheader; nothing at all when there is no row."""
    if len(rows):
        st.subheader(title, anchor=False)
        table(rows, **kwargs)


def metrics(*items: tuple) -> None:
    """A row of figures, one column each: ``(label, value)`` or ``(label, value, note)``, the note a grey
    line under the value (a delta without colour or arrow; None for none)."""
    for column, (label, value, *note) in zip(st.columns(len(items)), items):
        if note and note[0] is not None:
            column.metric(label, value, delta=note[0], delta_color="off", delta_arrow="off")
        else:
            column.metric(label, value)


def editor(data, labels: dict[str, str] | None = None, config: dict | None = None, **kwargs):
    """st.data_editor with a label for every column and an Indonesian empty cell."""
    return st.data_editor(data, column_config=column_labels(_columns(data), labels, **(config or {})),
                          placeholder=EMPTY_CELL, **kwargs)


_FLASH = "_portal_flash"


def flash(message: str) -> None:
    """Show ``message`` after a rerun, so that what the page draws above a form reflects the change."""
    st.session_state[_FLASH] = message
    st.rerun()


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message)


def apply(action, message, errors: tuple[type[Exception], ...] = USER_ERRORS) -> None:
    """Run ``action(session)`` in one transaction; show a user error in Indonesian (:data:`USER_ERRORS`),
    or flash ``message`` (a text, or a function of what ``action`` returned)."""
    from lib.ui import context

    try:
        result = retry.in_transaction(context.db(), action)
    except errors as err:
        st.error(str(err))
    else:
        flash(message(result) if callable(message) else message)


def guarded(render):
    """A page's render behind one boundary: an unexpected error shows an Indonesian message with a reference
    number, and the server log holds the traceback under the same number. No page ever shows a traceback.
    (Streamlit's own stop and rerun are not errors: they derive from BaseException and pass through.)"""
    @functools.wraps(render)
    def page() -> None:
        try:
            render()
        except Exception as exc:
            if retry.is_busy(exc):  # a race with another writer: nothing was saved, and it is no fault to report
                _LOG.warning("basis data sibuk: %s", exc)
                st.warning(retry.BUSY_MESSAGE)
                return
            if config.raise_page_errors():
                raise
            ref = secrets.token_hex(4).upper()
            _LOG.exception("kesalahan tak terduga pada halaman, rujukan %s", ref)
            st.error(f"Maaf, terjadi kesalahan yang tidak terduga. Perubahan yang belum tersimpan tidak dilakukan. "
                     f"Muat ulang halaman; bila terulang, sampaikan nomor rujukan **{ref}** kepada pengelola portal.")
    return page


def lazy_tabs(key: str, draws: dict[str, Callable[[], None]], default: str | None = None) -> None:
    """Tabs named by ``draws`` of which only the open one is computed and drawn: choosing a tab reruns the page
    (``st.tabs`` with ``on_change="rerun"``, its choice kept under ``key``) and runs that tab's ``draws[name]()``."""
    for tab, draw in zip(st.tabs(list(draws), default=default, key=key, on_change="rerun"), draws.values()):
        if tab.open:
            with tab:
                draw()


def lazy_download(label: str, build, file_name: str, key: str, mime: str, icon: str = ":material/download:",
                  help: str | None = None, **button) -> None:
    """A download button whose file ``build(session, actor)`` makes in its own transaction only when pressed
    (an export that logs itself is logged once, by the person who downloads it); pressing it reruns nothing.
    ``button``: more of ``st.download_button``'s arguments (``width``)."""
    from lib.ui import context

    actor, factory = context.actor(), context.db()  # the callable runs outside the script run

    def data() -> bytes:
        with factory.begin() as session:
            return build(session, actor)

    st.download_button(label, data, file_name=file_name, mime=mime, icon=icon, on_click="ignore", key=key, help=help,
                       **button)


def keep_result(key: str, message: str, *notes: tuple[str, list[str]]) -> None:
    """Keep an action's result for :func:`show_result` after the rerun, with lists of remarks under titles."""
    st.session_state[key] = (message, [(title, lines) for title, lines in notes if lines])


def apply_kept(key: str, action) -> None:
    """:func:`apply` for an ``action(session)`` that returns a summary ``(message, [(title, lines)])``: the
    summary is kept for :func:`show_result` after the rerun."""
    def run(session):
        message, notes = action(session)
        keep_result(key, message, *notes)
    apply(run, "")


def show_result(key: str) -> None:
    """The result kept by :func:`keep_result`, once: a success line and an expander per list of remarks."""
    got = st.session_state.pop(key, None)
    if got:
        message, notes = got
        st.success(message)
        for title, lines in notes:
            with st.expander(title, expanded=len(lines) <= 10):
                st.markdown("\n".join(f"- {line}" for line in lines[:300]))
