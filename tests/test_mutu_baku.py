"""The mutu baku parser: every waktu text of the seeds, ranges, calendar windows, and refusals."""
import pytest

from lib.base import mutu_baku
from lib.base.mutu_baku import MutuBaku, MutuBakuError, parse
from lib.catalogue import model as catalog


@pytest.mark.parametrize("text, expected", [
    ("5 Menit", (5, 5, "menit")),
    ("30 menit", (30, 30, "menit")),
    ("2 Jam", (2, 2, "jam")),
    ("2-3 Jam", (2, 3, "jam")),
    ("1 Hari", (1, 1, "hari")),
    ("5 hari", (5, 5, "hari")),
    ("1 minggu", (1, 1, "minggu")),
    ("12 bulan", (12, 12, "bulan")),
    ("Setiap Tanggal 1 - 15", (1, 15, "tanggal")),
    ("Setiap Tanggal 1 -  15", (1, 15, "tanggal")),
    ("Tanggal 18 - 20", (18, 20, "tanggal")),
    ("Setiap Tanggal 15 - 20", (15, 20, "tanggal")),
    ("7 Hari", (7, 7, "hari")),
])
def test_waktu_texts_of_the_seeds_parse(text, expected):
    got = parse(text)
    assert (got.value, got.max, got.unit) == expected


def test_every_waktu_in_the_catalogue_parses_to_a_target_or_is_empty():
    units = set()
    for doc in catalog.load_catalog().values():
        for step in getattr(doc, "langkah", []):
            if step.waktu.strip():
                target = parse(step.waktu)
                assert isinstance(target, MutuBaku), (doc.id, step.no)
                units.add(target.unit)
            else:
                assert parse(step.waktu) is None
    # The seeds use every unit of docs/design.md but ``bulan``: their one "12 bulan" (pekerja rentan, payment)
    # is the coverage period, not a step's deadline; the grammar keeps the unit for a monthly promise.
    assert units == set(mutu_baku.UNITS) - {"bulan"}


def test_a_range_is_judged_by_its_upper_end():
    t = parse("2-3 Jam")
    assert t.limit == 3 and t.working_minutes == 180


@pytest.mark.parametrize("text, minutes", [
    ("5 Menit", 5), ("2 Jam", 120), ("1 Hari", 450), ("3 hari", 1350), ("1 minggu", 2250)])
def test_working_units_convert_to_working_minutes(text, minutes):
    assert parse(text).working_minutes == minutes


@pytest.mark.parametrize("text", ["12 bulan", "Setiap Tanggal 1 - 15"])
def test_calendar_targets_have_no_working_minutes(text):
    t = parse(text)
    assert t.is_calendar and t.working_minutes is None


@pytest.mark.parametrize("text", ["sebentar", "5", "menit", "lima menit", "3-2 jam", "0 menit", "Tanggal 0 - 40",
                                  "5 detik"])
def test_unknown_text_is_an_error_not_a_silent_zero(text):
    with pytest.raises(MutuBakuError) as err:
        parse(text)
    assert "Waktu" in str(err.value)


@pytest.mark.parametrize("text", [None, "", "  ", "-"])
def test_empty_waktu_means_no_target(text):
    assert parse(text) is None


def test_total_is_written_in_working_days_hours_and_minutes():
    assert mutu_baku.format_working_minutes(545) == "1 hari 1 jam 35 menit kerja"
    assert mutu_baku.format_working_minutes(35) == "35 menit kerja"
    assert mutu_baku.format_working_minutes(None) == "—"


def test_calendar_days_count_weekends_and_holidays_and_are_judged_on_the_calendar():
    import datetime as dt

    from lib.base.worktime import WIB, WorkCalendar, parse_local

    t = parse("7 Hari Kalender")
    assert (t.max, t.unit, t.is_calendar, t.working_minutes) == (7, "hari kalender", True, None)
    assert t.label() == "7 hari kalender"
    cal = WorkCalendar()
    # Paid on Friday 27 March 2026 10:00 (after Idul Fitri's cuti bersama): due Friday 3 April 10:00, whatever
    # the weekend and Good Friday in between; 7 working days would run to 8 April.
    assert cal.due(parse_local("2026-03-27 10:00"), t) == dt.datetime(2026, 4, 3, 10, 0, tzinfo=WIB)
    assert cal.within_target(parse_local("2026-03-27 10:00"), parse_local("2026-04-03 09:00"), t)
    assert not cal.within_target(parse_local("2026-03-27 10:00"), parse_local("2026-04-03 11:00"), t)
    assert cal.due(parse_local("2026-03-27 10:00"), parse("7 Hari")).date() == dt.date(2026, 4, 8)
