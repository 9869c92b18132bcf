"""The data: a series (`fibdash.series`), its scaling, and shuffled windows, as the tutorial makes them.

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
    """Windows of one `DataConfig`, in series order, with the tutorial's shuffled split.

    Row i of `X` holds scaled values i .. i + time_steps - 1 of the series, shape
    (samples, time_steps, 1); `y[i]` is value i + time_steps, which `positions[i]` records.
    """

    config: DataConfig
    series: np.ndarray  # (n,) the series' values
    scaled: np.ndarray  # (n,) the series after scaling
    X: np.ndarray
    y: np.ndarray
    positions: np.ndarray
    train_idx: np.ndarray  # rows of X, in the tutorial's shuffled order
    test_idx: np.ndarray
    scaler: Any  # a fitted sklearn transformer: (n, 1) values of the series <-> scaled values

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

    def to_original(self, values: np.ndarray) -> np.ndarray:
        """Scaled values of any shape back to the series' own units."""
        import sklearn  # loaded already: it fitted the scaler

        values = np.asarray(values, dtype=np.float64)
        # A wild prediction may leave float64 (inf, not an error), or be infinite already: sklearn
        # would refuse it, but maps it to its limit (inf, or 0 for log-minmax's -inf) when told to.
        with np.errstate(over="ignore"), sklearn.config_context(assume_finite=True):
            return self.scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)

    def to_scaled(self, values: np.ndarray) -> np.ndarray:
        """Values of the series' units, of any shape, to the scaled units the networks see."""
        values = np.asarray(values, dtype=np.float64)
        return self.scaler.transform(values.reshape(-1, 1)).reshape(values.shape)


def make_scaler(scaling: str) -> Any:
    """An unfitted sklearn transformer for one of `SCALINGS`."""
    # scikit-learn takes seconds to import: only where data is built, not on every page's start
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

    check_choice("scaling", scaling, SCALINGS)
    if scaling == "minmax":
        return MinMaxScaler(feature_range=(0, 1))
    if scaling == "log-minmax":
        return make_pipeline(FunctionTransformer(np.log, inverse_func=np.exp), MinMaxScaler())
    return FunctionTransformer()  # identity both ways


def make_dataset(config: DataConfig) -> Dataset:
    """Build the series, scale it, cut it into windows and split them as the tutorial does."""
    series = series_values(config.series, config.n, config.upload)
    scaler = make_scaler(config.scaling)
    scaled = scaler.fit_transform(series.reshape(-1, 1)).ravel()
    steps = config.time_steps
    X = np.lib.stride_tricks.sliding_window_view(scaled[:-1], steps).copy()[..., np.newaxis]
    order = np.random.RandomState(seed=config.split_seed).permutation(config.n_samples)
    return Dataset(
        config=config,
        series=series,
        scaled=scaled,
        X=X,
        y=scaled[steps:].copy(),
        positions=np.arange(steps, config.n),
        train_idx=order[: config.n_train],
        test_idx=order[config.n_train :],
        scaler=scaler,
    )


def step_labels(time_steps: int) -> list[str]:
    """A window's input steps as the tutorial's tables name them: t-T, ..., t-1."""
    return [f"t-{time_steps - i}" for i in range(time_steps)]


def windows_frame(data: Dataset) -> pd.DataFrame:
    """Every window as a row, training rows first in the tutorial's shuffled order, then test rows.

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


def scale_note(data: Dataset) -> str:
    """What an error on the scaled axis means in the series' units, for the current scaling."""
    scaling = data.config.scaling
    if scaling == "none":
        return f"The networks see the values themselves: errors are in {data.units}."
    if scaling == "minmax":
        unit = data.series.max() - data.series.min()
        return (
            f"With MinMax scaling one unit on the scaled axis is {unit:.3g} {data.units}, so an "
            f"error of 1e-6 there is {unit * 1e-6:.3g} here"
            + (": small numbers cannot be told apart." if unit > 1e6 else ".")
        )
    factor = data.series.max() / data.series.min()
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
