"""Benchmark: how long the Dasbor kinerja page takes to open, as Kepala Dinas, on the demo history.

    python bench/dashboard_page_bench.py [--repeat 5]

Runs the whole app script (Home.py: login gate, navigation, then the dashboard page with its default
filter — this month, every SOP — and its first tab) with Streamlit's AppTest in a fresh demo database
(two years of demo history). "First open" is the first run in the process for that filter (the figures
are computed); "again" is a later run with no write in between (the figures are kept per data version), as
when a user clicks back to the page. Every run must draw without an exception.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
os.environ["PORTAL_DEMO_HISTORY"] = "1"


def open_dashboard(at_cls):
    from lib.base import accounts, sessions
    from lib.base.db import session_factory
    from lib.ui.auth import SESSION_TOKEN

    at = at_cls.from_file(str(ROOT / "Home.py"), default_timeout=120)
    with session_factory(os.environ["DATABASE_URL"]).begin() as s:  # logged in, as by the login form
        at.session_state[SESSION_TOKEN] = sessions.open_session(s, accounts.load_actor(s, "kadis").user_id,
                                                                "127.0.0.1")
    at.run()
    page = next(h for h, info in at._registered_pages.items() if info.get("url_pathname") == "dasbor")
    at._page_hash = page
    started = time.perf_counter()
    at.run()
    took = time.perf_counter() - started
    assert not at.exception, at.exception
    assert any(m.label == "Berkas selesai" for m in at.metric)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/portal.db"
        from streamlit.testing.v1 import AppTest

        from lib.setup import database as setup

        started = time.perf_counter()
        report = setup.init(os.environ["DATABASE_URL"], demo=True)
        print(f"demo database: {report.demo_cases:,} cases in {time.perf_counter() - started:.2f} s")
        first = open_dashboard(AppTest)
        again = [open_dashboard(AppTest) for _ in range(args.repeat)]
        print(f"dashboard page as Kepala Dinas, this month, all SOPs: first open {first:.2f} s; "
              f"again min {min(again):.2f} s / median {statistics.median(again):.2f} s")


if __name__ == "__main__":
    main()
