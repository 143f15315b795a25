"""Pekerja rentan cohorts: the desa of a cohort (Kabid's verification, confirmation letter and answer), the
cohort's participants with their BPJS check, and the BPJS answer files. The imported rows of a village's
validation file and the record of each BPJS answer become append-only (database triggers, as in 0003).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = ("validasi_baris", "bpjs_cek")


def upgrade() -> None:
    op.create_table(
        "kohort_rentan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nama", sa.String(length=100), nullable=False, unique=True),
        sa.Column("mulai", sa.Date(), nullable=False),
        sa.Column("selesai", sa.Date(), nullable=False),
        sa.Column("sumber_dana", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("nomor_sk", sa.String(length=100), nullable=True),
        sa.Column("tanggal_sk", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "kohort_desa",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kohort_id", sa.Integer(), sa.ForeignKey("kohort_rentan.id"), nullable=False, index=True),
        sa.Column("desa_kode", sa.String(length=60), sa.ForeignKey("desa.kode"), nullable=False),
        sa.Column("diverifikasi_oleh", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("diverifikasi_pada", sa.DateTime(timezone=True), nullable=True),
        sa.Column("jumlah_diverifikasi", sa.Integer(), nullable=True),
        sa.Column("kuota", sa.Integer(), nullable=True),
        sa.Column("surat_nomor", sa.String(length=100), nullable=True),
        sa.Column("surat_tanggal", sa.Date(), nullable=True),
        sa.Column("surat_batas", sa.Date(), nullable=True),
        sa.Column("jawaban_tanggal", sa.Date(), nullable=True),
        sa.Column("jawaban_catatan", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("validasi_batch.id"), nullable=True),
        sa.UniqueConstraint("kohort_id", "desa_kode"),
    )
    op.create_table(
        "bpjs_cek",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kohort_id", sa.Integer(), sa.ForeignKey("kohort_rentan.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("cocok", sa.Integer(), nullable=False),
        sa.Column("terdaftar_lain", sa.Integer(), nullable=False),
        sa.Column("diganti", sa.Integer(), nullable=False),
        sa.UniqueConstraint("kohort_id", "sha256"),
    )
    op.create_table(
        "peserta_kohort",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kohort_id", sa.Integer(), sa.ForeignKey("kohort_rentan.id"), nullable=False, index=True),
        sa.Column("desa_kode", sa.String(length=60), sa.ForeignKey("desa.kode"), nullable=False, index=True),
        sa.Column("calon_id", sa.Integer(), sa.ForeignKey("calon_penerima.id"), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=False),
        sa.Column("nama", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("bpjs_status", sa.String(length=20), nullable=False),
        sa.Column("bpjs_keterangan", sa.String(length=200), nullable=True),
        sa.Column("cek_id", sa.Integer(), sa.ForeignKey("bpjs_cek.id"), nullable=True),
        sa.Column("pengganti_untuk", sa.Integer(), sa.ForeignKey("peserta_kohort.id"), nullable=True),
        sa.Column("added_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kohort_id", "nik"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in APPEND_ONLY:  # portal_append_only() exists on PostgreSQL since 0003
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        else:
            op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION portal_append_only()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in APPEND_ONLY:
        if sqlite:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
    for table in ("peserta_kohort", "bpjs_cek", "kohort_desa", "kohort_rentan"):
        op.drop_table(table)
