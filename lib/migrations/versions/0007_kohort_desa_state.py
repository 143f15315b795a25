"""The desa of a cohort get a workflow state of their own (data/workflows/kohort_desa.yaml), moved only by
lib/base/workflow.py: belum_diverifikasi, diverifikasi, surat_dikirim, dijawab. Existing rows take the state
their dates show.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kohort_desa") as batch:
        batch.add_column(sa.Column("state", sa.String(length=20), nullable=True))
    op.execute("UPDATE kohort_desa SET state = CASE WHEN jawaban_tanggal IS NOT NULL THEN 'dijawab' "
               "WHEN surat_tanggal IS NOT NULL THEN 'surat_dikirim' "
               "WHEN diverifikasi_pada IS NOT NULL THEN 'diverifikasi' ELSE 'belum_diverifikasi' END")
    with op.batch_alter_table("kohort_desa") as batch:
        batch.alter_column("state", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("kohort_desa") as batch:
        batch.drop_column("state")
