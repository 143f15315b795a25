"""The admin commands of backup, restore, moving a database and the health check (``python -m lib backup``,
``restore``, ``db move``, ``check``): parsing and Indonesian output; the work is in :mod:`lib.setup.backup`,
:mod:`lib.setup.restore` and :mod:`lib.setup.health`. A user error raises :class:`lib.base.errors.UserError`
(exit code 2 in the CLI)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from lib.base import audit_chain
from lib.base.db import database_url, owner_database_url, session_factory
from lib.base.fmt import angka
from lib.setup import backup
from lib.setup.backup_file import backup_key

if TYPE_CHECKING:
    from lib.setup.restore import RestoreReport


def _emit(data, as_json: bool, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2) if as_json else text)


def cmd_backup(args) -> None:
    key = backup_key()
    manifest = backup.write_backup(database_url(), args.file, key)
    removed = backup.keep(Path(args.file).resolve().parent, args.keep) if args.keep else []
    rows = sum(t["rows"] for t in manifest["tables"])
    data = {"file": args.file, "encrypted": manifest["encrypted"], "schema_revision": manifest["schema_revision"],
            "tables": {t["name"]: {"rows": t["rows"], "sha256": t["sha256"]} for t in manifest["tables"]},
            "removed": [str(p) for p in removed]}
    lines = [f"Cadangan ditulis ke {args.file} ({'terenkripsi' if key else 'TIDAK terenkripsi'}; hanya pemilik berkas "
             f"yang dapat membacanya): skema revisi {manifest['schema_revision']}, {len(manifest['tables'])} tabel, "
             f"{angka(rows)} baris."]
    lines += [f"Cadangan lama dihapus (--keep {args.keep}): {p.name}" for p in removed]
    _emit(data, args.json, "\n".join(lines))


def _table_lines(report: RestoreReport) -> list[str]:
    width = max((len(t.name) for t in report.tables), default=5)
    lines = [f"{'tabel':<{width}}  {'baris asal':>10}  {'baris tujuan':>12}  {'checksum (SHA-256)':<18}  cocok"]
    for t in report.tables:
        lines.append(f"{t.name:<{width}}  {angka(t.rows_source):>10}  {angka(t.rows_target):>12}  "
                     f"{t.sha256_target[:16] + '…':<18}  {'ya' if t.ok else 'TIDAK'}")
    return lines


def _audit_line(url: str) -> tuple[bool, str]:
    with session_factory(url)() as session:
        report = audit_chain.verify(session, None)
    if report.intact:
        return True, f"Log audit: {angka(report.checked)} baris, rantai hash utuh."
    return False, f"Log audit: rantai hash PUTUS pada id {report.broken.id}: {report.broken.message}."


def _report(report: RestoreReport, url: str, as_json: bool, head_line: str) -> int:
    intact, audit_text = _audit_line(url)
    data = report.as_dict() | {"audit_intact": intact}
    lines = [head_line, *_table_lines(report), audit_text]
    if report.schema_revision != report.head_revision:
        lines.append(f"Skema dinaikkan dari revisi {report.schema_revision} ke {report.head_revision}.")
    _emit(data, as_json, "\n".join(lines))
    return 0 if intact and all(t.ok for t in report.tables) else 1


def cmd_restore(args) -> int:
    from lib.setup import restore  # Alembic: loaded by the commands that need it, not by every command

    url = owner_database_url()
    report = restore.restore(args.file, url, backup_key(), args.replace)
    verb = "diganti seluruhnya dengan" if report.replaced else "dipulihkan dari"
    return _report(report, url, args.json, f"Basis data {report.target} {verb} {args.file} (skema revisi "
                                      f"{report.schema_revision}); setiap tabel dibaca ulang dan dicocokkan:")


def cmd_db_move(args) -> int:
    from lib.setup import restore

    report = restore.move(database_url(), args.to)
    return _report(report, args.to, args.json, f"Basis data {backup.where(database_url())} disalin ke {report.target}; "
                                      "setiap tabel dibaca ulang dan dicocokkan:")


def cmd_check(args) -> int:
    from lib.setup import health

    checks = health.run(database_url())
    labels = {"basis_data": "Basis data", "revisi_skema": "Revisi skema", "migrasi_tertunda": "Migrasi tertunda",
              "kunci_cookie": "Kunci cookie", "server_surel": "Server surel"}
    lines = [f"[{'OK' if c.ok else 'MASALAH'}] {labels[c.name]}: {c.detail}" for c in checks]
    ok = all(c.ok for c in checks)
    lines.append("Semua pemeriksaan lulus." if ok else "Ada yang perlu dibereskan (lihat MASALAH di atas).")
    _emit(health.as_dict(checks), args.json, "\n".join(lines))
    return 0 if ok else 1


def add_commands(sub, db_sub) -> None:
    """``backup``, ``restore`` and ``check`` under the CLI's subcommands ``sub``, ``move`` under ``db_sub``."""
    b = sub.add_parser("backup", help="cadangkan seluruh basis data ke satu berkas (aplikasi boleh tetap berjalan)")
    b.add_argument("file", help="berkas cadangan baru, misalnya cadangan/portal-2026-01-31.zip")
    b.add_argument("--keep", type=int, metavar="N", help="simpan hanya N cadangan terbaru di folder yang sama")
    b.add_argument("--json", action="store_true", help="keluaran JSON")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="pulihkan berkas cadangan ke basis data kosong (sebagai pemilik skema)")
    r.add_argument("file", help="berkas cadangan")
    r.add_argument("--replace", action="store_true", help="ganti seluruh isi basis data yang sudah berisi data")
    r.add_argument("--json", action="store_true", help="keluaran JSON")
    r.set_defaults(func=cmd_restore)
    c = sub.add_parser("check", help="periksa kesehatan: basis data, skema, migrasi, kunci cookie")
    c.add_argument("--json", action="store_true", help="keluaran JSON")
    c.set_defaults(func=cmd_check)
    m = db_sub.add_parser("move", help="salin basis data ini (mis. SQLite) ke basis data kosong lain (PostgreSQL)")
    m.add_argument("--to", required=True, metavar="URL", help="alamat basis data tujuan, sebagai pemilik skemanya")
    m.add_argument("--json", action="store_true", help="keluaran JSON")
    m.set_defaults(func=cmd_db_move)
