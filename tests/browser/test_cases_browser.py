"""Journey 1 of docs/journeys.md in a real browser: an AK1 file from the counter, back once to the applicant,
through the Kasi's paraf and the Kabid's signature to "Selesai" and into the Buku Register.

The demo history fills the database on the server's first run, so register numbers are read from the
page, never assumed. After every action the test waits for a text the rerun draws (the flash "Langkah N
selesai.") and not only for the app to go idle: a radio or button found during a rerun may be the old one.
Set PORTAL_SHOTS=/some/dir to keep screenshots of each stage.
"""
from __future__ import annotations

import re
import time

import pytest

from .conftest import IDLE, login, screenshot, wait_idle

REGISTER_NO = re.compile(r"AK1/\d{4}/\d{5}")
ROW_PX = 35  # st.dataframe's header and row height


@pytest.fixture
def tall_page(browser):
    """A tall viewport: the main area scrolls inside the app, and the case page is long."""
    context = browser.new_context(viewport={"width": 1400, "height": 2200}, locale="id-ID")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    screenshot(page, f"cases_{name}")


class Laps:
    """Wall time per phase of a journey, printed at the end (pytest -s shows it)."""

    def __init__(self):
        self.last = self.first = time.monotonic()
        self.laps: list[tuple[str, float]] = []

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.laps.append((name, now - self.last))
        self.last = now

    def report(self) -> str:
        return ", ".join(f"{n} {s:.1f} s" for n, s in self.laps) + f"; total {self.last - self.first:.1f} s"


def _focused_label(page) -> str:
    return page.evaluate("() => { const e = document.activeElement;"
                         " return e ? (e.getAttribute('aria-label') || e.innerText || e.tagName) : ''; }")


def tab_to(page, label: str, limit: int = 12) -> int:
    """Press Tab until the element labelled ``label`` has the focus; the number of presses."""
    presses = 0
    while _focused_label(page).strip().split("\n")[-1] != label:  # a button's text starts with its icon
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= limit, f"“{label}” not reached with {limit} Tab presses (now on “{_focused_label(page)}”)"
    return presses


def fill_intake_by_keyboard(page, name: str, nik: str, documents: list[str]) -> None:
    """The AK1 intake form with the keyboard only, from the page as loaded (no focus yet).

    Tab is pressed until the next field has the focus, not a fixed number of times: the NIK's help icon
    and the date's calendar button are Tab stops of their own between the fields."""
    tab_to(page, "Nama lengkap *", limit=40)  # skip link, the menu, the tabs, then the form
    page.keyboard.type(name)
    tab_to(page, "NIK *")
    page.keyboard.type(nik)
    tab_to(page, "day, Tanggal lahir *")
    page.keyboard.type("15051995")  # the segmented date field moves on to month and year by itself
    tab_to(page, "Jenis kelamin *")
    page.keyboard.type("Perem")
    page.keyboard.press("Enter")
    tab_to(page, "Pendidikan terakhir *")
    page.keyboard.type("D4")
    page.keyboard.press("Enter")
    for label in documents:
        tab_to(page, label)
        page.keyboard.press("Space")
    for label in documents:
        assert page.get_by_role("checkbox", name=label).is_checked()


def submit_by_keyboard(page) -> None:
    tab_to(page, "Daftarkan permohonan")
    page.keyboard.press("Enter")


def logout(page) -> None:
    page.get_by_role("button", name="Keluar").click()
    page.get_by_label("Nama pengguna").wait_for()
    wait_idle(page)


def wait_text(page, text: str) -> None:
    """Wait for a text the rerun draws, then for that rerun to end (no fixed pause: the text proves the
    rerun has started)."""
    page.get_by_text(text, exact=True).first.wait_for()
    page.wait_for_selector(IDLE)


def start(page, no: int) -> None:
    page.get_by_role("button", name=f"Mulai langkah {no}").click()
    wait_text(page, f"Langkah {no} dimulai.")


def finish(page, no: int, outcome: str | None = None) -> None:
    if outcome:
        page.get_by_text(outcome, exact=True).click()
    page.get_by_role("button", name=f"Selesaikan langkah {no}").click()
    wait_text(page, f"Langkah {no} selesai.")


def metric(page, label: str) -> str:
    """A value of the case page's summary line ("Status: … · Pemohon: … · Langkah berjalan: … · Lama: …")."""
    line = page.locator("[data-testid='stMarkdownContainer'] p").filter(has_text="Langkah berjalan:").first
    parts = dict(part.split(":", 1) for part in line.inner_text().split(" · "))
    return parts[label].strip()


def grid_rows(page, frame_index: int = 0) -> int:
    """Data rows of the nth st.dataframe (the grid's accessible table counts its header row too)."""
    grid = page.locator("[data-testid='stDataFrame']").nth(frame_index).locator("table[role='grid']")
    return int(grid.get_attribute("aria-rowcount")) - 1


def grid_column(page, header: str, frame_index: int = 0) -> list[str]:
    """The cells of one column of the nth st.dataframe. The grid renders only the columns in view, so it is
    scrolled sideways from its left edge until the column shows (by scrollLeft: a wheel at the grid's
    edge would be taken by Chromium as a swipe back in history)."""
    frame = page.locator("[data-testid='stDataFrame']").nth(frame_index)
    table = frame.locator("table[role='grid']")
    scroller = frame.locator(".dvn-scroller")
    width, view = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    for left in range(0, max(width - view, 0) + view, max(view // 2, 1)):
        scroller.evaluate("(e, x) => { e.scrollLeft = x; }", left)
        page.wait_for_timeout(150)
        heads = table.locator("th").all_inner_texts()
        if header in heads:
            col = table.locator("th").nth(heads.index(header)).get_attribute("aria-colindex")
            return table.locator(f"td[aria-colindex='{col}']").all_inner_texts()
    raise AssertionError(f"no column “{header}” in the grid")


def click_grid_row(page, row: int, frame_index: int = 0) -> None:
    """Select ``row`` of a single-row-select st.dataframe by clicking its row-marker cell."""
    box = page.locator("[data-testid='stDataFrame']").nth(frame_index).bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_PX + row * ROW_PX + ROW_PX / 2)


def test_staf_registers_an_ak1_applicant_by_keyboard_in_under_30_seconds_and_kasi_and_kabid_finish_the_file(
        server, browser, tall_page):
    page = tall_page
    lap = Laps()
    login(page, server, "staf")  # the first run of the server also fills the demo history
    lap("login")

    # Counter: the whole registration, page load to the success message, with the keyboard.
    began = time.monotonic()
    page.goto(server + "/kartu-ak1")
    wait_idle(page)
    page.get_by_role("tab", name="Permohonan baru", selected=True).wait_for()
    fill_intake_by_keyboard(page, "Siti Aminah Browser", "1671015505950003",
                            ["FC KTP", "FC Ijazah Terakhir", "Pas Photo 3 x 4 (2 lbr)"])
    submit_by_keyboard(page)
    done = page.get_by_text(re.compile(r"Permohonan AK1/\d{4}/\d{5} terdaftar\."))
    done.wait_for()
    registration_s = time.monotonic() - began
    assert registration_s < 30, f"registration took {registration_s:.1f} s"
    wait_idle(page)
    register_no = REGISTER_NO.search(done.inner_text()).group(0)
    # A clean form for the next applicant.
    assert page.get_by_role("textbox", name="Nama lengkap *").input_value() == ""
    shot(page, "01_registered")
    lap("registration")

    page.get_by_role("link", name=f"Buka berkas {register_no}").click()
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    case_id = int(re.search(r"[?&]id=(\d+)", page.url).group(1))
    assert metric(page, "Status") == "Berjalan"
    assert metric(page, "Langkah berjalan") == "2"
    assert page.get_by_text("1671********0003").count() == 1  # the NIK is masked
    assert page.get_by_text("1671015505950003").count() == 0

    # Step 2: one document missing, the file goes back; the note is the missing document.
    page.get_by_text("tidak lengkap", exact=True).click()
    note = page.get_by_role("textbox", name="Catatan")
    assert "Pas Photo 2 x 3" in (note.get_attribute("placeholder") or "")
    page.get_by_role("button", name="Selesaikan langkah 2").click()
    wait_text(page, "Langkah 2 selesai.")
    assert metric(page, "Status") == "Dikembalikan ke pemohon"
    assert page.get_by_text("Langkah 1: Mengajukan persyaratan untuk pembuatan AK1 — Pemohon (ke-2)").count() == 1
    notes = grid_column(page, "Catatan")
    assert any("Pas Photo 2 x 3" in n for n in notes), notes
    shot(page, "02_returned")
    lap("returned at step 2")

    # The applicant comes back with the missing photo: the same case, step 1 again, checklist updated.
    page.get_by_role("checkbox", name="Pas Photo 2 x 3 (1 lbr)").check(force=True)
    page.get_by_role("button", name="Terima berkas kembali (langkah 1)").click()
    wait_text(page, "Berkas diterima kembali dan diteruskan.")
    assert page.get_by_role("heading", name=f"Berkas {register_no}").count() == 1
    assert metric(page, "Status") == "Berjalan"
    finish(page, 2, "lengkap")
    start(page, 3)
    finish(page, 3)
    assert page.get_by_text("Langkah ini dikerjakan oleh Kasi.").count() == 1
    assert page.get_by_role("button", name="Selesaikan langkah 4").count() == 0
    lap("steps 1-3")
    logout(page)

    # Kasi: from Tugas Saya, filtered to AK1, click the file's row; paraf.
    login(page, server, "kasi", path="/tugas")
    page.get_by_role("heading", name="Tugas Saya").wait_for()
    page.locator("[data-testid='stMultiSelect']").filter(has_text="SOP").locator("input").click()
    page.keyboard.type("Kartu Pencari")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_idle(page)
    assert set(grid_column(page, "SOP")) == {"Kartu Pencari Kerja (AK1)"}
    numbers = grid_column(page, "No. register")
    assert register_no in numbers, numbers
    shot(page, "03_tugas_kasi")
    click_grid_row(page, numbers.index(register_no))
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    lap("kasi finds it in Tugas Saya")
    start(page, 4)
    finish(page, 4)
    logout(page)
    lap("step 4")

    # Kabid: signs (step 5), from a link to the file.
    login(page, server, "kabid", path=f"/berkas?id={case_id}")
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    finish(page, 5)
    logout(page)
    lap("kabid step 5")

    # Counter: hands the card over (step 6); the file is done.
    login(page, server, "staf", path=f"/berkas?id={case_id}")
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    finish(page, 6)
    assert metric(page, "Status") == "Selesai"
    assert metric(page, "Langkah berjalan") == "—"
    # The innermost block holding the notice is the bordered box (blocks come in document order).
    skm_box = page.locator("[data-testid='stVerticalBlock']").filter(has=page.get_by_text("Layanan selesai.")).last
    assert skm_box.locator("svg").count() >= 1
    survey = page.locator("a[href*='/skm?layanan=kartu-ak1']")
    assert survey.count() >= 1
    survey_url = survey.first.get_attribute("href")
    assert grid_rows(page) == 8  # 1, 2 (tidak lengkap), 1 (ke-2), 2, 3, 4, 5, 6
    steps = grid_column(page, "Langkah")
    assert steps == ["1", "2", "1", "2", "3", "4", "5", "6"], steps
    outcomes = grid_column(page, "Hasil")
    assert outcomes[1] == "tidak lengkap" and outcomes[3] == "lengkap", outcomes
    shot(page, "04_selesai")
    lap("staf step 6")

    # Buku Register of the SOP shows the card as done.
    page.goto(server + "/kartu-ak1")
    wait_idle(page)
    page.get_by_role("tab", name="Buku Register").click()
    search = page.get_by_role("textbox", name="Cari nomor register atau nama")
    search.fill(register_no)
    search.press("Enter")
    wait_idle(page)
    page.get_by_text(re.compile(r"^1 berkas\.")).wait_for()
    assert grid_column(page, "No. register") == [register_no]
    assert grid_column(page, "Status") == ["Selesai"]
    shot(page, "05_register")
    lap("buku register")

    # The QR code's address opens the survey for this service on a phone, without logging in.
    phone_context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True, locale="id-ID")
    phone = phone_context.new_page()
    phone.goto(survey_url)
    wait_idle(phone)
    phone.get_by_role("heading", name="Survei Kepuasan Masyarakat").wait_for()
    assert phone.get_by_label("Nama pengguna").count() == 0
    assert phone.get_by_role("combobox", name="Layanan yang Anda terima").input_value() == "Kartu Pencari Kerja (AK1)"
    shot(phone, "07_skm_phone")
    phone_context.close()
    lap("survey link")
    print(f"\nAK1 journey {register_no}: registration {registration_s:.1f} s; {lap.report()}")


def test_a_15_digit_nik_is_refused_in_indonesian_under_the_field_and_nothing_is_registered(server, tall_page):
    page = tall_page
    login(page, server, "staf", path="/kartu-ak1")
    page.get_by_role("tab", name="Permohonan baru", selected=True).wait_for()
    name = "Nina Nik Pendek"
    fill_intake_by_keyboard(page, name, "167101550595000", ["FC KTP"])
    submit_by_keyboard(page)
    error = page.get_by_text("NIK harus 16 angka; tertulis “167101550595000” (15 karakter).")
    error.wait_for()
    wait_idle(page)
    shot(page, "06_nik_error")
    # Under the NIK field, in its column; no other field complains.
    nik_box = page.get_by_role("textbox", name="NIK *")
    column = page.locator("[data-testid='stColumn']").filter(has=nik_box).last
    assert column.locator("[data-testid='stAlert']").filter(has_text="NIK harus 16 angka").count() == 1
    assert error.bounding_box()["y"] > nik_box.bounding_box()["y"]
    assert page.locator("[data-testid='stAlert']").count() == 1
    assert page.get_by_text("terdaftar").count() == 0
    # What was typed stays, to be corrected.
    assert page.get_by_role("textbox", name="Nama lengkap *").input_value() == name
    assert nik_box.input_value() == "167101550595000"
    # Nothing in the Buku Register under that name.
    page.get_by_role("tab", name="Buku Register").click()
    search = page.get_by_role("textbox", name="Cari nomor register atau nama")
    search.fill(name)
    search.press("Enter")
    wait_idle(page)
    page.get_by_text("Belum ada berkas pada buku register ini untuk filter tersebut.").wait_for()
