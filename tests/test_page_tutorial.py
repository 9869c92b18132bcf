import json
import re

import numpy as np
import pytest

from fibdash.analysis import lesson
from fibdash.analysis.lesson import NEXT, PRINTED, STEPS, STUDY_SEEDS, TUTORIAL
from fibdash.analysis.study import run_study
from fibdash.data import make_dataset
from fibdash.engine.training import train_pair
from fibdash.serving import kinds
from tests.conftest import ROOT, finish_jobs, metrics, plotted, said, table

PAGE = "app_pages/0_Tutorial.py"


def open_step(app, step: int | str):
    """Open the lesson at `step` from a link: a new browser session, as the address bar makes one."""
    from streamlit.testing.v1 import AppTest

    link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    link.jobs = app.jobs
    link.query_params["step"] = str(step)
    link.switch_page(PAGE).run()
    return link


def specs(block) -> list[dict]:
    """The plotly charts inside an AppTest block, as their JSON."""
    return [json.loads(chart.proto.spec) for chart in block.get("plotly_chart")]


def train_the_tutorial(app):
    """Press whatever the step asks to train (its pair, then its study), as a learner would."""
    for key in ("train", "run_study"):
        if any(button.key == key for button in app.button):
            app.button(key=key).click().run()
            finish_jobs(app)


@pytest.fixture(scope="module")
def tutorial_run():
    """The tutorial's pair and 30-seed study, trained here as the page's jobs train them."""
    data = make_dataset(TUTORIAL.data)
    return train_pair(TUTORIAL, data.windows()), run_study(TUTORIAL, range(STUDY_SEEDS))


def test_every_step_renders_and_says_its_title(app):
    for step in range(1, len(STEPS) + 1):
        app = open_step(app, step)
        assert not app.exception, step
        assert app.header[0].value == f"{step}. {STEPS[step - 1].title}"
        assert app.selectbox(key="step").value == str(step)


def test_the_dataset_step_calls_the_tutorials_functions_live(app):
    app = open_step(app, 1)
    code = [block.value for block in app.code]
    assert "[ 1.  2.  3.  5.  8. 13. 21. 34. 55. 89.]" in code[0]
    assert "[[ 8. 13. 21.]\n [ 5.  8. 13.]\n [ 2.  3.  5.]" in code[1]  # the tutorial's printed rows
    words = app.get_by_key("real_data").markdown[0].value
    assert "826 training and 354 test windows" in words
    said_share = re.search(r"\*\*([\d.]+%) of the targets end up below 1e-6\*\*", words).group(1)
    chart = json.loads(app.get_by_key("step_1").get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    drawn_share = re.search(r"Scaled targets: ([\d.]+%) are below 1e-6", chart).group(1)
    data = make_dataset(TUTORIAL.data)
    assert said_share == drawn_share == f"{np.mean(np.abs(data.y) < 1e-6):.1%}" == "97.5%"  # one number


def test_summaries_are_the_tutorials_11_and_33_parameters(app):
    app = open_step(app, 2)
    assert "Total parameters: 11; the tutorial's summary prints 11: the same." in said(app, "summary_rnn")
    app = open_step(app, 5)
    said_33 = said(app, "summary_attention")
    assert "Total parameters: 33; the tutorial's summary prints 33: the same." in said_33


def test_the_tutorials_printed_figures_show_before_anything_is_trained(app):
    for step, kind in ((3, "rnn"), (6, "attention")):
        app = open_step(app, step)  # a fresh server: the fixture's runner holds nothing
        assert not app.exception and "not trained yet" in said(app, "job", "info")[0]
        assert metrics(app, f"figures_{kind}") == {
            "Tutorial: train MSE": f"{PRINTED[kind][0]:.3e}",
            "Tutorial: test MSE": f"{PRINTED[kind][1]:.3e}",
        }, step
    assert app.jobs() == 0


def test_a_fresh_server_trains_the_tutorials_runs_before_anyone_presses_anything(app, tutorial_run):
    """A class opens step 3 on a server that has just started (issue 27): the page says the tutorial's runs
    are training for everyone and offers no button; once done, the tutorial's figures and this app's show,
    and so do Compare and Robustness, nobody having pressed anything."""
    from streamlit_glue import work

    pair, study = tutorial_run
    work.runner().close()
    work.runner.clear()  # the next page run makes the server's runner and worker, as a fresh server's first
    app = open_step(app, 3)
    assert not app.exception
    training = said(app, "server_job", "info")[0]
    assert training.startswith("Training the tutorial's runs on this server for everyone, as it started")
    assert "Nothing to press" in training and not [button for button in app.button if button.key == "train"]
    runner = work.runner()
    finish_jobs(app)
    shown = metrics(app, "figures_rnn")
    assert shown["Tutorial: test MSE"] == f"{PRINTED['rnn'][1]:.3e}"
    assert shown["This app, seed 0: test MSE"] == f"{pair['rnn'].test_mse:.3e}"
    tests = study.table[study.table["model"] == "rnn"]["test MSE"].to_numpy()
    share = 100 * np.mean(tests <= PRINTED["rnn"][1])
    assert (
        f"falls at the {share:.0f}th percentile of this app's 30 seeds" in said(app, "spread_rnn", "info")[0]
    )
    assert all(runner.result(run.key) is not None for run in kinds.tutorial_runs(None))
    app.switch_page("app_pages/3_Compare.py").run()
    assert said(app, "scores", "info") and not [button for button in app.button if button.key == "train"]
    app.switch_page("app_pages/4_Robustness.py").run()
    assert metrics(app, "comparison")["Attention wins"].endswith("of 10 seeds")
    assert runner.jobs_started == len(kinds.tutorial_runs(None)) and not runner.active()  # the server's own


def test_training_steps_show_the_tutorials_figures_beside_this_apps(app, tutorial_run):
    pair, study = tutorial_run
    app = open_step(app, 3)
    assert app.jobs() == 0 and "not trained yet" in said(app, "job", "info")[0]
    train_the_tutorial(app)
    train_the_tutorial(app)  # the pair first, then the study
    assert not app.exception and app.jobs() == 2
    shown = metrics(app, "figures_rnn")
    assert shown["Tutorial: test MSE"] == f"{PRINTED['rnn'][1]:.3e}"
    assert shown["This app, seed 0: test MSE"] == f"{pair['rnn'].test_mse:.3e}"
    spread = said(app, "spread_rnn", "info")[0]
    tests = study.table[study.table["model"] == "rnn"]["test MSE"].to_numpy()
    share = 100 * np.mean(tests <= PRINTED["rnn"][1])
    assert f"falls at the {share:.0f}th percentile of this app's 30 seeds" in spread

    app = open_step(app, 6)  # from the cache: nothing trains again
    assert app.jobs() == 2
    sentence = said(app, "conclusion", "info")[0]
    comparison = study.comparison
    assert sentence.startswith('The tutorial concludes that "the test MSE is lower with attention"')
    assert f"attention wins {comparison.wins} of 30, median ratio {comparison.median_ratio:.2f}" in sentence
    lower = pair["attention"].test_mse < pair["rnn"].test_mse
    assert f"the test MSE is {'lower' if lower else 'higher'} with attention" in sentence


def test_the_layer_step_puts_one_real_window_through_the_three_steps(app, tutorial_run):
    pair, _ = tutorial_run
    app = open_step(app, 4)
    assert "K.tanh(K.dot(x, self.W) + self.b)" in app.code[0].value
    assert "class Attention" in app.code[1].value and "def compute_output_shape" in app.code[1].value
    assert table(app, "layer_steps")["shape"].tolist() == ["(20, 2)", "(20,)", "(20,)", "(2,)"]
    train_the_tutorial(app)
    trace = table(app, "trace")
    assert len(trace) == 20 and list(trace.columns[-2:]) == ["score e", "weight alpha"]
    trace = trace.set_index("step").astype(float)  # drawn as text
    np.testing.assert_allclose(trace["weight alpha"].sum(), 1, rtol=1e-3)  # shown to 4 digits
    alpha = np.exp(trace["score e"]) / np.exp(trace["score e"]).sum()  # softmax of the scores, again
    np.testing.assert_allclose(trace["weight alpha"], alpha, rtol=1e-3)
    data = make_dataset(TUTORIAL.data)
    row = data.test_idx[int(data.y[data.test_idx].argmax())]
    prediction = pair["attention"].predictions[row]
    assert f"prediction {prediction:.6f} (scaled)" in said(app, "trace_result")[0]


def test_the_layer_step_says_what_the_layer_is_and_splits_its_scores(app, tutorial_run):
    from fibdash.engine.inference import attention_trace

    pair, _ = tutorial_run
    app = open_step(app, 4)
    what = said(app, "layer_is", "info")[0]
    assert "Bahdanau attention; it is not" in what and "Raffel & Ellis (2015) with a positional bias" in what
    assert "no weight can exceed e^2 / (e^2 + T - 1), 0.28 at T = 20" in what and "1/T = 0.05" in what
    train_the_tutorial(app)
    data = make_dataset(TUTORIAL.data)
    row = data.test_idx[int(data.y[data.test_idx].argmax())]
    trace = attention_trace(TUTORIAL, pair["attention"].weights, data.X[row, :, 0])
    parts = lesson.score_parts(pair["attention"].weights, trace.states)
    drawn = {
        spec["layout"]["title"]["text"].replace("<br>", " "): spec for spec in specs(app.get_by_key("step_4"))
    }
    bars = drawn["Each score before tanh: content + position"]["data"]
    np.testing.assert_allclose(plotted(bars[0]["y"]), parts.content, rtol=1e-5, atol=1e-7)  # h_t W
    np.testing.assert_allclose(plotted(bars[1]["y"]), parts.position)  # b_t
    weights = drawn[f"Window predicting value {data.positions[row]} of the series"]
    lines = sorted((shape["y0"], shape["line"]["dash"]) for shape in weights["layout"]["shapes"])
    assert lines == [(pytest.approx(1 / 20), "dash"), (pytest.approx(lesson.weight_bound(20)), "dot")]
    words = said(app, "score_parts", "markdown")[0]
    assert f"Its largest weight is {trace.weights.max():.3f}, against the bound 0.28" in words
    assert lesson.parts_sentence(parts) in words
    dominant = "Position dominates" if parts.position_share >= 0.5 else "Content dominates"
    assert dominant in words


def test_the_layer_steps_try_it_opens_the_variants_study(app):
    app = open_step(app, 4)
    app.button(key="try_4").click().run()
    assert not app.exception
    assert "Robustness" in app.title[0].value and app.query_params["study"] == "variants"


@pytest.mark.parametrize("step", range(1, len(STEPS)))
def test_each_try_it_opens_its_page_with_its_configuration(app, step):
    app = open_step(app, step)
    app.button(key=f"try_{step}").click().run()
    assert not app.exception
    target = STEPS[step - 1]
    expected = {"n": "1200", "time_steps": "20", "epochs": "30", "cell": "SimpleRNN"}
    for name, value in expected.items():
        box = app.text_input(key=name) if name != "cell" else app.selectbox(key=name)
        assert box.value == value, name
    if "seeds" in target.changes:
        assert app.select_slider(key="seeds").value == target.changes["seeds"]
    heading = {"Dataset": "Dataset", "Train": "Train", "Compare": "Compare", "Robustness": "Robustness"}
    assert any(word in app.title[0].value for word in heading)
    assert target.page.split("_", 2)[-1].removesuffix(".py") in app.title[0].value


@pytest.mark.parametrize("index", range(len(NEXT)))
def test_the_closing_suggestions_each_open_a_configuration(app, index):
    suggestion = NEXT[index]
    app = open_step(app, len(STEPS))
    app.button(key=f"next_try_{index}").click().run()
    assert not app.exception
    assert suggestion.page.split("_", 2)[-1].removesuffix(".py") in app.title[0].value
    for name, value in suggestion.changes.items():
        widgets = [w for w in (*app.text_input, *app.selectbox, *app.select_slider) if w.key == name]
        assert widgets and str(widgets[0].value) == str(value), name


@pytest.mark.parametrize("bad", ["0", "9", "two", "9" * 500])
def test_a_bad_step_number_is_said_and_step_one_shown(app, bad):
    app = open_step(app, bad)
    assert not app.exception
    warning = app.warning[0].value
    assert "is not a step of the lesson: steps are 1 to 8. Showing step 1." in warning and len(warning) < 200
    assert app.header[0].value == "1. The dataset"


def test_previous_and_next_walk_the_steps(app):
    app = open_step(app, 2)
    app.button(key="next").click().run()
    assert app.header[0].value.startswith("3.")
    app.button(key="previous").click().run()
    app.button(key="previous").click().run()
    assert app.header[0].value.startswith("1.") and app.button(key="previous").disabled
