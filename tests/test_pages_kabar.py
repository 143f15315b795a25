"""AppTest of the inbox page and its bell, the digest switch on *Akun saya*, and *Lupa kata sandi* on the login
page through to the link's form (the e-mail goes through a real SMTP server on localhost)."""
import datetime as dt
import re
import urllib.parse

from sqlalchemy import select

from lib.base import accounts
from lib.base.db import Case, InboxMark, User, database_url, session_factory
from lib.casework import cases
from lib.kabar import reset

from .test_kabar import AK1_FORM, ALL_AK1
from .test_kabar import smtp as smtp  # noqa: F401  (the local SMTP server fixture)
from .test_pages import open_app, texts


def _registered_file() -> int:
    """The staf registers a kartu AK1 file and takes it to the Kasi's step 4."""
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory(database_url()).begin() as s:
        staf = accounts.load_actor(s, "staf")
        view, _ = cases.intake(s, staf, "kartu-ak1", AK1_FORM, ALL_AK1, now=now)
        view = cases.complete_step(s, staf, view.id, 2, view.version, outcome="ya", now=now)
        cases.complete_step(s, staf, view.id, 3, view.version, now=now)
    return view.id


def test_the_bell_counts_the_kasis_entries_and_opening_one_marks_it_read(app_db):
    at = open_app(user="kasi")
    case_id = _registered_file()
    at = open_app("kotak-masuk", user="kasi")
    assert not at.exception, at.exception
    titles = [info.get("page_name") for info in at._registered_pages.values()
              if info.get("url_pathname") == "kotak-masuk"]
    assert titles == ["Kotak masuk (1)"], titles  # the bell's entry in the menu
    assert "langkah 4" in texts(at) and "belum dibuka" in texts(at)
    at.button(key=f"buka-langkah:{case_id}:4:1").click().run()
    with session_factory(database_url())() as s:
        mark = s.scalars(select(InboxMark)).one()
    assert mark.kunci == f"langkah:{case_id}:4:1" and mark.dibaca_pada is not None


def test_the_e_mails_link_opens_the_object_through_the_inbox_and_marks_it_read(app_db):
    at = open_app(user="kasi")
    case_id = _registered_file()
    at = open_app(user="kasi")
    at.query_params["buka"] = f"langkah:{case_id}:4:1"
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == "kotak-masuk"]
    at._page_hash = hashes[0]
    at.run()
    assert not at.exception, at.exception
    with session_factory(database_url())() as s:
        assert s.scalars(select(InboxMark.kunci).where(InboxMark.dibaca_pada.is_not(None))).all() == [
            f"langkah:{case_id}:4:1"]
    with session_factory(database_url())() as s:
        number = s.get(Case, case_id).register_no
    assert [t.value for t in at.title][:1] == [f"Berkas {number}"]  # the case page opened
    gone = open_app(user="kasi")
    gone.query_params["buka"] = "langkah:999:1:1"
    gone._page_hash = hashes[0]
    gone.run()
    assert "sudah selesai atau tidak lagi menunggu Anda" in [i.value for i in gone.info][0]


def test_the_e_mails_link_for_a_visitor_asks_to_log_in_then_marks_the_entry_read_and_links_the_object(app_db):
    open_app(user=None)
    case_id = _registered_file()
    at = open_app(user=None)
    at.query_params["buka"] = f"langkah:{case_id}:4:1"
    at._page_hash = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == "kotak-masuk"][0]
    at.run()
    at.text_input(key="login_username").input("kasi")
    at.text_input(key="login_password").input("demo1234")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [p.proto.label for p in at.get("page_link") if p.proto.label.startswith("Buka: ")], "no link to the file"
    with session_factory(database_url())() as s:
        assert s.scalars(select(InboxMark.kunci).where(InboxMark.dibaca_pada.is_not(None))).all() == [
            f"langkah:{case_id}:4:1"]


def test_the_digest_is_turned_off_on_akun_saya(app_db):
    at = open_app("akun", user="kasi")
    toggle = at.toggle(key="akun_ringkasan")
    assert toggle.value is True and "kasi@portal-sop.example" in toggle.label
    toggle.set_value(False).run()
    assert "Ringkasan surel dimatikan." in [s.value for s in at.success]
    with session_factory(database_url())() as s:
        assert s.scalar(select(User.kabar_email).where(User.username == "kasi")) is False


def test_lupa_kata_sandi_sends_a_link_whose_page_sets_a_new_password(app_db, smtp):  # noqa: F811
    at = open_app(user=None)
    for name in ("tidak-ada", "kasi"):
        at.text_input(key="lupa_sandi_nama").input(name)
        at.button(key="FormSubmitter:lupa_sandi-Kirim tautan atur ulang").click().run()
        assert [s.value for s in at.success] == [reset.SAME_ANSWER]  # the same answer for both
    assert len(smtp.messages) == 1
    body = smtp.messages[0].get_body(("plain",)).get_content()
    token = urllib.parse.parse_qs(urllib.parse.urlparse(re.search(r"\S+/\?reset=\S+", body).group(0)).query)
    link = open_app(user=None)
    link.query_params["reset"] = token["reset"][0]
    link.run()
    assert "Atur ulang kata sandi" in [h.value for h in link.subheader]
    link.text_input[0].input("sandi-baru-kasi-1")
    link.text_input[1].input("sandi-baru-kasi-1")
    link.button(key="FormSubmitter:atur_ulang_sandi-Simpan kata sandi baru").click().run()
    assert any("Kata sandi baru tersimpan" in s.value for s in link.success)
    with session_factory(database_url()).begin() as s:
        assert accounts.authenticate(s, "kasi", "sandi-baru-kasi-1").ok
    again = open_app(user=None)
    again.query_params["reset"] = token["reset"][0]
    again.run()
    assert reset.INVALID in [e.value for e in again.error]  # used once, never again
    assert again.text_input(key="login_username") and again.text_input(key="lupa_sandi_nama")  # and what now
