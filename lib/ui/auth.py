"""Login, session cookie and logout on top of streamlit-authenticator 0.4.x.

Design, around the library's known pitfalls:

* At most one ``Authenticate`` per script run (it renders the cookie component): :class:`Gate` is built
  once in Home.py and passed along, and makes it only in a run that writes or deletes the cookie (login,
  logout, a session found ended: :attr:`Gate.authenticator`). An ordinary page load draws no component.
* Credentials are checked by :func:`lib.base.accounts.authenticate` against the database (bcrypt, throttling,
  audit), which also opens the server-side session (lib/base/sessions.py) and hands back its random token.
  ``api_key`` is never passed, so nothing is sent to an outside server.
* The cookie is the library's signed JWT (its name, key, HS256 and ``username``/``exp_date`` fields, read back
  by its ``get_cookie``) with one more field, ``sid``: the session token. streamlit-authenticator 0.4.2 writes
  only ``username`` and ``exp_date`` itself and has no hook for more, so the portal encodes the same token
  with ``sid`` added and sets it through the library's own cookie manager.
* Every run checks the token against its row (:func:`lib.base.accounts.resume`): a session ended by *Keluar*,
  a password change, a disabled account or the admin opens nothing on any replica, and the login form says
  why. A cookie without ``sid`` (made before sessions were kept) opens nothing either. The library's own
  restore from the cookie (``login``) is not used, since it would accept any signed cookie.
* Never ``st.rerun()`` right after login or logout: the cookie is written or deleted by a component that
  must reach the browser first. The run carries on instead (the page or a "you are logged out" notice).
* The session is restored from the cookie that the browser sends with the connection
  (``st.context.cookies``) on the very first run, so a refresh on a deep link stays on that page.
* The client address for throttling and the session list is the connection's, or behind a proxy named in
  ``PORTAL_TRUSTED_PROXY`` the one it forwards (:func:`lib.base.throttle.client_address`).
"""
from __future__ import annotations

import datetime as dt
import functools

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from lib.base import accounts, config, fmt, sessions
from lib.base.db import session_factory
from lib.base.permissions import Actor
from lib.ui import context, kabar

#: The token of this browser tab's login (st.session_state); the cookie carries the same one.
SESSION_TOKEN = "_portal_session_token"
#: Why this tab's session ended, shown above the login form until the next login.
_ENDED = "_portal_session_ended"
#: The cookie field that carries the token.
SID = "sid"
_LIBRARY_KEYS = ("authentication_status", "username", "name", "roles", "email")
#: True during the run in which the login form succeeded (the cookie is still on its way to the browser).
_JUST_LOGGED_IN = "_portal_just_logged_in"


def just_logged_in() -> bool:
    """Whether this run is the one of the login: a page must not switch pages now (the cookie would be lost)."""
    return bool(st.session_state.get(_JUST_LOGGED_IN))


def client() -> tuple[str, str | None]:
    """The client address (:func:`lib.ui.context.client_address`) and the browser's User-Agent."""
    agent = st.context.headers.get("User-Agent")
    return context.client_address(), agent if isinstance(agent, str) else None


#: Shown on the login page while the demo accounts exist (demo mode only).
DEMO_ACCOUNTS_NOTE = ("Portal ini dalam mode demo. Akun demo untuk setiap peran tercantum di README, bagian "
                      "**Start** (tabel nama pengguna; kata sandi ada di bawahnya).")


class Gate:
    def __init__(self, url: str):
        self.url = url
        factory = session_factory(url)
        with factory.begin() as session:
            key = accounts.session_cookie_key(session)
        self._factory = factory
        self._key = key

    @functools.cached_property
    def authenticator(self) -> stauth.Authenticate:
        """The library, made only to write or delete the cookie (a login, a logout, a session found ended):
        making it draws its cookie component, whose first answer asks for a rerun. Drawn on every run, that
        rerun doubled the cost of each page load, and drawn before ``st.navigation`` it could land a deep link
        (a refresh of /tugas, /berkas?id=…) on Beranda when the server was busy."""
        with self._factory() as session:
            creds = accounts.credentials(session)
        return stauth.Authenticate(
            creds, cookie_name=config.COOKIE_NAME, cookie_key=self._key,
            cookie_expiry_days=config.COOKIE_HOURS / 24, auto_hash=False, login_sleep_time=0)

    def _cookie(self) -> dict | None:
        """The library's cookie as its ``get_cookie`` reads it (from the connection's cookies, signed with the
        key, unexpired, naming a user), without drawing the component."""
        if st.session_state.get("logout"):
            return None
        raw = st.context.cookies.get(config.COOKIE_NAME)
        if not raw:
            return None
        try:
            token = jwt.decode(raw, self._key, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        if not isinstance(token, dict) or "username" not in token:
            return None
        expires = token.get("exp_date")
        return token if isinstance(expires, (int, float)) and expires > dt.datetime.now().timestamp() else None

    # --- who is here -------------------------------------------------------------------------------------
    def actor(self) -> Actor:
        """The logged-in user (from this tab's session or the cookie), or the anonymous visitor."""
        st.session_state[_JUST_LOGGED_IN] = False
        token = st.session_state.get(SESSION_TOKEN)
        cookie = None
        if not token:
            cookie = self._cookie()  # signed and unexpired, or nothing
            if not cookie:
                return Actor.anonymous()
            token = cookie.get(SID) if isinstance(cookie.get(SID), str) else None
        with self._factory.begin() as session:
            resumed = accounts.resume(session, token)
            actor = resumed.actor
            if actor is not None and cookie is not None and cookie.get("username") != actor.username:
                actor, resumed = None, accounts.Resumed(None, sessions.TIDAK_DIKENAL)
            if actor is not None and cookie is not None:
                accounts.record_cookie_login(session, actor)
        if actor is None:
            self._end(resumed.message)
            return Actor.anonymous()
        st.session_state[SESSION_TOKEN] = token
        return actor

    def _end(self, message: str | None) -> None:
        """This tab's session opens nothing any more: forget it, delete the cookie, keep the reason to show."""
        for k in _LIBRARY_KEYS:
            st.session_state[k] = None
        st.session_state["logout"] = True
        st.session_state[SESSION_TOKEN] = None
        st.session_state[_ENDED] = message
        self.authenticator.cookie_controller.delete_cookie()  # the library's component deletes it

    def _set_cookie(self, username: str, token: str) -> None:
        """The library's cookie (same name, key, algorithm and fields) with the session token added."""
        expires = dt.datetime.now() + dt.timedelta(hours=config.COOKIE_HOURS)
        value = jwt.encode({"username": username, "exp_date": expires.timestamp(), SID: token}, self._key,
                           algorithm="HS256")
        self.authenticator.cookie_controller.cookie_model.cookie_manager.set(config.COOKIE_NAME, value,
                                                                              expires_at=expires)

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
                if st.query_params.get("reset") and not self._reset_box(st.query_params["reset"]):
                    return None
                actor = self._login_box(target_title)
        if actor is None:
            return None
        holder.empty()
        # Write the cookie (no rerun: see module docstring).
        self._set_cookie(actor.username, st.session_state[SESSION_TOKEN])
        st.session_state[_ENDED] = None
        st.session_state["logout"] = None
        st.session_state[_JUST_LOGGED_IN] = True
        return actor

    def _reset_box(self, token: str) -> bool:
        """The e-mail's reset link: the new-password form; True (go on to the login form) once the password is
        set or when the link opens nothing."""
        with st.container(border=True):
            done = kabar.reset_form(token)
        if done is None:
            return False
        if done:
            del st.query_params["reset"]
            st.success("Kata sandi baru tersimpan dan semua sesi akun ini diakhiri. Silakan masuk.")
        return True

    def _login_box(self, target_title: str | None) -> Actor | None:
        with st.container(border=True):
            st.subheader("Masuk", anchor=False)
            if st.session_state.get(_ENDED):
                st.warning(st.session_state[_ENDED])
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
            kabar.forgot_password()
            if not submitted:
                return None
            if not username.strip() or not password:
                st.error("Isi nama pengguna dan kata sandi.")
                return None
            address, user_agent = client()
            with self._factory.begin() as session:
                result = accounts.authenticate(session, username, password, address, user_agent)
            if not result.ok:
                st.error(result.message)
                return None
            st.session_state[SESSION_TOKEN] = result.token
            return result.actor

    # --- sidebar and logout ------------------------------------------------------------------------------
    def sidebar(self, actor: Actor) -> bool:
        """Who is logged in and the logout button. Returns True when the user just logged out.

        The library (and its cookie component) is not made here unless the user logs out: drawn on every run,
        the component's first answer made every page load run the script a second time."""
        with st.sidebar:
            st.markdown(f"**{fmt.md(actor.name)}**  \n" + "  \n".join(fmt.md(t) for t in actor.role_titles()))
            if st.button("Keluar", key="keluar", icon=":material/logout:", width="stretch"):
                with self._factory.begin() as session:
                    sessions.log_out(session, actor)
                self._end(None)
                return True
        return False


def logged_out_notice() -> None:
    st.success("Anda telah keluar. Sampai jumpa.")
    st.button("Masuk lagi", key="masuk_lagi", type="primary")
