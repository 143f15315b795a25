"""Who may do what: permissions as actions, roles as bundles of permissions, local roles as scopes.

This module is the agency's access rulebook, in the manner of Plone's role/permission tables: read the
two tables below to know who may do what. Every lib function that writes anything or reads personal
data takes the acting user (an :class:`Actor`) and calls :func:`require` before it touches the
database. Hiding a page is convenience; the check here is the security.

A role held without a scope holds its permissions everywhere. A role held with a scope (a *local role*:
``desa:<kode>`` for a village operator, ``bidang:<kode>`` for a Kepala Bidang) holds them on that scope
only.

A *Pelaksana Harian* (Plh) holds, for the period of a delegation only, the official roles (with their scopes)
of the official they stand in for: those grants carry the delegation (:class:`Acting`) and never grant the
permissions of :data:`NOT_DELEGATED`. Such grants are loaded for a login only while the delegation runs
(lib/base/delegation.py); an action taken through one is recorded as "Plh. <jabatan>, <deputy> a.n.
<delegator>" (:attr:`Actor.capacity`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from lib.base.roles import ROLE_CODES, ROLES, scope_label

#: permission -> what it allows (Indonesian; shown to admins and listed in docs/permissions.md).
PERMISSIONS: dict[str, str] = {
    "manage_own_account": "Mengganti kata sandi sendiri",
    "view_catalogue": "Melihat katalog SOP dan halaman setiap SOP",
    "view_dashboard": "Melihat dasbor kinerja (KPI) langkah SOP",
    "run_cases": "Membuka permohonan dan mengerjakan langkah SOP sesuai peran",
    "view_nik_full": "Melihat NIK lengkap (setiap tampilan dicatat di log audit)",
    "export_personal_data": "Mengunduh data yang memuat data pribadi (setiap unduhan dicatat)",
    "export_person_data": "Mengunduh semua data satu orang menurut NIK atas permintaannya (UU 27/2022; dicatat)",
    "upload_validation": "Mengunggah berkas validasi calon penerima manfaat untuk desa/kelurahan",
    "manage_candidates": "Menyusun daftar calon penerima manfaat dan memproses hasil validasi",
    "verify_candidates": "Memverifikasi daftar calon penerima manfaat per desa (Kepala Bidang)",
    "manage_reviews": "Menyusun evaluasi triwulan SOP dan analisis SKM",
    "approve_reviews": "Menyetujui atau mengembalikan evaluasi triwulan",
    "view_reviews": "Melihat evaluasi triwulan SOP",
    "view_skm_results": "Melihat hasil survei kepuasan masyarakat (IKM per layanan)",
    "submit_skm": "Mengisi survei kepuasan masyarakat (SKM)",
    "manage_catalogue": "Menyunting SOP dan membuat revisinya",
    "approve_sop": "Mengesahkan revisi SOP",
    "manage_settings": "Mengubah pengaturan portal, kalender kerja, templat dokumen dan pola nomor surat",
    "manage_users": "Menambah, menonaktifkan dan mengatur peran pengguna; melihat dan mengakhiri sesi masuk mereka",
    "view_audit_log": "Melihat log audit",
    "export_audit_log": "Mengunduh log audit (dicatat)",
    "view_letter_register": "Melihat dan mengunduh agenda surat keluar (nomor surat; unduhan dicatat)",
    "delegate": "Menunjuk Pelaksana Harian (Plh) untuk diri sendiri selama berhalangan, dan mengakhirinya lebih awal",
    "manage_delegations": "Menunjuk dan mengakhiri Pelaksana Harian (Plh) untuk pejabat mana pun",
    "reassign_steps": "Mengalihkan langkah yang macet kepada petugas lain dengan peran yang sama",
}

#: Permissions a Plh never holds through a delegation (a deputy does not name deputies of their own).
NOT_DELEGATED: frozenset[str] = frozenset({"delegate", "manage_delegations"})

_STAFF = {"manage_own_account", "view_catalogue", "submit_skm"}

#: role -> the permissions it bundles.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(_STAFF | {"view_dashboard", "manage_catalogue", "manage_settings", "manage_users",
                                 "view_audit_log", "export_audit_log", "export_person_data",
                                 "view_letter_register", "manage_delegations"}),
    "kepala_dinas": frozenset(_STAFF | {"view_dashboard", "run_cases", "view_nik_full", "approve_reviews",
                                        "view_reviews", "view_skm_results",
                                        "approve_sop", "view_audit_log", "export_person_data",
                                        "view_letter_register", "delegate"}),
    "sekretaris": frozenset(_STAFF | {"view_dashboard", "run_cases", "view_reviews", "view_skm_results",
                                      "view_letter_register", "delegate"}),
    "kepala_bidang": frozenset(_STAFF | {"view_dashboard", "run_cases", "view_nik_full", "manage_candidates",
                                         "verify_candidates", "export_personal_data",
                                         "view_letter_register", "delegate", "reassign_steps"}),
    "kasi": frozenset(_STAFF | {"view_dashboard", "run_cases", "view_nik_full", "view_letter_register", "delegate",
                                "reassign_steps"}),
    "staf": frozenset(_STAFF | {"run_cases", "view_nik_full", "export_personal_data", "upload_validation",
                                "manage_candidates", "view_letter_register"}),
    "operator_desa": frozenset(_STAFF | {"run_cases", "upload_validation", "view_nik_full"}),
    "evaluator": frozenset(_STAFF | {"view_dashboard", "manage_reviews", "view_reviews", "view_skm_results"}),
}
#: What a visitor who has not logged in may do.
ANONYMOUS_PERMISSIONS: frozenset[str] = frozenset({"submit_skm"})

#: Roles that are always held with a scope, and the kind of scope.
SCOPED_ROLES: dict[str, str] = {"operator_desa": "desa", "kepala_bidang": "bidang"}
SCOPE_PATTERN = re.compile(r"^(desa|bidang):[a-z0-9][a-z0-9-]{0,60}$")


class PermissionDenied(Exception):
    """The actor lacks the permission (on that scope). The message is Indonesian and safe to show."""

    def __init__(self, actor: "Actor", permission: str, scope: str | None = None):
        self.actor, self.permission, self.scope = actor, permission, scope
        where = f" untuk {scope}" if scope else ""
        super().__init__(f"Anda tidak memiliki hak “{PERMISSIONS.get(permission, permission)}”{where}.")


@dataclass(frozen=True)
class Acting:
    """The delegation a Plh grant comes from: who stands in for whom, as which official, until when."""
    delegation_id: int
    delegator: str
    deputy: str
    jabatan: str
    ends_at: dt.datetime

    @property
    def label(self) -> str:
        return f"Plh. {self.jabatan}, {self.deputy} a.n. {self.delegator}"


@dataclass(frozen=True)
class Grant:
    role: str
    scope: str | None = None
    #: set on a grant held as Plh for another official (the delegation); None for one's own roles
    via: Acting | None = None


@dataclass(frozen=True)
class Actor:
    """The user acting, with the roles (and local roles) they hold. ``user_id`` is None for anonymous.
    ``session_id`` names the login session the user acts through (lib/base/sessions.py); None for the
    command line and for an actor loaded without a login."""
    user_id: int | None
    username: str | None
    name: str
    grants: frozenset[Grant] = field(default_factory=frozenset)
    session_id: str | None = field(default=None, compare=False)
    #: "Plh. <jabatan>, <deputy> a.n. <delegator>" while acting through a delegated grant (see :meth:`acting`)
    capacity: str | None = field(default=None, compare=False)

    @classmethod
    def anonymous(cls) -> "Actor":
        return cls(None, None, "Pengunjung", frozenset())

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def role_titles(self) -> list[str]:
        out = []
        for g in sorted(self.grants, key=lambda g: (g.via is not None, ROLE_CODES.index(g.role), g.scope or "")):
            out.append(("Plh. " if g.via else "") + ROLES[g.role] + (f" ({scope_label(g.scope)})" if g.scope else "")
                       + (f" a.n. {g.via.delegator}" if g.via else ""))
        return out

    @property
    def own_grants(self) -> frozenset[Grant]:
        """The roles the user holds themselves (without those held as Plh)."""
        return frozenset(g for g in self.grants if g.via is None)

    def acting(self, grant: Grant | None) -> "Actor":
        """This actor acting through ``grant``: with the Plh capacity when the grant is a delegated one."""
        if grant is None or grant.via is None:
            return self
        return replace(self, capacity=grant.via.label)


def _granting(actor: Actor, permission: str):
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return [g for g in actor.grants if permission in ROLE_PERMISSIONS.get(g.role, ())
            and not (g.via is not None and permission in NOT_DELEGATED)]


def grant_for(actor: Actor, permission: str, scope: str | None = None) -> Grant | None:
    """The grant through which ``actor`` holds ``permission`` (on ``scope``): their own before a Plh one."""
    found = [g for g in _granting(actor, permission) if g.scope is None or g.scope == scope]
    return min(found, key=lambda g: (g.via is not None, g.role, g.scope or ""), default=None)


def has_permission(actor: Actor, permission: str, scope: str | None = None) -> bool:
    """Whether ``actor`` holds ``permission``: globally, or on ``scope`` through a local role.

    Without a scope only a global grant counts, so a village operator can never act "everywhere".
    """
    if permission in ANONYMOUS_PERMISSIONS and permission in PERMISSIONS:
        return True
    return any(g.scope is None or g.scope == scope for g in _granting(actor, permission))


def holds_anywhere(actor: Actor, permission: str) -> bool:
    """Whether ``actor`` holds ``permission`` on at least one scope (for menus: which pages to show)."""
    if permission in ANONYMOUS_PERMISSIONS:
        return True
    return bool(_granting(actor, permission))


def scopes_for(actor: Actor, permission: str) -> set[str] | None:
    """``None`` when held globally; otherwise the set of scopes (possibly empty) it is held on."""
    grants = _granting(actor, permission)
    if any(g.scope is None for g in grants):
        return None
    return {g.scope for g in grants}


def require(actor: Actor, permission: str, scope: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` holds ``permission`` (on ``scope``)."""
    if not has_permission(actor, permission, scope):
        raise PermissionDenied(actor, permission, scope)


def check_scope(role: str, scope: str | None) -> str | None:
    """Validate a role's scope; returns the normalised scope or raises ValueError (Indonesian)."""
    if role not in ROLE_CODES:
        raise ValueError(f"Peran “{role}” tidak dikenal. Pilihan: {', '.join(ROLE_CODES)}.")
    scope = (scope or "").strip().lower() or None
    kind = SCOPED_ROLES.get(role)
    if kind and not scope:
        raise ValueError(f"Peran {ROLES[role]} harus punya cakupan {kind}:KODE (misalnya {kind}:karang-dalo).")
    if scope is None:
        return None
    if not SCOPE_PATTERN.match(scope):
        raise ValueError(f"Cakupan “{scope}” tidak sah. Tulis desa:KODE atau bidang:KODE "
                         "(huruf kecil, angka, tanda hubung).")
    if kind and not scope.startswith(kind + ":"):
        raise ValueError(f"Peran {ROLES[role]} harus bercakupan {kind}:KODE, bukan {scope}.")
    if not kind:
        raise ValueError(f"Peran {ROLES[role]} berlaku untuk seluruh dinas dan tidak memakai cakupan.")
    return scope
