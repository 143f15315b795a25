"""Benchmark: every page's script run (AppTest) and a full page load in Chromium, beside a one-line page.

    python bench/pages_bench.py [--repeat 5] [--browser-repeat 5] [--top 8] [--also PATH:USER ...]

In a fresh SQLite demo database (two years of demo history, as the app's first start makes it):

1. AppTest: the whole app script (Home.py: login gate, navigation, the page) of every page, as every demo user of
   :data:`USERS` who can open it (a page shows each role its own content); each page is reported as the user for
   whom it costs most. "first" is the first run of the page in the process; "warm" the median of
   ``--repeat`` further runs: CPU time of this process (``time.process_time``: the script runs in a thread of
   it) and wall time. The peer, in the same process, is a one-line page (``st.title``) run the same way.
2. Browser: two Streamlit servers (``streamlit run``, headless) — the portal on that database and the one-line
   page — and Debian's Chromium driven by Playwright. For the ``--top`` pages with the largest warm AppTest CPU,
   each as its user (logged in once through the form; the session cookie then restores the login), the time
   from ``page.goto`` of the page's address to the app being idle (its title drawn, connected, script not
   running), the median of ``--browser-repeat`` loads, each in a fresh tab; and the same for the one-line page.
   The ratio of the two medians is the figure to compare (the goal is ≤ 1.5×). A second peer is the same
   one-line page as the one page of an ``st.navigation`` app opened at ``/halaman``: a deep link costs any
   Streamlit app a first look for the server under the page's path; its ratio is printed beside.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
os.environ["PORTAL_DEMO_HISTORY"] = "1"

USERS = ("kadis", "kabidsos", "staf", "operator", "evaluator", "admin")
ONE_LINE = 'import streamlit as st\nst.title("Halo")\n'
#: The second peer: the same one-line page as the one page of an ``st.navigation`` app, opened at its own
#: address (``/halaman``) as the portal's pages are. Streamlit's browser code first looks for the server under
#: the page's path (``/halaman/_stcore/health``) and only then under ``/``: a deep link costs that on any app.
ONE_LINE_DEEP = ('import streamlit as st\n\ndef halaman():\n    st.title("Halo")\n\n'
                 'st.navigation([st.Page(halaman, title="Halo", url_path="halaman")], position="hidden").run()\n')
IDLE = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def timed_run(at) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    at.run()
    return time.process_time() - c, time.perf_counter() - w


def logged_in(user: str):
    from streamlit.testing.v1 import AppTest

    from lib.base import accounts, sessions
    from lib.base.db import session_factory
    from lib.ui.auth import SESSION_TOKEN

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    with session_factory(os.environ["DATABASE_URL"]).begin() as s:
        at.session_state[SESSION_TOKEN] = sessions.open_session(s, accounts.load_actor(s, user).user_id, "127.0.0.1")
    at.run()
    assert not at.exception, at.exception
    return at


def apptest_part(repeat: int) -> dict[str, tuple[str, float, float, float]]:
    """url path → (user, first CPU s, warm CPU median s, warm wall median s); prints a table."""
    from streamlit.testing.v1 import AppTest

    one = AppTest.from_string(ONE_LINE)
    timed_run(one)
    peer = [timed_run(one) for _ in range(repeat)]
    peer_cpu, peer_wall = statistics.median(p[0] for p in peer), statistics.median(p[1] for p in peer)
    print(f"AppTest, one-line page (peer): warm CPU median {peer_cpu:.3f} s, wall median {peer_wall:.3f} s")
    out: dict[str, tuple[str, float, float, float]] = {}
    for user in USERS:
        at = logged_in(user)
        pages = {info["url_pathname"]: h for h, info in at._registered_pages.items()}
        for path, page_hash in sorted(pages.items()):
            at._page_hash = page_hash
            first = timed_run(at)
            assert not at.exception, (path, user, at.exception)
            if not at.title:  # not a page of this user's (the "not found / no access" notice has no title)
                continue
            warm = [timed_run(at) for _ in range(repeat)]
            mine = (user, first[0], statistics.median(w[0] for w in warm), statistics.median(w[1] for w in warm))
            if path not in out or mine[2] > out[path][2]:
                out[path] = mine
    print(f"{'page':<34} {'user':<10} {'first CPU':>9} {'warm CPU':>9} {'warm wall':>9}  ≤ 0.3 s")
    for path, (user, first, cpu, wall) in sorted(out.items(), key=lambda kv: -kv[1][2]):
        print(f"{path or '(beranda)':<34} {user:<10} {first:9.3f} {cpu:9.3f} {wall:9.3f}  "
              f"{'ya' if cpu <= 0.3 else 'TIDAK'}")
    over = [p for p, v in out.items() if v[2] > 0.3]
    print(f"{len(out)} pages; warm CPU median over 0.3 s: {', '.join(over) or 'none'}")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: Path, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{script} did not answer /_stcore/health within 120 s")


def load_time(context, url: str) -> float:
    """Seconds from goto to idle with the page's title drawn, in a fresh tab of ``context``."""
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url)
        page.locator("h1").first.wait_for(timeout=120_000)
        page.wait_for_selector(IDLE, timeout=120_000)
        return time.perf_counter() - start
    finally:
        page.close()


def browser_part(pages: dict[str, tuple[str, float, float, float]], top: int, repeat: int, tmp: Path,
                 also: tuple[str, ...] = ()) -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    one = tmp / "satu_baris.py"
    one.write_text(ONE_LINE, encoding="utf-8")
    deep = tmp / "satu_baris_halaman.py"
    deep.write_text(ONE_LINE_DEEP, encoding="utf-8")
    env = {**os.environ}
    app, app_base = start_server(ROOT / "Home.py", env, tmp / "app.log")
    peer, peer_base = start_server(one, env, tmp / "peer.log")
    deep_peer, deep_base = start_server(deep, env, tmp / "peer_halaman.log")
    heaviest = sorted(pages.items(), key=lambda kv: -kv[1][2])[:top]
    for item in also:  # PATH:USER pages timed as well, whatever their AppTest cost
        path, user = item.split(":")
        if path not in dict(heaviest):
            heaviest.append((path, (user, 0.0, 0.0, 0.0)))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            contexts = {}
            for user in {u for _, (u, *_) in heaviest}:
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="id-ID")
                pg = ctx.new_page()
                pg.goto(app_base + "/")
                pg.wait_for_selector(IDLE, timeout=120_000)
                pg.get_by_label("Nama pengguna").fill(user)
                pg.get_by_label("Kata sandi").fill("demo1234")
                pg.get_by_role("button", name="Masuk").click()
                pg.get_by_role("button", name="Keluar").wait_for(timeout=120_000)
                pg.wait_for_selector(IDLE, timeout=120_000)
                pg.close()
                contexts[user] = ctx
            peer_ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="id-ID")
            peers = [(peer_ctx, peer_base + "/"), (peer_ctx, deep_base + "/halaman")]
            for ctx, url in peers + [(contexts[u], f"{app_base}/{path}") for path, (u, *_) in heaviest]:
                load_time(ctx, url)  # the first load of each warms the server's caches
            rows = []
            for _ in range(repeat):  # alternately: the peers, then every page
                rows.append([load_time(ctx, url) for ctx, url in peers]
                            + [load_time(contexts[u], f"{app_base}/{path}") for path, (u, *_) in heaviest])
            browser.close()
    finally:
        for proc in (app, peer, deep_peer):
            proc.terminate()
            proc.wait(timeout=20)
    peer_median = statistics.median(r[0] for r in rows)
    deep_median = statistics.median(r[1] for r in rows)
    print(f"Chromium, goto → idle, median of {repeat}: one-line page (peer) at / {peer_median:.2f} s, "
          f"at /halaman of a one-page st.navigation app {deep_median:.2f} s")
    for i, (path, (user, *_)) in enumerate(heaviest, start=2):
        m = statistics.median(r[i] for r in rows)
        print(f"  {path or '(beranda)':<34} as {user:<10} {m:6.2f} s   ratio {m / peer_median:5.2f}× (vs /halaman "
              f"{m / deep_median:5.2f}×)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--browser-repeat", type=int, default=5)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--also", action="append", default=[], metavar="PATH:USER",
                    help="a page to time in the browser as that user besides the heaviest (repeatable)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/portal.db"
        from lib.setup import database as setup

        started = time.perf_counter()
        report = setup.init(os.environ["DATABASE_URL"], demo=True)
        print(f"demo database: {report.demo_cases:,} cases in {time.perf_counter() - started:.1f} s")
        pages = apptest_part(args.repeat)
        if not args.no_browser:
            browser_part(pages, args.top, args.browser_repeat, Path(tmp), tuple(args.also))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
