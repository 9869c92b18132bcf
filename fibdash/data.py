"""The data: a series (`fibdash.series`), its scaling, and windows split as the tutorial does (shuffled), or
in time order (chronological, and the folds of a backtest).

`get_fib_seq` and `get_fib_XY` keep the tutorial's names, arguments and return values;
`DataConfig` and `make_dataset` are the typed API the dashboard uses. Both share one code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fibdash.config import SCALINGS, DataConfig, check_choice
from fibdash.engine.records import Windows
from fibdash.series import fibonacci, series_values, units, value_name


@dataclass(frozen=True, eq=False)
class Dataset:
    """Windows of one `DataConfig`, in series order, with its split.

    Row i of `X` holds scaled values i .. i + time_steps - 1 of the series, shape
    (samples, time_steps, 1); `y[i]` is value i + time_steps, which `positions[i]` records.
    Under window scaling each row is the window divided by its own last value, `factors[i]`.
    """

    config: DataConfig
    series: np.ndarray  # (n,) the series' values
    scaled: np.ndarray  # (n,) the series after scaling; under window scaling each value over the one before
    X: np.ndarray
    y: np.ndarray
    positions: np.ndarray
    train_idx: np.ndarray  # rows of X: in the tutorial's shuffled order, or in series order
    test_idx: np.ndarray
    scaler: Scaler | None  # fitted, (n, 1) values <-> scaled values; None for window scaling
    factors: np.ndarray | None = None  # (samples,) each window's last value, under window scaling

    @property
    def units(self) -> str:
        """What the series' values are measured in, for sentences: "Fibonacci units", "ppm"."""
        return units(self.config.series, self.config.upload)

    @property
    def value_name(self) -> str:
        """A value of the series in a word, for column names and axes: "Fibonacci", a CSV column's name."""
        return value_name(self.config.series, self.config.upload)

    @property
    def train_X(self) -> np.ndarray:
        return self.X[self.train_idx]

    @property
    def train_y(self) -> np.ndarray:
        return self.y[self.train_idx]

    @property
    def test_X(self) -> np.ndarray:
        return self.X[self.test_idx]

    @property
    def test_y(self) -> np.ndarray:
        return self.y[self.test_idx]

    @property
    def is_train(self) -> np.ndarray:
        """Boolean mask over rows of X: True where the row is a training window."""
        mask = np.zeros(len(self.y), dtype=bool)
        mask[self.train_idx] = True
        return mask

    def windows(self) -> Windows:
        """The windows as the engine trains on them: plain arrays, without the scaler."""
        X = np.ascontiguousarray(self.X[..., 0], dtype=np.float32)
        return Windows(self.config, X, self.y, self.train_idx, self.test_idx)

    def to_original(self, values: np.ndarray, rows: Any = None) -> np.ndarray:
        """Scaled values of any shape back to the series' own units. Under window scaling each value is
        its window's, `rows` (rows of X, one per value along the first axis), multiplied back."""
        values = np.asarray(values, dtype=np.float64)
        if self.factors is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                return values * self._factors(rows, values.ndim)
        # a wild prediction may leave float64 (inf), or be infinite already: it maps to its limit (inf, or
        # 0 for log-minmax's -inf)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)

    def to_scaled(self, values: np.ndarray, rows: Any = None) -> np.ndarray:
        """Values of the series' units, of any shape, to the scaled units the networks see; under window
        scaling each divided by its window's (`rows`, as for `to_original`) last value."""
        values = np.asarray(values, dtype=np.float64)
        if self.factors is not None:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return values / self._factors(rows, values.ndim)
        # a forecast fed back may be wild (inf, NaN): it maps to its limit, as in `to_original`
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self.scaler.transform(values.reshape(-1, 1)).reshape(values.shape)

    def window_scaled(self, windows: np.ndarray) -> np.ndarray:
        """Windows of the series' units, (count, time_steps), any windows, as the networks see them: under
        window scaling each divided by its own last value."""
        windows = np.asarray(windows, dtype=np.float64)
        if self.factors is None:
            return self.to_scaled(windows)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return windows / windows[:, -1:]

    def answer_original(self, answers: np.ndarray, windows: np.ndarray) -> np.ndarray:
        """Scaled answers for `windows` (series' units, (count, time_steps), as `window_scaled` took
        them) back in the series' units."""
        answers = np.asarray(answers, dtype=np.float64)
        if self.factors is None:
            return self.to_original(answers)
        with np.errstate(over="ignore", invalid="ignore"):
            return answers * np.asarray(windows, dtype=np.float64)[:, -1]

    def answer_scaled(self, answers: np.ndarray, windows: np.ndarray) -> np.ndarray:
        """Answers for `windows` in the series' units, as `answer_original` takes them."""
        answers = np.asarray(answers, dtype=np.float64)
        if self.factors is None:
            return self.to_scaled(answers)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return answers / np.asarray(windows, dtype=np.float64)[:, -1]

    def _factors(self, rows: Any, ndim: int) -> np.ndarray:
        """The window factors of `rows`, shaped to scale values of `ndim` dimensions along their first."""
        if rows is None:
            raise ValueError("window scaling maps each value with its own window's last value: give its rows")
        factors = self.factors[rows]
        return factors.reshape(factors.shape + (1,) * (ndim - factors.ndim))


class MinMax:
    """scikit-learn's `MinMaxScaler` to [0, 1] on (n, 1) columns, its arithmetic step for step (so the same
    floats: tests/test_data.py holds it to scikit-learn's), the fitted attributes under its names.

    Not scikit-learn's own: importing `sklearn.preprocessing` takes 0.6 s (1.6 s beside a page run), as it
    loads SciPy's statistics, which the tutorial's first dataset, and so its first pair, waited for; and
    scikit-learn keeps 9 MB of the server. All for two lines of arithmetic.
    A value it was not fitted on maps past [0, 1]; NaN stays NaN, and infinite values map to their limit.
    """

    def fit(self, values: np.ndarray) -> MinMax:
        values = np.asarray(values, dtype=np.float64)
        if np.isinf(values).any():
            raise ValueError("a MinMax scaler cannot be fitted on infinite values")
        self.data_min_ = np.nanmin(values, axis=0)
        self.data_max_ = np.nanmax(values, axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        # a constant column's range counts as 1, as scikit-learn's `_handle_zeros_in_scale` has it
        self.scale_ = 1.0 / np.where(self.data_range_ < 10 * np.finfo(np.float64).eps, 1.0, self.data_range_)
        self.min_ = 0.0 - self.data_min_ * self.scale_
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        scaled = np.array(values, dtype=np.float64)
        scaled *= self.scale_
        scaled += self.min_
        return scaled

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        original = np.array(values, dtype=np.float64)
        original -= self.min_
        original /= self.scale_
        return original

    def fit_transform(self, values: np.ndarray) -> np.ndarray:
        return self.fit(values).transform(values)


class LogMinMax(MinMax):
    """MinMax of the values' natural logarithms (scikit-learn's `FunctionTransformer(np.log, np.exp)` then
    `MinMaxScaler`), and back through `exp`."""

    def fit(self, values: np.ndarray) -> LogMinMax:
        with np.errstate(divide="ignore", invalid="ignore"):
            return super().fit(np.log(np.asarray(values, dtype=np.float64)))

    def transform(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return super().transform(np.log(np.asarray(values, dtype=np.float64)))

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.exp(super().inverse_transform(values))


class Unscaled:
    """The values as they are, both ways (scaling "none")."""

    def fit(self, values: np.ndarray) -> Unscaled:
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        return np.array(values, dtype=np.float64)

    inverse_transform = fit_transform = transform


Scaler = MinMax | Unscaled  # LogMinMax is a MinMax


def make_scaler(scaling: str) -> Scaler:
    """An unfitted scaler for one of `SCALINGS` but window scaling, which fits none."""
    check_choice("scaling", scaling, SCALINGS)
    if scaling == "window":
        raise ValueError("window scaling fits no scaler: each window is divided by its own last value")
    return {"minmax": MinMax, "log-minmax": LogMinMax, "none": Unscaled}[scaling]()


def split_rows(config: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    """The training and the test windows' rows: the tutorial's shuffle, or the first windows against the
    later ones; a backtest fold trains on every window before its block and tests on the block."""
    if config.split == "shuffled":
        order = np.random.RandomState(seed=config.split_seed).permutation(config.n_samples)
        return order[: config.n_train], order[config.n_train :]
    start = config.n_train
    return np.arange(start), np.arange(start, start + config.n_test)


def training_positions(config: DataConfig, train_idx: np.ndarray) -> np.ndarray:
    """The positions in the series of every value the training windows hold, inputs and targets."""
    covered = train_idx[:, None] + np.arange(config.time_steps + 1)
    return np.unique(covered)


def make_dataset(config: DataConfig) -> Dataset:
    """Build the series, cut it into windows, split them and scale them as `config` says."""
    series = series_values(config.series, config.n, config.upload)
    steps = config.time_steps
    train_idx, test_idx = split_rows(config)
    positions = np.arange(steps, config.n)
    if config.scaling == "window":
        factors = series[steps - 1 : -1].copy()
        raw = np.lib.stride_tricks.sliding_window_view(series[:-1], steps)
        scaled = np.concatenate([[np.nan], series[1:] / series[:-1]])
        X = (raw / factors[:, None])[..., np.newaxis]
        return Dataset(
            config, series, scaled, X, series[steps:] / factors, positions, train_idx, test_idx, None, factors
        )
    scaler = make_scaler(config.scaling)
    if config.fits_on_training:
        scaler.fit(series[training_positions(config, train_idx)].reshape(-1, 1))
        scaled = scaler.transform(series.reshape(-1, 1)).ravel()
    else:
        scaled = scaler.fit_transform(series.reshape(-1, 1)).ravel()
    X = np.lib.stride_tricks.sliding_window_view(scaled[:-1], steps).copy()[..., np.newaxis]
    return Dataset(
        config=config,
        series=series,
        scaled=scaled,
        X=X,
        y=scaled[steps:].copy(),
        positions=positions,
        train_idx=train_idx,
        test_idx=test_idx,
        scaler=scaler,
    )


def fold_datasets(config: DataConfig, data: Dataset | None = None) -> list[Dataset]:
    """The datasets models of `config` train on, in order: a backtest's folds', else its own (`data`,
    where built already)."""
    folds = config.fold_configs()
    if data is not None and folds == (data.config,):
        return [data]
    return [make_dataset(fold) for fold in folds]


def step_labels(time_steps: int) -> list[str]:
    """A window's input steps as the tutorial's tables name them: t-T, ..., t-1."""
    return [f"t-{time_steps - i}" for i in range(time_steps)]


def windows_frame(data: Dataset) -> pd.DataFrame:
    """Every window as a row, training rows first (in the tutorial's shuffled order under its split), then
    test rows.

    Columns: the target's index in the series, the split, the scaled inputs `t-T` .. `t-1`,
    the scaled target, and the target in the series' units.
    """
    rows = np.concatenate([data.train_idx, data.test_idx])
    steps = data.config.time_steps
    frame = pd.DataFrame(data.X[rows, :, 0], columns=step_labels(steps))
    frame.insert(0, "split", np.where(data.is_train[rows], "train", "test"))
    frame.insert(0, "target index", data.positions[rows])
    frame["target"] = data.y[rows]
    frame[f"target ({data.value_name})"] = data.series[data.positions[rows]]
    return frame


TINY_TARGET = 1e-6  # a scaled target this small is as good as zero to a tiny MSE (written "1e-6" in words)


def tiny_target_share(data: Dataset) -> float:
    """The share of the scaled targets smaller than TINY_TARGET in size: MinMax piles almost all of
    Fibonacci's there (the Tutorial's words and the targets' chart both say this one number)."""
    return float(np.mean(np.abs(data.y) < TINY_TARGET))


def split_words(config: DataConfig) -> str:
    """How `config`'s windows are split, in Markdown: the end of the Dataset page's first sentence."""
    if config.split == "shuffled":
        return (
            f"shuffled with seed {config.split_seed} (the tutorial's split) and split into "
            f"**{config.n_train}** training and **{config.n_test}** test windows: every test window sits "
            "between training windows."
        )
    if config.split == "chronological":
        return (
            f"the first **{config.n_train}** train the models and the last **{config.n_test}** test them, as "
            "a forecast is used: no test target comes before a training target."
        )
    sizes = [fold.n_test for fold in config.fold_configs()]
    return (
        f"tested in a backtest of **{config.folds}** expanding folds: the windows after the first "
        f"**{config.n_train}** are cut into blocks of {min(sizes)} to {max(sizes)}, and each fold trains on "
        "every window before its block and tests on the block (the chart below draws them). Each fold's "
        "scores are its own; a model's score is their mean."
    )


def scaling_words(config: DataConfig) -> str:
    """What `config`'s scaling does to its series, in Markdown."""
    if config.scaling == "window":
        return (
            "Window scaling divides each window and its target by the window's last value, as the per-window "
            "scalers of neuralforecast, pytorch-forecasting and DeepAR do: the networks predict the next "
            "value as a multiple of the last one"
            + (
                ", which for Fibonacci is soon 1.618... (2, 1.5, 1.667, 1.6, ...)."
                if config.series == "fibonacci"
                else "."
            )
        )
    fitted = (
        " The scaler here is fitted on the training windows' values only, as a forecaster must: a later "
        "value above them scales above 1."
        if config.fits_on_training
        else ""
    )
    if config.series == "fibonacci":
        return (
            "MinMax scaling divides by the largest number, so nearly every target becomes a tiny number and "
            "a tiny MSE says little. `log-minmax` scales the logarithms instead and keeps the targets spread "
            "out." + fitted
        )
    return (
        "MinMax scaling maps the series' smallest value to 0 and its largest to 1. `log-minmax` scales the "
        "logarithms instead, where every value is above 0." + fitted
    )


def scale_note(data: Dataset) -> str:
    """What an error on the scaled axis means in the series' units, for the current scaling."""
    scaling = data.config.scaling
    if scaling == "none":
        return f"The networks see the values themselves: errors are in {data.units}."
    if scaling == "window":
        return (
            "With window scaling each window and its target are divided by the window's last value: the "
            "networks predict the next value as a multiple of the last one, and an error of 0.01 there is "
            f"1% of the last value in {data.units}."
        )
    low, high = data.to_original(np.array([0.0, 1.0]))  # what the scaler maps to 0 and 1
    if scaling == "minmax":
        unit = high - low
        return (
            f"With MinMax scaling one unit on the scaled axis is {unit:.3g} {data.units}, so an "
            f"error of 1e-6 there is {unit * 1e-6:.3g} here"
            + (": small numbers cannot be told apart." if unit > 1e6 else ".")
        )
    factor = high / low
    return (
        f"With log-minmax scaling an error e on the scaled axis multiplies the prediction by "
        f"{factor:.3g}^e: an error of 0.01 is a factor of {factor**0.01:.3g}."
    )


def get_fib_seq(n: int, scale_data: bool = True) -> tuple[np.ndarray, Any]:
    """The tutorial's function: (series, scaler); scaler is [] when not scaling, as there."""
    seq = fibonacci(n)
    if not scale_data:
        return seq, []
    scaler = make_scaler("minmax")
    return scaler.fit_transform(seq.reshape(-1, 1)).ravel(), scaler


def get_fib_XY(
    total_fib_numbers: int, time_steps: int, train_percent: float, scale_data: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
    """The tutorial's function: (trainX, trainY, testX, testY, scaler), X shaped (rows, steps, 1)."""
    config = DataConfig(
        n=total_fib_numbers,
        time_steps=time_steps,
        train_fraction=train_percent,
        scaling="minmax" if scale_data else "none",
    )
    data = make_dataset(config)
    scaler = data.scaler if scale_data else []
    return data.train_X, data.train_y, data.test_X, data.test_y, scaler
