"""The working calendar: Perpres 21/2023 hours, breaks, Friday, holidays and cuti bersama, overrides."""
import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.base.mutu_baku import parse
from lib.base.worktime import WIB, CalendarSettings, Override, WorkCalendar, parse_local

CAL = WorkCalendar()


def wib(text):
    return parse_local(text)


def test_nyepi_and_idul_fitri_with_cuti_bersama_leave_150_minutes():
    # Thu 27 Mar 2025 15:00 → Tue 8 Apr 2025 09:00 WIB: 60 min on Thursday, 90 on Tuesday.
    assert CAL.working_minutes(wib("2025-03-27 15:00"), wib("2025-04-08 09:00")) == 150


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
    due = CAL.add_working_minutes(wib("2025-03-27 15:00"), 150)
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
    assert got[0] == 150 and got[1] == 90 and np.isnan(got[2])


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
