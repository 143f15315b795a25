"""Pekerja rentan in lib: wilayah, reference import, candidate lists, village validation batches (SQLite and
PostgreSQL), and the Validasi desa page (AppTest)."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lib.base import db
from lib.base.accounts import load_actor
from lib.base.db import AuditEntry, CalonPenerima, ReferensiRentan, ValidasiBaris, ValidasiBatch, WorkflowHistory
from lib.base.permissions import PermissionDenied
from lib.rentan import desa as rentan
from lib.setup import database as setup

from .conftest import add_users, prepared_db
from .test_pages import open_app, texts

USERS = (("opdesa", "operator_desa", "desa:karang-dalo"), ("stafku", "staf", None), ("kabidku", "kepala_bidang",
                                                                                     "bidang:jaminan-sosial"))


def _prepare(url: str, users=USERS) -> None:
    """The catalogue, the users and the demo wilayah with Karang Dalo's and Jatiharjo's candidate lists."""
    setup.init(url)
    add_users(url, *users)
    with db.session_factory(url).begin() as s:
        rentan.seed_demo(s)


@pytest.fixture
def sf(db_url, tmp_path_factory):
    return db.session_factory(prepared_db(db_url, tmp_path_factory, "rentan", _prepare))


def actor(s, username):
    return load_actor(s, username)


def filled(s, kode="karang-dalo", status="Valid", bad_rows: dict | None = None, by: str = "stafku") -> bytes:
    """The desa's template, every candidate given ``status``; ``bad_rows`` {index: {column letter: value}}."""
    data = rentan.template(s, actor(s, by), kode)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Validasi"]
    header = next(r for r in range(1, 15) if ws.cell(r, 2).value == "NIK")
    n = 0
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, 2).value:
            ws.cell(r, 7).value = status
            for col, value in (bad_rows or {}).get(n, {}).items():
                ws[f"{col}{r}"] = value
            n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def counts(s):
    return (s.scalar(select(func.count(ValidasiBatch.id))), s.scalar(select(func.count(ValidasiBaris.id))),
            s.scalar(select(func.count(CalonPenerima.id)).where(CalonPenerima.status_validasi.is_not(None))))


def test_demo_wilayah_has_karang_dalo_with_a_candidate_list(sf):
    with sf() as s:
        mine = rentan.desa_for_upload(s, actor(s, "opdesa"))
        assert [d.kode for d in mine] == ["karang-dalo"]
        assert mine[0].candidates == 8
        assert len(rentan.desa_for_upload(s, actor(s, "stafku"))) == 7
        assert all(r.sumber == "DTKS" and r.periode == "2026-09" for r in s.scalars(select(ReferensiRentan)))


def test_operator_desa_cannot_upload_for_another_desa(sf):
    with sf() as s:
        data = filled(s, "jatiharjo")
        op = actor(s, "opdesa")
        with pytest.raises(PermissionDenied):
            rentan.check_upload(s, op, "jatiharjo", data, "v.xlsx")
        with pytest.raises(PermissionDenied):
            rentan.template(s, op, "jatiharjo")
        checked = rentan.check_upload(s, actor(s, "stafku"), "jatiharjo", data, "v.xlsx")
        with pytest.raises(PermissionDenied):
            rentan.accept(s, op, checked)
        assert counts(s) == (0, 0, 0)


def test_staf_may_upload_for_any_desa_and_terima_imports_the_valid_rows(sf):
    with sf.begin() as s:
        checked = rentan.check_upload(s, actor(s, "stafku"), "jatiharjo", filled(s, "jatiharjo"), "v.xlsx")
        assert checked.validation.summary.valid == 4
        done = rentan.accept(s, actor(s, "stafku"), checked)
        assert (done.imported, done.already, done.updated_candidates) == (4, False, 4)
    with sf() as s:
        assert counts(s) == (1, 4, 4)
        assert s.scalar(select(WorkflowHistory.to_state).where(WorkflowHistory.object_type == "validasi_batch")) \
            == "diterima"


def test_operator_terima_for_own_desa_is_audited_and_sets_the_candidates_status(sf):
    with sf.begin() as s:
        op = actor(s, "opdesa")
        checked = rentan.check_upload(s, op, "karang-dalo", filled(s, status="Meninggal"), "v.xlsx")
        rentan.accept(s, op, checked)
    with sf() as s:
        assert set(s.scalars(select(CalonPenerima.status_validasi).where(CalonPenerima.desa_kode == "karang-dalo"))) \
            == {"meninggal"}
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.username == "opdesa")))
        assert actions.count("impor_validasi") == 1
        assert actions.count("ekspor") == 0  # the template in filled() was made by the staf
        assert "ekspor" in set(s.scalars(select(AuditEntry.action).where(AuditEntry.username == "stafku")))


def test_the_same_file_uploaded_again_is_recognised_and_changes_nothing(sf):
    with sf.begin() as s:
        data = filled(s)
        op = actor(s, "opdesa")
        rentan.accept(s, op, rentan.check_upload(s, op, "karang-dalo", data, "v.xlsx"))
    with sf.begin() as s:
        before = counts(s)
        audits = s.scalar(select(func.count(AuditEntry.id)))
        op = actor(s, "opdesa")
        again = rentan.check_upload(s, op, "karang-dalo", data, "lagi.xlsx")
        assert again.previous is not None
        done = rentan.accept(s, op, again)
        assert done.already and done.imported == 8
    with sf() as s:
        assert counts(s) == before
        assert s.scalar(select(func.count(AuditEntry.id))) == audits


def test_invalid_rows_are_never_imported_and_a_file_without_valid_rows_imports_nothing(sf):
    with sf.begin() as s:
        op = actor(s, "opdesa")
        data = filled(s, status="Vaild")
        checked = rentan.check_upload(s, op, "karang-dalo", data, "v.xlsx")
        assert checked.validation.summary.valid == 0
        assert any("kolom G" in p.message for p in checked.validation.errors)
        with pytest.raises(rentan.RentanError):
            rentan.accept(s, op, checked)
        partly = rentan.check_upload(s, op, "karang-dalo", filled(s, bad_rows={0: {"G": "Vaild"}}), "w.xlsx")
        rentan.accept(s, op, partly)
    with sf() as s:
        assert counts(s) == (1, 7, 7)


def test_a_failing_import_leaves_nothing_behind(sf, monkeypatch):
    with sf() as s:
        checked = rentan.check_upload(s, actor(s, "opdesa"), "karang-dalo", filled(s), "v.xlsx")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        with sf.begin() as s:
            monkeypatch.setattr(rentan.audit, "record", boom)
            rentan.accept(s, actor(s, "opdesa"), checked)
    with sf() as s:
        assert counts(s) == (0, 0, 0)


def _extract(rows, sep=",") -> bytes:
    return "\n".join(sep.join(r) for r in rows).encode("utf-8")


def test_reference_import_keeps_source_and_period_and_skips_bad_niks(sf):
    nik_a, _, _ = rentan.demo_nik(1, 10)
    nik_b, _, _ = rentan.demo_nik(2, 11)
    data = _extract([["No", "NIK", "Nama Lengkap", "Tgl Lahir", "JK", "Desa/Kelurahan"],
                     ["1", nik_a, "Warsini", "01-02-1970", "P", "Jatiharjo"],
                     ["2", "123", "Salah", "", "", "Jatiharjo"],
                     ["3", nik_b, "Darmo", "", "L", "karang-dalo"]], sep=";")
    with sf.begin() as s:
        stafku = actor(s, "stafku")
        with pytest.raises(PermissionDenied):
            rentan.import_reference(s, actor(s, "opdesa"), data, "p3ke.csv", "P3KE", "2026-10")
        result = rentan.import_reference(s, stafku, data, "p3ke.csv", "P3KE", "2026-10")
        assert (result.added, result.already, len(result.skipped)) == (2, 0, 1)
        assert result.skipped[0].startswith("Baris 3:")
        assert rentan.import_reference(s, stafku, data, "p3ke.csv", "P3KE", "2026-10").added == 0
        rows = s.scalars(select(ReferensiRentan).where(ReferensiRentan.sumber == "P3KE")).all()
        assert {(r.nik, r.periode, r.desa_kode) for r in rows} == {(nik_a, "2026-10", "jatiharjo"),
                                                                   (nik_b, "2026-10", "karang-dalo")}
        assert rentan.build_candidates(s, stafku, "jatiharjo") == 1
        assert rentan.build_candidates(s, stafku, "jatiharjo") == 0
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "impor_referensi")) == 2
        with pytest.raises(rentan.RentanError):
            rentan.import_reference(s, stafku, data, "p3ke.csv", "BDT", "2026-10")


def test_error_report_download_is_audited(sf):
    with sf.begin() as s:
        op = actor(s, "opdesa")
        checked = rentan.check_upload(s, op, "karang-dalo", filled(s, status="Vaild"), "v.xlsx")
        data = rentan.error_report(s, op, checked)
        assert data[:2] == b"PK"
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.username == "opdesa",
                                                                AuditEntry.action == "ekspor")) == 1


# --- the page -------------------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def careless_file() -> bytes:
    """A title row, NIK typed as numbers, one misspelt status."""
    wb = Workbook()
    ws = wb.active
    ws.append(["DATA VALIDASI DESA KARANG DALO"])
    ws.append([])
    ws.append(["No", "NIK", "Nama Lengkap", "Status"])
    ws.append([1, 3313010101600001, "Suparmi", "Valid"])
    ws.append([2, 3313014806630002, "Wagiman", "Vallid"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_operator_sees_only_karang_dalo_on_the_validation_page(app_db):
    at = open_app("validasi-desa", user="operator")
    assert not at.exception, at.exception
    box = at.selectbox(key="val-desa")
    assert box.options == ["Desa Karang Dalo, Kec. Jatipuro"]
    assert "8 calon penerima" in texts(at)


def test_an_invalid_file_shows_row_and_column_messages_and_imports_nothing(app_db):
    at = open_app("validasi-desa", user="operator")
    at.file_uploader[0].set_value(("desa.xlsx", careless_file(), XLSX))
    at.run()
    assert not at.exception, at.exception
    body = texts(at)
    assert "Baris 5, kolom D (Status)" in body
    assert "Baris 5, kolom B (NIK)" in body  # a number NIK ending in 2: a warning, row 4 stays importable
    assert "Baris 4, kolom B (NIK)" in body
    assert "1 masalah membuat baris tidak sah" in at.error[0].value
    from lib.base.db import session_factory
    with session_factory(app_db)() as s:
        assert s.scalar(select(func.count(ValidasiBatch.id))) == 0


def test_staf_sees_every_desa_and_an_empty_state_without_candidates(app_db):
    at = open_app("validasi-desa", user="staf")
    box = at.selectbox(key="val-desa")
    assert len(box.options) == 7
    box.set_value("kaling").run()
    assert "belum memiliki Daftar Sementara" in at.info[0].value


def test_operator_terima_on_the_page_imports_the_fixed_file_once(app_db):
    at = open_app("validasi-desa", user="operator")
    from lib.base.db import session_factory
    with session_factory(app_db).begin() as s:
        data = filled(s, by="staf")
    at.file_uploader[0].set_value(("desa.xlsx", data, XLSX))
    at.run()
    assert not at.error
    at.button(key="val-terima").click().run()
    assert not at.exception, at.exception
    assert "8 baris disimpan" in at.success[0].value
    assert "sudah diterima" in at.info[0].value
    assert not [b for b in at.button if b.key == "val-terima"]
    with session_factory(app_db)() as s:
        assert counts(s) == (1, 8, 8)


def test_imported_validation_rows_cannot_be_changed_or_deleted_afterwards(sf):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    with sf.begin() as s:
        rentan.accept(s, actor(s, "stafku"), rentan.check_upload(s, actor(s, "stafku"), "jatiharjo",
                                                                 filled(s, "jatiharjo"), "v.xlsx"))
    for statement in (update(ValidasiBaris).values(status="meninggal"), delete(ValidasiBaris)):
        with pytest.raises(DatabaseError, match="append-only"), sf.begin() as s:
            s.execute(statement)
    with sf() as s:
        assert set(s.scalars(select(ValidasiBaris.status))) == {"valid"}
        assert s.scalar(select(func.count(ValidasiBaris.id))) == 4


def test_the_same_file_accepted_twice_at_the_same_moment_is_stored_once_and_nobody_sees_a_traceback(sf):
    """Two requests press Terima on one file together: one stores it; the other is told it was already
    accepted (PostgreSQL makes it wait for the first) or to press again (SQLite refuses the second writer);
    never an IntegrityError or 'database is locked'."""
    import threading

    with sf.begin() as s:
        data = filled(s)
    outcomes, barrier = [], threading.Barrier(2)

    def press() -> None:
        try:
            with sf.begin() as s:
                op = actor(s, "opdesa")
                checked = rentan.check_upload(s, op, "karang-dalo", data, "v.xlsx")
                barrier.wait(timeout=20)
                done = rentan.accept(s, op, checked)
            outcomes.append("sudah" if done.already else "baru")
        except rentan.RentanError as err:
            outcomes.append("ulangi" if "sekali lagi" in str(err) else str(err))

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) in (["baru", "sudah"], ["baru", "ulangi"]), outcomes
    with sf() as s:
        assert s.scalar(select(func.count(ValidasiBatch.id))) == 1


def test_the_imported_rows_read_back_as_validated_with_dates_warnings_and_empty_cells(sf):
    # The rows are written with the driver's own executemany (no ORM types on the way in): read back through the
    # ORM they are what validation made of them, on SQLite and PostgreSQL alike.
    with sf() as s:
        data = filled(s, bad_rows={0: {"D": "01-01-1950"}, 1: {"F": None}})  # a birth date the NIK disagrees with
        checked = rentan.check_upload(s, actor(s, "stafku"), "karang-dalo", data, "v.xlsx")
        accepted = rentan.accept(s, actor(s, "stafku"), checked)
        s.commit()
    expected = checked.validation.valid_rows
    assert any(r.warnings for r in expected) and any(not r.warnings for r in expected)
    assert any(r.tanggal_lahir for r in expected)
    with sf() as s:
        stored = {r.excel_row: r for r in s.scalars(select(ValidasiBaris)
                                                    .where(ValidasiBaris.batch_id == accepted.batch_id))}
    assert sorted(stored) == sorted(r.excel_row for r in expected)
    for r in expected:
        got = stored[r.excel_row]
        assert (got.nik, got.nama, got.tanggal_lahir, got.jenis_kelamin, got.alamat, got.status, got.keterangan,
                got.warnings) == (r.nik, r.nama, r.tanggal_lahir, r.jenis_kelamin, r.alamat or None, r.status,
                                  r.keterangan, list(r.warnings))
