import json
import re

import pytest

from fibdash.command import command_line
from fibdash.config import DataConfig, TrainConfig
from fibdash.engine.summary import summary_rows
from tests.conftest import SMALL, metrics, open_page, press, said
from tests.test_quoting import table_cells

PAGE = "app_pages/2_Train.py"


def test_defaults_render_untrained_with_an_estimate(app):
    open_page(app, PAGE)
    assert not app.exception and not said(app, "problems", "error")
    assert "not been trained yet" in said(app, "job", "info")[0]
    values = {key: app.text_input(key=key).value for key in ("n", "time_steps", "hidden_units", "epochs")}
    assert values == {"n": "1200", "time_steps": "20", "hidden_units": "2", "epochs": "30"}
    assert app.text_input(key="learning_rate").value == "0.001"
    assert app.selectbox(key="cell").value == "SimpleRNN"
    assert said(app, "job")[0].startswith("Estimated time: about")
    assert app.jobs() == 0


def test_before_a_press_the_page_shows_what_the_press_trains_and_the_command_that_trains_it(app):
    """Drawn while nobody waits, so that a tab has loaded the code of its chart and code block before its
    result needs them: a class's 12 tabs each evaluated Plotly's as their results came."""
    open_page(app, PAGE, n=300, time_steps=12)
    config = TrainConfig(data=DataConfig(n=300, time_steps=12))
    preview = app.get_by_key("preview")
    assert metrics(app, "preview") == {"RNN: parameters": "11", "RNN + attention: parameters": "25"}
    (chart,) = preview.get("plotly_chart")
    assert json.loads(chart.proto.spec)["layout"]["title"]["text"].startswith("Train/test split")
    assert [button.label for button in preview.get("download_button")] == ["Download notebook (.ipynb)"]
    assert app.get_by_key("reproduce").code[0].value == command_line(config)
    assert app.jobs() == 0
    press(app, "train")
    with pytest.raises(KeyError):  # the result in its place
        app.get_by_key("preview")
    assert len(metrics(app, "model_attention")) == 4


def test_trains_through_the_widgets_then_serves_from_the_cache(app):
    open_page(app, PAGE, **SMALL)
    press(app, "train")
    assert not app.exception and not said(app, "problems", "error")
    assert app.jobs() == 1
    scores = {kind: metrics(app, f"model_{kind}") for kind in ("rnn", "attention")}
    shown = {"Test MSE (scaled)", "Test MASE"}
    assert all(len(model) == 4 and shown <= set(model) for model in scores.values())
    trained = TrainConfig(data=DataConfig(n=60), epochs=2)
    for kind, parameters in (("rnn", 11), ("attention", 33)):
        rows = table_cells(app.get_by_key(f"model_{kind}").markdown[0].value)
        assert [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] == [
            {name: str(value) for name, value in row.items()} for row in summary_rows(trained, kind)
        ]
        assert sum(int(row[-1]) for row in rows[1:]) == parameters
    assert said(app, "trained", "success")[0].startswith("Trained")
    downloads = {button.key: button.label for button in app.get("download_button")}
    assert downloads["download_notebook"] == "Download notebook (.ipynb)"

    # Back on the page later, or after another page: shown at once, nothing trained again.
    app.switch_page("app_pages/home.py").run()
    open_page(app, PAGE)
    assert metrics(app, "model_rnn") == scores["rnn"] and app.jobs() == 1
    assert not app.button  # nothing to train

    # A different seed is a different config: not trained yet.
    app.text_input(key="seed").input("1").run()
    assert "not been trained yet" in said(app, "job", "info")[0]


def test_a_short_training_is_shown_done_in_the_run_its_press_makes(app):
    """No wait for the first redraw of its progress (up to a second later): the press waits for it."""
    from streamlit_glue import work

    work.runner().call(len, ())  # the worker is up: the job is the training alone
    open_page(app, PAGE, **SMALL)
    app.button(key="train").click().run()  # no finish_jobs
    assert said(app, "trained", "success")[0].startswith("Trained") and metrics(app, "model_rnn")


def test_cache_is_shared_between_sessions(app):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    open_page(app, PAGE, **SMALL)
    press(app, "train")
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    open_page(other, PAGE, **SMALL)
    assert metrics(other, "model_attention") == metrics(app, "model_attention") and app.jobs() == 1


def test_visitors_cannot_clear_the_cache(app, monkeypatch):
    from streamlit_glue import work

    monkeypatch.setattr(work, "OPERATOR", False)  # FIBDASH_OPERATOR unset, whatever this machine's is
    open_page(app, PAGE, **SMALL)
    press(app, "train")
    assert metrics(app, "model_rnn") and not [button for button in app.button if button.key == "clear_cache"]


def test_the_operators_button_forgets_every_result_for_every_session(app, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from streamlit_glue import work
    from tests.conftest import ROOT

    monkeypatch.setattr(work, "OPERATOR", True)  # FIBDASH_OPERATOR=1, read once at import
    open_page(app, PAGE, **SMALL)
    press(app, "train")
    scores = metrics(app, "model_rnn")
    assert scores and app.button(key="clear_cache").label == "Clear every cached result"
    app.button(key="clear_cache").click().run()
    assert not app.exception and "not been trained yet" in said(app, "job", "info")[0]
    other = open_page(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), PAGE, **SMALL)
    assert "not been trained yet" in said(other, "job", "info")[0]  # gone for another session too
    press(app, "train")  # trained again, a job of its own, to the same numbers
    assert app.jobs() == 2 and metrics(app, "model_rnn") == scores


def test_over_budget_config_is_refused_before_it_starts_naming_what_to_reduce(app):
    open_page(app, PAGE, n=1474, time_steps=300, hidden_units=64, epochs=500)
    app.selectbox(key="cell").set_value("LSTM").run()
    refusal = said(app, "job", "error")[0]
    assert "on this server, which runs jobs of at most 1 min" in refusal
    assert re.search(r"Alone, any of these would fit: (epochs|time_steps|hidden_units) \d+", refusal)
    assert app.button(key="train").disabled and app.jobs() == 0
    assert not said(app, "job", "info")  # no invitation to press the disabled button


def test_typed_numbers_are_read_as_meant_or_refused_with_a_message(app):
    open_page(app, PAGE, n="1e3")
    assert app.text_input(key="n").value == "1000" and "n=1000" in said(app, "configuration")[0]
    app.text_input(key="epochs").input("").run()
    assert "epochs is empty: type a whole number from 1 to 2000" in said(app, "problems", "error")[0]
    app.text_input(key="epochs").input("12.5").run()
    assert "epochs must be a whole number, got '12.5'" in said(app, "problems", "error")[0]
    app.text_input(key="epochs").input("5000").run()
    assert "epochs must be at most 2000, got 5000" in said(app, "problems", "error")[0]
    assert app.jobs() == 0


def test_bad_values_give_an_error_not_an_exception(app):
    open_page(app, PAGE, n=60, batch_size=100)
    assert not app.exception
    assert "batch_size must be at most 28" in said(app, "problems", "error")[0]
    app.text_input(key="batch_size").input("1").run()
    app.text_input(key="n").input("400").run()
    app.selectbox(key="scaling").set_value("none").run()
    assert "with scaling 'none', n must be at most 185" in said(app, "problems", "error")[0]
    assert app.jobs() == 0


def test_a_links_values_are_written_back_in_the_apps_own_spelling(app):
    link = {"cell": "lstm", "scaling": "LOG-MINMAX", "n": "3e2", "learning_rate": ".01", "step": "2"}
    app.query_params.update(link)
    app.switch_page(PAGE).run()
    assert not app.exception and not said(app, "link_problems", "warning")
    own = {"cell": "LSTM", "scaling": "log-minmax", "n": "300", "learning_rate": "0.01", "step": "2"}
    assert dict(app.query_params) == own  # what the address holds; a parameter no setting has, as it was
    assert app.selectbox(key="cell").value == "LSTM" and app.text_input(key="n").value == "300"
    caption = said(app, "configuration")[0]
    assert (
        "n=300," in caption and "log-minmax scaling; LSTM(2)" in caption and "learning rate 0.01" in caption
    )


def test_the_servers_short_job_under_way_as_the_page_opens_shows_done_in_that_visit(app):
    """A fresh server's first visitor opens Train while the server trains the tutorial's pair (a tenth of a
    second): the page waits for it, as for a short job just pressed, and shows its scores in that visit,
    not its progress until the next redraw."""
    from fibdash.serving import kinds
    from fibdash.serving.jobs import SERVER
    from streamlit_glue import work

    the_pair = kinds.tutorial_runs(work.BUDGET_SECONDS)[0]
    job = the_pair.submit(work.runner(), SERVER, limited=work.BUDGET_SECONDS is not None)
    assert job.owned_by_server and not job.finished
    open_page(app, PAGE)  # one page run, as the job trains
    assert not app.exception and not said(app, "server_job", "info") and app.jobs() == 1
    assert set(metrics(app, "model_rnn")) >= {"Test MSE (scaled)", "Test MASE"}
