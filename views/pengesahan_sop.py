"""Pengesahan SOP: Kepala Dinas approves or returns the revisions submitted, and takes SOPs out of force."""
import streamlit as st

from lib.base import fmt
from lib.catalogue import revisions, store
from lib.ui import context, data, widgets


def render() -> None:
    widgets.show_flash()
    widgets.header("Pengesahan SOP", "Revisi yang diajukan menunggu keputusan Anda. Setelah disahkan, halaman, "
                   "formulir, daftar tugas dan target KPI langsung memakai revisi baru.")
    actor = context.actor()
    with context.db()() as session:
        waiting = revisions.pending(session)
    if not waiting:
        st.info("Tidak ada revisi yang menunggu pengesahan.")
    for r in waiting:
        with st.container(border=True):
            st.markdown(f"**{r.sop_id}** — revisi {r.revision_no} oleh {fmt.md(r.author or 'sistem')}, "
                        f"{fmt.waktu(r.created_at)}  \nCatatan: {fmt.md(r.note or '—')}")
            with context.db()() as session:
                new = revisions.get(session, r.id)
                can = revisions.actions(session, actor, r.id)
                current = store.current_revision(session, r.sop_id)
                if current is not None:
                    with st.expander(f"Perbedaan dengan revisi berlaku ({current.revision_no})", expanded=True):
                        st.html(revisions.diff_html(current, new))
                else:
                    st.caption("SOP baru: belum ada revisi yang berlaku.")
                refused = revisions.refusal(session, new)
            if refused:
                st.error(refused + "\n\nKembalikan revisi ini ke penyusun untuk diperbaiki.", icon=":material/error:")
            if not can:
                st.caption("Anda tidak dapat mengesahkan atau mengembalikan revisi ini.")
                continue
            if "sahkan" not in can:
                st.caption("Revisi ini Anda tulis sendiri: pengesahannya oleh pejabat lain. Anda masih dapat "
                           "mengembalikannya ke penyusun.")
            comment = st.text_input("Catatan / alasan pengembalian", key=f"sah-note-{r.id}")
            read = "sahkan" in can and st.checkbox(
                "Saya telah membaca perbedaannya dan menyetujui revisi ini", key=f"sah-read-{r.id}",
                help="Pengesahan langsung memberlakukan revisi ini; Tanggal Revisi SOP diisi tanggal hari ini.")
            c1, c2, _ = st.columns([1, 1, 2])
            if "sahkan" in can and c1.button("Sahkan", key=f"sah-{r.id}", type="primary", icon=":material/verified:",
                                             disabled=not read):
                if read:  # the second, explicit step: a click alone never approves
                    widgets.apply(lambda s, r=r: revisions.approve(s, actor, r.id, comment),
                                  f"Revisi {r.revision_no} {r.sop_id} disahkan dan berlaku.")
            if "kembalikan" in can and c2.button("Kembalikan", key=f"kembali-{r.id}", icon=":material/undo:"):
                widgets.apply(lambda s, r=r: revisions.send_back(s, actor, r.id, comment),
                              f"Revisi {r.revision_no} {r.sop_id} dikembalikan ke penyusun.")
    st.subheader("Nyatakan SOP tidak berlaku", anchor=False)
    docs = {i: a.doc.label for i, a in data.documents().items()}
    with st.form("cabut"):
        sop_id = st.selectbox("SOP", list(docs), format_func=docs.get, index=None, placeholder="Pilih SOP…")
        reason = st.text_input("Alasan")
        if st.form_submit_button("Nyatakan tidak berlaku", icon=":material/block:"):
            if sop_id is None:
                st.error("Pilih SOP-nya.")
            else:
                widgets.apply(lambda s: revisions.retire(s, actor, sop_id, reason),
                              f"{docs[sop_id]} tidak berlaku lagi. Berkas yang berjalan tetap diselesaikan.")
