"""Benchmark: the one spreadsheet reader (lib/base/rows.py) on the files that broke the old readers, beside
pandas reading the same file, each in a new process.

    python bench/reader_bench.py [--repeat 3] [--only NAME]

Files, made in ``bench/out/`` once (raw sheet XML written through zipfile: seconds, not minutes):

* ``juta``: an XLSX of 1,048,576 rows (every row Excel allows) of NIK, Nama, Status — about 11 MB;
* ``csv100``: a 100 MB CSV of the same columns (about 1.4 million rows);
* ``csv24``: a 24 MB CSV of 100,000 rows (the upload limit is 25 MB; the row limit is 100,000), accepted;
* ``jauh``: a 1.5 KB XLSX with one cell at A1 and one at XFD1048576.

For each file, alternately: the portal (``validasi.read_upload`` and, when the file is accepted,
``validasi.validate``) and the peer (``pandas.read_excel(engine="calamine")`` or ``pandas.read_csv`` of the
same file, everything as text). Printed per command: wall and CPU (user + system, the process and the
children it waited for) as median of ``--repeat`` runs, the peak RSS of the process itself (VmHWM), the
largest of its children (the portal reads Excel files in a child process), and the outcome. Ratios are
portal / peer of the medians.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
NIK = "3201014101900002"

_PORTAL = """
import json, re, resource, sys
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
from lib.rentan import validasi
data = open(sys.argv[1], "rb").read()
try:
    result = validasi.validate(validasi.read_upload(data, sys.argv[1]))
    outcome = f"diterima: {len(result.rows)} baris, {len(result.valid_rows)} sah"
except validasi.UploadError as err:
    outcome = "ditolak: " + str(err)[:90]
print(json.dumps({"self_mb": hwm(), "outcome": outcome}))
"""

_PEER = """
import json, re, sys
import pandas as pd
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
path = sys.argv[1]
if path.endswith(".csv"):
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
else:
    frame = pd.read_excel(path, engine="calamine", dtype=str)
print(json.dumps({"self_mb": hwm(), "outcome": f"{len(frame)} baris dibaca"}))
"""


def _xlsx(path: Path, rows, far: bool = False) -> None:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types xmlns="{pkg}/content-types"><Default '
                   'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}/relationships"><Relationship '
                   f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                   '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>'.encode())
            for r, values in rows:
                cells = "".join(f'<c r="{chr(65 + j)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                                for j, v in enumerate(values))
                f.write(f'<row r="{r}">{cells}</row>'.encode())
            if far:
                f.write(b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
            f.write(b"</sheetData></worksheet>")


def make_files() -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"juta": OUT / "baca_juta.xlsx", "csv100": OUT / "baca_100mb.csv", "csv24": OUT / "baca_24mb.csv",
             "jauh": OUT / "baca_jauh.xlsx"}
    if not files["juta"].exists():
        _xlsx(files["juta"], [(1, ("NIK", "Nama", "Status"))]
              + [(r, (NIK, f"Orang {r}", "Valid")) for r in range(2, 1_048_577)])
    if not files["csv100"].exists():
        with files["csv100"].open("w", encoding="utf-8") as f:
            f.write("NIK;Nama;Alamat;Status\n")
            i = 0
            while f.tell() < 100 * 2**20:
                f.writelines(f"{NIK};Orang {i + k};Jl. Mawar No. {k};Valid\n" for k in range(10_000))
                i += 10_000
    if not files["csv24"].exists():
        note = "keterangan panjang " * 7
        with files["csv24"].open("w", encoding="utf-8") as f:
            f.write("NIK;Nama;Alamat;Status;Keterangan\n")
            f.writelines(f"32010141019{i:05d};Siti Aminah binti Abdullah;Jl. Mawar Merah No. 12 RT 01 RW 02 "
                         f"Dusun Krajan;Valid;{note}\n" for i in range(100_000))
    if not files["jauh"].exists():
        _xlsx(files["jauh"], [(1, ("NIK", "Nama", "Status"))], far=True)
    return files


def run(script: str, path: Path) -> dict:
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    try:
        got = json.loads(out)
    except ValueError:
        got = {"self_mb": float("nan"), "outcome": f"proses berhenti (kode keluar {code})"}
    # ru_maxrss of wait4 is the largest of the process and the children it waited for.
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "self_mb": got["self_mb"],
            "max_mb": usage.ru_maxrss / 1024, "outcome": got["outcome"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only")
    args = ap.parse_args()
    t0 = time.monotonic()
    files = make_files()
    from importlib.metadata import version  # noqa: PLC0415

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, python-calamine {version('python-calamine')}, pandas {version('pandas')}, "
          f"load average "
          f"{os.getloadavg()[0]:.2f}; files ready in {time.monotonic() - t0:.1f} s")
    for name, path in files.items():
        if args.only and name != args.only:
            continue
        runs = {"portal": [], "pandas": []}
        for _ in range(args.repeat):
            runs["portal"].append(run(_PORTAL, path))
            runs["pandas"].append(run(_PEER, path))
        print(f"\n{name}: {path.name}, {path.stat().st_size / 2**20:.1f} MB")
        med = {}
        for who, rs in runs.items():
            med[who] = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "self_mb", "max_mb")}
            m = med[who]
            print(f"  {who:6}  wall {m['wall']:6.2f} s  CPU {m['cpu']:6.2f} s  peak: process {m['self_mb']:7.0f} MB, "
                  f"with its children {m['max_mb']:7.0f} MB  → {rs[-1]['outcome']}")
        p, q = med["portal"], med["pandas"]
        print(f"  portal/pandas: wall {p['wall'] / q['wall']:.2f}×, CPU {p['cpu'] / q['cpu']:.2f}×, "
              f"peak of the process {p['self_mb'] / q['self_mb']:.2f}×")


if __name__ == "__main__":
    main()
