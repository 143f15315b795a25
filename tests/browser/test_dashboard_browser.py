"""Journey 2 in a real browser: Kepala Dinas opens the dashboard on Monday morning, sees which step of
which SOP is late this month, clicks the worst one to see its late cases and downloads every late case of
the filter for the weekly meeting."""
import io

from openpyxl import load_workbook

from .conftest import login, wait_idle


def _cut_off(page, selector: str) -> list[str]:
    """The texts of the elements matching ``selector`` that do not fit their box (ellipsis or clipped)."""
    return page.locator(selector).evaluate_all(
        """els => els.filter(el => [el, ...el.querySelectorAll('*')].some(
               e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'))
           .map(el => el.innerText)""")


def test_a_click_on_a_ranked_step_opens_its_late_cases_and_the_download_covers_every_step(server, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, server, "kadis", path="/dasbor")
    page.get_by_role("heading", name="Dasbor kinerja SOP").wait_for()
    assert page.get_by_text("Median waktu selesai").count() == 1
    assert _cut_off(page, "[data-testid='stMetricValue']") == []
    assert _cut_off(page, "[data-testid='stMetricLabel']") == []
    page.get_by_text("Langkah yang paling melewati mutu baku").wait_for()  # the demo history has late steps
    grids = page.locator("[data-testid='stDataFrame']")
    assert grids.count() == 1 and page.get_by_label("Berkas yang melewati target pada langkah").count() == 0
    box = grids.first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 35 + 17)  # a cell of the first row
    wait_idle(page)
    page.get_by_text("Berkas terlambat pada").scroll_into_view_if_needed()
    grids.nth(1).wait_for()  # the ranking and the clicked step's late cases
    page.get_by_role("button", name="Siapkan unduhan XLSX semua berkas terlambat").click()
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="berkas terlambat (XLSX)").click()
    data = open(info.value.path(), "rb").read()
    book = load_workbook(io.BytesIO(data))
    assert len(book.worksheets) == 1
    sheet = book.active
    header = [c.value for c in sheet[3]]
    assert header[:3] == ["SOP", "Langkah", "Kegiatan"] and "Petugas" in header
    assert header.index("Proses (waktu kerja)") + 1 == header.index("Proses (menit kerja)")
    assert len({r[1] for r in sheet.iter_rows(min_row=4, values_only=True)}) > 1  # more than one step
    page.get_by_role("tab", name="Tren").click()
    wait_idle(page)
    page.get_by_text("Kepatuhan terhadap mutu baku per bulan").wait_for()
