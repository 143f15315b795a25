"""Everything a user reads is Indonesian, Streamlit's own texts included: every page of the menu, as every
demo role, shows none of Streamlit's English phrases; an unknown address lands on our Indonesian page.

One server for the whole module and one login per role; pages are opened by clicking the menu (no reload).
Each role's first page and its sidebar (menu, scope labels) are checked; every other page of the menu is visited
once, by the first role whose menu has it, so that every page is seen and the suite stays within its time. Grid
cells are drawn on a canvas and cannot be read here: tests/test_bahasa.py covers their labels.
"""
from __future__ import annotations

import re

import pytest

from lib.base import accounts

from .conftest import login, wait_idle

#: Streamlit's English texts (case-sensitive: the icons' ligatures such as ``upload_file`` are lower case).
ENGLISH = ("Choose an option", "Choose options", "Select all", "Upload", "per file", "Drag and drop", "Browse files",
           "Press Enter", "Page not found", "None", "No results", "No options", "View more", "View less")
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
ROLES = [u[0] for u in accounts.DEMO_USERS]


def english_in(page) -> list[str]:
    page.wait_for_timeout(300)  # let late elements (charts, uploaders) draw
    return sorted(set(_ENGLISH.findall(page.locator("body").inner_text())))


def menu_paths(page) -> list[str]:
    hrefs = page.locator("[data-testid='stSidebarNav'] a").evaluate_all("links => links.map(a => a.href)")
    return [re.sub(r"^https?://[^/]+/?", "", h).split("?")[0] for h in hrefs]


@pytest.fixture(scope="module")
def seen_pages():
    return set()


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_every_role_shows_no_english_streamlit_text(server, browser, username, seen_pages):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, server, username)
        wait_idle(page)
        found = {"(halaman pertama)": words} if (words := english_in(page)) else {}
        paths = menu_paths(page)
        assert paths, "menu kosong"
        for path in paths:
            if path in seen_pages:
                continue
            seen_pages.add(path)
            page.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']").first.click()
            wait_idle(page)
            words = english_in(page)
            if words:
                found[path or "/"] = words
        assert not found, f"{username}: teks Inggris Streamlit di halaman {found}"
    finally:
        context.close()


def test_a_visitor_sees_the_login_page_and_the_survey_in_indonesian(server, page):
    page.goto(server + "/")
    wait_idle(page)
    page.get_by_label("Nama pengguna").wait_for()  # the login form, drawn after the first run
    assert english_in(page) == []
    page.goto(server + "/skm")
    wait_idle(page)
    assert english_in(page) == []


@pytest.mark.parametrize("path", ["/halaman-yang-tidak-ada", "/data%20lama"])
def test_an_unknown_address_lands_on_an_indonesian_not_found_page_with_a_link_home(server, page, path):
    login(page, server, "staf")
    page.goto(server + path)
    wait_idle(page)
    page.get_by_text("Halaman tidak ditemukan").first.wait_for()
    assert english_in(page) == []
    assert not page.locator("[role='dialog']").is_visible()
    page.get_by_role("link", name="Kembali ke halaman utama").click()
    wait_idle(page)
    page.get_by_text("Cari SOP").first.wait_for()


def test_a_file_uploader_has_an_indonesian_button_and_caption(server, page):
    login(page, server, "operator", path="/validasi-desa")
    zone = page.locator("[data-testid='stFileUploaderDropzone']").first
    zone.wait_for()
    after = zone.locator("button [data-has-shortcut]").evaluate("e => getComputedStyle(e, '::after').content")
    assert after == '"Pilih berkas"'
    page.get_by_text("per berkas").first.wait_for()
    assert english_in(page) == []


def test_a_multiselect_offers_pilih_semua_not_select_all(server, page):
    login(page, server, "staf", path="/tugas")
    page.locator("[data-testid='stMultiSelect']").first.click()
    dropdown = page.locator("[data-testid='stMultiSelectDropdown']")
    dropdown.wait_for()
    assert "Select all" not in dropdown.inner_text()
    label = dropdown.locator("[data-key='__select_all__']").evaluate("e => getComputedStyle(e, '::after').content")
    assert label == '"Pilih semua"'
