"""Login, session cookie and logout.

* Credentials are checked by :func:`lib.base.accounts.authenticate` against the database (bcrypt, throttling,
  audit), which also opens the server-side session (lib/base/sessions.py) and hands back its random token.
* The cookie ``portal_sop_sesi`` is a JWT signed with the portal's cookie key (HS256; fields ``username``,
  ``exp_date`` and ``sid``, the session token): the format streamlit-authenticator 0.4 wrote, which the portal
  used before, so a cookie written then still opens its session. It is read from the connection
  (``st.context.cookies``) on the very first run, so a refresh on a deep link stays on that page.
* It is written and deleted by the portal's own cookie component (``assets/cookie/index.html``), drawn only
  in the run of a login, a logout or a session found ended: it writes the cookie, then answers, and that
  answer reruns the app (the sidebar of the user who just logged in, the login form after *Keluar*). A page
  load draws nothing. streamlit-authenticator's component, drawn on every run, made each page load run the
  script twice, and its first answer could rerun the page before its own "delete" had reached the browser.
* Every run checks the token against its row (:func:`lib.base.accounts.resume`): a session ended by *Keluar*,
  a password change, a disabled account or the admin opens nothing on any replica, and the login form says
  why. A cookie without ``sid`` (made before sessions were kept) opens nothing either.
* Never ``st.rerun()`` right after login or logout: the component must reach the browser first. The run
  carries on instead (the page after a login; nothing after *Keluar*), and the component's answer brings
  the next run (the sidebar, or the login form saying "Anda telah keluar").
* The client address for throttling and the session list is the connection's, or behind a proxy named in
  ``PORTAL_TRUSTED_PROXY`` the one it forwards (:func:`lib.base.throttle.client_address`).
"""
from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import jwt
import streamlit as st
import streamlit.components.v1 as components

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
#: True from *Keluar* until the next login: the login form says "Anda telah keluar".
_FAREWELL = "_portal_farewell"
#: True once this tab logged out or its session ended: its cookie (perhaps not deleted yet) opens nothing here.
_LOGGED_OUT = "_portal_logged_out"
#: True during the run in which the login form succeeded (the cookie is still on its way to the browser).
_JUST_LOGGED_IN = "_portal_just_logged_in"


def just_logged_in() -> bool:
    """Whether this run is the one of the login: a page must not switch pages now (the cookie would be lost)."""
    return bool(st.session_state.get(_JUST_LOGGED_IN))


#: The portal's own cookie component (``assets/cookie/index.html``): it writes the cookie it is given, then
#: answers, which reruns the app only once the cookie is in place.
_cookie_component = components.declare_component(
    "portal_cookie", path=str(Path(__file__).resolve().parents[2] / "assets" / "cookie"))


def write_cookie(value: str | None, expires: dt.datetime | None = None) -> None:
    """Set the session cookie to ``value`` until ``expires`` (aware), or delete it (None): path ``/``,
    ``SameSite=Strict``, ``Secure`` when the page came over HTTPS. The component's answer reruns the app after
    the write (see the module's description); a zero-height frame in the sidebar, hidden by ``assets/portal.css``."""
    if value is None:
        cookie = f"{config.COOKIE_NAME}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/; samesite=strict"
    else:
        when = expires.astimezone(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
        cookie = f"{config.COOKIE_NAME}={value}; expires={when}; path=/; samesite=strict"
    # In the sidebar, where nothing else is drawn in these runs: the page's elements keep their places in the
    # rerun that follows without it, so none of them is shown twice for a moment.
    with st.sidebar:
        _cookie_component(cookie=cookie, nonce=secrets.token_hex(8), key="portal-cookie", default=None)


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

    def _cookie(self) -> dict | None:
        """The cookie sent with the connection, when it is signed with the key, unexpired and names a user."""
        if st.session_state.get(_LOGGED_OUT):
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
        st.session_state[_LOGGED_OUT] = True
        st.session_state[SESSION_TOKEN] = None
        st.session_state[_ENDED] = message
        write_cookie(None)

    def _set_cookie(self, username: str, token: str) -> None:
        """The signed cookie (see the module's description) with the session token, for ``COOKIE_HOURS``."""
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=config.COOKIE_HOURS)
        value = jwt.encode({"username": username, "exp_date": expires.timestamp(), SID: token}, self._key,
                           algorithm="HS256")
        write_cookie(value, expires)

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
        st.session_state[_ENDED] = st.session_state[_FAREWELL] = None
        st.session_state[_LOGGED_OUT] = False
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
            if st.session_state.get(_FAREWELL):
                st.success("Anda telah keluar. Sampai jumpa.")
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

        The cookie component (drawn by :func:`write_cookie`) deletes the cookie and reruns the app."""
        with st.sidebar:
            st.markdown(f"**{fmt.md(actor.name)}**  \n" + "  \n".join(fmt.md(t) for t in actor.role_titles()))
            leaving = st.button("Keluar", key="keluar", icon=":material/logout:", width="stretch")
        if not leaving:
            return False
        with self._factory.begin() as session:
            sessions.log_out(session, actor)
        self._end(None)
        st.session_state[_FAREWELL] = True
        return True


