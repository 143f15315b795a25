"""Documentation that must not fall behind the code: every catalogue field and every CLI command."""
import re
from pathlib import Path

from lib.__main__ import build_parser
from lib.catalogue import model as catalog

ROOT = Path(__file__).resolve().parent.parent
FORMAT_DOC = (ROOT / "data" / "sop" / "README.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

MODELS = [catalog.Identitas, catalog.SOP, catalog.Pelaksana, catalog.Langkah, catalog.Keputusan, catalog.Cabang,
          catalog.Pengesah, catalog.StandarPelayanan, catalog.Prosedur, catalog.Isian, catalog.Aturan,
          catalog.Dokumen, catalog.WajibJika]


def test_every_catalogue_field_is_documented_in_the_format_reference():
    documented = set(re.findall(r"`([a-z_]+)`", FORMAT_DOC))
    missing = sorted({f"{m.__name__}.{name}" for m in MODELS for name in m.model_fields if name not in documented})
    assert not missing, f"field tanpa dokumentasi di data/sop/README.md: {missing}"


def test_every_cli_command_is_in_the_readme():
    parser = build_parser()
    commands = []
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            nested = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
            if nested:
                commands += [f"python -m lib {name} {n}" for n in nested[0].choices]
            else:
                commands.append(f"python -m lib {name}")
    missing = [c for c in commands if c not in README]
    assert not missing, f"perintah CLI tanpa dokumentasi di README.md: {missing}"


def test_the_readme_has_exactly_the_two_setup_commands():
    assert "pip install -r requirements.txt && streamlit run Home.py" in README
    assert "pip install -r requirements-dev.txt && python -m pytest" in README


def test_every_permission_is_documented_with_its_holders():
    from lib.base.permissions import PERMISSIONS, ROLE_PERMISSIONS
    from lib.base.roles import ROLES

    doc = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", doc, re.M)}
    missing = [p for p in PERMISSIONS if p not in rows]
    assert not missing, f"hak akses tanpa dokumentasi di docs/permissions.md: {missing}"
    for perm, row in rows.items():
        if perm in PERMISSIONS and perm != "submit_skm":
            for role, perms in ROLE_PERMISSIONS.items():
                assert (ROLES[role] in row) == (perm in perms), f"{perm}: {role} salah di docs/permissions.md"
    assert set(rows) - set(PERMISSIONS) <= set(ROLES), "docs/permissions.md menyebut hak akses yang tidak ada"


def test_every_setting_is_declared_in_the_one_table_and_documented_in_the_readme():
    from lib.base import config

    declared = {s.env for s in config.SETTINGS}
    read = set()
    for path in [*(ROOT / "lib").rglob("*.py"), ROOT / "Home.py", *(ROOT / "views").glob("*.py")]:
        read |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\s*\"([A-Z_]+)\"", path.read_text(encoding="utf-8")))
    assert read <= declared, f"variabel lingkungan di luar config.SETTINGS: {sorted(read - declared)}"
    rows = set(re.findall(r"^\| `([A-Z_]+)` \|", README, re.M))
    missing = sorted(s.env for s in config.SETTINGS if s.env not in rows)
    assert not missing, f"pengaturan tanpa baris di tabel konfigurasi README.md: {missing}"
    secrets = [s for s in config.SETTINGS if s.secret]
    row_text = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Z_]+)` \|.*$", README, re.M)}
    assert all(f"`{s.secret}`" in row_text[s.env] for s in secrets), "kunci secrets.toml tanpa dokumentasi"
