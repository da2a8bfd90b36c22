"""Dashboard speed as a person sees it, measured in headless Chromium on the demo (issue 11 targets).

    .venv/bin/python bench/browser.py [--moves 6]

Prints: the first render of every page on a fresh server, the time from a k slider key press to
the updated Anonymize page for a new k (warm model cache), and for a k already seen (cached).
Times are from the key press or click to the app reporting its script idle again with the new
value on screen. Nothing is asserted: machines are shared and noisy.
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


def timed(page, action, shown: str | None = None, title: str | None = None) -> float:
    """Seconds from `action()` until the expected result is on screen and the script is idle.

    The result (the Anonymize caption "... at k = K," or the page title) only appears once the rerun
    has happened, so waiting for it and for idleness times the whole rerun, however fast.
    """
    start = time.perf_counter()
    action()
    if shown:
        browser.wait_for_text(page, shown, timeout=60_000)
    if title:
        page.wait_for_function("t => (document.querySelector('h1') || {}).innerText?.startsWith(t)",
                               arg=title, timeout=300_000, polling="raf")
    page.wait_for_selector(browser.IDLE, timeout=300_000)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--root", type=Path, default=browser.ROOT, help="a checkout of the app to measure")
    args = parser.parse_args()
    rows = []
    with browser.RunningApp(root=args.root) as app, sync_playwright() as pw:
        context = browser.launch(pw, tempfile.mkdtemp())
        page = context.pages[0] if context.pages else context.new_page()
        rows.append(("first render: Data & model (fresh server, demo loads)",
                     timed(page, lambda: page.goto(app.url), title="Data & model")))
        for name in ("Anonymize", "Utility", "Attacks", "Export"):
            link = page.locator("[data-testid=stSidebarNav] a", has_text=name).first
            rows.append((f"first render: {name}", timed(page, link.click, title=name)))
        link = page.locator("[data-testid=stSidebarNav] a", has_text="Anonymize").first
        timed(page, link.click, title="Anonymize")
        slider = page.get_by_role("slider").first
        slider.focus()
        jump, step, seen = [], [], []
        k = 10
        number = page.get_by_label("k (any value)")
        for _ in range(args.moves):  # a jump of 7, typed: never prefetched, never seen
            page.wait_for_timeout(1500)  # let the prefetch of the neighbours finish, as a person pauses
            k += 7
            number.fill(str(k))
            jump.append(timed(page, lambda: number.press("Enter"), f"at k = {k},"))
        slider.focus()
        for _ in range(args.moves):  # one step: its neighbour was prefetched while the person looked
            page.wait_for_timeout(1500)
            k += 1
            step.append(timed(page, lambda: slider.press("ArrowRight"), f"at k = {k},"))
        for _ in range(args.moves - 1):  # back over values already shown
            k -= 1
            seen.append(timed(page, lambda: slider.press("ArrowLeft"), f"at k = {k},"))
        errors = browser.exceptions(page)
        context.close()
    print("| what | seconds | target |\n|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} | < 5 |")
    print(f"| k slider, new k by a jump (median of {len(jump)}; max {max(jump):.2f}) | "
          f"{statistics.median(jump):.2f} | < 0.5 |")
    print(f"| k slider, one step to a new k (prefetched; median of {len(step)}; max {max(step):.2f}) | "
          f"{statistics.median(step):.2f} | < 0.3 |")
    print(f"| k slider, k already seen (median of {len(seen)}; max {max(seen):.2f}) | "
          f"{statistics.median(seen):.2f} | < 0.2 |")
    print(f"\nexceptions on the page: {errors or 'none'}")


if __name__ == "__main__":
    main()
