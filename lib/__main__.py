"""Admin CLI: ``python -m lib ...``. A thin shell over lib; ``--json`` for scripts.

    python -m lib init [--demo]
    python -m lib sop list [--json]
    python -m lib sop show ID [--json]
    python -m lib worktime "2025-03-27 15:00" "2025-04-08 09:00" [--json]
"""
from __future__ import annotations

import argparse
import json
import sys

from . import catalog, mutu_baku, store
from .db import database_url, session_factory
from .worktime import parse_local


class CliError(Exception):
    """A user error: printed in Indonesian, exit code 2."""


def _emit(data, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


def _documents():
    url = database_url()
    store.init(url)
    with session_factory(url)() as session:
        return store.active_documents(session)


def _step_json(step: catalog.Langkah) -> dict:
    t = step.target
    return {"no": step.no, "kegiatan": step.kegiatan, "pelaksana": step.pelaksana, "waktu": step.waktu or None,
            "target": t.as_dict() if t else None}


def cmd_init(args) -> None:
    report = store.init(database_url(), demo=args.demo)
    _emit({"database": database_url().split("@")[-1], "added": report.added, "updated": report.updated,
           "unchanged": report.unchanged}, args.json,
          "Basis data siap (" + database_url().split("@")[-1] + ").\n" + "\n".join(report.lines()))


def cmd_sop_list(args) -> None:
    docs = _documents()
    rows = [{"id": d.doc.id, "nama": d.doc.nama, "nomor": getattr(d.doc, "nomor", None), "jenis": d.doc.jenis,
             "steps": len(d.doc.langkah) if d.doc.jenis == "sop" else None} for d in docs.values()]
    width = max((len(r["id"]) for r in rows), default=2)
    text = "\n".join(f"{r['id']:<{width}}  {r['steps'] if r['steps'] is not None else '-':>3} langkah  {r['nama']}"
                     for r in rows)
    _emit(rows, args.json, text or "Katalog kosong.")


def cmd_sop_show(args) -> None:
    docs = _documents()
    if args.id not in docs:
        raise CliError(f"SOP “{args.id}” tidak ada. Lihat daftar dengan: python -m lib sop list")
    doc = docs[args.id].doc
    if doc.jenis != "sop":
        data = catalog.to_data(doc)
        _emit(data, args.json, f"{doc.nama} (standar pelayanan)\nProduk: " + "; ".join(doc.produk))
        return
    data = {"id": doc.id, "nama": doc.nama, "nomor": doc.nomor, "revisi": docs[args.id].revision_no,
            "steps": [_step_json(s) for s in doc.langkah]}
    lines = [f"{doc.nama}", f"Nomor: {doc.nomor or '-'}", ""]
    for s in doc.langkah:
        actor = doc.actors[s.pelaksana].label
        lines.append(f"{s.no:>3}. {s.kegiatan}  [{actor}]  {s.waktu or '-'}")
    lines.append("")
    lines.append("Total target: " + mutu_baku.format_working_minutes(doc.target_working_minutes()))
    _emit(data, args.json, "\n".join(lines))


def cmd_worktime(args) -> None:
    try:
        start, end = parse_local(args.start), parse_local(args.end)
    except ValueError as err:
        raise CliError(str(err)) from None
    if end < start:
        raise CliError("Waktu selesai tidak boleh sebelum waktu mulai.")
    url = database_url()
    store.init(url)
    with session_factory(url)() as session:
        cal = store.load_calendar(session)
    minutes = cal.working_minutes(start, end)
    value = int(minutes) if float(minutes).is_integer() else round(minutes, 2)
    _emit({"working_minutes": value}, args.json,
          f"{value} menit kerja ({mutu_baku.format_working_minutes(minutes)})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lib", description="Portal SOP — perintah admin")
    sub = p.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="buat/perbarui skema basis data dan muat katalog SOP")
    init.add_argument("--demo", action="store_true", help="mode demo (data contoh)")
    init.add_argument("--json", action="store_true")
    init.set_defaults(func=cmd_init)

    sop = sub.add_parser("sop", help="katalog SOP").add_subparsers(dest="sop_command", required=True)
    lst = sop.add_parser("list", help="daftar SOP")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_sop_list)
    show = sop.add_parser("show", help="langkah satu SOP")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_sop_show)

    wt = sub.add_parser("worktime", help="menit kerja antara dua waktu (WIB)")
    wt.add_argument("start", help="YYYY-MM-DD HH:MM")
    wt.add_argument("end", help="YYYY-MM-DD HH:MM")
    wt.add_argument("--json", action="store_true")
    wt.set_defaults(func=cmd_worktime)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (CliError, catalog.CatalogError) as err:
        print(f"Galat: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
