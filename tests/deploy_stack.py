"""The deployment of ``deploy/`` run on this machine, for tests/test_replicas.py and
bench/slow_link_bench.py: Streamlit replicas started with the command and environment of the systemd unit
``portal-sop@.service``, and nginx with the site ``deploy/nginx/portal-sop.conf`` in a minimal nginx.conf of
its own (pid, logs and temporary files in a folder, unprivileged ports, a self-signed certificate where the
site's placeholders name the real one). Only the ports, the certificate and those paths are substituted,
each where the site is expected to have it, so a change to the site that the substitution no longer fits
fails loudly.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "portal-sop.conf"
UNIT = DEPLOY / "systemd" / "portal-sop@.service"
NGINX = os.environ.get("NGINX_PATH") or shutil.which("nginx") or (
    "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: The app is connected and its script has finished.
IDLE = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
#: For the proxy's self-signed certificate.
UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE


def unit_value(text: str, key: str) -> str:
    values = re.findall(rf"^{key}=(.*)$", text, re.M)
    assert len(values) == 1, f"{key} appears {len(values)} times"
    return values[0].strip()



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 60, context: ssl.SSLContext | None = None) -> None:
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
        self.name, self.port, self.logs = name, free_port(), logs
        unit = UNIT.read_text()
        argv = shlex.split(unit_value(unit, "ExecStart").replace("%i", str(self.port)))
        assert argv[0].endswith("/python"), argv
        self.argv = [sys.executable, *argv[1:]]
        self.env = {k: v for k, v in env.items() if k not in unit_value(unit, "UnsetEnvironment").split()}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.reap()
        log = open(self.logs / f"{self.name}.log", "a")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self) -> None:
        """SIGTERM, as systemd stops a unit; returns once the port refuses connections (the server stops
        listening first, then closes its websockets and exits; :meth:`start` waits for that)."""
        if self.proc is None:
            return
        self.proc.terminate()
        deadline = time.monotonic() + 20
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                return
            time.sleep(0.1)

    def reap(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def certificate(folder: Path) -> tuple[Path, Path]:
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


def substitute(text: str, pattern: str, replacement: str, count: int) -> str:
    """Replace ``pattern`` (a regex), which must occur exactly ``count`` times in the site."""
    found = len(re.findall(pattern, text, re.M))
    assert found == count, f"deploy/nginx/portal-sop.conf: {pattern!r} occurs {found} times, expected {count}"
    return re.sub(pattern, replacement, text, flags=re.M)


def nginx_config(folder: Path, replicas: list[Replica], https_port: int, http_port: int) -> Path:
    """deploy/nginx/portal-sop.conf in a minimal nginx.conf with its own pid, logs and temporary paths."""
    crt, pem = certificate(folder)
    site = SITE.read_text()
    site = substitute(site, r"^\s*listen \[::\]:(80|443).*\n", "", 2)
    site = substitute(site, r"listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    site = substitute(site, r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", 1)
    for n, replica in enumerate(replicas, start=1):  # in the map and in the upstream group
        site = substitute(site, rf"127\.0\.0\.1:850{n}\b", f"127.0.0.1:{replica.port}", 3)
    site = substitute(site, r"/etc/ssl/portal-sop/fullchain\.pem", str(crt), 1)
    site = substitute(site, r"/etc/ssl/portal-sop/privkey\.pem", str(pem), 1)
    site = substitute(site, r"/var/log/nginx/", f"{folder}/", 2)
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


class Nginx:
    """nginx in the foreground (``daemon off``) with the configuration of :func:`nginx_config`."""

    def __init__(self, folder: Path, replicas: list[Replica]):
        self.folder = folder
        self.https_port, self.http_port = free_port(), free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.access_log = folder / "portal-sop.access.log"
        conf = nginx_config(folder, replicas, self.https_port, self.http_port)
        self.proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def wait(self) -> None:
        healthy(self.base, context=UNVERIFIED)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
