"""Opening a case from Tugas Saya lands on the case's own address (``/berkas?id=…``), and the browser's
history never holds the worklist's address with the case's id (``/tugas?id=…``)."""
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
    seen = [page.url]
    for _ in range(3):
        page.go_back()
        wait_idle(page)
        seen.append(page.url)
        if page.url.rstrip("/").endswith("/tugas"):
            break
    assert not [u for u in seen if "tugas?" in u], seen
    assert page.url.endswith("/tugas"), seen
