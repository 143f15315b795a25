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

import datetime as dt
import io
import ipaddress
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
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

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "portal-sop.conf"
UNIT = DEPLOY / "systemd" / "portal-sop@.service"
ENV_EXAMPLE = DEPLOY / "portal-sop.env.example"
NGINX = os.environ.get("NGINX_PATH") or shutil.which("nginx") or (
    "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
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
        unset = _unit_value(unit.read_text(), "UnsetEnvironment").split()
        assert {"DATABASE_OWNER_URL", "PORTAL_BACKUP_KEY"} <= set(unset), unit.name
    assert "python -m lib notify" in (DEPLOY / "systemd" / "portal-sop-notify.service").read_text()


def _unit_value(text: str, key: str) -> str:
    values = re.findall(rf"^{key}=(.*)$", text, re.M)
    assert len(values) == 1, f"{key} appears {len(values)} times"
    return values[0].strip()


# --- the stack: PostgreSQL roles and schema, two replicas, nginx, Chromium ----------------------------------
def _need(what: str | None, reason: str) -> None:
    if what:
        return
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(reason + ", padahal REQUIRE_BROWSER diset")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str, timeout: float = 60, context: ssl.SSLContext | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=context) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}/_stcore/health tidak menjawab dalam {timeout:.0f} detik")
        time.sleep(0.25)


class Replica:
    """One replica started as ``portal-sop@PORT.service`` starts it: the unit's ExecStart with its port, in the
    environment the unit leaves it (without the variables it unsets)."""

    def __init__(self, name: str, env: dict[str, str], logs: Path):
        self.name, self.port, self.logs = name, _free_port(), logs
        unit = UNIT.read_text()
        argv = shlex.split(_unit_value(unit, "ExecStart").replace("%i", str(self.port)))
        assert argv[0].endswith("/python"), argv
        self.argv = [sys.executable, *argv[1:]]
        self.env = {k: v for k, v in env.items() if k not in _unit_value(unit, "UnsetEnvironment").split()}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.logs / f"{self.name}.log", "a")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        """What ``systemctl restart portal-sop@PORT`` does, then wait until it answers (the README's rollout)."""
        self.stop()
        self.start()
        _healthy(self.url)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (where the site's placeholders name the real one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "fullchain.pem", folder / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def _substitute(text: str, pattern: str, replacement: str, count: int) -> str:
    """Replace ``pattern`` (a regex), which must occur exactly ``count`` times in the site."""
    found = len(re.findall(pattern, text, re.M))
    assert found == count, f"deploy/nginx/portal-sop.conf: {pattern!r} occurs {found} times, expected {count}"
    return re.sub(pattern, replacement, text, flags=re.M)


def nginx_config(folder: Path, replicas: list[Replica], https_port: int, http_port: int) -> Path:
    """deploy/nginx/portal-sop.conf in a minimal nginx.conf with its own pid, logs and temporary paths."""
    crt, pem = _certificate(folder)
    site = SITE.read_text()
    site = _substitute(site, r"^\s*listen \[::\]:(80|443).*\n", "", 2)
    site = _substitute(site, r"listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    site = _substitute(site, r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", 1)
    ports = iter(r.port for r in replicas)
    site = _substitute(site, r"server 127\.0\.0\.1:850\d", lambda _: f"server 127.0.0.1:{next(ports)}", 2)
    site = _substitute(site, r"/etc/ssl/portal-sop/fullchain\.pem", str(crt), 1)
    site = _substitute(site, r"/etc/ssl/portal-sop/privkey\.pem", str(pem), 1)
    site = _substitute(site, r"/var/log/nginx/", f"{folder}/", 2)
    temp = "\n".join(f"    {kind}_temp_path {folder}/{kind};" for kind in (
        "client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root root;\n" if os.geteuid() == 0 else ""  # as root nginx would switch to "nobody"
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
{temp}
{site}
}}
""")
    return conf


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
        self.https_port, self.http_port = _free_port(), _free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.nginx: subprocess.Popen | None = None
        self.access_log = tmp / "portal-sop.access.log"

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
        conf = nginx_config(self.tmp, self.replicas, self.https_port, self.http_port)
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.tmp), "-c", str(conf), "-e", str(self.tmp / "error.log"),
                                       "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for r in self.replicas:
            _healthy(r.url)
        _healthy(self.base, context=UNVERIFIED)

    def close(self) -> None:
        if self.nginx is not None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        for r in self.replicas:
            r.stop()
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
                out.append(by_port[match.group(1).split(",")[-1].strip()])
        return out

    def log_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []


UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE


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
def browser(stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="id-ID",
                                      ignore_https_errors=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield make
    for c in contexts:
        c.close()


def wait_idle(page) -> None:
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(200)


def login(page, base: str, username: str, path: str = "/") -> None:
    t0 = time.monotonic()
    page.goto(base + path)
    wait_idle(page)
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill("demo1234")
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="Keluar").wait_for()
    wait_idle(page)
    print(f"login {username} {base}{path}: {time.monotonic() - t0:.1f} s")


def logged_in(page) -> None:
    """The portal is shown, not the login form (after the page was reloaded or reconnected)."""
    wait_idle(page)
    page.get_by_role("button", name="Keluar").wait_for()
    assert page.get_by_label("Nama pengguna").count() == 0


# --- the proof ----------------------------------------------------------------------------------------------
def test_a_login_stays_valid_when_its_replica_stops_and_through_a_rolling_restart(stack, new_page):
    page = new_page(extra_http_headers={"X-Forwarded-For": CLIENT})
    login(page, stack.base, "staf")
    first = stack.served_by(1)
    assert first and all(r is first[-1] for r in first[-5:]), "sticky: one replica serves the browser"
    a = first[-1]
    b = next(r for r in stack.replicas if r is not a)
    with session_factory(stack.db.app_url)() as s:  # nginx passed the client's address on
        newest = s.scalar(select(LoginSession.client_address).order_by(LoginSession.created_at.desc()).limit(1))
    assert newest == CLIENT

    mark = len(stack.log_lines())
    a.stop()
    page.reload()
    logged_in(page)
    assert stack.served_by(mark) and stack.served_by(mark)[-1] is b

    # The rollout of README's Production section: migrations once, by the owner; replicas one at a time.
    a.start()
    _healthy(a.url)
    stack.admin("init")
    assert '"ok": true' in stack.admin("check", "--json")
    for replica in stack.replicas:
        replica.restart()
        wait_idle(page)  # the tab reconnects to whichever replica answers
        page.get_by_role("button", name="Keluar").wait_for()
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


def test_a_step_completed_through_replica_b_shows_on_replica_a_worklist(stack, new_page):
    a, b = stack.replicas
    case_id, register_no = _case_at_step_3(stack)
    kasi = new_page()
    login(kasi, a.url, "kasi", "/tugas")
    before = _waiting(kasi)
    staf = new_page()
    login(staf, b.url, "staf", f"/berkas?id={case_id}")
    staf.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
    staf.get_by_role("button", name="Selesaikan langkah 3").click()
    staf.get_by_text("Langkah 3 selesai.", exact=True).wait_for()
    kasi.reload()
    assert _waiting(kasi) == before + 1


def test_two_users_completing_one_step_through_two_replicas_give_one_success(stack, new_page):
    a, b = stack.replicas
    case_id, register_no = _case_at_step_3(stack)
    pages = []
    for replica, username in ((a, "staf"), (b, "staf2")):
        page = new_page()
        login(page, replica.url, username, f"/berkas?id={case_id}")
        page.get_by_role("heading", name=f"Berkas {register_no}").wait_for()
        pages.append(page)
    buttons = [p.get_by_role("button", name="Selesaikan langkah 3") for p in pages]
    for button in buttons:
        button.wait_for()
    for button in buttons:  # one right after the other, neither waiting for its answer
        button.click(no_wait_after=True)
    for button in buttons:
        button.wait_for(state="detached")
    # The winner is told "Langkah 3 selesai."; the other either gets the conflict's message (the two
    # transactions overlapped) or, when its run began after the winner's commit, a page on which step 3 is
    # done and no form to complete it.
    success = [p.get_by_text("Langkah 3 selesai.", exact=True) for p in pages]
    deadline = time.monotonic() + 30
    while not any(s.count() for s in success) and time.monotonic() < deadline:
        pages[0].wait_for_timeout(100)
    for page in pages:
        wait_idle(page)
    assert sorted(s.count() for s in success) == [0, 1]
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


def test_a_10_mb_village_file_uploads_through_the_proxy(stack, new_page, tmp_path):
    path, rows = _village_file(stack, tmp_path)
    page = new_page()
    login(page, stack.base, "operator", "/validasi-desa")
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
        urllib.request.build_opener(_NoRedirect).open(f"http://127.0.0.1:{stack.http_port}/tugas", timeout=10)
    assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
