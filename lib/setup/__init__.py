"""Setting up a database: migrations (Alembic), the catalogue files as SOP revisions, demo accounts and history,
backup, restore, moving to PostgreSQL and the health check. The top of lib: it may use every package and none
uses it."""
