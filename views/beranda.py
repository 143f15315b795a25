"""Landing page: the agency's SOPs grouped by instansi and unit, with search."""
import streamlit as st

from lib.base import fmt, mutu_baku
from lib.catalogue import document
from lib.catalogue import model as catalog
from lib.ui import data, nav, widgets


def render() -> None:
    widgets.header("Portal SOP", "Standar Operasional Prosedur layanan ketenagakerjaan dan jaminan sosial (BPJS "
                                 "Ketenagakerjaan, JKN) — Dinas Tenaga Kerja dan Dinas Sosial")
    docs = data.documents()
    sops = [a.doc for a in docs.values() if a.doc.jenis == "sop"]
    c1, c2, c3 = st.columns(3)
    c1.metric("SOP berlaku", len(sops))
    c2.metric("Langkah kerja", sum(len(s.langkah) for s in sops))
    c3.metric("Standar pelayanan", len(docs) - len(sops))

    query = st.text_input("Cari SOP", placeholder="Nama atau nomor SOP, misalnya “AK1” atau “503/44”",
                          key="cari_sop")
    found = [a.doc for a in docs.values() if catalog.matches(a.doc, query)]
    if not found:
        st.info(f"Tidak ada SOP yang cocok dengan “{query}”. Coba kata lain, misalnya sebagian nama atau nomor SOP.")
        return
    for instansi, units in catalog.grouped(found):
        st.subheader(instansi, anchor=False, divider="gray")
        for unit, items in units:
            if unit:
                st.markdown(f"**{fmt.md(unit)}**")
            cols = st.columns(3)
            for i, doc in enumerate(items):
                with cols[i % 3].container(border=True):
                    st.markdown(f"**{fmt.md(doc.nama)}**")
                    if doc.jenis == "sop":
                        meta = [doc.nomor or "tanpa nomor", f"{len(doc.langkah)} langkah",
                                f"target {document.target_summary(doc)}"]
                    else:
                        meta = ["Standar Pelayanan", f"{len(doc.produk)} produk layanan"]
                    if doc.program:
                        meta.insert(0, doc.program)
                    st.markdown(f"<div class='sop-card-meta'>{fmt.html_text(' · '.join(meta))}</div>",
                                unsafe_allow_html=True)
                    st.page_link(nav.page(doc.id), label="Buka " + ("SOP" if doc.jenis == "sop" else "standar"),
                                 icon=":material/arrow_forward:")
    st.caption(f"1 hari kerja = {mutu_baku.MINUTES_PER_WORKING_DAY} menit kerja (Perpres 21/2023: "
               "Senin–Kamis 07.30–16.00, Jumat 07.30–16.30, di luar istirahat, hari libur dan cuti bersama).")
