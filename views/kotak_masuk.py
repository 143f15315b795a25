"""Kotak masuk: what waits for my roles and scopes, overdue first; *Buka* opens it and marks it read."""
import streamlit as st

from lib.base import fmt
from lib.kabar import kotak
from lib.ui import auth, context, kabar, nav, widgets

BADGES = {"terlambat": ":red-badge[Terlambat]", "segera": ":orange-badge[Segera jatuh tempo]",
          "baru": ":blue-badge[Baru]"}


def render() -> None:
    me = context.actor()
    widgets.header("Kotak masuk", "Pekerjaan yang menunggu peran Anda, yang terlambat di atas. Tenggat dihitung "
                   "dalam waktu kerja. Entri hilang dengan sendirinya begitu pekerjaannya selesai.")
    wanted = st.query_params.get("buka")  # an e-mail's link: open that entry
    with context.db()() as session:
        entries = kotak.entries(session, me)
    if wanted:
        _opened(me, next((e for e in entries if e.kunci == wanted), None))
    if not entries:
        st.info("Kotak masuk kosong: tidak ada pekerjaan yang menunggu Anda.")
        return
    unread = sum(not e.dibaca for e in entries)
    st.caption(f"{len(entries)} entri, {unread} belum dibuka.")
    for e in entries:
        with st.container(border=True, key=f"entri-{e.kunci.replace(':', '-')}"):
            left, right = st.columns([6, 1], vertical_alignment="center")
            title = fmt.md(e.judul)
            left.markdown(f"{BADGES[e.status]} {fmt.md(kotak.KINDS[e.jenis])}  \n"
                          + (title if e.dibaca else f"**{title}**"))
            due = f" · tenggat {fmt.waktu(e.tenggat)}" if e.tenggat else ""
            left.caption(f"{fmt.md(e.keterangan)}{' · ' if e.keterangan else ''}tiba {fmt.waktu(e.tiba)}{due}"
                         + ("" if e.dibaca else " · belum dibuka"))
            if right.button("Buka", key=f"buka-{e.kunci}", type="secondary" if e.dibaca else "primary"):
                kabar.open_entry(me, e)


def _opened(me, entry) -> None:
    """An e-mail's link (``?buka=``): mark the entry read and open its object; right after logging in, show
    a link to it instead (switching pages now would lose the new session's cookie)."""
    if entry is None:
        del st.query_params["buka"]
        st.info("Pekerjaan dari tautan itu sudah selesai atau tidak lagi menunggu Anda.")
        return
    if not auth.just_logged_in():
        kabar.open_entry(me, entry)
    kabar.mark_read(me, entry)
    st.page_link(nav.page(entry.page), label=f"Buka: {entry.judul}", icon=":material/open_in_new:",
                 query_params={"id": entry.record_id} if entry.record_id else None)
