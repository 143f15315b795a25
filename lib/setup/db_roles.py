"""Two PostgreSQL roles: the owner of the tables and the application's runtime role.

The owner (``DATABASE_OWNER_URL``) creates and changes the schema: ``python -m lib init`` runs the migrations
with it, and ``python -m lib db roles ROLE`` (:func:`grant_runtime_role`) grants the runtime role its rights.
The application (``DATABASE_URL``) connects as the runtime role, which gets row rights only:

* SELECT, INSERT, UPDATE, DELETE on the tables of the schema, but only SELECT and INSERT on the append-only
  tables (:data:`lib.base.db.APPEND_ONLY_TABLES`) and only SELECT on ``alembic_version``;
* USAGE on the sequences (new ids);
* the same by default on tables and sequences the owner creates later in the schema (a later migration), less
  what it must not hold, which every migration takes back again (:func:`narrow_after_migration`).

Not being the owner, it cannot TRUNCATE, ALTER (so not DISABLE TRIGGER), DROP or create anything, and the
triggers of the append-only tables stay in force for it. The command may run again at any time (after a
migration, say); it sets the same rights again. It refuses a superuser, the owner itself or a member of the
owner's role as the runtime role, since any of them would keep the owner's powers.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ProgrammingError

from lib.base.db import APPEND_ONLY_TABLES, get_engine
from lib.base.errors import UserError

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ROW_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
#: Tables the runtime role only reads: the schema's version is the owner's to change.
READ_ONLY_TABLES = ("alembic_version",)
INSUFFICIENT_PRIVILEGE = "42501"


class RoleError(UserError):
    """The runtime role cannot be set up as asked; the message says why (Indonesian)."""


@dataclass(frozen=True)
class Grants:
    """What :func:`grant_runtime_role` did."""
    role: str
    owner: str
    schema: str
    created: bool
    tables: list[str]
    insert_only: list[str]
    read_only: list[str]

    def as_dict(self) -> dict:
        return asdict(self)


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_role(conn: Connection, role: str, owner: str, schema: str) -> bool:
    """Refuse a role that would hold the owner's powers; True when the role exists already."""
    if role == owner:
        raise RoleError(f"Peran aplikasi “{role}” adalah pemilik tabel itu sendiri. Pakai peran lain untuk "
                        "DATABASE_URL; pemilik hanya untuk DATABASE_OWNER_URL.")
    found = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        return False
    if found.rolsuper:
        raise RoleError(f"Peran “{role}” adalah superuser: ia melewati semua pembatasan. Pakai peran biasa.")
    if conn.execute(text("SELECT pg_has_role(:r, :o, 'MEMBER')"), {"r": role, "o": owner}).scalar():
        raise RoleError(f"Peran “{role}” adalah anggota peran pemilik “{owner}” dan memegang haknya. Pakai peran "
                        "yang bukan anggotanya.")
    owned = conn.execute(text("SELECT count(*) FROM pg_class WHERE relnamespace = CAST(:s AS regnamespace) "
                              "AND relowner = CAST(:r AS regrole)"), {"s": schema, "r": role}).scalar()
    if owned:
        raise RoleError(f"Peran “{role}” memiliki {owned} objek di skema “{schema}”; pemiliknya boleh mengubah "
                        "atau menghapusnya. Pindahkan kepemilikannya ke pemilik tabel dulu.")
    return True


def _create_role(conn: Connection, role: str, password: str | None) -> None:
    sql = conn.execute(text("SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE' "
                            "|| CASE WHEN CAST(:p AS text) IS NULL THEN '' ELSE ' PASSWORD %L' END, "
                            "CAST(:r AS text), CAST(:p AS text))"), {"r": role, "p": password}).scalar()
    try:
        with conn.begin_nested():
            conn.execute(text(sql))
    except ProgrammingError as err:
        if getattr(err.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise RoleError(f"Peran “{role}” belum ada dan pemilik tabel tidak berhak membuat peran. Minta admin "
                        f"basis data menjalankan: CREATE ROLE {role} LOGIN PASSWORD '...'; lalu ulangi perintah "
                        "ini.") from None


def _narrowing(role_sql: str, schema_sql: str, tables: list[str]) -> list[str]:
    """The rights the runtime role must not hold: change or delete on the append-only tables, any write on the
    schema's version."""
    out = [f"REVOKE UPDATE, DELETE ON TABLE {schema_sql}.{_qi(t)} FROM {role_sql}"
           for t in APPEND_ONLY_TABLES if t in tables]
    return out + [f"REVOKE INSERT, UPDATE, DELETE ON TABLE {schema_sql}.{_qi(t)} FROM {role_sql}"
                  for t in READ_ONLY_TABLES if t in tables]


def _tables(conn: Connection, schema: str) -> list[str]:
    return [t for (t,) in conn.execute(text(
        "SELECT relname FROM pg_class WHERE relnamespace = CAST(:s AS regnamespace) AND relkind IN ('r', 'p') "
        "ORDER BY relname"), {"s": schema})]


def narrow_after_migration(conn: Connection) -> list[str]:
    """Run by every migration (:func:`lib.setup.database.migrate`): when the role connected gave a runtime role
    default rights in this schema (``db roles``), the tables a migration just created reached it with all four row
    rights; take back those it must not hold. Returns the runtime roles so narrowed (none for anyone else)."""
    if conn.dialect.name != "postgresql":
        return []
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    grantees = list(conn.execute(text(
        "SELECT DISTINCT CAST(CAST(g.grantee AS regrole) AS text) FROM pg_default_acl d, aclexplode(d.defaclacl) g "
        "WHERE d.defaclrole = CAST(CAST(current_user AS text) AS regrole) AND d.defaclobjtype = 'r' "
        "AND d.defaclnamespace = CAST(:s AS regnamespace) AND g.grantee <> 0"), {"s": schema}).scalars())
    if grantees:
        tables = _tables(conn, schema)
        for role in grantees:  # regrole's text is already quoted where it needs to be
            for sql in _narrowing(role, _qi(schema), tables):
                conn.execute(text(sql))
    return grantees


def _statements(conn: Connection, role: str, schema: str, tables: list[str], owns_database: bool) -> list[str]:
    r, s = _qi(role), _qi(schema)
    out = []
    if owns_database:  # otherwise CONNECT comes from PUBLIC (PostgreSQL's default) or the database's owner
        database = conn.execute(text("SELECT current_database()")).scalar()
        out.append(f"GRANT CONNECT ON DATABASE {_qi(database)} TO {r}")
    out += [f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"GRANT {ROW_RIGHTS} ON ALL TABLES IN SCHEMA {s} TO {r}"]
    out += _narrowing(r, s, tables)
    out += [f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {ROW_RIGHTS} ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE ON SEQUENCES TO {r}"]
    return out


def grant_runtime_role(owner_url: str, role: str, password: str | None = None) -> Grants:
    """Give ``role`` the runtime rights on the schema ``owner_url`` works in (its ``search_path``), connected as
    the owner of the tables; create the role (LOGIN, with ``password`` if given) when it does not exist, which
    needs the owner to hold CREATEROLE."""
    engine = get_engine(owner_url)
    if engine.dialect.name != "postgresql":
        raise RoleError("Peran basis data terpisah hanya ada di PostgreSQL; SQLite tidak mengenal peran.")
    if not ROLE_NAME.match(role or ""):
        raise RoleError(f"Nama peran “{role}” tidak sah: huruf kecil, angka dan garis bawah, diawali huruf "
                        "atau garis bawah, paling panjang 63.")
    with engine.begin() as conn:
        owner, schema, owns_database = conn.execute(text(
            "SELECT current_user, current_schema(), pg_get_userbyid(datdba) = current_user FROM pg_database "
            "WHERE datname = current_database()")).one()
        if schema is None:
            raise RoleError("Skema kerja tidak ditemukan: periksa search_path pada DATABASE_OWNER_URL.")
        created = not _check_role(conn, role, owner, schema)
        if created:
            _create_role(conn, role, password)
        tables = _tables(conn, schema)
        try:
            for sql in _statements(conn, role, schema, tables, owns_database):
                conn.execute(text(sql))
        except ProgrammingError as err:
            if getattr(err.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                raise
            raise RoleError(f"Peran “{owner}” tidak berhak memberi hak pada skema “{schema}” atau tabelnya: "
                            f"jalankan perintah ini sebagai pemilik tabel dan skema (ALTER SCHEMA {schema} OWNER TO "
                            f"{owner}).") from None
    return Grants(role, owner, schema, created, tables, [t for t in APPEND_ONLY_TABLES if t in tables],
                  [t for t in READ_ONLY_TABLES if t in tables])
