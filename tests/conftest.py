"""Shared fixtures. Tests run on SQLite always, and on PostgreSQL too when TEST_DATABASE_URL is set:
each PostgreSQL test gets its own schema, dropped afterwards.

A ready database (``ready_db``) is built once per test process and copied for each test: on SQLite a file
copy, on PostgreSQL the SQL that recreates the template schema (see :func:`pg_copy`)."""
from __future__ import annotations

import functools
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Callable, Hashable
from pathlib import Path

# Cheap bcrypt for the many test accounts (the app uses cost 12); set before lib.config is imported.
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
# No two-year demo history in every fresh test database (tests that need it fill it themselves).
os.environ.setdefault("PORTAL_DEMO_HISTORY", "0")
# A page's unexpected error propagates (AppTest's at.exception sees it) instead of the message for users.
os.environ.setdefault("PORTAL_RAISE_ERRORS", "1")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from lib.base import db
from lib.setup import database as setup

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@functools.lru_cache(maxsize=1)
def _pg_admin() -> Engine:
    """One connection pool per test process for creating, filling and dropping the test schemas."""
    return create_engine(PG_URL)


def pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def _pg_schema_of(url: str) -> str:
    match = re.search(r"options=-csearch_path%3D(\w+)", url)
    assert match, f"not a test schema URL: {url}"
    return match.group(1)


def _no_fsync_wait(conn: Connection) -> Connection:
    """Commit without waiting for the WAL to reach the disk (only a crash of the server could lose the commit,
    and with it a test schema): creating, filling and dropping a schema then costs no fsync wait."""
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    return conn


def _pg_create_schema(prefix: str = "t_") -> str:
    schema = prefix + uuid.uuid4().hex[:12]
    with _pg_admin().begin() as conn:
        _no_fsync_wait(conn).execute(text(f'CREATE SCHEMA "{schema}"'))
    return schema


def _pg_drop_schema(schema: str, url: str | None = None) -> None:
    if url is not None:
        db.get_engine(url).dispose()
    db.get_engine.cache_clear()
    with _pg_admin().begin() as conn:
        # A test that leaves a transaction open fails here instead of hanging the run.
        _no_fsync_wait(conn).execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """An empty database URL on each configured backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    schema = _pg_create_schema()
    url = pg_schema_url(schema)
    yield url
    _pg_drop_schema(schema, url)


# --- PostgreSQL: a template schema built once per test process, copied into each test's schema -------------
#
# ``setup.init`` (every Alembic migration and the catalogue) costs a quarter to a whole second on PostgreSQL. Instead
# the template is built once with the real ``setup.init``, and the SQL that recreates it is read from the system
# catalogue: functions, sequences (with their positions), tables (LIKE the template's, so types, NOT NULL, CHECK,
# identity and generated columns are exactly its), column defaults, the rows (alembic_version too), primary
# keys, unique constraints and indexes under their own names, foreign keys, and triggers (the append-only
# triggers of the audit log, the SKM answers and approved reviews). Before the script is used it is run once
# into a scratch schema and that copy is compared with the template object by object and row by row; if
# anything differs (say a later migration adds a kind of object the script does not copy, such as a view or
# an enum type) a warning says so and every test builds its database the slow way instead. Set
# PORTAL_TEST_PG_TEMPLATE=0 to always build the slow way.

_PG_TEMPLATES: dict[Hashable, tuple[str, str | None]] = {}  # key -> (template schema, copy script or None)


def _rows(conn: Connection, sql: str, **params) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(sql), params)]


def _pg_tables(conn: Connection, schema: str) -> list[str]:
    return [r[0] for r in _rows(conn, "SELECT relname FROM pg_class WHERE relnamespace = CAST(:s AS regnamespace) "
                                      "AND relkind = 'r' ORDER BY relname", s=schema)]


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pg_copy_script(conn: Connection, schema: str) -> str:
    """SQL that, run with ``search_path`` set to an empty schema, makes it a copy of ``schema``.

    ``conn`` must have ``search_path`` set to ``schema`` so that the definitions read here name the template's
    objects without the schema (anything still qualified is unqualified below)."""
    ns = "CAST(:s AS regnamespace)"
    out = ["SET LOCAL check_function_bodies = off"]
    for (definition,) in _rows(conn, f"SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = {ns} "
                                     "AND prokind IN ('f', 'p') ORDER BY proname, oid", s=schema):
        out.append(definition)
    # Sequences: identity sequences come with their tables (LIKE ... INCLUDING IDENTITY); the others (serial
    # columns) are created here and owned by their column below.
    sequences = _rows(conn, f"""
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart,
               s.seqcache, s.seqcycle, t.relname, a.attname, d.deptype, q.last_value
        FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
        JOIN pg_sequences q ON q.schemaname = :s AND q.sequencename = c.relname
        LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        LEFT JOIN pg_class t ON t.oid = d.refobjid
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE c.relnamespace = {ns} AND c.relkind = 'S' ORDER BY c.relname""", s=schema)
    for name, typ, inc, lo, hi, start, cache, cycle, _t, _a, deptype, _last in sequences:
        if deptype != "i":
            out.append(f"CREATE SEQUENCE {_qi(name)} AS {typ} INCREMENT BY {inc} MINVALUE {lo} MAXVALUE {hi} "
                       f"START WITH {start} CACHE {cache} {'CYCLE' if cycle else 'NO CYCLE'}")
    tables = _pg_tables(conn, schema)
    for table in tables:
        out.append(f"CREATE TABLE {_qi(table)} (LIKE {_qi(schema)}.{_qi(table)} INCLUDING COMMENTS "
                   "INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STATISTICS "
                   "INCLUDING STORAGE INCLUDING COMPRESSION)")
    # Defaults are read as text: LIKE ... INCLUDING DEFAULTS would keep using the template's sequences.
    for table, column, default in _rows(conn, f"""
            SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
            JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE c.relnamespace = {ns} AND c.relkind = 'r' AND a.attgenerated = '' AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum""", s=schema):
        out.append(f"ALTER TABLE {_qi(table)} ALTER COLUMN {_qi(column)} SET DEFAULT {default}")
    for name, *_options, table, column, deptype, _last in sequences:
        if deptype == "a":
            out.append(f"ALTER SEQUENCE {_qi(name)} OWNED BY {_qi(table)}.{_qi(column)}")
    for table in tables:
        columns = ", ".join(_qi(r[0]) for r in _rows(conn, """
            SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0
            AND NOT attisdropped AND attgenerated = '' ORDER BY attnum""", t=f"{_qi(schema)}.{_qi(table)}"))
        out.append(f"INSERT INTO {_qi(table)} ({columns}) OVERRIDING SYSTEM VALUE "
                   f"SELECT {columns} FROM {_qi(schema)}.{_qi(table)}")
    for name, _typ, _inc, _lo, _hi, start, _cache, _cycle, table, column, deptype, last in sequences:
        target = (f"pg_get_serial_sequence({_ql(_qi(table))}, {_ql(column)})" if deptype == "i"
                  else _ql(_qi(name)))
        value = f"{last}, true" if last is not None else f"{start}, false"  # never read: nextval gives start
        out.append(f"SELECT setval({target}, {value})")
    constraints = _rows(conn, f"""
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid WHERE k.connamespace = {ns} AND k.contype IN ('p', 'u', 'x', 'f')
        ORDER BY k.contype = 'f', c.relname, k.conname""", s=schema)
    for table, name, contype, definition in constraints:
        if contype != "f":
            out.append(f"ALTER TABLE {_qi(table)} ADD CONSTRAINT {_qi(name)} {definition}")
    for (definition,) in _rows(conn, f"""
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relnamespace = {ns} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                                       AND k.conrelid = i.indrelid)
            ORDER BY c.relname""", s=schema):
        out.append(definition)
    for table, name, contype, definition in constraints:
        if contype == "f":
            out.append(f"ALTER TABLE {_qi(table)} ADD CONSTRAINT {_qi(name)} {definition}")
    for definition, enabled, table, name in _rows(conn, f"""
            SELECT pg_get_triggerdef(g.oid), g.tgenabled, c.relname, g.tgname FROM pg_trigger g
            JOIN pg_class c ON c.oid = g.tgrelid
            WHERE c.relnamespace = {ns} AND NOT g.tgisinternal ORDER BY c.relname, g.tgname""", s=schema):
        out.append(definition)
        if enabled != "O":
            out.append(f"ALTER TABLE {_qi(table)} DISABLE TRIGGER {_qi(name)}")  # caught by the comparison if wrong
    return _unqualify(";\n".join(out) + ";\n", schema, keep=[f"{_qi(schema)}.{_qi(t)}" for t in tables])


def _unqualify(script: str, schema: str, keep: list[str]) -> str:
    """Drop the template's schema from the names in ``script``, except in ``keep`` (the sources of the copy)."""
    marker = "\x00KEEP{}\x00"
    for i, name in enumerate(keep):
        script = script.replace(name, marker.format(i))
    script = script.replace(f"{_qi(schema)}.", "").replace(f"{schema}.", "")
    for i, name in enumerate(keep):
        script = script.replace(marker.format(i), name)
    return script


def _pg_fingerprint(conn: Connection, schema: str) -> dict[str, list[tuple]]:
    """Everything in ``schema`` that a test could see, as comparable rows (the schema's name replaced by ``~``);
    ``conn`` must have ``search_path`` set to ``schema``."""
    ns = "CAST(:s AS regnamespace)"
    queries = {
        "classes": f"SELECT relname, relkind, relpersistence, relrowsecurity, relforcerowsecurity, reloptions::text, "
                   f"relacl::text, relispartition, relhasrules FROM pg_class WHERE relnamespace = {ns}",
        "columns": f"""SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                       a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attcollation, a.attstorage,
                       a.attcompression, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
                       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                       WHERE c.relnamespace = {ns} AND a.attnum > 0 AND NOT a.attisdropped""",
        "constraints": f"""SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid), k.condeferrable,
                           k.condeferred, k.convalidated, k.connoinherit FROM pg_constraint k
                           LEFT JOIN pg_class c ON c.oid = k.conrelid WHERE k.connamespace = {ns}""",
        "indexes": f"""SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique,
                       i.indisclustered, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                       WHERE c.relnamespace = {ns}""",
        # Internal triggers (those of foreign keys) are named by OID: compare their constraint instead.
        "triggers": f"""SELECT c.relname, CASE WHEN g.tgisinternal THEN k.conname ELSE g.tgname END, g.tgenabled,
                        g.tgisinternal, g.tgtype, g.tgfoid::regproc::text,
                        CASE WHEN NOT g.tgisinternal THEN pg_get_triggerdef(g.oid) END
                        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                        LEFT JOIN pg_constraint k ON k.oid = g.tgconstraint WHERE c.relnamespace = {ns}""",
        "functions": f"""SELECT proname, prokind, pg_get_function_identity_arguments(oid),
                         CASE WHEN prokind IN ('f', 'p') THEN pg_get_functiondef(oid) END, proacl::text
                         FROM pg_proc WHERE pronamespace = {ns}""",
        "types": f"SELECT typname, typtype, typcategory FROM pg_type WHERE typnamespace = {ns}",
        "sequences": """SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle,
                        cache_size, last_value FROM pg_sequences WHERE schemaname = :s""",
        "owned_sequences": f"""SELECT c.relname, t.relname, a.attname, d.deptype FROM pg_depend d
                               JOIN pg_class c ON c.oid = d.objid JOIN pg_class t ON t.oid = d.refobjid
                               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                               WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                               AND c.relnamespace = {ns} AND c.relkind = 'S' AND d.deptype IN ('a', 'i')""",
        "policies": f"""SELECT c.relname, p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                        WHERE c.relnamespace = {ns}""",
        "rules": f"""SELECT c.relname, r.rulename, pg_get_ruledef(r.oid) FROM pg_rewrite r
                     JOIN pg_class c ON c.oid = r.ev_class WHERE c.relnamespace = {ns}""",
        "comments": f"""SELECT c.relname, d.objsubid, d.description FROM pg_description d
                        JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
                        WHERE c.relnamespace = {ns}""",
        "other_objects": f"""SELECT 'collation', collname FROM pg_collation WHERE collnamespace = {ns}
            UNION ALL SELECT 'conversion', conname FROM pg_conversion WHERE connamespace = {ns}
            UNION ALL SELECT 'operator', oprname FROM pg_operator WHERE oprnamespace = {ns}
            UNION ALL SELECT 'opclass', opcname FROM pg_opclass WHERE opcnamespace = {ns}
            UNION ALL SELECT 'opfamily', opfname FROM pg_opfamily WHERE opfnamespace = {ns}
            UNION ALL SELECT 'ts_config', cfgname FROM pg_ts_config WHERE cfgnamespace = {ns}
            UNION ALL SELECT 'ts_dict', dictname FROM pg_ts_dict WHERE dictnamespace = {ns}
            UNION ALL SELECT 'statistics', stxname FROM pg_statistic_ext WHERE stxnamespace = {ns}
            UNION ALL SELECT 'extension', extname FROM pg_extension WHERE extnamespace = {ns}""",
    }
    out = {key: sorted(_rows(conn, sql, s=schema), key=repr) for key, sql in queries.items()}
    out["rows"] = [(table, *_rows(conn, f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' "
                                        f"ORDER BY t::text), '')) FROM {_qi(schema)}.{_qi(table)} t")[0])
                   for table in _pg_tables(conn, schema)]
    return {key: [tuple(str(v).replace(schema, "~") if isinstance(v, str) else v for v in row) for row in rows]
            for key, rows in out.items()}


def _run_script(conn: Connection, script: str) -> None:
    """Run many statements in one round trip (psycopg sends a query without parameters as it is)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(script)
    finally:
        cursor.close()


def _with_search_path(conn: Connection, schema: str) -> Connection:
    conn.execute(text(f"SET LOCAL search_path TO {_qi(schema)}"))
    return conn


def _pg_template(key: Hashable, build: Callable[[str], None]) -> tuple[str | None, str | None]:
    """The template schema for ``key`` (built with ``build`` the first time) and its copy script (None: copying
    is off or would not give an identical database)."""
    if key in _PG_TEMPLATES:
        return _PG_TEMPLATES[key]
    if os.environ.get("PORTAL_TEST_PG_TEMPLATE", "1") == "0":
        return None, None
    schema = _pg_create_schema("tpl_")
    url = pg_schema_url(schema)
    _PG_TEMPLATES[key] = (schema, None)  # dropped at the end of the session even if building fails
    build(url)
    db.get_engine(url).dispose()
    problem = script = None
    scratch = _pg_create_schema("chk_")
    try:
        with _pg_admin().begin() as conn:
            script = _pg_copy_script(_with_search_path(conn, schema), schema)
            expected = _pg_fingerprint(conn, schema)
        with _pg_admin().begin() as conn:
            _run_script(_with_search_path(conn, scratch), script)
        with _pg_admin().begin() as conn:
            copied = _pg_fingerprint(_with_search_path(conn, scratch), scratch)
        diff = {k: (sorted(set(expected[k]) - set(copied[k]), key=repr)[:3],
                    sorted(set(copied[k]) - set(expected[k]), key=repr)[:3])
                for k in expected if expected[k] != copied[k]}
        if diff:
            problem = f"the copy differs from the template: {diff}"
    except Exception as e:  # noqa: BLE001 - any failure means: build each database the slow way
        problem = f"{type(e).__name__}: {e}"
    finally:
        _pg_drop_schema(scratch)
    if problem:
        script = None
        warnings.warn(f"PostgreSQL test databases are built one by one (slow), not copied: {problem}", stacklevel=3)
    _PG_TEMPLATES[key] = (schema, script)
    return _PG_TEMPLATES[key]


def pg_copy(url: str, key: Hashable, build: Callable[[str], None]) -> None:
    """Make the empty PostgreSQL test schema of ``url`` what ``build(url)`` makes of an empty schema, by copying
    a template built once per test process with ``build`` (``key`` names the template)."""
    _template, script = _pg_template(key, build)
    if script is None:
        build(url)
        return
    with _pg_admin().begin() as conn:
        _run_script(_with_search_path(_no_fsync_wait(conn), _pg_schema_of(url)), script)


def pytest_sessionfinish(session):
    for schema, _script in _PG_TEMPLATES.values():
        try:
            _pg_drop_schema(schema)
        except Exception as e:  # noqa: BLE001 - a leftover template schema is harmless
            warnings.warn(f"template schema {schema} not dropped: {e}", stacklevel=1)
    _PG_TEMPLATES.clear()
    if _pg_admin.cache_info().currsize:
        _pg_admin().dispose()


@pytest.fixture(scope="session")
def playwright_driver():
    """The one Playwright of a test process. Its sync API refuses to start a second while one runs, and the browser
    tests and the replica test may share a worker (``--dist loadgroup`` gives each group to one worker, not one
    worker to each group)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def _sqlite_ready(tmp_path_factory):
    """One SQLite database migrated and loaded once; each test gets a copy (a file copy is much faster
    than running the migrations and loading the catalogue again)."""
    path = tmp_path_factory.mktemp("ready") / "portal.db"
    setup.init(f"sqlite:///{path}")
    db.get_engine(f"sqlite:///{path}").dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def ready_db(db_url, request):
    """A database with the schema and the catalogue loaded."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("_sqlite_ready"), db_url.removeprefix("sqlite:///"))
    else:
        pg_copy(db_url, "ready", setup.init)
    return db_url


_SQLITE_TEMPLATES: dict[Hashable, Path] = {}


def prepared_db(db_url: str, tmp_path_factory, key: Hashable, build: Callable[[str], None]) -> str:
    """Make the empty test database ``db_url`` what ``build(url)`` makes of an empty one, from a template built
    once per test process and key: a file copy on SQLite, :func:`pg_copy` on PostgreSQL."""
    if not db_url.startswith("sqlite:///"):
        pg_copy(db_url, key, build)
        return db_url
    template = _SQLITE_TEMPLATES.get(key)
    if template is None:
        template = tmp_path_factory.mktemp("template") / "portal.db"
        build(f"sqlite:///{template}")
        db.get_engine(f"sqlite:///{template}").dispose()  # the last connection closing folds the WAL in
        _SQLITE_TEMPLATES[key] = template
    shutil.copyfile(template, db_url.removeprefix("sqlite:///"))
    return db_url


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """DATABASE_URL pointing at a fresh SQLite file, for AppTest and CLI tests."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def add_users(url: str, *users: tuple[str, str, str | None]) -> None:
    """Accounts (username, role, scope) whose password is ``sandi-<username>-123``."""
    from lib.base import accounts
    from lib.base.db import session_factory

    with session_factory(url).begin() as s:
        for username, role, scope in users:
            accounts.add_user(s, None, username, username.title(), f"sandi-{username}-123", [(role, scope)])
