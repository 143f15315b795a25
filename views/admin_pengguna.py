"""Administrasi pengguna: list, add, disable/enable, reset password, roles and scopes, open sessions."""
import pandas as pd
import streamlit as st

from lib.base import accounts, sessions
from lib.base.permissions import SCOPED_ROLES, PermissionDenied
from lib.base.roles import ROLES
from lib.ui import context, widgets


def _role_picker(prefix: str, current=()) -> list[tuple[str, str | None]]:
    """Roles as checkboxes-in-a-multiselect, with a scope field for the roles that need one."""
    chosen = st.multiselect("Peran", list(ROLES), default=[g.role for g in current], key=f"{prefix}_roles",
                            placeholder="Pilih satu atau lebih peran",
                            format_func=lambda r: ROLES[r])
    grants = []
    for role in chosen:
        if role in SCOPED_ROLES:
            kind = SCOPED_ROLES[role]
            existing = ", ".join(g.scope.split(":", 1)[1] for g in current if g.role == role and g.scope)
            codes = st.text_input(f"Cakupan {ROLES[role]}: kode {kind} (pisahkan dengan koma)", value=existing,
                                  key=f"{prefix}_{role}_scope", placeholder="misalnya karang-dalo")
            parts = [c.strip().lower() for c in codes.split(",") if c.strip()]
            grants += [(role, f"{kind}:{c}") for c in parts] or [(role, None)]
        else:
            grants.append((role, None))
    return grants


def _run(action, ok_message: str) -> None:
    widgets.apply(action, ok_message)


def _sessions(me) -> None:
    """The open sessions of every account; the admin ends one, or all of one account's."""
    with context.db()() as session:
        active = sessions.list_active(session, me)
    if not active:
        st.info("Tidak ada sesi aktif.")
        return
    widgets.grid(pd.DataFrame([s.row() for s in active]), hide_index=True, width="stretch")
    labels = {s.id: s.label() for s in active}
    picked = st.selectbox("Sesi", list(labels), format_func=labels.get, key="sesi_pilih", placeholder="Pilih sesi")
    if st.button("Akhiri sesi ini", key="akhiri_sesi", icon=":material/logout:"):
        _run(lambda s: sessions.end_one(s, me, picked), lambda username: f"Sesi “{username}” diakhiri.")
    owner = st.selectbox("Pengguna", sorted({s.username for s in active}), key="sesi_pengguna",
                         placeholder="Pilih pengguna")
    if st.button("Akhiri semua sesi pengguna ini", key="akhiri_semua_sesi", icon=":material/block:"):
        _run(lambda s: sessions.end_all_of(s, me, owner), lambda n: f"{n} sesi “{owner}” diakhiri.")


def render() -> None:
    me = context.actor()
    widgets.header("Pengguna", "Akun, peran dan cakupan (desa/bidang) pengguna portal")
    widgets.show_flash()
    try:
        with context.db()() as session:
            users = accounts.list_users(session, me)
    except PermissionDenied as err:
        st.error(str(err))
        return
    table = pd.DataFrame([{"Nama pengguna": u.username, "Nama": u.name, "Peran": u.role_text(),
                           "Status": "aktif" if u.active else "nonaktif",
                           "Sesi aktif": u.open_sessions} for u in users])
    widgets.grid(table, hide_index=True, width="stretch")

    tab_add, tab_edit, tab_sessions = st.tabs(["Tambah pengguna", "Ubah pengguna", "Sesi aktif"])
    with tab_sessions:
        _sessions(me)
    with tab_add:
        with st.form("tambah_pengguna", clear_on_submit=False):
            c1, c2 = st.columns(2)
            username = c1.text_input("Nama pengguna", help="3–32 karakter: huruf kecil, angka, titik, _ atau -",
                                     key="baru_username")
            name = c2.text_input("Nama lengkap", key="baru_nama")
            email = c1.text_input("Surel (opsional)", key="baru_email")
            password = c2.text_input("Kata sandi awal", type="password", key="baru_sandi",
                                     help=f"Minimal {accounts.MIN_PASSWORD} karakter; minta pengguna menggantinya.")
            grants = _role_picker("baru")
            if st.form_submit_button("Tambah", type="primary"):
                _run(lambda s: accounts.add_user(s, me, username, name, password, grants, email),
                     f"Pengguna “{username.strip().lower()}” ditambahkan.")
    with tab_edit:
        if not users:
            st.info("Belum ada pengguna.")
            return
        names = [u.username for u in users]
        picked = st.selectbox("Pengguna", names, format_func=lambda n: next(f"{u.username} — {u.name}"
                                                                           for u in users if u.username == n),
                              placeholder="Pilih…")
        user = next(u for u in users if u.username == picked)
        with st.form(f"peran_{picked}"):
            st.markdown("**Peran dan cakupan**")
            grants = _role_picker(f"ubah_{picked}", user.grants)
            if st.form_submit_button("Simpan peran"):
                _run(lambda s: accounts.set_roles(s, me, picked, grants), "Peran disimpan.")
        with st.form(f"sandi_{picked}", clear_on_submit=True):
            st.markdown("**Atur ulang kata sandi** (semua sesi akun ini berakhir)")
            new = st.text_input("Kata sandi baru", type="password")
            if st.form_submit_button("Atur ulang kata sandi"):
                _run(lambda s: accounts.reset_password(s, me, picked, new), "Kata sandi diatur ulang.")
        if user.active:
            if st.button("Nonaktifkan akun", key=f"nonaktif_{picked}", icon=":material/block:"):
                _run(lambda s: accounts.set_active(s, me, picked, False), f"Akun “{picked}” dinonaktifkan.")
        elif st.button("Aktifkan kembali", key=f"aktif_{picked}", icon=":material/check_circle:"):
            _run(lambda s: accounts.set_active(s, me, picked, True), f"Akun “{picked}” diaktifkan.")
