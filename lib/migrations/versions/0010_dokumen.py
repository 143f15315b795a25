"""The papers the agency hands out: DOCX templates kept per version, the agenda register of outgoing letters
(a counter row per year and bidang, numbers unique and never reused) and the public status check's attempts
(per client address, for slowing down wrong guesses).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kode", sa.String(length=40), nullable=False),
        sa.Column("versi", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kode", "versi"),
    )
    op.create_table(
        "letter_counters",
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("bidang", sa.String(length=60), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nomor", sa.String(length=120), nullable=False, unique=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("bidang", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("jenis", sa.String(length=40), nullable=False),
        sa.Column("perihal", sa.String(length=300), nullable=False),
        sa.Column("tujuan", sa.String(length=300), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=80), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("jenis", "object_type", "object_id", "ref"),
    )
    op.create_table(
        "status_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Index("ix_status_checks_address_at", "address", "at"),
    )


def downgrade() -> None:
    for table in ("status_checks", "letters", "letter_counters", "document_templates"):
        op.drop_table(table)
