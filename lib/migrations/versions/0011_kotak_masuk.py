"""Work announces itself: what each user did with their inbox entries (opened, told by the e-mail digest),
whether an account wants the digest, and the password-reset links sent by e-mail (only their SHA-256 kept).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("kabar_email", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "kotak_masuk_tanda",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kunci", sa.String(length=120), primary_key=True),
        sa.Column("dibaca_pada", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dikirim_status", sa.String(length=20), nullable=True),
        sa.Column("dikirim_pada", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "reset_sandi",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_reset_sandi_user", "reset_sandi", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_reset_sandi_user", table_name="reset_sandi")
    op.drop_table("reset_sandi")
    op.drop_table("kotak_masuk_tanda")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch would copy ``users``, which every table refers to.
    op.execute("ALTER TABLE users DROP COLUMN kabar_email")
