"""The admin CLI, run as a user would: python -m lib ..."""
import json
import os
import subprocess
import sys

import pytest

from lib.catalogue import model as catalog

from .cli import ROOT, run, run_process


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    u = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    assert run("init", url=u).returncode == 0
    return u


def test_worktime_across_nyepi_and_idul_fitri_is_90_minutes_because_27_march_fell_in_ramadan(url):
    out = run_process("worktime", "2025-03-27 15:00", "2025-04-08 09:00", "--json", url=url)
    assert out.returncode == 0 and json.loads(out.stdout) == {"working_minutes": 90}


def test_worktime_gives_ramadan_hours_on_a_ramadan_day_and_450_in_may(url):
    ramadan = run_process("worktime", "2026-03-04 07:30", "2026-03-04 16:00", "--json", url=url)
    may = run_process("worktime", "2026-05-06 07:30", "2026-05-06 16:00", "--json", url=url)
    assert json.loads(ramadan.stdout) == {"working_minutes": 390} and json.loads(may.stdout) == {"working_minutes": 450}


def test_worktime_refuses_a_badly_written_time_in_indonesian(url):
    out = run("worktime", "27/03/2025", "2025-04-08 09:00", url=url)
    assert out.returncode == 2 and "YYYY-MM-DD HH:MM" in out.stderr and "Traceback" not in out.stderr


def test_sop_list_gives_every_document(url):
    out = run("sop", "list", "--json", url=url)
    rows = json.loads(out.stdout)
    assert {r["id"] for r in rows} == set(catalog.load_catalog())
    assert all(set(r) == {"id", "nama", "nomor", "jenis", "steps"} for r in rows)
    ak1 = next(r for r in rows if r["id"] == "kartu-ak1")
    assert ak1 == {"id": "kartu-ak1", "nama": "Penerbitan Kartu Pencari Kerja (AK1)",
                   "nomor": "503/48/SOP.TK/DISPMPTSPTK/2024", "jenis": "sop", "steps": 6}


def test_sop_list_as_its_own_process_loads_neither_pandas_nor_alembic_nor_the_spreadsheet_writers(url):
    # Loading these took most of every command's start-up; a command that needs one of them loads it itself.
    heavy = ("pandas", "numpy", "openpyxl", "alembic", "holidays", "cryptography", "streamlit")
    code = ("import runpy, sys\n"
            "sys.argv = ['lib', 'sop', 'list', '--json']\n"
            "try:\n"
            "    runpy.run_module('lib', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as stop:\n"
            "    assert not stop.code, stop.code\n"
            f"print('LOADED', sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert {r["id"] for r in json.loads(out.stdout)} == set(catalog.load_catalog())
    assert out.stderr.strip().splitlines()[-1] == "LOADED []"


def test_sop_show_reports_steps_actors_and_targets(url):
    data = json.loads(run("sop", "show", "pbi-jk", "--json", url=url).stdout)
    assert data["id"] == "pbi-jk" and len(data["steps"]) == 8
    first = data["steps"][0]
    assert set(first) == {"no", "kegiatan", "pelaksana", "waktu", "target"}
    assert first["target"] == {"value": 1, "max": 15, "unit": "tanggal"}
    assert data["steps"][6]["target"] == {"value": 2, "max": 3, "unit": "jam"}
    assert data["steps"][7]["target"] is None


def test_sop_show_agrees_with_the_catalogue_for_every_sop(url):
    for doc in catalog.load_catalog().values():
        if doc.jenis != "sop":
            continue
        data = json.loads(run("sop", "show", doc.id, "--json", url=url).stdout)
        assert [(s["no"], s["pelaksana"], s["waktu"] or "") for s in data["steps"]] == \
            [(s.no, s.pelaksana, s.waktu) for s in doc.langkah]


def test_sop_show_of_an_unknown_id_says_so(url):
    out = run("sop", "show", "tidak-ada", url=url)
    assert out.returncode == 2 and "tidak ada" in out.stderr


def test_the_help_of_every_command_prints():
    """argparse reads '%' in a help text as a format: one stray '%' crashed python -m lib --help."""
    import contextlib
    import io

    from lib.__main__ import build_parser

    parser = build_parser()
    parsers = [parser]
    for action in parser._subparsers._group_actions:
        for sub in action.choices.values():
            parsers.append(sub)
            parsers += [p for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"
                        for p in a.choices.values()]
    for p in parsers:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            p.print_help()
        assert "usage:" in out.getvalue()
