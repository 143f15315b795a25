"""AppTest of the documents' pages: Templat dokumen, Agenda surat keluar and the public Cek status berkas."""
from .test_pages import open_app, texts


def test_the_templates_page_lists_every_document_with_its_placeholders_and_versions(app_db):
    at = open_app("admin-templat", user="admin")
    assert not at.exception, at.exception
    assert at.selectbox(key="templat-dokumen").options == [
        "Tanda terima berkas", "Surat pengembalian berkas", "Kartu AK/I", "Surat rekomendasi paspor",
        "Surat permintaan konfirmasi desa", "Lampiran SK peserta kohort"]
    assert at.dataframe[1].value["Berkas"].tolist() == ["tanda_terima.docx"]  # only the shipped version yet
    at.text_input[0].input("{nomor}/{warna}/{tahun}")
    at.button[0].click().run()
    assert "{warna} yang tidak dikenal" in at.error[0].value


def test_the_agenda_page_opens_for_staff_and_says_when_no_number_was_given(app_db):
    at = open_app("agenda-surat", user="staf")
    assert not at.exception, at.exception
    assert "Belum ada nomor surat yang diberikan." in [i.value for i in at.info]


def test_the_status_page_opens_without_login_and_shows_nothing_for_an_unknown_number(app_db):
    at = open_app("cek-status", user=None)
    assert not at.exception, at.exception
    assert "Cek status berkas" in texts(at)
    at.text_input[0].input("AK1/2026/00001")
    at.text_input[1].input("0003")
    at.button[0].click().run()
    assert "tidak cocok" in at.error[0].value


def test_the_letters_tab_offers_the_confirmation_letter_of_each_verified_desa(app_db):
    from .test_kohort_page import on_tab
    at = on_tab(open_app("pekerja-rentan-kohort", user="staf"), 1)
    assert not at.exception, at.exception
    box = at.selectbox(key="kohort-surat-dok")
    assert set(box.options) == {"Karang Dalo", "Jatiharjo"}  # the demo desa whose letters went out
    assert any(b.label == "Unduh surat konfirmasi (DOCX)" for b in at.get("download_button"))
