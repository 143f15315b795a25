"""A new user in a real browser: the home page, search, an SOP page with its flowchart, a deep link."""
import io
from pathlib import Path

from openpyxl import load_workbook

from .conftest import login, wait_idle


def test_home_page_lists_the_sops_and_search_narrows_them(server, page):
    login(page, server)
    page.get_by_role("heading", name="Portal SOP").wait_for()
    assert page.get_by_text("Penerbitan Kartu Pencari Kerja (AK1)").count() >= 1
    box = page.get_by_label("Cari SOP")
    box.fill("paspor")
    box.press("Enter")
    # Under load the rerun may start after wait_idle's pause: wait for its result, not for a quiet moment.
    ak1 = page.locator("[data-testid='stMain']").get_by_text("Penerbitan Kartu Pencari Kerja (AK1)", exact=True)
    ak1.wait_for(state="detached", timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("Penerbitan Rekomendasi Paspor").first.is_visible()
    assert page.get_by_text("Penerbitan Kartu Pencari Kerja (AK1)", exact=True).count() == 0


def test_an_sop_page_draws_its_flowchart_and_offers_downloads(server, page):
    login(page, server)
    page.get_by_role("link", name="Kartu Pencari Kerja (AK1)").click()
    wait_idle(page)
    page.get_by_role("heading", name="Penerbitan Kartu Pencari Kerja (AK1)").wait_for()
    assert page.url.endswith("/kartu-ak1")
    page.get_by_role("tab", name="Dokumen SOP").click()  # counter staff land on the intake form
    page.locator("svg.sop-flow").first.wait_for()
    assert page.locator("svg.sop-flow").count() == 1
    assert page.locator("svg.sop-flow .sym").count() == 6
    assert page.locator("svg.sop-flow polygon.decision").count() == 1
    assert page.get_by_text("503/48/SOP.TK/DISPMPTSPTK/2024").first.is_visible()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Unduh XLSX").click()
    assert dl.value.suggested_filename == "SOP-kartu-ak1.xlsx"
    sheet = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active  # made on the click, a real workbook
    assert any("AK1" in str(c.value) for row in sheet.iter_rows(max_row=12) for c in row if c.value)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Unduh versi cetak").click()
    assert dl.value.suggested_filename == "SOP-kartu-ak1.html"
    assert "svg" in Path(dl.value.path()).read_text(encoding="utf-8")


def test_a_deep_link_opens_its_page_without_a_not_found_notice(server, browser):
    # A fresh context is a fresh session: the deep link is the first request it makes, then the login
    # form, then the page it asked for.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    login(page, server, path="/pekerja-rentan")
    page.get_by_role("heading", name="Pembayaran Iuran Kepesertaan BPJS Ketenagakerjaan bagi Pekerja Rentan").wait_for()
    assert page.get_by_text("Page not found").count() == 0
    page.locator("svg.sop-flow").first.wait_for()
    # 24 steps over several printed pages, joined by off-page connectors.
    assert page.locator("svg.sop-flow").count() >= 3
    assert page.locator("svg.sop-flow .sym").count() == 25
    context.close()


def test_an_sop_page_prints_on_a4_landscape_with_the_flowchart(server, page):
    login(page, server, path="/perselisihan-hi")
    page.get_by_role("tab", name="Dokumen SOP").click()  # staff land on the intake form
    page.locator("svg.sop-flow").first.wait_for()
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf[:4] == b"%PDF"
    # The chrome is hidden in print and the flowchart is laid out, not clipped to one screen.
    assert page.locator("[data-testid='stSidebar']").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator("svg.sop-flow").first.bounding_box()["height"] > 200
