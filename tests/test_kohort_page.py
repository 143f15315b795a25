"""The Pekerja rentan page (AppTest) on the demo database: who sees it, the letters tracker, the BPJS check
and the budget."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from lib.base.accounts import load_actor
from lib.base.db import CalonPenerima, PesertaKohort, session_factory
from lib.rentan import bpjs, kohort
from lib.rentan import desa as rentan

from .test_pages import open_app, texts
from .test_rentan import filled

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABS = ["1. Data dan daftar calon", "2. Surat ke desa", "3. Peserta dan cek BPJS", "4. SK dan anggaran"]


def on_tab(at, n: int):
    at.session_state["kohort-tab"] = TABS[n]
    return at.run()


def karang_dalo_answered(url: str) -> int:
    """The demo cohort with Karang Dalo's validation file accepted (everyone Valid)."""
    with session_factory(url).begin() as s:
        staf = load_actor(s, "staf")
        rentan.accept(s, staf, rentan.check_upload(s, staf, "karang-dalo", filled(s, by="staf"), "kd.xlsx"))
        return kohort.all_kohort(s)[0].id


def test_the_page_is_for_jaminan_sosial_staff_and_its_kabid_only(app_db):
    at = open_app(user="kabid")  # Kepala Bidang of tenaga kerja
    assert "pekerja-rentan-kohort" not in at.session_state["_portal_pages"].visible
    at = open_app("pekerja-rentan-kohort", user="operator")
    assert at.header[0].value == "Halaman tidak ditemukan"


def test_the_demo_cohort_opens_on_the_desa_lists_and_the_kabid_may_verify(app_db):
    at = open_app("pekerja-rentan-kohort", user="kabidsos")
    assert not at.exception, at.exception
    assert "Kepesertaan Januari 2027 – Desember 2027 (12 bulan)" in texts(at)
    at.selectbox(key="kohort-desa").set_value("jatisobo").run()
    assert at.button(key="kohort-verifikasi").disabled  # no candidates there yet


def test_the_desa_lists_letters_and_sk_tabs_each_say_the_next_step(app_db):
    at = open_app("pekerja-rentan-kohort", user="kabidsos")
    for tab in (0, 1, 3):
        at = on_tab(at, tab)
        assert not at.exception, at.exception
        assert any(i.value.startswith("Langkah berikutnya:") for i in at.info), (tab, [i.value for i in at.info])


def test_the_letters_tab_lists_the_overdue_desa(app_db):
    at = on_tab(open_app("pekerja-rentan-kohort", user="staf"), 1)
    assert not at.exception, at.exception
    assert "1 desa terlambat menjawab surat konfirmasi: Jatiharjo" in at.warning[0].value


def test_bpjs_answer_uploaded_on_the_page_replaces_nobody_when_everyone_is_new_and_the_budget_follows(app_db):
    at = open_app("pekerja-rentan-kohort", user="staf")  # the first run creates the demo database
    kid = karang_dalo_answered(app_db)
    at = on_tab(at, 2)
    at.button(key="kohort-ambil").click().run()
    assert not at.exception, at.exception
    assert "8 calon berstatus Valid masuk daftar peserta" in at.success[0].value
    with session_factory(app_db).begin() as s:
        wb = load_workbook(io.BytesIO(bpjs.bpjs_export(s, load_actor(s, "staf"), kid)))
    ws = wb.active
    for r in range(5, ws.max_row + 1):
        ws.cell(r, 7).value = "Belum Terdaftar"
    buf = io.BytesIO()
    wb.save(buf)
    at.file_uploader[0].set_value(("jawaban-bpjs.xlsx", buf.getvalue(), XLSX))
    at.button[[b.label for b in at.button].index("Impor jawaban BPJS")].click().run()
    assert not at.exception, at.exception
    assert "8 peserta dicek, 8 layak, 0 sudah terdaftar" in at.success[0].value
    at = on_tab(at, 3)
    body = texts(at)
    assert "Rp16.800" in body and "Rp1.612.800" in body  # 8 × 16.800 × 12
    with session_factory(app_db)() as s:
        assert s.scalar(select(func.count(PesertaKohort.id)).where(PesertaKohort.bpjs_status == "belum_terdaftar")) == 8


def test_a_first_cohort_is_created_from_the_empty_state(app_db):
    from lib.base.db import Kohort, KohortDesa
    open_app(user="staf")  # the first run creates the demo database
    with session_factory(app_db).begin() as s:
        s.execute(KohortDesa.__table__.delete())
        s.execute(Kohort.__table__.delete())
    at = open_app("pekerja-rentan-kohort", user="staf")
    assert "Belum ada kohort" in at.info[0].value
    at.text_input[0].set_value("Pekerja Rentan Uji")
    at.button[[b.label for b in at.button].index("Buat kohort")].click().run()
    assert not at.exception, at.exception
    assert "Kohort Pekerja Rentan Uji dibuat." in at.success[0].value


def test_the_letters_tab_says_why_there_is_no_letter_form_and_waits_for_a_changed_list_to_be_verified_again(app_db):
    at = on_tab(open_app("pekerja-rentan-kohort", user="staf"), 1)
    assert "Tidak ada desa yang menunggu surat" in texts(at)  # both demo letters are out
    assert "Nomor surat" not in [t.label for t in at.text_input]
    with session_factory(app_db).begin() as s:
        kid = kohort.all_kohort(s)[0].id
        staf = load_actor(s, "staf")
        rentan.build_candidates(s, staf, "kaling")
        kohort.verify_desa(s, load_actor(s, "kabidsos"), kid, "kaling")
    at = on_tab(open_app("pekerja-rentan-kohort", user="staf"), 1)
    assert "Nomor surat" in [t.label for t in at.text_input]
    with session_factory(app_db).begin() as s:  # one more person after the Kabid's verification
        first = s.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == "kaling")).first()
        s.add(CalonPenerima(desa_kode="kaling", nik="3313114401810399", nama="Calon Susulan",
                            created_at=first.created_at))
    at = on_tab(open_app("pekerja-rentan-kohort", user="staf"), 1)
    assert "Daftar Kaling berubah sejak diverifikasi" in texts(at)
    assert "Nomor surat" not in [t.label for t in at.text_input]
