"""Benchmark: a village operator's first visit on a 3G-like link, straight to Streamlit and through nginx.

    python bench/slow_link_bench.py [--repeat 1] [--kbit 750] [--latency 100]

Sets up what tests/test_replicas.py runs (tests/deploy_stack.py): two replicas started with the command of
the systemd unit ``deploy/systemd/portal-sop@.service`` on one fresh SQLite demo database (demo accounts and
the demo village, no demo history), and nginx with ``deploy/nginx/portal-sop.conf`` (HTTPS, gzip). Then, in
the same run, for "direct" (replica A's own port, what Streamlit serves) and "proxy" (nginx), opens the
portal in a fresh browser context (empty cache) of Debian's Chromium with DevTools network emulation
(``Network.emulateNetworkConditions``: 750 kbit/s each way, 100 ms latency) and reports:

* to the login form: seconds from the navigation until the "Nama pengguna" field is shown, and the bytes
  received by then;
* to the operator's page after login: seconds from the click on *Masuk* until the portal (Beranda, where an
  operator lands) is drawn and idle, and the bytes received by then;
* to *Validasi desa* (the operator's work page) from there, the same;
* for each phase also "all of it": the seconds until no request has been in flight for a second, and every
  byte received by then (a font or a script the page fetches after it is drawn belongs to its phase); the
  next phase starts after that.

Bytes are what Chromium received: for HTTP the encoded (on the wire, so compressed where the answer was)
length of every response, headers included (``Network.loadingFinished.encodedDataLength``); for the websocket
the payload of every frame received (after any websocket compression, so an upper bound of its wire size).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")

from tests.deploy_stack import CHROMIUM, CHROMIUM_ARGS, IDLE, NGINX, Nginx, Replica, healthy  # noqa: E402


class Counter:
    """Bytes received by one page, from its DevTools session's network events."""

    def __init__(self, page, kbit: int, latency: int):
        self.http = self.ws = 0
        self.responses: dict[str, tuple[str, str, str]] = {}  # request id -> (url, MIME type, encoding)
        self.sizes: list[tuple[int, str, str, str]] = []  # (bytes, url, MIME type, encoding), in arrival order
        self.inflight: set[str] = set()
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", lambda e: self.inflight.add(e["requestId"]))
        cdp.on("Network.loadingFailed", lambda e: self.inflight.discard(e["requestId"]))
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._http)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.send("Network.enable")
        rate = kbit * 1000 / 8
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency,
                                                       "downloadThroughput": rate, "uploadThroughput": rate})

    def _response(self, event) -> None:
        r = event["response"]
        headers = {k.lower(): v for k, v in (r.get("headers") or {}).items()}
        self.responses[event["requestId"]] = (r["url"], r.get("mimeType", ""), headers.get("content-encoding", "-"))

    def _http(self, event) -> None:
        self.inflight.discard(event["requestId"])
        size = int(event.get("encodedDataLength") or 0)
        self.http += size
        self.sizes.append((size, *self.responses.get(event["requestId"], ("?", "?", "?"))))

    def _frame(self, event) -> None:
        response = event.get("response") or {}
        data = response.get("payloadData") or ""
        self.ws += len(data) * 3 // 4 if response.get("opcode") == 2 else len(data.encode())

    def settle(self, page, quiet: float = 1.0) -> None:
        """Wait until no HTTP request has been in flight for ``quiet`` seconds (what the page fetches after it
        is drawn, a font or a script for later, belongs to its phase)."""
        calm_since = None
        while True:
            page.wait_for_timeout(100)
            if self.inflight:
                calm_since = None
            elif calm_since is None:
                calm_since = time.perf_counter()
            elif time.perf_counter() - calm_since >= quiet:
                return


def wait_idle(page) -> None:
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE, timeout=180_000)
    page.wait_for_timeout(200)


def visit(browser, base: str, kbit: int, latency: int) -> dict:
    """One first visit: login form, login as the operator, Validasi desa. For each phase the seconds until it is
    shown, until the network is quiet, and the bytes received by then."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID", ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(180_000)
    count = Counter(page, kbit, latency)
    out = {}

    def phase(name: str, act, shown) -> None:
        started, http, ws = time.perf_counter(), count.http, count.ws
        act()
        shown()
        out[f"{name}_s"] = time.perf_counter() - started
        out[f"{name}_shown_bytes"] = count.http - http + count.ws - ws
        wait_idle(page)
        count.settle(page)
        out[f"{name}_settled_s"] = time.perf_counter() - started
        out[f"{name}_http"], out[f"{name}_ws"] = count.http - http, count.ws - ws

    def log_in() -> None:
        page.get_by_label("Nama pengguna").fill("operator")
        page.get_by_label("Kata sandi").fill("demo1234")
        page.get_by_role("button", name="Masuk").click()

    def portal_shown() -> None:
        page.get_by_role("button", name="Keluar").wait_for()
        wait_idle(page)

    def desa_shown() -> None:
        page.get_by_role("heading", name="Validasi desa").wait_for()
        page.get_by_text("Unduh templat validasi (XLSX)").wait_for()
        wait_idle(page)

    try:
        phase("form", lambda: page.goto(base + "/", wait_until="commit"),
              lambda: page.get_by_label("Nama pengguna").wait_for())
        phase("login", log_in, portal_shown)
        phase("desa", lambda: page.get_by_role("link", name="Validasi desa").click(), desa_shown)
    except Exception as err:
        state = page.evaluate("() => { const a = document.querySelector('[data-testid=stApp]'); return a ? "
                              "a.dataset.testConnectionState + '/' + a.dataset.testScriptState : 'no app'; }")
        text = " ".join(page.inner_text("body").split())[:200]
        waiting = [count.responses.get(r, (r,))[0] for r in count.inflight]
        raise RuntimeError(f"{str(err).splitlines()[0]}; app {state}; page: {text!r}; "
                           f"requests still open: {waiting[:5]}") from err
    finally:
        context.close()
    out["sizes"] = count.sizes
    return out


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def report(name: str, runs: list[dict]) -> None:
    for phase, label in (("form", "to the login form"), ("login", "login to the operator's page"),
                         ("desa", "then to Validasi desa")):
        def med(key: str) -> float:
            return statistics.median(r[key] for r in runs)

        shown = [r[f"{phase}_s"] for r in runs]
        print(f"{name:6} {label:30} shown {med(f'{phase}_s'):5.1f} s (min {min(shown):.1f}) with "
              f"{mb(med(f'{phase}_shown_bytes'))}; all of it {med(f'{phase}_settled_s'):5.1f} s, "
              f"{mb(med(f'{phase}_http') + med(f'{phase}_ws'))} (websocket {mb(med(f'{phase}_ws'))})")
    total = statistics.median(sum(r[f"{p}_http"] + r[f"{p}_ws"] for p in ("form", "login", "desa")) for r in runs)
    print(f"{name:6} {'the whole visit':30} {mb(total)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--kbit", type=int, default=750, help="bandwidth each way, kbit/s")
    parser.add_argument("--latency", type=int, default=100, help="added round-trip latency, ms")
    parser.add_argument("--detail", action="store_true", help="list the 15 largest responses of each visit")
    args = parser.parse_args()
    if not (NGINX and CHROMIUM):
        sys.exit("perlu nginx dan Chromium (apt-get install nginx chromium)")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from lib.setup import database as setup

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.2f}")
    print(f"link: {args.kbit} kbit/s each way, {args.latency} ms latency (Chromium's network emulation)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'portal.db'}"
        env = {**os.environ, "DATABASE_URL": url, "PORTAL_DEMO_HISTORY": "0", "PORTAL_TRUSTED_PROXY": "127.0.0.1"}
        os.environ.update(DATABASE_URL=url, PORTAL_DEMO_HISTORY="0")
        setup.init(url, demo=True)
        replicas = [Replica("a", env, folder), Replica("b", env, folder)]
        nginx = None
        try:
            for r in replicas:
                r.start()
            nginx = Nginx(folder, replicas)
            for r in replicas:
                healthy(r.url)
            nginx.wait()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                visit(browser, replicas[0].url, 1_000_000, 0)  # each replica's first script run: not measured
                visit(browser, replicas[1].url, 1_000_000, 0)
                results = {"direct": [], "proxy": []}
                failed = []
                for _ in range(args.repeat):
                    for name, base in (("direct", replicas[0].url), ("proxy", nginx.base)):
                        try:
                            results[name].append(visit(browser, base, args.kbit, args.latency))
                        except (PlaywrightError, RuntimeError) as err:  # counted and shown, not hidden
                            failed.append(f"{name}: {err}")
                browser.close()
            for line in failed:
                print(f"FAILED visit, {line}")
            if failed:
                print("nginx error log (last lines):", *(folder / "error.log").read_text().splitlines()[-10:],
                      sep="\n  ")
            for name, runs in results.items():
                if runs:
                    report(name, runs)
            if args.detail:
                for name, runs in results.items():
                    print(f"{name}: the largest responses of the first visit (bytes received, encoding, type, path)")
                    for size, url, mime, encoding in sorted(runs[0]["sizes"], reverse=True)[:15]:
                        path = "/" + url.split("/", 3)[-1] if url.count("/") >= 3 else url
                        print(f"  {size:>9,} {encoding:5} {mime:24} {path[:90]}")
        finally:
            if nginx is not None:
                nginx.stop()
            for r in replicas:
                if r.proc is not None:
                    r.proc.kill()
                r.reap()


if __name__ == "__main__":
    main()
