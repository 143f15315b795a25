"""Plh (Pelaksana Harian): name a deputy for a period, see the delegations one is part of, end one early."""
import datetime as dt

import streamlit as st

from lib.base import delegation, fmt
from lib.base.worktime import WIB
from lib.ui import context, widgets


def render() -> None:
    widgets.show_flash()
    widgets.header("Plh (Pelaksana Harian)", "Selama berhalangan, pejabat menunjuk Plh yang mengerjakan tugasnya "
                   "dalam bidang dan peran pejabat itu saja. Setiap langkah yang dikerjakan Plh dicatat sebagai "
                   "“Plh. <jabatan>, <nama> a.n. <pejabat>”. Penunjukan berakhir sendiri pada akhir masanya.")
    actor = context.actor()
    with context.db()() as session:
        running = delegation.listing(session, actor)
        officials = delegation.officials(session, actor)
    _running(running)
    if officials:
        _form(officials)


def _running(running: list[delegation.DelegationView]) -> None:
    st.subheader("Penunjukan yang berjalan atau akan datang", anchor=False)
    if not running:
        st.caption("Tidak ada penunjukan Plh yang melibatkan Anda.")
    for d in running:
        with st.container(border=True):
            st.markdown(f"**{fmt.md(d.label)}** · {d.status}  \n{fmt.waktu(d.starts_at)} – {fmt.waktu(d.ends_at)}"
                        f" · alasan: {fmt.md(d.reason)}")
            if d.mine and st.button("Akhiri Plh sekarang", key=f"akhiri-plh-{d.id}", icon=":material/stop_circle:"):
                widgets.apply(lambda session, i=d.id: delegation.end_early(session, context.actor(), i),
                              "Penunjukan Plh diakhiri.")


def _form(officials: list[tuple[str, str]]) -> None:
    st.subheader("Tunjuk Plh", anchor=False)
    names = dict(officials)
    boss = officials[0][0]
    if len(officials) > 1:
        boss = st.selectbox("Pejabat yang berhalangan", list(names), format_func=names.get, index=None,
                            placeholder="Pilih pejabat…", key="plh-pejabat")
    if boss is None:
        return
    with context.db()() as session:
        deputies = dict(delegation.deputies(session, boss))
    today = dt.datetime.now(WIB).date()
    with st.form("plh-tunjuk"):
        deputy = st.selectbox("Plh (yang mewakili)", list(deputies), format_func=deputies.get, index=None,
                              placeholder="Pilih pegawai…", key="plh-wakil")
        c1, c2 = st.columns(2)
        first = c1.date_input("Mulai", value=today, min_value=today, format="DD/MM/YYYY", key="plh-mulai")
        last = c2.date_input("Sampai dengan", value=today + dt.timedelta(days=6), min_value=today,
                             format="DD/MM/YYYY", key="plh-sampai")
        reason = st.text_input("Alasan", placeholder="mis. cuti tahunan, dinas luar", key="plh-alasan")
        if st.form_submit_button("Tunjuk Plh", type="primary", icon=":material/badge:"):
            if deputy is None:
                st.error("Pilih pegawai yang menjadi Plh.")
                return
            start, end = delegation.period(first, last)
            widgets.apply(lambda session: delegation.delegate(session, context.actor(), boss, deputy, start, end,
                                                              reason),
                          f"{deputies[deputy]} ditunjuk sebagai Plh {names[boss]} sampai {fmt.tanggal(last)}.")
