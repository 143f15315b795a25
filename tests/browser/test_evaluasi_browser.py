"""Evaluasi Triwulan in a real browser: the evaluation team opens a review from its "Belum dibuka" row, answers
one question "Tidak", adds a finding with the *Tambah temuan* button (no hidden add-row of a grid), removes a
stray one with *Hapus*, and submits; the review then waits in the Kepala Dinas's *Kotak masuk*."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import login, screenshot, wait_idle
from .test_cases_browser import click_grid_row


def main(page):
    return page.locator("[data-testid='stMain']")


def test_a_tidak_answer_is_submitted_with_a_finding_added_by_its_button(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, server, "evaluator", path="/evaluasi")
        page.goto(server + "/evaluasi")
        wait_idle(page)
        page.locator("[data-testid='stDataFrame']").first.wait_for()
        click_grid_row(page, 0)
        wait_idle(page)
        opener = main(page).get_by_role("button", name=re.compile(r"^.*Buka evaluasi .+"))
        opener.last.click()
        wait_idle(page)
        page.get_by_role("heading", name=re.compile(r"Evaluasi Triwulan — ")).wait_for()
        groups = main(page).get_by_role("radiogroup")
        for i in range(7):
            groups.nth(i).get_by_text("Tidak" if i == 1 else "Ya", exact=True).click()
        main(page).get_by_label("Catatan").nth(1).fill("Istilah pada langkah 2 membingungkan.")
        main(page).get_by_label("Kesimpulan").fill("Perlu perbaikan bahasa.")
        for _ in range(2):
            main(page).get_by_role("button", name="Tambah temuan").click()
            wait_idle(page)
        main(page).get_by_role("button", name="Hapus temuan 1").click()
        wait_idle(page)
        expect(main(page).get_by_role("button", name="Hapus temuan 2")).to_have_count(0)  # waits for the rerun
        for label in ("Temuan 1", "Tindak lanjut", "Penanggung jawab"):  # the removed row's elements are gone
            expect(main(page).get_by_label(label)).to_have_count(1)
        main(page).get_by_label("Temuan 1").fill("Istilah pengadministrasi tidak dipahami pemohon.")
        main(page).get_by_label("Tindak lanjut").fill("Ganti istilah pada revisi berikut.")
        main(page).get_by_label("Penanggung jawab").fill("Kasi Penempatan")
        for segment, value in (("day", "31"), ("month", "12"), ("year", "2030")):
            box = main(page).get_by_role("spinbutton", name=f"{segment}, Batas waktu")
            box.click()
            page.keyboard.type(value)
            assert box.inner_text() == value, (segment, box.inner_text())
        empty_skm = main(page).get_by_text("Ajukan tanpa data SKM")
        if empty_skm.count():
            empty_skm.click()
        main(page).get_by_role("button", name="Simpan dan ajukan ke Kepala Dinas").click()
        wait_idle(page)
        screenshot(page, "evaluasi_diajukan", full_page=True)
        refused = main(page).locator("[data-testid='stAlertContentError']").all_inner_texts()
        assert not refused, refused
        main(page).get_by_text("Evaluasi diajukan ke Kepala Dinas.", exact=False).wait_for()
        # Read-only now: the finding is in the table (a canvas grid), not "Tidak ada temuan".
        main(page).get_by_role("heading", name="Temuan dan tindak lanjut").wait_for()
        assert main(page).get_by_text("Tidak ada temuan.").count() == 0
        assert main(page).get_by_role("button", name="Tambah temuan").count() == 0

        # The submitted review waits in the Kepala Dinas's inbox, and opens from it.
        page.get_by_role("button", name="Keluar").click()
        page.get_by_label("Nama pengguna").wait_for()
        login(page, server, "kadis", path="/kotak-masuk")
        waiting = main(page).locator("[class*='st-key-entri-review-']").filter(
            has_text="Evaluasi triwulan menunggu persetujuan")
        expect(waiting).to_be_visible()
        waiting.get_by_role("button", name="Buka").click()
        page.get_by_role("heading", name=re.compile(r"Evaluasi Triwulan — ")).wait_for()
    finally:
        context.close()
