"""A pekerja rentan cohort from the Kabid's verification to the SK and the budget (lib/rentan/), on SQLite
and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lib.base import db, kalender
from lib.base.db import AuditEntry, CalonPenerima, KohortDesa, PesertaKohort, WorkflowHistory
from lib.base.permissions import PermissionDenied
from lib.rentan import anggaran, bpjs, kohort
from lib.rentan import desa as rentan

from .conftest import prepared_db
from .test_rentan import _prepare as prepare_rentan
from .test_rentan import actor, filled

USERS = (("opdesa", "operator_desa", "desa:karang-dalo"), ("stafku", "staf", None),
         ("kabidku", "kepala_bidang", "bidang:jaminan-sosial"), ("kabidtk", "kepala_bidang", "bidang:tenaga-kerja"),
         ("adminku", "admin", None), ("kadisku", "kepala_dinas", None))
TODAY = kohort.today_wib()


def _prepare(url: str) -> None:
    prepare_rentan(url, USERS)


@pytest.fixture
def sf(db_url, tmp_path_factory):
    return db.session_factory(prepared_db(db_url, tmp_path_factory, "kohort", _prepare))


def new_kohort(s, nama="Pekerja Rentan 2027") -> int:
    return kohort.create(s, actor(s, "stafku"), nama, dt.date(2027, 1, 1), dt.date(2027, 12, 1), "DBHCHT").id


def letter_answered(s, kid, kode="karang-dalo", status="Valid", sent: dt.date | None = None):
    """Kabid verifies, the letter goes out, the village's file is accepted (its answer)."""
    kohort.verify_desa(s, actor(s, "kabidku"), kid, kode)
    kohort.send_letter(s, actor(s, "stafku"), kid, [kode], "400/1/2026", sent or TODAY)
    checked = rentan.check_upload(s, actor(s, "stafku"), kode, filled(s, kode, status), f"{kode}.xlsx")
    return rentan.accept(s, actor(s, "stafku"), checked)


def bpjs_answer(s, kid, covered: set[str], status_text="Sudah Terdaftar", program="JKN PBI Kemnaker") -> bytes:
    """BPJS's answer: the exported sheet with "Hasil Cek BPJS" filled."""
    wb = load_workbook(io.BytesIO(bpjs.bpjs_export(s, actor(s, "stafku"), kid)))
    ws = wb.active
    for r in range(5, ws.max_row + 1):
        nik = ws.cell(r, 2).value
        if nik:
            ws.cell(r, 7).value = status_text if nik in covered else "Belum Terdaftar"
            ws.cell(r, 8).value = program if nik in covered else None
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- step 8 -------------------------------------------------------------------------------------------
def test_only_the_kabid_of_jaminan_sosial_verifies_a_desa_list(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        for who in ("stafku", "kabidtk", "opdesa"):
            with pytest.raises(PermissionDenied):
                kohort.verify_desa(s, actor(s, who), kid, "karang-dalo")
        row = kohort.verify_desa(s, actor(s, "kabidku"), kid, "karang-dalo")
        assert row.jumlah_diverifikasi == 8
    with sf() as s:
        verified = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "verifikasi_calon")
        assert s.scalar(verified) == 1


def test_a_desa_without_candidates_cannot_be_verified(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        with pytest.raises(kohort.KohortError, match="masih kosong"):
            kohort.verify_desa(s, actor(s, "kabidku"), kid, "kaling")


# --- steps 16–17 --------------------------------------------------------------------------------------
def test_no_letter_goes_to_a_desa_whose_list_the_kabid_has_not_verified(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        with pytest.raises(kohort.KohortError, match="belum diverifikasi"):
            kohort.send_letter(s, actor(s, "stafku"), kid, ["karang-dalo"], "400/1", TODAY)
    with sf() as s:
        assert s.scalar(select(func.count(KohortDesa.id)).where(KohortDesa.surat_tanggal.is_not(None))) == 0


def test_a_list_changed_after_the_kabid_verified_it_needs_verifying_again_before_the_letter(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        kohort.verify_desa(s, actor(s, "kabidku"), kid, "karang-dalo")
        ref = s.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == "karang-dalo")).first()
        s.add(CalonPenerima(desa_kode="karang-dalo", nik="3313014101600099", nama="Calon Susulan",
                            created_at=ref.created_at))
        s.flush()
        (d,) = [d for d in kohort.desa_status(s, actor(s, "stafku"), kid) if d.kode == "karang-dalo"]
        assert (d.calon, d.jumlah_diverifikasi, d.berubah, d.tahap) == (9, 8, True, "Berubah, verifikasi ulang")
        with pytest.raises(kohort.KohortError, match=r"berubah sejak diverifikasi \(8 menjadi 9 orang\)"):
            kohort.send_letter(s, actor(s, "stafku"), kid, ["karang-dalo"], "400/1", TODAY)
        kohort.verify_desa(s, actor(s, "kabidku"), kid, "karang-dalo")
        kohort.send_letter(s, actor(s, "stafku"), kid, ["karang-dalo"], "400/1", TODAY)
        (d,) = [d for d in kohort.desa_status(s, actor(s, "stafku"), kid) if d.kode == "karang-dalo"]
        assert (d.berubah, d.tahap) == (False, "Menunggu jawaban")


def test_the_answer_is_due_five_working_days_after_the_letter_skipping_weekends_and_holidays(sf):
    with sf() as s:
        # Friday 2026-12-18 → Mon 21, Tue 22, Wed 23, Thu 24 (cuti bersama?), ... per the agency calendar
        cal = kalender.load_calendar(s)
        sent = dt.date(2026, 12, 18)
        due = kohort.letter_deadline(s, sent)
        working = [sent + dt.timedelta(days=i) for i in range(1, (due - sent).days + 1)
                   if cal.is_working_day(sent + dt.timedelta(days=i))]
        assert len(working) == 5 and working[-1] == due
        assert kohort.letter_deadline(s, dt.date(2026, 11, 19)) == dt.date(2026, 11, 26)  # Thu → next Thu
        assert kohort.letter_deadline(s, dt.date(2026, 11, 20)) == dt.date(2026, 11, 27)  # Fri → next Fri


def test_a_desa_that_has_not_answered_by_the_deadline_is_on_the_overdue_list(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        for kode in ("karang-dalo", "jatiharjo"):
            kohort.verify_desa(s, actor(s, "kabidku"), kid, kode)
        kohort.send_letter(s, actor(s, "stafku"), kid, ["karang-dalo", "jatiharjo"], "400/7", dt.date(2026, 11, 2))
        kohort.record_answer(s, actor(s, "stafku"), kid, "jatiharjo", dt.date(2026, 11, 5), "surat balasan")
    with sf() as s:
        # Monday 2 November: due on the fifth working day, Monday 9 November; overdue from the 10th.
        assert kohort.overdue(s, actor(s, "stafku"), kid, today=dt.date(2026, 11, 9)) == []
        late = kohort.overdue(s, actor(s, "stafku"), kid, today=dt.date(2026, 11, 10))
        assert [d.kode for d in late] == ["karang-dalo"]
        status = {d.kode: d.tahap for d in kohort.desa_status(s, actor(s, "stafku"), kid, today=dt.date(2026, 11, 10))}
        assert status["karang-dalo"] == "Terlambat menjawab"
        assert status["jatiharjo"] == "Sudah menjawab"
        assert status["kaling"] == "Belum ada daftar calon"


def test_an_accepted_validation_file_is_the_desa_answer_to_the_letter(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        assert letter_answered(s, kid).letters_answered == 1
    with sf() as s:
        row = s.scalars(select(KohortDesa).where(KohortDesa.desa_kode == "karang-dalo")).one()
        assert row.jawaban_tanggal == TODAY and row.batch_id is not None
        assert s.scalar(select(func.count(WorkflowHistory.id)).where(WorkflowHistory.object_type == "kohort_desa",
                                                                     WorkflowHistory.to_state == "dijawab")) == 1


# --- step 19 ------------------------------------------------------------------------------------------
def test_only_candidates_the_village_answered_valid_join_the_cohort(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        kohort.verify_desa(s, actor(s, "kabidku"), kid, "karang-dalo")
        kohort.send_letter(s, actor(s, "stafku"), kid, ["karang-dalo"], "400/1", TODAY)
        data = filled(s, bad_rows={0: {"G": "Meninggal"}, 1: {"G": "Pindah"}, 2: {"G": "Sudah Terdaftar BPJS"}})
        rentan.accept(s, actor(s, "stafku"), rentan.check_upload(s, actor(s, "stafku"), "karang-dalo", data, "k.xlsx"))
        assert kohort.take_validated(s, actor(s, "stafku"), kid) == 5
        assert kohort.take_validated(s, actor(s, "stafku"), kid) == 0  # nobody twice
    with sf() as s:
        assert len(kohort.participants(s, actor(s, "stafku"), kid)) == 5


def test_the_page_can_say_how_many_validated_candidates_are_waiting_to_be_taken(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        assert kohort.to_take(s, kid) == []
        letter_answered(s, kid)
        assert len(kohort.to_take(s, kid)) == 8
        kohort.take_validated(s, actor(s, "stafku"), kid)
        assert kohort.to_take(s, kid) == []


def test_no_candidate_is_taken_before_any_desa_answered(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        with pytest.raises(kohort.KohortError, match="Belum ada desa"):
            kohort.take_validated(s, actor(s, "stafku"), kid)


# --- steps 20–22 --------------------------------------------------------------------------------------
def _cohort_with_valid_list(s, replacements: int = 0) -> tuple[int, list[PesertaKohort]]:
    """Karang Dalo (8 candidates) answered Valid for everyone; with ``replacements`` its quota leaves that
    many of them in the reserve, from which BPJS's answer can be replaced."""
    kid = new_kohort(s)
    if replacements:
        kohort.set_quota(s, actor(s, "stafku"), kid, "karang-dalo", 8 - replacements)
    letter_answered(s, kid)
    kohort.take_validated(s, actor(s, "stafku"), kid)
    return kid, kohort.participants(s, actor(s, "stafku"), kid)


def test_bpjs_export_lists_unchecked_participants_with_nik_as_text_and_is_logged(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s)
        wb = load_workbook(io.BytesIO(bpjs.bpjs_export(s, actor(s, "stafku"), kid)))
        ws = wb.active
        niks = [ws.cell(r, 2).value for r in range(5, ws.max_row + 1)]
        assert sorted(niks) == sorted(p.nik for p in people)
        assert all(ws.cell(r, 2).number_format == "@" for r in range(5, ws.max_row + 1))
        with pytest.raises(PermissionDenied):
            bpjs.bpjs_export(s, actor(s, "opdesa"), kid)
    with sf() as s:
        assert "daftar cek BPJS: 8 peserta" in s.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "ekspor", AuditEntry.object_type == "kohort")).one()


def test_a_person_bpjs_reports_as_covered_is_replaced_by_the_next_validated_candidate_and_kept_in_history(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s, replacements=2)
        covered = {people[0].nik}
        result = bpjs.bpjs_import(s, actor(s, "stafku"), kid, bpjs_answer(s, kid, covered), "jawaban.xlsx")
        assert (result.cocok, result.belum_terdaftar, result.terdaftar_lain) == (6, 5, 1)
        assert result.diganti == [(people[0].nama, result.diganti[0][1])] and result.diganti[0][1]
    with sf() as s:
        rows = kohort.participants(s, actor(s, "stafku"), kid, with_replaced=True)
        old = next(p for p in rows if p.nik == people[0].nik)
        assert (old.state, old.bpjs_status, old.bpjs_keterangan) == ("diganti", "terdaftar_lain", "JKN PBI Kemnaker")
        new = next(p for p in rows if p.pengganti_untuk == old.id)
        assert (new.state, new.bpjs_status, new.desa_kode) == ("aktif", "belum_dicek", old.desa_kode)
        assert len(kohort.participants(s, actor(s, "stafku"), kid)) == 6  # the count is kept
        assert bpjs.replacements(s, actor(s, "stafku"), kid)[0][1].id == new.id
        assert s.scalar(select(WorkflowHistory.comment).where(WorkflowHistory.object_type == "peserta_kohort")) \
            .startswith("Sudah terdaftar BPJS (JKN PBI Kemnaker); diganti ")


def test_the_record_of_a_bpjs_answer_is_written_once_with_its_replacement_count(sf):
    """The record is append-only (migration 0006): the import writes it whole, never updates it."""
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s, replacements=1)
        bpjs.bpjs_import(s, actor(s, "stafku"), kid, bpjs_answer(s, kid, {people[0].nik}), "j.xlsx")
    with sf() as s:
        cek = bpjs.checks(s, kid)[0]
        assert (cek.cocok, cek.terdaftar_lain, cek.diganti) == (7, 1, 1)


def test_a_person_twice_in_one_bpjs_answer_is_answered_once_and_the_repeat_is_named(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s, replacements=2)
        wb = load_workbook(io.BytesIO(bpjs_answer(s, kid, {people[0].nik})))
        ws = wb.active
        first = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value == people[0].nik)
        ws.append([ws.cell(first, c).value for c in range(1, 9)])
        buf = io.BytesIO()
        wb.save(buf)
        result = bpjs.bpjs_import(s, actor(s, "stafku"), kid, buf.getvalue(), "dobel.xlsx")
        assert (result.cocok, result.terdaftar_lain, len(result.diganti)) == (6, 1, 1)
        assert result.tidak_dikenal == [f"Baris {ws.max_row}: NIK {people[0].nik[:6]}…{people[0].nik[-4:]} sudah ada "
                                        f"di baris {first}; baris ini diabaikan."]
        assert len(kohort.participants(s, actor(s, "stafku"), kid)) == 6


def test_a_covered_person_with_no_candidate_left_in_the_desa_is_replaced_by_no_one_and_said_so(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s)
        result = bpjs.bpjs_import(s, actor(s, "stafku"), kid, bpjs_answer(s, kid, {people[0].nik}), "j.xlsx")
        assert result.diganti == [(people[0].nama, None)]
        assert len(kohort.participants(s, actor(s, "stafku"), kid)) == 7


def test_the_same_bpjs_answer_imported_twice_changes_nothing(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s, replacements=1)
        data = bpjs_answer(s, kid, {people[0].nik})
        bpjs.bpjs_import(s, actor(s, "stafku"), kid, data, "j.xlsx")
    with sf.begin() as s:
        before = s.scalar(select(func.count(PesertaKohort.id)))
        again = bpjs.bpjs_import(s, actor(s, "stafku"), kid, data, "j-lagi.xlsx")
        assert again.already and s.scalar(select(func.count(PesertaKohort.id))) == before


def test_unknown_bpjs_answers_are_listed_and_a_file_with_no_matching_row_changes_nothing(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s)
        result = bpjs.bpjs_import(s, actor(s, "stafku"), kid,
                                  bpjs_answer(s, kid, {people[0].nik}, status_text="Mungkin"), "j.xlsx")
        assert any("“mungkin” tidak dikenal" in m for m in result.tidak_dikenal)
        wb = Workbook()
        wb.active.append(["NIK", "Nama", "Hasil Cek BPJS"])
        wb.active.append(["3313019999990001", "Orang Lain", "Belum Terdaftar"])
        buf = io.BytesIO()
        wb.save(buf)
        with pytest.raises(kohort.KohortError, match="Tidak ada baris yang cocok"):
            bpjs.bpjs_import(s, actor(s, "stafku"), kid, buf.getvalue(), "lain.xlsx")
        with pytest.raises(kohort.KohortError, match="kolom NIK dan Hasil Cek BPJS"):
            bpjs.bpjs_import(s, actor(s, "stafku"), kid, b"NIK;Nama\n1;2\n", "x.csv")


# --- step 23 ------------------------------------------------------------------------------------------
def test_the_sk_waits_until_every_participant_is_checked_and_then_freezes_the_list(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s)
        with pytest.raises(kohort.KohortError, match="8 peserta belum dicek"):
            anggaran.set_sk(s, actor(s, "stafku"), kid, "188.4/77/2026", TODAY)
        bpjs.bpjs_import(s, actor(s, "stafku"), kid, bpjs_answer(s, kid, set()), "j.xlsx")
        anggaran.set_sk(s, actor(s, "stafku"), kid, "188.4/77/2026", TODAY)
    with sf.begin() as s:
        with pytest.raises(kohort.KohortError, match="SK kohort .* sudah ditetapkan"):
            kohort.take_validated(s, actor(s, "stafku"), kid)
        with pytest.raises(kohort.KohortError, match="sudah ditetapkan"):
            kohort.verify_desa(s, actor(s, "kabidku"), kid, "jatiharjo")
        wb = load_workbook(io.BytesIO(anggaran.sk_workbook(s, actor(s, "stafku"), kid)))
        ws = wb["Lampiran SK"]
        assert "SK 188.4/77/2026" in ws["A1"].value
        assert sorted(ws.cell(r, 2).value for r in range(5, ws.max_row + 1)) == sorted(p.nik for p in people)
        assert wb["Rekap per desa"].cell(5, 7).value == 8 * 16_800 * 12


# --- step 24 ------------------------------------------------------------------------------------------
def test_the_contribution_is_16800_a_month_per_person_at_the_minimum_income():
    rate = anggaran.Iuran()
    assert (rate.jkk, rate.jkm, rate.per_bulan) == (10_000, 6_800, 16_800)
    assert anggaran.Iuran(1_500_000, Decimal("1"), 6_800).per_bulan == 21_800
    assert anggaran.Iuran(1_234_567, Decimal("0.24"), 6_800).jkk == 2_963  # 2962.96 rounded half up


@pytest.mark.parametrize(("mulai", "selesai", "n"), [((2027, 1), (2027, 12), 12), ((2026, 11), (2027, 2), 4),
                                                     ((2027, 3), (2027, 3), 1)])
def test_a_cohort_pays_every_month_from_its_start_to_its_end_inclusive(mulai, selesai, n):
    assert kohort.months(dt.date(*mulai, 1), dt.date(*selesai, 1)) == n


def test_the_budget_is_people_times_iuran_times_months_per_desa_kecamatan_and_total(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        letter_answered(s, kid, "karang-dalo")
        letter_answered(s, kid, "jatiharjo")
        kohort.take_validated(s, actor(s, "stafku"), kid)
    with sf() as s:
        b = anggaran.budget(s, actor(s, "stafku"), kid)
        assert (b.bulan, b.peserta, b.belum_dicek) == (12, 12, 12)
        assert {(r.desa, r.peserta, r.total) for r in b.desa} == {("Karang Dalo", 8, 8 * 16_800 * 12),
                                                                  ("Jatiharjo", 4, 4 * 16_800 * 12)}
        assert sum(r.total for r in b.kecamatan) == b.total == 12 * 16_800 * 12 == 2_419_200
        ws = load_workbook(io.BytesIO(anggaran.budget_workbook(s, actor(s, "stafku"), kid))).active
        assert [ws.cell(4, c).value for c in range(1, 8)] == [
            "Kecamatan", "Desa/Kelurahan", "Peserta", "Iuran per orang per bulan (Rp)", "Iuran per bulan (Rp)", "Bulan",
            "Jumlah (Rp)"]
        for r in range(5, ws.max_row + 1):  # every line: Peserta × Iuran per orang × Bulan
            peserta, per_orang, per_bulan, bulan, jumlah = (ws.cell(r, c).value for c in (3, 4, 5, 6, 7))
            assert per_bulan == peserta * per_orang and jumlah == per_bulan * bulan
        last = [ws.cell(ws.max_row, c).value for c in range(1, 8)]
        assert last == ["JUMLAH SELURUHNYA", None, 12, 16_800, 12 * 16_800, 12, 2_419_200]


def test_the_iuran_basis_is_an_admin_setting_and_changes_the_budget(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        letter_answered(s, kid)
        kohort.take_validated(s, actor(s, "stafku"), kid)
        with pytest.raises(PermissionDenied):
            anggaran.save_iuran(s, actor(s, "stafku"), 2_000_000, "1", 6_800)
        with pytest.raises(kohort.KohortError):
            anggaran.save_iuran(s, actor(s, "adminku"), 0, "1", 6_800)
        anggaran.save_iuran(s, actor(s, "adminku"), 2_000_000, "1", 6_800)
    with sf() as s:
        assert anggaran.budget(s, actor(s, "stafku"), kid).total == 8 * 26_800 * 12


def test_a_cohort_with_an_sk_keeps_the_iuran_basis_it_was_signed_with(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        letter_answered(s, kid)
        kohort.take_validated(s, actor(s, "stafku"), kid)
        bpjs.bpjs_import(s, actor(s, "stafku"), kid, bpjs_answer(s, kid, set()), "j.xlsx")
        anggaran.set_sk(s, actor(s, "stafku"), kid, "188.4/77/2026", TODAY)
        other = new_kohort(s, "Pekerja Rentan 2027 Tahap II")
    with sf.begin() as s:
        anggaran.save_iuran(s, actor(s, "adminku"), 2_000_000, "1", 6_800)
    with sf.begin() as s:
        assert anggaran.budget(s, actor(s, "stafku"), kid).total == 8 * 16_800 * 12
        assert anggaran.budget(s, actor(s, "stafku"), kid).iuran.per_bulan == 16_800
        assert anggaran.iuran(s, other).per_bulan == anggaran.iuran(s).per_bulan == 26_800
        wb = load_workbook(io.BytesIO(anggaran.sk_workbook(s, actor(s, "stafku"), kid)))
        assert wb["Rekap per desa"].cell(5, 4).value == 16_800


def test_a_cohort_needs_a_name_a_known_fund_and_an_end_after_its_start(sf):
    with sf.begin() as s:
        stafku = actor(s, "stafku")
        for args, msg in ((("", dt.date(2027, 1, 1), dt.date(2027, 12, 1), "APBD"), "wajib diisi"),
                          (("A", dt.date(2027, 1, 1), dt.date(2027, 12, 1), "Hibah"), "Sumber dana"),
                          (("A", dt.date(2027, 5, 1), dt.date(2027, 4, 1), "APBD"), "tidak boleh sebelum")):
            with pytest.raises(kohort.KohortError, match=msg):
                kohort.create(s, stafku, *args)
        with pytest.raises(PermissionDenied):
            kohort.create(s, actor(s, "kabidtk"), "B", dt.date(2027, 1, 1), dt.date(2027, 12, 1), "APBD")
        new_kohort(s, "Dua")
        with pytest.raises(kohort.KohortError, match="sudah ada"):
            new_kohort(s, "Dua")


def test_the_demo_cohort_has_one_letter_overdue_and_one_waiting(sf):
    with sf.begin() as s:
        assert kohort.seed_demo(s, today=dt.date(2026, 11, 23))
        kid = kohort.all_kohort(s)[0].id
        tahap = {d.kode: d.tahap for d in kohort.desa_status(s, actor(s, "stafku"), kid, today=dt.date(2026, 11, 23))}
        assert (tahap["karang-dalo"], tahap["jatiharjo"]) == ("Menunggu jawaban", "Terlambat menjawab")
        assert not kohort.seed_demo(s)


def test_the_cohort_bidang_is_the_bidang_of_the_pekerja_rentan_sop():
    from lib.catalogue.model import load_catalog

    assert kohort.BIDANG_SCOPE == load_catalog()["pekerja-rentan"].scope


# --- quota and reserve ----------------------------------------------------------------------------------
def test_a_desa_quota_takes_the_first_valid_candidates_of_its_list_and_keeps_the_rest_in_reserve(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        kohort.set_quota(s, actor(s, "stafku"), kid, "karang-dalo", 5)
        letter_answered(s, kid)
        assert kohort.take_validated(s, actor(s, "stafku"), kid) == 5
        assert kohort.take_validated(s, actor(s, "stafku"), kid) == 0  # the quota is full
        first_five = list(s.scalars(select(CalonPenerima.nik).where(CalonPenerima.desa_kode == "karang-dalo")
                                    .order_by(CalonPenerima.id).limit(5)))
        assert [p.nik for p in kohort.participants(s, actor(s, "stafku"), kid)] == first_five
        kd = next(d for d in kohort.desa_status(s, actor(s, "stafku"), kid) if d.kode == "karang-dalo")
        assert (kd.kuota, kd.peserta, kd.cadangan) == (5, 5, 3)


def test_without_a_quota_the_valid_candidates_of_an_answered_desa_wait_to_be_taken_and_none_is_called_reserve(sf):
    from lib.rentan import tampilan

    def karang_dalo(s, kid):
        return next(d for d in kohort.desa_status(s, actor(s, "stafku"), kid) if d.kode == "karang-dalo")

    with sf.begin() as s:
        kid = new_kohort(s)
        letter_answered(s, kid)
        kd = karang_dalo(s, kid)
        assert (kd.kuota, kd.valid, kd.peserta, kd.menunggu, kd.cadangan) == (None, 8, 0, 8, 0)
        row = tampilan.desa_rows([kd])[0]
        assert (row["Kuota"], row["Valid"], row["Peserta"], row["Menunggu diambil"], row["Cadangan"]) == (
            "semua Valid", 8, 0, 8, 0)
        said = tampilan.next_step(kd, staff=True, kabid=False)
        assert "8 calon Valid, 0 sudah menjadi peserta (semua calon Valid)" in said
        assert "8 calon Valid menunggu diambil" in said and "cadangan" not in said
        kohort.take_validated(s, actor(s, "stafku"), kid)
        kd = karang_dalo(s, kid)
        assert (kd.peserta, kd.menunggu, kd.cadangan) == (8, 0, 0)
        assert "cek BPJS" in tampilan.next_step(kd, staff=True, kabid=False)


def test_with_a_quota_the_sentence_and_the_row_count_the_same_participants_waiting_and_reserve(sf):
    from lib.rentan import tampilan

    with sf.begin() as s:
        kid = new_kohort(s)
        kohort.set_quota(s, actor(s, "stafku"), kid, "karang-dalo", 5)
        letter_answered(s, kid)
        kd = next(d for d in kohort.desa_status(s, actor(s, "stafku"), kid) if d.kode == "karang-dalo")
        assert (kd.peserta, kd.menunggu, kd.cadangan) == (0, 5, 3)
        assert kd.peserta + kd.menunggu + kd.cadangan == kd.valid
        said = tampilan.next_step(kd, staff=True, kabid=False)
        assert "0 sudah menjadi peserta (kuota 5), 3 menjadi cadangan pengganti" in said
        assert "5 calon Valid menunggu diambil" in said


def test_a_gap_left_by_a_replacement_without_reserve_is_filled_by_the_next_valid_candidate_up_to_the_quota(sf):
    with sf.begin() as s:
        kid, people = _cohort_with_valid_list(s, replacements=1)  # quota 7, reserve 1
        covered = {people[0].nik, people[1].nik}
        result = bpjs.bpjs_import(s, actor(s, "stafku"), kid, bpjs_answer(s, kid, covered), "j.xlsx")
        assert [new is None for _, new in result.diganti].count(True) == 1  # one reserve for two
        assert len(kohort.participants(s, actor(s, "stafku"), kid)) == 6
        assert kohort.to_take(s, kid) == []  # nobody valid is left outside the list
        nik, born, sex = rentan.demo_nik(0, 50)
        s.add(CalonPenerima(desa_kode="karang-dalo", nik=nik, nama="Warsini", tanggal_lahir=born, jenis_kelamin=sex,
                            status_validasi="valid"))
        s.add(CalonPenerima(desa_kode="karang-dalo", nik=rentan.demo_nik(0, 51)[0], nama="Kasno",
                            status_validasi="valid"))
        s.flush()
        assert [c.nama for c in kohort.to_take(s, kid)] == ["Warsini"]  # one seat free under the quota of 7
        assert kohort.take_validated(s, actor(s, "stafku"), kid) == 1
        assert len(kohort.participants(s, actor(s, "stafku"), kid)) == 7


def test_a_quota_is_staff_work_and_logged_and_must_be_a_sensible_number(sf):
    with sf.begin() as s:
        kid = new_kohort(s)
        with pytest.raises(PermissionDenied):
            kohort.set_quota(s, actor(s, "opdesa"), kid, "karang-dalo", 3)
        with pytest.raises(kohort.KohortError, match="Kuota harus"):
            kohort.set_quota(s, actor(s, "stafku"), kid, "karang-dalo", -1)
        kohort.set_quota(s, actor(s, "stafku"), kid, "karang-dalo", 3)
    with sf() as s:
        assert "kuota Karang Dalo semua → 3" in s.scalars(select(AuditEntry.detail)
                                                         .where(AuditEntry.action == "atur_kuota")).one()


def test_only_the_cohorts_staff_and_kabid_read_its_people(sf):
    """Participants, the desa tracker and the budget name beneficiaries: every reader takes the actor."""
    with sf.begin() as s:
        kid = new_kohort(s)
    with sf() as s:
        for user in ("stafku", "kabidku"):
            kohort.participants(s, actor(s, user), kid)
            kohort.desa_status(s, actor(s, user), kid)
            anggaran.budget(s, actor(s, user), kid)
        for user in ("kabidtk", "opdesa", "kadisku"):
            for read in (kohort.participants, kohort.desa_status, anggaran.budget, bpjs.replacements):
                with pytest.raises(PermissionDenied):
                    read(s, actor(s, user), kid)
