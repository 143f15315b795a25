"""Browser tests: a real Streamlit server on a free port with its own database, driven by Playwright in
the system Chromium (Debian's ``chromium``; Playwright's own browser downloads are not used).

As in Streamlit's e2e suite: start the server, poll ``/_stcore/health``, and after every action wait
until the app is idle (no running-status widget) before looking at the page.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


#: How many groups the browser tests are dealt into: each group runs in one pytest-xdist worker against that
#: worker's own server and Chromium (``--dist loadgroup``, see pyproject.toml). One on two cores: with two groups
#: and four workers the suite took as long (650 s against 662 s), every test twice as long under the contention.
BROWSER_GROUPS = int(os.environ.get("PORTAL_BROWSER_GROUPS", "1"))


def pytest_collection_modifyitems(config, items):
    """Deal the browser tests round-robin into :data:`BROWSER_GROUPS` xdist groups (every test makes its own
    data and logs in itself, so no test relies on another having run on the same server)."""
    here = Path(__file__).resolve().parent
    browser = [item for item in items if here in item.path.resolve().parents]
    for i, item in enumerate(browser):
        item.add_marker(pytest.mark.xdist_group(f"browser{i % BROWSER_GROUPS}"))


#: The database of the shared server (set when it starts), for a test that prepares or moves data directly.
SERVER_DB: dict[str, str] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path():
    if not CHROMIUM:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium tidak ditemukan, padahal REQUIRE_BROWSER diset (apt-get install chromium)")
        pytest.skip("Chromium tidak terpasang (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path):
    """Start ``streamlit run Home.py`` on a free port with a fresh SQLite database; yield its base URL."""
    port = _free_port()
    db = tmp_path_factory.mktemp("browser") / "portal.db"
    SERVER_DB["url"] = f"sqlite:///{db}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PORTAL_DEMO_HISTORY": "1"}
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("server Streamlit tidak menjawab /_stcore/health dalam 60 detik")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser(chromium_path, playwright_driver):
    b = playwright_driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="id-ID")
    pg = context.new_page()
    # Generous waits: the replica test's two servers, nginx and browser may share the two cores meanwhile. A wait
    # that is met returns at once, so this slows nothing down; it only keeps a busy moment from failing a test.
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


#: The app is connected and its script has finished.
IDLE = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
#: Where screenshots go for a person to look at (``PORTAL_SHOTS=/tmp/shots``); none without it.
SHOTS = Path(os.environ["PORTAL_SHOTS"]) if os.environ.get("PORTAL_SHOTS") else None


def screenshot(page, name: str, full_page: bool = False) -> None:
    """Save ``<name>.png`` under :data:`SHOTS`, when set."""
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the app is connected and its script has finished (Streamlit's e2e ``wait_for_app_run``)."""
    page.wait_for_timeout(150)  # let a rerun that an action triggered start before waiting for its end
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(200)


#: The session cookie of each user after their first login through the form in this test session.
_COOKIES: dict[tuple[str, str], list[dict]] = {}


def login(page, base: str, username: str = "staf", password: str = "demo1234", path: str = "/",
          form: bool = False) -> None:
    """Open ``path`` logged in as ``username`` (demo accounts); wait until the portal is shown.

    The first login of a user goes through the form; a later one opens ``path`` with the session cookie that login
    left, as a returning user's new tab does (the form again when the server has ended that session, e.g. after
    *Keluar*). ``form`` always uses the form."""
    cookies = _COOKIES.get((base, username))
    if cookies and not form:
        page.context.add_cookies(cookies)
        page.goto(base + path)
        wait_idle(page)
        keluar = page.get_by_role("button", name="Keluar")
        keluar.or_(page.get_by_label("Nama pengguna")).first.wait_for(timeout=90_000)
        if keluar.count():
            return
        page.context.clear_cookies()
    page.goto(base + path)
    wait_idle(page)
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    wait_idle(page)
    page.get_by_role("button", name="Keluar").wait_for(timeout=90_000)
    wait_idle(page)
    if password == "demo1234":
        _COOKIES[(base, username)] = [c for c in page.context.cookies() if c["name"] == "portal_sop_sesi"]
