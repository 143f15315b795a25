"""Run the admin CLI in this process, as ``python -m lib ...`` would (one real subprocess test remains in
test_cli.py): starting Python, pandas and SQLAlchemy for every command made the suite slow."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, url: str, stdin: str | None = None, env_extra: dict | None = None) -> Result:
    """``python -m lib *args`` with DATABASE_URL=url (and env_extra), its exit code and output."""
    from lib.__main__ import main

    env = {"DATABASE_URL": url, **(env_extra or {})}
    saved = {k: os.environ.get(k) for k in env}
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    try:
        os.environ.update(env)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse's own usage errors
                code = stop.code if isinstance(stop.code, int) else 2
    finally:
        sys.stdin = old_stdin
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(code, out.getvalue(), err.getvalue())


def run_process(*args: str, url: str) -> subprocess.CompletedProcess:
    """The real thing, in a new Python process."""
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                          capture_output=True, text=True, timeout=120)
