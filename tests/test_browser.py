"""End to end: `streamlit run app.py` driven by headless Chromium, as users meet the app.

Slow (a server, a browser, real trainings): `make test` skips them, CI runs them. Screenshots of
every page land in artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import ROOT, choose, go, launch, set_number, set_slider, settled, streamlit_server, train

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "artifacts" / "browser"
PAGES = {"Home": "", "Dataset": "Dataset", "Train": "Train", "Compare": "Compare", "Robustness": "Robustness"}
SMALL = {"Fibonacci numbers n": 60, "Epochs": 2}
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(ARTIFACTS / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A new browser session on the home page; asserts at the end that no exception box appeared."""
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(server.url)
    settled(tab)
    yield tab
    assert tab.locator('[data-testid="stException"]').count() == 0
    context.close()


def caption(tab) -> str:
    return tab.locator('[data-testid="stCaptionContainer"]', has_text="Configuration:").first.inner_text()


def alerts(tab) -> list[str]:
    return tab.locator('[data-testid="stAlert"]').all_inner_texts()


def metrics(tab) -> list[str]:
    return tab.locator('[data-testid="stMetricValue"]').all_inner_texts()


def shot(tab, name: str) -> None:
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_every_page_renders(page, server):
    for label, path in PAGES.items():
        page.goto(f"{server.url}/{path}")
        settled(page)
        assert label in page.locator("h1").first.inner_text() or label == "Home"
        assert page.locator('[data-testid="stException"]').count() == 0
        shot(page, f"page_{label.lower()}")
    page.goto(f"{server.url}/Dataset")
    settled(page)
    page.wait_for_selector(".js-plotly-plot")
    assert page.locator(".js-plotly-plot").count() == 4
    assert "n=1200, time_steps=20" in caption(page)


def test_train_through_the_ui_then_compare(page):
    go(page, "Train")
    for label, value in SMALL.items():
        set_number(page, label, value)
    assert "n=60" in caption(page) and "2 epochs" in caption(page)
    train(page)
    assert len(metrics(page)) == 6
    assert page.get_by_text("Total parameters: 11").is_visible()
    assert page.get_by_text("Total parameters: 33").is_visible()
    shot(page, "trained")

    go(page, "Compare")  # the config carries over with the session
    assert "n=60" in caption(page) and "2 epochs" in caption(page)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
    scores = page.locator('[data-testid="stDataFrame"]').first
    # the grid is drawn on a canvas; its cells' text sits in a hidden table for screen readers
    scores.locator('[role="gridcell"]').first.wait_for(state="attached")
    cells = scores.locator('[role="gridcell"]').all_text_contents()
    names = ["RNN", "RNN + attention", "predict zero", "persistence", "Fibonacci rule"]
    assert [cell for cell in cells if cell in names] == names
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()  # SVG text
    assert "Attention weights of the test windows" in titles
    assert "Mean attention weight per time step" in titles
    assert any(title.startswith("Predictions in Fibonacci units") for title in titles)
    shot(page, "compare")


def test_seed_study_through_the_ui(page):
    go(page, "Robustness")
    for label, value in SMALL.items():
        set_number(page, label, value)
    set_slider(page, "Seeds in the study", 3)
    assert "seeds 0 to 2" in caption(page)
    page.get_by_role("button", name="Run the study").click()
    page.get_by_text("trainings in").wait_for()
    settled(page)
    assert metrics(page)[0].endswith("of 3 seeds")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2")
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert titles == ["Test MSE of every seed (lower is better)", "Test MSE ratio per seed: attention / RNN"]
    assert any("holds for this config only" in text for text in alerts(page))
    shot(page, "robustness")


def test_bad_input_gets_a_message_and_the_app_keeps_working(page):
    go(page, "Dataset")
    n_box = page.get_by_label("Fibonacci numbers n", exact=True)
    n_box.fill("5000")  # past the widget's bound: the browser refuses it, the last good value stays
    n_box.press("Enter")
    page.wait_for_timeout(500)
    assert n_box.get_attribute("aria-invalid") == "true"
    assert "n=1200" in caption(page)

    set_number(page, "Fibonacci numbers n", 1200)
    set_number(page, "Time steps per window", 1199)
    assert any("time_steps must be at most 1198" in text for text in alerts(page))
    shot(page, "bad_time_steps")
    go(page, "Compare")  # the other pages say the same and keep serving
    assert any("time_steps must be at most 1198" in text for text in alerts(page))
    set_number(page, "Time steps per window", 20)
    assert not any("cannot be used" in text for text in alerts(page))

    go(page, "Train")
    set_number(page, "Batch size", 900)
    assert any("batch_size must be at most 826" in text for text in alerts(page))
    set_number(page, "Batch size", 1)
    set_number(page, "Fibonacci numbers n", 400)
    choose(page, "Scaling", "none")
    assert any("scaling 'none', n must be at most 185" in text for text in alerts(page))
    shot(page, "bad_scaling")


def test_training_goes_on_across_page_switches_and_stop_keeps_nothing(page, server):
    go(page, "Train")
    # The tutorial config with 200 epochs: long enough (about 10 s) to leave the page in the middle
    set_number(page, "Epochs", 200)
    set_number(page, "Seed", 3)
    page.get_by_role("button", name="Train both models").click()
    page.get_by_text(re.compile("Running for")).wait_for()
    go(page, "Dataset")  # a page switch in the middle of training
    assert page.locator('[data-testid="stSidebar"]').get_by_text("In the background").is_visible()
    go(page, "Train")
    page.get_by_text("Trained: results below").wait_for()
    assert page.get_by_text("200 epochs in").count() == 2  # both models complete, none cut short

    set_number(page, "Seed", 4)
    page.get_by_role("button", name="Train both models").click()
    page.get_by_text(re.compile("Running for")).wait_for()
    page.get_by_role("button", name="Stop training").click()
    page.get_by_text("Training was stopped before it finished").wait_for()
    settled(page)
    assert any("has not been trained yet" in text for text in alerts(page))
    go(page, "Compare")  # nothing half-trained was kept for seed 4
    assert any("has not been trained yet" in text for text in alerts(page))
    assert "job stopped" in server.log_text()


def test_sessions_share_one_training_and_keep_their_own_configs(browser, server):
    tabs = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(f"{server.url}/Train")
        settled(tab)
        for label, value in {"Fibonacci numbers n": 90, "Epochs": 300, "Seed": 7}.items():
            set_number(tab, label, value)
        tabs.append(tab)
    for tab in tabs:  # both ask for the same config while it trains (300 epochs: a few seconds)
        tab.get_by_role("button", name="Train both models").click()
    for tab in tabs:
        tab.get_by_text("Trained: results below").wait_for()
        settled(tab)
    first, second = tabs
    shared = metrics(first)
    assert len(shared) == 6 and metrics(second) == shared
    started = re.findall(r"job started: training n=90, .*seed 7$", server.log_text(), re.MULTILINE)
    assert len(started) == 1

    set_number(second, "Seed", 8)
    train(second)
    assert "seed 8" in caption(second) and metrics(second) != shared
    go(first, "Train")  # the first session still sees its own config and numbers
    assert "seed 7" in caption(first) and metrics(first) == shared
    for tab in tabs:
        assert tab.locator('[data-testid="stException"]').count() == 0
        tab.context.close()
