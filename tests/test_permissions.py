"""The access rules, one test per rule, in lib and without Streamlit (Plone-style security tests)."""
import pytest

from lib.base.permissions import (
    ANONYMOUS_PERMISSIONS,
    PERMISSIONS,
    ROLE_PERMISSIONS,
    Actor,
    Grant,
    PermissionDenied,
    check_scope,
    has_permission,
    holds_anywhere,
    require,
    scopes_for,
)
from lib.base.roles import ROLE_CODES


def actor(*grants) -> Actor:
    return Actor(1, "u", "U", frozenset(Grant(r, s) for r, s in grants))


ADMIN = actor(("admin", None))
KADIS = actor(("kepala_dinas", None))
SEKDIN = actor(("sekretaris", None))
KABID = actor(("kepala_bidang", "bidang:tenaga-kerja"))
KASI = actor(("kasi", None))
STAF = actor(("staf", None))
OPERATOR = actor(("operator_desa", "desa:karang-dalo"))
EVALUATOR = actor(("evaluator", None))
ANON = Actor.anonymous()


def test_every_role_has_a_permission_bundle_and_every_permission_exists():
    assert set(ROLE_PERMISSIONS) == set(ROLE_CODES)
    for role, perms in ROLE_PERMISSIONS.items():
        assert perms <= set(PERMISSIONS), role


def test_every_permission_is_granted_to_someone():
    granted = set().union(*ROLE_PERMISSIONS.values()) | ANONYMOUS_PERMISSIONS
    assert granted == set(PERMISSIONS)


def test_operator_desa_can_upload_for_their_own_desa():
    require(OPERATOR, "upload_validation", "desa:karang-dalo")


def test_operator_desa_cannot_upload_for_another_desa():
    with pytest.raises(PermissionDenied):
        require(OPERATOR, "upload_validation", "desa:dempo-makmur")


def test_operator_desa_cannot_act_without_a_scope():
    assert not has_permission(OPERATOR, "upload_validation")
    assert holds_anywhere(OPERATOR, "upload_validation")
    assert scopes_for(OPERATOR, "upload_validation") == {"desa:karang-dalo"}


def test_staf_can_upload_for_any_desa():
    require(STAF, "upload_validation", "desa:dempo-makmur")
    assert scopes_for(STAF, "upload_validation") is None


def test_operator_desa_runs_cases_of_their_own_desa_only_and_cannot_see_the_dashboard():
    assert scopes_for(OPERATOR, "run_cases") == {"desa:karang-dalo"}
    assert not has_permission(OPERATOR, "run_cases")
    assert not has_permission(OPERATOR, "run_cases", "desa:dempo-makmur")
    assert not holds_anywhere(OPERATOR, "view_dashboard")


def test_staf_cannot_view_audit_log():
    with pytest.raises(PermissionDenied):
        require(STAF, "view_audit_log")


def test_staf_cannot_manage_users():
    assert not has_permission(STAF, "manage_users")


def test_only_admin_manages_users():
    holders = [r for r, p in ROLE_PERMISSIONS.items() if "manage_users" in p]
    assert holders == ["admin"]


def test_admin_cannot_see_full_nik():
    assert not has_permission(ADMIN, "view_nik_full")


def test_only_admin_and_kepala_dinas_export_a_persons_data_on_request_and_they_hold_the_audit_page():
    holders = [r for r, p in ROLE_PERMISSIONS.items() if "export_person_data" in p]
    assert holders == ["admin", "kepala_dinas"]
    assert all("view_audit_log" in ROLE_PERMISSIONS[r] for r in holders)  # its section is on the audit page
    for who in (STAF, KABID, OPERATOR, KASI, SEKDIN, EVALUATOR, ANON):
        assert not holds_anywhere(who, "export_person_data")


def test_kepala_bidang_sees_the_dashboard_of_their_bidang_only():
    assert has_permission(KABID, "view_dashboard", "bidang:tenaga-kerja")
    assert not has_permission(KABID, "view_dashboard", "bidang:sosial")
    assert not has_permission(KABID, "view_dashboard")


def test_only_kepala_dinas_approves_sops_and_reviews():
    for perm in ("approve_sop", "approve_reviews"):
        assert [r for r, p in ROLE_PERMISSIONS.items() if perm in p] == ["kepala_dinas"]


def test_evaluator_writes_reviews_but_cannot_approve_them():
    assert has_permission(EVALUATOR, "manage_reviews")
    assert not has_permission(EVALUATOR, "approve_reviews")


def test_sekretaris_and_kasi_run_cases_but_do_not_manage_the_catalogue():
    for a in (SEKDIN, KASI):
        assert has_permission(a, "run_cases") and not has_permission(a, "manage_catalogue")


def test_anonymous_may_only_fill_the_skm_survey():
    allowed = {p for p in PERMISSIONS if has_permission(ANON, p)}
    assert allowed == {"submit_skm"}


def test_anonymous_cannot_view_the_catalogue():
    with pytest.raises(PermissionDenied):
        require(ANON, "view_catalogue")


def test_every_logged_in_role_can_view_the_catalogue_and_change_their_password():
    for a in (ADMIN, KADIS, SEKDIN, KABID, KASI, STAF, OPERATOR, EVALUATOR):
        assert holds_anywhere(a, "view_catalogue") and holds_anywhere(a, "manage_own_account")


def test_a_permission_denied_message_is_indonesian():
    with pytest.raises(PermissionDenied) as err:
        require(OPERATOR, "upload_validation", "desa:dempo-makmur")
    assert "Anda tidak memiliki hak" in str(err.value) and "desa:dempo-makmur" in str(err.value)


def test_an_unknown_permission_is_a_programming_error():
    with pytest.raises(KeyError):
        has_permission(STAF, "fly")


@pytest.mark.parametrize("role, scope, ok", [
    ("operator_desa", "desa:karang-dalo", True),
    ("operator_desa", None, False),
    ("operator_desa", "bidang:tenaga-kerja", False),
    ("kepala_bidang", "bidang:tenaga-kerja", True),
    ("staf", "desa:karang-dalo", False),
    ("staf", None, True),
    ("operator_desa", "desa:Karang Dalo!", False),
    ("raja", None, False),
])
def test_local_roles_need_the_right_kind_of_scope(role, scope, ok):
    if ok:
        assert check_scope(role, scope) == scope
    else:
        with pytest.raises(ValueError):
            check_scope(role, scope)
