"""Acting for each other in the browser: the kasi completes three AK1 files in one bulk action, the kabid names
the kasi Plh for the week, the kasi signs step 5 as "Plh. Kepala Bidang … a.n. …" (the case's timeline and
the register say so), and after the period the kasi can no longer sign."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from lib.base import accounts
from lib.base.db import Delegation, session_factory, utcnow
from lib.casework import cases

from .conftest import SERVER_DB, login, screenshot, wait_idle
from .test_cases_browser import grid_column, logout, wait_text

PLH = "Plh. Kepala Bidang, Dewi Lestari a.n. Budi Santoso"


def _files_at_step_4(n: int) -> list[cases.CaseView]:
    """AK1 files whose steps 1–3 the counter has done (the same as through the pages, in fewer seconds)."""
    factory = session_factory(SERVER_DB["url"])
    out = []
    for i in range(n):
        with factory.begin() as s:
            staf = accounts.load_actor(s, "staf")
            v = cases.open_case(s, staf, "kartu-ak1", f"Pemohon Plh {i + 1}")
            for no in (1, 2, 3):
                v = cases.complete_step(s, staf, v.id, no, v.version, outcome="ya" if no == 2 else None)
        out.append(v)
    return out


def _pick(page, label: str, typed: str) -> None:
    box = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text(label, exact=True)).locator("input")
    box.click()
    page.keyboard.type(typed)
    option = page.get_by_role("option").filter(has_text=typed).first
    option.wait_for()
    option.click(force=True)  # the list may still be moving under a busy browser: no wait for it to settle
    wait_idle(page)


def test_kasi_bulk_completes_three_files_then_signs_as_plh_of_the_kabid_until_the_period_ends(server, page):
    login(page, server, "kasi", path="/tugas")  # the server's first run fills the demo history
    page.get_by_role("heading", name="Tugas Saya").wait_for()
    files = _files_at_step_4(3)
    page.reload()
    wait_idle(page)

    # One bulk action: step 4 (paraf) of the three files.
    page.get_by_text("Selesaikan beberapa berkas sekaligus").click()
    wait_idle(page)
    page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text("Langkah", exact=True)).wait_for()
    _pick(page, "Langkah", "langkah 4. Meneliti")
    berkas = page.locator("[data-testid='stMultiSelect']").filter(has=page.get_by_text("Berkas", exact=True))
    for v in files:
        berkas.locator("input").click()
        page.keyboard.type(v.register_no)
        page.get_by_role("option", name=v.register_no).click()
        wait_idle(page)  # each pick reruns the page: the next one waits for it
    page.keyboard.press("Escape")
    for v in files:  # all three are picked before the button is pressed
        berkas.get_by_text(v.register_no).first.wait_for()
    page.get_by_role("button", name="Selesaikan berkas terpilih").click()
    wait_text(page, "3 berkas selesai.")
    screenshot(page, "plh_01_bulk")
    logout(page)

    # The kabid names the kasi Plh for the week.
    login(page, server, "kabid", path="/plh")
    page.get_by_role("heading", name="Plh (Pelaksana Harian)").wait_for()
    _pick(page, "Plh (yang mewakili)", "Dewi Lestari")
    page.get_by_role("textbox", name="Alasan").fill("Cuti tahunan")
    page.get_by_role("button", name="Tunjuk Plh").click()
    page.get_by_text("Dewi Lestari ditunjuk sebagai Plh Budi Santoso", exact=False).wait_for()
    wait_idle(page)
    assert page.get_by_text(PLH).count() >= 1
    screenshot(page, "plh_02_named")
    logout(page)

    # The kasi signs step 5 of the first file as Plh.
    first, second = files[0], files[1]
    login(page, server, "kasi", path=f"/berkas?id={first.id}")
    page.get_by_role("heading", name=f"Berkas {first.register_no}").wait_for()
    wait_idle(page)
    page.get_by_text(f"Anda mengerjakan langkah ini sebagai {PLH}.").wait_for()
    page.get_by_role("button", name="Selesaikan langkah 5").click()
    wait_text(page, "Langkah 5 selesai.")
    assert PLH in grid_column(page, "Oleh")
    screenshot(page, "plh_03_signed", full_page=True)

    # The register says who signed.
    page.goto(server + "/kartu-ak1")
    wait_idle(page)
    page.get_by_role("tab", name="Buku Register").click()
    page.get_by_text("Klik satu baris untuk membuka berkasnya", exact=False).wait_for()
    wait_idle(page)
    numbers, signed = grid_column(page, "No. register"), grid_column(page, "Langkah terakhir oleh")
    assert signed[numbers.index(first.register_no)] == PLH, list(zip(numbers, signed))[:5]

    # After the period (its end moved to a minute ago) the kasi can no longer sign.
    with session_factory(SERVER_DB["url"]).begin() as s:
        s.execute(update(Delegation).values(ends_at=utcnow() - dt.timedelta(minutes=1),
                                            starts_at=utcnow() - dt.timedelta(days=7)))
    page.goto(server + f"/berkas?id={second.id}")
    page.get_by_role("heading", name=f"Berkas {second.register_no}").wait_for()
    wait_idle(page)
    page.get_by_text("Langkah ini dikerjakan oleh Kabid.").wait_for()
    assert page.get_by_role("button", name="Selesaikan langkah 5").count() == 0
    screenshot(page, "plh_04_after")
