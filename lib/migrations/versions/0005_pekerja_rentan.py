"""Pekerja rentan: kecamatan and desa reference, DTKS/P3KE reference rows, candidate lists per desa, village
validation batches and their rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _person():
    return [sa.Column("nik", sa.String(length=16), nullable=False, index=True),
            sa.Column("nama", sa.String(length=200), nullable=False),
            sa.Column("tanggal_lahir", sa.Date(), nullable=True),
            sa.Column("jenis_kelamin", sa.String(length=1), nullable=True),
            sa.Column("alamat", sa.String(length=300), nullable=True)]


def upgrade() -> None:
    op.create_table(
        "kecamatan",
        sa.Column("kode", sa.String(length=60), primary_key=True),
        sa.Column("nama", sa.String(length=100), nullable=False),
    )
    op.create_table(
        "desa",
        sa.Column("kode", sa.String(length=60), primary_key=True),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column("jenis", sa.String(length=10), nullable=False),
        sa.Column("kecamatan_kode", sa.String(length=60), sa.ForeignKey("kecamatan.kode"), nullable=False,
                  index=True),
        sa.Column("kode_wilayah", sa.String(length=13), nullable=True),
    )
    op.create_table(
        "referensi_rentan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sumber", sa.String(length=10), nullable=False),
        sa.Column("periode", sa.String(length=10), nullable=False),
        *_person(),
        sa.Column("desa_kode", sa.String(length=60), sa.ForeignKey("desa.kode"), nullable=True),
        sa.Column("berkas", sa.String(length=200), nullable=True),
        sa.Column("imported_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("sumber", "periode", "nik"),
    )
    op.create_index("ix_referensi_rentan_desa", "referensi_rentan", ["desa_kode"])
    op.create_table(
        "validasi_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("desa_kode", sa.String(length=60), sa.ForeignKey("desa.kode"), nullable=False, index=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_invalid", sa.Integer(), nullable=False),
        sa.UniqueConstraint("desa_kode", "sha256"),
    )
    op.create_table(
        "calon_penerima",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("desa_kode", sa.String(length=60), sa.ForeignKey("desa.kode"), nullable=False, index=True),
        *_person(),
        sa.Column("referensi_id", sa.Integer(), sa.ForeignKey("referensi_rentan.id"), nullable=True),
        sa.Column("status_validasi", sa.String(length=30), nullable=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("validasi_batch.id"), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("desa_kode", "nik"),
    )
    op.create_table(
        "validasi_baris",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("validasi_batch.id"), nullable=False, index=True),
        sa.Column("excel_row", sa.Integer(), nullable=False),
        *_person(),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for table in ("validasi_baris", "calon_penerima", "validasi_batch", "referensi_rentan", "desa", "kecamatan"):
        op.drop_table(table)
