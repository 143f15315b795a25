"""Setting up a database: migrations (Alembic), loading the catalogue files as SOP revisions, the demo
accounts and the demo history. The top of lib: it may use every package and none uses it."""
