"""Journey 3 of docs/journeys.md in a real browser: the operator of Desa Karang Dalo downloads the validation
template, fills it the way a village does (a title row added above the header, NIK typed as numbers, one of
them cut by Excel, a misspelt status, a row pasted twice, a name left empty), uploads it on a slow
connection, reads every problem in Indonesian with its Excel row number, downloads the error report, fixes
it, and gets it accepted; the same file again changes nothing. The operator cannot see or pick another desa.

The slow connection is Chromium's own network emulation (DevTools ``Network.emulateNetworkConditions``), on
for the template download and both uploads. On such a line the preview table's code (about 1.8 MB, fetched the
first time a table is shown and cached for a year) takes over half a minute, so the first check is judged by
what arrives without it (the counts, the problems, the buttons) and the table is looked at with the line
restored. Set PORTAL_SHOTS=/some/dir to keep screenshots.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .conftest import IDLE, login, screenshot, wait_idle

KARANG_DALO = "Desa Karang Dalo, Kec. Jatipuro"
# 400 kbit/s each way and 400 ms round trip: a village office on a weak mobile signal.
SLOW = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
FAST = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
UPLOAD_INPUT = "[data-testid='stFileUploaderDropzoneInput']"
STATUS_CHOICES = "Valid (atau Layak), Tidak Valid (atau Tidak Layak), Meninggal, Pindah, Sudah Terdaftar BPJS"


@pytest.fixture
def tall_page(browser):
    """A tall viewport (the main area scrolls inside the app) that accepts downloads."""
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="id-ID", accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


_T0 = [0.0]


def shot(page, name: str) -> None:
    print(f"  {name}: {time.monotonic() - _T0[0]:.1f} s")
    screenshot(page, f"validasi_{name}", full_page=True)


def network(page):
    """A DevTools session of ``page`` with network emulation available: ``cdp.send(
    "Network.emulateNetworkConditions", SLOW)``."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    return cdp


def download(page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def upload(page, path: Path, wait_for: str) -> None:
    """Choose ``path`` in the uploader and wait until the check has drawn ``wait_for``, the run has ended and
    the four counts are drawn (on a slow line the metric's code may arrive after the run)."""
    page.locator(UPLOAD_INPUT).set_input_files(str(path))
    page.get_by_text(wait_for).first.wait_for()
    page.wait_for_selector(IDLE)
    page.locator("[data-testid='stMetricValue']").nth(3).wait_for()


def grid(page) -> dict[str, list[str]]:
    """The preview table's columns (all six fit the tall viewport), once the grid is drawn."""
    table = page.locator("[data-testid='stDataFrame'] table[role='grid']")
    table.wait_for(state="attached")
    heads = table.locator("th").all_inner_texts()
    return {h: table.locator(f"td[aria-colindex='{i + 1}']").all_inner_texts() for i, h in enumerate(heads)}


def metrics(page) -> dict[str, str]:
    out = {}
    for m in page.locator("[data-testid='stMetric']").all():
        out[m.locator("[data-testid='stMetricLabel']").inner_text().strip()] = \
            m.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


def header_row(ws, first: str = "No") -> int:
    return next(r for r in range(1, 31) if ws.cell(r, 1).value == first and ws.cell(r, 2).value == "NIK")


def fill_like_a_village(template: Path, out: Path) -> dict[str, int]:
    """The template filled carelessly; returns the Excel row of each person as the village sees it."""
    wb = load_workbook(template)
    ws = wb["Validasi"]
    ws.protection.sheet = False            # "Unprotect Sheet" (no password), to add a title row
    ws.insert_rows(1)
    ws["A1"] = "DATA VALIDASI PEKERJA RENTAN DESA KARANG DALO TAHUN 2026"
    h = header_row(ws)
    rows = {ws.cell(r, 3).value: r for r in range(h + 1, h + 9)}
    assert len(rows) == 8, rows
    for r in rows.values():
        ws.cell(r, 7).value = "Valid"
    bambang, joko, parni = rows["Bambang Hartono"], rows["Joko Susilo"], rows["Parni"]
    ws.cell(bambang, 2).value = int(ws.cell(bambang, 2).value[:15] + "0")  # typed as a number: Excel keeps 15 digits
    ws.cell(joko, 2).value = 3.31301e15                                     # a number shown as 3,31301E+15, copied
    ws.cell(parni, 2).value = int(ws.cell(parni, 2).value)                 # a number from a spreadsheet that kept it
    ws.cell(parni, 7).value = "Valld"
    ws.cell(rows["Sri Lestari"], 3).value = None
    ws.cell(rows["Sri Lestari"], 7).value = "Meninggal"
    ws.cell(rows["Suparmi"], 7).value = " valid "
    ws.cell(rows["Tukiyem"], 7).value = "Pindah"
    ws.cell(rows["Tukiyem"], 8).value = "Pindah ke Kota Surakarta"
    ws.cell(rows["Wagiman"], 7).value = "Sudah Terdaftar BPJS"
    pasted = h + 9                                                         # Tukiyem pasted again below the list
    for j in range(1, 9):
        ws.cell(pasted, j).value = ws.cell(rows["Tukiyem"], j).value
    rows["Tukiyem (lagi)"] = pasted
    wb.save(out)
    return rows


def test_operator_karang_dalo_validates_the_list_on_a_slow_connection(server, tall_page, tmp_path):
    page = tall_page
    began = _T0[0] = time.monotonic()
    login(page, server, "operator", path="/validasi-desa")
    page.get_by_role("heading", name="Validasi desa").wait_for()
    cdp = network(page)
    cdp.send("Network.emulateNetworkConditions", SLOW)

    # Only the operator's own desa: one choice, fixed, no other desa named anywhere.
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Desa/kelurahan")
    assert box.locator("input").input_value() == KARANG_DALO
    assert box.locator("input").is_disabled()
    for other in ("Jatiharjo", "Jatisobo", "Kaling", "Ngijo", "Bejen", "Cangakan"):
        assert page.get_by_text(other).count() == 0, other
    page.get_by_text("8 calon penerima.").wait_for()
    shot(page, "01_page")

    # 1. The template: a real XLSX of Karang Dalo's eight candidates, the NIK column as text.
    template = download(page, "Unduh templat validasi (XLSX)", tmp_path)
    assert template.name == "validasi-karang-dalo.xlsx"
    assert template.read_bytes()[:2] == b"PK"
    wb = load_workbook(template)
    ws = wb["Validasi"]
    assert KARANG_DALO in ws["A2"].value
    h = header_row(ws)
    people = [(ws.cell(r, 2).value, ws.cell(r, 3).value) for r in range(h + 1, h + 9)]
    assert {n for _, n in people} == {"Suparmi", "Wagiman", "Sri Lestari", "Joko Susilo", "Tukiyem",
                                      "Slamet Riyadi", "Parni", "Bambang Hartono"}
    assert all(isinstance(nik, str) and len(nik) == 16 and nik.startswith("331301") for nik, _ in people), people
    assert ws.cell(h + 1, 2).number_format == "@" and ws.cell(h + 50, 2).number_format == "@"
    assert ws.cell(h + 9, 2).value is None  # nobody from another desa

    # 2. Filled carelessly and uploaded on the slow connection.
    filled = tmp_path / "upload" / "validasi-karang-dalo.xlsx"  # saved under the template's own name
    filled.parent.mkdir()
    rows = fill_like_a_village(template, filled)
    upload(page, filled, "masalah membuat baris tidak sah")
    shot(page, "02_problems_slow")  # everything but the table, which is still on its way
    assert metrics(page) == {"Baris": "9", "Sah": "4", "Sah, dengan catatan": "0", "Tidak sah": "5"}
    assert page.get_by_text("judul kolom di baris 6").count() == 1  # the title row the village added is skipped
    parni, sri, joko, bambang = rows["Parni"], rows["Sri Lestari"], rows["Joko Susilo"], rows["Bambang Hartono"]
    assert (bambang, joko, parni, sri, rows["Tukiyem"], rows["Tukiyem (lagi)"]) == (7, 8, 9, 11, 13, 15)
    expected = [
        f"Baris {parni}, kolom G (Status): Status “Valld” tidak dikenal (maksudnya “Valid”?). "
        f"Pilih salah satu: {STATUS_CHOICES}.",
        f"Baris {sri}, kolom C (Nama Lengkap): Nama kosong; isi nama lengkap sesuai KTP.",
        f"Baris {rows['Tukiyem (lagi)']}, kolom B (NIK): NIK ini sudah tertulis di baris {rows['Tukiyem']}; "
        "satu orang cukup satu baris. Hapus salah satu.",
        f"Baris {bambang}, kolom B (NIK): NIK diketik sebagai angka dan berakhir 0: Excel hanya menyimpan 15 angka, "
        "jadi angka terakhir mungkin hilang. Format kolom NIK sebagai Teks lalu ketik ulang NIK-nya.",
        f"Baris {joko}, kolom B (NIK): NIK diketik sebagai angka dan berakhir 0: Excel hanya menyimpan 15 angka, "
        "jadi angka terakhir mungkin hilang. Format kolom NIK sebagai Teks lalu ketik ulang NIK-nya.",
    ]
    for message in expected:
        assert page.get_by_text(message, exact=True).count() == 1, message
    # One message per damaged NIK: its zeroed serial or birth date is the same damage, not told again.
    assert page.get_by_text("5 masalah membuat baris tidak sah, pada 5 baris.", exact=False).count() == 1
    assert page.get_by_role("button", name="Terima 4 baris sah (lewati 5 tidak sah)").count() == 1
    # The number NIK of row 9 is a note, not a reason: that row is refused for its status.
    # The note's title says it sits on a row that is not valid anyway, so "Sah, dengan catatan 0" agrees with it.
    page.get_by_text("1 catatan pada 0 baris sah dengan catatan dan 1 baris yang juga tidak sah").click()
    page.get_by_text(f"Baris {parni}, kolom B (NIK): NIK diketik sebagai angka; lain kali format kolom NIK sebagai "
                     "Teks.", exact=True).wait_for()

    # The table, with the line restored: every row at its Excel number, the bad ones "Tidak sah".
    cdp.send("Network.emulateNetworkConditions", FAST)
    table = grid(page)
    assert table["Baris"] == [str(r) for r in range(7, 16)], table
    assert [r for r, h in zip(table["Baris"], table["Hasil"]) if h == "Tidak sah"] == ["7", "8", "9", "11", "15"]
    assert table["NIK"][3] == "3313********0006"  # masked on screen
    shot(page, "03_problems")

    # The error report: the village's rows at their own row numbers, with the reasons in "Alasan".
    report = download(page, "Unduh laporan kesalahan (XLSX)", tmp_path)
    assert report.name == "perbaikan-validasi-karang-dalo.xlsx"
    rb = load_workbook(report)
    rs = rb.worksheets[0]
    heads = [c.value for c in rs[h + 1]]
    assert heads[:8] == ["No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Status",
                         "Keterangan"]
    alasan = heads.index("Alasan") + 1
    assert rs.cell(parni, 7).value == "Valld" and rs.cell(parni, 3).value == "Parni"
    assert rs.cell(parni, alasan).value.splitlines() == [
        "Kolom B (NIK): NIK diketik sebagai angka; lain kali format kolom NIK sebagai Teks.",
        f"Kolom G (Status): Status “Valld” tidak dikenal (maksudnya “Valid”?). Pilih salah satu: {STATUS_CHOICES}."]
    assert rs.cell(sri, alasan).value == "Kolom C (Nama Lengkap): Nama kosong; isi nama lengkap sesuai KTP."
    assert "sudah tertulis di baris 13" in rs.cell(rows["Tukiyem (lagi)"], alasan).value
    assert rs.cell(rows["Slamet Riyadi"], alasan).value is None
    assert rs.cell(bambang, 2).value == "3313012212810000"  # the number back as text, to be retyped
    assert "Ringkasan" in rb.sheetnames

    # 3. Fixed in the report itself (as its "Ringkasan" sheet says) and uploaded again.
    for (nik, nama) in people:
        if nama in ("Bambang Hartono", "Joko Susilo", "Parni"):
            rs.cell(rows[nama], 2).value = nik
    rs.cell(parni, 7).value = "Valid"
    rs.cell(sri, 3).value = "Sri Lestari"
    rs.delete_rows(rows["Tukiyem (lagi)"])
    fixed = tmp_path / "upload" / "perbaikan-validasi-karang-dalo.xlsx"
    rb.save(fixed)
    cdp.send("Network.emulateNetworkConditions", SLOW)
    upload(page, fixed, "Terima 8 baris sah")
    shot(page, "04_fixed")
    assert metrics(page) == {"Baris": "8", "Sah": "8", "Sah, dengan catatan": "0", "Tidak sah": "0"}
    assert page.get_by_text("masalah membuat baris tidak sah").count() == 0
    page.get_by_role("button", name="Terima 8 baris sah").click()
    page.get_by_text(f"Berkas diterima untuk {KARANG_DALO}: 8 baris disimpan.").wait_for()
    page.wait_for_selector(IDLE)
    shot(page, "05_accepted")
    assert page.get_by_role("button", name="Terima 8 baris sah").count() == 0
    assert page.get_by_text("Berkas ini sudah diterima pada", exact=False).count() == 1
    accepted = re.compile(r"· perbaikan-validasi-karang-dalo\.xlsx · 8 baris disimpan$")
    assert page.get_by_role("heading", name="Berkas yang sudah diterima").count() == 1
    assert page.get_by_role("listitem").filter(has_text=accepted).count() == 1

    # 4. The same file again, in a new visit: recognised, nothing to accept.
    page.reload()
    wait_idle(page)
    upload(page, fixed, "Berkas yang sama persis sudah diterima")
    shot(page, "06_again")
    assert page.get_by_text("(8 baris). Mengunggahnya lagi tidak mengubah apa pun.", exact=False).count() == 1
    assert page.get_by_role("button", name=re.compile(r"Terima \d")).count() == 0
    assert page.get_by_role("listitem").filter(has_text=accepted).count() == 1  # still the one accepted file

    elapsed = time.monotonic() - began
    print(f"\nvalidasi journey: {elapsed:.1f} s")


def test_operator_cannot_open_the_page_for_another_desa(server, page, tmp_path):
    """A link naming another desa still shows the operator's own desa only, and its template is their own."""
    login(page, server, "operator", path="/validasi-desa?desa=jatiharjo")
    page.get_by_role("heading", name="Validasi desa").wait_for()
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Desa/kelurahan")
    assert box.locator("input").input_value() == KARANG_DALO
    assert box.locator("input").is_disabled()
    assert page.get_by_text("Jatiharjo").count() == 0
    template = download(page, "Unduh templat validasi (XLSX)", tmp_path)
    assert template.name == "validasi-karang-dalo.xlsx"
    assert KARANG_DALO in load_workbook(template)["Validasi"]["A2"].value
