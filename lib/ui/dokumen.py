"""The download buttons of the documents on the case and cohort pages (made when pressed, so that a number is
given and a download logged only for a document someone took): a case's letters, a cohort's confirmation letter,
its budget and its SK attachment."""
from __future__ import annotations

import streamlit as st

from lib.base.sheets import XLSX_MIME
from lib.dokumen import berkas
from lib.dokumen import kohort as dokumen_kohort
from lib.dokumen.templat import DOCX_MIME
from lib.rentan import anggaran, tampilan
from lib.ui import context, widgets


def download(label: str, build, file_name: str, key: str, help: str | None = None) -> None:
    """A download button whose document ``build(session, actor)`` makes in its own transaction when pressed."""
    widgets.lazy_download(label, build, file_name, key, DOCX_MIME, ":material/description:", help)


def case_documents(d) -> None:
    """The documents the case's SOP has produced by its current step."""
    offered = berkas.offered(d)
    if not offered:
        return
    base = context.base_url()
    st.markdown("**Dokumen** (DOCX; setiap unduhan dicatat di log audit)")
    with st.container(horizontal=True):
        for spec in offered:
            download(spec.judul, lambda s, a, kode=spec.kode: berkas.make(s, a, d.id, kode, base)[1],
                     berkas.file_name(spec.kode, d.register_no), key=f"dok-{d.id}-{spec.kode}-{d.version}",
                     help=spec.kapan)


def confirmation_letter(kid: int, shown) -> None:
    """The cohort page's confirmation letter of one desa of ``shown`` (DOCX, with its list and the deadline),
    numbered from the agenda; for who may export personal data, once a desa's letter can be made."""
    if not tampilan.reader(context.actor()).export:
        return
    printable = {d.kode: d.nama for d in shown if dokumen_kohort.letter_ready(d)}
    if not printable:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        kode = st.selectbox("Surat permintaan konfirmasi untuk desa", list(printable), format_func=printable.get,
                            key="kohort-surat-dok", placeholder="Pilih desa")
        download("Unduh surat konfirmasi (DOCX)", lambda s, a: dokumen_kohort.confirmation_letter(s, a, kid, kode)[1],
                 f"surat-konfirmasi-{kode}-kohort-{kid}.docx", f"kohort-surat-dok-{kid}-{kode}",
                 help="Satu surat per desa, dengan daftar sementara terlampir (NIK lengkap) dan batas jawaban "
                      "dihitung pada kalender kerja. Nomor surat diambil dari agenda surat keluar.")


def cohort_budget_documents(k, export: bool) -> None:
    """The cohort's budget plan (XLSX) and, for who may export personal data (``export``), its SK attachment
    (XLSX with full NIK, a draft before the SK; and DOCX)."""
    with st.container(horizontal=True):
        widgets.lazy_download("Unduh rencana anggaran (XLSX)", lambda s, a: anggaran.budget_workbook(s, a, k.id),
                              f"anggaran-kohort-{k.id}.xlsx", "kohort-anggaran", XLSX_MIME)
        if export:
            widgets.lazy_download(tampilan.sk_attachment_label(k), lambda s, a: anggaran.sk_workbook(s, a, k.id),
                                  f"lampiran-sk-kohort-{k.id}.xlsx", "kohort-sk-unduh", XLSX_MIME)
            download("Unduh lampiran SK (DOCX)", lambda s, a: dokumen_kohort.sk_attachment(s, a, k.id)[1],
                     f"lampiran-sk-kohort-{k.id}.docx", "kohort-sk-docx")
