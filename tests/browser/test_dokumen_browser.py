"""Journeys 12 and 11 of docs/journeys.md, the papers of an AK1 file in a real browser: the receipt, the return
letter listing exactly what is missing, a replacement template changing the kop surat of the next letter, and the
public status page."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document

from lib.dokumen import templat

from ..test_dokumen import missing_listed
from .conftest import login, wait_idle
from .test_cases_browser import REGISTER_NO, fill_intake_by_keyboard, logout, submit_by_keyboard, wait_text

UPLOAD_INPUT = "[data-testid='stFileUploaderDropzoneInput']"


@pytest.fixture
def tall(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2200}, locale="id-ID")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


def download(page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def kop_template(folder: Path, kop: str, extra: str = "") -> Path:
    """The shipped return-letter template with its address line (the kop) changed, as an agency does in Word."""
    doc = Document(str(templat.shipped_path("pengembalian")))
    line = next(p for p in doc.paragraphs if "Jalan Contoh" in p.text)
    line.runs[0].text = kop
    if extra:
        doc.add_paragraph(extra)
    out = io.BytesIO()
    doc.save(out)
    path = folder / f"pengembalian-{len(extra)}.docx"
    path.write_bytes(out.getvalue())
    return path


def upload_template(page, path: Path) -> None:
    page.locator(UPLOAD_INPUT).set_input_files(str(path))
    page.get_by_role("button", name=f"Remove {path.name}").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Periksa dan pakai templat ini").click()
    wait_idle(page)


def test_an_ak1_file_gets_its_receipt_and_return_letter_a_new_kop_and_a_public_status(server, tall, tmp_path):
    page = tall
    login(page, server, "staf", path="/kartu-ak1")
    page.get_by_role("tab", name="Permohonan baru", selected=True).wait_for()
    fill_intake_by_keyboard(page, "Rahmat Dokumen", "1671011203900007", ["FC KTP", "Pas Photo 3 x 4 (2 lbr)"])
    submit_by_keyboard(page)
    done = page.get_by_text(re.compile(r"Permohonan AK1/\d{4}/\d{5} terdaftar\."))
    done.wait_for()
    wait_idle(page)
    register_no = REGISTER_NO.search(done.inner_text()).group(0)
    page.get_by_role("link", name=f"Buka berkas {register_no}").click()
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    case_url = page.url

    receipt = docx_text(download(page, "Tanda terima berkas", tmp_path))
    assert register_no in receipt and "Rahmat Dokumen" in receipt
    assert page.get_by_role("button", name="Surat pengembalian berkas").count() == 0  # not returned yet

    page.get_by_text("tidak lengkap", exact=True).click()
    page.get_by_role("button", name="Selesaikan langkah 2").click()
    wait_text(page, "Langkah 2 selesai.")
    letter = docx_text(download(page, "Surat pengembalian berkas", tmp_path))
    assert missing_listed(letter) == ["1. FC Ijazah Terakhir", "2. Pas Photo 2 x 3 (1 lbr)"], letter
    assert "Jalan Contoh" in letter and register_no in letter
    logout(page)

    # The admin replaces the template: first a broken one (refused with the placeholder's name), then the new kop.
    login(page, server, "admin", path="/admin-templat")
    page.get_by_role("heading", name="Templat dokumen").wait_for()
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Dokumen").locator("input")
    box.click()
    page.keyboard.type("Surat pengembalian")
    page.get_by_role("option", name="Surat pengembalian berkas").click()
    page.get_by_text("saat berkas dikembalikan ke pemohon").first.wait_for()
    wait_idle(page)
    upload_template(page, kop_template(tmp_path, "KOP SALAH", "{{ nomor_agenda_lama }}"))
    page.get_by_text(re.compile("nomor_agenda_lama")).first.wait_for()
    upload_template(page, kop_template(tmp_path, "KOP BARU DINAS UJI — Jalan Merdeka 9"))
    page.get_by_text(re.compile("Templat Surat pengembalian berkas diganti")).first.wait_for()
    logout(page)

    login(page, server, "staf", path=case_url.split(server, 1)[1])
    page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    wait_idle(page)
    again = docx_text(download(page, "Surat pengembalian berkas", tmp_path))
    assert "KOP BARU DINAS UJI — Jalan Merdeka 9" in again and "Jalan Contoh" not in again
    logout(page)

    # The citizen, without logging in, on a phone.
    phone = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID").new_page()
    phone.goto(f"{server}/cek-status")
    wait_idle(phone)
    phone.get_by_label("Nomor register").fill(register_no)
    phone.get_by_label("4 angka terakhir NIK").fill("0000")
    phone.get_by_role("button", name="Cek status").click()
    phone.get_by_text("tidak cocok dengan berkas mana pun").wait_for()
    assert phone.get_by_text("Tahap sekarang").count() == 0
    phone.get_by_label("4 angka terakhir NIK").fill("0007")
    phone.get_by_role("button", name="Cek status").click()
    phone.get_by_text(re.compile("Tahap sekarang: Mengajukan persyaratan")).wait_for()
    shown = phone.locator("[data-testid='stMain']").inner_text()
    assert "Rahmat Dokumen" not in shown and "1671011203900007" not in shown
    phone.context.close()
