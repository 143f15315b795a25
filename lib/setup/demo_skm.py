"""Demo SKM answers: most of the people whose demo case was finished answer the survey for that
service, so *Hasil SKM* and *Evaluasi Triwulan* show real figures for every SOP.

Deterministic like the demo history (:mod:`lib.setup.demo`): the same seed and the same cases give the same
answers. Each SOP has its own level of satisfaction and its own weaker and stronger unsur; each respondent
is a little more or less content overall. An answer is sent shortly after the case was closed, online or
(about one in five) on a paper questionnaire entered later; a few leave the profile questions empty or write
a suggestion. Rows are inserted in bulk, without audit entries (they are demo data, not acts of users).
"""
from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lib.base.db import Case, SkmResponse, utcnow
from lib.evaluation import skm
from lib.evaluation.skm_data import services

#: Share of finished cases whose applicant answers the survey.
ANSWER_RATE = 0.8
_SARAN = ("Antrean di loket perlu dipercepat.", "Petugas ramah dan membantu.", "Mohon informasi persyaratan "
          "dipasang di papan pengumuman.", "Ruang tunggu kurang nyaman saat ramai.", "Pelayanan sudah baik, "
          "pertahankan.", "Sebaiknya ada layanan pendaftaran daring.", "Jam pelayanan mohon diperpanjang.")


def fill_answers(session: Session, seed: int = 2026, now: dt.datetime | None = None) -> int:
    """SKM answers for the finished cases of every SOP in force, none after ``now``; the number of answers
    made. Does nothing (returns 0) when the database already holds answers."""
    if session.scalar(select(func.count()).select_from(SkmResponse)):
        return 0
    offered = services(session)
    closed = session.execute(select(Case.sop_id, Case.closed_at).where(Case.closed_at.is_not(None),
                                                                       Case.sop_id.in_(list(offered)))
                             .order_by(Case.sop_id, Case.closed_at, Case.id)).all()
    by_sop: dict[str, list[dt.datetime]] = {}
    for sop_id, closed_at in closed:
        by_sop.setdefault(sop_id, []).append(closed_at)
    now = now or utcnow()
    rows = []
    for sop_id in sorted(by_sop):
        rng = np.random.default_rng([seed, zlib.crc32(sop_id.encode()), 9])
        rows += [r for r in _answers(sop_id, by_sop[sop_id], rng) if r["submitted_at"] <= now]
    if rows:
        session.execute(insert(SkmResponse), rows)
    return len(rows)


def _answers(sop_id: str, closed: list[dt.datetime], rng: np.random.Generator) -> list[dict]:
    """One SOP's answers: a level for the service, an offset per unsur, a mood per respondent."""
    level = rng.uniform(2.9, 3.5)
    offsets = rng.normal(0.0, 0.25, len(skm.UNSUR))
    rows = []
    for closed_at in closed:
        if rng.random() >= ANSWER_RATE:
            continue
        mood = rng.normal(0.0, 0.35)
        scores = np.clip(np.rint(level + offsets + mood + rng.normal(0.0, 0.45, len(skm.UNSUR))), 1, 4)
        paper = rng.random() < 0.2
        later = dt.timedelta(days=int(rng.integers(1, 8))) if paper else dt.timedelta(minutes=int(rng.integers(2, 30)))
        row = {"sop_id": sop_id, "submitted_at": closed_at + later, "source": "kertas" if paper else "online",
               "saran": str(rng.choice(_SARAN)) if rng.random() < 0.15 else None}
        for column, (_, choices) in skm.PROFIL.items():
            if column != "layanan":
                row[column] = str(rng.choice(choices)) if rng.random() >= 0.1 else None
        row.update({u.kode.lower(): int(v) for u, v in zip(skm.UNSUR, scores)})
        rows.append(row)
    return rows
