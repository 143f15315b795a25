"""The download buttons of the documents on the case and cohort pages (made when pressed, so that a number is
given and a download logged only for a document someone took)."""
from __future__ import annotations

import streamlit as st

from lib.dokumen import berkas
from lib.dokumen.templat import DOCX_MIME
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
