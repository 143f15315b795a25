"""``python -m lib desa validate|import``: a village validation file checked, or imported, from the shell.

* ``desa validate FILE [--json]`` reads and judges the file (:mod:`lib.validasi`) and writes nothing; it needs
  no database, so ``lib/__main__.py`` runs it before importing the rest of the CLI (SQLAlchemy, Alembic,
  pandas), which would take longer than reading a large file. Exit code 0 when the file was read (whatever
  its rows hold), 2 when it could not be (``file_error``).
* ``desa import FILE --desa KODE [--json]`` is :func:`lib.rentan.desa.check_upload` + :func:`lib.rentan.desa.accept` in
  one transaction (``cmd_desa_import`` in ``lib/__main__.py``), as :data:`SYSTEM_ACTOR`.

This module imports only :mod:`lib.validasi` and :mod:`lib.permissions`: both are light.
"""
from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

from lib.base.permissions import Actor, Grant
from lib.rentan import validasi

#: Who the shell acts as. Like ``users add`` and ``sop import`` (lib functions called with actor None), the
#: server's own shell acts as the system: no user id, the name "sistem" in the audit log and the batch history.
#: lib.rentan requires an Actor, so the system holds the staff role globally (``upload_validation`` on every desa).
SYSTEM_ACTOR = Actor(None, "sistem", "Sistem (baris perintah)", frozenset({Grant("staf")}))

_OS_REASONS = {errno.ENOENT: "berkas tidak ada", errno.EISDIR: "itu sebuah folder, bukan berkas",
               errno.EACCES: "tidak ada izin membacanya"}
#: How many problems the readable output lists (``--json`` lists every one).
SHOWN = 30


class FileProblem(Exception):
    """The file cannot be used at all; ``str()`` is one Indonesian message."""


def angka(n: int) -> str:
    """``100.000`` (lib.base.fmt.angka without loading Babel)."""
    return f"{n:,}".replace(",", ".")


def read_file(path: str) -> tuple[bytes, str]:
    """The bytes and the file name of ``path``, or :class:`FileProblem`."""
    try:
        return Path(path).read_bytes(), Path(path).name
    except OSError as err:
        reason = _OS_REASONS.get(err.errno, err.strerror or str(err))
        raise FileProblem(f"Berkas “{path}” tidak dapat dibaca: {reason}.") from None


def check_file(path: str) -> tuple[dict, validasi.Upload | None, validasi.Validation | None]:
    """The ``desa validate --json`` report of a file, with the upload and validation behind it (None when the
    file could not be read; then ``file_error`` says why)."""
    report = {"rows_total": 0, "rows_valid": 0, "rows_invalid": 0, "rows_warning": 0, "errors": [],
              "file_error": None}
    try:
        data, name = read_file(path)
        upload = validasi.read_upload(data, name)
    except FileProblem as err:
        report["file_error"] = str(err)
        return report, None, None
    except validasi.UploadError as err:
        report["file_error"] = err.message
        return report, None, None
    result = validasi.validate(upload)
    s = result.summary
    report.update(rows_total=s.rows, rows_valid=s.valid, rows_invalid=s.invalid, rows_warning=s.valid_with_warning,
                  errors=[{"row": p.excel_row, "column": p.column, "code": p.code, "message": p.message}
                          for p in result.errors])
    return report, upload, result


def validate_text(upload: validasi.Upload, result: validasi.Validation) -> str:
    """The readable (Indonesian) summary of ``desa validate``."""
    s = result.summary
    hidden = " (tersembunyi)" if upload.sheet_hidden else ""
    where = (f"lembar “{upload.sheet}”{hidden}, " if upload.sheet else "") + f"judul kolom di baris {upload.header_row}"
    lines = [f"Berkas {upload.filename} ({where})",
             f"Baris data: {angka(s.rows)}",
             f"  dapat diterima: {angka(s.valid)}" + (f" (di antaranya {angka(s.valid_with_warning)} dengan catatan)"
                                                      if s.valid_with_warning else ""),
             f"  tidak sah: {angka(s.invalid)}"]
    if s.ignored:
        lines.append(f"  dilewati (tanpa NIK, nama, dan status): {angka(s.ignored)}")
    if s.valid:
        lines.append("Per status: " + ", ".join(f"{label} {angka(s.per_status[code])}"
                                                for code, label in validasi.STATUS_LABELS.items()
                                                if s.per_status[code]))
    for title, problems in (("Masalah yang membuat baris tidak sah", result.errors),
                            ("Catatan (baris tetap diterima)", result.warnings)):
        if problems:
            lines += ["", f"{title}: {angka(len(problems))}"]
            lines += [f"  {p.message}" for p in problems[:SHOWN]]
            if len(problems) > SHOWN:
                lines.append(f"  …dan {angka(len(problems) - SHOWN)} lagi (semuanya: --json).")
    if not s.invalid:
        lines += ["", "Semua baris dapat diterima."]
    return "\n".join(lines)


def cmd_validate(args) -> None:
    """``desa validate``: prints the report; raises :class:`FileProblem` (after printing the JSON report, with
    ``--json``) when the file could not be read."""
    report, upload, result = check_file(args.file)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif upload is not None:
        print(validate_text(upload, result))
    if report["file_error"]:
        raise FileProblem(report["file_error"])


def add_commands(sub, validate_func, import_func) -> None:
    """``desa validate`` and ``desa import`` under the CLI's subcommands ``sub``."""
    desa = sub.add_parser("desa", help="berkas validasi desa/kelurahan").add_subparsers(dest="desa_command",
                                                                                       required=True)
    val = desa.add_parser("validate", help="periksa berkas validasi desa (XLSX/XLS/CSV) tanpa menyimpan apa pun")
    val.add_argument("file", help="berkas XLSX, XLS atau CSV")
    val.add_argument("--json", action="store_true", help="keluaran JSON")
    val.set_defaults(func=validate_func)
    imp = desa.add_parser("import", help="impor baris sah berkas validasi untuk satu desa (satu transaksi)")
    imp.add_argument("file", help="berkas XLSX, XLS atau CSV")
    imp.add_argument("--desa", required=True, metavar="KODE", help="kode desa/kelurahan, misalnya karang-dalo")
    imp.add_argument("--json", action="store_true", help="keluaran JSON")
    imp.set_defaults(func=import_func)


def main_validate(argv: list[str]) -> int:
    """``python -m lib desa validate ...`` without the rest of the CLI (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m lib", description="Portal SOP — perintah admin")
    add_commands(parser.add_subparsers(dest="command", required=True), cmd_validate, None)
    args = parser.parse_args(["desa", "validate", *argv])
    try:
        args.func(args)
    except FileProblem as err:
        print(f"Galat: {err}", file=sys.stderr)
        return 2
    return 0
