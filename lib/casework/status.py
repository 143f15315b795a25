"""Cek status berkas: a citizen, without logging in, types the register number and the last 4 digits of their
NIK and sees where their file is — the step's name, since when, and by when it is expected in working days — and
nothing else (no name, no NIK, no notes).

A wrong pair says only that nothing matched, the same for an unknown number and a wrong NIK. Wrong guesses are
kept per client address (table ``status_checks``) and logged in the audit log; after
:data:`MAX_WRONG` wrong guesses within :data:`WINDOW_MINUTES` that address is refused until the window has passed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import Case, StatusCheck, utcnow
from lib.base.errors import UserError
from lib.base.kalender import load_calendar
from lib.base.worktime import WIB, WorkCalendar
from lib.casework.cases import STATES, sop_of, timeline

MAX_WRONG = 5
WINDOW_MINUTES = 15
#: The public page's path (views/cek_status.py), for the receipt's QR code and the applicant's e-mail.
PAGE = "cek-status"


def url(base: str, register_no: str) -> str:
    """The status page's address with the register number filled in."""
    return f"{base.rstrip('/')}/{PAGE}?nomor={quote(register_no, safe='')}"


class StatusError(UserError):
    """The check was not made: a malformed entry, or too many wrong guesses from this address."""


@dataclass(frozen=True)
class Status:
    register_no: str
    layanan: str
    state: str
    step: str | None          # the step's name (None when the file is finished)
    since: dt.datetime        # when the file reached that step (or was finished)
    expected: dt.date | None  # when the file is expected to be finished (working calendar)
    working_days_left: int | None

    def lines(self) -> list[str]:
        """What the page shows, in Indonesian."""
        out = [f"Nomor register: {self.register_no}", f"Layanan: {self.layanan}", f"Status: {self.state}"]
        if self.step:
            out.append(f"Tahap sekarang: {self.step}, sejak {fmt.waktu(self.since)}")
        else:
            out.append(f"Selesai pada {fmt.waktu(self.since)}")
        if self.expected:
            out.append(f"Perkiraan selesai: {fmt.tanggal(self.expected)} ({self.working_days_left} hari kerja lagi)")
        return out


def _wrong_since(session: Session, address: str, now: dt.datetime) -> list[dt.datetime]:
    since = now - dt.timedelta(minutes=WINDOW_MINUTES)
    return list(session.scalars(select(StatusCheck.at).where(StatusCheck.address == address, StatusCheck.at >= since,
                                                             StatusCheck.ok.is_(False)).order_by(StatusCheck.at)))


def _working_days_between(cal: WorkCalendar, first: dt.date, last: dt.date) -> int:
    n, d = 0, first
    while d < last:
        d += dt.timedelta(days=1)
        n += cal.is_working_day(d)
    return n


def _status(session: Session, case: Case, now: dt.datetime) -> Status:
    sop = sop_of(session, case)
    runs = timeline(session, case.id)
    open_runs = [r for r in runs if r.completed_at is None]
    layanan = sop.nama
    if not open_runs:
        return Status(case.register_no, layanan, STATES.get(case.state, case.state), None,
                      case.closed_at or runs[-1].completed_at, None, None)
    run = open_runs[0]
    step = sop.langkah[run.step_no - 1]
    label = f"{step.kegiatan} ({sop.actors[step.pelaksana].label})"
    if sop.actors[step.pelaksana].eksternal:
        return Status(case.register_no, layanan, STATES.get(case.state, case.state),
                      label + " — menunggu kelengkapan dari pemohon", run.available_at, None, None)
    cal = load_calendar(session)
    minutes = sum(s.target.working_minutes or 0 for s in sop.langkah[run.step_no - 1:] if s.target)
    expected = cal.add_working_minutes(max(run.available_at, now), minutes).astimezone(WIB).date() if minutes \
        else None
    left = _working_days_between(cal, now.astimezone(WIB).date(), expected) if expected else None
    return Status(case.register_no, layanan, STATES.get(case.state, case.state), label, run.available_at,
                  expected, left)


def check(session: Session, register_no: str, nik_last4: str, address: str,
          now: dt.datetime | None = None) -> Status | None:
    """The file's status when the number and the NIK's last 4 digits match, otherwise None (recorded as a wrong
    guess of ``address``; the caller commits). :class:`StatusError` for a malformed entry or a refused address."""
    now = now or utcnow()
    address = (address or "tidak diketahui")[:64]
    number = re.sub(r"\s+", "", register_no or "").upper()
    digits = (nik_last4 or "").strip()
    wrong = _wrong_since(session, address, now)
    if len(wrong) >= MAX_WRONG:
        until = wrong[-MAX_WRONG] + dt.timedelta(minutes=WINDOW_MINUTES)
        raise StatusError("Terlalu banyak percobaan yang tidak cocok dari perangkat ini. Coba lagi setelah pukul "
                          f"{until.astimezone(WIB):%H.%M} WIB.")
    if not number or len(number) > 40:
        raise StatusError("Isi nomor register seperti tertulis pada tanda terima, mis. AK1/2026/00042.")
    if not re.fullmatch(r"\d{4}", digits):
        raise StatusError("Isi 4 angka terakhir NIK Anda.")
    case = session.scalar(select(Case).where(Case.register_no == number))  # register numbers are upper case
    ok = case is not None and bool(case.nik) and case.nik[-4:] == digits
    session.add(StatusCheck(address=address, at=now, ok=ok))
    if not ok:
        audit.record(session, None, "cek_status_gagal", "status_publik", None,
                     f"nomor {number[:40]}, alamat {address}, percobaan salah ke-{len(wrong) + 1}")
        return None
    return _status(session, case, now)
