"""Work announces itself, in a real browser: the staf registers an AK1 file and takes it to the Kasi's step; the
Kasi's bell counts it, opening it from *Kotak masuk* marks it read (the bell counts one less), completing the
step removes it from the inbox. (The Kepala Dinas's inbox entry for a submitted review is checked at the end of
test_evaluasi_browser.py, which submits one.)"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import login, wait_idle
from .test_cases_browser import REGISTER_NO, fill_intake_by_keyboard, finish, logout, submit_by_keyboard

BELL = re.compile(r"^Kotak masuk(?: \((\d+)\))?$")


def bell_count(page) -> int:
    """The number by the bell in the sidebar's menu (0 when it shows none)."""
    link = page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Kotak masuk")
    link.first.wait_for()
    text = link.first.inner_text().strip().split("\n")[-1].strip()
    match = BELL.match(text)
    assert match, text
    return int(match.group(1) or 0)


def test_a_registered_file_rings_the_kasis_bell_is_read_when_opened_and_leaves_when_done(server, page):
    page.set_default_timeout(30_000)
    login(page, server, "staf", path="/kartu-ak1")
    page.get_by_role("tab", name="Permohonan baru", selected=True).wait_for()
    fill_intake_by_keyboard(page, "Rahma Kotak Masuk", "1671015505950004",
                            ["FC KTP", "FC Ijazah Terakhir", "Pas Photo 3 x 4 (2 lbr)", "Pas Photo 2 x 3 (1 lbr)"])
    submit_by_keyboard(page)
    done = page.get_by_text(re.compile(r"Permohonan AK1/\d{4}/\d{5} terdaftar\."))
    done.wait_for()
    register_no = REGISTER_NO.search(done.inner_text()).group(0)
    wait_idle(page)
    page.get_by_role("link", name=f"Buka berkas {register_no}").click()
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    case_id = int(re.search(r"[?&]id=(\d+)", page.url).group(1))
    finish(page, 2, "lengkap")
    finish(page, 3)
    logout(page)

    login(page, server, "kasi", path="/kotak-masuk")
    page.get_by_role("heading", name="Kotak masuk").wait_for()
    entry = page.locator(f".st-key-entri-langkah-{case_id}-4-1")
    expect(entry).to_contain_text(f"{register_no} — langkah 4")
    expect(entry).to_contain_text("belum dibuka")
    before = bell_count(page)
    assert before >= 1
    entry.get_by_role("button", name="Buka").click()
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    assert re.search(rf"/berkas\?id={case_id}$", page.url), page.url
    assert bell_count(page) == before - 1  # read now

    finish(page, 4)
    page.goto(server + "/kotak-masuk")
    page.get_by_role("heading", name="Kotak masuk").wait_for()
    wait_idle(page)
    expect(page.locator(f".st-key-entri-langkah-{case_id}-4-1")).to_have_count(0)
    assert bell_count(page) == before - 1  # the read entry is gone, the count stays
