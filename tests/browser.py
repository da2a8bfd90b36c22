"""Drive the dashboard in headless Chromium (Debian's, via Playwright): used by e2e tests and bench/.

The recipe: start `streamlit run` on a free loopback port, poll the health
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


# Counts the app's finished script runs (whole-page and fragment reruns alike). Streamlit's App component
# keeps this count itself (`scriptRunFinishedSequence`, one more per scriptFinished message), so the init
# script reads it from the component's state through React's fiber of the app element. Counting changes of
# the app's data-test-script-state attribute instead misses runs: when the "running" and "not running"
# status messages arrive close together React renders both in one commit, the attribute never changes, and
# a wait for the next run never ends (1 navigation in 40 on an idle machine; a CI run timed out on it).
RUN_COUNTER = """
window.__stRunsDone = () => {
  const app = document.querySelector('[data-testid=stApp]');
  const key = app && Object.keys(app).find(k => k.startsWith('__reactFiber$'));
  for (let f = key && app[key]; f; f = f.return) {
    const state = f.stateNode && f.stateNode.state;
    if (state && typeof state.scriptRunFinishedSequence === 'number') return state.scriptRunFinishedSequence;
  }
  return app ? -1 : 0;
};
"""
RUNS = "window.__stRunsDone()"


def launch(playwright, user_dir: str, height: int = 1000, timeout: float = 120_000):
    """(context, page): headless Chromium with its own profile in `user_dir` (so its own Streamlit
    session), the run counter installed, and `timeout` ms as the page's default wait."""
    context = playwright.chromium.launch_persistent_context(
        user_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, accept_downloads=True,
        viewport={"width": 1400, "height": height})
    context.add_init_script(RUN_COUNTER)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(timeout)
    return context, page


def reopen_in_new_profile(playwright, context, page, user_dir: str, page_name: str):
    """Close `context` and open `page`'s address (a link to its analysis) in a fresh profile, i.e. another
    Streamlit session, on `page_name`; returns the new (context, page)."""
    link = page.url
    context.close()
    context, page = launch(playwright, user_dir)
    load(page, link)
    open_page(page, page_name)
    return context, page


def runs_done(page) -> int:
    done = page.evaluate(RUNS)
    if done < 0:
        raise RuntimeError("cannot read Streamlit's finished-run count from its App component (a Streamlit "
                           "version other than requirements.txt's?): see RUN_COUNTER in tests/browser.py")
    return done


def act(page, action, timeout: float = 120_000) -> None:
    """Do `action()` and wait until the script run it triggers has finished (no fixed sleeps)."""
    before = runs_done(page)
    action()
    page.wait_for_function(f"{RUNS} > {before} && !!document.querySelector('{IDLE}')",
                           timeout=timeout, polling="raf")


def load(page, url: str, timeout: float = 120_000) -> None:
    """Open the app and wait for its first run to finish and a title to show."""
    page.goto(url)
    page.wait_for_function(f"{RUNS} !== 0 && !!document.querySelector('{IDLE}') && !!document.querySelector('h1')",
                           timeout=timeout, polling="raf")
    runs_done(page)


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
