"""Bulk actions on *Tugas Saya*: several files waiting at the same step completed with one outcome.

Only a step whose outcome needs nothing per file may be done in bulk: not the applicant's own step, and for
a decision not the branch that returns the file to the applicant (which needs a note per file). Each file is
still its own step record, completed by :func:`lib.casework.cases.complete_step` in its own transaction under
the same optimistic lock as one by one: a file someone else took meanwhile is reported with its register
number and who took it; the rest succeed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lib.base.db import Case, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, PermissionDenied
from lib.casework import cases
from lib.catalogue import model as catalog

#: Most files one bulk action takes.
MAX_FILES = 100
#: Tries of one file when SQLite reports another writer (not a lost race: the file is then read afresh).
TRIES = 5


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)                    # register numbers completed
    refused: list[tuple[str, str]] = field(default_factory=list)     # (register number, why)

    @property
    def message(self) -> str:
        text = f"{len(self.done)} berkas selesai." if self.done else "Tidak ada berkas yang diselesaikan."
        if self.refused:
            text += " Tidak diselesaikan: " + "; ".join(f"{no} ({why})" for no, why in self.refused)
        return text


def bulk_outcomes(sop: catalog.SOP, step: catalog.Langkah) -> list[str | None] | None:
    """The outcomes a bulk action may give this step (``[None]`` for a plain step), or None when the step
    cannot be done in bulk."""
    if sop.actors[step.pelaksana].eksternal:
        return None
    if step.keputusan is None:
        return [None]
    out = []
    for o in ("ya", "tidak"):
        target = getattr(step.keputusan, o).ke
        returns = (target != catalog.END and target <= step.no
                   and sop.actors[sop.langkah[target - 1].pelaksana].eksternal)
        if not returns:
            out.append(o)
    return out or None


def _check_same_step(session: Session, items: list[tuple[int, int]], step_no: int, outcome: str | None) -> None:
    if not items:
        raise cases.CaseError("Pilih minimal satu berkas.")
    if len(items) > MAX_FILES:
        raise cases.CaseError(f"Paling banyak {MAX_FILES} berkas sekaligus.")
    sop_ids = {c.sop_id for c in (session.get(Case, i) for i, _ in items) if c is not None}
    if len(sop_ids) != 1:
        raise cases.CaseError("Berkas yang diselesaikan sekaligus harus dari SOP yang sama.")
    first = cases.get_case(session, items[0][0])
    sop = cases.sop_of(session, first)
    if not 1 <= step_no <= len(sop.langkah):
        raise cases.CaseError(f"Langkah {step_no} tidak ada pada SOP ini.")
    allowed = bulk_outcomes(sop, sop.langkah[step_no - 1])
    if allowed is None or outcome not in allowed:
        raise cases.CaseError(f"Langkah {step_no} dengan hasil ini tidak dapat diselesaikan sekaligus: "
                        "setiap berkas perlu isian atau catatan sendiri.")


def complete_many(factory: sessionmaker[Session], actor: Actor, items: list[tuple[int, int]], step_no: int,
                  outcome: str | None = None, now: dt.datetime | None = None) -> BulkResult:
    """Complete step ``step_no`` of each ``(case_id, version)`` in ``items`` with one ``outcome``."""
    now = now or utcnow()
    with factory() as session:
        _check_same_step(session, items, step_no, outcome)
        numbers = {i: session.get(Case, i).register_no for i, _ in items}
    result = BulkResult()
    for case_id, version in items:
        why = None
        for _ in range(TRIES):
            try:
                with factory.begin() as session:
                    cases.complete_step(session, actor, case_id, step_no, version, outcome=outcome, now=now)
                why = None
                break
            except cases.Conflict as err:
                why = str(err)
                if not isinstance(err.__cause__, OperationalError):
                    break
            except (UserError, PermissionDenied) as err:
                why = str(err)
                break
            except OperationalError:  # SQLite: another writer held the database past the busy timeout
                why = "Berkas ini sedang diubah oleh pengguna lain. Coba lagi sebentar lagi."
        if why is None:
            result.done.append(numbers[case_id])
        else:
            result.refused.append((numbers[case_id], why))
    return result


@dataclass(frozen=True)
class Group:
    """Tasks of one step of one SOP that may be completed together, and the outcomes a bulk action may give."""
    sop_label: str
    step_no: int
    kegiatan: str
    outcomes: tuple[tuple[str | None, str], ...]   # (code, label)
    case_versions: tuple[tuple[int, int, str], ...]  # (case_id, version, register_no)

    @property
    def label(self) -> str:
        return f"{self.sop_label} · langkah {self.step_no}. {self.kegiatan} ({len(self.case_versions)} berkas)"


def groups(session: Session, tasks) -> list[Group]:
    """The tasks of *Tugas Saya* (lib/casework/worklist.py) grouped by SOP and step, for the steps that may be
    done in bulk and wait in at least two files."""
    by_step: dict[tuple[str, int], list] = {}
    for t in tasks:
        if t.status != "menunggu_pemohon":
            by_step.setdefault((t.sop_id, t.step_no), []).append(t)
    out = []
    for (_, step_no), ts in by_step.items():
        if len(ts) < 2:
            continue
        sop = cases.sop_of(session, cases.get_case(session, ts[0].case_id))
        step = sop.langkah[step_no - 1]
        allowed = bulk_outcomes(sop, step)
        if not allowed:
            continue
        labels = tuple((o, "selesai" if o is None else getattr(step.keputusan, o).label) for o in allowed)
        out.append(Group(ts[0].sop_label, step_no, step.kegiatan, labels,
                         tuple((t.case_id, t.version, t.register_no) for t in ts)))
    return sorted(out, key=lambda g: (g.sop_label, g.step_no))
