"""Several people on one server, in headless Chromium: no cross-talk between sessions, a malformed
model file stops no one, and user strings stay plain text with no request to any other host.

Skipped where Chromium is absent, unless E2E_REQUIRED=1 (as tests/test_e2e.py).
"""

import os
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests import browser
from tests.test_hardening import more_leaves, small_table, truncated

pytestmark = pytest.mark.e2e

if not browser.chromium_available():
    if os.environ.get("E2E_REQUIRED") == "1":
        raise RuntimeError(f"E2E_REQUIRED=1 but Chromium is missing at {browser.CHROMIUM}")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api")
FOREIGN = "198.51.100.7"  # TEST-NET-2: never a real host


@pytest.fixture(scope="module")
def app():
    with browser.RunningApp() as running:
        yield running


@pytest.fixture
def people(app, tmp_path):
    """open(name) -> a page in its own browser profile (its own Streamlit session), with every request
    it makes recorded in page.requests."""
    with playwright_api.sync_playwright() as pw:
        contexts = []

        def open_session(name):
            context = browser.launch(pw, str(tmp_path / name))
            contexts.append(context)
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(120_000)
            page.requests = []
            context.on("request", lambda request: page.requests.append(request.url))
            browser.load(page, app.url)
            return page

        yield open_session
        for context in contexts:
            context.close()


def upload_table(page, path) -> None:
    page.get_by_text("Use your own data").click()  # an expander: opens in the browser, no rerun
    page.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(str(path))
    browser.wait_for_text(page, path.name, where="[data-testid=stSidebar]")


def sidebar(page) -> str:
    return browser.text(page, "[data-testid=stSidebar]")


def test_sessions_at_once_see_only_their_own_data_and_choices(app, people, tmp_path):
    alice, bob = people("alice"), people("bob")
    table = pd.DataFrame({"age": [20 + i % 50 for i in range(240)], "alice_only_column": [i % 7 for i in range(240)],
                          "outcome": ["yes" if i % 3 else "no" for i in range(240)]})
    path = tmp_path / "alice_private.csv"
    table.to_csv(path, index=False)
    # both act before either waits: Alice uploads while Bob opens the Anonymize page and moves k
    alice.get_by_text("Use your own data").click()
    alice.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(str(path))
    bob.locator("[data-testid=stSidebarNav] a", has_text="Anonymize").first.click()
    browser.wait_for_text(alice, "alice_private.csv", where="[data-testid=stSidebar]")
    browser.wait_for_text(bob, "Accuracy-guided at k = 10,")
    slider = bob.get_by_role("slider").first
    slider.focus()
    browser.act(bob, lambda: slider.press("ArrowRight"))
    browser.wait_for_text(bob, "Accuracy-guided at k = 11,")

    assert "alice" not in sidebar(bob) and "UCI Adult" in sidebar(bob)
    browser.open_page(bob, "Data & model")
    assert "alice" not in bob.locator("[data-testid=stMain]").inner_text()
    browser.open_page(alice, "Anonymize")
    assert "at k = 10," in alice.locator("[data-testid=stMain]").inner_text()  # Bob's k stayed Bob's
    assert "alice_private.csv" in sidebar(alice)
    assert browser.exceptions(alice) == [] and browser.exceptions(bob) == []


@pytest.mark.parametrize("malform", [truncated, more_leaves])
def test_a_malformed_model_is_one_line_and_every_session_goes_on(app, people, tmp_path, malform):
    X, y = small_table()
    table = X.assign(label=y)
    table_path = tmp_path / "people.csv"
    table.to_csv(table_path, index=False)
    from anonymizer.models import train_default_model

    text = train_default_model(X, y)[-1].booster_.model_to_string()
    model_path = tmp_path / "broken.txt"
    model_path.write_text(malform(text))

    mallory, bob = people("mallory"), people("bob")
    upload_table(mallory, table_path)
    model_input = mallory.locator("[data-testid=stFileUploaderDropzoneInput]").nth(2)
    browser.act(mallory, lambda: model_input.set_input_files(str(model_path)))
    alerts = mallory.locator("[data-testid=stAlert]").all_inner_texts()
    refusal = [a for a in alerts if "broken.txt" in a]
    assert len(refusal) == 1 and "could not be read as a LightGBM model" in refusal[0], alerts
    assert "\n" not in refusal[0].strip() and "Traceback" not in refusal[0]
    assert "broken.txt" not in sidebar(mallory)  # the previous model (none: trained here) stays in use

    assert app.process.poll() is None  # the server is alive
    browser.open_page(bob, "Anonymize")  # and another session still computes
    assert int(browser.metric(bob, "k achieved").replace(",", "")) >= 10
    browser.open_page(mallory, "Anonymize")
    assert int(browser.metric(mallory, "k achieved").replace(",", "")) >= 10
    assert browser.exceptions(mallory) == [] and browser.exceptions(bob) == []


def test_user_strings_stay_text_and_no_other_host_is_asked(app, people, tmp_path):
    image = f"![x](http://{FOREIGN}/pixel.png)"
    column = f"outcome {image}"
    n = 240
    table = pd.DataFrame({"age": [20 + i % 50 for i in range(n)], "hours, weekly": [30 + i % 20 for i in range(n)],
                          "zip `code`": [f"0{2100 + i % 9}" for i in range(n)],
                          "note": [f"<img src=http://{FOREIGN}/{i}.png>" for i in range(n)],
                          column: ["yes" if i % 4 else "no" for i in range(n)]})
    path = tmp_path / "x`y [z](http:).csv"
    table.to_csv(path, index=False)
    page = people("eve")
    upload_table(page, path)
    browser.wait_for_text(page, f"Target: {column}", where="[data-testid=stSidebar]")  # suggested by its name
    assert path.name in sidebar(page)  # the file name as written, not read as Markdown
    for name in ("Anonymize", "Utility", "Export", "Data & model"):
        browser.open_page(page, name, timeout=300_000)
        assert browser.exceptions(page) == [], name
        assert page.locator(f"img[src*='{FOREIGN}'], a[href*='{FOREIGN}']").count() == 0, name
    hosts = {urlparse(url).hostname for url in page.requests if urlparse(url).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, hosts
