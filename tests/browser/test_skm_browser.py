"""Journey 5: a citizen scans the QR code of a finished case and rates the service on a phone, without
logging in, in under a minute."""
import time

from lib.evaluation import skm

from .conftest import wait_idle

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3,
         "locale": "id-ID"}


def test_a_citizen_fills_the_survey_on_a_phone_in_under_a_minute(server, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(server + "/skm?layanan=kartu-ak1")  # a first visit starts the server's work (demo history)
        wait_idle(page, 120_000)
        page.get_by_role("radiogroup").first.wait_for(timeout=60_000)

        start = time.monotonic()
        page.goto(server + "/skm?layanan=kartu-ak1")  # the citizen's own visit, from the QR code
        wait_idle(page)
        page.get_by_role("radiogroup").last.wait_for()
        assert page.get_by_label("Nama pengguna").count() == 0  # no login
        service = page.get_by_role("combobox", name="Layanan yang Anda terima")
        assert service.input_value() == "Kartu Pencari Kerja (AK1)"  # the service comes from the link
        for i, u in enumerate(skm.UNSUR, start=1):
            # the answers repeat across questions ("Sesuai", "Sangat sesuai"): look inside this question only
            group = page.get_by_role("radiogroup", name=f"{i}. {u.pertanyaan}")
            group.get_by_text(u.pilihan[3 if i % 3 else 2], exact=True).tap()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        page.get_by_role("button", name="Kirim penilaian").tap()
        wait_idle(page)
        page.get_by_text("Terima kasih").wait_for(timeout=60_000)
        elapsed = time.monotonic() - start
        assert elapsed < 60, f"survei butuh {elapsed:.1f} detik"
        page.get_by_role("button", name="Isi survei untuk pengguna layanan berikutnya").wait_for()  # kiosk: next
    finally:
        context.close()
