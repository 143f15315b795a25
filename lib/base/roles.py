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
