"""Cek status berkas: the public status check by register number and the last 4 digits of the NIK."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lib.base.db import AuditEntry
from lib.casework import status
from lib.casework.status import StatusError

from .test_case_work import ALL_AK1, db, intake  # noqa: F401  (db is a fixture)
from .test_cases import T0, step

LATER = T0 + dt.timedelta(hours=1)


def check(db, number, digits, address="10.0.0.1", now=LATER):  # noqa: F811
    with db.begin() as s:
        found = status.check(s, number, digits, address, now=now)
        return found.lines() if found else None


def test_the_right_digits_show_the_step_since_when_and_the_expected_date_and_nothing_else(db):  # noqa: F811
    view, _ = intake(db)
    lines = check(db, view.register_no.lower(), "0003")
    assert lines[:3] == ["Nomor register: AK1/2026/00001", "Layanan: Penerbitan Kartu Pencari Kerja (AK1)",
                         "Status: Berjalan"]
    assert lines[3].startswith("Tahap sekarang: Menerima berkas dan meneliti kelengkapan persyaratan administrasi "
                               "(Petugas Penerima), sejak 5 Januari 2026 08.00 WIB")
    assert lines[4] == "Perkiraan selesai: 5 Januari 2026 (0 hari kerja lagi)"  # 30 working minutes left
    assert not any("Andi" in line or "1671011505950003" in line for line in lines)


def test_a_returned_file_says_it_waits_for_the_applicant(db):  # noqa: F811
    view, _ = intake(db, documents={**ALL_AK1, "fc_ktp": False})
    step(db, "rina", view, 2, outcome="tidak", note="Belum lengkap: FC KTP.")
    lines = check(db, view.register_no, "0003")
    assert lines[2] == "Status: Dikembalikan ke pemohon" and "menunggu kelengkapan dari pemohon" in lines[3]


def test_a_wrong_nik_and_an_unknown_number_look_the_same_and_are_logged(db):  # noqa: F811
    view, _ = intake(db)
    assert check(db, view.register_no, "1234") is None
    assert check(db, "AK1/2026/99999", "0003") is None
    with db() as s:
        logged = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "cek_status_gagal")).all()
    assert len(logged) == 2 and "alamat 10.0.0.1" in logged[0] and "percobaan salah ke-2" in logged[1]


def test_five_wrong_guesses_from_one_address_stop_it_for_fifteen_minutes_and_not_another(db):  # noqa: F811
    view, _ = intake(db)
    for _ in range(status.MAX_WRONG):
        assert check(db, view.register_no, "9999") is None
    with pytest.raises(StatusError, match="Terlalu banyak percobaan"):
        check(db, view.register_no, "0003")  # even the right digits
    assert check(db, view.register_no, "0003", address="10.0.0.2") is not None
    assert check(db, view.register_no, "0003", now=LATER + dt.timedelta(minutes=16)) is not None
    with db() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "cek_status_gagal")) == status.MAX_WRONG


def test_a_malformed_entry_is_explained_and_not_counted(db):  # noqa: F811
    with pytest.raises(StatusError, match="4 angka terakhir"):
        check(db, "AK1/2026/00001", "12a4")
    with db() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "cek_status_gagal")) == 0
