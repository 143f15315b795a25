"""The inbox's bell in the sidebar, and *Lupa kata sandi* on the login page (the rules are in lib/kabar)."""
from __future__ import annotations

import logging

import streamlit as st

from lib.base import accounts
from lib.base.permissions import Actor
from lib.kabar import kotak, reset, surel
from lib.ui import context, data, nav

_LOG = logging.getLogger("portal")
PAGE = kotak.PAGE


def bell(actor: Actor) -> tuple[str, str]:
    """The menu entry of *Kotak masuk* near the top of the sidebar: its title with the number of unopened
    entries, ``Kotak masuk (3)``, and a ringing bell while there are some."""
    n = data.unread(actor)
    if n:
        return f"Kotak masuk ({n})", ":material/notifications_active:"
    return "Kotak masuk", ":material/notifications:"


def mark_read(actor: Actor, entry: kotak.Entry) -> None:
    with context.db().begin() as session:
        kotak.mark_read(session, actor, entry.kunci)


def open_entry(actor: Actor, entry: kotak.Entry) -> None:
    """Mark the entry read and go to its object."""
    mark_read(actor, entry)
    if entry.record_id:
        nav.open_with_id(entry.page, entry.record_id)
    else:
        st.switch_page(nav.page(entry.page))


# --- Lupa kata sandi ----------------------------------------------------------------------------------------
def forgot_password() -> None:
    """Under the login form: ask for a reset link. The answer is the same whatever happened."""
    with st.expander("Lupa kata sandi?"):
        with st.form("lupa_sandi", clear_on_submit=True):
            who = st.text_input("Alamat surel atau nama akun", key="lupa_sandi_nama")
            sent = st.form_submit_button("Kirim tautan atur ulang")
        if not sent:
            return
        if not who.strip():
            st.error("Isi alamat surel atau nama akun.")
            return
        try:
            with context.db().begin() as session:
                msg = reset.request(session, who, context.client_address())
            if msg is not None:
                surel.send(msg)
        except surel.SurelError as err:  # the answer stays the same; the server's log says why
            _LOG.warning("tautan atur ulang kata sandi tidak terkirim: %s", err)
        st.success(reset.SAME_ANSWER)


def reset_form(token: str) -> bool | None:
    """The page the e-mail's link opens (``/?reset=…``): a new password. True when it was set, False when the
    link opens nothing (the login form follows), None while the form waits."""
    with context.db()() as session:
        username = reset.username_of(session, token)
    st.subheader("Atur ulang kata sandi", anchor=False)
    if username is None:
        st.error(reset.INVALID)
        return False
    st.caption(f"Akun: **{username}**. Setelah kata sandi diganti, semua sesi akun ini berakhir.")
    with st.form("atur_ulang_sandi"):
        new = st.text_input("Kata sandi baru", type="password", autocomplete="new-password",
                            help=f"Minimal {accounts.MIN_PASSWORD} karakter.")
        again = st.text_input("Ulangi kata sandi baru", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Simpan kata sandi baru", type="primary")
    if not submitted:
        return None
    if new != again:
        st.error("Kata sandi baru dan ulangannya tidak sama.")
        return None
    try:
        with context.db().begin() as session:
            outcome = reset.reset(session, token, new, context.client_address())
    except accounts.AccountError as err:
        st.error(str(err))
        return None
    if not outcome.ok:
        st.error(outcome.message)
        return False
    return True
