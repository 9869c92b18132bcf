from dataclasses import replace

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

import fibdash
from fibdash.config import SCALINGS, DataConfig
from fibdash.data import make_dataset
from fibdash.series import FIBONACCI_MAX_N as MAX_N
from fibdash.series import FIBONACCI_MAX_N_UNSCALED as MAX_N_UNSCALED
from fibdash.series import fibonacci


def test_get_fib_seq_unscaled_is_the_tutorials_print():
    seq, scaler = fibdash.get_fib_seq(10, False)
    np.testing.assert_array_equal(seq, [1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
    assert scaler == []


def test_get_fib_seq_scaled_returns_a_fitted_minmax_scaler():
    seq, scaler = fibdash.get_fib_seq(10)
    reference = MinMaxScaler().fit(fibonacci(10).reshape(-1, 1))
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_array_equal(getattr(scaler, name), getattr(reference, name))
    assert seq.min() == 0 and seq.max() == 1
    np.testing.assert_allclose(scaler.inverse_transform(seq.reshape(-1, 1)).ravel(), fibonacci(10))


def scikit_learns(scaling: str):
    """What fibdash's scalers stand in for: scikit-learn's, as the tutorial and the notebook scale."""
    if scaling == "minmax":
        return MinMaxScaler()
    if scaling == "log-minmax":
        return make_pipeline(FunctionTransformer(np.log, inverse_func=np.exp), MinMaxScaler())
    return FunctionTransformer()


@pytest.mark.parametrize("scaling", ["minmax", "log-minmax", "none"])
@pytest.mark.parametrize(
    "config",
    [
        DataConfig(n=1200),  # the tutorial's, values up to 1e250
        DataConfig(n=300, series="co2", split="chronological", scaler_fit="train"),
        DataConfig(n=500, series="sine"),
        DataConfig(n=400, series="mackey-glass", time_steps=17),
    ],
    ids=["fibonacci", "co2-train-fit", "sine", "mackey-glass"],
)
def test_each_scaler_gives_scikit_learns_floats_both_ways(config, scaling):
    """The same floats as scikit-learn's scalers, fitted on the same values (the whole series or the
    training part), for the series, the windows and beyond the fitted range, and back."""
    if scaling == "log-minmax" and config.series in ("sine", "mackey-glass"):
        config = replace(config, series="co2", n=300)  # the logarithm needs positive values
    data = make_dataset(replace(config, scaling=scaling))
    fitted_on = (
        data.series
        if config.scaler_fit == "series"
        else data.series[: data.config.time_steps + config.n_train]
    )
    reference = scikit_learns(scaling).fit(fitted_on.reshape(-1, 1))
    np.testing.assert_array_equal(data.scaled, reference.transform(data.series.reshape(-1, 1)).ravel())
    beyond = np.array([fitted_on.max() * 3, fitted_on.min() / 2, np.nan])
    np.testing.assert_array_equal(data.to_scaled(beyond), reference.transform(beyond.reshape(-1, 1)).ravel())
    np.testing.assert_array_equal(
        data.to_original(data.test_y), reference.inverse_transform(data.test_y.reshape(-1, 1)).ravel()
    )


def test_get_fib_xy_gives_the_tutorials_printed_example():
    trainX, trainY, testX, testY, scaler = fibdash.get_fib_XY(12, 3, 0.7, False)
    expected_x = [[8, 13, 21], [5, 8, 13], [2, 3, 5], [13, 21, 34], [21, 34, 55], [34, 55, 89]]
    np.testing.assert_array_equal(trainX, np.array(expected_x, dtype=float)[..., None])
    np.testing.assert_array_equal(trainY, [34, 21, 8, 55, 89, 144])
    assert trainX.shape == (6, 3, 1) and testX.shape == (3, 3, 1) and testY.shape == (3,)
    assert scaler == []
    # every test window is followed by its target in the series
    for window, target in zip(testX[..., 0], testY, strict=True):
        assert window[-1] + window[-2] == target


def test_get_fib_xy_at_tutorial_size():
    trainX, trainY, testX, testY, _ = fibdash.get_fib_XY(1200, 20, 0.7)
    assert trainX.shape == (826, 20, 1) and testX.shape == (354, 20, 1)
    assert trainY.shape == (826,) and testY.shape == (354,)
    assert trainX.min() >= 0 and trainX.max() <= 1
    # MinMax squashes nearly everything to zero: the brief measured about 98%
    assert 0.95 < np.mean(np.concatenate([trainY, testY]) < 1e-6) < 1


def test_dataset_windows_positions_and_split():
    data = make_dataset(DataConfig(n=50, time_steps=4, scaling="none"))
    assert data.X.shape == (46, 4, 1)
    for row in (0, 17, 45):
        position = data.positions[row]
        np.testing.assert_array_equal(data.X[row, :, 0], data.series[position - 4 : position])
        assert data.y[row] == data.series[position]
    assert sorted(np.concatenate([data.train_idx, data.test_idx])) == list(range(46))
    assert len(data.train_idx) == int(0.7 * 46)
    assert data.is_train.sum() == len(data.train_idx) and data.is_train[data.train_idx].all()
    np.testing.assert_array_equal(data.train_X, fibdash.get_fib_XY(50, 4, 0.7, False)[0])


@pytest.mark.parametrize("scaling", [scaling for scaling in SCALINGS if scaling != "window"])  # fitted ones
def test_inverse_transform_gives_back_fibonacci_values(scaling):
    data = make_dataset(DataConfig(n=MAX_N, scaling=scaling))
    np.testing.assert_allclose(data.to_original(data.scaled), data.series, rtol=1e-9)
    windows = data.series[data.positions[:, None] - 20 + np.arange(20)]
    np.testing.assert_allclose(data.to_original(data.X[..., 0]), windows, rtol=1e-9)
    np.testing.assert_allclose(data.to_scaled(data.series), data.scaled, atol=1e-12)
    assert data.scaled.min() == pytest.approx(0) if scaling != "none" else data.scaled.min() == 1


def test_log_minmax_spreads_the_targets_out():
    minmax = make_dataset(DataConfig(scaling="minmax"))
    log_minmax = make_dataset(DataConfig(scaling="log-minmax"))
    assert np.mean(minmax.y < 1e-6) > 0.95
    assert np.mean(log_minmax.y < 1e-6) == 0
    # log of an exponential series is close to a line: equal steps between neighbours
    steps = np.diff(log_minmax.scaled[10:])
    assert steps.std() / steps.mean() < 1e-3


def test_series_limits():
    series = fibonacci(MAX_N)
    assert np.isfinite(series).all()
    with np.errstate(over="ignore"):
        assert np.isfinite(series[-1] + series[-2])  # the number after the series still fits
        assert np.isinf(np.float64(series[-1] + series[-2]) + series[-1])  # the one after that does not
    assert series[MAX_N_UNSCALED - 1] <= np.finfo(np.float32).max < series[MAX_N_UNSCALED]
    with pytest.raises(ValueError, match="at most 1474"):
        fibonacci(MAX_N + 1)


def test_fibdash_imports_without_tensorflow():
    import subprocess
    import sys

    steps = [
        "import sys, fibdash",
        "fibdash.make_dataset(fibdash.DataConfig())",
        "print('tensorflow' in sys.modules)",
    ]
    code = "\n".join(steps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
