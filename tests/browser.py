"""Drive the dashboard in headless Chromium (Debian's, via Playwright): used by e2e tests and bench/.

Recipe from GUIDE section 7: start `streamlit run` on a free loopback port, poll the health
endpoint, wait for the app's script to be idle after each interaction.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def require_chromium():
    """Playwright's sync API for a browser-test module; skips the module where Chromium is absent, or fails
    it when E2E_REQUIRED=1 (CI)."""
    import pytest

    if not chromium_available():
        if os.environ.get("E2E_REQUIRED") == "1":
            raise RuntimeError(f"E2E_REQUIRED=1 but Chromium is missing at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    """`python -m streamlit run app.py` on 127.0.0.1, stopped on exit."""

    def __init__(self, timeout: float = 90, root: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=root, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not become healthy in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# Counts the app's finished script runs (whole-page and fragment reruns alike): Streamlit sets
# data-test-script-state on the app element to "running" while a run is in progress and back to
# "notRunning" when it ends. Waiting for this counter to move is waiting on the event itself.
RUN_COUNTER = """
window.__stRunsDone = 0;
new MutationObserver(records => {
  for (const r of records) {
    if (r.target.getAttribute('data-test-script-state') === 'notRunning' && r.oldValue !== 'notRunning') {
      window.__stRunsDone += 1;
    }
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""


def launch(playwright, user_dir: str, height: int = 1000):
    context = playwright.chromium.launch_persistent_context(
        user_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, accept_downloads=True,
        viewport={"width": 1400, "height": height})
    context.add_init_script(RUN_COUNTER)
    return context


def runs_done(page) -> int:
    return page.evaluate("window.__stRunsDone || 0")


def act(page, action, timeout: float = 120_000) -> None:
    """Do `action()` and wait until the script run it triggers has finished (no fixed sleeps)."""
    before = runs_done(page)
    action()
    page.wait_for_function(f"(window.__stRunsDone || 0) > {before} && !!document.querySelector('{IDLE}')",
                           timeout=timeout, polling="raf")


def load(page, url: str, timeout: float = 120_000) -> None:
    """Open the app and wait for its first run to finish and a title to show."""
    page.goto(url)
    page.wait_for_function(f"(window.__stRunsDone || 0) > 0 && !!document.querySelector('{IDLE}') "
                           "&& !!document.querySelector('h1')", timeout=timeout, polling="raf")


def wait_for_text(page, text: str, where: str = "[data-testid=stMain]", timeout: float = 120_000) -> None:
    """Wait until `text` is shown inside `where` and the app is idle (invisible word joiners, which keep
    user strings from becoming links, are ignored)."""
    page.wait_for_function(
        "([sel, t, idle]) => { const e = document.querySelector(sel);"
        " return !!e && e.innerText.replaceAll('\\u2060', '').includes(t) && !!document.querySelector(idle); }",
        arg=[where, text, IDLE], timeout=timeout, polling="raf")


def open_page(page, name: str, timeout: float = 120_000) -> None:
    act(page, page.locator("[data-testid=stSidebarNav] a", has_text=name).first.click, timeout)
    page.wait_for_function("t => (document.querySelector('h1') || {}).innerText?.startsWith(t)", arg=name,
                           timeout=timeout, polling="raf")


def metric(page, label: str) -> str:
    card = page.locator("[data-testid=stMetric]", has_text=label).first
    return card.locator("[data-testid=stMetricValue]").inner_text().strip()


def text(page, where: str = "[data-testid=stMain]") -> str:
    """What a reader sees in `where`, without the invisible word joiners."""
    return page.locator(where).inner_text().replace("\u2060", "")


def exceptions(page) -> list[str]:
    return page.locator("[data-testid=stException]").all_inner_texts()
