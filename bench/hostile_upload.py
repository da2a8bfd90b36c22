"""One hostile upload beside an ordinary session (issue 17).

    .venv/bin/python bench/hostile_upload.py [--fields 5500000] [--repeats 2]

Starts the dashboard and measures, in headless Chromium:
- "alone": a fresh session loads the demo and types Mondrian k = 37 on the Anonymize page, until the page
  shows its numbers (the usual time);
- "beside the upload": the same, in another fresh session, while a third session uploads a one-line CSV of
  --fields header fields and no rows (the issue's file: 5.5 million fields, 48 MB); and how long that session
  waits for its one-line refusal;
- the server's resident memory (RSS, /proc) before, its peak (VmHWM) and after the sessions close.
Each is done --repeats times; the median is printed. Nothing is asserted: machines are shared.
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
from tests.test_sessions import choose  # noqa: E402


def status(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def ordinary(pw, app, folder: Path) -> float:
    """Seconds from opening the app to seeing Mondrian k = 37's numbers."""
    start = time.perf_counter()
    context, page = browser.launch(pw, str(folder))
    browser.load(page, app.url)
    choose(page, "Mondrian", 37)
    browser.metric(page, "k achieved")
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=5_500_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hostile-"))
    wide = tmp / "wide.csv"
    wide.write_bytes(",".join(f"f{i}" for i in range(args.fields)).encode() + b"\n")
    rows = {"alone s": [], "beside the upload s": [], "refusal s": []}
    with browser.RunningApp() as app, sync_playwright() as pw:
        warm = ordinary(pw, app, tmp / "warm")  # the first session pays the server's own warm-up
        before = status(app.process.pid, "VmRSS")
        for r in range(args.repeats):
            rows["alone s"].append(ordinary(pw, app, tmp / f"alone{r}"))
            context, mallory = browser.launch(pw, str(tmp / f"mallory{r}"))
            browser.load(mallory, app.url)
            mallory.get_by_text("Use your own data").click()
            start = time.perf_counter()
            mallory.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(str(wide))
            rows["beside the upload s"].append(ordinary(pw, app, tmp / f"bob{r}"))
            browser.wait_for_text(mallory, "can be read", timeout=600_000)
            rows["refusal s"].append(time.perf_counter() - start)
            line = [a for a in mallory.locator("[data-testid=stAlert]").all_inner_texts() if "wide.csv" in a]
            context.close()
        time.sleep(10)  # sessions end when their websockets close; Streamlit releases them shortly after
        after = status(app.process.pid, "VmRSS")
        peak = status(app.process.pid, "VmHWM")
    print(f"one-line CSV of {args.fields:,} fields ({wide.stat().st_size / 2**20:.0f} MiB), {args.repeats} repeats, "
          f"medians; first session (server warm-up) {warm:.1f} s")
    print("| measure | value |\n|---|---|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.2f} |")
    print(f"| server RSS before MiB | {before:.0f} |\n| server peak (VmHWM) MiB | {peak:.0f} |\n"
          f"| server RSS after MiB | {after:.0f} |")
    print(f"refusal shown: {line[0] if line else '(none)'}")


if __name__ == "__main__":
    main()
