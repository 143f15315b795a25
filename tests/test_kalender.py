"""The admin's calendar overrides: they change working time at once, need manage_settings, are audited."""
import datetime as dt

import pytest
from sqlalchemy import select

from lib.base import accounts, kalender
from lib.base.db import AuditEntry, session_factory
from lib.base.permissions import PermissionDenied
from lib.base.worktime import parse_local

from .conftest import add_users


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("admin", "admin", None), ("rina", "staf", None))
    return session_factory(ready_db)


def who(db, username):
    with db() as s:
        return accounts.load_actor(s, username)


def minutes(db, a, b):
    with db() as s:
        return kalender.load_calendar(s).working_minutes(parse_local(a), parse_local(b))


def test_a_new_skb_day_off_removes_working_time_and_is_audited(db):
    assert minutes(db, "2026-05-05 07:30", "2026-05-05 16:00") == 450
    with db.begin() as s:
        kalender.set_override(s, who(db, "admin"), dt.date(2026, 5, 5), "libur", "SKB cuti bersama tambahan")
    assert minutes(db, "2026-05-05 07:30", "2026-05-05 16:00") == 0
    with db() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.object_id) == ("ubah_pengaturan", "2026-05-05")


def test_removing_an_override_restores_the_day(db):
    day = dt.date(2026, 5, 5)
    with db.begin() as s:
        kalender.set_override(s, who(db, "admin"), day, "libur", "SKB")
    with db.begin() as s:
        kalender.remove_override(s, who(db, "admin"), day)
    assert minutes(db, "2026-05-05 07:30", "2026-05-05 16:00") == 450


def test_the_year_list_shows_holidays_and_overrides(db):
    with db.begin() as s:
        kalender.set_override(s, who(db, "admin"), dt.date(2025, 5, 10), "kerja", "Sabtu pengganti")
    with db() as s:
        rows = kalender.days_off(kalender.load_calendar(s), 2025)
    by_day = {r.day: r for r in rows}
    assert by_day[dt.date(2025, 3, 31)].source == "libur nasional/cuti bersama"
    assert by_day[dt.date(2025, 5, 10)].source == "pengecualian admin"


def test_staf_cannot_change_the_calendar(db):
    with pytest.raises(PermissionDenied), db.begin() as s:
        kalender.set_override(s, who(db, "rina"), dt.date(2026, 5, 5), "libur", "coba")


def test_an_override_needs_a_note_and_a_known_kind(db):
    with pytest.raises(kalender.CalendarError, match="keterangan"), db.begin() as s:
        kalender.set_override(s, who(db, "admin"), dt.date(2026, 5, 5), "libur", " ")
    with pytest.raises(kalender.CalendarError), db.begin() as s:
        kalender.set_override(s, who(db, "admin"), dt.date(2026, 5, 5), "cuti", "x")
    with pytest.raises(kalender.CalendarError, match="Tidak ada pengecualian"), db.begin() as s:
        kalender.remove_override(s, who(db, "admin"), dt.date(2026, 5, 6))
