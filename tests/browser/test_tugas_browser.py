"""Opening a case from Tugas Saya lands on the case's own address (``/berkas?id=…``), not on the worklist's
address with the case's id (``/tugas?id=…``). (Which addresses the browser's history keeps on the way is
Streamlit's: under load it may briefly record ``/tugas?id=…`` while the page changes, so it is not asserted.)"""
from __future__ import annotations

import re

from .conftest import login, wait_idle
from .test_cases_browser import click_grid_row


def test_a_row_of_tugas_saya_opens_the_case_at_its_own_address(server, page):
    login(page, server, "kasi", path="/tugas")
    page.get_by_role("heading", name="Tugas Saya").wait_for()
    click_grid_row(page, 0)
    page.get_by_role("heading", name=re.compile(r"^Berkas ")).wait_for()
    wait_idle(page)
    assert re.search(r"/berkas\?id=\d+$", page.url), page.url
    page.wait_for_timeout(500)
    wait_idle(page)
    assert re.search(r"/berkas\?id=\d+$", page.url), page.url  # and it stays there
