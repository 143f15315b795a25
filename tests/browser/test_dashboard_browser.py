"""Journey 2 in a real browser: Kepala Dinas opens the dashboard on Monday morning, sees which step of
which SOP is late this month, picks the worst one and downloads its late cases for the weekly meeting."""
import io

from openpyxl import load_workbook

from .conftest import login, wait_idle


def test_kepala_dinas_sees_the_worst_step_and_downloads_its_late_cases(server, page):
    login(page, server, "kadis", path="/dasbor")
    page.get_by_role("heading", name="Dasbor kinerja SOP").wait_for()
    assert page.get_by_text("Langkah dalam mutu baku").count() == 1
    page.get_by_text("Langkah yang paling melewati mutu baku").wait_for()  # the demo history has late steps
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Berkas yang melewati target pada langkah")
    assert "kali terlambat" in (box.inner_text() + (box.locator("input").first.input_value() or ""))
    assert page.locator("[data-testid='stDataFrame']").count() == 2  # the ranking and the worst step's cases
    page.get_by_role("button", name="Siapkan unduhan XLSX").click()
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Unduh daftar berkas terlambat (XLSX)").click()
    data = open(info.value.path(), "rb").read()
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[3]]
    assert header[0] == "No. register" and "Lewat target (menit kerja)" in header
    assert sheet.max_row >= 4  # at least one late case
    page.get_by_role("tab", name="Tren").click()
    wait_idle(page)
    page.get_by_text("Kepatuhan terhadap mutu baku per bulan").wait_for()
