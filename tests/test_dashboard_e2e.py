"""End to end: `corridor dashboard` in a subprocess, opened in headless Chromium, offline.

Chromium is Debian's (/usr/bin/chromium; `.ci/run` installs it), driven by Playwright
without Playwright's own browser download. Every request the page makes must be answered
by the local server: a CDN request would fail in a workshop room without internet.
A screenshot is left in tests/artifacts/dashboard.png (or $CORRIDOR_ARTIFACTS) for a human to look at.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CORRIDOR_ARTIFACTS") or ROOT / "tests" / "artifacts")
DEVELOPER_LABELS = ("render interval", "use threads", "page 0", "time:", "play interval")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium); .ci/run installs it")
    pytest.importorskip("solara", reason="dashboard extra not installed: pip install -e '.[dashboard]'")
    port = _free_port()
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "model.cli", "dashboard", "scenarios/baseline.toml",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=(tmp_path / "server.log").open("w"), text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()          # printed once the server answers
        assert f"http://127.0.0.1:{port}/" in line, (line, (tmp_path / "server.log").read_text()[-2000:])
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.send_signal(signal.SIGTERM)       # the command stops its solara server with it
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with socket.socket() as s:             # nothing left listening
            assert s.connect_ex(("127.0.0.1", port)) != 0


def test_dashboard_in_chromium(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    outside = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            local = (server, "data:", "blob:", server.replace("http://", "ws://"))
            page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
            page.on("requestfailed", lambda r: outside.append(f"{r.url} (failed)"))
            page.goto(server)
            page.wait_for_selector(".corridor-map img", timeout=60_000)
            month = page.locator(".counter-month")
            assert month.inner_text() == "0 of 96"
            plot = page.locator(".corridor-series img")
            map_src = page.locator(".corridor-map img").get_attribute("src")
            plot_src = plot.get_attribute("src")
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(
                "document.querySelector('.counter-month').innerText.trim() === '1 of 96'", timeout=30_000)
            page.wait_for_function(
                "src => document.querySelector('.corridor-series img').src !== src", arg=plot_src,
                timeout=30_000)
            assert page.locator(".corridor-map img").get_attribute("src") != map_src
            for _ in range(5):                 # a few months so the screenshot shows routes and lines
                page.get_by_role("button", name="Step").click()
            page.wait_for_function(
                "document.querySelector('.counter-month').innerText.trim() === '6 of 96'", timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            seen = page.locator("body").inner_text().lower()
            assert [d for d in DEVELOPER_LABELS if d in seen] == [], "Mesa's developer controls are shown"
        finally:
            browser.close()
    assert not outside, f"the page asked for resources outside the local server: {outside[:5]}"
