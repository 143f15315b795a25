"""The working calendar: Perpres 21/2023 hours, breaks, Friday, holidays and cuti bersama, overrides."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.base.mutu_baku import parse
from lib.base.worktime import WIB, CalendarSettings, Override, WorkCalendar, parse_local

CAL = WorkCalendar()


def wib(text):
    return parse_local(text)


def test_nyepi_and_idul_fitri_with_cuti_bersama_leave_90_minutes_because_27_march_fell_in_ramadan():
    # Thu 27 Mar 2025 15:00 → Tue 8 Apr 2025 09:00 WIB. 27 March 2025 fell in Ramadan 1446 H, whose Thursday
    # hours end at 15:00: nothing that day (150 minutes before Ramadan hours applied by default: 60 on
    # Thursday). Nyepi, Idul Fitri and cuti bersama fill the gap; Tuesday 8 April, after Ramadan, gives
    # 07:30–09:00.
    assert CAL.working_minutes(wib("2025-03-27 15:00"), wib("2025-04-08 09:00")) == 90
    normal_hours = WorkCalendar(CalendarSettings(ramadan_week=CalendarSettings().week))
    assert normal_hours.working_minutes(wib("2025-03-27 15:00"), wib("2025-04-08 09:00")) == 150


def test_ramadan_hours_apply_by_default_from_1_ramadan_to_the_day_before_idul_fitri():
    period = CAL.ramadan(2026)
    assert (period.start, period.end, period.source) == (dt.date(2026, 2, 19), dt.date(2026, 3, 20), "otomatis")
    assert CAL.minutes_in_day(dt.date(2026, 3, 4)) == 390   # a Wednesday in Ramadan 1447 H
    assert CAL.minutes_in_day(dt.date(2026, 2, 18)) == 450  # the day before 1 Ramadan
    assert CAL.minutes_in_day(dt.date(2026, 5, 6)) == 450   # a Wednesday in May
    assert CAL.hours_on(dt.date(2026, 3, 4)) == (((480, 720), (750, 900)), "jam kerja Ramadan")
    assert CAL.ramadan(2025).start == dt.date(2025, 3, 1)   # 1 Ramadan 1446 H as the government set it


def test_the_admins_ramadan_period_replaces_the_derived_one_for_its_year_only():
    cal = WorkCalendar(CalendarSettings(ramadan_periods=((dt.date(2026, 2, 20), dt.date(2026, 3, 20)),),
                                        ramadan_notes={dt.date(2026, 2, 20): "sidang isbat"}))
    assert cal.ramadan(2026).source == "admin" and cal.ramadan(2026).keterangan == "sidang isbat"
    assert cal.minutes_in_day(dt.date(2026, 2, 19)) == 450 and cal.minutes_in_day(dt.date(2026, 2, 20)) == 390
    assert cal.ramadan(2025).source == "otomatis"


def test_every_working_day_holds_450_minutes_friday_included():
    for day in ("2025-05-05", "2025-05-08", "2025-05-09"):  # Monday, Thursday, Friday
        d = dt.date.fromisoformat(day)
        assert CAL.minutes_in_day(d) == 450


def test_friday_has_a_longer_break_and_a_later_close():
    # Friday 2 May 2025: 11:00–11:30 counts, 11:30–13:00 is the break, 13:00–14:00 counts.
    assert CAL.working_minutes(wib("2025-05-02 11:00"), wib("2025-05-02 14:00")) == 90
    assert CAL.working_minutes(wib("2025-05-02 16:00"), wib("2025-05-02 17:00")) == 30


def test_the_midday_break_is_not_working_time():
    assert CAL.working_minutes(wib("2025-05-06 11:30"), wib("2025-05-06 13:30")) == 60


def test_a_weekend_is_not_working_time():
    # Friday 16 May 2025 16:00–16:30 and Monday 19 May 07:30–08:00.
    assert CAL.working_minutes(wib("2025-05-16 16:00"), wib("2025-05-19 08:00")) == 30 + 30


def test_waisak_on_a_monday_is_not_working_time():
    assert CAL.holiday_name(dt.date(2025, 5, 12)) is not None
    assert CAL.working_minutes(wib("2025-05-09 16:00"), wib("2025-05-12 08:00")) == 30


def test_utc_instants_are_read_in_wib():
    start = dt.datetime(2025, 5, 6, 1, 0, tzinfo=dt.timezone.utc)  # 08:00 WIB
    end = dt.datetime(2025, 5, 6, 2, 0, tzinfo=dt.timezone.utc)    # 09:00 WIB
    assert CAL.working_minutes(start, end) == 60


def test_an_admin_holiday_override_removes_a_working_day():
    day = dt.date(2025, 5, 6)
    cal = WorkCalendar(CalendarSettings(overrides={day: Override("libur", "SKB cuti bersama baru")}))
    assert cal.working_minutes(wib("2025-05-06 07:30"), wib("2025-05-06 16:00")) == 0
    assert cal.holiday_name(day) == "SKB cuti bersama baru"


def test_an_admin_working_day_override_opens_a_saturday():
    day = dt.date(2025, 5, 10)
    cal = WorkCalendar(CalendarSettings(overrides={day: Override("kerja", "Hari kerja pengganti")}))
    assert CAL.working_minutes(wib("2025-05-10 07:00"), wib("2025-05-10 17:00")) == 0
    assert cal.working_minutes(wib("2025-05-10 07:00"), wib("2025-05-10 17:00")) == 450


def test_an_admin_working_day_override_can_cancel_a_public_holiday():
    day = dt.date(2025, 4, 1)  # Idul Fitri day 2
    cal = WorkCalendar(CalendarSettings(overrides={day: Override("kerja", "")}))
    assert cal.minutes_in_day(day) == 450 and CAL.minutes_in_day(day) == 0


def test_ramadan_hours_apply_only_inside_the_admins_ramadan_period():
    settings = CalendarSettings(ramadan_periods=((dt.date(2025, 3, 1), dt.date(2025, 3, 30)),))
    cal = WorkCalendar(settings)
    assert cal.minutes_in_day(dt.date(2025, 3, 10)) == 390
    assert cal.minutes_in_day(dt.date(2025, 5, 5)) == 450


def test_settings_round_trip_through_their_stored_form():
    s = CalendarSettings(ramadan_periods=((dt.date(2026, 2, 18), dt.date(2026, 3, 19)),))
    back = CalendarSettings.from_dict(s.to_dict())
    assert back.week == s.week and back.ramadan_week == s.ramadan_week and back.ramadan_periods == s.ramadan_periods


def test_a_target_in_working_minutes_falls_due_after_the_holidays():
    due = CAL.add_working_minutes(wib("2025-03-27 15:00"), 90)
    assert due == dt.datetime(2025, 4, 8, 9, 0, tzinfo=WIB)


def test_one_hari_is_450_working_minutes_not_24_hours():
    due = CAL.due(wib("2025-05-06 10:00"), parse("1 Hari"))
    assert due == dt.datetime(2025, 5, 7, 10, 0, tzinfo=WIB)


def test_a_calendar_window_is_due_on_its_last_day():
    target = parse("Setiap Tanggal 1 - 15")
    assert CAL.due(wib("2025-05-06 10:00"), target).date() == dt.date(2025, 5, 15)
    assert CAL.due(wib("2025-05-20 10:00"), target).date() == dt.date(2025, 6, 15)


def test_a_calendar_window_is_judged_by_the_completion_date():
    target = parse("Tanggal 18 - 20")
    assert CAL.within_target(wib("2025-05-02 08:00"), wib("2025-05-19 15:00"), target)
    assert not CAL.within_target(wib("2025-05-02 08:00"), wib("2025-05-21 08:00"), target)


def test_months_are_calendar_months():
    assert CAL.due(wib("2025-01-31 09:00"), parse("1 bulan")).date() == dt.date(2025, 2, 28)
    assert CAL.due(wib("2025-03-27 15:00"), parse("12 bulan")).date() == dt.date(2026, 3, 27)


def test_vectorised_working_minutes_agree_on_known_cases_and_skip_missing_values():
    starts = pd.Series(pd.to_datetime(["2025-03-27 08:00", "2025-05-02 04:00", None], utc=True))
    ends = pd.Series(pd.to_datetime(["2025-04-08 02:00", "2025-05-02 07:00", "2025-05-02 07:00"], utc=True))
    got = CAL.working_minutes_array(starts, ends)
    assert got[0] == 90 and got[1] == 90 and np.isnan(got[2])  # 27 March 2025 fell in Ramadan


instants = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31),
                        timezones=st.just(dt.timezone.utc))


@settings(max_examples=150, deadline=None)
@given(instants, instants)
def test_vectorised_and_scalar_working_minutes_are_the_same(a, b):
    a, b = min(a, b), max(a, b)
    vec = CAL.working_minutes_array(pd.Series([a]), pd.Series([b]))[0]
    assert abs(vec - CAL.working_minutes(a, b)) < 1e-6


@settings(max_examples=100, deadline=None)
@given(instants, st.integers(min_value=1, max_value=20000))
def test_the_due_instant_is_exactly_the_target_away_in_working_time(start, minutes):
    due = CAL.add_working_minutes(start, minutes)
    assert abs(CAL.working_minutes(start, due) - minutes) < 1e-6


def test_the_admin_corrects_ramadan_on_the_calendar_and_the_change_is_audited(ready_db):
    from sqlalchemy import select

    from lib.base import kalender
    from lib.base.accounts import load_actor
    from lib.base.db import AuditEntry, session_factory
    from lib.base.permissions import PermissionDenied

    from .conftest import add_users

    db_url = ready_db
    add_users(db_url, ("admin", "admin", None), ("staf", "staf", None))
    with session_factory(db_url).begin() as s:
        kalender.set_ramadan(s, load_actor(s, "admin"), dt.date(2026, 2, 20), dt.date(2026, 3, 20), "sidang isbat")
    with session_factory(db_url)() as s:
        cal = kalender.load_calendar(s)
        assert cal.ramadan(2026).start == dt.date(2026, 2, 20) and cal.minutes_in_day(dt.date(2026, 2, 19)) == 450
        assert "diatur admin: sidang isbat" in kalender.ramadan_text(cal, 2026)
        details = s.scalars(select(AuditEntry.detail).where(AuditEntry.object_id == "ramadan-2026")).all()
        assert details and "20 Februari 2026" in details[-1]
        with pytest.raises(kalender.CalendarError, match="29 atau 30 hari"):
            kalender.set_ramadan(s, load_actor(s, "admin"), dt.date(2026, 3, 1), dt.date(2026, 3, 20), "x")
        with pytest.raises(PermissionDenied):
            kalender.set_ramadan(s, load_actor(s, "staf"), dt.date(2026, 2, 20), dt.date(2026, 3, 20), "x")
    with session_factory(db_url).begin() as s:
        kalender.remove_ramadan(s, load_actor(s, "admin"), 2026)
    with session_factory(db_url)() as s:
        assert kalender.load_calendar(s).ramadan(2026).source == "otomatis"


def test_the_calendar_page_shows_the_ramadan_in_force_and_the_hours_of_a_chosen_day(app_db):
    from .test_pages import open_app, texts

    at = open_app("admin-kalender", user="admin")
    at.number_input[0].set_value(2026).run()
    at.date_input(key="kal_jam_tanggal").set_value(dt.date(2026, 3, 4)).run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Ramadan yang berakhir pada 2026: 19 Februari 2026 – 20 Maret 2026 (dihitung otomatis" in shown
    assert "08.00–12.00, 12.30–15.00 (390 menit kerja; jam kerja Ramadan)." in shown
