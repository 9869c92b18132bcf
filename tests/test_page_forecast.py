"""The forecasting settings on the pages (issue 25): the split, the scaler's fit and window scaling on the
Dataset page, a chronological pair and a backtest on Compare, forecasts many steps ahead without training
again, and bad values said with their limits."""

import json
import re

import numpy as np
import pytest

from fibdash.analysis.forecast import evaluate
from fibdash.analysis.lesson import FORECAST_RUNS, STEPS
from fibdash.config import DataConfig, TrainConfig
from fibdash.data import fold_datasets, make_dataset
from fibdash.engine.training import train_pair
from tests.conftest import SMALL, open_page, press, said, table
from tests.test_page_tutorial import open_step, train_the_tutorial

DATASET, COMPARE = "app_pages/1_Dataset.py", "app_pages/3_Compare.py"


def titles(block) -> list[str]:
    layouts = [json.loads(chart.proto.spec)["layout"] for chart in block.get("plotly_chart")]
    return [layout["title"]["text"].replace("<br>", " ") for layout in layouts]


def choose(app, key: str, value: str):
    app.selectbox(key=key).set_value(value).run()
    return app


def test_the_dataset_page_says_the_split_and_draws_a_backtests_folds(app):
    open_page(app, DATASET)
    choose(app, "split", "chronological")
    words = app.markdown[0].value
    assert "the first **826** train the models and the last **354** test them" in words
    assert not said(app, "out_of_reach", "warning")  # the tutorial's scaler: no target out of reach
    choose(app, "scaler_fit", "train")
    assert said(app, "out_of_reach", "warning")[0].startswith(
        "354 of 354 test targets lie above every training target, outside -1 to 1 on the scaled axis: a "
        "tanh output cannot reach them."
    )
    assert "fitted on the training windows" in said(app, "configuration")[0]
    choose(app, "split", "backtest")
    app.text_input(key="folds").input("3").run()
    assert "backtest of **3** expanding folds" in app.markdown[0].value
    assert titles(app)[-1] == "Backtest: 3 expanding folds"
    choose(app, "scaling", "window")
    assert "Each value over the one before: window scaling's targets" in titles(app)
    assert "1.618" in " ".join(m.value for m in app.markdown)
    assert not app.exception and len(app.get("plotly_chart")) == 4


@pytest.mark.parametrize(
    ("page", "key", "text", "message"),
    [
        (COMPARE, "horizon", "0", "horizon must be at least 1, got 0"),
        (COMPARE, "horizon", "500", "horizon must be at most 50, got 500"),
        (DATASET, "folds", "1", "folds must be at least 2, got 1"),
        (DATASET, "folds", "11", "folds must be at most 10, got 11"),
    ],
)
def test_bad_values_are_said_with_their_limits(app, page, key, text, message):
    open_page(app, page, **{key: text})
    assert not app.exception
    assert said(app, "problems", "error")[0] == f"{message}. Change it in the sidebar."


def test_more_folds_than_test_windows_are_refused_with_the_limit(app):
    open_page(app, DATASET, n=30, folds=10)
    choose(app, "split", "backtest")
    error = said(app, "problems", "error")[0]
    assert "folds must be at most 3 (the backtest cuts the 3 test windows into one block per fold)" in error


def test_window_scaling_is_refused_on_a_series_that_touches_zero(app):
    from tests.test_page_upload import upload

    rows = "\n".join(f"{i},{0 if i == 30 else 10 + i}" for i in range(60))
    open_page(app, DATASET)
    upload(app, f"t,level\n{rows}\n".encode())
    choose(app, "csv_column", "level")
    choose(app, "scaling", "window")
    assert not app.exception
    assert said(app, "problems", "error")[0].startswith(
        "This configuration cannot be used: window scaling divides each window by its last value, but value "
        "30 of the csv series, the last of window 11, is 0: choose minmax or none"
    )


def test_compare_forecasts_a_chronological_pair_without_training_again(app):
    open_page(app, "app_pages/2_Train.py", **SMALL)
    choose(app, "split", "chronological")
    press(app, "train")
    open_page(app, COMPARE)
    assert "Raise the **forecast horizon**" in said(app, "forecast", "info")[0]  # horizon 1: one step
    app.text_input(key="horizon").input("6").run()
    assert not app.exception and app.jobs() == 1
    section = app.get_by_key("forecast")
    shown = titles(section)
    assert shown[0] == "Forecast error by step ahead: MAE" and shown[1].startswith("Forecasts 6 steps ahead")
    assert "Step 1 is the one-step prediction" in section.caption[0].value
    app.radio(key="horizon_measure").set_value("MdAPE %").run()
    app.selectbox(key="forecast_origin").select_index(0).run()
    app.text_input(key="horizon").input("12").run()  # another horizon: predictions only, no training
    assert app.jobs() == 1 and titles(app.get_by_key("forecast"))[1].startswith("Forecasts 12 steps ahead")
    assert titles(app.get_by_key("forecast"))[0] == "Forecast error by step ahead: MdAPE %"
    command = app.get_by_key("reproduce").code[0].value.splitlines()[-1]
    assert command == "python -m fibdash --n 60 --split chronological --epochs 2 --horizon 12"
    assert not said(app, "forecast", "warning")  # the future: no word about training targets
    assert "test MASE" in table(app, "scores_table").columns
    assert not app.exception


def test_a_shuffled_splits_forecasts_say_what_they_reach(app):
    open_page(app, "app_pages/2_Train.py", **SMALL)
    press(app, "train")
    open_page(app, COMPARE, horizon=3)
    assert "mostly training targets" in said(app, "forecast", "warning")[0]


def test_compare_under_a_backtest_shows_every_fold_and_the_last_folds_models(app):
    open_page(app, "app_pages/2_Train.py", **SMALL, folds=2)
    choose(app, "split", "backtest")
    press(app, "train")
    assert app.jobs() == 1
    assert any("A backtest: both models trained once per fold, 2 folds" in c.value for c in app.caption)
    open_page(app, COMPARE, horizon=2)
    assert not app.exception and app.jobs() == 1
    folds = table(app, "folds_table")
    assert folds["fold"].astype(int).tolist() == [1] * 5 + [2] * 5
    # the scores are the folds' mean, computed here from the engine's own trainings
    config = TrainConfig(DataConfig(n=60, split="backtest", folds=2), epochs=2)
    datasets = fold_datasets(config.data)
    pairs = [
        train_pair(fold, data.windows()) for fold, data in zip(config.fold_configs(), datasets, strict=True)
    ]
    expected = evaluate(make_dataset(config.data), datasets, pairs).table.set_index("predictor")
    shown = table(app, "scores_table").set_index("predictor")
    for predictor in ("RNN", "RNN + attention", "persistence"):
        for column in ("test MSE", "test MASE"):
            assert float(shown.loc[predictor, column]) == pytest.approx(
                expected.loc[predictor, column], rel=1e-3
            )
    said_last = " ".join(block.value for block in app.info)
    assert "From here on, the last fold's models" in said_last
    assert len(titles(app.get_by_key("forecast"))) == 2


def test_the_lesson_asks_whether_it_forecasts_and_trains_the_pairs_split_in_time(app):
    step = next(i for i, s in enumerate(STEPS, start=1) if s.title == "Does it forecast?")
    app = open_step(app, step)
    for _ in FORECAST_RUNS:  # the tutorial's own pair, then the two split in time, one press each
        train_the_tutorial(app)
    assert not app.exception and app.jobs() == 3
    shown = table(app, "forecast_table")
    assert shown["split, scaling"].unique().tolist() == list(FORECAST_RUNS)
    for label, config in FORECAST_RUNS.items():
        data = make_dataset(config.data)
        pair = train_pair(config, data.windows())
        rows = shown[shown["split, scaling"] == label].set_index("predictor")
        for trained in pair.values():
            assert float(rows.loc[trained.name, "test MSE"]) == pytest.approx(trained.test_mse, rel=1e-3)
        persistence = float(np.mean((data.X[data.test_idx, -1, 0] - data.test_y) ** 2))
        assert float(rows.loc["persistence", "test MSE"]) == pytest.approx(persistence, rel=1e-3)
    sentence = said(app, "forecast_sentence", "info")[0]
    assert sentence.startswith(
        "Shuffled, as the tutorial splits, both networks beat repeating the last value"
    )
    assert "Split in time, both networks lose to it" in sentence and "the ratio 1.618" in sentence
    app.button(key=f"try_{step}").click().run()  # its try-it: Compare, split in time, window scaling
    assert "Compare" in app.title[0].value
    assert (app.selectbox(key="split").value, app.selectbox(key="scaling").value) == (
        "chronological",
        "window",
    )
    assert app.text_input(key="horizon").value == "10" and not app.exception


def test_what_if_and_importance_under_window_scaling(app):
    open_page(app, "app_pages/2_Train.py", **SMALL, time_steps=5)
    choose(app, "split", "chronological")
    choose(app, "scaling", "window")
    press(app, "train")
    open_page(app, COMPARE)
    assert not app.exception and app.jobs() == 1
    words = " ".join(m.value for m in app.get_by_key("explanation").markdown)
    assert "which window scaling leaves at 0: each window is divided by its last value" in words
    box = next(t for t in app.get_by_key("what_if").text_area if t.key.startswith("what_if_values_"))
    values = box.value.split(", ")
    values[-1] = str(2 * float(values[-1]))  # the last input doubled: the scale of the whole window
    box.input(", ".join(values)).run()
    answers = table(app, "what_if_answers").set_index("predictor")
    assert float(answers.loc["persistence", "Fibonacci units"]) == pytest.approx(float(values[-1]), rel=1e-3)
    assert float(answers.loc["persistence", "scaled"]) == 1  # a window over its own last value
    app.get_by_key("what_if").radio[0].set_value("scaled values").run()
    box = next(t for t in app.get_by_key("what_if").text_area if t.key.startswith("what_if_values_"))
    box.input("0.2, 0.3, 0.5, 0.8, 2").run()
    error = said(app, "what_if", "error")[0]
    assert error.startswith("t-1, the value window scaling divides the window by, is 1 on the scaled axis")
    assert not app.exception


def test_a_backtest_study_on_the_robustness_page(app):
    open_page(app, "app_pages/2_Train.py", **SMALL, folds=2)
    choose(app, "split", "backtest")
    press(app, "train")
    open_page(app, "app_pages/4_Robustness.py")
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    assert not app.exception and app.jobs() == 2
    assert "backtest over 2 folds" in said(app, "configuration")[0]
    agreement = said(app, "agreement")[0]  # seed 0's folds' mean, here and on the Train page
    numbers = [float(n) for n in re.findall(r"(\d\.\d+(?:e-?\d+)?) (?:on the Train page|here)", agreement)]
    assert numbers[0] == pytest.approx(numbers[1], rel=1e-3) and numbers[2] == pytest.approx(
        numbers[3], rel=1e-3
    )
