"""NIK (Nomor Induk Kependudukan): checking one, and showing one.

A NIK is 16 digits: province (2) + regency (2) + district (2) + birth date DDMMYY, with 40 added to the
day for women, + a 4-digit serial. A NIK never changes even when its date is wrong, so a birth date or
sex that disagrees with the person's record is a warning, not a rejection. Excel keeps 15 significant
digits: a NIK typed as a number comes back as ``3.20101E+15`` or ending in ``0``; :func:`check` says so.

On screen (UU 27/2022): :func:`mask` is the one way a NIK is shown; :func:`reveal` checks
``view_nik_full`` and records every full view in the audit log. An audit entry about one NIK that is not tied
to an object holding it (a search by NIK, the export of a person's data) names it by :func:`fingerprint`, so
that the person's entries can be found again without the log ever holding the full NIK.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from lib.base.permissions import Actor, require
from lib.base.rows import FormulaError

if TYPE_CHECKING:  # checking a NIK needs no database: a village file is checked without SQLAlchemy loaded
    from sqlalchemy.orm import Session


def mask(nik: str | None) -> str:
    """``3201010101900003`` → ``3201********0003``; anything shorter than 8 characters is fully masked."""
    if not nik:
        return "—"
    s = str(nik).strip()
    if len(s) < 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def reveal(session: Session, actor: Actor, nik: str, object_type: str, object_id: str | int,
           scope: str | None = None) -> str:
    """The full NIK, for an actor holding ``view_nik_full`` (on ``scope``); the view is logged."""
    from lib.base import audit

    require(actor, "view_nik_full", scope)
    audit.record(session, actor, "lihat_nik", object_type, object_id, f"NIK {mask(nik)} ditampilkan lengkap")
    return nik


def display(session: Session, actor: Actor, nik: str | None, object_type: str, object_id: str | int,
            full: bool = False, scope: str | None = None) -> str:
    """What a page shows: the masked NIK, or the full one when asked for and permitted."""
    if not full or not nik:
        return mask(nik)
    return reveal(session, actor, nik, object_type, object_id, scope)


#: The settings row holding the key of :func:`fingerprint` (made once, never changed: a new key would part the
#: log's old entries from their person).
FINGERPRINT_KEY_SETTING = "kunci_sidik_nik"
#: The ``object_type`` of an audit entry whose ``object_id`` is a :func:`fingerprint`.
AUDIT_OBJECT = "nik"


def fingerprint(session: Session, nik: str) -> str:
    """A keyed digest of the NIK (HMAC-SHA256, 32 hex digits) for the audit log: the same NIK gives the same
    fingerprint, and nobody reading the log can test a guessed NIK against it without the key, which lives in
    the settings table and is never shown. The key is created on first use."""
    from sqlalchemy.exc import IntegrityError

    from lib.base.db import Setting, utcnow

    row = session.get(Setting, FINGERPRINT_KEY_SETTING)
    if row is None:
        try:
            with session.begin_nested():  # two first uses at once: one key wins, the other reads it
                session.add(Setting(key=FINGERPRINT_KEY_SETTING, value={"key": secrets.token_hex(32)},
                                    updated_at=utcnow()))
        except IntegrityError:
            pass
        row = session.get(Setting, FINGERPRINT_KEY_SETTING, populate_existing=True)
    return hmac.new(row.value["key"].encode(), nik.encode(), hashlib.sha256).hexdigest()[:32]


#: Province codes (docs/design.md). 92–96 are the newer Papua provinces; a prefix never proves the current region.
PROVINCE_CODES = frozenset([*range(11, 20), 21, *range(31, 37), *range(51, 54), *range(61, 66), *range(71, 77),
                            81, 82, *range(91, 97)])

_PROVINCES = frozenset(f"{p:02d}" for p in PROVINCE_CODES)
_SCIENTIFIC = re.compile(r"^\s*'?\d+(?:[.,]\d+)?[eE]\+?\d+\s*$")
_SPACES_DOTS = re.compile(r"[\s.]")
_DIGITS16 = re.compile(r"[0-9]{16}")


@dataclass(slots=True)
class NikCheck:
    """The result of :func:`check`: ``errors`` make the NIK unusable, ``warnings`` do not."""
    nik: str | None
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    birth_date: dt.date | None = None
    sex: str | None = None  # "L" or "P"

    @property
    def ok(self) -> bool:
        return not self.errors


def normalize(raw) -> str:
    """Digits of a NIK as typed: spaces, dots and a leading apostrophe removed."""
    text = str(raw).strip()
    if text.startswith("'"):
        text = text[1:]
    return _SPACES_DOTS.sub("", text)


@lru_cache(maxsize=1 << 17)  # every DDMMYY of a century for both sexes is ~73,000 keys
def _birth(ddmmyy: str, this_year: int) -> tuple[dt.date | None, str]:
    """(birth date, sex) of the DDMMYY part of a NIK (day + 40 for women); a two-digit year is the most
    recent one not after ``this_year``. Cached: a village file repeats the same dates many times."""
    day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    sex = "L"
    if day > 40:
        day, sex = day - 40, "P"
    for year in ((2000 + yy, 1900 + yy) if 2000 + yy <= this_year else (1900 + yy,)):
        try:
            return dt.date(year, month, day), sex
        except ValueError:
            continue
    return None, sex


_EXCEL_ZERO = ("nik_excel", "NIK diketik sebagai angka dan berakhir 0: Excel hanya menyimpan 15 angka, jadi angka "
                            "terakhir mungkin hilang. Format kolom NIK sebagai Teks lalu ketik ulang NIK-nya.")
_TYPED_AS_NUMBER = ("nik_angka", "NIK diketik sebagai angka; lain kali format kolom NIK sebagai Teks.")
#: From 2**53 (9.007.199.254.740.992) on, a number cell holds even numbers only: a NIK of provinces 91–96 typed as
#: a number may come back one off, whatever the program that saved it.
_FLOAT_EXACT = 2.0 ** 53
_TOO_BIG = ("nik_excel", "NIK diketik sebagai angka dan terlalu besar untuk disimpan tepat sebagai angka, jadi angka "
                         "terakhirnya mungkin berubah. Format kolom NIK sebagai Teks lalu ketik ulang NIK-nya.")
_SERIAL_ZERO = ("nik_urut", "Nomor urut NIK (4 angka terakhir) tidak boleh 0000.")


def quick(raw, year: int, birth_date: dt.date | None = None, sex: str | None = None) -> tuple[dt.date, str] | None:
    """(birth date, sex) of the NIK ``raw`` when :func:`check` would find nothing to say about it — text of 16
    ASCII digits, not from a number cell, breaking no rule and agreeing with the record's ``birth_date`` and
    ``sex`` — else None (then :func:`check` gives the reasons). The common row of a village file, checked
    without building a :class:`NikCheck`; ``year`` is today's. ``tests/test_nik_rules.py`` holds the two to the
    same answers."""
    if raw.__class__ is not str or len(raw) != 16 or not raw.isascii() or not raw.isdigit():
        return None
    if raw[:2] not in _PROVINCES or raw[2:4] == "00" or raw[4:6] == "00" or raw[12:] == "0000":
        return None
    born, nik_sex = _birth(raw[6:12], year)
    if born is None:
        return None
    if birth_date is not None and born != birth_date and (
            born.day != birth_date.day or born.month != birth_date.month or born.year % 100 != birth_date.year % 100):
        return None
    if sex and sex[0] != nik_sex and sex[0].upper() in ("L", "P") and sex[0].upper() != nik_sex:
        return None
    return born, nik_sex


def check(raw, *, number_cell: bool = False, birth_date: dt.date | None = None, sex: str | None = None,
          today: dt.date | None = None) -> NikCheck:
    """Check one NIK. ``number_cell``: it came from a spreadsheet cell stored as a number.

    ``birth_date`` and ``sex`` (``L``/``P``) are the person's record, compared as warnings.
    Only the ASCII digits 0–9 count as digits.
    """
    if raw.__class__ is str and len(raw) == 16 and _DIGITS16.fullmatch(raw):
        digits = text = raw  # the common case, written as text: no cleaning needed
    else:
        if isinstance(raw, FormulaError):
            return NikCheck(None, [("nik_rumus", f"Sel NIK berisi galat rumus “{raw}”, bukan NIK: rumus di sel "
                                                 "itu gagal. Ganti rumusnya dengan NIK yang diketik sebagai teks.")])
        if raw is None or (isinstance(raw, float) and raw != raw) or str(raw).strip() in ("", "'"):
            return NikCheck(None, [("nik_kosong", "NIK kosong.")])
        if isinstance(raw, float) and number_cell:
            if raw.is_integer() and _FLOAT_EXACT <= raw < 1e16:
                return NikCheck(f"{raw:.0f}", [_TOO_BIG])
            raw = f"{raw:.0f}" if raw.is_integer() and raw < 1e16 else repr(raw)
        text = str(raw).strip()
        if _SCIENTIFIC.match(text):
            return NikCheck(None, [("nik_excel", f"NIK “{text}” rusak oleh Excel (ditulis sebagai angka ilmiah). "
                                                 "Format kolom NIK sebagai Teks lalu ketik ulang NIK-nya.")])
        digits = normalize(text)
        if not _DIGITS16.fullmatch(digits):
            return NikCheck(digits, [("nik_panjang", f"NIK harus 16 angka; tertulis “{text}” "
                                                     f"({len(digits)} karakter).")])
    result = NikCheck(digits)
    errors = result.errors
    if number_cell:
        if digits[15] == "0":
            # Excel kept 15 digits and zeroed the rest: a zero serial or birth date may be that damage, so
            # the one message is "retype it as text".
            errors.append(_EXCEL_ZERO)
            return result
        else:
            result.warnings.append(_TYPED_AS_NUMBER)
    if digits[:2] not in _PROVINCES:
        errors.append(("nik_provinsi", f"Kode provinsi “{digits[:2]}” pada NIK tidak ada."))
    elif digits[2:4] == "00" or digits[4:6] == "00":
        part = "kabupaten/kota" if digits[2:4] == "00" else "kecamatan"
        errors.append(("nik_wilayah", f"Kode {part} “00” pada NIK tidak ada: angka ke-3–4 (kabupaten/kota) dan "
                                      "ke-5–6 (kecamatan) NIK mulai dari 01."))
    born, nik_sex = _birth(digits[6:12], (today or dt.date.today()).year)
    if born is None:
        errors.append(("nik_tanggal", f"Bagian tanggal lahir NIK “{digits[6:12]}” bukan tanggal yang sah "
                                      "(untuk perempuan tanggal ditambah 40)."))
    if digits[12:] == "0000":
        errors.append(_SERIAL_ZERO)
    if errors:
        return result
    result.birth_date, result.sex = born, nik_sex
    if birth_date is not None and born != birth_date and (
            born.day != birth_date.day or born.month != birth_date.month or born.year % 100 != birth_date.year % 100):
        result.warnings.append(("nik_tanggal_beda", f"Tanggal lahir {birth_date:%d-%m-%Y} berbeda dengan tanggal "
                                                    f"pada NIK ({born:%d-%m-%y}); NIK tetap dipakai."))
    if sex and sex[0] != nik_sex and sex[0].upper() in ("L", "P") and sex[0].upper() != nik_sex:
        nik_label = "perempuan" if nik_sex == "P" else "laki-laki"
        result.warnings.append(("nik_jk_beda", f"Jenis kelamin {sex} berbeda dengan NIK ({nik_label}); "
                                               "NIK tetap dipakai."))
    return result
