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


def launch(playwright, user_dir: str, height: int = 1000):
    return playwright.chromium.launch_persistent_context(
        user_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, accept_downloads=True,
        viewport={"width": 1400, "height": height})


def wait_idle(page, timeout: float = 120_000) -> None:
    """Let Streamlit start the rerun an interaction triggers, then wait until it is done."""
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE, timeout=timeout)


def open_page(page, name: str) -> None:
    page.locator("[data-testid=stSidebarNav] a", has_text=name).first.click()
    wait_idle(page)


def metric(page, label: str) -> str:
    card = page.locator("[data-testid=stMetric]", has_text=label).first
    return card.locator("[data-testid=stMetricValue]").inner_text().strip()


def exceptions(page) -> list[str]:
    return page.locator("[data-testid=stException]").all_inner_texts()
