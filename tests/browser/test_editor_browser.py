"""Journey 7 in a real browser: the admin writes a new three-step SOP in the editor, Kepala Dinas approves
it, and counter staff open a case on it — no restart, no code."""
import re

from .conftest import login, wait_idle


def _type_in_new_row(page, grid, row: int, text: str) -> None:
    """Type into the first text column of ``row`` (0 = first data row) of a data editor (a canvas grid)."""
    box = grid.bounding_box()
    x, y = box["x"] + 80, box["y"] + 35 + 35 * row + 17
    page.mouse.click(x, y)  # on the empty last row: adds a row (and the app reruns)
    wait_idle(page)
    page.mouse.dblclick(x, y)  # open the cell's editor
    page.locator("textarea.gdg-input, input.gdg-input").first.wait_for()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    wait_idle(page)


def _page_as(browser, server, username: str, path: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="id-ID")
    page = ctx.new_page()
    login(page, server, username, path=path)
    return ctx, page


def test_admin_creates_a_three_step_sop_kepala_dinas_approves_it_and_staf_opens_a_case(server, browser):
    ctx, page = _page_as(browser, server, "admin", "/editor-sop")
    page.get_by_label("SOP", exact=True).click()
    page.get_by_text("SOP baru (kosong)").click()
    wait_idle(page)
    page.get_by_role("textbox", name="ID (alamat halaman, huruf kecil-tanda-hubung)").fill("surat-keterangan-kerja")
    page.get_by_role("textbox", name="Nama SOP", exact=True).fill("Penerbitan Surat Keterangan Kerja")
    page.get_by_role("textbox", name="Kode register (mis. AK1)").fill("SKK")
    page.keyboard.press("Tab")
    wait_idle(page)
    page.get_by_role("tab", name="Pelaksana dan langkah").click()
    wait_idle(page)
    steps = page.locator("[data-testid='stDataFrame']").nth(1)
    _type_in_new_row(page, steps, 1, "Menyiapkan surat")
    _type_in_new_row(page, steps, 2, "Menandatangani surat")
    page.get_by_text("L3 tanpa target").wait_for()  # three steps, read live
    page.get_by_role("textbox", name="Catatan revisi (wajib): apa yang diubah dan mengapa").fill("SOP baru")
    page.get_by_role("button", name="Simpan sebagai draf").click()
    wait_idle(page)
    page.get_by_text("tersimpan").wait_for()
    page.get_by_label("SOP", exact=True).click()
    page.get_by_role("option", name="Penerbitan Surat Keterangan Kerja").click()  # the title; the id is the value
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Ajukan revisi 1")).click()
    wait_idle(page)
    page.get_by_text("diajukan ke Kepala Dinas").wait_for()
    ctx.close()

    ctx, page = _page_as(browser, server, "kadis", "/pengesahan-sop")
    page.get_by_text("surat-keterangan-kerja").first.wait_for()
    page.get_by_role("button", name="Sahkan").first.click()
    wait_idle(page)
    page.get_by_text("disahkan dan berlaku").wait_for()
    ctx.close()

    ctx, page = _page_as(browser, server, "staf", "/surat-keterangan-kerja")
    page.get_by_role("heading", name="Penerbitan Surat Keterangan Kerja").wait_for()
    assert page.get_by_role("link", name="Penerbitan Surat Keterangan Kerja").count() == 1  # in the menu
    page.get_by_role("tab", name="Permohonan baru").click()
    page.get_by_role("button", name="Daftarkan permohonan").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"SKK/\d{4}/00001")).first.wait_for()
    ctx.close()
