"""The agency's roles. A role is a bundle of permissions; the permissions are in lib/base/permissions.py."""
from __future__ import annotations

#: role code -> Indonesian title, in the order of docs/design.md.
ROLES: dict[str, str] = {
    "admin": "Pengelola Portal",
    "kepala_dinas": "Kepala Dinas",
    "sekretaris": "Sekretaris Dinas",
    "kepala_bidang": "Kepala Bidang",
    "kasi": "Kepala Seksi",
    "staf": "Staf",
    "operator_desa": "Operator Desa/Kelurahan",
    "evaluator": "Tim Evaluasi",
}
ROLE_CODES: tuple[str, ...] = tuple(ROLES)


def scope_label(scope: str) -> str:
    """A local role's scope as a person reads it: ``bidang:tenaga-kerja`` → "Bidang Tenaga Kerja",
    ``desa:karang-dalo`` → "Karang Dalo"."""
    kind, _, kode = scope.partition(":")
    name = kode.replace("-", " ").title()
    return f"Bidang {name}" if kind == "bidang" else name
