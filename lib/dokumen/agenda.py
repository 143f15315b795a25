"""The agenda register of outgoing letters (*agenda surat keluar*): numbers given once, never reused.

A number is ``pola`` (a setting, default ``{nomor}/{kode}/{bidang}/{tahun}``) filled with the running number of
the year, the letter's archive classification code, the bidang's short code and the year (``{bulan}``: the
month in Roman numerals). The running number counts per year, and per bidang when the pattern holds
``{bidang}``. It comes from a counter row incremented by one UPDATE, which the database serialises (a row lock
on PostgreSQL, the write lock on SQLite), and the letter's number is unique in the table as a second guard: two
requests at the same moment get two different consecutive numbers. A letter of an object keeps its number: asking
for it again gives the same entry (:func:`issue`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import Letter, LetterCounter, Setting, User, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, PermissionDenied, require, scopes_for
from lib.base.sheets import safe_cell, to_bytes
from lib.base.worktime import WIB

SETTING_KEY = "nomor_surat"
DEFAULT_PATTERN = "{nomor}/{kode}/{bidang}/{tahun}"
FIELDS = ("nomor", "kode", "bidang", "tahun", "bulan")
#: The bidang's code in a letter number (an agency changes it with the pattern).
BIDANG_CODES = {"tenaga-kerja": "TK", "jaminan-sosial": "JS"}
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


class AgendaError(UserError):
    """A letter number could not be given, or the pattern is not usable (Indonesian message)."""


def pattern(session: Session) -> str:
    row = session.get(Setting, SETTING_KEY)
    return (row.value or {}).get("pola", DEFAULT_PATTERN) if row else DEFAULT_PATTERN


def check_pattern(text: str) -> str:
    text = (text or "").strip()
    names = re.findall(r"\{([^{}]*)\}", text)
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise AgendaError(f"Pola nomor surat memuat {{{unknown[0]}}} yang tidak dikenal; yang tersedia: "
                          + ", ".join(f"{{{f}}}" for f in FIELDS) + ".")
    if "nomor" not in names or "tahun" not in names:
        raise AgendaError("Pola nomor surat harus memuat {nomor} dan {tahun}.")
    if len(text) > 80 or re.search(r"[{}]", re.sub(r"\{[a-z]+\}", "", text)):
        raise AgendaError("Pola nomor surat terlalu panjang atau tanda kurungnya tidak berpasangan.")
    return text


def save_pattern(session: Session, actor: Actor, text: str) -> str:
    """Change the pattern (an admin's setting, audited); numbers already given stay as they are."""
    require(actor, "manage_settings")
    text = check_pattern(text)
    row = session.get(Setting, SETTING_KEY)
    if row is None:
        row = Setting(key=SETTING_KEY, value={})
        session.add(row)
    old = (row.value or {}).get("pola", DEFAULT_PATTERN)
    row.value, row.updated_at, row.updated_by = {"pola": text}, utcnow(), actor.user_id
    audit.record(session, actor, "ubah_pengaturan", "setting", SETTING_KEY, f"pola nomor surat: {old} → {text}")
    return text


def _next_value(session: Session, year: int, key: str) -> int:
    """Increment the counter of (year, key) and return the new value; the UPDATE holds the row's lock until the
    transaction ends, so nobody else gets the same value."""
    for _ in range(3):
        value = session.scalar(update(LetterCounter).where(LetterCounter.year == year, LetterCounter.bidang == key)
                               .values(value=LetterCounter.value + 1).returning(LetterCounter.value)
                               .execution_options(synchronize_session=False))
        if value is not None:
            return value
        try:
            with session.begin_nested():
                session.add(LetterCounter(year=year, bidang=key, value=1))
            return 1
        except IntegrityError:
            continue  # another request created the row first: increment it
    raise AgendaError("Nomor surat tidak dapat dibuat; coba lagi.")


def format_number(pola: str, nomor: int, kode: str, bidang: str, day: dt.date) -> str:
    return pola.format(nomor=nomor, kode=kode, bidang=BIDANG_CODES.get(bidang, bidang.upper()), tahun=day.year,
                       bulan=_ROMAN[day.month - 1])


def given(session: Session, jenis: str, object_type: str, object_id: str | int, ref: str = "") -> Letter | None:
    """The agenda entry already given to the letter ``jenis`` of one object, if any."""
    return session.scalar(select(Letter).where(Letter.jenis == jenis, Letter.object_type == object_type,
                                               Letter.object_id == str(object_id), Letter.ref == ref))


def issue(session: Session, actor: Actor, jenis: str, klasifikasi: str, bidang: str, perihal: str, tujuan: str,
          object_type: str, object_id: str | int, ref: str = "", now: dt.datetime | None = None) -> Letter:
    """The agenda entry of the letter ``jenis`` of one object (``ref`` tells apart several letters of the same
    kind, e.g. the second return of a file): the one already given, or a new number. The caller has checked the
    actor's right to the object; this records the new number in the audit log."""
    if actor.is_anonymous:
        raise PermissionDenied(actor, "run_cases")
    found = given(session, jenis, object_type, object_id, ref)
    if found is not None:
        return found
    now = now or utcnow()
    day = now.astimezone(WIB).date()
    pola = pattern(session)
    key = bidang if "{bidang}" in pola else ""
    seq = _next_value(session, day.year, key)
    letter = Letter(nomor=format_number(pola, seq, klasifikasi, bidang, day)[:120], year=day.year, bidang=bidang,
                    seq=seq, jenis=jenis, perihal=perihal[:300], tujuan=tujuan[:300], object_type=object_type,
                    object_id=str(object_id), ref=ref, created_by=actor.user_id, created_at=now)
    try:
        with session.begin_nested():
            session.add(letter)
    except IntegrityError as err:
        raise AgendaError(f"Nomor surat {letter.nomor} sudah terpakai (pola nomor surat diubah?); coba lagi "
                          "atau periksa pola nomor surat.") from err
    audit.record(session, actor, "beri_nomor_surat", object_type, object_id, f"{letter.nomor}: {perihal}"[:2000])
    return letter


@dataclass(frozen=True)
class Entry:
    nomor: str
    tanggal: dt.datetime
    bidang: str
    perihal: str
    tujuan: str
    objek: str
    oleh: str


def _bidang_filter(actor: Actor) -> set[str] | None:
    scopes = scopes_for(actor, "view_letter_register")
    if scopes is None:
        return None
    return {s.removeprefix("bidang:") for s in scopes if s.startswith("bidang:")}


def years(session: Session) -> list[int]:
    return sorted(set(session.scalars(select(Letter.year))), reverse=True)


def entries(session: Session, actor: Actor, year: int | None = None) -> list[Entry]:
    """The register, newest first; a Kepala Bidang sees their bidang's letters."""
    allowed = _bidang_filter(actor)
    if allowed is not None and not allowed:
        raise PermissionDenied(actor, "view_letter_register")
    q = select(Letter, User.name).join(User, User.id == Letter.created_by, isouter=True)
    if year is not None:
        q = q.where(Letter.year == year)
    if allowed is not None:
        q = q.where(Letter.bidang.in_(allowed))
    rows = session.execute(q.order_by(Letter.created_at.desc(), Letter.id.desc())).all()
    return [Entry(r.nomor, r.created_at, r.bidang, r.perihal, r.tujuan, f"{r.object_type}:{r.object_id}", n or "—")
            for r, n in rows]


def rows(found: list[Entry]) -> list[dict]:
    return [{"Nomor surat": e.nomor, "Tanggal": fmt.waktu_pendek(e.tanggal), "Bidang": e.bidang,
             "Perihal": e.perihal, "Tujuan": e.tujuan, "Objek": e.objek, "Dibuat oleh": e.oleh} for e in found]


def export_xlsx(session: Session, actor: Actor, year: int | None = None) -> bytes:
    """The register as XLSX (the addressees are people: the download is logged)."""
    found = entries(session, actor, year)
    wb = Workbook()
    ws = wb.active
    ws.title = "Agenda surat keluar"
    ws.append(["Nomor surat", "Tanggal (WIB)", "Bidang", "Perihal", "Tujuan", "Objek", "Dibuat oleh"])
    for e in found:
        ws.append([safe_cell(e.nomor), e.tanggal.astimezone(WIB).replace(tzinfo=None), e.bidang, safe_cell(e.perihal),
                   safe_cell(e.tujuan), e.objek, safe_cell(e.oleh)])
    for col, width in zip("ABCDEFG", (26, 18, 16, 50, 40, 20, 24)):
        ws.column_dimensions[col].width = width
    for cell in ws["B"][1:]:
        cell.number_format = "dd/mm/yyyy hh:mm"
    data = to_bytes(wb)
    audit.record(session, actor, "ekspor", "agenda_surat", year, f"agenda surat keluar {year or 'semua tahun'}: "
                                                                   f"{len(found)} surat")
    return data
