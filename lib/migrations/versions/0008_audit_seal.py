"""The sealed audit log. Every append-only table (the audit log, case comments and attachments, SKM answers,
imported village validation rows, BPJS answer records) refuses TRUNCATE on PostgreSQL (a statement trigger)
and, on SQLite, an INSERT that would replace a row with the same id (REPLACE deletes the old row without firing
DELETE triggers unless the connection turns recursive triggers on, which lib.base.db does for its own). The
audit log gets its hash chain (``prev_hash``, ``row_hash``, lib.base.audit_chain) with a unique index on
``prev_hash`` so that it cannot fork; the rows already there are chained here, in id order, so the chain
starts at the first row ever written.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

from lib.base import audit_chain
from lib.base.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_log", "case_comments", "case_attachments", "skm_responses", "validasi_baris", "bpjs_cek")
#: Append-only tables whose only unique key is the id (bpjs_cek has another; there the pragma does the work).
REPLACE_BY_ID = ("audit_log", "case_comments", "case_attachments", "skm_responses", "validasi_baris")
BATCH = 2000

_audit = sa.table("audit_log", sa.column("id", sa.BigInteger), sa.column("at", UTCDateTime),
                  sa.column("user_id", sa.Integer), sa.column("username", sa.String),
                  sa.column("action", sa.String), sa.column("object_type", sa.String),
                  sa.column("object_id", sa.String), sa.column("detail", sa.Text),
                  sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String))


def _chain_existing_rows(bind) -> None:
    """Seal the rows already in the log, in id order (the update trigger is set aside meanwhile)."""
    if bind.execute(sa.select(sa.func.count()).select_from(_audit)).scalar() == 0:
        return
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER audit_log_no_update")
    else:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
    prev_id, prev_hash = None, audit_chain.GENESIS
    update = (sa.update(_audit).where(_audit.c.id == sa.bindparam("b_id"))
              .values(prev_hash=sa.bindparam("b_prev"), row_hash=sa.bindparam("b_hash")))
    while True:
        q = sa.select(*[_audit.c[c] for c in audit_chain.COLUMNS]).order_by(_audit.c.id).limit(BATCH)
        if prev_id is not None:
            q = q.where(_audit.c.id > prev_id)
        rows = bind.execute(q).mappings().all()
        if not rows:
            break
        params = []
        for row in rows:
            row_hash = audit_chain.link(prev_hash, row)
            params.append({"b_id": row["id"], "b_prev": prev_hash, "b_hash": row_hash})
            prev_id, prev_hash = row["id"], row_hash
        bind.execute(update, params)
    if sqlite:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows(bind)
    op.create_index("uq_audit_log_prev_hash", "audit_log", ["prev_hash"], unique=True)
    if bind.dialect.name == "sqlite":
        for table in REPLACE_BY_ID:
            op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                       f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        return
    op.execute("CREATE FUNCTION portal_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME; END $$")
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION portal_no_truncate()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in REPLACE_BY_ID:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS portal_no_truncate()")
    op.drop_index("uq_audit_log_prev_hash", table_name="audit_log")
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
