"""How long the Cancel button of a background job takes to end it (issue 17: the Stop button took 34 s).

    .venv/bin/python bench/cancel.py [--repeats 3]

In headless Chromium on the demo: open the Attacks page, run the attacks (a short job), start the frontier
(one step a setting), wait until its first step is done, click Cancel, and time until the page says the job was
cancelled. A job stops between steps, so the time is at most one step (the DP
settings are the longest). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests import browser  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times = []
    with browser.RunningApp() as app, sync_playwright() as pw:
        for _ in range(args.repeats):
            context, page = browser.launch(pw, tempfile.mkdtemp(prefix="cancel-"))
            browser.load(page, app.url)
            browser.open_page(page, "Attacks")
            page.get_by_role("button", name="Run the attacks").click()
            browser.wait_for_text(page, "Membership inference", timeout=300_000)  # the attacks are a short job
            page.get_by_role("button", name="Build the frontier").click()  # the frontier is many steps
            cancel = page.get_by_role("button", name="Cancel")
            cancel.wait_for(timeout=120_000)
            browser.wait_for_text(page, "1 of", timeout=300_000)  # a step has finished: the job is under way
            start = time.perf_counter()
            cancel.click()
            browser.wait_for_text(page, "cancelled after", timeout=300_000)
            times.append(time.perf_counter() - start)
            context.close()
    print("| measure | median s | max s |\n|---|---|---|")
    print(f"| Cancel to idle ({args.repeats} runs) | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
