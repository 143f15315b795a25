"""Evaluasi Triwulan: the quarterly evaluation of one SOP (PermenPAN-RB 35/2012), with its workflow.

A review covers one SOP in force and one quarter (``2026-Q3``); there is one review per SOP and quarter.
While it is a draft the KPI summary of the quarter (:mod:`lib.kpi`: headline and per-step figures) and the
SKM result of the SOP in the quarter (:mod:`lib.skm_hasil`) are computed live; on submission both are
frozen into the review, so the approved document never changes afterwards.

The evaluator answers the seven evaluation questions (Ya/Tidak with a note), writes the findings with their
follow-up action, the person responsible and the due date and, in a review that closes a semester (Q2, Q4),
fills the six-monthly monitoring form: per step of the SOP, whether it runs well, a note and an action.

Workflow (every transition in ``workflow_history`` and the audit log)::

    draft ──ajukan (manage_reviews)──▶ diajukan ──setujui (approve_reviews)──▶ disetujui
      ▲                                    │
      └──────kembalikan + komentar (approve_reviews)─┘

Only a draft is edited, by a holder of ``manage_reviews``; nobody edits a submitted or approved review (the
database refuses any change to an approved one). Whoever submitted a review cannot approve it. Reading
needs ``view_reviews``. No Streamlit here.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.base import audit, fmt, periode, workflow
from lib.base.db import Review, ReviewAction, User, WorkflowHistory, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Actor, require
from lib.base.sheets import to_bytes, write_table
from lib.base.worktime import WIB
from lib.catalogue import model as catalog
from lib.catalogue import store
from lib.evaluation import skm, skm_hasil
from lib.measure import kpi
from lib.measure.kpi_tables import minutes, pct

OBJECT_TYPE = "review"
#: state -> Indonesian label, from the workflow table (data/workflows/review.yaml)
STATES = workflow.table(OBJECT_TYPE).states

#: The seven evaluation questions of PermenPAN-RB 35/2012.
PERTANYAAN: tuple[str, ...] = (
    "Apakah SOP mampu mendorong peningkatan kinerja?",
    "Apakah SOP mudah dipahami?",
    "Apakah SOP mudah dilaksanakan?",
    "Apakah semua orang dapat menjalankan perannya masing-masing?",
    "Apakah SOP mampu mengatasi permasalahan yang berkaitan dengan proses?",
    "Apakah SOP mampu menjawab kebutuhan peningkatan kinerja organisasi?",
    "Apakah sistem dan prosedur yang ada sudah bersinergi satu dengan lainnya (dengan SOP lain)?",
)
MAX_NOTE = 2000
MAX_TEXT = 10_000


class ReviewError(UserError):
    """A review action that cannot be done; the message is Indonesian. Nothing was changed."""


class IncompleteReview(ReviewError):
    """A draft that cannot be submitted yet; ``problems`` lists what is missing, one Indonesian line each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("Evaluasi belum dapat diajukan: " + " ".join(self.problems))


class SkmEmpty(ReviewError):
    """No SKM respondent in the quarter: the review is submitted only when the evaluator confirms it."""


@dataclass(frozen=True)
class Finding:
    temuan: str
    tindak_lanjut: str | None = None
    penanggung_jawab: str | None = None
    batas_waktu: dt.date | None = None


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    actor: str
    from_state: str | None
    to_state: str
    label: str
    comment: str | None


@dataclass
class ReviewView:
    """A review as the page, the printable page and the XLSX show it."""
    id: int
    sop_id: str
    sop_name: str
    sop_nomor: str | None
    period: str
    period_label: str
    date_from: dt.date
    date_to: dt.date
    state: str
    revision_no: int
    version: int
    answers: list[dict]
    kesimpulan: str | None
    findings: list[Finding]
    monitoring: list[dict]
    monitoring_due: bool
    kpi: dict
    skm: dict
    frozen: bool
    created_by: str
    history: list[HistoryRow]
    scope: str | None = None

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def returned_comment(self) -> str | None:
        """The Kepala Dinas's comment when this draft was returned (and not yet submitted again)."""
        last = self.history[-1] if self.history else None
        return last.comment if last and self.state == "draft" and last.from_state == "diajukan" else None

    @property
    def approved(self) -> HistoryRow | None:
        return next((h for h in reversed(self.history) if h.to_state == "disetujui"), None)


# --- periods ------------------------------------------------------------------------------------------
def quarter(code: str) -> periode.Periode:
    """``2026-Q3`` → the quarter; anything else (a month, a year) is refused in Indonesian."""
    text = (code or "").strip().upper()
    if not re.fullmatch(r"\d{4}-Q[1-4]", text):
        raise ReviewError(f"Periode evaluasi “{code}” harus berupa triwulan, misalnya 2026-Q3.")
    return periode.parse(text)


def quarter_code(p: periode.Periode) -> str:
    return f"{p.start.year}-Q{(p.start.month - 1) // 3 + 1}"


def monitoring_due(code: str) -> bool:
    """The six-monthly monitoring is filled in the review that closes a semester (Q2 and Q4)."""
    return code.upper().endswith(("Q2", "Q4"))


# --- figures ------------------------------------------------------------------------------------------
def _plain(x):
    if x is None:
        return None
    if isinstance(x, (np.integer, int)) and not isinstance(x, bool):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return None if math.isnan(float(x)) else round(float(x), 2)
    return x


def kpi_figures(session: Session, sop_id: str, p: periode.Periode, now: dt.datetime | None = None) -> dict:
    """The KPI summary of one SOP in one quarter, from :mod:`lib.kpi`, as plain values (floats to 2 decimals):
    ``headline`` (kpi.headline) and ``steps`` (kpi.step_stats, one row per step of the revision in force)."""
    now = now or utcnow()
    data = kpi.load(session, p.start, p.end, [sop_id], now=now)
    head = {k: _plain(v) for k, v in dataclasses.asdict(kpi.headline(data)).items()}
    stats = kpi.step_stats(data)
    stats = stats[stats["sop_id"] == sop_id].sort_values("step_no")
    steps = [{"no": int(r.step_no), "kegiatan": r.kegiatan, "pelaksana": r.pelaksana,
              "target": r.target_label if isinstance(r.target_label, str) else None,
              "target_working_min": _plain(r.target_working_min), "n": int(r.n), "judged": int(r.judged),
              "within": int(r.within), "within_pct": _plain(r.within_pct) if r.judged else None,
              "median_working_min": _plain(r.median_working_min), "p90_working_min": _plain(r.p90_working_min),
              "median_wait_working_min": _plain(r.median_wait_working_min), "rework_cases": int(r.rework_cases)}
             for r in stats.itertuples(index=False)]
    return {"computed_at": now.astimezone(dt.timezone.utc).isoformat(), "headline": head, "steps": steps}


# --- reading ------------------------------------------------------------------------------------------
def _sop(session: Session, sop_id: str) -> tuple[catalog.SOP, int]:
    active = store.active_documents(session).get(sop_id)
    if active is None or active.doc.jenis != "sop":
        raise ReviewError(f"SOP “{sop_id}” tidak ada atau tidak berlaku.")
    return active.doc, active.revision_no


def _names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def _label(from_state: str | None, to_state: str) -> str:
    if from_state is None:
        return "Dibuka"
    if from_state == "diajukan" and to_state == "draft":
        return "Dikembalikan"
    return STATES.get(to_state, to_state)


def _history(session: Session, review_id: int) -> list[HistoryRow]:
    return [HistoryRow(h.at, h.actor or "—", h.from_state, h.to_state, _label(h.from_state, h.to_state), h.comment)
            for h in workflow.history(session, OBJECT_TYPE, review_id)]


def _load(session: Session, review_id: int, lock: bool = False) -> Review:
    q = select(Review).where(Review.id == review_id)
    if lock:
        q = q.with_for_update()
    review = session.scalars(q).first()
    if review is None:
        raise ReviewError("Evaluasi tidak ditemukan.")
    return review


def get(session: Session, actor: Actor, review_id: int, now: dt.datetime | None = None) -> ReviewView:
    """A review with its figures: frozen ones once submitted, live ones while it is a draft."""
    require(actor, "view_reviews")
    r = _load(session, review_id)
    p = quarter(r.period)
    active = store.active_documents(session).get(r.sop_id)
    doc = active.doc if active else None
    frozen = r.kpi_snapshot is not None
    if frozen:
        kpi_data = r.kpi_snapshot
    else:
        try:
            kpi_data = kpi_figures(session, r.sop_id, p, now)
        except kpi.KpiError as err:  # the SOP is no longer in force: nothing to measure live
            kpi_data = {"computed_at": (now or utcnow()).isoformat(), "headline": {}, "steps": [], "error": str(err)}
    skm_data = r.skm_snapshot if frozen else skm_hasil.figures(session, r.sop_id, p.start, p.end)
    findings = [Finding(a.temuan, a.tindak_lanjut, a.penanggung_jawab, a.batas_waktu) for a in session.scalars(
        select(ReviewAction).where(ReviewAction.review_id == r.id).order_by(ReviewAction.no))]
    return ReviewView(
        id=r.id, sop_id=r.sop_id, sop_name=doc.nama if doc else r.sop_id, sop_nomor=getattr(doc, "nomor", None),
        period=r.period, period_label=p.label, date_from=p.start, date_to=p.end, state=r.state,
        revision_no=r.revision_no, version=r.version, answers=[dict(a) for a in r.answers], kesimpulan=r.kesimpulan,
        findings=findings, monitoring=[dict(m) for m in r.monitoring], monitoring_due=monitoring_due(r.period),
        kpi=kpi_data, skm=skm_data, frozen=frozen, created_by=_names(session, [r.created_by]).get(r.created_by, "—"),
        history=_history(session, r.id), scope=getattr(doc, "scope", None))


def overview(session: Session, actor: Actor, code: str) -> list[dict]:
    """Every SOP in force with its review of the quarter ``code`` (``id`` and ``state`` None when none)."""
    require(actor, "view_reviews")
    quarter(code)
    docs = {i: a.doc for i, a in store.active_documents(session).items() if a.doc.jenis == "sop"}
    found = {r.sop_id: r for r in session.scalars(select(Review).where(Review.period == code.upper()))}
    ordered = sorted(docs.items(), key=lambda x: x[1].label)
    return [{"sop_id": i, "sop": d.label, "id": found[i].id if i in found else None,
             "state": found[i].state if i in found else None} for i, d in ordered]


def allowed(actor: Actor, view: ReviewView) -> set[str]:
    """What ``actor`` may do with the review now, from its workflow table (data/workflows/review.yaml):
    ``edit`` (save and submit a draft), ``approve`` (approve or return a submitted one)."""
    names = set(workflow.permitted(actor, OBJECT_TYPE, view.state, (view.scope,)))
    return ({"edit"} if "ajukan" in names else set()) | ({"approve"} if names & {"setujui", "kembalikan"} else set())


def _scopes(session: Session, r: Review) -> tuple[str | None, ...]:
    doc = getattr(store.active_documents(session).get(r.sop_id, None), "doc", None)
    return (getattr(doc, "scope", None),)


workflow.register(workflow.ObjectType(OBJECT_TYPE, Review, scopes=_scopes, error=ReviewError, conflict=ReviewError,
                                      describe=lambda r: f"{r.sop_id} {r.period}"))


@workflow.guard("evaluasi_lengkap")
def _complete(session: Session, actor: Actor | None, r: Review, context: dict) -> str | None:
    findings = list(session.scalars(select(ReviewAction).where(ReviewAction.review_id == r.id)))
    missing = problems(r, findings, (context.get("now") or utcnow()).astimezone(WIB).date())
    return "Evaluasi belum dapat diajukan: " + " ".join(missing) if missing else None


@workflow.guard("bukan_pengaju")
def _not_the_submitter(session: Session, actor: Actor | None, r: Review, context: dict) -> str | None:
    submitted = session.scalars(select(WorkflowHistory.actor_id).where(
        WorkflowHistory.object_type == OBJECT_TYPE, WorkflowHistory.object_id == str(r.id),
        WorkflowHistory.to_state == "diajukan").order_by(WorkflowHistory.id.desc()).limit(1)).first()
    if actor is not None and submitted is not None and submitted == actor.user_id:
        return "Evaluasi tidak dapat disetujui oleh orang yang mengajukannya."
    return None


# --- writing ------------------------------------------------------------------------------------------
def _transition(session: Session, actor: Actor, r: Review, name: str, comment: str | None,
                now: dt.datetime) -> None:
    """Move the review through its workflow table; the audit entry says the states it moved between."""
    t = workflow.table(OBJECT_TYPE).transitions[name]
    detail = f"{r.sop_id} {r.period}: {STATES[r.state]} → {STATES[t.target]}" + (f"; {comment}" if comment else "")
    workflow.transition(session, actor, r, name, comment=comment, detail=detail, now=now, context={"now": now})


def open_review(session: Session, actor: Actor, sop_id: str, code: str, today: dt.date | None = None,
                now: dt.datetime | None = None) -> tuple[int, bool]:
    """Open the review of ``sop_id`` for the quarter ``code``, or find the one already open:
    ``(id, created)``."""
    doc, revision_no = _sop(session, sop_id)
    require(actor, "manage_reviews", doc.scope)
    p = quarter(code)
    code = quarter_code(p)
    today = today or dt.datetime.now(WIB).date()
    if p.start > today:
        raise ReviewError(f"{p.label} belum dimulai: evaluasi hanya untuk triwulan yang sedang berjalan atau "
                          "yang sudah lewat.")
    existing = session.scalars(select(Review).where(Review.sop_id == sop_id, Review.period == code)).first()
    if existing is not None:
        return existing.id, False
    now = now or utcnow()
    monitoring = [{"no": s.no, "kegiatan": s.kegiatan, "berjalan": None, "catatan": "", "tindakan": ""}
                  for s in doc.langkah] if monitoring_due(code) else []
    r = Review(sop_id=sop_id, period=code, revision_no=revision_no,
               answers=[{"ya": None, "catatan": ""} for _ in PERTANYAAN], kesimpulan=None, monitoring=monitoring,
               created_by=actor.user_id, created_at=now, updated_at=now, version=1)
    try:
        with session.begin_nested():
            workflow.create(session, actor, r, "buka", detail=f"{sop_id} {code}", now=now)
    except IntegrityError:  # opened by someone else a moment ago
        raise ReviewError(f"Evaluasi SOP ini untuk {p.label} baru saja dibuka orang lain. Muat ulang halaman.") \
            from None
    return r.id, True


def _editable(session: Session, actor: Actor, review_id: int, version: int | None) -> Review:
    r = _load(session, review_id, lock=True)
    doc_scope = getattr(store.active_documents(session).get(r.sop_id, None), "doc", None)
    require(actor, "manage_reviews", getattr(doc_scope, "scope", None))
    if r.state != "draft":
        raise ReviewError(f"Evaluasi ini sudah {STATES[r.state].lower()} dan tidak dapat diubah lagi.")
    if version is not None and version != r.version:
        raise ReviewError("Evaluasi ini baru saja diubah orang lain. Muat ulang halaman, lalu ulangi perubahan Anda.")
    return r


def _text(value, limit: int, what: str) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if len(text) > limit:
        raise ReviewError(f"{what} terlalu panjang (maksimal {fmt.angka(limit)} karakter).")
    return text or None


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip()) or (not isinstance(value, (str, dt.date)) and pd.isna(value))


def _date(value, row: int) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ReviewError(f"Temuan {row}: batas waktu “{value}” bukan tanggal.") from None


def save_draft(session: Session, actor: Actor, review_id: int, version: int | None, answers: list[dict],
               kesimpulan: str | None, findings: list[Finding | dict], monitoring: list[dict] | None = None,
               now: dt.datetime | None = None) -> int:
    """Save the evaluator's part of a draft; rows of findings left entirely blank are dropped. Returns the new
    version. Completeness is checked at submission, not here, so a half-done draft can be saved."""
    r = _editable(session, actor, review_id, version)
    if len(answers) != len(PERTANYAAN):
        raise ReviewError(f"Harus ada {len(PERTANYAAN)} jawaban.")
    clean_answers = []
    for i, a in enumerate(answers, start=1):
        ya = a.get("ya")
        if ya not in (True, False, None):
            raise ReviewError(f"Pertanyaan {i}: jawaban harus Ya atau Tidak.")
        clean_answers.append({"ya": ya, "catatan": _text(a.get("catatan"), MAX_NOTE, f"Catatan pertanyaan {i}") or ""})
    rows: list[Finding] = []
    for f in findings:
        f = f if isinstance(f, dict) else dataclasses.asdict(f)
        n = len(rows) + 1
        values = [f.get("temuan"), f.get("tindak_lanjut"), f.get("penanggung_jawab"), f.get("batas_waktu")]
        if all(_blank(v) for v in values):
            continue
        temuan = _text(None if _blank(f.get("temuan")) else f.get("temuan"), MAX_TEXT, f"Temuan {n}")
        if not temuan:
            raise ReviewError(f"Temuan {n}: tulis temuannya (tindak lanjut tanpa temuan tidak dapat disimpan).")
        rows.append(Finding(temuan,
                            _text(None if _blank(f.get("tindak_lanjut")) else f.get("tindak_lanjut"), MAX_TEXT,
                                  f"Tindak lanjut {n}"),
                            _text(None if _blank(f.get("penanggung_jawab")) else f.get("penanggung_jawab"), 200,
                                  f"Penanggung jawab {n}"),
                            _date(f.get("batas_waktu"), n)))
    clean_monitoring = [dict(m) for m in r.monitoring]
    if monitoring is not None and clean_monitoring:
        given = {int(m["no"]): m for m in monitoring}
        for m in clean_monitoring:
            g = given.get(m["no"], {})
            berjalan = g.get("berjalan", m.get("berjalan"))
            if berjalan not in (True, False, None):
                raise ReviewError(f"Monitoring langkah {m['no']}: pilih berjalan baik atau tidak.")
            m.update(berjalan=berjalan,
                     catatan=_text(g.get("catatan", m.get("catatan")), MAX_NOTE, f"Catatan langkah {m['no']}") or "",
                     tindakan=_text(g.get("tindakan", m.get("tindakan")), MAX_NOTE,
                                    f"Tindakan langkah {m['no']}") or "")
    r.answers = clean_answers
    r.kesimpulan = _text(kesimpulan, MAX_TEXT, "Kesimpulan")
    r.monitoring = clean_monitoring
    session.execute(delete(ReviewAction).where(ReviewAction.review_id == r.id))
    for n, f in enumerate(rows, start=1):
        session.add(ReviewAction(review_id=r.id, no=n, temuan=f.temuan, tindak_lanjut=f.tindak_lanjut,
                                 penanggung_jawab=f.penanggung_jawab, batas_waktu=f.batas_waktu))
    r.version += 1
    r.updated_at = now or utcnow()
    audit.record(session, actor, "ubah_evaluasi", OBJECT_TYPE, r.id,
                 f"{r.sop_id} {r.period}: {sum(a['ya'] is not None for a in clean_answers)}/7 dijawab, "
                 f"{len(rows)} temuan")
    session.flush()
    return r.version


def problems(r: Review, findings: list[ReviewAction], today: dt.date) -> list[str]:
    """What keeps a draft from being submitted (Indonesian, one line each); empty when it is complete."""
    out = []
    p = quarter(r.period)
    if today < p.end:
        out.append(f"{p.label} belum berakhir (sampai {fmt.tanggal(p.end)}): evaluasi dapat diajukan mulai "
                   "hari terakhir triwulan.")
    for i, a in enumerate(r.answers, start=1):
        if a.get("ya") is None:
            out.append(f"Pertanyaan {i}: pilih Ya atau Tidak.")
        elif a.get("ya") is False and not (a.get("catatan") or "").strip():
            out.append(f"Pertanyaan {i} dijawab Tidak: tulis catatan apa yang perlu diperbaiki.")
    if any(a.get("ya") is False for a in r.answers) and not findings:
        out.append("Ada jawaban Tidak: tulis paling sedikit satu temuan dengan tindak lanjutnya.")
    for f in findings:
        missing = [name for name, v in (("tindak lanjut", f.tindak_lanjut), ("penanggung jawab", f.penanggung_jawab),
                                        ("batas waktu", f.batas_waktu)) if not v]
        if missing:
            out.append(f"Temuan {f.no}: lengkapi {', '.join(missing)}.")
    for m in r.monitoring:
        if m.get("berjalan") is None:
            out.append(f"Monitoring langkah {m['no']}: pilih berjalan baik atau tidak.")
        elif m.get("berjalan") is False and not (m.get("tindakan") or "").strip():
            out.append(f"Monitoring langkah {m['no']} tidak berjalan baik: tulis tindakan yang diambil.")
    return out


def submit(session: Session, actor: Actor, review_id: int, version: int | None, now: dt.datetime | None = None,
           *, skm_empty_ok: bool = False) -> None:
    """Submit a complete draft to the Kepala Dinas, freezing the KPI and SKM figures of the quarter into it.
    A quarter without any SKM respondent needs ``skm_empty_ok`` (:class:`SkmEmpty` otherwise)."""
    r = _editable(session, actor, review_id, version)
    now = now or utcnow()
    findings = list(session.scalars(select(ReviewAction).where(ReviewAction.review_id == r.id)
                                    .order_by(ReviewAction.no)))
    missing = problems(r, findings, now.astimezone(WIB).date())
    if missing:
        raise IncompleteReview(missing)
    p = quarter(r.period)
    skm_figures = skm_hasil.figures(session, r.sop_id, p.start, p.end)
    if not skm_figures["respondents"] and not skm_empty_ok:
        raise SkmEmpty(f"Bagian SKM kosong: belum ada responden SKM untuk SOP ini pada {p.label}. Centang "
                       "“Ajukan tanpa data SKM” bila evaluasi tetap diajukan.")
    r.kpi_snapshot = kpi_figures(session, r.sop_id, p, now)
    r.skm_snapshot = skm_figures
    _transition(session, actor, r, "ajukan", None, now)


def _decidable(session: Session, actor: Actor, review_id: int, version: int | None) -> Review:
    r = _load(session, review_id, lock=True)
    doc = getattr(store.active_documents(session).get(r.sop_id, None), "doc", None)
    require(actor, "approve_reviews", getattr(doc, "scope", None))
    if r.state != "diajukan":
        raise ReviewError(f"Hanya evaluasi yang diajukan yang dapat disetujui atau dikembalikan; evaluasi ini "
                          f"berstatus {STATES[r.state].lower()}.")
    if version is not None and version != r.version:
        raise ReviewError("Evaluasi ini baru saja berubah. Muat ulang halaman.")
    return r


def approve(session: Session, actor: Actor, review_id: int, version: int | None, comment: str | None = None,
            now: dt.datetime | None = None) -> None:
    """The Kepala Dinas approves a submitted review; it is final from then on."""
    r = _decidable(session, actor, review_id, version)
    _transition(session, actor, r, "setujui", _text(comment, MAX_NOTE, "Komentar"), now or utcnow())


def return_to_draft(session: Session, actor: Actor, review_id: int, version: int | None, comment: str,
                    now: dt.datetime | None = None) -> None:
    """The Kepala Dinas returns a submitted review to draft with a comment saying what to change; the frozen
    figures are released (they are frozen again at the next submission)."""
    text = _text(comment, MAX_NOTE, "Komentar")
    if not text:
        raise ReviewError("Tulis komentar: apa yang harus diperbaiki sebelum evaluasi diajukan lagi.")
    r = _decidable(session, actor, review_id, version)
    r.kpi_snapshot = None
    r.skm_snapshot = None
    _transition(session, actor, r, "kembalikan", text, now or utcnow())


# --- tables, printable page, XLSX ---------------------------------------------------------------------
HEADLINE_LABELS = {
    "cases_started": "Berkas masuk", "cases_completed": "Berkas selesai",
    "open_cases": "Berkas terbuka (saat dihitung)", "overdue_cases": "Berkas terlambat (saat dihitung)",
    "judged_runs": "Langkah dinilai", "within_pct": "Langkah dalam mutu baku",
    "median_lead_working_min": "Median lead time", "median_target_sum_working_min": "Median target lead time",
}


def headline_rows(view: ReviewView) -> list[tuple[str, str]]:
    h = view.kpi["headline"]
    out = []
    for key, label in HEADLINE_LABELS.items():
        v = h.get(key)
        text = pct(v) if key == "within_pct" else minutes(v) if key.endswith("_min") else fmt.angka(v)
        out.append((label, text))
    return out


def steps_frame(view: ReviewView) -> pd.DataFrame:
    return pd.DataFrame([{"Langkah": s["no"], "Kegiatan": s["kegiatan"], "Pelaksana": s["pelaksana"],
                          "Target": s["target"] or "—", "Jumlah": s["n"], "Median": minutes(s["median_working_min"]),
                          "P90": minutes(s["p90_working_min"]), "% tepat": pct(s["within_pct"]),
                          "Median tunggu": minutes(s["median_wait_working_min"]), "Berkas diulang": s["rework_cases"]}
                         for s in view.kpi["steps"]],
                        columns=["Langkah", "Kegiatan", "Pelaksana", "Target", "Jumlah", "Median", "P90", "% tepat",
                                 "Median tunggu", "Berkas diulang"])


def skm_rows(view: ReviewView) -> list[tuple[str, str]]:
    s = view.skm
    rows = [("Responden", fmt.angka(s["respondents"])),
            ("Populasi (berkas dibuka)", fmt.angka(s["population"])),
            ("Sampel minimum (Krejcie–Morgan)", fmt.angka(s["min_sample"]) if s["min_sample"] else "—")]
    if s["ikm"] is None:
        return rows + [("IKM", "belum ada responden")]
    weakest = ", ".join(u.nama for u in skm.UNSUR if u.kode in s["weakest"])
    return rows + [("IKM", fmt.angka(s["ikm"], 2)), ("Mutu pelayanan", f"{s['mutu']} ({s['kinerja']})"),
                   ("Unsur terendah", weakest)]


def answers_frame(view: ReviewView) -> pd.DataFrame:
    return pd.DataFrame([{"No": i, "Pertanyaan": q, "Jawaban": {True: "Ya", False: "Tidak", None: "—"}[a["ya"]],
                          "Catatan": a["catatan"]} for i, (q, a) in enumerate(zip(PERTANYAAN, view.answers), start=1)])


def findings_frame(view: ReviewView) -> pd.DataFrame:
    return pd.DataFrame([{"No": i, "Temuan": f.temuan, "Tindak lanjut": f.tindak_lanjut or "",
                          "Penanggung jawab": f.penanggung_jawab or "", "Batas waktu": fmt.tanggal(f.batas_waktu)}
                         for i, f in enumerate(view.findings, start=1)],
                        columns=["No", "Temuan", "Tindak lanjut", "Penanggung jawab", "Batas waktu"])


def monitoring_frame(view: ReviewView) -> pd.DataFrame:
    return pd.DataFrame([{"Langkah": m["no"], "Kegiatan": m["kegiatan"],
                          "Pelaksanaan": {True: "Berjalan dengan baik", False: "Tidak berjalan dengan baik",
                                          None: "—"}[m["berjalan"]],
                          "Catatan": m["catatan"], "Tindakan": m["tindakan"]} for m in view.monitoring],
                        columns=["Langkah", "Kegiatan", "Pelaksanaan", "Catatan", "Tindakan"])


def history_frame(view: ReviewView) -> pd.DataFrame:
    return pd.DataFrame([{"Waktu": fmt.waktu(h.at), "Oleh": h.actor, "Langkah": h.label, "Komentar": h.comment or ""}
                         for h in view.history], columns=["Waktu", "Oleh", "Langkah", "Komentar"])


def figures_note(view: ReviewView) -> str:
    at = dt.datetime.fromisoformat(view.kpi["computed_at"])
    if view.frozen:
        return f"Angka dibekukan saat diajukan ({fmt.waktu(at)})."
    return f"Angka dihitung langsung ({fmt.waktu(at)}); akan dibekukan saat evaluasi diajukan."


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or ''}</tbody></table>"


def _pairs_html(rows: list[tuple[str, str]]) -> str:
    return "<table class='pairs'>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                                             for k, v in rows) + "</table>"


_CSS = """
@page { size: A4 portrait; margin: 16mm 14mm; }
body { font-family: "Source Sans Pro", Arial, sans-serif; font-size: 10.5pt; color: #111827; margin: 0 auto;
       max-width: 190mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #9ca3af; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; page-break-inside: auto; }
th, td { border: 1px solid #9ca3af; padding: 1.2mm 1.8mm; vertical-align: top; text-align: left;
         overflow-wrap: anywhere; } thead th, td { font-size: 9.5pt; }
thead th, table.pairs th { background: #dce6f1; } table.pairs th { width: 45%; font-weight: 600; }
tr { page-break-inside: avoid; } .note { color: #4b5563; font-size: 9pt; }
.draft { border: 2px solid #c62828; color: #c62828; padding: 2mm; font-weight: 700; text-align: center; }
.sign { margin-top: 10mm; margin-left: 55%; } .sign p { margin: 1mm 0; }
"""


def to_html(view: ReviewView) -> str:
    """A printable, self-contained HTML page of the review (A4 portrait)."""
    e = html.escape
    ident = [("Nama SOP", view.sop_name), ("Nomor SOP", view.sop_nomor or "—"),
             ("Revisi di portal", str(view.revision_no)),
             ("Periode", f"{view.period_label} ({fmt.tanggal(view.date_from)} – {fmt.tanggal(view.date_to)})"),
             ("Status", view.state_label), ("Disusun oleh", view.created_by)]
    approved = view.approved
    parts = [(f"<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>Evaluasi Triwulan — "
              f"{e(view.sop_name)} — {e(view.period)}</title><style>{_CSS}</style></head><body>"),
             "<h1>Evaluasi Triwulan Pelaksanaan SOP</h1>",
             "" if approved else "<p class='draft'>BELUM DISETUJUI — dokumen ini masih dapat berubah</p>",
             _pairs_html(ident),
             "<h2>A. Kinerja langkah SOP (mutu baku)</h2>",
             f"<p class='note'>{e(figures_note(view))} {e(kpi.DEFINISI['tepat_waktu'])}</p>",
             _pairs_html(headline_rows(view)), _table_html(steps_frame(view)),
             "<h2>B. Survei Kepuasan Masyarakat</h2>", _pairs_html(skm_rows(view)),
             f"<p class='note'>{e(skm_hasil.POPULATION_NOTE)}</p>",
             "<h2>C. Evaluasi penerapan SOP (PermenPAN-RB 35/2012)</h2>", _table_html(answers_frame(view))]
    if view.kesimpulan:
        parts.append(f"<p><strong>Kesimpulan:</strong> {e(view.kesimpulan)}</p>")
    parts += ["<h2>D. Temuan dan tindak lanjut</h2>",
              _table_html(findings_frame(view)) if view.findings else "<p>Tidak ada temuan.</p>"]
    if view.monitoring:
        parts += ["<h2>E. Monitoring pelaksanaan SOP (semesteran)</h2>", _table_html(monitoring_frame(view))]
    parts += ["<h2>Riwayat</h2>", _table_html(history_frame(view))]
    if approved:
        parts.append(f"<div class='sign'><p>Disetujui, {e(fmt.tanggal(approved.at.astimezone(WIB).date()))}</p>"
                     f"<p>Kepala Dinas</p><br><br><p><strong>{e(approved.actor)}</strong></p></div>")
    parts.append("</body></html>")
    return "".join(parts)


def to_xlsx(view: ReviewView) -> bytes:
    """The review as XLSX: summary, KPI per step, the seven questions, findings, monitoring, history."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    ws.cell(row=1, column=1, value=f"Evaluasi Triwulan — {view.sop_name} — {view.period_label}").font = \
        Font(bold=True, size=13)
    head = view.kpi["headline"]
    skm_values = view.skm
    rows = [["Status", view.state_label], ["Nomor SOP", view.sop_nomor or "—"], ["Disusun oleh", view.created_by],
            ["Angka", figures_note(view)],
            *[[label + (" (%)" if key == "within_pct" else " (menit kerja)" if key.endswith("_min") else ""),
               head.get(key)] for key, label in HEADLINE_LABELS.items()],
            ["SKM: responden", skm_values["respondents"]], ["SKM: populasi (berkas dibuka)", skm_values["population"]],
            ["SKM: sampel minimum (Krejcie–Morgan)", skm_values["min_sample"]], ["SKM: IKM", skm_values["ikm"]],
            ["SKM: mutu", skm_values["mutu"]], ["SKM: kinerja", skm_values["kinerja"]],
            ["Kesimpulan", view.kesimpulan or ""]]
    write_table(ws, ["Uraian", "Nilai"], rows, [40, 80], start_row=3)
    steps = pd.DataFrame([{"Langkah": s["no"], "Kegiatan": s["kegiatan"], "Pelaksana": s["pelaksana"],
                           "Target": s["target"] or "", "Target (menit kerja)": s["target_working_min"],
                           "Jumlah": s["n"], "Dinilai": s["judged"], "Tepat waktu": s["within"],
                           "% tepat": s["within_pct"], "Median (menit kerja)": s["median_working_min"],
                           "P90 (menit kerja)": s["p90_working_min"],
                           "Median tunggu (menit kerja)": s["median_wait_working_min"],
                           "Berkas diulang": s["rework_cases"]} for s in view.kpi["steps"]])
    sheets = {"KPI per langkah": steps, "Tujuh pertanyaan": answers_frame(view),
              "Temuan dan tindak lanjut": findings_frame(view), "Riwayat": history_frame(view)}
    if view.monitoring:
        sheets["Monitoring semesteran"] = monitoring_frame(view)
    for name, frame in sheets.items():
        wsx = wb.create_sheet(name[:31])
        widths = [max(10, len(c) + 2, min(60, max((len(str(v)) for v in frame[c]), default=0) + 2))
                  for c in frame.columns]
        write_table(wsx, list(frame.columns), [[None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                                           for v in r] for r in frame.itertuples(index=False)], widths)
    return to_bytes(wb)


#: How the semester's monitoring names whether a step ran as written.
BERJALAN = {True: "Berjalan dengan baik", False: "Tidak berjalan dengan baik"}


def monitoring_rows(monitoring: list[dict]) -> list[dict]:
    """The semester's monitoring as the rows the reviewer edits: ``pelaksanaan`` named by :data:`BERJALAN`."""
    return [{"no": m["no"], "kegiatan": m["kegiatan"], "pelaksanaan": BERJALAN.get(m["berjalan"]),
             "catatan": m["catatan"], "tindakan": m["tindakan"]} for m in monitoring]


def monitoring_from_rows(rows: list[dict]) -> list[dict]:
    """The edited rows of :func:`monitoring_rows` back as monitoring entries."""
    back = {label: value for value, label in BERJALAN.items()}
    return [{"no": int(r["no"]), "berjalan": back.get(r["pelaksanaan"]), "catatan": r["catatan"] or "",
             "tindakan": r["tindakan"] or ""} for r in rows]
