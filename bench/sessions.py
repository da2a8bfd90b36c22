"""Server memory with several people at once, and after they leave (issue 7).

    .venv/bin/python bench/sessions.py [--sessions 6] [--rounds 2] [--settle 30]

Starts the dashboard, then opens N browser sessions (headless Chromium, one profile each) that stay
open together: each loads the demo, moves k on the Anonymize page three times and opens the Utility
page (which trains the members' model and the anonymized models). Then every session closes. Prints
the server's resident memory (RSS, from /proc) idle, with all sessions open, its peak (VmHWM), and
after the sessions closed, once RSS has been steady for 5 s (at most --settle s). A second round
shows whether memory is reused or keeps growing. Nothing is asserted: machines are shared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests import browser  # noqa: E402


def status(pid: int, field: str) -> float:
    """A /proc/PID/status field in MB (VmRSS: now, VmHWM: peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def settle(pid: int, limit: float) -> tuple[float, float]:
    """(RSS once it has not moved by more than 2 MB for 5 s, seconds waited), waiting at most `limit`."""
    start = time.monotonic()
    steady_since, last = start, status(pid, "VmRSS")
    while time.monotonic() - start < limit:
        time.sleep(1)
        now = status(pid, "VmRSS")
        if abs(now - last) > 2:
            steady_since, last = time.monotonic(), now
        elif time.monotonic() - steady_since >= 5:
            break
    return status(pid, "VmRSS"), time.monotonic() - start


def one_session(pw, url: str) -> object:
    context, page = browser.launch(pw, tempfile.mkdtemp(), timeout=300_000)
    browser.load(page, url)
    browser.open_page(page, "Anonymize")
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(3):
        browser.act(page, lambda: slider.press("ArrowRight"))
    browser.open_page(page, "Utility", timeout=300_000)
    if browser.exceptions(page):
        raise RuntimeError(f"exception on the page: {browser.exceptions(page)}")
    return context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settle", type=float, default=30)
    parser.add_argument("--after-ttl", action="store_true",
                        help="then wait out server.disconnectedSessionTTL (120 s) and open and close one more session, "
                             "which makes Streamlit drop the expired sessions it kept for reconnecting")
    args = parser.parse_args()
    rows = []
    with browser.RunningApp() as app, sync_playwright() as pw:
        pid = app.process.pid
        idle, _ = settle(pid, args.settle)
        rows.append(("server idle (no session yet)", idle, ""))
        for round_ in range(1, args.rounds + 1):
            start = time.perf_counter()
            contexts = [one_session(pw, app.url) for _ in range(args.sessions)]
            rows.append((f"round {round_}: {args.sessions} sessions open", status(pid, "VmRSS"),
                         f"{time.perf_counter() - start:.0f} s to open them"))
            rows.append((f"round {round_}: peak so far (VmHWM)", status(pid, "VmHWM"), ""))
            for context in contexts:
                context.close()
            after, waited = settle(pid, args.settle)
            rows.append((f"round {round_}: after every session closed", after, f"steady after {waited:.0f} s"))
        if args.after_ttl:
            time.sleep(125)
            one_session(pw, app.url).close()
            after, waited = settle(pid, args.settle)
            rows.append(("after the 120 s reconnect window and one more session", after,
                         f"steady after {waited:.0f} s"))
    print(f"{args.sessions} sessions per round, demo (UCI Adult, 32,561 rows), each: Anonymize + 3 k steps + "
          "Utility\n")
    print("| what | server RSS (MB) | note |\n|---|---|---|")
    for what, mb, note in rows:
        print(f"| {what} | {mb:,.0f} | {note} |")


if __name__ == "__main__":
    main()
