"""SKM answers in the database: the public e-survey writes one row per respondent, never altered
afterwards (the table is append-only, migration 0003), and evaluators read them per service and period.

No personal data is asked: the profile (jenis kelamin, usia, pendidikan, pekerjaan) is optional and coarse.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base.db import Case, SkmResponse, utcnow
from lib.base.errors import UserError
from lib.base.worktime import WIB
from lib.catalogue.store import active_documents
from lib.evaluation import skm

MAX_SARAN = 1000
#: Answers one browser session may send in an hour (a kiosk serves many citizens; a script should not).
SESSION_LIMIT_PER_HOUR = 20


class SurveyError(UserError):
    """An incomplete or invalid answer sheet; the message is Indonesian. Nothing was saved."""


def services(session: Session) -> dict[str, str]:
    """Services a citizen can rate: every SOP in force, id → its short name."""
    return {i: a.doc.label for i, a in active_documents(session).items() if a.doc.jenis == "sop"}


def unanswered(answers: dict[str, int | None]) -> list[int]:
    """The numbers (1–9, as the form shows them) of the questions left unanswered."""
    return [i for i, u in enumerate(skm.UNSUR, start=1) if answers.get(u.kode) is None]


def unanswered_message(numbers: list[int]) -> str:
    """"Belum dijawab: pertanyaan nomor 2 (Persyaratan), 5 (…)", in the order of the form."""
    listed = ", ".join(f"{n} ({skm.UNSUR[n - 1].nama})" for n in numbers)
    return f"Mohon jawab semua pertanyaan. Belum dijawab: pertanyaan nomor {listed}."


def submit(session: Session, sop_id: str | None, answers: dict[str, int | None], profile: dict[str, str | None],
           saran: str | None = None, source: str = "online", now: dt.datetime | None = None) -> int:
    """Store one respondent's answers; :class:`SurveyError` names what is missing or wrong."""
    offered = services(session)
    if not sop_id or sop_id not in offered:
        raise SurveyError("Pilih layanan yang Anda terima.")
    missing = unanswered(answers)
    if missing:
        raise SurveyError(unanswered_message(missing))
    for u in skm.UNSUR:
        if answers[u.kode] not in (1, 2, 3, 4):
            raise SurveyError(f"Jawaban “{u.nama}” tidak sah.")
    clean = {}
    for column, (label, choices) in skm.PROFIL.items():
        if column == "layanan":
            continue
        value = profile.get(column) or None
        if value is not None and value not in choices:
            raise SurveyError(f"{label}: pilih salah satu pilihan yang tersedia.")
        clean[column] = value
    saran = (saran or "").strip() or None
    if saran and len(saran) > MAX_SARAN:
        raise SurveyError(f"Saran terlalu panjang (maksimal {MAX_SARAN} karakter).")
    row = SkmResponse(sop_id=sop_id, submitted_at=now or utcnow(), source=source, saran=saran, **clean,
                      **{u.kode.lower(): int(answers[u.kode]) for u in skm.UNSUR})
    session.add(row)
    session.flush()
    return row.id


def data_version(session: Session) -> tuple:
    """A cheap fingerprint of what the results page is computed from: the answers and the cases (the population),
    each by its newest id and its count (a count moves with every commit, whatever order the ids were given in)."""
    return tuple(session.execute(select(
        select(func.max(SkmResponse.id)).scalar_subquery(), select(func.count(SkmResponse.id)).scalar_subquery(),
        select(func.max(Case.id)).scalar_subquery(), select(func.count(Case.id)).scalar_subquery())).one())


def responses(session: Session, sop_id: str | None = None, date_from: dt.date | None = None,
              date_to: dt.date | None = None) -> pd.DataFrame:
    """Answers as a frame with columns U1…U9, the profile, ``layanan``, ``saran`` and ``submitted_at``;
    dates are inclusive WIB days."""
    q = select(SkmResponse)
    if sop_id:
        q = q.where(SkmResponse.sop_id == sop_id)
    if date_from:
        q = q.where(SkmResponse.submitted_at >= dt.datetime.combine(date_from, dt.time(), WIB))
    if date_to:
        q = q.where(SkmResponse.submitted_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), WIB))
    rows = [{**{u.kode: getattr(r, u.kode.lower()) for u in skm.UNSUR}, "jenis_kelamin": r.jenis_kelamin,
             "usia": r.usia, "pendidikan": r.pendidikan, "pekerjaan": r.pekerjaan, "layanan": r.sop_id,
             "saran": r.saran, "sumber": r.source, "submitted_at": r.submitted_at}
            for r in session.scalars(q.order_by(SkmResponse.submitted_at))]
    return pd.DataFrame(rows, columns=[*skm.KODE, "jenis_kelamin", "usia", "pendidikan", "pekerjaan", "layanan",
                                       "saran", "sumber", "submitted_at"])
