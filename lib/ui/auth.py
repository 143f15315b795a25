"""Login, session cookie and logout on top of streamlit-authenticator 0.4.x.

Design, around the library's known pitfalls:

* Exactly one ``Authenticate`` per script run (it renders the cookie component): :class:`Gate` is built
  once in Home.py and passed along.
* Credentials are checked by :func:`lib.base.accounts.authenticate` against the database (bcrypt, lock-out,
  audit); the library then holds the session and signs the re-authentication cookie (JWT, 8 hours).
  ``api_key`` is never passed, so nothing is sent to an outside server.
* Never ``st.rerun()`` right after login or logout: the cookie is written or deleted by a component that
  must reach the browser first. The run carries on instead (the page or a "you are logged out" notice).
* The session is restored from the cookie that the browser sends with the connection
  (``st.context.cookies``) on the very first run, so a refresh on a deep link stays on that page.
* A session whose user has been disabled ends at the next run.
"""
from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError

from lib.base import accounts, config, fmt
from lib.base.db import session_factory
from lib.base.permissions import Actor

_AUDITED = "_portal_login_audited"
#: Shown on the login page while the demo accounts exist (demo mode only).
DEMO_ACCOUNTS_NOTE = ("Portal ini dalam mode demo. Akun demo untuk setiap peran tercantum di README, bagian "
                      "**Start** (tabel nama pengguna; kata sandi ada di bawahnya).")


class Gate:
    def __init__(self, url: str):
        self.url = url
        factory = session_factory(url)
        with factory.begin() as session:
            creds = accounts.credentials(session)
            key = accounts.session_cookie_key(session)
        self._factory = factory
        self.authenticator = stauth.Authenticate(
            creds, cookie_name=config.COOKIE_NAME, cookie_key=key,
            cookie_expiry_days=config.COOKIE_HOURS / 24, auto_hash=False, login_sleep_time=0)

    # --- who is here -------------------------------------------------------------------------------------
    def actor(self) -> Actor:
        """The logged-in user (from this session or the cookie), or the anonymous visitor."""
        try:
            self.authenticator.login(location="unrendered")
        except LoginError:
            # A cookie for an account that no longer exists or was disabled.
            self._drop_session()
            return Actor.anonymous()
        if not st.session_state.get("authentication_status"):
            return Actor.anonymous()
        username = st.session_state.get("username")
        with self._factory.begin() as session:
            actor = accounts.load_actor(session, username) if username else None
            if actor is None:
                self._drop_session()
                st.warning("Sesi Anda berakhir karena akun dinonaktifkan. Hubungi pengelola portal.")
                return Actor.anonymous()
            if st.session_state.get(_AUDITED) != username:
                accounts.record_cookie_login(session, actor)
                st.session_state[_AUDITED] = username
        return actor

    def _drop_session(self) -> None:
        for k in ("authentication_status", "username", "name", "roles", "email"):
            st.session_state[k] = None
        st.session_state["logout"] = True
        self.authenticator.cookie_controller.delete_cookie()

    # --- login form --------------------------------------------------------------------------------------
    def login_form(self, target_title: str | None = None) -> Actor | None:
        """The login form. Returns the actor when a submission in this run succeeded (cookie being set)."""
        holder = st.empty()
        with holder.container():
            st.html("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'] "
                    "{display: none !important;}</style>")
            _, middle, _ = st.columns([1, 1.4, 1])
            with middle:
                st.image("assets/logo.svg", width=56)
                st.markdown("### Portal SOP\nStandar Operasional Prosedur layanan BPJS Ketenagakerjaan")
                actor = self._login_box(target_title)
        if actor is None:
            return None
        holder.empty()
        # Hand the session to streamlit-authenticator and write its cookie (no rerun: see module docstring).
        self.authenticator.authentication_controller.login(token={"username": actor.username})
        self.authenticator.cookie_controller.set_cookie()
        st.session_state[_AUDITED] = actor.username
        st.session_state["logout"] = None
        return actor

    def _login_box(self, target_title: str | None) -> Actor | None:
        with st.container(border=True):
            st.subheader("Masuk", anchor=False)
            if target_title:
                st.caption(f"Masuk untuk membuka “{target_title}”.")
            with self._factory() as session:
                empty = accounts.count_users(session) == 0
                demo = accounts.has_demo_users(session)
            if demo:
                st.caption(DEMO_ACCOUNTS_NOTE)
            if empty:
                st.warning("Belum ada pengguna. Buat admin pertama di server dengan:\n\n"
                           "`python -m lib users add admin --name \"Nama Admin\" --role admin --password-stdin`")
            with st.form("masuk", clear_on_submit=False, enter_to_submit=True):
                username = st.text_input("Nama pengguna", autocomplete="username", key="login_username")
                password = st.text_input("Kata sandi", type="password", autocomplete="current-password",
                                         key="login_password")
                submitted = st.form_submit_button("Masuk", type="primary", width="stretch")
            if not submitted:
                return None
            if not username.strip() or not password:
                st.error("Isi nama pengguna dan kata sandi.")
                return None
            with self._factory.begin() as session:
                result = accounts.authenticate(session, username, password)
            if not result.ok:
                st.error(result.message)
            return result.actor

    # --- sidebar and logout ------------------------------------------------------------------------------
    def sidebar(self, actor: Actor) -> bool:
        """Who is logged in and the logout button. Returns True when the user just logged out."""
        with st.sidebar:
            st.markdown(f"**{fmt.md(actor.name)}**  \n" + "  \n".join(fmt.md(t) for t in actor.role_titles()))
            if st.button("Keluar", key="keluar", icon=":material/logout:", width="stretch"):
                with self._factory.begin() as session:
                    accounts.record_logout(session, actor)
                self.authenticator.authentication_controller.logout()
                self.authenticator.cookie_controller.delete_cookie()
                st.session_state[_AUDITED] = None
                return True
        return False


def logged_out_notice() -> None:
    st.success("Anda telah keluar. Sampai jumpa.")
    st.button("Masuk lagi", key="masuk_lagi", type="primary")
