"""AppTest of the home page and of every catalogue page, through Home.py's st.navigation."""
import pytest
from streamlit.testing.v1 import AppTest

from lib.catalogue import model as catalog

DOCS = catalog.load_catalog()


def hand_session(at: AppTest, user: str) -> str:
    """Log ``user`` in as the login form does, without their password: a session in the database whose token
    is put in the tab's state (where the form puts it). Returns the token."""
    from lib.base import accounts, sessions
    from lib.base.db import database_url, session_factory
    from lib.ui.auth import SESSION_TOKEN

    with session_factory(database_url()).begin() as s:
        token = sessions.open_session(s, accounts.load_actor(s, user).user_id, "127.0.0.1")
    at.session_state[SESSION_TOKEN] = token
    return token


def open_app(url_path: str | None = None, user: str | None = "staf") -> AppTest:
    """Run Home.py as ``user`` (an account; None for an anonymous visitor), then (if asked) the page
    registered under ``url_path``.

    The first run is the visitor's (it creates the database and its demo accounts); then the session is
    handed over (:func:`hand_session`). AppTest.switch_page only accepts file paths, and our pages are
    callables built from the catalogue, so the page is chosen by the hash st.navigation registered for its
    url_path.
    """
    at = AppTest.from_file("../Home.py", default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    if user:
        hand_session(at, user)
        at.run()
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
    assert at.metric[0].value == str(sum(d.jenis == "sop" for d in DOCS.values()))  # the SOPs, not the standar


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
    if at.tabs and 'class="sop-flow"' not in texts(at):  # a user who takes applications lands on the form
        at.session_state[f"sop-tab-{doc_id}"] = "Dokumen SOP"
        at.run()
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


# --- who sees what ------------------------------------------------------------------------------------
def visible_pages(at: AppTest) -> set[str]:
    """The url paths in this user's menu, as Home.py registered them for the run."""
    return at.session_state["_portal_pages"].visible


def test_anonymous_sees_the_login_form_and_no_sop_content(app_db):
    at = open_app(user=None)
    assert at.text_input(key="login_username") and at.text_input(key="login_password")
    body = texts(at)
    assert "Portal SOP" in body
    for doc in DOCS.values():
        assert doc.nama not in body
    assert 'class="sop-flow"' not in body


def test_anonymous_deep_link_to_an_sop_asks_to_log_in_first(app_db):
    at = open_app("kartu-ak1", user=None)
    assert "Masuk untuk membuka" in texts(at)
    assert 'class="sop-flow"' not in texts(at) and not at.title


def test_logging_in_with_the_form_opens_the_portal(app_db):
    at = open_app(user=None)
    at.text_input(key="login_username").input("staf")
    at.text_input(key="login_password").input("demo1234")
    at.button[0].click().run()
    assert "Selamat datang, Rina Marlina." in [s.value for s in at.success]


def test_a_wrong_password_shows_an_indonesian_error(app_db):
    at = open_app(user=None)
    at.text_input(key="login_username").input("staf")
    at.text_input(key="login_password").input("salah-sekali")
    at.button[0].click().run()
    assert at.error[0].value == "Nama pengguna atau kata sandi salah."


def test_staf_sees_staf_pages_and_not_the_admin_pages(app_db):
    at = open_app(user="staf")
    pages = visible_pages(at)
    assert {"beranda", "kartu-ak1", "pbi-jk", "akun"} <= pages
    assert "admin-pengguna" not in pages and "admin-audit" not in pages


def test_admin_sees_the_admin_pages(app_db):
    pages = visible_pages(open_app(user="admin"))
    assert {"admin-pengguna", "admin-audit"} <= pages


def test_a_deep_link_to_an_admin_page_as_staf_shows_not_found_or_no_access(app_db):
    at = open_app("admin-pengguna", user="staf")
    assert at.header[0].value == "Halaman tidak ditemukan"
    assert not at.dataframe


def test_admin_adds_a_user_in_the_browser_form(app_db):
    at = open_app("admin-pengguna", user="admin")
    at.text_input(key="baru_username").input("rudi")
    at.text_input(key="baru_nama").input("Rudi Hartono")
    at.text_input(key="baru_sandi").input("sandi-rudi-123")
    at.multiselect(key="baru_roles").select("staf")
    at.button(key="FormSubmitter:tambah_pengguna-Tambah").click().run()
    assert "Pengguna “rudi” ditambahkan." in [s.value for s in at.success]
    assert "rudi" in at.dataframe[0].value["Nama pengguna"].tolist()


def test_the_audit_page_shows_the_sessions_logins(app_db):
    at = open_app(user=None)
    at.text_input(key="login_username").input("admin")
    at.text_input(key="login_password").input("demo1234")
    at.button[0].click().run()
    at = open_app("admin-audit", user="admin")
    table = at.dataframe[0].value
    assert "Masuk" in table["Aksi"].tolist() and "admin" in table["Pengguna"].tolist()


CASES = {"tugas", "berkas"}
KPI = {"dasbor"}
EVAL = {"evaluasi", "skm-hasil"}
AGENDA = {"agenda-surat"}
PLH = {"plh"}  # the officials name their Plh; the admin names one for any official
EXPECTED_EXTRA_PAGES = {  # beyond beranda, akun, kotak-masuk and the catalogue pages every role sees
    "admin": {"admin-pengguna", "admin-audit", "admin-kalender", "admin-iuran", "admin-templat", "editor-sop"} | KPI
    | AGENDA | PLH,
    "kadis": {"admin-audit", "pengesahan-sop"} | CASES | KPI | EVAL | AGENDA | PLH,
    "sekdin": CASES | KPI | EVAL | AGENDA | PLH,
    "kabid": CASES | KPI | AGENDA | PLH, "kabidsos": CASES | KPI | {"pekerja-rentan-kohort"} | AGENDA | PLH,
    "kasi": CASES | KPI | AGENDA | PLH, "staf": CASES | {"validasi-desa", "pekerja-rentan-kohort"} | AGENDA,
    "operator": CASES | {"validasi-desa"}, "evaluator": KPI | EVAL,
}


@pytest.mark.parametrize("username", sorted(EXPECTED_EXTRA_PAGES))
def test_every_demo_user_logs_in_and_sees_exactly_their_pages(app_db, username):
    at = open_app(user=None)
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input("demo1234")
    at.button[0].click().run()
    assert not at.error, at.error
    at.run()  # in a browser the cookie component triggers this next run
    common = {"beranda", "akun", "kotak-masuk"} | set(DOCS)
    assert at.session_state["_portal_pages"].visible == common | EXPECTED_EXTRA_PAGES[username]


def test_production_mode_refuses_to_start_with_the_default_cookie_key(app_db, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_COOKIE_KEY", "some_key")
    at = AppTest.from_file("../Home.py", default_timeout=60).run()
    assert "Portal tidak dapat dijalankan" in at.error[0].value and "Kunci cookie" in at.error[0].value
    assert not at.text_input and not at.title


def test_a_user_disabled_while_logged_in_loses_the_session_at_the_next_run(app_db):
    from lib.base import accounts
    from lib.base.db import session_factory

    at = open_app("kartu-ak1", user="staf")
    assert at.title[0].value == DOCS["kartu-ak1"].nama
    with session_factory(app_db).begin() as s:
        accounts.set_active(s, accounts.load_actor(s, "admin"), "staf", False)
    at.run()
    assert "akun dinonaktifkan" in at.warning[0].value
    assert at.text_input(key="login_username") and not at.title


def test_admin_adds_a_calendar_day_off_in_the_page(app_db):
    import datetime as dt

    at = open_app("admin-kalender", user="admin")
    at.number_input[0].set_value(2026).run()
    at.date_input(key="kal_tanggal").set_value(dt.date(2026, 5, 5))
    at.text_input(key="kal_keterangan").input("SKB cuti bersama tambahan")
    at.button(key="FormSubmitter:pengecualian-Simpan").click().run()
    assert "Pengecualian 5 Mei 2026 disimpan." in [s.value for s in at.success]
    table = at.dataframe[0].value
    assert "SKB cuti bersama tambahan" in table["Keterangan"].tolist()


def test_an_unexpected_error_shows_a_reference_number_and_the_server_log_holds_the_details(app_db, monkeypatch,
                                                                                           caplog):
    import logging
    import re

    import views.akun

    def broken() -> None:
        raise RuntimeError("rincian internal /srv/portal/lib/rahasia.py")

    monkeypatch.setattr(views.akun, "render", broken)
    monkeypatch.setenv("PORTAL_RAISE_ERRORS", "0")
    with caplog.at_level(logging.ERROR, logger="portal"):
        at = open_app("akun", user="staf")
    assert not at.exception
    message = at.error[0].value
    ref = re.search(r"\*\*([0-9A-F]{8})\*\*", message).group(1)
    assert "rahasia" not in message and "Traceback" not in message and "RuntimeError" not in message
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and logged[0].exc_info and "rahasia.py" in str(logged[0].exc_info[1])
