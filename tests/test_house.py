"""The rules of the house that import-linter and ruff do not check: sizes, public seams, one MIME constant,
no SQL in views, one error base, package docstrings, and no citation of a file the repository does not hold.
(Layers, Streamlit only in lib.ui and no import cycles are import-linter contracts in pyproject.toml.)"""
import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import lib
from lib.base.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80
#: Views stay thin: drawing only (what they show is shaped in lib, composites they share are in lib/ui).
MAX_VIEW_LINES = 250
MAX_VIEW_FUNCTION_LINES = 60


def _python_files(*tops: str) -> list[Path]:
    files = []
    for top in tops:
        path = ROOT / top
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [p for p in files if "migrations" not in p.parts and "__pycache__" not in p.parts]


def _lib_modules() -> set[str]:
    return {m.name for m in pkgutil.walk_packages(lib.__path__, "lib.") if "migrations" not in m.name}


def _too_long(paths: list[Path], max_lines: int, max_function_lines: int) -> list[str]:
    """The files of ``paths`` over ``max_lines`` lines and their functions over ``max_function_lines``."""
    too_long = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > max_lines:
            too_long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} baris")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > max_function_lines:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} baris")
    return too_long


def test_no_module_in_lib_is_over_700_lines_and_no_function_over_80():
    too_long = _too_long(_python_files("lib", "views", "Home.py"), MAX_MODULE_LINES, MAX_FUNCTION_LINES)
    assert not too_long, too_long


def test_every_view_is_at_most_250_lines_and_no_view_function_over_60():
    too_long = _too_long(sorted((ROOT / "views").glob("*.py")), MAX_VIEW_LINES, MAX_VIEW_FUNCTION_LINES)
    assert not too_long, f"halaman terlalu tebal (pindahkan aturan dan olahan data ke lib): {too_long}"


def _module_aliases(tree: ast.Module, modules: set[str]) -> dict[str, str]:
    """Local names bound to a lib module by an import statement anywhere in the file."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname and a.name in modules:
                    aliases[a.asname] = a.name
    return aliases


def test_no_private_name_is_imported_or_used_across_modules():
    modules = _lib_modules()
    found = []
    for path in _python_files("lib", "views", "Home.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _module_aliases(tree, modules)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lib"):
                found += [f"{path.relative_to(ROOT)}: from {node.module} import {a.name}"
                          for a in node.names if a.name.startswith("_")]
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                  and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {aliases[node.value.id]}.{node.attr}")
    assert not found, found


def test_views_run_no_sql_themselves():
    offenders = []
    for path in _python_files("views", "Home.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(from|import) sqlalchemy", text, re.M) or re.search(
                r"session\.(execute|scalars?|query|add|delete|get)\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"SQL di halaman (pindahkan ke lib): {offenders}"


def test_the_xlsx_mime_type_is_written_once():
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    places = [str(p.relative_to(ROOT)) for p in _python_files("lib", "views", "Home.py")
              if mime in p.read_text(encoding="utf-8")]
    assert places == ["lib/base/sheets.py"]


def test_every_user_error_in_lib_shares_the_one_base():
    """A page catches UserError (lib.ui.widgets.USER_ERRORS); an error class outside it would be a traceback."""
    outside = []
    for name in sorted(_lib_modules()):
        if name.startswith("lib.ui") or name == "lib.__main__":
            continue
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, ValueError) and not issubclass(cls, UserError):
                outside.append(f"{name}.{cls_name}")
    assert not outside, outside


def test_widgets_apply_catches_user_errors_by_default():
    from lib.base.permissions import PermissionDenied
    from lib.ui import widgets

    default = inspect.signature(widgets.apply).parameters["errors"].default
    assert UserError in default and PermissionDenied in default


def test_every_package_of_lib_says_in_three_lines_what_lives_there():
    for init in sorted((ROOT / "lib").glob("*/__init__.py")):
        if init.parent.name == "migrations":
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} tanpa docstring"
        assert len(doc.splitlines()) <= 3, f"{init.relative_to(ROOT)}: lebih dari tiga baris"


CITED_FILE = re.compile(r"(?<![\w/.-])((?:\.\./)*(?:[\w.-]+/)*[\w-]+\.(?:md|py|yaml|csv|txt|toml|ini|docx))\b")
SEED = re.compile(r"\bseeds? (\d{3})\b")
#: Files the repository never holds because they are made where the portal runs: the installer writes
#: .streamlit/secrets.toml (git ignores it) and the app creates data/portal.db on its first start. Citing them
#: is documentation, not a dangling reference.
CREATED_AT_RUN_TIME = {"secrets.toml", "portal.db"}


def _comments_and_docstrings(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return [text]
    out = [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                out.append(doc)
    return out


def test_no_docstring_or_document_cites_a_file_outside_the_repository():
    files = _python_files("lib", "views", "tests", "bench", "Home.py") + sorted(ROOT.glob("*.md")) + sorted(
        (ROOT / "docs").rglob("*.md")) + sorted((ROOT / "data").rglob("*.md")) + sorted((ROOT / "data").rglob("*.yaml"))
    names = {p.name for p in ROOT.rglob("*") if ".git" not in p.parts}
    missing = []
    for path in files:
        for text in _comments_and_docstrings(path):
            for cited in CITED_FILE.findall(text):
                if cited.startswith("../") or "shared/" in cited:
                    missing.append(f"{path.relative_to(ROOT)}: {cited}")
                    continue
                if Path(cited).name in CREATED_AT_RUN_TIME:
                    continue
                if not ((ROOT / cited).exists() or (path.parent / cited).exists() or Path(cited).name in names):
                    missing.append(f"{path.relative_to(ROOT)}: {cited}")
            for seed in SEED.findall(text):
                if not (ROOT / "docs" / "sources" / f"seed-{seed}.txt").exists():
                    missing.append(f"{path.relative_to(ROOT)}: seed {seed}")
    assert not missing, f"rujukan ke berkas yang tidak ada di repositori: {sorted(set(missing))}"


def test_the_import_contracts_hold():
    """Layers, Streamlit only in lib.ui, nothing imports views, no cycles (pyproject.toml); CI runs it too."""
    result = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "4 kept, 0 broken" in result.stdout


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_workbook_leaves_through_the_one_neutralising_writer():
    """A formula typed anywhere (a user name, a comment, an SOP field) never becomes a live cell in an export."""
    savers = []
    for path in _python_files("lib", "views"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "save" and node.args:
                savers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    # and the one DOCX writer (letters and cards are Word documents, not workbooks; their values are XML-escaped)
    assert savers == ["lib/base/sheets.py:" + str(_save_line("base/sheets.py", "wb.save(buf)")),
                      "lib/dokumen/templat.py:" + str(_save_line("dokumen/templat.py", "tpl.save(out)"))], savers


def _save_line(path: str, call: str) -> int:
    text = (ROOT / "lib" / path).read_text(encoding="utf-8")
    return next(i for i, line in enumerate(text.splitlines(), start=1) if call in line)


def test_tables_offer_no_unlogged_csv_download():
    """Streamlit's table toolbar would let any role download a register as CSV, unlogged."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
