"""Database: SQLAlchemy 2 typed models and the engine.

``DATABASE_URL`` selects the database; the default is a SQLite file under ``data/`` in WAL mode.
PostgreSQL is the production database. The schema is created and upgraded by Alembic
(``lib/migrations``); ``python -m lib init`` runs the migrations.

Instants are stored in UTC. :class:`UTCDateTime` makes SQLite (which has no time zone) give them back as
aware UTC datetimes, as PostgreSQL does.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from lib.base.config import setting

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE = ROOT / "data" / "portal.db"


def database_url() -> str:
    """``DATABASE_URL``: the database the application works in, as its runtime role (row rights only)."""
    return setting("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def owner_database_url() -> str:
    """``DATABASE_OWNER_URL``: the same database as the role owning its tables, used only by the commands that
    change the schema or grant rights (``python -m lib init``, ``db roles``); without it, ``DATABASE_URL``."""
    return setting("DATABASE_OWNER_URL") or database_url()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC on every backend."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware (UTC) datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict: JSON, list: JSON}


# --- accounts -----------------------------------------------------------------------------------------
class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: whether the e-mail digest goes to this account (turned off on *Akun saya*)
    kabar_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class LoginSession(Base):
    """A login: the cookie carries a random token, the row its SHA-256 (``id``), so that every replica agrees
    whether the session still opens the portal and a copy of the table opens nothing (lib/base/sessions.py)."""
    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user", "user_id", "revoked_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(String(20))
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class LoginFailure(Base):
    """A failed login, for throttling (lib/base/throttle.py): the name as typed (known account or not) and the
    client address. Rows older than a day are pruned; the audit log keeps the history."""
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username", "username", "at"),
                      Index("ix_login_failures_address", "client_address", "at"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str] = mapped_column(String(64))


class RoleAssignment(Base):
    """A role held by a user; with a scope it is a local role (``desa:3313012001``, ``bidang:...``)."""
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "scope"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(String(100))


class InboxMark(Base):
    """What one user did with one inbox entry (lib/kabar): opened it, and the last state of it the e-mail digest
    told them about (``baru``, ``segera``, ``terlambat``). The entries themselves are computed from the
    workflow's state and the working-time clock; ``kunci`` names one of them."""
    __tablename__ = "kotak_masuk_tanda"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kunci: Mapped[str] = mapped_column(String(120), primary_key=True)
    dibaca_pada: Mapped[dt.datetime | None]
    dikirim_status: Mapped[str | None] = mapped_column(String(20))
    dikirim_pada: Mapped[dt.datetime | None]


class PasswordReset(Base):
    """A password-reset link sent by e-mail: the row keeps only the token's SHA-256 (``id``); single use, valid
    until ``expires_at`` (lib/kabar/reset.py)."""
    __tablename__ = "reset_sandi"
    __table_args__ = (Index("ix_reset_sandi_user", "user_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    client_address: Mapped[str | None] = mapped_column(String(64))


# --- the catalogue ------------------------------------------------------------------------------------
class Sop(Base):
    __tablename__ = "sops"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    jenis: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SopRevision(Base):
    """One revision of a catalogue document. States: draft → diajukan → disahkan → tidak_berlaku."""
    __tablename__ = "sop_revisions"
    __table_args__ = (UniqueConstraint("sop_id", "revision_no"), Index("ix_sop_revisions_state", "sop_id", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_id: Mapped[str] = mapped_column(ForeignKey("sops.id"))
    revision_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict]
    content_hash: Mapped[str] = mapped_column(String(64))
    #: ``file`` when loaded from data/sop, ``web`` when edited in the browser, ``import`` from a YAML upload.
    source: Mapped[str] = mapped_column(String(20), default="file")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WorkflowHistory(Base):
    """Append-only history of state changes of any content (SOP revision, case, batch, review)."""
    __tablename__ = "workflow_history"
    __table_args__ = (Index("ix_workflow_history_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    #: "Plh. <jabatan>, <deputy> a.n. <delegator>" when the actor acted as Plh
    capacity: Mapped[str | None] = mapped_column(String(300))


class Delegation(Base):
    """A Pelaksana Harian (Plh): ``deputy`` does ``delegator``'s work from ``starts_at`` until ``ends_at`` (or
    ``ended_early_at``, when the delegation was ended before its end)."""
    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_deputy", "deputy_id", "ends_at"),
                      Index("ix_delegations_delegator", "delegator_id", "ends_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    ended_early_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- cases and step runs ------------------------------------------------------------------------------
class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("register_no"), Index("ix_cases_sop_state", "sop_id", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_id: Mapped[str] = mapped_column(ForeignKey("sops.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("sop_revisions.id"))
    register_no: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str | None] = mapped_column(String(200))
    nik: Mapped[str | None] = mapped_column(String(16), index=True)
    #: The local scope the case belongs to (``desa:<kode>`` for a village's proposal), or None.
    scope: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    #: Optimistic lock: bumped on every change of the case.
    version: Mapped[int] = mapped_column(Integer, default=1)


class StepRun(Base):
    """One execution of one step of one case. Append-only but for the closing of a run in progress."""
    __tablename__ = "step_runs"
    __table_args__ = (Index("ix_step_runs_case", "case_id", "step_no"),
                      Index("ix_step_runs_completed", "completed_at"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    step_no: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    available_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    #: "Plh. <jabatan>, <deputy> a.n. <delegator>" when the step was done by a Plh
    capacity: Mapped[str | None] = mapped_column(String(300))
    #: when the step, overdue by twice its target, was raised to the next official up, and to which role
    escalated_at: Mapped[dt.datetime | None]
    escalated_to: Mapped[str | None] = mapped_column(String(32))


class CaseComment(Base):
    """A comment on a case. Append-only."""
    __tablename__ = "case_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class CaseAttachment(Base):
    """A file attached to a case, kept in the database (so every replica sees it). Append-only."""
    __tablename__ = "case_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- SKM e-survey -------------------------------------------------------------------------------------
class SkmResponse(Base):
    """One respondent's answers (1–4 for each of the nine unsur). Append-only: an answer is never altered."""
    __tablename__ = "skm_responses"
    __table_args__ = (Index("ix_skm_responses_service_at", "sop_id", "submitted_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: ``online`` (the e-survey) or ``kertas`` (imported paper questionnaire).
    source: Mapped[str] = mapped_column(String(20), default="online")
    u1: Mapped[int] = mapped_column(Integer)
    u2: Mapped[int] = mapped_column(Integer)
    u3: Mapped[int] = mapped_column(Integer)
    u4: Mapped[int] = mapped_column(Integer)
    u5: Mapped[int] = mapped_column(Integer)
    u6: Mapped[int] = mapped_column(Integer)
    u7: Mapped[int] = mapped_column(Integer)
    u8: Mapped[int] = mapped_column(Integer)
    u9: Mapped[int] = mapped_column(Integer)
    jenis_kelamin: Mapped[str | None] = mapped_column(String(20))
    usia: Mapped[str | None] = mapped_column(String(20))
    pendidikan: Mapped[str | None] = mapped_column(String(40))
    pekerjaan: Mapped[str | None] = mapped_column(String(60))
    saran: Mapped[str | None] = mapped_column(Text)


# --- quarterly SOP review (Evaluasi Triwulan) -----------------------------------------------------------
class Review(Base):
    """The quarterly evaluation of one SOP (PermenPAN-RB 35/2012): draft → diajukan → disetujui, or returned
    to draft. Only a draft is edited (lib.reviews); an approved review is refused any change by the database
    (migration 0004). ``kpi_snapshot``/``skm_snapshot`` are the figures frozen at submission."""
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("sop_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_id: Mapped[str] = mapped_column(ForeignKey("sops.id"))
    period: Mapped[str] = mapped_column(String(10))  # 2026-Q3
    state: Mapped[str] = mapped_column(String(20))
    #: The SOP revision in force when the review was opened (the monitoring form lists its steps).
    revision_no: Mapped[int] = mapped_column(Integer)
    answers: Mapped[list] = mapped_column(default=list)      # seven {"ya": bool | None, "catatan": str}
    kesimpulan: Mapped[str | None] = mapped_column(Text)
    monitoring: Mapped[list] = mapped_column(default=list)   # per step {"no", "kegiatan", "berjalan", ...}
    kpi_snapshot: Mapped[dict | None]
    skm_snapshot: Mapped[dict | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Optimistic lock: bumped on every change.
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReviewAction(Base):
    """A finding of a review and its follow-up action, with the person responsible and the due date."""
    __tablename__ = "review_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    no: Mapped[int] = mapped_column(Integer)
    temuan: Mapped[str] = mapped_column(Text)
    tindak_lanjut: Mapped[str | None] = mapped_column(Text)
    penanggung_jawab: Mapped[str | None] = mapped_column(String(200))
    batas_waktu: Mapped[dt.date | None] = mapped_column(Date)


# --- pekerja rentan: wilayah, reference data, candidates, village validation batches -------------------
class Kecamatan(Base):
    __tablename__ = "kecamatan"
    kode: Mapped[str] = mapped_column(String(60), primary_key=True)  # slug, e.g. ``jatipuro``
    nama: Mapped[str] = mapped_column(String(100))


class Desa(Base):
    """A desa or kelurahan; ``kode`` is the slug of the operator's scope (``desa:<kode>``)."""
    __tablename__ = "desa"
    kode: Mapped[str] = mapped_column(String(60), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    jenis: Mapped[str] = mapped_column(String(10), default="desa")  # desa | kelurahan
    kecamatan_kode: Mapped[str] = mapped_column(ForeignKey("kecamatan.kode"), index=True)
    kode_wilayah: Mapped[str | None] = mapped_column(String(13))  # Kemendagri code, when known


class ReferensiRentan(Base):
    """One person in a DTKS/P3KE/DTSEN extract, with the source and period of that extract."""
    __tablename__ = "referensi_rentan"
    __table_args__ = (UniqueConstraint("sumber", "periode", "nik"), Index("ix_referensi_rentan_desa", "desa_kode"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sumber: Mapped[str] = mapped_column(String(10))    # DTKS | P3KE | DTSEN
    periode: Mapped[str] = mapped_column(String(10))   # 2026-09
    nik: Mapped[str] = mapped_column(String(16), index=True)
    nama: Mapped[str] = mapped_column(String(200))
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    jenis_kelamin: Mapped[str | None] = mapped_column(String(1))
    alamat: Mapped[str | None] = mapped_column(String(300))
    desa_kode: Mapped[str | None] = mapped_column(ForeignKey("desa.kode"))
    berkas: Mapped[str | None] = mapped_column(String(200))
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CalonPenerima(Base):
    """A person on a desa's provisional list (Daftar Sementara Calon Penerima Manfaat).
    ``status_validasi`` is the village's answer from the last accepted validation batch."""
    __tablename__ = "calon_penerima"
    __table_args__ = (UniqueConstraint("desa_kode", "nik"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desa_kode: Mapped[str] = mapped_column(ForeignKey("desa.kode"), index=True)
    nik: Mapped[str] = mapped_column(String(16), index=True)
    nama: Mapped[str] = mapped_column(String(200))
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    jenis_kelamin: Mapped[str | None] = mapped_column(String(1))
    alamat: Mapped[str | None] = mapped_column(String(300))
    referensi_id: Mapped[int | None] = mapped_column(ForeignKey("referensi_rentan.id"))
    status_validasi: Mapped[str | None] = mapped_column(String(30))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("validasi_batch.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ValidasiBatch(Base):
    """A village's validation file accepted with "Terima": state ``diterima`` (its history in WorkflowHistory)."""
    __tablename__ = "validasi_batch"
    __table_args__ = (UniqueConstraint("desa_kode", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desa_kode: Mapped[str] = mapped_column(ForeignKey("desa.kode"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(20))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_invalid: Mapped[int] = mapped_column(Integer, default=0)


class ValidasiBaris(Base):
    """One imported row of a validation batch, at the Excel row number the village sees. Append-only."""
    __tablename__ = "validasi_baris"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("validasi_batch.id"), index=True)
    excel_row: Mapped[int] = mapped_column(Integer)
    nik: Mapped[str] = mapped_column(String(16), index=True)
    nama: Mapped[str] = mapped_column(String(200))
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    jenis_kelamin: Mapped[str | None] = mapped_column(String(1))
    alamat: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30))
    keterangan: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(default=list)


class Kohort(Base):
    """A cohort of pekerja rentan whose JKK+JKM the regency pays from ``mulai`` to ``selesai`` (first days of
    the first and last month). ``disusun`` while the list is built; ``sk_ditetapkan`` freezes it."""
    __tablename__ = "kohort_rentan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nama: Mapped[str] = mapped_column(String(100), unique=True)
    mulai: Mapped[dt.date] = mapped_column(Date)
    selesai: Mapped[dt.date] = mapped_column(Date)
    sumber_dana: Mapped[str] = mapped_column(String(20))      # APBD | DBHCHT
    state: Mapped[str] = mapped_column(String(20))
    nomor_sk: Mapped[str | None] = mapped_column(String(100))
    tanggal_sk: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class KohortDesa(Base):
    """One desa in a cohort: the Kabid's verification of its list, the confirmation letter sent with its
    deadline, and the village's answer; ``state`` is its workflow state (data/workflows/kohort_desa.yaml)."""
    __tablename__ = "kohort_desa"
    __table_args__ = (UniqueConstraint("kohort_id", "desa_kode"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kohort_id: Mapped[int] = mapped_column(ForeignKey("kohort_rentan.id"), index=True)
    desa_kode: Mapped[str] = mapped_column(ForeignKey("desa.kode"))
    diverifikasi_oleh: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    diverifikasi_pada: Mapped[dt.datetime | None]
    jumlah_diverifikasi: Mapped[int | None] = mapped_column(Integer)
    kuota: Mapped[int | None] = mapped_column(Integer)  # participants the desa may have; None: every Valid one
    surat_nomor: Mapped[str | None] = mapped_column(String(100))
    surat_tanggal: Mapped[dt.date | None] = mapped_column(Date)
    surat_batas: Mapped[dt.date | None] = mapped_column(Date)
    jawaban_tanggal: Mapped[dt.date | None] = mapped_column(Date)
    jawaban_catatan: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("validasi_batch.id"))
    state: Mapped[str] = mapped_column(String(20))


class PesertaKohort(Base):
    """A person on a cohort's list. Rows are never deleted: a person BPJS reports as already covered
    becomes ``diganti`` and their replacement is a new row pointing back (``pengganti_untuk``)."""
    __tablename__ = "peserta_kohort"
    __table_args__ = (UniqueConstraint("kohort_id", "nik"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kohort_id: Mapped[int] = mapped_column(ForeignKey("kohort_rentan.id"), index=True)
    desa_kode: Mapped[str] = mapped_column(ForeignKey("desa.kode"), index=True)
    calon_id: Mapped[int] = mapped_column(ForeignKey("calon_penerima.id"))
    nik: Mapped[str] = mapped_column(String(16))
    nama: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))            # aktif | diganti
    # belum_dicek | belum_terdaftar | terdaftar_lain
    bpjs_status: Mapped[str] = mapped_column(String(20), default="belum_dicek")
    bpjs_keterangan: Mapped[str | None] = mapped_column(String(200))
    cek_id: Mapped[int | None] = mapped_column(ForeignKey("bpjs_cek.id"))
    pengganti_untuk: Mapped[int | None] = mapped_column(ForeignKey("peserta_kohort.id"))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BpjsCek(Base):
    """One answer file from BPJS Ketenagakerjaan imported for a cohort (steps 20–22)."""
    __tablename__ = "bpjs_cek"
    __table_args__ = (UniqueConstraint("kohort_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kohort_id: Mapped[int] = mapped_column(ForeignKey("kohort_rentan.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    cocok: Mapped[int] = mapped_column(Integer, default=0)
    terdaftar_lain: Mapped[int] = mapped_column(Integer, default=0)
    diganti: Mapped[int] = mapped_column(Integer, default=0)


# --- audit, settings, calendar ------------------------------------------------------------------------
class AuditEntry(Base):
    """Append-only audit log: lib has no update or delete path for it, and each row is sealed into a hash chain
    (``prev_hash``/``row_hash``, :mod:`lib.base.audit_chain`)."""
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_object", "object_type", "object_id"),
                      Index("uq_audit_log_prev_hash", "prev_hash", unique=True))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str | None] = mapped_column(Text)
    #: The ``row_hash`` of the row before (``audit_chain.GENESIS`` for the first); unique: the chain cannot fork.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


#: Tables whose rows are never changed or deleted once written: the database refuses UPDATE, DELETE and TRUNCATE
#: on them (and REPLACE on SQLite), and the runtime role is granted only SELECT and INSERT on them.
APPEND_ONLY_TABLES = ("audit_log", "case_comments", "case_attachments", "skm_responses", "validasi_baris", "bpjs_cek")


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CalendarOverride(Base):
    """An admin's change to the working calendar: a day off (``libur``) or a working day (``kerja``)."""
    __tablename__ = "calendar_overrides"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    keterangan: Mapped[str] = mapped_column(String(200), default="")
    segments: Mapped[list | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- documents: templates, the agenda register of letters, the public status check ---------------------
class DocumentTemplate(Base):
    """One uploaded version of a document's DOCX template (every version is kept; the newest is used)."""
    __tablename__ = "document_templates"
    __table_args__ = (UniqueConstraint("kode", "versi"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kode: Mapped[str] = mapped_column(String(40))
    versi: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LetterCounter(Base):
    """The last agenda number given in a year (per bidang when the pattern has one; ``""`` otherwise)."""
    __tablename__ = "letter_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    bidang: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Letter(Base):
    """One entry of the agenda register: a number given once, to one letter of one object."""
    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("nomor"), UniqueConstraint("jenis", "object_type", "object_id", "ref"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nomor: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    #: The bidang the letter comes from (also when the number's pattern has none).
    bidang: Mapped[str] = mapped_column(String(60))
    seq: Mapped[int] = mapped_column(Integer)
    jenis: Mapped[str] = mapped_column(String(40))
    perihal: Mapped[str] = mapped_column(String(300))
    tujuan: Mapped[str] = mapped_column(String(300))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    ref: Mapped[str] = mapped_column(String(80), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StatusCheck(Base):
    """One try on the public status page, by client address (wrong guesses are counted to slow them down)."""
    __tablename__ = "status_checks"
    __table_args__ = (Index("ix_status_checks_address_at", "address", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)


# --- engine -------------------------------------------------------------------------------------------
def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # REPLACE (and INSERT OR REPLACE) removes a conflicting row without firing DELETE triggers unless this is on:
    # with it, the append-only tables' BEFORE DELETE triggers refuse a REPLACE as they refuse a DELETE.
    cur.execute("PRAGMA recursive_triggers=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)
