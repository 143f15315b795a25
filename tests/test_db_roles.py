"""Two PostgreSQL roles: the owner changes the schema, the application's runtime role has row rights only and so
cannot TRUNCATE, DISABLE TRIGGER, DROP or rewrite the audit log. Roles are global to the server: each test makes
its own, with a random suffix, and drops them."""
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from lib.base import accounts, audit, audit_chain
from lib.base.db import AuditEntry, User, get_engine, session_factory
from lib.setup import database as setup
from lib.setup import db_roles

from .cli import run
from .conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


def _url(role: str, schema: str) -> str:
    url = make_url(PG_URL).set(username=role, password=None)
    return url.render_as_string(hide_password=False) + f"?options=-csearch_path%3D{schema}"


class Cluster:
    """An owner and a runtime role (neither a superuser) and a schema the owner owns, all dropped afterwards."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.owner, self.app, self.schema = f"portal_own_{suffix}", f"portal_app_{suffix}", f"r_{suffix}"
        self.admin = create_engine(PG_URL)
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {self.owner} LOGIN"))
            conn.execute(text(f"CREATE SCHEMA {self.schema} AUTHORIZATION {self.owner}"))
        self.owner_url, self.app_url = _url(self.owner, self.schema), _url(self.app, self.schema)

    def create_app_role(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {self.app} LOGIN"))

    def drop(self) -> None:
        for url in (self.owner_url, self.app_url):
            get_engine(url).dispose()
        get_engine.cache_clear()
        with self.admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
            for role in (self.app, self.owner):
                if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                    conn.execute(text(f"DROP OWNED BY {role}"))
                    conn.execute(text(f"DROP ROLE {role}"))
        self.admin.dispose()


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.drop()


@pytest.fixture
def roles(cluster):
    """The schema built by the owner, then the runtime role (made by the database admin) granted its rights."""
    setup.init(cluster.owner_url)
    cluster.create_app_role()
    db_roles.grant_runtime_role(cluster.owner_url, cluster.app)
    return cluster


def _refused(url: str, sql: str) -> str:
    with pytest.raises(DatabaseError) as caught, get_engine(url).begin() as conn:
        conn.execute(text(sql))
    return str(caught.value.orig)


def test_the_runtime_role_runs_the_app_and_appends_sealed_audit_entries(roles):
    setup.init(roles.app_url, demo=True)  # what the app does on start: the schema is current, rows are written
    with session_factory(roles.app_url).begin() as s:
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
        assert accounts.authenticate(s, "rina", "rahasia-rina").actor is not None
        audit.record(s, None, "masuk", username="rina")
    with session_factory(roles.app_url).begin() as s:
        s.get(User, s.scalar(select(User.id).where(User.username == "rina"))).name = "Rina Sari"
    with session_factory(roles.app_url)() as s:
        report = audit_chain.verify(s, None)
        assert report.intact and report.checked == s.query(AuditEntry).count() > 3


@pytest.mark.parametrize("sql", [
    "TRUNCATE audit_log",
    "TRUNCATE validasi_baris",
    "TRUNCATE users CASCADE",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "DROP TABLE audit_log",
    "DROP TABLE cases CASCADE",
    "UPDATE audit_log SET detail = 'diubah'",
    "DELETE FROM audit_log",
    "UPDATE validasi_baris SET nama = 'lain'",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE siluman (id int)",
    "CREATE OR REPLACE FUNCTION portal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
    "SET session_replication_role = replica",
], ids=lambda sql: sql.split(" ON ")[0][:40])
def test_the_runtime_role_cannot_truncate_disable_triggers_drop_or_rewrite(roles, sql):
    message = _refused(roles.app_url, sql)
    assert "permission denied" in message or "must be owner" in message, message
    with session_factory(roles.app_url)() as s:
        assert audit_chain.verify(s, None).intact


def test_the_owner_still_cannot_truncate_the_audit_log(roles):
    assert "append-only" in _refused(roles.owner_url, "TRUNCATE audit_log")


def test_tables_a_later_migration_creates_are_granted_to_the_runtime_role(cluster):
    """`db roles` on an empty schema, `init` after: every table of the migrations is the runtime role's to use."""
    cluster.create_app_role()
    db_roles.grant_runtime_role(cluster.owner_url, cluster.app)
    with pytest.raises(setup.SchemaPrivilegeError, match="python -m lib init"):
        setup.init(cluster.app_url)  # the runtime role cannot build the schema
    setup.init(cluster.owner_url)
    with get_engine(cluster.owner_url).begin() as conn:
        conn.execute(text("CREATE TABLE kelak (id serial PRIMARY KEY, isi text)"))
    with get_engine(cluster.app_url).begin() as conn:
        conn.execute(text("INSERT INTO kelak (isi) VALUES ('boleh')"))
        conn.execute(text("UPDATE kelak SET isi = 'juga'"))
    setup.init(cluster.app_url)
    assert "permission denied" in _refused(cluster.app_url, "UPDATE audit_log SET detail = 'x'")


def test_db_roles_creates_the_runtime_role_when_the_owner_may(cluster):
    with cluster.admin.begin() as conn:
        conn.execute(text(f"ALTER ROLE {cluster.owner} CREATEROLE"))
    setup.init(cluster.owner_url)
    out = run("db", "roles", cluster.app, "--password-stdin", "--json", url=cluster.app_url, stdin="sandi-app-1\n",
              env_extra={"DATABASE_OWNER_URL": cluster.owner_url})
    assert out.returncode == 0, out.stderr
    assert '"created": true' in out.stdout and '"audit_log"' in out.stdout
    with cluster.admin.begin() as conn:
        super_, login = conn.execute(text("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = :r"),
                                     {"r": cluster.app}).one()
    assert (super_, login) == (False, True)
    assert run("audit", "verify", url=cluster.app_url).returncode == 0


def test_db_roles_refuses_the_owner_a_superuser_or_a_bad_name(roles):
    for role, said in ((roles.owner, "pemilik tabel"), ("postgres", "superuser"), ("Robert'); --", "tidak sah")):
        with pytest.raises(db_roles.RoleError, match=said):
            db_roles.grant_runtime_role(roles.owner_url, role)


def test_db_roles_without_createrole_says_who_must_create_the_role(cluster):
    setup.init(cluster.owner_url)
    out = run("db", "roles", cluster.app, url=cluster.app_url, env_extra={"DATABASE_OWNER_URL": cluster.owner_url})
    assert out.returncode == 2 and f"CREATE ROLE {cluster.app} LOGIN" in out.stderr and "Traceback" not in out.stderr


def test_init_migrates_as_the_owner_and_the_app_works_as_the_runtime_role(cluster):
    """`python -m lib init` with DATABASE_OWNER_URL: the tables belong to the owner, never to the runtime role."""
    cluster.create_app_role()
    env = {"DATABASE_OWNER_URL": cluster.owner_url}
    assert run("db", "roles", cluster.app, url=cluster.app_url, env_extra=env).returncode == 0
    out = run("init", url=cluster.app_url, env_extra=env)
    assert out.returncode == 0, out.stderr
    with cluster.admin.begin() as conn:
        owners = set(conn.execute(text("SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                                       "WHERE relnamespace = CAST(:s AS regnamespace)"),
                                  {"s": cluster.schema}).scalars())
    assert owners == {cluster.owner}
    assert run("users", "add", "admin", "--name", "Admin", "--role", "admin", "--password-stdin", url=cluster.app_url,
               stdin="rahasia-admin-1\n", env_extra=env).returncode == 0
    assert run("audit", "verify", url=cluster.app_url).returncode == 0


def test_the_owner_restores_over_the_live_schema_and_the_runtime_role_works_on_with_row_rights_only(roles, tmp_path):
    with session_factory(roles.app_url).begin() as s:
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
    file = tmp_path / "cadangan.zip"
    assert run("backup", str(file), url=roles.app_url).returncode == 0  # the runtime role may take backups
    with session_factory(roles.app_url).begin() as s:
        accounts.add_user(s, None, "budi", "Budi", "rahasia-budi", [("staf", None)])
    refused = run("restore", str(file), "--replace", url=roles.app_url)
    assert refused.returncode == 2 and "tidak berhak" in refused.stderr and "Traceback" not in refused.stderr
    done = run("restore", str(file), "--replace", url=roles.app_url, env_extra={"DATABASE_OWNER_URL": roles.owner_url})
    assert done.returncode == 0, done.stderr
    with session_factory(roles.app_url).begin() as s:  # the app works on, as the runtime role
        assert s.scalar(select(User.username).where(User.username == "budi")) is None
        accounts.add_user(s, None, "sari", "Sari", "rahasia-sari", [("staf", None)])
    assert "permission denied" in _refused(roles.app_url, "UPDATE audit_log SET detail = 'diubah'")
    assert run("audit", "verify", url=roles.app_url).returncode == 0
