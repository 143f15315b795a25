"""Akun saya: who I am, my roles, the e-mail digest on or off, and changing my own password."""
import streamlit as st

from lib.base import accounts
from lib.kabar import ringkasan
from lib.ui import context, widgets


def render() -> None:
    me = context.actor()
    widgets.header("Akun saya", f"{me.name} · {me.username}")
    st.markdown("**Peran:** " + "; ".join(me.role_titles()))
    _digest(me)
    with st.form("ganti_sandi", clear_on_submit=True):
        st.subheader("Ganti kata sandi", anchor=False)
        old = st.text_input("Kata sandi lama", type="password", autocomplete="current-password")
        new = st.text_input("Kata sandi baru", type="password", autocomplete="new-password",
                            help=f"Minimal {accounts.MIN_PASSWORD} karakter.")
        again = st.text_input("Ulangi kata sandi baru", type="password", autocomplete="new-password")
        if st.form_submit_button("Simpan kata sandi", type="primary"):
            if new != again:
                st.error("Kata sandi baru dan ulangannya tidak sama.")
                return
            try:
                with context.db().begin() as session:
                    ended = accounts.change_own_password(session, me, old, new)
            except accounts.AccountError as err:
                st.error(str(err))
            else:
                st.success("Kata sandi diganti." + (f" {ended} sesi lain akun ini diakhiri." if ended else ""))


def _digest(me) -> None:
    with context.db()() as session:
        on, address = ringkasan.subscribed(session, me)
    if not address:
        st.caption("Akun ini belum memiliki alamat surel, jadi ringkasan pekerjaan dan tautan *Lupa kata sandi* "
                   "tidak dapat dikirim. Minta pengelola portal mengisinya.")
        return
    wanted = st.toggle(f"Kirim ringkasan pekerjaan ke {address}", value=on, key="akun_ringkasan",
                       help="Ringkasan pekerjaan baru, segera jatuh tempo dan terlambat dari Kotak masuk, dikirim "
                            "berkala lewat surel.")
    if wanted != on:
        with context.db().begin() as session:
            ringkasan.set_subscribed(session, me, wanted)
        st.success("Ringkasan surel " + ("diaktifkan." if wanted else "dimatikan."))
