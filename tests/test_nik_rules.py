"""The NIK rules of docs/design.md: structure, province codes, women's day + 40, serial, Excel damage, and
warnings that never reject a NIK. Property tests build NIKs from their parts and read them back."""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.casework import nik

TODAY = dt.date(2026, 11, 22)


def build(prov: int, reg: int, dist: int, born: dt.date, woman: bool, serial: int) -> str:
    day = born.day + (40 if woman else 0)
    return f"{prov:02d}{reg:02d}{dist:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


parts = st.tuples(st.sampled_from(sorted(nik.PROVINCE_CODES)), st.integers(1, 99), st.integers(1, 99),
                  st.dates(min_value=dt.date(1927, 1, 1), max_value=TODAY), st.booleans(), st.integers(1, 9999))


@given(parts)
def test_a_nik_built_from_valid_parts_is_valid_and_reads_back_its_birth_date_and_sex(p):
    prov, reg, dist, born, woman, serial = p
    result = nik.check(build(*p), today=TODAY)
    assert result.ok, result.errors
    assert result.sex == ("P" if woman else "L")
    assert (result.birth_date.day, result.birth_date.month, result.birth_date.year % 100) == \
        (born.day, born.month, born.year % 100)


# Any text, NIK-like ones with one character changed, and records that agree or disagree with them.
nik_like = st.one_of(
    parts.map(lambda p: build(*p)),
    st.tuples(parts.map(lambda p: build(*p)), st.integers(0, 15), st.sampled_from("0123456789 .'A٣")).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + 1:]),
    st.text(max_size=20), st.floats(), st.none())
record_dates = st.one_of(st.none(), st.dates(min_value=dt.date(1920, 1, 1), max_value=TODAY))
record_sexes = st.sampled_from([None, "", "Laki-laki", "Perempuan", "l", "p", "X"])


@given(nik_like, record_dates, record_sexes, st.booleans())
def test_the_quick_path_answers_exactly_when_the_full_check_has_nothing_to_say(raw, born, sex, number_cell):
    full = nik.check(raw, number_cell=number_cell, birth_date=born, sex=sex, today=TODAY)
    fast = None if number_cell else nik.quick(raw, TODAY.year, born, sex)
    silent = not full.errors and not full.warnings
    assert (fast is not None) == silent, (raw, full)
    if fast is not None:
        assert (full.nik, full.birth_date, full.sex) == (raw, *fast)


@given(parts, st.sampled_from([" ", "."]))
def test_spaces_dots_and_a_leading_apostrophe_are_ignored(p, sep):
    n = build(*p)
    typed = "'" + sep.join([n[:6], n[6:12], n[12:]])
    assert nik.check(typed, today=TODAY).nik == n


@given(parts, st.integers(1, 15))
def test_a_nik_that_is_not_16_digits_is_invalid(p, cut):
    assert [c for c, _ in nik.check(build(*p)[:cut], today=TODAY).errors] == ["nik_panjang"]


@given(parts)
def test_the_mask_keeps_only_the_first_and_last_four_digits(p):
    n = build(*p)
    assert nik.mask(n) == n[:4] + "********" + n[-4:]


@pytest.mark.parametrize("value, code", [
    (None, "nik_kosong"), ("", "nik_kosong"), ("3201", "nik_panjang"), ("32010101019000031", "nik_panjang"),
    ("3201A10101900003", "nik_panjang"),
    ("2001010101900003", "nik_provinsi"), ("9901010101900003", "nik_provinsi"),
    ("3201013202900003", "nik_tanggal"), ("3201017202900003", "nik_tanggal"), ("3201010113900003", "nik_tanggal"),
    ("3201010101900000", "nik_urut"), ("3200000101900001", "nik_wilayah"), ("3201000101900001", "nik_wilayah"),
    ("3.20101E+15", "nik_excel"), ("3,20101E+15", "nik_excel"),
])
def test_invalid_niks(value, code):
    result = nik.check(value, today=TODAY)
    assert not result.ok and code in [c for c, _ in result.errors]


def test_the_newer_papua_provinces_are_real():
    assert nik.check("9501010101900003", today=TODAY).ok


def test_a_woman_has_40_added_to_her_day():
    result = nik.check("3201014101900003", today=TODAY)
    assert result.ok and result.sex == "P" and result.birth_date == dt.date(1990, 1, 1)


def test_29_february_needs_a_leap_year():
    assert nik.check("3201012902000003", today=TODAY).birth_date == dt.date(2000, 2, 29)
    assert not nik.check("3201012902010003", today=TODAY).ok


def test_a_number_cell_ending_in_0_may_have_lost_its_last_digit():
    result = nik.check(3201010101900010.0, number_cell=True, today=TODAY)
    assert [c for c, _ in result.errors] == ["nik_excel"]


def test_a_number_cell_not_ending_in_0_is_kept_with_a_warning():
    result = nik.check(3201010101900003, number_cell=True, today=TODAY)
    assert result.ok and [c for c, _ in result.warnings] == ["nik_angka"]


def test_a_different_birth_date_or_sex_is_a_warning_never_a_rejection():
    result = nik.check("3201010101900003", birth_date=dt.date(1991, 1, 1), sex="P", today=TODAY)
    assert result.ok
    assert [c for c, _ in result.warnings] == ["nik_tanggal_beda", "nik_jk_beda"]


def test_messages_are_indonesian():
    assert nik.check("3201", today=TODAY).errors[0][1].startswith("NIK harus 16 angka")


# --- more properties: every rule over every input, and the two ways a NIK is read agree ---------------------

digits16 = st.text(alphabet="0123456789", min_size=16, max_size=16)


def _same(a: nik.NikCheck, b: nik.NikCheck) -> bool:
    return (a.nik, [c for c, _ in a.errors], a.warnings, a.birth_date, a.sex) == \
        (b.nik, [c for c, _ in b.errors], b.warnings, b.birth_date, b.sex)


@given(parts, st.integers(0, 99).filter(lambda p: p not in nik.PROVINCE_CODES))
def test_a_province_code_outside_the_list_is_invalid(p, prov):
    assert "nik_provinsi" in [c for c, _ in nik.check(build(prov, *p[1:]), today=TODAY).errors]


@given(parts)
def test_a_serial_of_0000_is_always_invalid(p):
    n = build(*p)[:12] + "0000"
    assert [c for c, _ in nik.check(n, today=TODAY).errors] == ["nik_urut"]


@given(parts)
def test_a_valid_nik_typed_as_a_number_is_kept_with_a_warning_unless_it_ends_in_0_or_is_past_2_to_the_53(p):
    n = build(*p)
    result = nik.check(float(n), number_cell=True, today=TODAY)
    if n.endswith("0") or int(n) >= 2 ** 53:  # a double holds only even numbers from 2**53 on (Papua's 91–96)
        assert [c for c, _ in result.errors] == ["nik_excel"]
    else:
        assert result.ok and result.nik == n and [c for c, _ in result.warnings] == ["nik_angka"]


@given(parts, st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), st.sampled_from(["L", "P", "Laki-laki",
                                                                                       "perempuan", "X", None]))
def test_a_birth_date_or_sex_on_the_row_never_rejects_a_valid_nik(p, born, sex):
    result = nik.check(build(*p), birth_date=born, sex=sex, today=TODAY)
    assert result.ok
    codes = [c for c, _ in result.warnings]
    same_date = (born.day, born.month, born.year % 100) == (p[3].day, p[3].month, p[3].year % 100)
    assert ("nik_tanggal_beda" in codes) == (not same_date)
    written = (sex or "")[:1].upper()
    assert ("nik_jk_beda" in codes) == (written in ("L", "P") and written != ("P" if p[4] else "L"))


@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(), digits16), st.booleans())
def test_check_never_raises_and_a_usable_nik_is_16_ascii_digits(raw, number_cell):
    result = nik.check(raw, number_cell=number_cell, today=TODAY)
    assert result.errors or (len(result.nik) == 16 and result.nik.isascii() and result.nik.isdigit())


@given(digits16, st.sampled_from(["'{}", " {} ", "{}\t", "{}.", "'{} "]))
def test_a_nik_as_typed_and_as_plain_text_get_the_same_verdict(n, typed):
    assert _same(nik.check(typed.format(n), today=TODAY), nik.check(n, today=TODAY))
