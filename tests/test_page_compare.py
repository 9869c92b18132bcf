import re

import numpy as np
import pytest

from fibdash.analysis.explain import explain
from fibdash.analysis.forecast import fold_pairs
from fibdash.config import ATTENTION_WEIGHTS, ATTENTIONS
from tests.conftest import SMALL, open_page, plotted, press, said, table

PAGE = "app_pages/3_Compare.py"


def test_untrained_config_is_said_and_can_be_trained_here(app):
    open_page(app, PAGE, **SMALL)
    assert not app.exception
    assert "has not been trained yet" in said(app, "job", "info")[0]
    assert not app.get("plotly_chart")
    press(app, "train")
    assert not app.exception and not said(app, "problems", "error")
    assert app.jobs() == 1
    assert len(app.get("plotly_chart")) == 10


def test_shows_every_chart_for_the_config_trained_on_the_train_page(app):
    open_page(app, "app_pages/2_Train.py", **SMALL)
    press(app, "train")
    open_page(app, PAGE)
    assert not app.exception and not said(app, "problems", "error")
    assert app.jobs() == 1  # read from the cache
    assert list(table(app, "scores_table")["predictor"]) == [
        "RNN",
        "RNN + attention",
        "predict zero",
        "persistence",
        "AR(2)",
    ]
    assert "n=60" in said(app, "configuration")[0] and "2 epochs" in said(app, "configuration")[0]
    run = said(app, "scores", "info")[0]  # which model did better, in words, and what that is worth
    assert re.match(r"In this run the (RNN|RNN \+ attention) had the lower test MSE, [\d.]+ times lower", run)
    assert "one run says little" in run and "**Robustness** page's study tells whether it holds" in run
    assert len(app.get("plotly_chart")) == 10
    downloads = [button.key for button in app.get("download_button")]
    assert downloads == ["download_scores", "download_predictions", "download_notebook"]

    app.toggle(key="relative_error").set_value(True).run()
    app.toggle(key="scaled_predictions").set_value(True).run()
    app.selectbox(key="test_window").select_index(5).run()
    assert not app.exception


def trained_compare(app, **settings):
    open_page(app, "app_pages/2_Train.py", **{**SMALL, **settings})
    press(app, "train")
    return open_page(app, PAGE)


def titles(block) -> list[str]:
    import json

    layouts = [json.loads(chart.proto.spec)["layout"] for chart in block.get("plotly_chart")]
    return [layout["title"]["text"].replace("<br>", " ") for layout in layouts]


def test_the_attention_epoch_slider_moves_the_heatmap_through_training(app):
    trained_compare(app, epochs=6)
    section = app.get_by_key("attention_weights")
    slider = app.select_slider(key="attention_epoch")
    assert slider.options == ["1", "2", "3", "4", "5", "6"] and slider.value == 6
    last = titles(section)
    assert "Attention weights of the test windows after epoch 6" in last
    slider.set_value(2).run()
    section = app.get_by_key("attention_weights")
    assert "Attention weights of the test windows after epoch 2" in titles(section)
    assert section.caption[1].value.startswith("After epoch 2: training loss ")  # after what the weights are
    assert not app.exception


def test_what_if_answers_an_edited_window_and_names_bad_values(app):
    trained_compare(app, time_steps=5)
    section = app.get_by_key("what_if")
    box = next(t for t in section.text_area if t.key.startswith("what_if_values_"))
    before = table(app, "what_if_answers")
    assert list(before["predictor"]) == ["RNN", "RNN + attention", "persistence", "AR(2)"]
    values = box.value.split(", ")
    values[-1] = str(int(values[-1]) * 2)  # the last input doubled
    box.input(", ".join(values)).run()
    after = table(app, "what_if_answers")
    assert after["scaled"].tolist() != before["scaled"].tolist()
    assert float(after.loc[2, "Fibonacci units"]) == pytest.approx(int(values[-1]), rel=1e-3)  # persistence
    box = next(t for t in app.get_by_key("what_if").text_area if t.key.startswith("what_if_values_"))
    box.input(", ".join(["1", "2", "", "5", "8"])).run()
    assert "t-3 is empty: type a number" in said(app, "what_if", "error")[0]
    box.input("1, 2, 3, 5, 1e300").run()
    assert "beyond the range the scaler was fitted on" in said(app, "what_if", "error")[0]
    assert not app.exception


def test_the_explanation_compares_attention_with_importance_in_words(app):
    trained_compare(app)
    section = app.get_by_key("explanation")
    assert app.radio(key="importance_method").options == ["occlusion", "gradient x input"]
    assert len(section.get("plotly_chart")) == 2
    words = " ".join(m.value for m in section.markdown)
    assert "Fibonacci rule uses only the last two steps" in words and "Jain & Wallace" in words
    app.radio(key="importance_method").set_value("gradient").run()
    assert "gradient x input" in " ".join(m.value for m in app.get_by_key("explanation").markdown)


def test_an_edit_the_models_cannot_see_is_explained_with_the_one_click_that_helps(app):
    trained_compare(app, n=300, time_steps=5)  # MinMax puts the early windows far below float32's 1e-7
    box = next(t for t in app.get_by_key("what_if").text_area if t.key.startswith("what_if_values_"))
    assert not said(app, "what_if_unmoved", "info")  # unedited: nothing to explain
    values = box.value.split(", ")
    values[-1] = str(int(values[-1]) * 2)  # the earliest test window's last input doubled
    box.input(", ".join(values)).run()
    answers = table(app, "what_if_answers").set_index("predictor")["Fibonacci units"]
    assert float(answers["persistence"]) == pytest.approx(int(values[-1]), rel=1e-3)  # the rules moved
    why = said(app, "what_if_unmoved", "info")[0]  # the models did not, and the page says why
    assert why.startswith("**RNN and RNN + attention**: the prediction did not move")
    assert "below float32's resolution next to 1" in why and "log-minmax scaling spreads" in why
    app.button(key="set_scaling").click().run()
    assert app.selectbox(key="scaling").value == "log-minmax"
    assert "log-minmax scaling" in said(app, "configuration")[0]
    assert "has not been trained yet" in said(app, "job", "info")[0]
    assert not app.exception


def in_order(node) -> list:
    """The elements inside an AppTest block, depth first: in the order the page shows them."""
    children = getattr(node, "children", None)
    if children is None:
        return [node]
    return [element for child in children.values() for element in in_order(child)]


def test_the_scores_lead_and_the_caveats_follow_in_one_short_box(app):
    from fibdash.analysis.metrics import headline

    trained_compare(app, n=120, time_steps=10, epochs=3)  # MinMax squashes most windows: warnings
    shown = [element.type for element in in_order(app.get_by_key("scores"))]
    first_warning = shown.index("warning")
    assert max(shown.index("info"), shown.index("dataframe"), shown.index("plotly_chart")) < first_warning
    assert shown.count("warning") == 1  # one box for every model's caveats
    lines = said(app, "caveats", "warning")[0].splitlines()
    details = [block.value for block in app.get_by_key("caveats").expander[0].markdown]
    assert any("One answer for most windows" in detail for detail in details)
    for detail in details:  # each warning in full, folded, and its headline on its model's line
        name, message = detail.removeprefix("**").split("**: ", 1)
        line = next(line for line in lines if line.startswith(f"- **{name}**: "))
        assert headline(message) in line and len(line) < len(detail), detail
    assert len(lines) == len({detail.split("**: ")[0] for detail in details})  # a line per model


def test_on_the_lags_series_compare_says_whether_each_explanation_finds_the_known_lags(app):
    from fibdash.analysis.explain import lag_precisions, lag_table, lag_words
    from fibdash.config import DataConfig, TrainConfig
    from fibdash.data import make_dataset
    from fibdash.serving import tasks

    app.query_params["series"] = "lags"
    trained_compare(app)
    assert not app.exception and not said(app, "problems", "error")
    assert "series lags, n=60, time_steps=20" in said(app, "configuration")[0]
    section = app.get_by_key("known_lags")
    assert section.subheader[0].value == "A task whose answer is known"
    config = TrainConfig(data=DataConfig(series="lags", n=SMALL["n"]), epochs=SMALL["epochs"])
    pair = tasks.train_pair(config, make_dataset(config.data).windows(), lambda log: False)  # the page's pair
    precisions = lag_precisions(
        pair["attention"].attention, pair["attention"].importance, pair["rnn"].importance
    )
    shown = table(app, "lag_precision")
    assert shown.equals(lag_table(precisions)), shown
    assert list(shown["model"]) == ["RNN + attention", "RNN"] and shown.loc[1, "attention weights"] == "-"
    words = " ".join(m.value for m in section.markdown)
    assert lag_words(precisions, 20, "tutorial") in words
    assert "Did attention (tutorial head) find the lags?" in words and "drawn at random: 0.10" in words


def charts(block) -> dict[str, dict]:
    """The plotly charts inside an AppTest block, by their titles (line breaks as spaces)."""
    import json

    specs = [json.loads(chart.proto.spec) for chart in block.get("plotly_chart")]
    return {spec["layout"]["title"]["text"].replace("<br>", " "): spec for spec in specs}


@pytest.mark.parametrize("head", ATTENTIONS)
def test_every_view_of_attention_shows_that_heads_run(app, head):
    from fibdash.config import DataConfig, TrainConfig
    from streamlit_glue import work

    open_page(app, "app_pages/2_Train.py", **SMALL, time_steps=5)
    app.selectbox(key="attention").set_value(head).run()
    press(app, "train")
    open_page(app, PAGE)
    assert not app.exception and not said(app, "problems", "error")
    config = TrainConfig(DataConfig(n=60, time_steps=5), epochs=2, attention=head)
    pair = fold_pairs(work.result(work.pair(config)))[0]  # the run this page shows, from the store
    trained = pair["attention"]
    data = work.datasets(config.data)[0]
    along = np.argsort(data.positions[data.test_idx])  # the heatmap's rows: the test windows along the series

    section = app.get_by_key("attention_weights")
    assert section.caption[0].value == ATTENTION_WEIGHTS[head]  # what this head's weights are
    loss, mse = trained.loss_history[-1], trained.test_mse_history[-1]
    assert (
        section.caption[1].value
        == f"After epoch 2: training loss {loss:.3e}, test MSE {mse:.3e} (scaled values)."
    )
    drawn = charts(section)
    heatmap = plotted(drawn["Attention weights of the test windows after epoch 2"]["data"][0]["z"])
    np.testing.assert_allclose(heatmap, trained.attention[along], rtol=1e-6)
    np.testing.assert_allclose(heatmap.sum(axis=1), 1, rtol=1e-5)
    flat = "by construction" in " ".join(said(app, "attention_weights", "info"))
    assert flat == (head == "uniform")  # uniform's flat weights are said to be fixed, not learnt

    words = " ".join(m.value for m in app.get_by_key("explanation").markdown)
    weights = charts(app.get_by_key("explanation"))["Attention weight and importance per step"]["data"][0][
        "y"
    ]
    np.testing.assert_allclose(plotted(weights), trained.attention.mean(axis=0), rtol=1e-6)
    if head == "uniform":
        assert "uniform control" in words and "rank correlation (Spearman)" not in words
    else:
        explanation = explain(
            trained.attention,
            trained.importance["occlusion"],
            pair["rnn"].importance["occlusion"],
            "occlusion",
        )
        assert f"has a median of {explanation.median_correlation:+.2f}" in words
    assert ("last position's" in words) == (head == "self")

    what_if = said(app, "what_if")[0]
    assert ("last query's row" in what_if) == (head == "self") and ("1/T" in what_if) == (head == "uniform")
    answers = table(app, "what_if_answers").set_index("predictor")["scaled"]
    first = data.test_idx[along[0]]  # the what-if starts unedited from the earliest test window
    assert float(answers["RNN + attention"]) == pytest.approx(
        trained.predictions[first], rel=1e-3
    )  # as shown

    if head == "self":  # the T x T map of the test window chosen above: its last row is that window's weights
        ((title, spec),) = charts(app.get_by_key("attention_map")).items()
        weight_map = plotted(spec["data"][0]["z"])
        assert weight_map.shape == (5, 5) and title.startswith("Self-attention map, window predicting value ")
        np.testing.assert_allclose(weight_map.sum(axis=1), 1, rtol=1e-5)
        np.testing.assert_allclose(weight_map[-1], trained.attention[along[0]], rtol=1e-5)
        assert said(app, "attention_map", "markdown")[0].startswith("**Every position's weights.**")
    else:
        assert not said(app, "attention_map", "markdown")
    app.radio(key="importance_method").set_value("gradient").run()
    app.selectbox(key="test_window").select_index(3).run()
    assert not app.exception
