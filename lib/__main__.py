"""Admin CLI: ``python -m lib ...``. A thin shell over lib; ``--json`` for scripts.

    python -m lib init [--demo]
    python -m lib db roles ROLE [--password-stdin] [--json]
    python -m lib db move --to URL [--json]
    python -m lib backup FILE [--keep N] [--json]
    python -m lib restore FILE [--replace] [--json]
    python -m lib check [--json]
    python -m lib audit verify [--json]
    python -m lib notify [--dry-run] [--json]
    python -m lib sop list [--json]
    python -m lib sop show ID [--json]
    python -m lib sop export ID [--revision N] [--output FILE]
    python -m lib sop import FILE [--note "..."] [--json]
    python -m lib worktime "2025-03-27 15:00" "2025-04-08 09:00" [--json]
    python -m lib users add USERNAME --name "..." --role ROLE [--scope desa:KODE] --password-stdin
    python -m lib users list [--json]
    python -m lib users passwd USERNAME --password-stdin
    python -m lib users disable USERNAME
    python -m lib events import FILE [--sop ID]
    python -m lib events export --format csv|xes [--sop ID] [--output FILE]
    python -m lib kpi [--sop ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
    python -m lib skm ikm FILE [--weight exact|legacy] [--json]
    python -m lib desa validate FILE [--json]
    python -m lib desa import FILE --desa KODE [--json]
    python -m lib eskalasi [--json]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

if __name__ == "__main__" and sys.argv[1:3] == ["desa", "validate"]:
    # Checking a file touches no database: run it before the imports below (SQLAlchemy, Alembic, pandas), which
    # take longer to load than a 100,000-row file takes to check (lib/rentan/cli.py).
    from lib.rentan.cli import main_validate

    sys.exit(main_validate(sys.argv[3:]))

from lib.base import accounts, audit_chain, fmt, iuran, kalender, mutu_baku
from lib.base.db import database_url, owner_database_url, session_factory
from lib.base.errors import UserError
from lib.base.worktime import parse_local
from lib.catalogue import model as catalog
from lib.catalogue import revisions, store
from lib.rentan import cli as desa_cli
from lib.setup import cli as setup_cli
from lib.setup import database as setup
from lib.setup import db_roles


class CliError(Exception):
    """A user error: printed in Indonesian, exit code 2."""


def _emit(data, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


def _ready_db():
    """The session factory of DATABASE_URL, with the schema migrated (as DATABASE_OWNER_URL when set) and the
    catalogue loaded."""
    url = database_url()
    setup.init(url, owner_url=owner_database_url())
    return session_factory(url)


def _documents():
    with _ready_db()() as session:
        return store.active_documents(session)


def _step_json(step: catalog.Langkah) -> dict:
    t = step.target
    return {"no": step.no, "kegiatan": step.kegiatan, "pelaksana": step.pelaksana, "waktu": step.waktu or None,
            "target": t.as_dict() if t else None}


def cmd_init(args) -> None:
    # All of it as the owner: on a new database the runtime role has no rights until `db roles` has run.
    report = setup.init(owner_database_url(), demo=args.demo)
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


def cmd_sop_export(args) -> None:
    with _ready_db()() as session:
        try:
            text = revisions.export_yaml(session, args.id, args.revision)
        except revisions.RevisionError as err:
            raise CliError(str(err)) from None
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def cmd_sop_import(args) -> None:
    try:
        with open(args.file, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(f"Berkas {args.file} tidak dapat dibaca: {err}") from None
    with _ready_db().begin() as session:
        try:
            rev = revisions.import_yaml(session, None, text, args.note)
        except revisions.RevisionError as err:
            raise CliError(str(err)) from None
        out = {"id": rev.sop_id, "revisi": rev.revision_no, "status": rev.state}
    _emit(out, args.json, f"{out['id']}: revisi {out['revisi']} disimpan sebagai draf. Ajukan dan sahkan di "
                          "halaman Editor SOP agar berlaku.")


def cmd_worktime(args) -> None:
    try:
        start, end = parse_local(args.start), parse_local(args.end)
    except ValueError as err:
        raise CliError(str(err)) from None
    if end < start:
        raise CliError("Waktu selesai tidak boleh sebelum waktu mulai.")
    with _ready_db()() as session:
        cal = kalender.load_calendar(session)
    minutes = cal.working_minutes(start, end)
    value = int(minutes) if float(minutes).is_integer() else round(minutes, 2)
    _emit({"working_minutes": value}, args.json,
          f"{value} menit kerja ({mutu_baku.format_working_minutes(minutes)})")


def _read_password(args) -> str:
    if not args.password_stdin:
        raise CliError("Kata sandi dibaca dari standar masukan: tambahkan --password-stdin, misalnya "
                       "printf '%s' \"$SANDI\" | python -m lib users ...")
    text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        raise CliError("Kata sandi kosong pada standar masukan.")
    return text


def cmd_users_add(args) -> None:
    password = _read_password(args)
    if args.scope and len(args.role) != 1:
        raise CliError("--scope hanya untuk satu --role.")
    grants = [(r, args.scope) for r in args.role]
    try:
        with _ready_db().begin() as session:
            accounts.add_user(session, None, args.username, args.name, password, grants, args.email)
    except accounts.AccountError as err:
        raise CliError(str(err)) from None
    _emit({"username": args.username.strip().lower(), "created": True}, args.json,
          f"Pengguna “{args.username.strip().lower()}” dibuat.")


def cmd_users_list(args) -> None:
    with _ready_db()() as session:
        users = accounts.list_users(session, None)
    rows = [{"username": u.username, "name": u.name, "email": u.email, "active": u.active,
             "roles": [{"role": g.role, "scope": g.scope} for g in u.grants]} for u in users]
    text = "\n".join(f"{u.username:<16} {'aktif' if u.active else 'nonaktif':<9} {u.name} — {u.role_text()}"
                     for u in users)
    _emit(rows, args.json, text or "Belum ada pengguna.")


def cmd_users_passwd(args) -> None:
    password = _read_password(args)
    try:
        with _ready_db().begin() as session:
            accounts.reset_password(session, None, args.username, password)
    except accounts.AccountError as err:
        raise CliError(str(err)) from None
    _emit({"username": args.username, "password_changed": True}, args.json,
          f"Kata sandi “{args.username}” diganti.")


def cmd_users_disable(args) -> None:
    try:
        with _ready_db().begin() as session:
            accounts.set_active(session, None, args.username, False)
    except accounts.AccountError as err:
        raise CliError(str(err)) from None
    _emit({"username": args.username, "active": False}, args.json, f"Pengguna “{args.username}” dinonaktifkan.")


def cmd_events_import(args) -> None:
    from lib.measure import eventlog  # the measuring modules load pandas: only for the commands that use them

    try:
        source = open(args.file, encoding="utf-8-sig", newline="")  # read as it is imported, not all at once
    except OSError as err:
        raise CliError(f"Berkas “{args.file}” tidak dapat dibaca ({err.strerror}).") from None
    try:
        with source, _ready_db().begin() as session:
            counts = eventlog.import_csv(session, source, args.sop)
    except UnicodeDecodeError:
        raise CliError(f"Berkas “{args.file}” bukan teks UTF-8 (simpan sebagai CSV UTF-8).") from None
    except eventlog.EventLogError as err:
        if args.json:
            print(json.dumps({"imported": False, "errors": [{"row": r, "column": c, "message": m}
                                                             for r, c, m in err.errors]}, ensure_ascii=False))
        raise CliError(str(err)) from None
    _emit({"imported": True, **counts}, args.json,
          f"Diimpor: {counts['cases']} berkas, {counts['step_runs']} langkah.")


def cmd_events_export(args) -> None:
    from lib.measure import eventlog

    with _ready_db()() as session:
        rows = eventlog.export_rows(session, args.sop)
    text = eventlog.to_xes(rows) if args.format == "xes" else eventlog.to_csv(rows)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"{len(rows)} kejadian ditulis ke {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _date(text: str | None, which: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"Tanggal {which} “{text}” harus berformat YYYY-MM-DD, misalnya 2025-01-31.") from None


def _minutes(x: float | None) -> str:
    return "—" if x is None else fmt.angka(x, 1)


def cmd_kpi(args) -> None:
    from lib.measure import kpi

    date_from, date_to = _date(args.date_from, "awal"), _date(args.date_to, "akhir")
    try:
        with _ready_db()() as session:
            data = kpi.summary_json(session, args.sop, date_from, date_to)
            names = {d.doc.id: d.doc.nama for d in store.active_documents(session).values()}
    except kpi.KpiError as err:
        raise CliError(str(err)) from None
    start = fmt.tanggal(date_from) if date_from else "awal data"
    period = f"{start} s.d. {fmt.tanggal(date_to) if date_to else 'hari ini'}"
    lines = [f"Kinerja langkah SOP, {period} (waktu dalam menit; kerja = jam kerja tanpa hari libur)", ""]
    head = (f"{'No':>3} {'n':>6} {'median kerja':>13} {'p90 kerja':>10} {'median kal.':>12} {'p90 kal.':>10} "
            f"{'target':>8} {'% tepat':>8} {'tunggu':>9} {'ulang':>6}")
    for sop in data["sops"]:
        lines.append(f"{names.get(sop['sop_id'], sop['sop_id'])} ({sop['sop_id']})")
        if sop["kanal"]:
            lines.append(f"Layanan: {sop['layanan']}, kanal: {sop['kanal']}")
        lines.append(f"Berkas dimulai: {fmt.angka(sop['cases_started'])}, selesai: {fmt.angka(sop['cases_completed'])}")
        lines.append(head)
        for st in sop["steps"]:
            pct = "—" if st["within_pct"] is None else fmt.angka(st["within_pct"], 1) + "%"
            lines.append(f"{st['no']:>3} {fmt.angka(st['n']):>6} {_minutes(st['median_working_min']):>13} "
                         f"{_minutes(st['p90_working_min']):>10} {_minutes(st['median_elapsed_min']):>12} "
                         f"{_minutes(st['p90_elapsed_min']):>10} {_minutes(st['target_working_min']):>8} {pct:>8} "
                         f"{_minutes(st['median_wait_working_min']):>9} {fmt.angka(st['rework_cases']):>6}")
        lines.append("")
    lines.append("Target kosong (—): target bulan/tanggal dinilai dengan kalender, atau langkah tanpa target.")
    _emit(data, args.json, "\n".join(lines))


def cmd_skm_ikm(args) -> None:
    from lib.evaluation import skm

    try:
        data = skm.cli_ikm(args.file, args.weight)
    except OSError as err:
        raise CliError(f"Berkas “{args.file}” tidak dapat dibaca ({err.strerror}).") from None
    except skm.SkmFileError as err:
        raise CliError("Berkas responden tidak dapat dipakai:\n" + "\n".join(f"- {m}" for m in err.messages)) \
            from None
    bobot = "1/9 per unsur" if args.weight == "exact" else "0,111 per unsur (cara lama)"
    lines = [f"Responden: {fmt.angka(data['respondents'])}", "NRR per unsur:"]
    lines += [f"  {u.kode} {u.nama:<40} {fmt.angka(n, 2):>5}" for u, n in zip(skm.UNSUR, data["nrr"])]
    lines += [f"IKM: {fmt.angka(data['ikm'], 2)} — mutu {data['mutu']} ({data['kinerja']}); bobot {bobot}"]
    _emit(data, args.json, "\n".join(lines))


def cmd_desa_validate(args) -> None:
    try:
        desa_cli.cmd_validate(args)
    except desa_cli.FileProblem as err:
        raise CliError(str(err)) from None


def cmd_desa_import(args) -> None:
    from lib.base.db import Desa, Kecamatan
    from lib.rentan import desa as rentan
    from lib.rentan import validasi

    try:
        data, name = desa_cli.read_file(args.file)
        with _ready_db().begin() as session:  # one transaction: a refused file or desa leaves nothing behind
            checked = rentan.check_upload(session, desa_cli.SYSTEM_ACTOR, args.desa, data, name)
            accepted = rentan.accept(session, desa_cli.SYSTEM_ACTOR, checked)
            desa = session.get(Desa, args.desa)
            kec = session.get(Kecamatan, desa.kecamatan_kode)
            label = (f"{'Kelurahan' if desa.jenis == 'kelurahan' else 'Desa'} {desa.nama}"
                     + (f", Kec. {kec.nama}" if kec else ""))
    except desa_cli.FileProblem as err:
        raise CliError(str(err)) from None
    except validasi.UploadError as err:
        raise CliError(err.message) from None
    except rentan.RentanError as err:
        raise CliError(str(err)) from None
    s = checked.validation.summary
    out = {"desa": args.desa, "file": name, "batch_id": accepted.batch_id, "already_imported": accepted.already,
           "rows_total": s.rows, "rows_imported": accepted.imported, "rows_invalid": s.invalid,
           "rows_warning": s.valid_with_warning, "candidates_updated": accepted.updated_candidates}
    n = desa_cli.angka
    if accepted.already:
        text = (f"Berkas {name} yang sama persis sudah diterima untuk {label} (batch {accepted.batch_id}, "
                f"{n(accepted.imported)} baris). Tidak ada yang berubah.")
    else:
        text = (f"{label}: {n(accepted.imported)} baris dari {name} diterima (batch {accepted.batch_id})"
                + (f", {n(s.valid_with_warning)} di antaranya dengan catatan" if s.valid_with_warning else "")
                + f"; {n(accepted.updated_candidates)} calon penerima diperbarui.")
        if s.invalid:
            text += (f"\n{n(s.invalid)} baris tidak sah dilewati; daftarnya: python -m lib desa validate "
                     f"{args.file}")
    _emit(out, args.json, text)


def cmd_workflow_docs(args) -> None:
    from lib.base import workflow

    text = workflow.docs_markdown() + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{args.output} ditulis: {len(workflow.tables())} tabel alur kerja")
    else:
        sys.stdout.write(text)


def cmd_db_roles(args) -> None:
    password = _read_password(args) if args.password_stdin else None
    done = db_roles.grant_runtime_role(owner_database_url(), args.role, password)
    lines = [f"Peran “{done.role}” {'dibuat dan ' if done.created else ''}diberi hak baris di skema “{done.schema}” "
             f"(pemilik: {done.owner}): {len(done.tables)} tabel, termasuk yang dibuat migrasi kelak.",
             f"Hanya baca dan tambah (tanpa ubah/hapus): {', '.join(done.insert_only) or '—'}.",
             f"Hanya baca: {', '.join(done.read_only) or '—'}.",
             "Pakai peran ini di DATABASE_URL aplikasi; pemilik hanya di DATABASE_OWNER_URL."]
    _emit(done.as_dict(), args.json, "\n".join(lines))


def cmd_audit_verify(args) -> int:
    """Exit 0 when the chain is intact, 1 when it is broken (2: a user error, as everywhere)."""
    with session_factory(database_url())() as session:
        report = audit_chain.verify(session, None)
    b = report.broken
    data = {"checked": report.checked, "intact": report.intact, "last_id": report.last_id,
            "last_hash": report.last_hash, "break": None if b is None else {"id": b.id, "problem": b.problem,
                                                                           "message": b.message}}
    if report.last_id is not None:
        head = f"Baris utuh terakhir: id {report.last_id}, hash {report.last_hash}."
    else:
        head = "Log audit masih kosong." if b is None else "Tidak ada baris utuh sebelum baris itu."
    if b is None:
        text = f"Log audit: {fmt.angka(report.checked)} baris diperiksa, rantai hash utuh.\n{head}"
    else:
        text = (f"Log audit: {fmt.angka(report.checked)} baris diperiksa; rantai hash PUTUS pada id {b.id}: "
                f"{b.message}.\n{head}")
    _emit(data, args.json, text)
    return 0 if report.intact else 1


def cmd_eskalasi(args) -> None:
    """Record in each case's history the steps escalated by now (idempotent; for a scheduled run)."""
    from lib.casework import escalation

    with session_factory(database_url()).begin() as session:
        done = escalation.record_all(session)
    rows = [{"register": no, "langkah": step, "ke": role} for no, step, role in done]
    from lib.base.roles import ROLES

    lines = [f"{r['register']} langkah {r['langkah']} → {ROLES[r['ke']]}" for r in rows]
    _emit(rows, args.json, f"{len(rows)} langkah dieskalasi." + ("\n" + "\n".join(lines) if lines else ""))


def cmd_iuran_bpu(args) -> None:
    got = iuran.hitung_bpu(args.penghasilan, args.jht)
    jht = f" + JHT {fmt.rupiah(got.jht)}" if args.jht else ""
    _emit(got.as_dict(), args.json, f"Penghasilan {fmt.rupiah(got.penghasilan)}: JKK {fmt.rupiah(got.jkk)} + JKM "
                                    f"{fmt.rupiah(got.jkm)}{jht} = {fmt.rupiah(got.total)} per bulan.")


def cmd_notify(args) -> None:
    from lib.kabar import pemohon, ringkasan

    factory = _ready_db()
    if args.dry_run:
        with factory() as session:
            data = [d.as_dict() for d in ringkasan.pending(session)]
            told = [n.as_dict() for n in pemohon.pending(session)[0]]
        verb = "akan dikirim"
    else:
        data = ringkasan.send(factory).as_json()
        told = [n.as_dict() for n in pemohon.send(factory)]
        verb = "dikirim"
    lines = [f"{d['username'] or 'pemohon'} <{d['email']}>: {d['subject']}" for d in data + told]
    text = "\n".join(lines + [f"{len(data)} ringkasan dan {len(told)} kabar ke pemohon {verb}"
                              + (" (uji coba: tidak ada yang dikirim atau dicatat)." if args.dry_run else ".")])
    _emit(data + told, args.json, text)


def _command(parent, name: str, help_text: str, func, *positionals: str, password: bool = False):
    """A subcommand with its positionals, ``--json`` and (where it reads one) ``--password-stdin``."""
    cmd = parent.add_parser(name, help=help_text)
    for pos in positionals:
        cmd.add_argument(pos)
    if password:
        cmd.add_argument("--password-stdin", action="store_true", help="baca kata sandi dari standar masukan")
    cmd.add_argument("--json", action="store_true", help="keluaran JSON")
    cmd.set_defaults(func=func)
    return cmd


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lib", description="Portal SOP — perintah admin")
    sub = p.add_subparsers(dest="command", required=True)

    init = _command(sub, "init", "buat/perbarui skema basis data dan muat katalog SOP", cmd_init)
    init.add_argument("--demo", action="store_true", help="buat pengguna demo bila basis data belum punya pengguna")

    sop = sub.add_parser("sop", help="katalog SOP").add_subparsers(dest="sop_command", required=True)
    _command(sop, "list", "daftar SOP", cmd_sop_list)
    _command(sop, "show", "langkah satu SOP", cmd_sop_show, "id")
    sop_export = sop.add_parser("export", help="satu revisi SOP sebagai YAML (format data/sop)")
    sop_export.add_argument("id")
    sop_export.add_argument("--revision", type=int, help="nomor revisi (bawaan: yang terbaru)")
    sop_export.add_argument("--output", help="tulis ke berkas ini (bawaan: layar)")
    sop_export.set_defaults(func=cmd_sop_export)
    sop_import = _command(sop, "import", "impor YAML sebagai revisi draf", cmd_sop_import, "file")
    sop_import.add_argument("--note", help="catatan revisi")

    _command(sub, "worktime", "menit kerja antara dua waktu (WIB, YYYY-MM-DD HH:MM)", cmd_worktime, "start", "end")
    iuran_cmd = sub.add_parser("iuran", help="iuran BPJS Ketenagakerjaan").add_subparsers(dest="iuran_command",
                                                                                          required=True)
    bpu = _command(iuran_cmd, "bpu", "iuran bulanan peserta Bukan Penerima Upah dari penghasilan yang dilaporkan",
                   cmd_iuran_bpu)
    bpu.add_argument("--penghasilan", required=True, help="penghasilan sebulan (Rp), paling sedikit 1.000.000")
    bpu.add_argument("--jht", action="store_true", help="ikut Jaminan Hari Tua (2%% dari penghasilan)")

    wf = sub.add_parser("workflow", help="tabel alur kerja (data/workflows)").add_subparsers(
        dest="workflow_command", required=True)
    wf_docs = wf.add_parser("docs", help="halaman docs/workflows.md dari tabel alur kerja")
    wf_docs.add_argument("--output", help="tulis ke berkas ini, mis. docs/workflows.md (bawaan: layar)")
    wf_docs.set_defaults(func=cmd_workflow_docs)

    users = sub.add_parser("users", help="pengguna portal").add_subparsers(dest="users_command", required=True)
    add = _command(users, "add", "tambah pengguna", cmd_users_add, "username", password=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", action="append", required=True, help="peran; boleh diulang")
    add.add_argument("--scope", help="cakupan peran lokal: desa:KODE atau bidang:KODE")
    add.add_argument("--email")
    _command(users, "list", "daftar pengguna", cmd_users_list)
    _command(users, "passwd", "atur ulang kata sandi", cmd_users_passwd, "username", password=True)
    _command(users, "disable", "nonaktifkan pengguna", cmd_users_disable, "username")

    events = sub.add_parser("events", help="log langkah (CSV/XES)").add_subparsers(dest="events_command",
                                                                                   required=True)
    imp = _command(events, "import", "impor log langkah historis dari CSV (semua atau tidak sama sekali)",
                   cmd_events_import, "file")
    imp.add_argument("--sop", help="id SOP bila berkas tidak punya kolom sop_id")
    exp = events.add_parser("export", help="ekspor log langkah untuk PM4Py, Disco atau ProM")
    exp.add_argument("--format", choices=["csv", "xes"], default="csv")
    exp.add_argument("--sop", help="hanya SOP ini")
    exp.add_argument("--output", help="tulis ke berkas ini (bawaan: standar keluaran)")
    exp.set_defaults(func=cmd_events_export)

    k = _command(sub, "kpi", "kinerja langkah SOP terhadap mutu baku (median, p90, %% tepat waktu)", cmd_kpi)
    k.add_argument("--sop", help="hanya SOP ini")
    k.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="tanggal awal (WIB, termasuk)")
    k.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="tanggal akhir (WIB, termasuk)")

    skm_cmd = sub.add_parser("skm", help="survei kepuasan masyarakat").add_subparsers(dest="skm_command",
                                                                                      required=True)
    ikm = _command(skm_cmd, "ikm", "IKM dari berkas responden (XLSX/CSV, kolom U1…U9 bernilai 1–4)", cmd_skm_ikm,
                   "file")
    ikm.add_argument("--weight", choices=["exact", "legacy"], default="exact",
                     help="exact: bobot 1/9 (aturan); legacy: 0,111 (lembar kerja lama)")

    desa_cli.add_commands(sub, cmd_desa_validate, cmd_desa_import)

    dbc = sub.add_parser("db", help="peran basis data (PostgreSQL), pindah basis data").add_subparsers(
        dest="db_command", required=True)
    _command(dbc, "roles", "beri peran aplikasi hak baris saja (jalankan sebagai pemilik tabel)", cmd_db_roles,
             "role", password=True)
    setup_cli.add_commands(sub, dbc)
    _command(sub, "eskalasi", "catat eskalasi langkah yang terlambat dua kali targetnya (aman diulang)", cmd_eskalasi)
    aud = sub.add_parser("audit", help="log audit").add_subparsers(dest="audit_command", required=True)
    _command(aud, "verify", "periksa rantai hash log audit (keluar 0: utuh, 1: putus)", cmd_audit_verify)
    notify = _command(sub, "notify", "kirim ringkasan pekerjaan lewat surel ke setiap pengguna (untuk cron)",
                      cmd_notify)
    notify.add_argument("--dry-run", action="store_true", help="tampilkan yang akan dikirim; tidak kirim, tidak catat")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (CliError, UserError) as err:  # every error a user can cause, the catalogue's refusals among them
        print(f"Galat: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
