"""Kotak masuk: what arrived for a user's roles and scopes, read from the state the workflow left behind and
from the working-time clock, never from calls placed in pages.

An entry is one piece of work waiting for the user:

* ``langkah`` — an open step of a case that the user may do (the worklist's rule,
  :func:`lib.casework.worklist.tasks`: the step's actor column names one of their roles on the SOP's bidang or
  the case's desa); ``dikembalikan`` when it is a step done again (the file came back to them);
* ``pengesahan_sop`` / ``persetujuan_evaluasi`` — an SOP revision or a quarterly review submitted and waiting
  for an approval the user may give now (:func:`lib.base.workflow.may`: permission, state and guard, so never
  their own revision);
* ``sop_dikembalikan`` / ``evaluasi_dikembalikan`` — their revision or review returned to draft, with the
  reason;
* ``surat_desa`` — a desa's answer to the cohort's confirmation letter past its deadline of 5 working days,
  for whoever records the answers.

Each entry has a status: ``terlambat`` past its target, ``segera`` when over half of the target is used
(working time, :func:`lib.casework.worklist.clock`), ``baru`` otherwise. An entry disappears the moment the
work is done, since the state it is read from has moved; what a user did with it (opened it, what the e-mail
digest told them) is kept per user and entry key in ``kotak_masuk_tanda``. A key names one arrival (the
step's attempt, the history row of the submission), so a file that comes back is a new entry. The workflow's
events tidy those marks when the object moves on (:func:`_tidy`, a subscriber of
:func:`lib.base.workflow.subscribe`).
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lib.base import workflow
from lib.base.db import InboxMark, KohortDesa, Review, SopRevision, WorkflowHistory, utcnow
from lib.base.kalender import load_calendar
from lib.base.permissions import Actor
from lib.base.worktime import WIB, to_wib
from lib.casework import worklist
from lib.catalogue import revisions  # noqa: F401  (registers the sop_revision type and its guard)
from lib.evaluation import reviews  # noqa: F401  (registers the review type and its guards)
from lib.rentan import alur
from lib.rentan.desa import BIDANG_SCOPE

#: the inbox page's url path
PAGE = "kotak-masuk"
KINDS = {"langkah": "Langkah menunggu Anda", "dikembalikan": "Berkas kembali kepada Anda",
         "menunggu_pemohon": "Berkas menunggu pemohon", "pengesahan_sop": "Revisi SOP menunggu pengesahan",
         "persetujuan_evaluasi": "Evaluasi triwulan menunggu persetujuan",
         "sop_dikembalikan": "Revisi SOP Anda dikembalikan", "evaluasi_dikembalikan": "Evaluasi Anda dikembalikan",
         "surat_desa": "Jawaban surat desa lewat batas"}
STATUS = {"baru": "Baru", "segera": "Segera jatuh tempo", "terlambat": "Terlambat"}
#: the order of the statuses: the digest tells a user again only when an entry's status rose
RANK = {"baru": 1, "segera": 2, "terlambat": 3}


@dataclass(frozen=True)
class Entry:
    """One piece of work waiting for the user."""
    kunci: str
    jenis: str
    judul: str
    keterangan: str
    page: str                 # the page's url path
    record_id: str | None     # the ``id`` the page opens, if any
    tiba: dt.datetime
    status: str = "baru"
    tenggat: dt.datetime | None = None
    dibaca: bool = False

    @property
    def path(self) -> str:
        """The object's own address."""
        return f"/{self.page}" + (f"?id={self.record_id}" if self.record_id else "")

    @property
    def via_inbox(self) -> str:
        """The address that opens the object through the inbox, marking the entry read (the e-mail's links)."""
        return f"/{PAGE}?buka={urllib.parse.quote(self.kunci, safe='')}"

    def as_dict(self) -> dict:
        return {"kunci": self.kunci, "jenis": self.jenis, "jenis_label": KINDS[self.jenis], "judul": self.judul,
                "keterangan": self.keterangan, "status": self.status, "status_label": STATUS[self.status],
                "tiba": _utc(self.tiba), "tenggat": _utc(self.tenggat) if self.tenggat else None,
                "halaman": self.path, "tautan": self.via_inbox, "dibaca": self.dibaca}


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat()


# --- reading the entries ------------------------------------------------------------------------------
def _steps(session: Session, actor: Actor, now: dt.datetime) -> list[Entry]:
    out = []
    for t in worklist.tasks(session, actor, now, load_calendar(session)):
        if t.status == "menunggu_pemohon":
            kind, status = "menunggu_pemohon", "baru"
        else:
            kind = "dikembalikan" if t.attempt > 1 else "langkah"
            status = t.status if t.status in ("segera", "terlambat") else "baru"
        who = f" · {t.applicant_name}" if t.applicant_name else ""
        out.append(Entry(f"langkah:{t.case_id}:{t.step_no}:{t.attempt}", kind,
                         f"{t.register_no} — langkah {t.step_no}: {t.kegiatan}", f"{t.sop_label}{who}",
                         "berkas", str(t.case_id), t.available_at, status, t.clock.due))
    return out


def _last_moves(session: Session, object_type: str, ids: list[int]) -> dict[str, WorkflowHistory]:
    """The newest history row of each object."""
    if not ids:
        return {}
    rows = session.scalars(select(WorkflowHistory).where(
        WorkflowHistory.object_type == object_type, WorkflowHistory.object_id.in_([str(i) for i in ids]))
        .order_by(WorkflowHistory.at, WorkflowHistory.id))
    return {h.object_id: h for h in rows}


def _approvals(session: Session, actor: Actor) -> list[Entry]:
    """Revisions and reviews waiting for the actor's approval, and their own ones returned to draft."""
    out = []
    kinds = ((SopRevision, "sop_revision", "sahkan", SopRevision.author_id),
             (Review, "review", "setujui", Review.created_by))
    for model, object_type, approve, owner in kinds:
        objs = list(session.scalars(select(model).where(
            (model.state == "diajukan") | ((model.state == "draft") & (owner == actor.user_id)))))
        moves = _last_moves(session, object_type, [o.id for o in objs])
        for obj in objs:
            h = moves.get(str(obj.id))
            if h is None:
                continue
            if obj.state == "diajukan" and workflow.may(session, actor, obj, approve):
                kind, note = ("pengesahan_sop" if object_type == "sop_revision" else "persetujuan_evaluasi"), ""
            elif obj.state == "draft" and h.from_state == "diajukan":
                kind, note = ("sop_dikembalikan" if object_type == "sop_revision" else "evaluasi_dikembalikan",
                              f"Alasan: {h.comment}" if h.comment else "")
            else:
                continue
            if object_type == "sop_revision":
                title, page, rid = f"{obj.sop_id}, revisi {obj.revision_no}", (
                    "pengesahan-sop" if kind == "pengesahan_sop" else "editor-sop"), None
            else:
                title, page, rid = f"Evaluasi {obj.sop_id} {obj.period}", "evaluasi", str(obj.id)
            out.append(Entry(f"{object_type}:{obj.id}:{h.id}", kind, title, note, page, rid, h.at))
    return out


def _letters(session: Session, actor: Actor, now: dt.datetime) -> list[Entry]:
    today = to_wib(now).date()
    out = []
    for row in session.scalars(select(KohortDesa).where(KohortDesa.state == "surat_dikirim",
                                                        KohortDesa.surat_batas < today)):
        if "catat_jawaban" not in workflow.permitted(actor, "kohort_desa", row.state,
                                                     (BIDANG_SCOPE, alur.desa_scope(row.desa_kode))):
            continue
        late = dt.datetime.combine(row.surat_batas + dt.timedelta(days=1), dt.time(), WIB)
        out.append(Entry(f"kohort_desa:{row.id}:{row.surat_tanggal}", "surat_desa",
                         f"Desa {row.desa_kode}: surat {row.surat_nomor}",
                         f"Batas jawaban {row.surat_batas:%d-%m-%Y} sudah lewat.", "pekerja-rentan-kohort", None,
                         late, "terlambat", late))
    return out


def entries(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[Entry]:
    """Everything waiting for ``actor`` now, overdue first, then due soon, then the newest."""
    if actor.is_anonymous:
        return []
    now = now or utcnow()
    found = _steps(session, actor, now) + _approvals(session, actor) + _letters(session, actor, now)
    read = set(session.scalars(select(InboxMark.kunci).where(InboxMark.user_id == actor.user_id,
                                                             InboxMark.dibaca_pada.is_not(None))))
    found = [e if e.kunci not in read else replace(e, dibaca=True) for e in found]
    return sorted(found, key=lambda e: (-RANK[e.status], -e.tiba.timestamp()))


def unread(session: Session, actor: Actor, now: dt.datetime | None = None) -> int:
    """How many entries the actor has not opened yet (the number by the bell)."""
    return sum(not e.dibaca for e in entries(session, actor, now))


def read_marks(session: Session, actor: Actor) -> int:
    """How many entries the actor has opened that are still remembered: with the audit log's newest entry (every
    change of the workflow's state writes one) and the minute, what a kept :func:`unread` count depends on."""
    if actor.is_anonymous:
        return 0
    return session.scalar(select(func.count()).select_from(InboxMark).where(
        InboxMark.user_id == actor.user_id, InboxMark.dibaca_pada.is_not(None))) or 0


# --- marks ------------------------------------------------------------------------------------------------
def _mark(session: Session, user_id: int, kunci: str) -> InboxMark:
    mark = session.get(InboxMark, (user_id, kunci))
    if mark is None:
        mark = InboxMark(user_id=user_id, kunci=kunci[:120])
        session.add(mark)
    return mark


def mark_read(session: Session, actor: Actor, kunci: str, now: dt.datetime | None = None) -> None:
    """The actor opened the entry ``kunci``."""
    if actor.is_anonymous:
        return
    mark = _mark(session, actor.user_id, kunci)
    mark.dibaca_pada = mark.dibaca_pada or now or utcnow()
    session.flush()


def mark_sent(session: Session, user_id: int, sent: list[Entry], now: dt.datetime) -> None:
    """The digest told the user about these entries in their present status."""
    for e in sent:
        mark = _mark(session, user_id, e.kunci)
        mark.dikirim_status, mark.dikirim_pada = e.status, now
    session.flush()


def sent_status(session: Session, user_id: int) -> dict[str, str]:
    return dict(session.execute(select(InboxMark.kunci, InboxMark.dikirim_status).where(
        InboxMark.user_id == user_id, InboxMark.dikirim_status.is_not(None))).all())


def _tidy(event: workflow.Event) -> None:
    """When an object moves on, the marks of its old arrival name nothing any more: drop them. A closed case
    drops the marks of all its steps."""
    session = event.session
    if session is None:
        return
    if event.object_type == "case" and event.to_state == "selesai":
        prefix = f"langkah:{event.object_id}:"
    elif event.object_type in ("sop_revision", "review", "kohort_desa"):
        prefix = f"{event.object_type}:{event.object_id}:"
    else:
        return
    session.execute(delete(InboxMark).where(InboxMark.kunci.startswith(prefix, autoescape=True))
                    .execution_options(synchronize_session=False))


workflow.subscribe(_tidy)
