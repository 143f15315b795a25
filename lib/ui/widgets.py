"""Small shared widgets: the page header, the CSS, document downloads."""
from __future__ import annotations

import functools
import logging
import secrets
from pathlib import Path

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


def no_access() -> None:
    """What a user sees for a page they may not open: the same answer as for a page that does not exist."""
    st.header("Halaman tidak ditemukan", anchor=False)
    st.info("Halaman ini tidak ada atau Anda tidak memiliki akses ke halaman ini. Jika Anda memerlukannya, "
            "hubungi pengelola portal.")


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
