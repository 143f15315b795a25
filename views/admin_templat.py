"""Templat dokumen: the DOCX template of every printable document, replaced by uploading a new one; the pattern
of letter numbers."""
import pandas as pd
import streamlit as st

from lib.base import fmt
from lib.dokumen import agenda, templat
from lib.ui import context, widgets

_DONE = "_templat_done"


def render() -> None:
    widgets.header("Templat dokumen", "Tampilan surat, tanda terima, kartu dan lampiran diatur dengan templat Word "
                   "(DOCX). Unduh templat yang berlaku, sunting di Word, lalu unggah lagi.")
    widgets.show_flash()
    actor = context.actor()
    kode = st.selectbox("Dokumen", list(templat.DOCUMENTS), format_func=lambda k: templat.DOCUMENTS[k].judul,
                        key="templat-dokumen", placeholder="Pilih dokumen")
    spec = templat.DOCUMENTS[kode]
    st.caption(f"Ditawarkan: {spec.kapan}.")
    with context.db()() as session:
        versions = templat.versions(session, actor, kode)
        current = templat.version_content(session, actor, kode, versions[0].versi)
    st.download_button(f"Unduh templat yang berlaku (versi {versions[0].versi or 'bawaan'})", current,
                       file_name=f"{kode}-v{versions[0].versi}.docx", mime=templat.DOCX_MIME,
                       icon=":material/download:", key=f"templat-unduh-{kode}-{versions[0].versi}")
    with st.expander("Placeholder yang tersedia"):
        widgets.grid(pd.DataFrame([{"Placeholder": "{{ " + k + " }}", "Isi": v} for k, v in spec.placeholders.items()]),
                     hide_index=True, width="stretch")
    n = st.session_state.setdefault(_DONE, 0)
    upload = widgets.file_upload(f"Unggah templat baru (DOCX, maks. {templat.MAX_TEMPLATE_MB} MB)", type=["docx"],
                                 key=f"templat-unggah-{kode}-{n}", max_mb=templat.MAX_TEMPLATE_MB)
    if upload is not None and st.button("Periksa dan pakai templat ini", type="primary", icon=":material/upload:",
                                        key=f"templat-pakai-{kode}"):
        def done(versi: int) -> str:
            st.session_state[_DONE] = n + 1  # an empty uploader for the next one
            return f"Templat {spec.judul} diganti (versi {versi}); dokumen berikutnya memakai templat ini."
        widgets.apply(lambda s: templat.replace(s, actor, kode, upload.name, upload.getvalue()), done)
    st.markdown("**Versi templat** (semua disimpan)")
    widgets.grid(pd.DataFrame([{"Versi": v.versi or "bawaan", "Berkas": v.filename, "Diunggah oleh": v.uploaded_by,
                                "Waktu": fmt.waktu(v.uploaded_at) if v.uploaded_at else "—"} for v in versions]),
                 hide_index=True, width="stretch")
    _pattern(actor)


def _pattern(actor) -> None:
    st.subheader("Pola nomor surat", anchor=False)
    with context.db()() as session:
        now = agenda.pattern(session)
    st.caption("Unsur: {nomor} nomor urut (mulai 1 setiap tahun, dan setiap bidang bila pola memuat {bidang}), "
               "{kode} kode klasifikasi surat, {bidang} kode bidang, {tahun}, {bulan} (angka Romawi). Nomor yang "
               "sudah diberikan tidak berubah.")
    with st.form("pola-nomor"):
        text = st.text_input("Pola", value=now, max_chars=80)
        if st.form_submit_button("Simpan pola"):
            widgets.apply(lambda s: agenda.save_pattern(s, actor, text), "Pola nomor surat disimpan.")
