"""Two Streamlit replicas on one PostgreSQL schema behind nginx, set up as README's "Production" section says
and with the files of ``deploy/``: the nginx site (only ports, certificate and temporary paths substituted),
the replicas started with the command of the systemd unit ``portal-sop@.service`` and the environment it
gives them, the schema built by its owner and the app connected as the runtime role.

Proved here: a login on one replica is still valid on the other once the first is stopped; a rolling restart
(migrations once by the owner, then the replicas one at a time) keeps the session; a step completed through
replica B shows on replica A's worklist; two users completing the same step through different replicas give
exactly one success; a 10 MB village file uploads through the proxy; the proxy sends the security headers,
passes X-Forwarded-For on and compresses Streamlit's scripts while keeping their cache headers.

Skipped, with the reason, where nginx, PostgreSQL (``TEST_DATABASE_URL``) or Chromium cannot be had; under
``REQUIRE_BROWSER=1`` (CI) a missing nginx or Chromium fails instead.
"""
from __future__ import annotations

import io
import os
import re
import secrets
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lib.base import accounts, config
from lib.base.db import LoginSession, StepRun, session_factory
from lib.casework import cases

from .cli import run
from .conftest import PG_URL
from .deploy_stack import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEPLOY,
    IDLE,
    NGINX,
    ROOT,
    SITE,
    UNIT,
    UNVERIFIED,
    Nginx,
    Replica,
    healthy,
    unit_value,
)

ENV_EXAMPLE = DEPLOY / "portal-sop.env.example"
UPLOAD_INPUT = "[data-testid='stFileUploaderDropzoneInput']"
#: The client's address as an outer proxy would forward it; nginx must pass it on.
CLIENT = "198.51.100.23"

pytestmark = pytest.mark.xdist_group("replicas")


# --- the deploy files themselves (no server needed) ---------------------------------------------------------
def test_the_nginx_upload_limit_is_streamlits_max_upload_size():
    streamlit = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    limits = re.findall(r"^\s*client_max_body_size\s+(\d+)m;", SITE.read_text(), re.M)
    assert limits == [str(streamlit)], (limits, streamlit)


def test_the_env_example_names_every_production_setting_and_the_units_keep_the_owner_away_from_the_app():
    text = ENV_EXAMPLE.read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    missing = [s.env for s in config.SETTINGS if not s.for_tests and s.env not in named]
    assert not missing, f"{ENV_EXAMPLE.name} does not name {missing}"
    for unit in (UNIT, DEPLOY / "systemd" / "portal-sop-notify.service"):
        unset = unit_value(unit.read_text(), "UnsetEnvironment").split()
        assert {"DATABASE_OWNER_URL", "PORTAL_BACKUP_KEY"} <= set(unset), unit.name
    assert "python -m lib notify" in (DEPLOY / "systemd" / "portal-sop-notify.service").read_text()


# --- the stack: PostgreSQL roles and schema, two replicas, nginx, Chromium ----------------------------------
def _need(what: str | None, reason: str) -> None:
    if what:
        return
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(reason + ", padahal REQUIRE_BROWSER diset")
    pytest.skip(reason)


class Stack:
    def __init__(self, tmp: Path):
        from .test_db_roles import Cluster

        self.tmp = tmp
        self.db = Cluster()
        self.db.create_app_role()
        self.admin_env = {"DATABASE_OWNER_URL": self.db.owner_url, "PORTAL_ENV": "production"}
        self.cookie_key = secrets.token_urlsafe(48)
        env = {**os.environ, "PORTAL_ENV": "production", "DATABASE_URL": self.db.app_url,
               "DATABASE_OWNER_URL": self.db.owner_url, "PORTAL_COOKIE_KEY": self.cookie_key,
               "PORTAL_TRUSTED_PROXY": "127.0.0.1", "PORTAL_BACKUP_KEY": secrets.token_urlsafe(48)}
        self.replicas = [Replica("a", env, tmp), Replica("b", env, tmp)]
        self.nginx: Nginx | None = None

    def admin(self, *args: str, stdin: str | None = None, demo: bool = False) -> str:
        """``python -m lib ...`` in the admin shell: DATABASE_URL the runtime role, DATABASE_OWNER_URL the owner."""
        env = {**self.admin_env, "PORTAL_ENV": "demo" if demo else "production",
               "PORTAL_COOKIE_KEY": self.cookie_key}
        result = run(*args, url=self.db.app_url, stdin=stdin, env_extra=env)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def build(self) -> None:
        # README, Production: the schema by its owner, the runtime role's rights, the accounts. The demo
        # accounts and the demo village's candidate list (init --demo, history off) stand in for real ones.
        self.admin("init", "--demo", demo=True)
        self.admin("db", "roles", self.db.app)
        self.admin("users", "add", "staf2", "--name", "Staf Kedua", "--role", "staf", "--password-stdin",
                   stdin="demo1234")
        for r in self.replicas:
            r.start()
        self.nginx = Nginx(self.tmp, self.replicas)
        for r in self.replicas:
            healthy(r.url)
        self.nginx.wait()

    def close(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for r in self.replicas:  # nothing to keep: no need to wait for a graceful stop
            if r.proc is not None:
                r.proc.kill()
        for r in self.replicas:
            r.reap()
        self.db.drop()

    def served_by(self, since: int = 0) -> list[Replica]:
        """The replicas that answered the requests logged after line ``since`` (the last one tried, when nginx
        moved on from a stopped one), in order; the first request of a browser, routed before it has its
        cookie, is left out."""
        by_port = {f"127.0.0.1:{r.port}": r for r in self.replicas}
        out = []
        for line in self.log_lines()[since:]:
            match = re.search(r"upstream=(.*?) rt=", line)
            if match and match.group(1) != "-" and '"GET / ' not in line:
                out.append(by_port[re.split(r", | : ", match.group(1))[-1].strip()])
        return out

    def log_lines(self) -> list[str]:
        log = self.nginx.access_log
        return log.read_text().splitlines() if log.exists() else []

    @property
    def base(self) -> str:
        return self.nginx.base


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not PG_URL:
        pytest.skip("perlu PostgreSQL (TEST_DATABASE_URL): dua replika berbagi satu basis data")
    _need(NGINX, "nginx tidak terpasang (apt-get install nginx)")
    _need(CHROMIUM, "Chromium tidak terpasang (apt-get install chromium)")
    s = Stack(tmp_path_factory.mktemp("replicas"))
    try:
        s.build()
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def browser(stack, playwright_driver):
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


class Tabs:
    """Browser tabs logged in once for the module (a login costs seconds): one per user and address."""

    def __init__(self, browser):
        self.browser, self.open = browser, {}
        #: What Chromium refused under the proxy's Content-Security-Policy, on any tab.
        self.refused: list[str] = []

    def __call__(self, username: str, base: str, path: str = "/", **options):
        return self.many((username, base, path), **options)[0]

    def many(self, *wanted: tuple[str, str, str], **options) -> list:
        """Tabs for (username, base, path), logging in those not yet open side by side (each replica works on
        its own login while the other does too)."""
        pages, fresh = [], []
        for username, base, path in wanted:
            page = self.open.get((username, base))
            if page is None:
                context = self.browser.new_context(viewport={"width": 1400, "height": 1600}, locale="id-ID",
                                                   ignore_https_errors=True, **options)
                page = self.open[(username, base)] = context.new_page()
                page.set_default_timeout(90_000)  # a replica restarted by the previous test starts cold
                page.on("console", lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text
                        else None)
                fresh.append((page, username))
            page.goto(base + path, wait_until="commit")
            pages.append(page)
        for page, username in fresh:
            wait_idle(page)
            page.get_by_label("Nama pengguna").fill(username)
            page.get_by_label("Kata sandi").fill("demo1234")
            page.get_by_role("button", name="Masuk").click()
        for page in pages:
            logged_in(page)
        return pages

    def close(self) -> None:
        for page in self.open.values():
            page.context.close()


@pytest.fixture(scope="module")
def tabs(browser):
    t = Tabs(browser)
    yield t
    t.close()


def wait_idle(page) -> None:
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(200)


def logged_in(page) -> None:
    """The portal is shown, not the login form (after the page was reloaded or reconnected)."""
    wait_idle(page)
    page.get_by_role("button", name="Keluar").wait_for()
    assert page.get_by_label("Nama pengguna").count() == 0


def operator_through_the_proxy(stack, tabs):
    """The village operator's tab, through nginx, as if an outer proxy had forwarded the client's address."""
    return tabs("operator", stack.base, extra_http_headers={"X-Forwarded-For": CLIENT})


# --- the proof ----------------------------------------------------------------------------------------------
def test_a_login_stays_valid_when_its_replica_stops_and_through_a_rolling_restart(stack, tabs):
    page = operator_through_the_proxy(stack, tabs)
    served = stack.served_by(1)
    assert served and all(r is served[-1] for r in served[-5:]), "sticky: one replica serves the browser"
    with session_factory(stack.db.app_url)() as s:  # nginx passed the client's address on
        newest = s.scalar(select(LoginSession.client_address).order_by(LoginSession.created_at.desc()).limit(1))
    assert newest == CLIENT

    # The rollout of README's Production section: migrations once, by the owner; then the replicas one at a
    # time, each back before the next stops. The tab's own replica goes first: while it is down the login
    # holds on the other one.
    stack.admin("init")
    assert '"ok": true' in stack.admin("check", "--json")
    first = served[-1]
    for replica in (first, *(r for r in stack.replicas if r is not first)):
        mark = len(stack.log_lines())
        replica.stop()
        page.reload()
        logged_in(page)
        now = stack.served_by(mark)
        assert now and all(r is not replica for r in now[-3:]), "the tab moved to the replica still running"
        replica.start()
        healthy(replica.url)
    page.reload()
    logged_in(page)


def _case_at_step_3(stack) -> tuple[int, str]:
    """An AK1 file whose applicant's submission and completeness check are done: step 3 (staf) is open."""
    factory = session_factory(stack.db.app_url)
    with factory.begin() as s:
        staf = accounts.load_actor(s, "staf")
        v = cases.open_case(s, staf, "kartu-ak1", "Andi Saputra")
        v = cases.complete_step(s, staf, v.id, 1, v.version)
        v = cases.complete_step(s, staf, v.id, 2, v.version, outcome="ya")
    return v.id, v.register_no


def _waiting(page) -> int:
    """The number on Tugas Saya's "Menunggu" (0 when the page says nothing waits)."""
    page.get_by_role("heading", name="Tugas Saya").wait_for()
    wait_idle(page)
    if page.get_by_text("Tidak ada langkah yang menunggu Anda").count():
        return 0
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Menunggu").first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text())


def test_a_step_completed_through_replica_b_shows_on_replica_a_worklist(stack, tabs):
    a, b = stack.replicas
    case_id, register_no = _case_at_step_3(stack)
    kasi, staf = tabs.many(("kasi", a.url, "/tugas"), ("staf", b.url, f"/berkas?id={case_id}"))
    before = _waiting(kasi)
    staf.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    staf.get_by_role("button", name="Selesaikan langkah 3").click()
    staf.get_by_text("Langkah 3 selesai.", exact=True).wait_for()
    kasi.reload()
    assert _waiting(kasi) == before + 1


def test_two_users_completing_one_step_through_two_replicas_give_one_success(stack, tabs):
    a, b = stack.replicas
    case_id, register_no = _case_at_step_3(stack)
    pages = tabs.many(("staf", b.url, f"/berkas?id={case_id}"), ("staf2", a.url, f"/berkas?id={case_id}"))
    for page in pages:
        page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    buttons = [p.get_by_role("button", name="Selesaikan langkah 3") for p in pages]
    for button in buttons:
        button.wait_for()
    for button in buttons:  # one right after the other, neither waiting for its answer
        button.click(no_wait_after=True)
    # Each page then tells its user one of three things: "Langkah 3 selesai." (the winner); the conflict's
    # message, above the form it came from (the two transactions overlapped); or, when its run began after
    # the winner's commit, nothing: the page shows step 3 done and no form to complete it.
    success = [p.get_by_text("Langkah 3 selesai.", exact=True) for p in pages]
    conflict = [p.get_by_text(re.compile(r"diselesaikan oleh|sedang diubah|baru saja diubah")) for p in pages]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answered = [bool(success[i].count() or conflict[i].count() or not buttons[i].count()) for i in range(2)]
        if all(answered):
            break
        pages[0].wait_for_timeout(100)
    for page in pages:
        wait_idle(page)
    assert sorted(s.count() for s in success) == [0, 1]
    loser = next(i for i in range(2) if not success[i].count())
    assert conflict[loser].count() or not buttons[loser].count()
    with session_factory(stack.db.app_url)() as s:
        done = s.scalar(select(func.count()).select_from(StepRun).where(
            StepRun.case_id == case_id, StepRun.step_no == 3, StepRun.completed_at.is_not(None)))
    assert done == 1


def _village_file(stack, folder: Path) -> tuple[Path, int]:
    """Karang Dalo's validation template with every candidate marked Valid, and a 10 MB photo pasted in the
    workbook (what makes a village's file large: the data is a few kilobytes)."""
    from openpyxl import load_workbook

    from lib.rentan import desa as rentan

    with session_factory(stack.db.app_url).begin() as s:
        data = rentan.template(s, accounts.load_actor(s, "operator"), "karang-dalo")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Validasi"]
    header = next(r for r in range(1, 30) if str(ws.cell(r, 2).value or "").strip().upper().startswith("NIK"))
    rows = [r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 2).value]
    for r in rows:
        ws.cell(r, 7).value = "Valid"
    path = folder / "validasi-karang-dalo.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as z:
        z.writestr("xl/media/image1.jpeg", os.urandom(10 * 1024 * 1024))
    assert path.stat().st_size > 10 * 1024 * 1024
    return path, len(rows)


def test_a_10_mb_village_file_uploads_through_the_proxy(stack, tabs, tmp_path):
    """Through the tab of the first test when it ran: one that went through a rolling restart, whose uploads
    must reach the replica its websocket moved to."""
    path, rows = _village_file(stack, tmp_path)
    page = operator_through_the_proxy(stack, tabs)
    page.goto(stack.base + "/validasi-desa")
    page.get_by_role("heading", name="Validasi desa").wait_for()
    wait_idle(page)
    mark = len(stack.log_lines())
    page.locator(UPLOAD_INPUT).set_input_files(str(path))
    sah = page.locator("[data-testid='stMetric']").filter(has_text="Sah").first
    sah.locator("[data-testid='stMetricValue']").wait_for(timeout=60_000)
    wait_idle(page)
    assert sah.locator("[data-testid='stMetricValue']").inner_text() == str(rows)
    uploads = [line for line in stack.log_lines()[mark:] if "/_stcore/upload_file/" in line]
    assert uploads and re.search(r'" 20\d ', uploads[-1]), uploads
    assert not tabs.refused, tabs.refused  # the Content-Security-Policy breaks nothing on these pages


def test_the_proxy_sends_the_security_headers_and_gzips_scripts_keeping_their_cache_headers(stack):
    with urllib.request.urlopen(stack.base + "/", context=UNVERIFIED, timeout=10) as r:
        headers, html = r.headers, r.read().decode()
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    script = re.search(r'src="\.?(/?static/js/[^"]+\.js)"', html).group(1).lstrip("/")
    plain = urllib.request.urlopen(f"{stack.replicas[0].url}/{script}", timeout=10)
    request = urllib.request.Request(f"{stack.base}/{script}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, context=UNVERIFIED, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert r.headers["Cache-Control"] == plain.headers["Cache-Control"]
        assert "max-age=31536000" in r.headers["Cache-Control"]
        assert len(r.read()) < int(plain.headers["Content-Length"]) / 2
    plain.close()
    with pytest.raises(urllib.error.HTTPError) as redirect:  # plain HTTP is sent to HTTPS
        urllib.request.build_opener(_NoRedirect).open(f"http://127.0.0.1:{stack.nginx.http_port}/tugas", timeout=10)
    assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
