"""One page per catalogue document, built from its data: the SOP form, or a Standar Pelayanan."""
import streamlit as st

from lib.base import fmt
from lib.base.sheets import XLSX_MIME
from lib.casework import cases
from lib.catalogue import document
from lib.catalogue import workbook as export
from lib.ui import context, data, nav, widgets
from views import sop_kasus


def page_for(doc_id: str):
    """A page callable for one document (st.Page needs a distinct function per page)."""
    def _page() -> None:
        render(doc_id)
    _page.__name__ = "sop_" + doc_id.replace("-", "_")
    return _page


def render(doc_id: str) -> None:
    active = data.documents().get(doc_id)
    if active is None:
        st.error("Dokumen ini tidak ada atau sudah tidak berlaku.")
        st.page_link(nav.page("beranda"), label="Kembali ke beranda", icon=":material/home:")
        return
    doc = active.doc
    if doc.jenis == "standar_pelayanan":
        return _standar(doc, active.revision_no)
    widgets.header(doc.nama, " · ".join(x for x in (doc.nomor, doc.instansi, doc.unit) if x))
    actor = context.actor()
    draws = {"Dokumen SOP": lambda: _document(doc, active)}
    if cases.can_open(actor, doc):
        draws["Permohonan baru"] = lambda: sop_kasus.intake_tab(doc)
    if cases.may_run(actor, doc):
        draws["Buku Register"] = lambda: sop_kasus.register_tab(doc)
    if len(draws) == 1:
        return _document(doc, active)
    # Counter staff land on the intake form; the flowchart and the register are read when their tab is opened.
    widgets.lazy_tabs(f"sop-tab-{doc.id}", draws, default="Permohonan baru" if "Permohonan baru" in draws else None)


def _document(doc, active) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Langkah", len(doc.langkah))
    c2.metric("Pelaksana", len(doc.pelaksana))
    c3.metric("Total mutu baku", document.target_summary(doc).replace(" kerja", ""), help="Jumlah target waktu "
              "seluruh langkah dalam waktu kerja (1 hari = 450 menit kerja); target bulanan dihitung menurut kalender.")
    c4.metric("Revisi portal", active.revision_no, help="Tanggal efektif dokumen: "
              + fmt.tanggal(doc.tanggal_efektif))
    b1, b2, _ = st.columns([1, 1, 2])
    with b1:  # both files are made when clicked, not on every run of the page
        widgets.lazy_download("Unduh XLSX", lambda s, a: export.sop_workbook(doc, active.revision_no),
                              f"SOP-{doc.id}.xlsx", f"sop-xlsx-{doc.id}", XLSX_MIME, ":material/table_view:",
                              width="stretch")
    with b2:
        widgets.lazy_download("Unduh versi cetak", lambda s, a: document.printable_html(doc, active.revision_no),
                              f"SOP-{doc.id}.html", f"sop-cetak-{doc.id}", "text/html", ":material/print:",
                              help="Berkas HTML siap cetak A4 lanskap. Halaman ini juga dapat dicetak langsung "
                              "dengan Ctrl+P.", width="stretch")
    st.subheader("Identitas SOP", anchor=False)
    st.html(document.identity_html(doc))
    st.subheader("Prosedur", anchor=False)
    # st.markdown keeps the inline SVG (st.html's sanitiser would strip it).
    st.markdown(document.procedure_html(doc), unsafe_allow_html=True)
    _transcription_notes(doc)


def _standar(doc, revision_no: int) -> None:
    widgets.header(doc.nama, " · ".join(x for x in (doc.instansi, f"revisi portal {revision_no}") if x))
    linked = [nav.page(i) for i in doc.sop_terkait if nav.page(i) is not None]
    if linked:
        st.markdown("**SOP pelaksana standar ini:**")
        for p in linked:
            st.page_link(p, icon=":material/account_tree:")
    st.download_button("Unduh versi cetak", document.printable_html(doc, revision_no), file_name=f"{doc.id}.html",
                       mime="text/html", icon=":material/print:")
    st.html(document.standar_html(doc))
    _transcription_notes(doc)


def _transcription_notes(doc) -> None:
    if doc.catatan_transkripsi:
        with st.expander("Catatan transkripsi dari dokumen sumber"):
            st.markdown("\n".join(f"- {note}" for note in doc.catatan_transkripsi))
