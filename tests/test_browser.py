"""End to end: `streamlit run app.py` driven by headless Chromium, as users meet the app.

Slow (a server, a browser, real trainings): `make test` skips them, CI runs them. Screenshots of
every page, at desktop and phone sizes, land in artifacts/browser/.
"""

from __future__ import annotations

import math
import re
import time

import psutil
import pytest
from playwright.sync_api import sync_playwright

from fibdash.analysis.lesson import STEPS
from fibdash.csv_file import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from fibdash.quoting import WORD_JOINER
from tests.browser import (
    ROOT,
    box,
    choose,
    go,
    launch,
    opened,
    phone,
    set_number,
    set_slider,
    settled,
    streamlit_server,
    train,
    worker_process,
)

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "artifacts" / "browser"
PAGES = {
    "Home": "",
    "Dataset": "Dataset",
    "Train": "Train",
    "Compare": "Compare",
    "Robustness": "Robustness",
    "Sweep": "Sweep",
}
SMALL = {"Values n": 60, "Epochs": 2}
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


def new_tab(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(url)
    opened(tab)
    return tab


@pytest.fixture
def page(browser, server):
    """A new browser session on the home page; asserts at the end that no exception box appeared."""
    tab = new_tab(browser, server.url)
    yield tab
    assert tab.locator('[data-testid="stException"]').count() == 0
    tab.context.close()


def caption(tab) -> str:
    return tab.locator('[data-testid="stCaptionContainer"]', has_text="Configuration:").first.inner_text()


def alerts(tab) -> list[str]:
    return tab.locator('[data-testid="stAlert"]').all_inner_texts()


def metrics(tab) -> list[str]:
    return tab.locator('[data-testid="stMetricValue"]').all_inner_texts()


def shot(tab, name: str) -> None:
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def started_jobs(server, pattern: str) -> int:
    return len(re.findall(rf"job started: {pattern}", server.log_text(), re.MULTILINE))


def follow(tab, link: str, page_label: str) -> None:
    """Click a link in the page (its next step), and wait for the page it leads to."""
    tab.locator('[data-testid="stMain"]').get_by_role("link", name=link).click()
    tab.wait_for_function(f"() => document.querySelector('h1')?.innerText.includes({page_label!r})")
    settled(tab, rerun=True)


LINKED = ("n=300", "time_steps=10", "scaling=log-minmax")  # a link's settings, as the address holds them


def in_address(tab, parts) -> bool:
    """Whether the address holds every one of `parts` ("n=300") as a parameter."""
    return all(part in tab.url.split("?", 1)[-1].split("&") for part in parts)


def history(tab) -> int:
    """The number of entries in the tab's history: one more for each page opened."""
    return tab.evaluate("history.length")


def test_every_page_renders_at_desktop_and_phone_sizes(page, browser, server):
    small = phone(browser)
    for label, path in PAGES.items():
        for tab, size in ((page, "desktop"), (small, "phone")):
            tab.goto(f"{server.url}/{path}")
            settled(tab)
            assert label in tab.locator("h1").first.inner_text() or label == "Home"
            assert tab.locator('[data-testid="stException"]').count() == 0
            tab.screenshot(
                path=str(ARTIFACTS / f"page_{label.lower()}_{size}.png"), full_page=size == "desktop"
            )
    small.context.close()
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
    assert "n=60" in page.url and "epochs=2" in page.url  # the settings live in the URL
    assert page.get_by_text(re.compile(r"Estimated time: about \d+ s")).is_visible()
    train(page)
    assert len(metrics(page)) == 8  # per model: test and train MSE, MdAPE and MASE
    assert page.get_by_text("Total parameters: 11").is_visible()
    assert page.get_by_text("Total parameters: 33").is_visible()
    shot(page, "trained")

    go(page, "Compare")  # the config carries over with the session, and into the URL
    assert "n=60" in caption(page) and "2 epochs" in caption(page)
    assert "n=60" in page.url and "epochs=2" in page.url
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
    scores = page.locator('[data-testid="stDataFrame"]').first
    # the grid is drawn on a canvas; its cells' text sits in a hidden table for screen readers
    scores.locator('[role="gridcell"]').first.wait_for(state="attached")
    cells = scores.locator('[role="gridcell"]').all_text_contents()
    names = ["RNN", "RNN + attention", "predict zero", "persistence", "AR(2)"]
    assert [cell for cell in cells if cell in names] == names
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()  # SVG text
    # a long title wraps onto a second SVG line, whose text follows with no space
    assert "Attention weights of the test windowsafter epoch 2" in titles
    assert "Mean attention weight per time step afterepoch 2" in titles
    assert any(title.startswith("Predictions in Fibonacci units") for title in titles)
    shot(page, "compare")

    # attention through training: the slider takes the heatmap back to epoch 1
    chart = "document.querySelector('.st-key-attention_weights .js-plotly-plot')"
    heatmap = f"() => JSON.stringify({chart}.data[0].z)"
    last = page.evaluate(heatmap)
    set_slider(page, "After epoch", 1)
    page.get_by_text("After epoch 1: training loss").wait_for()
    titles = page.locator(".st-key-attention_weights .js-plotly-plot .gtitle").all_text_contents()
    assert "Attention weights of the test windowsafter epoch 1" in titles
    assert page.evaluate(heatmap) != last

    # what if: a test window whose every step is the series' largest value (1 scaled): both
    # models' predictions change, and the rules say what they must
    def answers() -> dict[str, list[str]]:
        """The what-if table by predictor: its scaled and Fibonacci-unit answers."""
        cells = page.locator('.st-key-what_if_answers [role="gridcell"]')
        cells.first.wait_for(state="attached")
        texts = cells.all_text_contents()
        return {texts[i]: texts[i + 1 : i + 3] for i in range(0, len(texts), 3)}

    before = answers()
    page.locator(".st-key-what_if").get_by_text("scaled values", exact=True).click()
    settled(page, rerun=True)
    box = page.locator(".st-key-what_if textarea")
    values = ["1"] * len(box.input_value().split(", "))  # the series' largest value at every step
    box.fill(", ".join(values))
    box.press("Control+Enter")
    settled(page, rerun=True)
    rule = page.locator('.st-key-what_if_answers [role="gridcell"]').get_by_text("2", exact=True)
    rule.wait_for(state="attached")  # the Fibonacci rule's scaled answer for the edit: 1 + 1
    after = answers()
    for model in ("RNN", "RNN + attention"):
        assert after[model] != before[model], model
    assert float(after["persistence"][0]) == 1 and float(after["AR(2)"][0]) == 2
    shot(page, "compare-what-if")

    follow(page, "Does it hold for other seeds? Compare the models over many", "Robustness")
    assert in_address(page, ("n=60", "epochs=2")) and "n=60" in caption(page)


def test_forecasts_split_in_time_at_desktop_and_phone_sizes(page, browser, server):
    """A chronological pair trained once; Compare forecasts 10 steps ahead from every test window, then 4,
    without training again; the forecast charts drawn whole at 1400 px and 390 px (screenshots)."""
    settings = "n=120&time_steps=5&epochs=2&split=chronological&scaling=window"
    page.goto(f"{server.url}/Train?{settings}")
    opened(page)
    train(page)
    go(page, "Compare")
    set_number(page, "Forecast horizon", 10)
    section = page.locator(".st-key-forecast")
    section.locator(".js-plotly-plot").nth(1).wait_for()
    titles = section.locator(".gtitle").all_text_contents()
    assert titles[0] == "Forecast error by step ahead: MAE" and titles[1].startswith(
        "Forecasts 10 steps ahead"
    )
    assert "horizon=10" in page.url
    section.screenshot(path=str(ARTIFACTS / "forecast_desktop.png"))
    set_number(page, "Forecast horizon", 4)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.st-key-forecast .gtitle')].some(t => t.textContent.startsWith("
        "'Forecasts 4 steps'))"
    )
    assert started_jobs(server, "training n=120, .*chronological split, window scaling") == 1  # not again

    small = phone(browser)
    small.goto(f"{server.url}/Compare?{settings}&horizon=10")
    settled(small)
    charts = small.locator(".st-key-forecast .js-plotly-plot")
    charts.nth(1).wait_for()
    for i in range(2):  # each chart within the phone's width, its title inside it
        left, _, right, _ = box(charts.nth(i))
        assert left >= 0 and right <= 390, (i, left, right)
        title = box(charts.nth(i).locator(".gtitle"))
        assert left <= title[0] and title[2] <= right
    for i, name in enumerate(("errors", "forecast")):
        charts.nth(i).scroll_into_view_if_needed()
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"forecast_phone_{name}.png"))
    assert small.locator('[data-testid="stException"]').count() == 0
    small.context.close()


def test_a_backtest_and_a_scaler_fitted_on_training_on_the_dataset_page(page, browser, server):
    """The folds drawn, one row each, and the test targets a tanh output cannot reach said, at 1400 px and
    390 px (screenshots); the settings chosen in the sidebar, as a visitor does."""
    go(page, "Dataset")
    choose(page, "Split", "backtest")
    set_number(page, "Backtest folds", 4)
    choose(page, "Scaler fitted on", "train")
    assert in_address(page, ("split=backtest", "folds=4", "scaler_fit=train"))
    folds = page.locator(".js-plotly-plot").last
    folds.wait_for()
    assert folds.locator(".gtitle").text_content() == "Backtest: 4 expanding folds"  # SVG text
    assert sorted(folds.locator(".ytick text").all_text_contents()) == [
        "fold 1",
        "fold 2",
        "fold 3",
        "fold 4",
    ]
    assert any("test targets lie above every training target" in text for text in alerts(page))
    shot(page, "dataset_backtest_desktop")
    small = phone(browser)
    small.goto(page.url)
    settled(small)
    chart = small.locator(".js-plotly-plot").last
    chart.scroll_into_view_if_needed()
    left, _, right, _ = box(chart)
    assert left >= 0 and right <= 390
    chart.screenshot(path=str(ARTIFACTS / "dataset_backtest_phone.png"))
    small.context.close()


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

    follow(page, "Does it hold for other settings? Sweep them", "Sweep")
    assert in_address(page, ("n=60", "epochs=2", "seeds=3"))


def test_the_variants_study_from_its_link_at_desktop_and_phone_sizes(browser, server):
    link = f"{server.url}/Robustness?study=variants&n=60&epochs=2&seeds=5"
    tab = new_tab(browser, link)
    assert in_address(tab, ("study=variants",)) and "every attention head; seeds 0 to 4" in caption(tab)
    tab.get_by_role("button", name="Run the variants study").click()
    tab.get_by_text("trainings in").wait_for()
    settled(tab)
    tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 1")
    titles = tab.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert titles == ["Test MSE of every seed, each model"]
    verdicts = tab.locator(".st-key-verdicts").inner_text()
    assert all(f"{head} attention" in verdicts for head in ("tutorial", "additive", "dot", "self", "uniform"))
    # the command's code block is drawn once its highlighter's code has loaded, after the page settles
    tab.locator(".st-key-reproduce code").wait_for()
    assert (
        "python -m fibdash study --variants --seeds 5 --n 60 --epochs 2"
        in tab.locator(".st-key-reproduce").inner_text()
    )
    shot(tab, "robustness_variants")
    tab.get_by_text("Attention against the RNN").click()  # today's study: no parameter in the address
    settled(tab, rerun=True)
    tab.get_by_role("button", name="Run the study").wait_for()
    assert "study=" not in tab.url and in_address(tab, ("n=60", "epochs=2", "seeds=5"))
    assert tab.locator('[data-testid="stException"]').count() == 0
    tab.context.close()

    small = phone(browser)  # the same link on a phone: the result is cached for every session
    small.goto(link)
    opened(small)
    small.get_by_text("trainings in").wait_for()
    small.locator(".st-key-verdicts").wait_for()
    small.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 1")
    settled(small)
    shot(small, "robustness_variants_phone")
    for part in (".js-plotly-plot", ".st-key-variants_table", ".st-key-verdicts"):  # below the first screen
        name = part.strip(".").removeprefix("st-key-").replace("js-plotly-plot", "figure")
        small.locator(part).first.screenshot(path=str(ARTIFACTS / f"robustness_variants_phone_{name}.png"))
    assert small.locator('[data-testid="stException"]').count() == 0
    assert started_jobs(server, "a variants study") == 1
    small.context.close()


def test_typed_and_linked_values_are_read_as_meant_or_refused_with_the_limit(page, browser, server):
    go(page, "Dataset")
    set_number(page, "Values n", 5000)
    assert any("n must be at most 1474" in text for text in alerts(page))
    set_number(page, "Values n", "1e3")
    assert page.get_by_label("Values n", exact=True).input_value() == "1000"
    assert "n=1000" in caption(page)
    set_number(page, "Time steps per window", "")
    assert any("time_steps is empty: type a whole number from 1 to 4999" in text for text in alerts(page))
    set_number(page, "Time steps per window", 999)
    assert any("time_steps must be at most 998" in text for text in alerts(page))
    shot(page, "bad_time_steps")
    go(page, "Compare")  # the other pages say the same and keep serving
    assert any("time_steps must be at most 998" in text for text in alerts(page))
    set_number(page, "Time steps per window", 20)
    assert not any("cannot be used" in text or "must be" in text for text in alerts(page))

    go(page, "Train")
    set_number(page, "Batch size", 900)
    assert any("batch_size must be at most 686" in text for text in alerts(page))
    set_number(page, "Batch size", 1)
    set_number(page, "Values n", 400)
    choose(page, "Scaling", "none")
    assert any("scaling 'none', n must be at most 185" in text for text in alerts(page))
    shot(page, "bad_scaling")

    linked = new_tab(browser, f"{server.url}/Train?n=5000&scaling=bogus&epochs=7")
    assert any("n must be at most 1474" in text for text in alerts(linked))
    assert any("The link's scaling=bogus cannot be used" in text for text in alerts(linked))
    assert linked.locator('[data-testid="stException"]').count() == 0
    linked.context.close()


def test_a_links_values_are_written_back_in_the_apps_own_spelling(browser, server):
    tab = new_tab(browser, f"{server.url}/Train?cell=lstm&scaling=LOG-MINMAX&n=3e2")
    assert in_address(tab, ("cell=LSTM", "scaling=log-minmax", "n=300")), tab.url
    assert "n=300," in caption(tab) and "log-minmax scaling; LSTM(2)" in caption(tab)
    assert not tab.locator(".st-key-link_problems").count()  # taken as meant: nothing to say
    tab.context.close()

    tab = new_tab(browser, f"{server.url}/Robustness?seeds=100&seeds=3")
    assert "The link gives seeds twice (100, 3): the last, 3, is used." in alerts(tab)
    assert tab.url.split("?", 1)[1].split("&").count("seeds=3") == 1 and "seeds=100" not in tab.url
    assert "seeds 0 to 2" in caption(tab)
    shot(tab, "repeated_parameter")
    tab.context.close()


def test_a_link_opens_its_configuration_and_it_survives_page_changes(browser, server):
    tab = new_tab(browser, f"{server.url}/Dataset?n=300&time_steps=12&scaling=log-minmax&train_fraction=0.8")
    assert caption(tab).startswith("Configuration: n=300, time_steps=12, train fraction 0.8, log-minmax")
    go(tab, "Train")
    assert "n=300, time_steps=12, train fraction 0.8, log-minmax" in caption(tab)
    set_number(tab, "Seed", 4)
    go(tab, "Robustness")
    assert "n=300, time_steps=12, train fraction 0.8, log-minmax" in caption(tab)
    go(tab, "Dataset")
    for part in ("n=300", "time_steps=12", "scaling=log-minmax", "train_fraction=0.8"):
        assert part in tab.url
    tab.context.close()


def test_a_links_settings_stay_in_the_address_through_every_page_change(browser, server):
    tab = new_tab(browser, f"{server.url}/Dataset?{'&'.join(LINKED)}")
    entries = history(tab)
    for label in ("Train", "Compare", "Robustness", "Sweep", "Home", "Dataset", "Train", "Home", "Compare"):
        if label == "Home":  # its heading is the app's name, not the page's
            tab.locator('[data-testid="stSidebar"]').get_by_role("link", name="Home", exact=True).click()
            tab.wait_for_function("() => document.querySelector('h1')?.innerText.includes('fibdash')")
            settled(tab, rerun=True)
        else:
            go(tab, label)
            if label != "Sweep":  # which says its configuration point by point
                assert "n=300, time_steps=10, train fraction 0.7, log-minmax" in caption(tab), label
        assert in_address(tab, LINKED), (label, tab.url)
        entries += 1
        assert history(tab) == entries, label  # one entry per page change, that Back returns to
    copied = new_tab(browser, tab.url)  # the address, opened in a fresh browser
    assert "n=300, time_steps=10, train fraction 0.7, log-minmax" in caption(copied)
    copied.context.close()

    go(tab, "Dataset")
    follow(tab, "Train both models on this data", "Train")  # the next step, from the page's end
    assert in_address(tab, LINKED) and "n=300, time_steps=10" in caption(tab)
    tab.context.close()


def test_back_returns_to_the_page_before_with_the_settings_it_had(browser, server):
    tab = new_tab(browser, f"{server.url}/Dataset?{'&'.join(LINKED)}")
    go(tab, "Train")
    set_number(tab, "Epochs", 12)
    assert in_address(tab, (*LINKED, "epochs=12"))
    go(tab, "Compare")
    set_number(tab, "Seed", 5)
    tab.go_back()  # from Compare, with a seed of its own, to Train as it was left
    tab.wait_for_function("() => document.querySelector('h1')?.innerText.includes('Train')")
    settled(tab, rerun=True)
    assert in_address(tab, (*LINKED, "epochs=12")) and "seed=5" not in tab.url
    assert tab.get_by_label("Epochs", exact=True).input_value() == "12"
    assert "12 epochs" in caption(tab) and "seed 0" in caption(tab)
    tab.go_back()  # the typed epochs were Train's, not a page of their own: back to Dataset
    tab.wait_for_function("() => document.querySelector('h1')?.innerText.includes('Dataset')")
    settled(tab, rerun=True)
    assert in_address(tab, LINKED) and "epochs" not in tab.url
    assert caption(tab).startswith("Configuration: n=300, time_steps=10, train fraction 0.7, log-minmax")
    tab.go_forward()
    tab.wait_for_function("() => document.querySelector('h1')?.innerText.includes('Train')")
    settled(tab, rerun=True)
    assert in_address(tab, (*LINKED, "epochs=12")) and "12 epochs" in caption(tab)
    assert tab.locator('[data-testid="stException"]').count() == 0
    tab.context.close()


def test_over_budget_work_is_refused_before_it_starts(browser, server):
    url = f"{server.url}/Train?n=1474&time_steps=300&train_fraction=0.95&hidden_units=64&cell=LSTM&epochs=500"
    tab = new_tab(browser, url)
    refusal = next(text for text in alerts(tab) if "runs jobs of at most" in text)
    assert "Alone, any of these would fit" in refusal or "Lower several settings" in refusal
    assert tab.get_by_role("button", name="Train both models").is_disabled()
    shot(tab, "over_budget")
    tab.context.close()


def test_training_goes_on_across_page_switches_and_a_reload_reattaches(page, server):
    go(page, "Train")
    set_number(page, "Hidden units", 32)
    set_number(page, "Epochs", 1000)  # some 20 s of training: long enough to leave
    set_number(page, "Seed", 3)
    page.get_by_role("button", name="Train both models").click()
    page.get_by_text(re.compile("Running for")).wait_for()
    go(page, "Dataset")  # a page switch in the middle of training
    page.locator('[data-testid="stSidebar"]').get_by_text("seed 3 (running)").wait_for()
    go(page, "Train")
    page.get_by_text(re.compile("Running for")).wait_for()
    page.reload()  # a new session: the URL keeps the settings, the page finds the job again
    settled(page)
    assert "1000 epochs" in caption(page) and "seed 3" in caption(page)
    page.get_by_text("Trained: results below").wait_for()
    settled(page)
    assert page.get_by_text("1000 epochs in").count() == 2  # both models complete, none cut short
    assert started_jobs(server, r"training .*1000 epochs.*seed 3$") == 1
    assert not page.locator('[data-testid="stSidebar"]').get_by_text("(running)").count()


def test_stop_is_scoped_to_the_session_that_pressed_it(browser, server):
    url = f"{server.url}/Train?hidden_units=32&epochs=1000&seed=7"  # some 20 s of training
    first, second = new_tab(browser, url), new_tab(browser, url)
    first.get_by_role("button", name="Train both models").click()
    first.get_by_text(re.compile("Running for")).wait_for()
    second.goto(url)  # the second session finds the same job and follows it
    settled(second)
    second.get_by_text(re.compile("Running for")).wait_for()
    first.get_by_role("button", name="Stop the training").click()
    first.get_by_text("another session is waiting for this same job").wait_for()
    first.get_by_role("button", name="Stop the training").wait_for(state="detached", timeout=5000)  # gone
    second.get_by_text("Trained: results below").wait_for()  # the other session still gets its result
    first.get_by_text("Trained: results below").wait_for(timeout=15_000)  # as promised, without a reload
    for tab in (first, second):
        settled(tab)
        tab.locator('[data-testid="stMetricValue"]').nth(7).wait_for()  # both models' four scores
    assert metrics(first) == metrics(second)
    assert started_jobs(server, r"training n=1200, .*1000 epochs.*seed 7$") == 1
    for tab in (first, second):
        tab.context.close()

    third = new_tab(browser, f"{server.url}/Train?hidden_units=32&epochs=1000&seed=8")
    third.get_by_role("button", name="Train both models").click()
    third.get_by_text(re.compile("Running for")).wait_for()
    third.get_by_role("button", name="Stop the training").click()  # the only follower: the job is cancelled
    third.get_by_text("Stopped: nothing of this job was kept.").wait_for()
    assert any("has not been trained yet" in text for text in alerts(third))
    assert "job stopped" in server.log_text()
    third.context.close()


def test_queued_sessions_see_their_place(browser, server):
    first = new_tab(browser, f"{server.url}/Train?hidden_units=32&epochs=1000&seed=11")  # long enough
    second = new_tab(browser, f"{server.url}/Train?n=60&epochs=2&seed=12")
    first.get_by_role("button", name="Train both models").click()
    first.get_by_text(re.compile("Running for")).wait_for()
    second.get_by_role("button", name="Train both models").click()
    second.get_by_text(re.compile(r"Queued: 1 job ahead of yours")).wait_for()
    shot(second, "queued")
    second.get_by_role("button", name="Stop the training").click()  # stopping one's own queued job says so
    second.get_by_text("Stopped: nothing of this job was kept.").wait_for()
    first.get_by_role("button", name="Stop the training").click()
    first.get_by_text("Stopped: nothing of this job was kept.").wait_for()
    for tab in (first, second):
        tab.context.close()


def test_sessions_share_one_training_and_keep_their_own_configs(browser, server):
    tabs = [
        new_tab(browser, f"{server.url}/Train?n=300&hidden_units=32&epochs=600&seed=17") for _ in range(2)
    ]
    for tab in tabs:  # both ask for the same config while it trains
        tab.get_by_role("button", name="Train both models").click()
    for tab in tabs:
        tab.get_by_text("Trained: results below").wait_for()
        settled(tab)
        tab.locator('[data-testid="stMetricValue"]').nth(7).wait_for()  # both models' four scores
    first, second = tabs
    shared = metrics(first)
    assert len(shared) == 8 and metrics(second) == shared
    assert started_jobs(server, r"training n=300, .*seed 17$") == 1

    set_number(second, "Seed", 18)
    train(second)
    assert "seed 18" in caption(second) and metrics(second) != shared
    go(first, "Train")  # the first session still sees its own config and numbers
    assert "seed 17" in caption(first) and metrics(first) == shared
    for tab in tabs:
        assert tab.locator('[data-testid="stException"]').count() == 0
        tab.context.close()


def test_a_killed_worker_is_a_message_and_the_next_training_works(browser, server):
    tab = new_tab(browser, f"{server.url}/Train?hidden_units=32&epochs=1000&seed=21")
    tab.get_by_role("button", name="Train both models").click()
    tab.get_by_text(re.compile(r"epoch \d+/1000")).first.wait_for()
    worker_process(server.process.pid).kill()  # as the kernel's OOM killer would
    tab.get_by_text("the training process stopped unexpectedly").wait_for()
    shot(tab, "worker_killed")
    time.sleep(1)
    set_number(tab, "Epochs", 2)
    set_number(tab, "Values n", 60)
    train(tab)  # a fresh worker takes the next job
    assert len(metrics(tab)) == 8
    tab.context.close()


def test_an_uploaded_csv_is_trained_and_drawn_on_every_page(page, tmp_path):
    rows = "\n".join(f"{i},{20 + 5 * math.sin(i / 4) + i / 30:.4f}" for i in range(90))
    csv = tmp_path / "load.csv"
    csv.write_text(f"hour,load\n{rows}\n")
    go(page, "Dataset")
    page.get_by_text("Your own series (CSV)").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    page.get_by_text("In use as series csv: load.csv, column hour").wait_for()
    choose(page, "Column of load.csv", "load")
    page.get_by_text("In use as series csv: load.csv, column load").wait_for()
    settled(page)
    assert "series=csv" in page.url and "n=90" in page.url
    set_number(page, "Time steps per window", 6)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4")
    shot(page, "csv-dataset")

    go(page, "Train")
    set_number(page, "Epochs", 2)
    train(page)
    page.get_by_text("--csv load.csv --column load --sha256").wait_for()  # the reproduce command
    go(page, "Compare")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 10")
    assert not any("must be" in text or "cannot" in text for text in alerts(page))
    shot(page, "csv-compare")
    go(page, "Robustness")
    set_slider(page, "Seeds in the study", 3)
    page.get_by_role("button", name="Run the study").click()
    page.get_by_text("trainings in").wait_for()
    settled(page)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2")
    assert metrics(page)[0].endswith("of 3 seeds")

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"PK\x03\x04" + bytes(300))  # a workbook renamed .csv
    go(page, "Dataset")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    page.get_by_text("bad.csv is a binary file").wait_for()
    page.get_by_text("Still using load.csv, column load.").wait_for()


LINKS_OUT = """() => [...document.querySelectorAll('*')].filter(element =>
    ['href', 'xlink:href', 'src'].some(name => (element.getAttribute(name) || '').includes('evil.example'))
).length"""


def assert_no_link_out(tab) -> None:
    """No element of the page, Plotly's SVG text included, links or loads anything from evil.example."""
    assert tab.locator('a[href*="evil.example"]').count() == 0
    assert tab.evaluate(LINKS_OUT) == 0
    assert tab.locator(".katex").count() == 0  # no LaTeX either


def wait_for_words(tab, text: str) -> None:
    """Wait until the page shows `text` as written (the word joiners that keep Streamlit's Markdown from
    reading it are invisible)."""
    tab.wait_for_function(
        "text => document.body.innerText.replaceAll('\\u2060', '').includes(text)", arg=text
    )


def test_a_hostile_visitors_links_file_and_header_show_as_text(browser, server):
    for path, quoted in (
        ("Train?n=[click%20here](https://evil.example)", "[click here](https://evil.example)"),
        ("Sweep?sweep=[evil](https://evil.example)&values=1", "[evil](https://evil.example)"),
    ):
        tab = new_tab(browser, f"{server.url}/{path}")
        assert_no_link_out(tab)
        wait_for_words(tab, quoted)  # in the red box, or the warning, as typed
        shot(tab, f"hostile-link-{path.split('?')[0].lower()}")
        tab.context.close()

    tab = new_tab(browser, server.url)
    go(tab, "Dataset")
    tab.get_by_text("Your own series (CSV)").click()
    link, html_link, name = (
        "[click](https://evil.example)",
        "<a href='https://evil.example'>zz</a>",
        "**b** $x$ :red[r].csv",
    )
    rows = "\n".join(f"{20 + 5 * math.sin(i / 4) + i / 30:.4f},{i % 7}" for i in range(90))
    content = f'"{link}","{html_link}"\n{rows}\n'.encode()
    files = [{"name": name, "mimeType": "text/csv", "buffer": content}]
    tab.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(files=files)
    wait_for_words(tab, f"In use as series csv: {name}, column {link}")
    set_number(tab, "Time steps per window", 6)
    tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4")
    titles = tab.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert any(title.startswith(f"Your series: {link}") for title in titles), titles
    assert tab.locator('[data-testid="stCaptionContainer"] strong').count() == 0  # no bold from the name
    assert_no_link_out(tab)
    shot(tab, "hostile-dataset")
    label = tab.locator('.st-key-upload [data-testid="stWidgetLabel"]').last.inner_text()
    assert label.replace(WORD_JOINER, "") == f"Column of {name}"  # as written: no bold, LaTeX or colour
    tab.locator('.st-key-upload [data-testid="stSelectbox"]').click()
    tab.get_by_role("option", name=html_link, exact=True).click()
    settled(tab, rerun=True)
    wait_for_words(tab, f"column {html_link}")
    assert_no_link_out(tab)

    go(tab, "Train")
    set_number(tab, "Epochs", 2)
    train(tab)
    labels = [
        t.replace(WORD_JOINER, "") for t in tab.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    ]
    assert labels.count(f"Test MdAPE (units of {html_link})") == 2  # both models', as text
    assert_no_link_out(tab)
    go(tab, "Compare")
    tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 10")
    titles = tab.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert any("evil.example'>zz</a>" in title for title in titles), titles  # the charts quote it as text
    assert_no_link_out(tab)
    shot(tab, "hostile-compare")
    tab.context.close()


def test_the_browser_and_the_app_refuse_the_same_files(page, tmp_path):
    go(page, "Dataset")
    page.get_by_text("Your own series (CSV)").click()
    values = b"a\n" + b"".join(b"%d\n" % i for i in range(1, 30))  # 29 values, and a 30th as long as fits
    largest = values + b"0" * (MAX_UPLOAD_BYTES - len(values) - 3) + b"30\n"
    upload_input = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    upload_input.set_input_files(files=[{"name": "largest.csv", "mimeType": "text/csv", "buffer": largest}])
    page.get_by_text(
        "In use as series csv: largest.csv, column a"
    ).wait_for()  # the browser's limit, and ours
    larger = {"name": "larger.csv", "mimeType": "text/csv", "buffer": b"0" + largest}
    upload_input.set_input_files(files=[larger])
    page.get_by_text(f"File must be {MAX_UPLOAD_MB}.0MB or smaller.").wait_for()  # the browser's own refusal


def test_the_lessons_numbers_are_the_train_and_robustness_pages_own(browser, server):
    tab = new_tab(browser, f"{server.url}/Tutorial?step=3")
    tab.locator("h2", has_text="3. Training and evaluating it").wait_for()
    spread = tab.get_by_text("falls at the")
    pair, study = (tab.get_by_role("button", name=name) for name in ("Train both models", "Run the study"))
    if pair.count():  # what the other tests have not trained on this server yet
        pair.click()
        study.or_(spread).first.wait_for()
        settled(tab)
    if study.count():
        study.click()
    spread.wait_for()
    settled(tab)
    lesson_test = tab.locator('.st-key-figures_rnn [data-testid="stMetricValue"]').nth(3).inner_text()
    spread = tab.locator(".st-key-spread_rnn").inner_text()
    seeds_range = re.search(r"range from (\S+) to (\S+) \(", spread).groups()

    tab.goto(f"{server.url}/Tutorial?step=6")
    settled(tab)
    sentence = tab.locator(".st-key-conclusion").inner_text()
    wins = re.search(r"attention wins (\d+) of 30, median ratio ([\d.]+)", sentence).groups()
    tab.get_by_role("button", name="Check the conclusion on the Robustness page").click()  # waits for it
    tab.wait_for_function("() => document.querySelector('h1')?.innerText.includes('Robustness')")
    settled(tab, rerun=True)
    assert in_address(tab, ("seeds=30",)) and "seeds 0 to 29" in caption(tab)
    shown = metrics(tab)
    assert shown[0] == f"{wins[0]} of 30 seeds" and float(shown[1]) == pytest.approx(float(wins[1]), abs=0.01)
    assert tab.get_by_role("button", name="Run the study").count() == 0  # from the cache

    go(tab, "Train")  # the tutorial's configuration, seed 0: the lesson's run, from the cache
    assert tab.get_by_role("button", name="Train both models").count() == 0
    assert metrics(tab)[0] == lesson_test
    assert all(float(value) > 0 for value in seeds_range)
    tab.context.close()


def test_the_lessons_code_is_never_cut_at_the_right_edge(page, server):
    page.goto(f"{server.url}/Tutorial?step=4")
    settled(page)
    blocks = page.locator('[data-testid="stCode"] pre')
    blocks.nth(1).wait_for()
    widths = blocks.evaluate_all("blocks => blocks.map(block => [block.scrollWidth, block.clientWidth])")
    assert len(widths) == 2 and all(scroll <= client for scroll, client in widths), widths
    page.screenshot(path=str(ARTIFACTS / "lesson_code_1400.png"))


def test_compare_leads_with_the_scores_on_a_phone(browser, server):
    tab = phone(browser)
    # both models give one answer for most windows and do no better than a rule: four caveats
    settings = "n=120&time_steps=10&epochs=3"
    tab.goto(f"{server.url}/Train?{settings}")
    opened(tab)
    if tab.get_by_role("button", name="Train both models").count():
        train(tab)
    tab.goto(f"{server.url}/Compare?{settings}")
    settled(tab)
    table = tab.locator(".st-key-scores_table")
    table.locator('[role="gridcell"]').first.wait_for(state="attached")
    height = tab.viewport_size["height"]
    assert box(table)[1] < height, "the scores table is not on the first screen"
    caveats = tab.locator(".st-key-caveats")
    assert caveats.locator('[data-testid="stAlert"]').count() == 1  # one short box, after the scores
    assert box(caveats)[1] > box(table)[1]
    assert "One answer for most windows; No better than a naive rule" in caveats.inner_text()
    tab.screenshot(path=str(ARTIFACTS / "compare_phone_first_screen.png"))
    caveats.get_by_text("What these warnings mean").click()  # the details, folded below the box
    caveats.get_by_text("One answer for most windows: ").first.wait_for()
    caveats.screenshot(path=str(ARTIFACTS / "compare_phone_caveats.png"))
    assert tab.locator('[data-testid="stException"]').count() == 0
    tab.context.close()


def test_every_lesson_step_at_desktop_and_phone_sizes(page, browser, server):
    small = phone(browser)
    for step in range(1, len(STEPS) + 1):
        for tab, size in ((page, "desktop"), (small, "phone")):
            tab.goto(f"{server.url}/Tutorial?step={step}")
            settled(tab)
            assert tab.locator("h2").first.inner_text().startswith(f"{step}.")
            assert tab.locator('[data-testid="stException"]').count() == 0
            tab.screenshot(path=str(ARTIFACTS / f"lesson_{step}_{size}.png"), full_page=True)
    small.context.close()
    page.goto(f"{server.url}/Tutorial?step=99")
    settled(page)
    assert any("steps are 1 to 8. Showing step 1." in text for text in alerts(page))
    assert "step=1" in page.url


def test_a_sweep_link_of_40000_grid_points_is_refused_at_once_and_the_server_stays_small(browser, server):
    """The issue's link took the server from 354 MB to 9.4 GB and 50 s of its processor, and kept them."""
    epochs = ",".join(str(value) for value in range(1, 201))
    rates = ",".join(f"{(i + 1) / 201:.6f}" for i in range(200))
    new_tab(browser, f"{server.url}/Sweep").context.close()  # the server has loaded the page's code
    serving = psutil.Process(server.process.pid)
    before, cpu = serving.memory_info().rss, sum(serving.cpu_times()[:2])
    link = f"{server.url}/Sweep?sweep=epochs&values={epochs}&sweep2=learning_rate&values2={rates}"
    tab = new_tab(browser, link)
    refusal = next(text for text in alerts(tab) if "a sweep here takes at most" in text)
    assert refusal.startswith("epochs has 200 values, and a sweep here takes at most 20 values of a setting")
    assert tab.get_by_role("button", name="Run the sweep").count() == 0
    assert (serving.memory_info().rss - before) / 2**20 < 100
    assert sum(serving.cpu_times()[:2]) - cpu < 10
    shot(tab, "sweep_too_large")
    tab.context.close()


def test_a_short_job_passes_a_queued_long_one_and_every_visitor_sees_their_wait(browser, server):
    """The issue's hostile visitor, in three sessions: a long job runs, another is queued, and a third
    visitor's short job goes next, each page saying where its job stands now and how long it should wait."""
    running, long, short = (
        new_tab(browser, f"{server.url}/Train?{settings}")
        for settings in ("hidden_units=32&epochs=1000&seed=41", "hidden_units=32&epochs=900&seed=42",
                         "n=60&epochs=2&seed=43")
    )  # fmt: skip
    running.get_by_role("button", name="Train both models").click()
    running.get_by_text(re.compile("Running for")).wait_for()
    long.get_by_role("button", name="Train both models").click()
    second = re.compile(r"Queued: 1 job ahead of yours \(yours is number 2\)\. It should start in about")
    long.get_by_text(second).wait_for()
    short.get_by_role("button", name="Train both models").click()
    said = short.get_by_text(second)  # a later, shorter job goes before the long one queued
    said.wait_for()
    wait = int(re.search(r"start in about (\d+) s", said.inner_text()).group(1))
    assert 1 <= wait <= 60  # what remains of the running job's estimate
    long.get_by_text(re.compile(r"Queued: 2 jobs ahead of yours \(yours is number 3\)")).wait_for()  # now
    sidebar = short.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(re.compile(r"seed 43 \(queued, number 2, starts in about \d+ s\)")).wait_for()
    shot(short, "queued_short")
    small = phone(browser)
    small.goto(short.url)
    settled(small)
    small.get_by_text(re.compile(r"Queued: 1 job ahead of yours")).wait_for()  # followed there too
    small.screenshot(path=str(ARTIFACTS / "queued_short_phone.png"), full_page=True)
    small.context.close()
    running.get_by_role("button", name="Stop the training").click()
    short.get_by_text("Trained: results below").wait_for()  # next, before the long one
    long.get_by_text(re.compile("Running for")).wait_for()
    long.get_by_role("button", name="Stop the training").click()
    long.get_by_text("Stopped: nothing of this job was kept.").wait_for()
    for tab in (running, long, short):
        tab.context.close()


def test_a_press_waiting_in_its_run_shows_a_still_running_word_not_the_running_man(browser, server):
    """A short job queued behind a running one of a few seconds is waited for in its press's run: the status
    widget says it runs in a still word, the running man, six icons swapped every 200 ms, hidden (issue 27:
    a class's 12 tabs drew him for the whole wait)."""
    running = new_tab(browser, f"{server.url}/Train?hidden_units=32&epochs=200&seed=44")
    short = new_tab(browser, f"{server.url}/Train?n=60&epochs=2&seed=45")
    running.get_by_role("button", name="Train both models").click()
    running.get_by_text(re.compile("Running for")).wait_for()
    short.get_by_role("button", name="Train both models").click()
    widget = short.locator('[data-testid="stStatusWidgetRunningIcon"]')
    widget.wait_for()
    assert widget.evaluate("element => getComputedStyle(element, '::after').content") == '"Running..."'
    assert short.locator('[data-testid="stStatusWidgetRunningManIcon"]').is_hidden()
    shot(short, "press_waiting_in_its_run")
    short.get_by_text("Trained: results below").wait_for()
    running.get_by_text("Trained: results below").wait_for()
    for tab in (running, short):
        tab.context.close()


def test_a_job_killed_within_its_press_is_said(browser, tmp_path):
    """The issue's job, ended by the memory ceiling 0.2 s after the press, left 'not trained yet' and no
    word: on a server whose ceiling every job passes, each press is answered by the reason."""
    with streamlit_server(tmp_path / "server.log", settings={"FIBDASH_MEMORY_CEILING_MB": "1"}) as tiny:
        tab = new_tab(browser, f"{tiny.url}/Train?n=60&epochs=2")
        tab.get_by_role("button", name="Train both models").click()
        tab.get_by_text("The training failed: it needed more memory than this server allows").wait_for()
        assert "job failed in 0." in tiny.log_text()
        shot(tab, "killed_at_once")
        go(tab, "Compare")  # every page that follows the same work says it
        tab.get_by_text("The training failed: it needed more memory than this server allows").wait_for()
        tab.context.close()


def test_a_first_visit_to_the_lesson_on_a_fresh_server_fills_it_without_a_press(browser, tmp_path):
    """A class opens step 3 on a server that has just started (issue 27): the tutorial's printed figures at
    once, a word that the server is training its runs for everyone and no button, then this app's figures
    and the spread over 30 seeds, nobody having pressed anything (screenshots: training, then done, at
    1400 px and 390 px). A fresh container: its compile cache empty, as the shipped compiled code finds it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    container = {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    with streamlit_server(tmp_path / "server.log", settings=container) as fresh:
        tab = new_tab(browser, f"{fresh.url}/Tutorial?step=3")
        figures = tab.locator('.st-key-figures_rnn [data-testid="stMetricValue"]')
        assert figures.count() >= 2  # the tutorial's own, whatever the server holds
        training = tab.get_by_text("Training the tutorial's runs on this server for everyone")
        spread = tab.locator(".st-key-spread_rnn")
        training.or_(spread).first.wait_for()
        if training.count():  # as it trains: nothing to press
            assert tab.get_by_role("button", name="Train both models").count() == 0
            shot(tab, "fresh_server_lesson_training")
        spread.wait_for()
        settled(tab)
        assert figures.count() == 4 and "falls at the" in spread.inner_text()
        for name in ("Train both models", "Run the study"):
            assert tab.get_by_role("button", name=name).count() == 0
        shot(tab, "fresh_server_lesson")
        small = phone(browser)
        small.goto(f"{fresh.url}/Tutorial?step=3")
        settled(small)
        small.locator(".st-key-spread_rnn").wait_for()
        small.locator(".js-plotly-plot").first.wait_for()
        small.locator('.st-key-figures_rnn [data-testid="stMetricValue"]').nth(3).wait_for()
        small.locator(".st-key-step_3").screenshot(path=str(ARTIFACTS / "fresh_server_lesson_phone.png"))
        small.context.close()
        assert (
            started_jobs(fresh, r"training n=1200, time_steps=20, train fraction 0.7, minmax .*seed 0$") == 1
        )
        assert started_jobs(fresh, "a study over 30 seeds") == 1
        tab.context.close()


def test_self_attentions_map_on_compare_at_desktop_and_phone_sizes(page, browser, server):
    """Compare with attention=self draws the chosen test window's T x T map below its weights, the last
    query's row outlined, whole within 1400 px and 390 px (screenshots)."""
    settings = "n=120&time_steps=8&epochs=20&scaling=log-minmax&attention=self"
    page.goto(f"{server.url}/Train?{settings}")
    opened(page)
    train(page)
    go(page, "Compare")
    section = page.locator(".st-key-attention_map")
    section.locator(".js-plotly-plot").wait_for()
    assert "Every position's weights." in section.inner_text()
    assert section.locator(".gtitle").text_content().startswith("Self-attention map")
    assert section.locator(".heatmaplayer").count() == 1
    page.locator(".st-key-attention_weights").screenshot(path=str(ARTIFACTS / "self_attention_desktop.png"))

    small = phone(browser)
    small.goto(f"{server.url}/Compare?{settings}")
    settled(small)
    chart = small.locator(".st-key-attention_map .js-plotly-plot")
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    left, _, right, _ = box(chart)
    assert left >= 0 and right <= 390, (left, right)
    title = box(chart.locator(".gtitle"))
    assert left <= title[0] and title[2] <= right
    small.locator(".st-key-attention_map").screenshot(path=str(ARTIFACTS / "self_attention_phone.png"))
    assert small.locator('[data-testid="stException"]').count() == 0
    small.context.close()


def test_the_lessons_layer_step_at_desktop_and_phone_sizes(page, browser, server):
    """Step 4 says what the layer is, draws the bound beside the traced window's weights and the scores'
    two parts, within 1400 px and 390 px (screenshots); the server trains the tutorial's pair as it starts."""
    small = phone(browser)
    for tab, size in ((page, "desktop"), (small, "phone")):
        tab.goto(f"{server.url}/Tutorial?step=4")
        settled(tab)
        assert "Raffel & Ellis (2015)" in tab.locator(".st-key-layer_is").inner_text()
        parts = tab.locator(".st-key-score_parts")
        parts.wait_for()
        assert "dominates" in parts.inner_text()
        charts = tab.locator(".st-key-step_4 .js-plotly-plot")
        charts.nth(1).wait_for()
        width = tab.viewport_size["width"]
        for i in range(2):
            left, _, right, _ = box(charts.nth(i))
            assert left >= 0 and right <= width, (size, i, left, right)
        assert "bound" in charts.nth(0).inner_text()
        assert tab.locator('[data-testid="stException"]').count() == 0
        tab.screenshot(path=str(ARTIFACTS / f"lesson_layer_{size}.png"), full_page=True)
        charts.nth(0).scroll_into_view_if_needed()
        charts.nth(0).screenshot(path=str(ARTIFACTS / f"lesson_layer_weights_{size}.png"))
        charts.nth(1).screenshot(path=str(ARTIFACTS / f"lesson_layer_parts_{size}.png"))
    small.context.close()
