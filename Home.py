"""Portal SOP — entry point: page config, the catalogue's pages in st.navigation, the landing view.

Run with: streamlit run Home.py
"""
import streamlit as st

from lib import catalog
from lib.ui import data, nav, widgets
from views import beranda, sop

st.set_page_config(page_title="Portal SOP", page_icon="assets/logo.svg", layout="wide",
                   initial_sidebar_state="expanded")
widgets.inject_css()

try:
    docs = data.documents()
except catalog.CatalogError as err:
    st.error(f"Katalog SOP tidak dapat dimuat: {err}")
    st.stop()

home = st.Page(beranda.render, title="Beranda", icon=":material/home:", url_path="beranda", default=True)
doc_pages = {doc_id: st.Page(sop.page_for(doc_id), title=active.doc.label, url_path=doc_id,
                             icon=":material/account_tree:" if active.doc.jenis == "sop" else ":material/menu_book:")
             for doc_id, active in docs.items()}
nav.register({"beranda": home, **doc_pages})

sections = {"Portal": [home]}
for instansi, units in catalog.grouped([a.doc for a in docs.values()]):
    label = instansi if len(instansi) <= 60 else instansi[:57] + "…"
    sections[label] = [doc_pages[d.id] for _, items in units for d in items]
st.navigation(sections).run()
