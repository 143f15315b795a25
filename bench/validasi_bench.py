"""Benchmark: a 100,000-row village validation file, checked by the CLI and imported into a database.

    python bench/validasi_bench.py [--rows 100000] [--repeat 3] [--database-url postgresql://...]
                                   [--profile]

1. Makes a realistic village XLSX in ``bench/out/`` (openpyxl, write-only; made once and reused while the
   generator's parameters stay the same): three letterhead/title rows and a blank row above the header on
   row 5, the template's columns (No, NIK, Nama Lengkap, Tanggal Lahir, Jenis Kelamin, Alamat, Status,
   Keterangan), NIKs written as text except about 3 % typed as numbers (a few of those ending in 0, which
   Excel may have damaged), birth dates mostly date cells and some typed as text, statuses in the village's
   own spelling, about 2 % bad rows (NIK too short, repeated NIK, empty name, misspelt status), some birth
   dates and sexes that disagree with the NIK (warnings), and a signature block under the data.
2. ``python -m lib desa validate FILE --json`` as a new process (what an operator or script runs): wall time
   (minimum and median of ``--repeat`` runs) and the child's peak RSS. Target ≤ 3 s, ≤ 1 GB.
3. The same work in this process, split: ``validasi.read_upload``, ``validasi.validate``,
   ``validasi.error_report`` (``--profile`` prints cProfile's top functions of read + validate).
4. Import into a fresh database (SQLite file; PostgreSQL too with ``--database-url`` naming a database in
   which a schema is created and dropped): ``rentan.check_upload`` + ``rentan.accept`` in one transaction,
   in a new process through ``python -m lib desa import FILE --desa KODE`` (wall time, peak RSS) and in this
   process split into check, accept and commit. Target ≤ 10 s.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
#: Bytecode is cached as in a deployment, whatever PYTHONDONTWRITEBYTECODE says (under it every child would
#: compile the project's modules again); the first child of a kind writes the caches.
PYC = tempfile.mkdtemp(prefix="validasi-bench-pyc-")
DESA = "karang-dalo"
GENERATOR_VERSION = 1

FIRST = ("Siti", "Sri", "Tri", "Dwi", "Eko", "Budi", "Agus", "Joko", "Slamet", "Sugeng", "Wahyu", "Dewi", "Rina",
         "Yuli", "Endang", "Bambang", "Heru", "Sutarni", "Parni", "Wartini", "Mulyono", "Tukiyem", "Ahmad", "Nur")
LAST = ("Aminah", "Lestari", "Susilo", "Riyadi", "Hartono", "Raharjo", "Wahyuni", "Rahayu", "Setiawan",
        "Purnomo", "Handayani", "Saputra", "Santoso", "Kurniawan", "Utami", "Prasetyo", "", "")
STATUS = (("Valid", 70), ("valid", 6), ("Layak", 5), ("VALID ", 2), ("Tidak Valid", 5), ("Tidak Layak", 2),
          ("Meninggal", 4), ("Pindah", 4), ("Sudah Terdaftar BPJS", 2))
HEADERS = ("No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Status", "Keterangan")


def make_rows(n: int, seed: int = 6) -> list[list]:
    """The data rows (values as a village's Excel holds them)."""
    rnd = random.Random(seed)
    statuses = [s for s, w in STATUS for _ in range(w)]
    rows: list[list] = []
    niks: list[str] = []
    for i in range(1, n + 1):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randrange(0, 365 * 55))
        woman = rnd.random() < 0.5
        day = born.day + (40 if woman else 0)
        nik = f"3313{rnd.randrange(1, 18):02d}{day:02d}{born:%m%y}{rnd.randrange(1, 10000):04d}"
        niks.append(nik)
        nik_cell: object = nik
        born_cell: object = born
        sex = "P" if woman else "L"
        status = rnd.choice(statuses)
        ket = None
        u = rnd.random()
        if u < 0.03:
            nik_cell = int(nik)               # typed as a number (a warning, or an error when it ends in 0)
        elif u < 0.036:
            nik_cell = nik[:15]               # a digit lost
        elif u < 0.041 and len(niks) > 10:
            nik_cell = rnd.choice(niks[:-1])  # the same person twice
        v = rnd.random()
        if v < 0.10:
            born_cell = f"{born:%d-%m-%Y}"    # typed as text
        elif v < 0.12:
            born_cell = born.replace(year=born.year - 1) if (born.month, born.day) != (2, 29) else born
        elif v < 0.125:
            born_cell = "tidak tahu"
        w = rnd.random()
        if w < 0.01:
            sex = "L" if woman else "P"       # disagrees with the NIK: a warning
        elif w < 0.2:
            sex = "Perempuan" if woman else "Laki-laki"
        nama: object = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}".strip().upper()
        if rnd.random() < 0.003:
            nama = None
        if rnd.random() < 0.005:
            status = rnd.choice(("Menigal", "Pindh", "-", "Tdk valid"))
        if status.startswith(("Tidak", "Meninggal", "Pindah")) and rnd.random() < 0.7:
            ket = rnd.choice(("Pindah ke Desa Sukamaju", "Meninggal Maret 2024", "Sudah bekerja di pabrik",
                              "Tidak ditemukan di alamat"))
        rows.append([i, nik_cell, nama, born_cell, sex, f"Dusun {rnd.choice(('Krajan', 'Kulon', 'Wetan', 'Lor'))} "
                     f"RT {rnd.randrange(1, 12):03d} RW {rnd.randrange(1, 6):03d}", status, ket])
    return rows


def make_file(n: int) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"validasi_{n}_v{GENERATOR_VERSION}.xlsx"
    if path.exists():
        return path
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Validasi")
    bold = Font(bold=True)

    def title(text):
        c = WriteOnlyCell(ws, value=text)
        c.font = bold
        return [c]

    ws.append(title("PEMERINTAH KABUPATEN KARANGANYAR"))
    ws.append(title("DESA KARANG DALO, KECAMATAN JATIPURO"))
    ws.append(title("DAFTAR VALIDASI CALON PENERIMA BANTUAN IURAN BPJS KETENAGAKERJAAN TAHUN 2026"))
    ws.append([])
    ws.append([WriteOnlyCell(ws, value=h) for h in HEADERS])
    date_fmt = "DD-MM-YYYY"
    for row in make_rows(n):
        nik = WriteOnlyCell(ws, value=row[1])
        if isinstance(row[1], str):
            nik.number_format = "@"
        born = WriteOnlyCell(ws, value=row[3])
        if isinstance(row[3], dt.date):
            born.number_format = date_fmt
        ws.append([row[0], nik, row[2], born, *row[4:]])
    ws.append([])
    ws.append([None, None, None, None, None, "Karang Dalo, 20 November 2026"])
    ws.append([None, None, None, None, None, "Kepala Desa Karang Dalo"])
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.rename(path)
    return path


def run_child(args: list[str], env: dict | None = None) -> tuple[float, int, int, str, str, float]:
    """(wall seconds, peak RSS in MB, exit code, stdout, stderr, CPU seconds: user + system) of ``python args``."""
    # The peak RSS is the child's own, as GNU time reports it: a child forked straight from this process would
    # start with this process's peak (Linux keeps the high-water mark across fork and exec).
    timer = ["/usr/bin/time", "-f", "PEAK_KB %M"] if os.path.exists("/usr/bin/time") else []
    t0 = time.perf_counter()
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": PYC}
    proc = subprocess.Popen([*timer, sys.executable, *args], cwd=ROOT, env={**base, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read both pipes to the end first (a large --json output would fill the pipe), then reap with wait4.
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = err.decode()
    peak = int(usage.ru_maxrss / 1024)
    if timer and "PEAK_KB " in text:
        text, _, kb = text.rpartition("PEAK_KB ")
        peak = int(kb.split()[0]) // 1024
    return wall, peak, proc.returncode, out.decode(), text, usage.ru_utime + usage.ru_stime


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def timed2(fn):
    """(result, (wall seconds, CPU seconds of this process))."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - t0, time.process_time() - c0)


def fresh_database(url: str) -> None:
    from lib.base import db
    from lib.setup import database as setup
    setup.init(url)  # schema, catalogue; demo=False: no users, no history
    from lib.rentan import desa as rentan
    with db.session_factory(url).begin() as s:
        rentan.seed_demo(s)  # the demo regency's kecamatan and desa (and a few candidates)
    db.get_engine(url).dispose()


def bench_import(label: str, fresh, path: Path, repeat: int) -> None:
    """``fresh()`` is a context manager giving the URL of a freshly initialised database (not timed)."""
    import json

    from lib.base import db
    from lib.rentan import desa as rentan
    from lib.rentan.cli import SYSTEM_ACTOR

    data = path.read_bytes()
    walls, cpus, rss = [], [], []
    for _ in range(repeat):
        with fresh() as url:
            wall, peak, code, out, err, cpu = run_child(
                ["-m", "lib", "desa", "import", str(path), "--desa", DESA, "--json"], {"DATABASE_URL": url})
        assert code == 0, err
        walls.append(wall)
        cpus.append(cpu)
        rss.append(peak)
    result = json.loads(out)
    print(f"{label}: python -m lib desa import: wall min {min(walls):.2f} s / median {statistics.median(walls):.2f} s "
          f"(CPU min {min(cpus):.2f} s), peak RSS {max(rss)} MB; {result['rows_imported']:,} rows imported")
    splits = []
    for _ in range(repeat):
        with fresh() as url:
            session = db.session_factory(url)()
            checked, t_check = timed(lambda: rentan.check_upload(session, SYSTEM_ACTOR, DESA, data, path.name))
            accepted, t_accept = timed(lambda: rentan.accept(session, SYSTEM_ACTOR, checked))
            _, t_commit = timed(session.commit)
            session.close()
            db.get_engine(url).dispose()
        splits.append((t_check, t_accept, t_commit))
    best = min(splits, key=sum)
    print(f"  in process: check_upload {best[0]:.2f} s + accept {best[1]:.2f} s + commit {best[2]:.2f} s "
          f"= {sum(best):.2f} s (best of {repeat}); {accepted.imported:,} rows")

PEER_IMPORT = """
import sqlite3, sys
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_name("Validasi").to_python(skip_empty_area=False)
body = [r[:8] for r in rows[5:] if len(r) > 1 and r[1] not in ("", None)]
con = sqlite3.connect(sys.argv[2])
con.execute("CREATE TABLE baris (excel_row INTEGER, nik TEXT, nama TEXT, tanggal_lahir TEXT, jenis_kelamin TEXT, "
            "alamat TEXT, status TEXT, keterangan TEXT, warnings TEXT)")
con.executemany("INSERT INTO baris VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(i + 6, str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), str(r[7]), "[]")
                 for i, r in enumerate(body)])
con.commit()
print(len(body))
"""


def bench_import_peer(path: Path, repeat: int) -> tuple[float, float, int]:
    """The peer of ``desa import`` on SQLite, as its own process: calamine reads the sheet, sqlite3 inserts every
    data row with one executemany and commits (no checking at all). (CPU median, wall median, peak RSS MB)."""
    cpus, walls, rss = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            wall, peak, code, out, err, cpu = run_child(["-c", PEER_IMPORT, str(path), f"{tmp}/peer.db"])
        assert code == 0, err
        cpus.append(cpu)
        walls.append(wall)
        rss.append(peak)
    return statistics.median(cpus), statistics.median(walls), max(rss)


def peer_report(upload, validation) -> bytes:
    """The peer of the error report: openpyxl's write-only workbook given the same rows' values and reasons
    (one ``append`` per row, no styles, no summary sheet)."""
    from openpyxl import Workbook

    reasons = {rr.excel_row: "; ".join(p.reason for p in rr.problems) for rr in validation.rows if rr.problems}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Data")
    ws.append(list(upload.headings) + ["Alasan"])
    for r in sorted((*upload.rows, *upload.ignored), key=lambda r: r.excel_row):
        ws.append(list(r.cells) + [reasons.get(r.excel_row)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@contextlib.contextmanager
def sqlite_fresh(template: str):
    """A copy of the initialised SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(template, f"{tmp}/bench.db")
        yield f"sqlite:///{tmp}/bench.db"
        from lib.base import db
        db.get_engine(f"sqlite:///{tmp}/bench.db").dispose()


@contextlib.contextmanager
def postgres_fresh(base_url: str):
    """A new schema in ``base_url``, initialised (migrations, catalogue, demo desa) and dropped afterwards (the
    imported rows are append-only: the database refuses to delete them, so each run gets its own schema)."""
    from sqlalchemy import create_engine, text

    from lib.base import db
    schema = f"validasi_bench_{os.getpid()}_{time.monotonic_ns()}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    url = f"{base_url}{sep}options=-csearch_path%3D{schema}"
    try:
        fresh_database(url)
        yield url
    finally:
        db.get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database-url", help="a PostgreSQL database in which a schema is created and dropped")
    ap.add_argument("--profile", action="store_true", help="cProfile of read_upload + validate")
    ap.add_argument("--parts", default="validate,inprocess,import",
                    help="comma-separated: validate (the CLI's desa validate), inprocess (read, check, error report "
                         "beside its peer), import (desa import beside its peer)")
    args = ap.parse_args()

    from importlib.metadata import version

    import python_calamine

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    print(f"machine: {os.cpu_count()} cores, {cpu}, {mem / 1024 / 1024:.0f} GiB RAM, Python "
          f"{platform.python_version()}, python-calamine {version('python-calamine')}, openpyxl {version('openpyxl')}, "
          f"load average {os.getloadavg()[0]:.2f}")

    path, t_make = timed(lambda: make_file(args.rows))
    print(f"file: {path.relative_to(ROOT)}, {path.stat().st_size / 1e6:.1f} MB, {args.rows:,} data rows "
          f"(made or found in {t_make:.1f} s)")

    parts = set(args.parts.split(","))
    import json

    from lib.rentan import validasi
    data = path.read_bytes()
    if "inprocess" in parts or "import" in parts:
        upload = validasi.read_upload(data, path.name)
        result = validasi.validate(upload)
    if "inprocess" in parts:
        project, peer = [], []
        for _ in range(args.repeat):  # alternately, CPU seconds of this process
            project.append(timed2(lambda: validasi.error_report(upload, result))[1][1])
            peer.append(timed2(lambda: peer_report(upload, result))[1][1])
        print(f"error report of all {len(upload.rows):,} rows: validasi.error_report CPU median "
              f"{statistics.median(project):.2f} s; peer (openpyxl write-only, values only) CPU median "
              f"{statistics.median(peer):.2f} s; ratio {statistics.median(project) / statistics.median(peer):.2f}×")
    if "import" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            fresh_database(f"sqlite:///{tmp}/fresh.db")
            with sqlite_fresh(f"{tmp}/fresh.db") as url:  # untimed: writes the bytecode caches
                run_child(["-m", "lib", "desa", "import", str(path), "--desa", DESA, "--json"], {"DATABASE_URL": url})
            cpus, walls, rss = [], [], []
            for _ in range(args.repeat):
                with sqlite_fresh(f"{tmp}/fresh.db") as url:
                    wall, peak, code, out, err, cpu = run_child(
                        ["-m", "lib", "desa", "import", str(path), "--desa", DESA, "--json"], {"DATABASE_URL": url})
                assert code == 0, err
                cpus.append(cpu)
                walls.append(wall)
                rss.append(peak)
            p_cpu, p_wall, p_rss = bench_import_peer(path, args.repeat)
        cpu = statistics.median(cpus)
        print(f"SQLite import as its own process: python -m lib desa import CPU median {cpu:.2f} s, wall median "
              f"{statistics.median(walls):.2f} s, peak RSS {max(rss)} MB; peer (calamine + sqlite3 executemany) CPU "
              f"median {p_cpu:.2f} s, wall median {p_wall:.2f} s, peak RSS {p_rss} MB; ratio CPU {cpu / p_cpu:.2f}×")
    if "validate" not in parts:
        return

    # 1. the CLI as its own process
    walls, cpus, rss = [], [], []
    for _ in range(args.repeat):
        wall, peak, code, out, err, cpu = run_child(["-m", "lib", "desa", "validate", str(path), "--json"])
        assert code == 0, err
        walls.append(wall)
        cpus.append(cpu)
        rss.append(peak)
    report = json.loads(out)
    print(f"python -m lib desa validate --json: wall min {min(walls):.2f} s / median {statistics.median(walls):.2f} s "
          f"(CPU min {min(cpus):.2f} s), peak RSS {max(rss)} MB")
    print(f"  rows_total {report['rows_total']:,}, rows_valid {report['rows_valid']:,}, rows_invalid "
          f"{report['rows_invalid']:,}, rows_warning {report['rows_warning']:,}, "
          f"{len(report['errors']):,} errors listed")
    start = min(run_child(["-m", "lib", "desa", "validate", "/nonexistent.xlsx"])[0] for _ in range(args.repeat))
    bare = min(run_child(["-c", "pass"])[0] for _ in range(args.repeat))
    print(f"  start-up (the same command on a missing file) {start:.2f} s, of which Python itself {bare:.2f} s")

    # 2. in this process, split (wall and CPU seconds, minimum of --repeat runs)
    from lib.rentan import validasi
    data = path.read_bytes()
    reads, checks = [], []
    for _ in range(args.repeat):
        upload, t_read = timed2(lambda: validasi.read_upload(data, path.name))
        result, t_val = timed2(lambda: validasi.validate(upload))
        reads.append(t_read)
        checks.append(t_val)
    print(f"in process: read_upload min {min(r[0] for r in reads):.2f} s (CPU {min(r[1] for r in reads):.2f} s), "
          f"validate min {min(c[0] for c in checks):.2f} s (CPU {min(c[1] for c in checks):.2f} s)")
    raw = [timed2(lambda: python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
                  .get_sheet_by_name("Validasi").to_python(skip_empty_area=False))[1] for _ in range(args.repeat)]
    print(f"  for scale: calamine alone (to_python of the sheet) min {min(r[0] for r in raw):.2f} s "
          f"(CPU {min(r[1] for r in raw):.2f} s)")
    import pandas as pd
    frame = [timed2(lambda: pd.read_excel(io.BytesIO(data), engine="calamine", header=4, dtype=str))[1]
             for _ in range(args.repeat)]
    print(f"  for scale: pandas.read_excel(engine='calamine') min {min(r[0] for r in frame):.2f} s "
          f"(CPU {min(r[1] for r in frame):.2f} s)")
    report_bytes, (t_rep, c_rep) = timed2(lambda: validasi.error_report(upload, result))
    print(f"  error_report of all {len(upload.rows):,} rows: {t_rep:.2f} s (CPU {c_rep:.2f} s; "
          f"{len(report_bytes) / 1e6:.1f} MB; CPU {c_rep / len(upload.rows) * 5000:.2f} s per 5,000 rows)")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        validasi.validate(validasi.read_upload(data, path.name))
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    upload = result = report_bytes = None  # free the 100,000 rows before the next part

    # 3. import
    with tempfile.TemporaryDirectory() as tmp:
        fresh_database(f"sqlite:///{tmp}/fresh.db")
        bench_import("SQLite", lambda: sqlite_fresh(f"{tmp}/fresh.db"), path, args.repeat)
    if args.database_url:
        bench_import("PostgreSQL", lambda: postgres_fresh(args.database_url), path, args.repeat)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
