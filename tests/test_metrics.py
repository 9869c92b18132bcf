import re

import numpy as np
import pytest

from fibdash.analysis.metrics import (
    diagnose,
    diverged_seeds,
    first_nonfinite_epoch,
    headline,
    median_ape,
    mse,
    naive_baselines,
    predictions_frame,
    score,
    scores_table,
)
from fibdash.config import DataConfig, TrainConfig
from fibdash.csv_file import read_csv
from fibdash.data import make_dataset, windows_frame


def test_mse_and_median_ape():
    assert mse([1, 2, 3], [1, 2, 5]) == pytest.approx(4 / 3)
    assert median_ape([110, 90, 100], [100, 100, 100]) == pytest.approx(10)
    # ratios of huge numbers do not overflow where their squared difference would
    assert median_ape([-1e308, 2e307], [1e308, 1e307]) == pytest.approx(150)


@pytest.mark.parametrize("scaling", ["minmax", "none", "log-minmax"])
def test_naive_baselines(scaling):
    data = make_dataset(DataConfig(n=200 if scaling != "none" else 150, time_steps=5, scaling=scaling))
    zero, persistence, rule = naive_baselines(data)
    assert rule.name == "AR(2)"
    assert zero.name == "predict zero" and zero.test_mse == pytest.approx(np.mean(data.test_y**2))
    np.testing.assert_array_equal(persistence.predictions, data.X[:, -1, 0])
    # fitted, AR(2) is the Fibonacci rule, exact up to rounding, in every scaling
    assert rule.test_mdape < 1e-6
    assert rule.test_mse <= 1e-12 * max(1.0, zero.test_mse)
    assert persistence.test_mdape == pytest.approx(100 * (1 - 1 / 1.618034), rel=1e-3)


def test_autoregression_has_one_term_for_windows_of_one_value():
    names = [b.name for b in naive_baselines(make_dataset(DataConfig(n=50, time_steps=1)))]
    assert names == ["predict zero", "persistence", "AR(1)"]


def test_score_and_table():
    data = make_dataset(DataConfig(n=40, time_steps=3, scaling="none"))
    perfect = score("truth", data, data.y)
    assert perfect.train_mse == perfect.test_mse == perfect.test_mdape == 0
    table = scores_table([perfect, *naive_baselines(data)])
    assert list(table.columns) == ["predictor", "train MSE", "test MSE", "test MdAPE %", "test MASE"]
    assert list(table["predictor"]) == ["truth", "predict zero", "persistence", "AR(2)"]


# --- saying when a model learnt nothing ------------------------------------------------------


def diagnosed(config: TrainConfig, kind: str) -> list[str]:
    """`diagnose` of a real training of `config`."""
    from fibdash.engine.training import train

    data = make_dataset(config.data)
    result = train(config, kind, data.windows())
    scores = score(result.name, data, result.predictions)
    return diagnose(scores, data, naive_baselines(data), result.loss_history, config)


def test_a_diverging_run_is_said_with_its_epoch_and_causes():
    config = TrainConfig(DataConfig(n=150, scaling="none"), learning_rate=1.0, activation="linear", epochs=3)
    diverged, non_finite = diagnosed(config, "rnn")
    assert [headline(diverged), headline(non_finite)] == [
        "Training diverged",
        "Predictions that are not numbers",
    ]
    assert diverged.startswith("Training diverged: the training loss was NaN at epoch 1,")
    assert "learning rate too high (here 1;" in diverged
    assert "the linear activation" in diverged and "scaling 'none'" in diverged
    assert non_finite == f"Predictions that are not numbers: of {config.data.n_test} test predictions, " + (
        f"{config.data.n_test} are NaN."
    )


def test_minmax_squashing_windows_below_float32_is_named_as_the_cause():
    # the tutorial's MinMax config, shorter: most test windows' inputs are below float32's resolution
    config = TrainConfig(DataConfig(n=120, time_steps=10), epochs=3)
    constant = next(w for w in diagnosed(config, "attention") if w.startswith("One answer"))
    shared = int(re.search(r"(\d+) of 33 test predictions are exactly", constant)[1])
    assert shared > 33 / 2
    assert "below float32's resolution next to 1" in constant
    assert (
        "'minmax' scaling squashed them" in constant and "'log-minmax' scaling spreads them out" in constant
    )


def test_a_collapsed_network_is_no_better_than_predicting_zero():
    config = TrainConfig(DataConfig(n=120, time_steps=10), learning_rate=1.0, activation="relu", epochs=3)
    constant, no_better = diagnosed(config, "rnn")
    assert [headline(constant), headline(no_better)] == [
        "One answer for most windows",
        "No better than a naive rule",
    ]
    assert constant.startswith("One answer for most windows: 33 of 33 test predictions are exactly 0 ")
    assert constant.endswith("The network answers them alike although their inputs differ.")
    assert no_better.startswith("No better than a naive rule:")
    assert "predict zero (" in no_better and no_better.endswith("the model has learnt nothing.")


@pytest.fixture(scope="module")
def small():
    return make_dataset(DataConfig(n=60, time_steps=5, scaling="log-minmax"))


def test_a_model_that_beats_every_rule_gets_no_warning(small):
    baselines = naive_baselines(small)
    assert min(b.test_mse for b in baselines) > 0  # log-minmax: even AR(2), the Fibonacci rule, rounds
    assert diagnose(score("model", small, small.y), small, baselines, [0.1, 0.01]) == []


def test_hand_built_failures(small):
    baselines = naive_baselines(small)
    test = small.test_idx
    predictions = small.y.copy()
    predictions[test[:2]] = np.nan
    predictions[test[2:5]] = np.inf
    warnings = diagnose(score("model", small, predictions), small, baselines, [0.1, np.inf, np.nan])
    assert warnings[0].startswith("Training diverged: the training loss was infinite at epoch 2,")
    assert "such as linear or relu" in warnings[0]  # without a config, the usual causes in general
    assert (
        warnings[1]
        == f"Predictions that are not numbers: of {len(test)} test predictions, 2 are NaN and 3 are infinite."
    )
    assert len(warnings) == 2  # a NaN test MSE cannot be compared with the rules'
    # an infinite test MSE can: it is no better than any of them
    wild = diagnose(score("model", small, np.full_like(small.y, np.inf)), small, baselines, [0.1])
    assert wild[-1].startswith("No better than a naive rule: its test MSE (inf) is no lower than that of ")

    # one value for most windows whose inputs differ: no float32 cause to name
    constant = np.where(np.arange(len(small.y)) % 5 == 0, small.y, 0.5)
    (said, _) = diagnose(score("model", small, constant), small, baselines, [0.1])
    shared = len(test) - np.sum(np.isin(test, np.flatnonzero(np.arange(len(small.y)) % 5 == 0)))
    assert said.startswith(
        f"One answer for most windows: {shared} of {len(test)} test predictions are exactly 0.5 "
    )
    assert "float32" not in said
    # half the windows sharing a value is not most of them
    half = small.y.copy()
    half[test[: len(test) // 2]] = 0.5
    assert not any(w.startswith("One answer") for w in diagnose(score("m", small, half), small, [], [0.1]))
    # all NaN: said once, with neither a shared value nor a comparison with the rules
    nan = score("model", small, np.full_like(small.y, np.nan))
    assert [w.split(":")[0] for w in diagnose(nan, small, baselines, [0.1])] == [
        "Predictions that are not numbers"
    ]


def test_first_nonfinite_epoch():
    assert first_nonfinite_epoch([0.3, 0.2, np.nan, 0.1]) == 3
    assert first_nonfinite_epoch([np.inf]) == 1
    assert first_nonfinite_epoch([0.3, 0.2]) is None
    assert first_nonfinite_epoch([]) is None


def test_score_survives_infinite_predictions():
    data = make_dataset(DataConfig(n=40, time_steps=3))
    scores = score("wild", data, np.full_like(data.y, np.inf))
    assert scores.test_mse == np.inf and scores.test_mdape == np.inf


def test_diverged_seeds_are_counted_by_model_with_their_epochs():
    data = make_dataset(DataConfig(n=150))
    config = TrainConfig(data=data.config, learning_rate=1.0, activation="linear")
    nan = float("nan")
    words = diverged_seeds(
        {"rnn": [[0.1, nan], [0.1, 0.05], [nan]], "attention": [[0.1, 0.05]] * 3}, data, config
    )
    assert words.startswith("Training diverged for 2 of 3 seeds of the RNN (epochs 1 and 2)")
    assert "RNN + attention" not in words and "learning rate too high (here 1" in words
    assert "the linear activation" in words
    assert diverged_seeds({"rnn": [[0.1, 0.05]]}, data, config) == ""


# Names a visitor's header may give a column, each one of the app's own columns or a part of one.
APPS_OWN = ("scaled", "truth (scaled)", "target index", "split", "target", "RNN (scaled)", "scaled) (scaled")


@pytest.mark.parametrize("name", APPS_OWN)
def test_a_columns_name_never_replaces_the_apps_own_columns(name):
    content = f'"{name}"\n'.encode() + "\n".join(str(20 + i % 7 + i / 10) for i in range(60)).encode() + b"\n"
    upload = read_csv(content, "mine.csv").upload(name)
    data = make_dataset(DataConfig(series="csv", n=60, time_steps=5, upload=upload))
    baselines = naive_baselines(data)
    frame = predictions_frame(data, baselines)
    assert frame.columns.is_unique and len(frame.columns) == 2 + 2 * (1 + len(baselines)), list(frame.columns)
    np.testing.assert_array_equal(frame["truth (scaled)"], data.y)  # the scaled truth, not the file's values
    np.testing.assert_array_equal(frame.iloc[:, 3], data.series[data.positions])
    for s in baselines:
        np.testing.assert_array_equal(frame[f"{s.name} (scaled)"], s.predictions)
    windows = windows_frame(data)
    assert windows.columns.is_unique and len(windows.columns) == 2 + 5 + 2
    np.testing.assert_array_equal(windows["target"], data.y[np.concatenate([data.train_idx, data.test_idx])])
