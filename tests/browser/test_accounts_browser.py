"""Logging in and out in a real browser, and what a user may not open."""
from .conftest import login, wait_idle


def _session_cookies(page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "portal_sop_sesi"]


def test_log_in_open_an_sop_log_out_and_a_reload_stays_logged_out(server, page):
    login(page, server, "staf", form=True)
    assert page.get_by_text("Rina Marlina").first.is_visible()
    (cookie,) = _session_cookies(page)
    assert (cookie["path"], cookie["sameSite"], cookie["expires"] > 0) == ("/", "Strict", True)
    page.get_by_role("link", name="Registrasi Klaim JHT").click()
    wait_idle(page)
    page.get_by_role("heading", name="Registrasi Klaim BPJS Ketenagakerjaan Program JHT").wait_for()
    page.reload()  # the session cookie keeps the user on the deep link
    wait_idle(page)
    page.get_by_role("heading", name="Registrasi Klaim BPJS Ketenagakerjaan Program JHT").wait_for()
    page.get_by_role("button", name="Keluar").click()
    wait_idle(page)
    page.get_by_label("Nama pengguna").wait_for()
    page.get_by_text("Anda telah keluar. Sampai jumpa.").first.wait_for()
    for _ in range(40):  # the frame that deletes the cookie runs as soon as the browser draws it
        if not _session_cookies(page):
            break
        page.wait_for_timeout(250)
    assert not _session_cookies(page)
    page.reload()
    wait_idle(page)
    page.get_by_label("Nama pengguna").wait_for()
    assert page.locator("svg.sop-flow").count() == 0
    assert page.get_by_role("heading", name="Registrasi Klaim BPJS Ketenagakerjaan Program JHT").count() == 0


def test_a_deep_link_to_an_admin_page_as_staf_shows_not_found_or_no_access(server, page):
    login(page, server, "staf")
    page.goto(server + "/admin-pengguna")
    wait_idle(page)
    page.get_by_role("heading", name="Halaman tidak ditemukan").wait_for()
    assert page.get_by_text("tidak memiliki akses").count() == 1
    assert page.get_by_role("link", name="Pengguna").count() == 0
    assert page.get_by_text("Page not found").count() == 0


def test_a_wrong_password_is_answered_in_indonesian(server, page):
    page.goto(server + "/")
    wait_idle(page)
    page.get_by_label("Nama pengguna").fill("staf")
    page.get_by_label("Kata sandi").fill("bukan-sandinya")
    page.get_by_role("button", name="Masuk").click()
    wait_idle(page)
    page.get_by_text("Nama pengguna atau kata sandi salah.").wait_for()


def test_admin_sees_the_audit_log_of_the_logins(server, page):
    login(page, server, "admin")
    page.get_by_role("link", name="Log audit").click()
    wait_idle(page)
    page.get_by_role("heading", name="Log audit").wait_for()
    page.locator("[data-testid='stDataFrame']").wait_for()
    assert page.get_by_text("entri").first.is_visible()


def test_a_copy_of_the_cookie_opens_nothing_after_keluar(server, browser, page):
    """The cookie is kept (copied to another browser) and replayed after *Keluar*: the server ended its
    session, so it opens nothing there and the login form says why."""
    login(page, server, "kasi", form=True)
    saved = _session_cookies(page)
    assert saved

    def replay():
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="id-ID")
        context.add_cookies(saved)
        other = context.new_page()
        other.goto(server + "/")
        wait_idle(other)
        return context, other

    context, other = replay()  # while the session lasts, the copy opens the portal
    other.get_by_role("button", name="Keluar").wait_for(timeout=60_000)
    context.close()
    page.get_by_role("button", name="Keluar").click()
    wait_idle(page)
    page.get_by_label("Nama pengguna").wait_for()
    context, other = replay()
    try:
        other.get_by_label("Nama pengguna").wait_for(timeout=60_000)
        other.get_by_text("Sesi ini sudah diakhiri dengan Keluar.").first.wait_for()  # a rerun may draw it twice
        assert other.get_by_role("button", name="Keluar").count() == 0
        assert other.get_by_text("Dewi Lestari").count() == 0
    finally:
        context.close()
