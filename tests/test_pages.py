"""AppTest of the home page and of every catalogue page, through Home.py's st.navigation."""
import pytest
from streamlit.testing.v1 import AppTest

from lib import catalog

DOCS = catalog.load_catalog()


def open_app(url_path: str | None = None) -> AppTest:
    """Run Home.py, then (if asked) the page registered under ``url_path``.

    AppTest.switch_page only accepts file paths, and our pages are callables built from the catalogue,
    so the page is chosen by the hash st.navigation registered for its url_path.
    """
    at = AppTest.from_file("../Home.py", default_timeout=60).run()
    assert not at.exception, at.exception
    if url_path is None:
        return at
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path]
    assert hashes, f"no page registered for {url_path}"
    at._page_hash = hashes[0]
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader] + [e.value for e in at.markdown]
    parts += [h.proto.body for h in at.get("html")]
    parts += [e.value for e in at.caption] + [str(e.value) for e in at.metric] + [e.label for e in at.metric]
    return "\n".join(str(p) for p in parts)


def test_home_lists_every_document_grouped_by_instansi(app_db):
    at = open_app()
    body = texts(at)
    assert "Portal SOP" in body
    for doc in DOCS.values():
        assert doc.nama in body
    assert "Dinas Penanaman Modal, Pelayanan Terpadu Satu Pintu dan Tenaga Kerja Kota Pagar Alam" in body
    assert "Dinas Sosial Kabupaten Karanganyar" in body
    assert at.metric[0].value == "9"


def test_home_search_filters_by_nomor(app_db):
    at = open_app()
    at.text_input(key="cari_sop").input("503/48").run()
    body = texts(at)
    assert "Penerbitan Kartu Pencari Kerja (AK1)" in body
    assert "Penerbitan Rekomendasi Paspor" not in body


def test_home_search_without_a_match_says_so(app_db):
    at = open_app()
    at.text_input(key="cari_sop").input("zzz tidak ada").run()
    assert "Tidak ada SOP yang cocok" in at.info[0].value


@pytest.mark.parametrize("doc_id", sorted(k for k, v in DOCS.items() if v.jenis == "sop"))
def test_every_sop_page_shows_its_document_and_flowchart(app_db, doc_id):
    doc = DOCS[doc_id]
    at = open_app(doc_id)
    assert at.title[0].value == doc.nama
    body = texts(at)
    assert 'class="sop-flow"' in body
    assert body.count('class="sym ') >= len(doc.langkah)
    for step in doc.langkah:
        assert step.kegiatan.split()[0] in body
    assert at.metric[0].value == str(len(doc.langkah))
    assert len(at.get("download_button")) == 2


def test_the_standar_pelayanan_page_reads_as_a_citizen_page(app_db):
    at = open_app("standar-pelayanan-bpjs-tk")
    sp = DOCS["standar-pelayanan-bpjs-tk"]
    assert at.title[0].value == sp.nama
    html = "\n".join(h.proto.body for h in at.get("html"))
    for heading in ("Komponen Penyampaian Pelayanan", "Komponen Pengelolaan Pelayanan", "Persyaratan",
                    "Jangka Waktu Pelayanan", "Biaya/Tarif", "Penanganan Pengaduan, Saran dan Masukan",
                    "Evaluasi Kinerja Pelaksana"):
        assert heading in html
    assert sp.jangka_waktu in html and "SP4N LAPOR!" in html
    assert not at.exception
