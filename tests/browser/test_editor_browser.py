"""Journey 7 in a real browser: the admin writes a new three-step SOP in the editor, Kepala Dinas approves
it, and counter staff open a case on it — no restart, no code."""
import re

from .conftest import login, wait_idle


def _type_in_new_row(page, grid, row: int, text: str, actor: str) -> None:
    """Add a row to the steps' data editor (a canvas grid), type its kegiatan into the first column and choose its
    executor in the second: a new row starts with neither, and the page names the step's missing fields until
    each has arrived (which is also what tells the test that the app has seen each change)."""
    step = row + 1
    box = grid.bounding_box()
    x, y = box["x"] + 80, box["y"] + 35 + 35 * row + 17
    page.mouse.click(x, y)  # on the empty last row: adds a row (and the app reruns)
    page.get_by_text(f"Langkah {step}: kegiatan kosong.").wait_for()
    page.get_by_text(f"Langkah {step}: pelaksana belum dipilih.").wait_for()  # nobody is chosen for it
    wait_idle(page)
    page.mouse.dblclick(x, y)  # open the cell's editor
    cell = page.locator("textarea.gdg-input, input.gdg-input").first
    cell.fill(text)  # into the cell's editor itself, focused (keys typed before it has focus go nowhere)
    cell.press("Enter")  # keep the text; the selection moves one row down
    page.get_by_text(f"Langkah {step}: kegiatan kosong.").wait_for(state="detached")
    wait_idle(page)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")  # the row's pelaksana cell
    page.keyboard.press("Enter")  # open its choices
    page.get_by_role("listbox").wait_for()
    page.keyboard.type(actor)  # filter the choices to that executor and take it
    page.keyboard.press("Enter")
    page.get_by_text(f"Langkah {step}: pelaksana belum dipilih.").wait_for(state="detached")
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
    _type_in_new_row(page, steps, 1, "Menyiapkan surat", "petugas")
    _type_in_new_row(page, steps, 2, "Menandatangani surat", "petugas")
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
    page.get_by_text("Saya telah membaca perbedaannya").first.click()  # approving asks for this confirmation
    wait_idle(page)
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
