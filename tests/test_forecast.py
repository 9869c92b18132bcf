"""Forecasting the future (issue 25): the chronological split and a backtest's folds, the scaler fitted on the
training windows, window scaling, forecasts many steps ahead, and MASE; each checked against a plain
computation of its own."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler

from fibdash.analysis.forecast import error_by_step, evaluate, forecast, mase_words, series_windows
from fibdash.analysis.metrics import naive_baselines, out_of_reach, score
from fibdash.analysis.study import run_study
from fibdash.config import MODEL_KINDS, MODEL_LABELS, DataConfig, TrainConfig
from fibdash.data import fold_datasets, make_dataset
from fibdash.engine.inference import predict
from fibdash.engine.training import train_pair
from fibdash.series import Upload
from fibdash.serving import budget
from fibdash.serving.tasks import predict_each


def upload(values: np.ndarray, name: str = "level") -> Upload:
    """A column of a visitor's file, as the CSV reader makes it."""
    return Upload(
        sha256=f"{abs(hash(values.tobytes())):064x}"[:64], column=name, file_name="f.csv", values=values
    )


@pytest.mark.parametrize(
    "config",
    [
        DataConfig(split="chronological"),
        DataConfig(n=300, time_steps=7, train_fraction=0.55, split="chronological", series="sine"),
        *DataConfig(n=200, time_steps=5, split="backtest", folds=4).fold_configs(),
    ],
    ids=lambda c: f"{c.split}-{c.fold}",
)
def test_no_test_target_comes_before_a_training_target(config):
    data = make_dataset(config)
    train, test = data.positions[data.train_idx], data.positions[data.test_idx]
    assert len(train) == config.n_train and len(test) == config.n_test
    assert train.max() < test.min()
    # the training windows are every window before the first test window, in order
    np.testing.assert_array_equal(data.train_idx, np.arange(len(train)))


def test_the_tutorials_shuffled_split_is_unchanged():
    data = make_dataset(DataConfig())
    order = np.random.RandomState(seed=13).permutation(1180)  # the tutorial's, as it writes it
    np.testing.assert_array_equal(data.train_idx, order[:826])
    np.testing.assert_array_equal(data.test_idx, order[826:])


@pytest.mark.parametrize(("n", "folds"), [(1200, 5), (200, 4), (60, 3), (47, 10)])
def test_backtest_folds_tile_the_series_end_without_overlap(n, folds):
    config = DataConfig(n=n, time_steps=5 if n < 100 else 20, split="backtest", folds=folds)
    blocks = [make_dataset(fold) for fold in config.fold_configs()]
    tested = np.concatenate([data.test_idx for data in blocks])
    first = int(0.7 * config.n_samples)
    np.testing.assert_array_equal(tested, np.arange(first, config.n_samples))  # in order, each once
    sizes = [len(data.test_idx) for data in blocks]
    assert max(sizes) - min(sizes) <= 1  # as even as the windows allow, as NumPy's array_split
    for data in blocks:  # each fold expands: everything before its block trains it
        np.testing.assert_array_equal(data.train_idx, np.arange(data.test_idx[0]))
    # the whole backtest's own windows: the first fold's training ones, and every block
    whole = make_dataset(config)
    np.testing.assert_array_equal(whole.train_idx, blocks[0].train_idx)
    np.testing.assert_array_equal(whole.test_idx, tested)


def test_a_scaler_fitted_on_the_training_windows_ignores_the_test_values():
    rng = np.random.default_rng(4)
    values = 100 + rng.standard_normal(150).cumsum()
    changed = values.copy()
    config = DataConfig(
        n=150, time_steps=6, split="chronological", scaler_fit="train", series="csv", upload=upload(values)
    )
    last_trained = config.time_steps + config.n_train - 1  # the last training target's position
    changed[last_trained + 1 :] *= 5  # every test target, far outside the training range
    fitted = make_dataset(replace(config, upload=upload(values)))
    moved = make_dataset(replace(config, upload=upload(changed, "other")))
    # the scaler, and every training window, are those of the training part alone
    reference = MinMaxScaler().fit(values[: last_trained + 1].reshape(-1, 1))
    for data in (fitted, moved):
        np.testing.assert_array_equal(data.scaler.data_min_, reference.data_min_)
        np.testing.assert_array_equal(data.scaler.data_max_, reference.data_max_)
    np.testing.assert_array_equal(fitted.train_X, moved.train_X)
    assert moved.test_y.max() > 1  # a test value above the training range scales above 1
    # fitted on the whole series, the same change moves the scaler
    whole = make_dataset(replace(config, scaler_fit="series", upload=upload(changed, "other")))
    assert whole.scaler.data_max_[0] == changed.max() and not np.array_equal(whole.train_X, moved.train_X)


def test_under_the_shuffled_split_the_training_windows_values_fit_the_scaler():
    config = DataConfig(n=100, time_steps=4, scaler_fit="train", scaling="log-minmax")
    data = make_dataset(config)
    covered = sorted({int(row) + step for row in data.train_idx for step in range(5)})  # inputs and target
    reference = MinMaxScaler().fit(np.log(data.series[covered]).reshape(-1, 1))
    np.testing.assert_allclose(data.scaled, reference.transform(np.log(data.series).reshape(-1, 1)).ravel())


@pytest.mark.parametrize("series", ["fibonacci", "sine", "co2"])
def test_window_scaling_divides_each_window_by_its_last_value_and_round_trips(series):
    config = DataConfig(n=300, time_steps=12, split="chronological", scaling="window", series=series)
    data = make_dataset(config)
    rows = np.arange(config.n_samples)
    windows = series_windows(data, rows)
    for row in (0, 100, config.n_samples - 1):  # a plain loop, window by window
        last = data.series[row + 11]
        np.testing.assert_array_equal(data.X[row, :, 0], data.series[row : row + 12] / last)
        assert data.y[row] == data.series[row + 12] / last and data.X[row, -1, 0] == 1
    np.testing.assert_allclose(data.to_original(data.X[..., 0], rows), windows, rtol=1e-12)
    np.testing.assert_allclose(data.to_original(data.y, rows), data.series[data.positions], rtol=1e-12)
    np.testing.assert_allclose(data.to_scaled(data.series[data.positions], rows), data.y, rtol=1e-12)
    np.testing.assert_allclose(data.window_scaled(windows), data.X[..., 0], rtol=1e-12)
    answers = np.linspace(0.5, 2, config.n_samples)
    np.testing.assert_allclose(data.answer_scaled(data.answer_original(answers, windows), windows), answers)
    with pytest.raises(ValueError, match="give its rows"):
        data.to_original(data.y)


def test_window_scaling_is_refused_where_a_windows_last_value_is_zero():
    values = np.arange(1.0, 41.0)
    values[29] = 0.0  # the last value of the window of values 25..29, whose target is value 30
    with pytest.raises(ValueError) as error:
        DataConfig(n=40, time_steps=5, scaling="window", series="csv", upload=upload(values))
    assert str(error.value) == (
        "window scaling divides each window by its last value, but value 29 of the csv series, the last of "
        "window 25, is 0: choose minmax or none"
    )
    values = np.arange(1.0, 41.0)
    values[-1] = 0.0  # the last value is only a target, which nothing divides by
    DataConfig(n=40, time_steps=5, scaling="window", series="csv", upload=upload(values))


@pytest.mark.parametrize(
    "data",
    [
        DataConfig(n=80, time_steps=6, split="chronological"),
        DataConfig(n=80, time_steps=6, split="chronological", scaling="window"),
        DataConfig(n=80, time_steps=6, split="chronological", scaling="log-minmax", scaler_fit="train"),
        DataConfig(n=80, time_steps=6),
    ],
    ids=lambda d: f"{d.split}-{d.scaling}-{d.scaler_fit}",
)
def test_horizon_1_is_the_one_step_prediction_and_later_steps_feed_forecasts_back(data):
    config = TrainConfig(data=data, epochs=3)
    dataset = make_dataset(data)
    pair = train_pair(config, dataset.windows())
    forecasts = forecast([(dataset, pair)], 4, predict_each)
    rows = np.sort(dataset.test_idx)
    for kind, trained in pair.items():
        ahead = forecasts.predicted[MODEL_LABELS[kind]]
        # step 1: exactly the trained model's prediction of each test window, in the series' units
        np.testing.assert_array_equal(ahead[:, 0], dataset.to_original(trained.predictions[rows], rows))
        # later steps, for a few origins: a plain loop, one window at a time through the engine
        for origin in (0, len(rows) // 2, len(rows) - 1):
            window = list(
                dataset.series[dataset.positions[rows[origin]] - 6 : dataset.positions[rows[origin]]]
            )
            for step in range(4):
                values = np.array(window[-6:])
                if data.scaling == "window":
                    scaled = values / values[-1]
                else:
                    scaled = dataset.scaler.transform(values.reshape(-1, 1)).ravel()
                answer = predict(config, kind, trained.weights, scaled[None])[0][0]
                value = answer * values[-1] if data.scaling == "window" else dataset.to_original(answer)
                assert ahead[origin, step] == pytest.approx(float(value), rel=1e-12, abs=0), (kind, step)
                window.append(float(value))


def test_ar2_fitted_on_fibonacci_forecasts_20_steps_ahead_exactly():
    data = make_dataset(DataConfig(n=300, time_steps=5, split="chronological"))
    forecasts = forecast([(data, {})], 20, predict_each)  # the rules only: no models to ask
    known = np.isfinite(forecasts.truth)
    assert known[:, 19].sum() > 50  # origins whose 20th step lies within the series
    relative = np.abs(forecasts.predicted["AR(2)"][known] / forecasts.truth[known] - 1)
    assert relative.max() < 1e-6
    persistence = forecasts.predicted["persistence"]
    np.testing.assert_array_equal(persistence, np.repeat(persistence[:, :1], 20, axis=1))  # flat
    errors = error_by_step(forecasts)
    assert list(errors["step"].unique()) == list(range(1, 21))
    assert errors.set_index(["predictor", "step"]).loc[("persistence", 20), "origins"] == known[:, 19].sum()


def test_the_seasonal_rule_repeats_its_own_forecasts_beyond_one_period():
    data = make_dataset(DataConfig(n=120, time_steps=12, split="chronological", series="co2"))
    forecasts = forecast([(data, {})], 30, predict_each)
    seasonal = forecasts.predicted["seasonal naive"]
    windows = series_windows(data, forecasts.rows)
    np.testing.assert_array_equal(seasonal[:, :12], windows)  # the last year again, month by month
    np.testing.assert_array_equal(seasonal[:, 12:24], windows)  # and again: its own forecasts


def mase_by_loop(data, predictions):
    """MASE written out: the test MAE in the series' units over the training targets' naive MAE."""
    lag = {"sine": 20, "co2": 12}.get(data.config.series, 1)
    naive = [abs(data.series[p] - data.series[p - lag]) for p in data.positions[data.train_idx] if p >= lag]
    test = data.test_idx
    errors = np.abs(data.to_original(predictions[test], test) - data.series[data.positions[test]])
    return float(np.mean(errors) / np.mean(naive))


def test_persistence_on_a_random_walk_has_a_mase_near_one():
    walk = np.random.default_rng(7).standard_normal(5000).cumsum()
    config = DataConfig(n=5000, time_steps=10, split="chronological", series="csv", upload=upload(walk))
    data = make_dataset(config)
    persistence = next(b for b in naive_baselines(data) if b.name == "persistence")
    assert persistence.test_mase == pytest.approx(mase_by_loop(data, persistence.predictions), rel=1e-12)
    assert abs(persistence.test_mase - 1) < 0.1


@pytest.mark.parametrize(
    "config",
    [DataConfig(n=200, time_steps=5), DataConfig(n=120, time_steps=14, split="chronological", series="co2")],
    ids=["fibonacci", "co2"],
)
def test_mase_of_every_rule_is_the_plain_computation(config):
    data = make_dataset(config)
    for rule in naive_baselines(data):
        assert rule.test_mase == pytest.approx(mase_by_loop(data, rule.predictions), rel=1e-9), rule.name


def test_mase_words_say_when_every_mase_is_huge():
    small = make_dataset(DataConfig(n=200, time_steps=5))
    assert "compare each MASE with persistence's" not in mase_words(evaluate(small, [small], [{}]))
    split = make_dataset(DataConfig(n=200, time_steps=5, split="chronological"))
    said = mase_words(evaluate(split, [split], [{}]))
    assert "above 1, worse than repeating the last value" in said
    assert "Here even repeating the last value scores" in said and "not with 1" in said


def test_out_of_reach_counts_the_test_targets_a_tanh_output_cannot_reach():
    config = DataConfig(split="chronological", scaler_fit="train")
    assert out_of_reach([make_dataset(config)], "tanh") == (
        "354 of 354 test targets lie above every training target, outside -1 to 1 on the scaled axis: a "
        "tanh output cannot reach them."
    )
    assert out_of_reach([make_dataset(config)], "relu") == ""  # an unbounded output could
    assert out_of_reach([make_dataset(replace(config, scaler_fit="series"))], "tanh") == ""
    window = make_dataset(replace(config, scaling="window"))
    assert out_of_reach([window], "sigmoid") == (
        "354 of 354 test targets lie outside 0 to 1 on the scaled axis (and 826 of 826 training targets): a "
        "sigmoid output cannot reach them."
    )


def test_a_backtest_is_scored_by_its_folds_mean_and_its_predictions_stitched():
    config = TrainConfig(
        DataConfig(n=90, time_steps=5, split="backtest", folds=3, scaler_fit="train"), epochs=2
    )
    datasets = fold_datasets(config.data)
    pairs = [train_pair(replace(config, data=data.config), data.windows()) for data in datasets]
    whole = make_dataset(config.data)
    evaluation = evaluate(whole, datasets, pairs)
    assert list(evaluation.folds["fold"].unique()) == [1, 2, 3]
    for i, kind in enumerate(MODEL_KINDS):
        folds = [
            score(pair[kind].name, data, pair[kind].predictions)
            for data, pair in zip(datasets, pairs, strict=True)
        ]
        scored = evaluation.models[i]
        assert scored.test_mse == pytest.approx(np.mean([f.test_mse for f in folds]), rel=1e-12)
        assert scored.test_mase == pytest.approx(np.mean([f.test_mase for f in folds]), rel=1e-12)
        assert scored.test_mse == pytest.approx(np.mean([pair[kind].test_mse for pair in pairs]), rel=1e-12)
        for data, pair in zip(
            datasets, pairs, strict=True
        ):  # each block's predictions are its own fold's, in units
            rows = data.test_idx
            np.testing.assert_allclose(
                whole.to_original(scored.predictions[rows], rows),
                data.to_original(pair[kind].predictions[rows], rows),
                rtol=1e-12,
            )
    forecasts = forecast(list(zip(datasets, pairs, strict=True)), 2, predict_each)
    np.testing.assert_array_equal(forecasts.rows, whole.test_idx)
    np.testing.assert_array_equal(np.bincount(forecasts.folds), [len(data.test_idx) for data in datasets])


def test_a_backtest_study_scores_each_seed_by_its_folds_mean_and_costs_every_fold():
    config = TrainConfig(DataConfig(n=80, time_steps=5, split="backtest", folds=2), epochs=2)
    result = run_study(config, range(3))
    assert len(result.fold_runs) == 2 and result.runs is result.fold_runs[-1]
    for fold, runs in enumerate(result.fold_runs):  # each fold's runs are that fold's own trainings
        assert all(run.config.data.fold == fold for kind_runs in runs.values() for run in kind_runs)
    mean = np.mean([[run.test_mse for run in runs["rnn"]] for runs in result.fold_runs], axis=0)
    np.testing.assert_allclose(result.table[result.table["model"] == "rnn"]["test MSE"], mean, rtol=1e-12)
    folds = [budget.estimate_seconds(fold, 3) for fold in config.fold_configs()]
    assert budget.estimate_seconds(config, 3) == pytest.approx(sum(folds))
    chronological = replace(config, data=replace(config.data, split="chronological"))
    assert budget.estimate_seconds(config, 3) > budget.estimate_seconds(chronological, 3)


def test_a_target_the_scaler_maps_to_1_is_not_out_of_reach():
    # MinMax maps this series' largest value, a test target, to 1.0000000000000002: rounding, not a
    # value beyond the range the scaler was fitted on (the browser test's CSV was warned of it)
    values = np.array([20 + 5 * np.sin(i / 4) + i / 30 for i in range(90)]).round(4)
    data = make_dataset(DataConfig(n=90, time_steps=6, series="csv", upload=upload(values)))
    assert data.test_y.max() > 1
    assert out_of_reach([data], "tanh") == ""
