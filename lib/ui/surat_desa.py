"""The letters tab of the Pekerja rentan page: its two forms, recording the confirmation letters sent to the desa
and a desa's answer by letter (the choices are :func:`lib.rentan.tampilan.letter_choices`)."""
from __future__ import annotations

import streamlit as st

from lib.dokumen import kohort as dokumen_kohort
from lib.rentan import kohort, tampilan
from lib.ui import context, widgets


def send_form(kid: int, choices: tampilan.LetterChoices, step: str = "") -> None:
    """Record the confirmation letters sent to the desa ready for one (``step``: the SOP step after the heading,
    " (langkah 16)")."""
    st.markdown("**Catat surat terkirim**" + step)
    if choices.changed:
        st.caption(tampilan.changed_caption(choices.changed))
    ready = choices.ready
    if not ready:
        st.caption("Tidak ada desa yang menunggu surat: setiap daftar yang sudah diverifikasi Kepala Bidang "
                   "sudah dikirimi surat.")
        return
    with context.db()() as session:
        given = tampilan.agenda_caption(ready, dokumen_kohort.agenda_numbers(session, kid, list(ready)))
    if given:
        st.caption(given)
    with st.form("kohort-surat", border=False):
        desa = st.multiselect("Desa/kelurahan", list(ready), format_func=ready.get, placeholder="Pilih desa")
        nomor = st.text_input("Nomor surat", placeholder="Kosongkan: nomor diambil dari agenda surat keluar",
                              help="Kosongkan agar setiap desa memakai nomor surat konfirmasinya di agenda "
                                   "surat keluar (nomor baru diberikan bila suratnya belum diunduh).")
        tanggal = st.date_input("Tanggal dikirim", value=kohort.today_wib(), format="DD/MM/YYYY")
        if st.form_submit_button("Catat surat"):
            widgets.apply(lambda s: dokumen_kohort.send_letters(s, context.actor(), kid, desa, nomor, tanggal),
                          f"Surat konfirmasi tercatat untuk {len(desa)} desa.")


def answer_form(kid: int, waiting: dict[str, str], step: str = "") -> None:
    """Record the answer by letter of one desa ``waiting`` for it (kode → nama)."""
    st.markdown("**Catat jawaban desa**" + step)
    if not waiting:
        st.caption("Tidak ada desa yang menunggu jawaban.")
        return
    st.caption("Untuk jawaban berupa surat balasan.")
    with st.form("kohort-jawaban", border=False):
        kode = st.selectbox("Desa/kelurahan", list(waiting), format_func=waiting.get, placeholder="Pilih desa",
                            index=None)
        tanggal = st.date_input("Tanggal diterima", value=kohort.today_wib(), format="DD/MM/YYYY")
        catatan = st.text_input("Catatan (nomor surat balasan)")
        if st.form_submit_button("Catat jawaban"):
            if kode is None:
                st.error("Pilih desa yang menjawab.")
            else:
                widgets.apply(lambda s: kohort.record_answer(s, context.actor(), kid, kode, tanggal, catatan),
                              f"Jawaban {waiting[kode]} tercatat.")
