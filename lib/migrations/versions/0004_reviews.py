"""Quarterly SOP reviews (Evaluasi Triwulan) and their findings / follow-up actions. An approved review is
final: the database refuses UPDATE and DELETE on an approved review and on its findings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sop_id", sa.String(length=80), sa.ForeignKey("sops.id"), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("revision_no", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("kesimpulan", sa.Text(), nullable=True),
        sa.Column("monitoring", sa.JSON(), nullable=False),
        sa.Column("kpi_snapshot", sa.JSON(), nullable=True),
        sa.Column("skm_snapshot", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("sop_id", "period"),
    )
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_id", sa.Integer(), sa.ForeignKey("reviews.id"), nullable=False, index=True),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("temuan", sa.Text(), nullable=False),
        sa.Column("tindak_lanjut", sa.Text(), nullable=True),
        sa.Column("penanggung_jawab", sa.String(length=200), nullable=True),
        sa.Column("batas_waktu", sa.Date(), nullable=True),
    )
    approved = "(SELECT state FROM reviews WHERE id = {ref}.review_id) = 'disetujui'"
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER reviews_approved_no_{verb.lower()} BEFORE {verb} ON reviews "
                       "WHEN OLD.state = 'disetujui' "
                       "BEGIN SELECT RAISE(ABORT, 'an approved review is final'); END")
            op.execute(f"CREATE TRIGGER review_actions_approved_no_{verb.lower()} BEFORE {verb} ON review_actions "
                       f"WHEN {approved.format(ref='OLD')} "
                       "BEGIN SELECT RAISE(ABORT, 'an approved review is final'); END")
        op.execute("CREATE TRIGGER review_actions_approved_no_insert BEFORE INSERT ON review_actions "
                   f"WHEN {approved.format(ref='NEW')} "
                   "BEGIN SELECT RAISE(ABORT, 'an approved review is final'); END")
    else:
        op.execute("CREATE FUNCTION portal_review_final() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF TG_TABLE_NAME = 'reviews' THEN "
                   "  IF OLD.state = 'disetujui' THEN RAISE EXCEPTION 'an approved review is final'; END IF; "
                   "ELSIF TG_OP <> 'INSERT' AND " + approved.format(ref="OLD") + " THEN "
                   "  RAISE EXCEPTION 'an approved review is final'; "
                   "ELSIF TG_OP <> 'DELETE' AND " + approved.format(ref="NEW") + " THEN "
                   "  RAISE EXCEPTION 'an approved review is final'; "
                   "END IF; "
                   "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER reviews_final BEFORE UPDATE OR DELETE ON reviews "
                   "FOR EACH ROW EXECUTE FUNCTION portal_review_final()")
        op.execute("CREATE TRIGGER review_actions_final BEFORE INSERT OR UPDATE OR DELETE ON review_actions "
                   "FOR EACH ROW EXECUTE FUNCTION portal_review_final()")


def downgrade() -> None:
    op.drop_table("review_actions")
    op.drop_table("reviews")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS portal_review_final()")
