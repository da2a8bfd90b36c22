"""Real-browser flows (headless Chromium + Playwright): the demo through every page, the k slider,
an upload, a download. Skipped where Chromium is absent, unless E2E_REQUIRED=1."""

import io

import pandas as pd
import pytest

from tests import browser

pytestmark = pytest.mark.e2e

playwright_api = browser.require_chromium()



@pytest.fixture
def page(app, tmp_path):
    with playwright_api.sync_playwright() as pw:
        context, page = browser.launch(pw, str(tmp_path / "profile"))
        browser.load(page, app.url)
        yield page
        context.close()


def test_demo_walks_every_page_without_exceptions(page):
    assert "Data & model" in page.locator("h1").first.inner_text()
    for name in ("Anonymize", "Utility", "Attacks", "Export", "Data & model"):
        browser.open_page(page, name)
        assert page.locator("h1").first.inner_text().startswith(name)
        assert browser.exceptions(page) == [], name
    browser.open_page(page, "Attacks")
    # the page reruns itself once the attacks are prepared: wait for what only that second run draws
    page.get_by_role("button", name="Run the attacks").click()
    browser.wait_for_text(page, "Anonymize, train with DP, or release DP synthetic data?", timeout=300_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 4", timeout=60_000)
    assert browser.exceptions(page) == []


def test_k_slider_moves_the_numbers(page):
    browser.open_page(page, "Anonymize")
    before = browser.metric(page, "Classes")
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(5):
        browser.act(page, lambda: slider.press("ArrowRight"))
    browser.wait_for_text(page, "Accuracy-guided at k = 15,")
    assert int(browser.metric(page, "k achieved").replace(",", "")) >= 15
    assert browser.metric(page, "Classes") != before
    assert browser.exceptions(page) == []


def test_upload_csv_then_download_the_anonymized_table(page, tmp_path):
    rng = pd.Series(range(300))
    upload = pd.DataFrame({"age": 20 + rng % 50, "zip": (10000 + rng % 7).astype(str),
                           "sex": rng.map(lambda i: "F" if i % 3 else "M"), "hours": 30 + rng % 20,
                           "label": rng.map(lambda i: "yes" if i % 4 == 0 else "no")})
    path = tmp_path / "people.csv"
    upload.to_csv(path, index=False)
    page.get_by_text("Use your own data").click()  # an expander: opens in the browser, no rerun
    browser.act(page, lambda: page.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(
        str(path)))
    browser.wait_for_text(page, "people.csv", where="[data-testid=stSidebar]")
    browser.open_page(page, "Export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    downloaded = pd.read_csv(io.BytesIO(open(info.value.path(), "rb").read()))
    assert len(downloaded) == 300 and list(downloaded.columns) == list(upload.columns)
    assert browser.exceptions(page) == []


def test_choices_persist_across_pages(page):
    """Widget state survives pages that do not show the widget (AppTest's switch_page drops it)."""
    browser.open_page(page, "Anonymize")
    browser.act(page, page.get_by_text("Mondrian", exact=True).click)
    slider = page.get_by_role("slider").first
    slider.focus()
    browser.act(page, lambda: slider.press("ArrowRight"))
    browser.wait_for_text(page, "Mondrian at k = 11,")
    shown = {"Utility": "Mondrian, k = 11", "Export": "Mondrian at k = 11", "Anonymize": "Mondrian at k = 11,"}
    for name in ("Utility", "Data & model", "Export", "Anonymize"):
        browser.open_page(page, name, timeout=300_000)
        if name in shown:
            assert shown[name] in page.locator("[data-testid=stMain]").inner_text(), name
    assert page.get_by_role("radiogroup").first.get_by_role("radio", name="Mondrian").is_checked()
    assert page.get_by_label("k (any value)").input_value() == "11"
    assert browser.exceptions(page) == []


def test_a_run_is_counted_when_its_status_messages_arrive_together(app, tmp_path):
    """When a run's messages reach the page in one burst, React renders "running" and "not running" in one
    commit and the app's script-state attribute never changes; waiting on that attribute then never ended
    (a CI run timed out on it). Hold each run's messages and deliver them at once: `act` still sees the run."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    held: list | None = None

    def route(ws):
        server = ws.connect_to_server()

        def from_server(message):
            nonlocal held
            if held is None:
                ws.send(message)
                return
            held.append(message)
            msg = ForwardMsg.FromString(message)
            if msg.WhichOneof("type") == "session_status_changed" and not msg.session_status_changed.script_is_running:
                for m in held:
                    ws.send(m)
                held = None  # the run is delivered: anything after it passes straight through

        server.on_message(from_server)
        ws.on_message(server.send)

    with playwright_api.sync_playwright() as pw:
        context, page = browser.launch(pw, str(tmp_path / "profile"))
        page.route_web_socket("**/_stcore/stream", route)
        browser.load(page, app.url)
        for name in ("Export", "Data & model", "Export"):
            held = []
            browser.act(page, page.locator("[data-testid=stSidebarNav] a", has_text=name).first.click, timeout=30_000)
            assert held is None
            assert page.locator("h1").first.inner_text().startswith(name)
        context.close()


def test_the_sidebar_names_the_model_family_in_use(page):
    """The sidebar said "LightGBM" whatever family was picked (issue 15)."""
    page.get_by_text("Use your own data").click()
    box = page.locator("[data-testid=stSelectbox]", has_text="Model family").locator("input").first
    option = page.get_by_role("option", name="random forest (full depth)")
    # a rerun that lands while the list is open (the page's first runs on a fresh clone) closes it and the
    # option goes: seen in two clean-clone CI runs. Open it again, at most three times, and click the option
    # (Enter picks nothing until an option is highlighted).
    for attempt in range(3):
        try:
            box.click()
            box.press_sequentially("random forest")  # filters the list in the browser, no rerun
            option.wait_for(timeout=15_000)
            browser.act(page, lambda: option.click(timeout=15_000))
            break
        except playwright_api.TimeoutError:
            page.keyboard.press("Escape")
            if attempt == 2:
                raise
    browser.wait_for_text(page, "random forest (full depth), trained here", where="[data-testid=stSidebar]")
    assert "LightGBM" not in browser.text(page, "[data-testid=stSidebar]")
    assert browser.exceptions(page) == []


def test_the_address_is_a_link_that_reopens_the_analysis(app, tmp_path):
    """The URL carries the scenario: move k and pick Mondrian, then open the address in another browser profile
    (another session): the same k and method come back."""
    with playwright_api.sync_playwright() as pw:
        context, page = browser.launch(pw, str(tmp_path / "one"))
        browser.load(page, app.url)
        browser.open_page(page, "Anonymize")
        browser.act(page, page.get_by_text("Mondrian", exact=True).first.click)
        number = page.locator("[data-testid=stNumberInput] input").first
        number.fill("37")
        browser.act(page, lambda: number.press("Enter"))
        browser.wait_for_text(page, "Mondrian at k = 37,")
        page.wait_for_function("() => location.search.includes('k=37') && location.search.includes('mondrian')")
        context, page = browser.reopen_in_new_profile(pw, context, page, str(tmp_path / "two"), "Anonymize")
        browser.wait_for_text(page, "Mondrian at k = 37,")
        assert int(browser.metric(page, "k achieved").replace(",", "")) >= 37
        assert browser.exceptions(page) == []
        context.close()


def test_the_link_carries_the_release_rules(app, tmp_path):
    """A link reopened the analysis without its release rules: choose a hierarchy, open the address in another
    browser profile (another session), and the hierarchy is chosen and applied there."""
    with playwright_api.sync_playwright() as pw:
        context, page = browser.launch(pw, str(tmp_path / "one"))
        browser.load(page, app.url)
        browser.open_page(page, "Anonymize")
        page.get_by_text("Release rules: hierarchies").first.click()
        page.locator("[data-testid=stSelectbox]", has_text="Hierarchy of age").first.click()
        browser.act(page, page.get_by_role("option", name="bands:5 (suggested)").click)
        browser.wait_for_text(page, "Records per level each quasi-identifier")
        page.wait_for_function("() => location.search.includes('rules=') && location.search.includes('bands')")
        context, page = browser.reopen_in_new_profile(pw, context, page, str(tmp_path / "two"), "Anonymize")
        browser.wait_for_text(page, "Records per level each quasi-identifier")
        assert "hierarchies on 'age' (bands:5)" in browser.text(page)
        assert browser.exceptions(page) == []
        context.close()


def test_the_attacks_go_on_while_another_page_is_used(page):
    """Issue 16: the attacks ran in the page's own script run and stopped when the analyst opened another
    page. Now a background job: start it, use the Anonymize page meanwhile, come back to the results."""
    browser.open_page(page, "Attacks")
    browser.act(page, page.get_by_role("button", name="Run the attacks").click)
    browser.wait_for_text(page, "Attacks:")  # the job's progress line
    browser.open_page(page, "Anonymize")
    slider = page.get_by_role("slider").first
    slider.focus()
    browser.act(page, lambda: slider.press("ArrowRight"))
    browser.wait_for_text(page, "Accuracy-guided at k = 11,")  # the page answers while the job runs
    browser.open_page(page, "Attacks")
    browser.wait_for_text(page, "Anonymize, train with DP, or release DP synthetic data?", timeout=600_000)
    assert "Run the attacks" not in browser.text(page)
    assert browser.exceptions(page) == []


def test_release_rules_apply_and_persist_across_pages(page):
    """Issue 20 in the browser: a hierarchy and local suppression chosen on the Anonymize page change the
    release, and the choice is still applied after another page was opened."""
    browser.open_page(page, "Anonymize")
    page.get_by_text("Release rules: hierarchies").first.click()  # an expander: opens in the browser, no rerun
    page.locator("[data-testid=stSelectbox]", has_text="Hierarchy of age").first.click()
    browser.act(page, page.get_by_role("option", name="bands:5 (suggested)").click)
    browser.wait_for_text(page, "bands of width 5")
    slider = page.get_by_role("slider").nth(1)  # the k slider, then the suppression limit
    slider.focus()
    for _ in range(2):  # 0.005 a step: 1%
        browser.act(page, lambda: slider.press("ArrowRight"))
    browser.wait_for_text(page, "Records suppressed")
    suppressed = browser.metric(page, "Records suppressed")
    assert suppressed.endswith("(1.00%)"), suppressed
    assert int(browser.metric(page, "k achieved").replace(",", "")) >= 10
    assert "Records per level each quasi-identifier" in browser.text(page)
    browser.open_page(page, "Export")
    browser.wait_for_text(page, "Release rules: hierarchies on 'age' (bands:5)")
    assert browser.exceptions(page) == []
    browser.open_page(page, "Anonymize")
    browser.wait_for_text(page, "Records suppressed")
    assert browser.metric(page, "Records suppressed") == suppressed
    assert browser.exceptions(page) == []
