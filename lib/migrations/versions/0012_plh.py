"""Acting for each other: the Pelaksana Harian (Plh) delegations, the capacity ("Plh. <jabatan>, <deputy> a.n.
<delegator>") kept with each step record and history row, and the escalation mark of a step run.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delegator_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("deputy_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("ended_early_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_delegations_deputy", "deputy_id", "ends_at"),
        sa.Index("ix_delegations_delegator", "delegator_id", "ends_at"),
    )
    with op.batch_alter_table("step_runs") as batch:
        batch.add_column(sa.Column("capacity", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_to", sa.String(length=32), nullable=True))
    with op.batch_alter_table("workflow_history") as batch:
        batch.add_column(sa.Column("capacity", sa.String(length=300), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch would copy the tables and lose their triggers.
    for table, column in (("workflow_history", "capacity"), ("step_runs", "escalated_to"),
                          ("step_runs", "escalated_at"), ("step_runs", "capacity")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("delegations")
