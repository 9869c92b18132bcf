"""How good a prediction is: MSE on scaled values, relative and scaled errors in the series' units (MdAPE,
MASE), naive rules, and what failed and why."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fibdash.config import MODEL_LABELS, TrainConfig
from fibdash.data import Dataset
from fibdash.engine.loss import mse
from fibdash.series import PERIODS


def median_ape(predicted: np.ndarray, target: np.ndarray) -> float:
    """Median absolute percentage error; a ratio, so huge values (Fibonacci's) cannot overflow it."""
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    target = np.asarray(target, dtype=np.float64).ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        return float(100 * np.median(np.abs(predicted / target - 1)))


def mean_absolute(values: np.ndarray) -> float:
    """The mean of |values|, finite wherever their largest is: Fibonacci's near float64's largest
    would overflow a plain sum."""
    values = np.abs(np.asarray(values, dtype=np.float64).ravel())
    largest = float(values.max(initial=0.0))
    if largest == 0 or not np.isfinite(largest):
        return float(np.mean(values)) if values.size else float("nan")
    return largest * float(np.mean(values / largest))


def naive_scale(data: Dataset) -> float:
    """MASE's denominator: the mean absolute error, in the series' units, of the naive forecast on the
    training windows' targets, its in-sample error (Hyndman & Koehler): the value one period back where
    the series has a known period (seasonal naive), else the last value."""
    lag = PERIODS.get(data.config.series, 1)
    targets = data.positions[data.train_idx]
    targets = targets[targets >= lag]
    with np.errstate(over="ignore", invalid="ignore"):
        return mean_absolute(data.series[targets] - data.series[targets - lag])


def mase(predicted: np.ndarray, target: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: the MAE of `predicted` (series' units) over `scale`, `naive_scale`'s.
    Above 1: worse than the naive forecast was on the training part."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        errors = np.asarray(predicted, dtype=np.float64) - np.asarray(target, dtype=np.float64)
        return float(mean_absolute(errors) / scale) if scale > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class Scores:
    """One predictor's scores: MSE on scaled values (train and test), test MdAPE (%) and test MASE."""

    name: str
    predictions: np.ndarray  # scaled prediction for every window, in series order
    train_mse: float
    test_mse: float
    test_mdape: float
    test_mase: float


def score(name: str, data: Dataset, predictions: np.ndarray) -> Scores:
    """Score scaled predictions for every window of `data` on its train/test split."""
    predictions = np.asarray(predictions, dtype=np.float64).ravel()
    test = data.test_idx
    original, truth = data.to_original(predictions[test], test), data.series[data.positions[test]]
    return Scores(
        name=name,
        predictions=predictions,
        train_mse=mse(predictions[data.train_idx], data.y[data.train_idx]),
        test_mse=mse(predictions[test], data.y[test]),
        test_mdape=median_ape(original, truth),
        test_mase=mase(original, truth, naive_scale(data)),
    )


MASE_WORDS = (
    "MASE is the test error in the series' units (MAE) over that of repeating the last value (the value one "
    "period back, for a seasonal series) on the training windows: above 1, worse than repeating the last "
    "value."
)


BASELINE_RULES = {
    "predict zero": "always predicts 0 on the scaled axis",
    "persistence": "repeats the last value of the window",
    "AR(2)": "a linear function of the last two values, fitted by least squares to the training windows",
    "AR(1)": "a linear function of the last value (windows of one value), fitted likewise",
    "seasonal naive": "repeats the value one period back, where the series has a known period",
}


@dataclass(frozen=True)
class Autoregression:
    """A linear rule of a window's last `order` values, in the series' own units, fitted to the training
    windows by least squares, each window weighted by its own scale (see `autoregression`)."""

    coefficients: tuple[float, ...]  # of t-1, t-2, ...
    intercept: float

    @property
    def name(self) -> str:
        return f"AR({len(self.coefficients)})"

    def predict(self, values: np.ndarray) -> np.ndarray:
        """Predictions for windows of values in the series' units, (windows, time_steps) or (time_steps,)."""
        last = np.asarray(values)[..., ::-1][..., : len(self.coefficients)]
        with np.errstate(over="ignore", invalid="ignore"):
            return last @ np.array(self.coefficients) + self.intercept

    def describe(self, data: Dataset) -> str:
        terms = [f"{c:.4g} x(t-{i + 1})" for i, c in enumerate(self.coefficients)] + [f"{self.intercept:.3g}"]
        rule = terms[0] + "".join(f" - {t[1:]}" if t.startswith("-") else f" + {t}" for t in terms[1:])
        said = f"{self.name}, fitted to the training windows: x(t) = {rule}"
        said += f" ({data.units})."
        if data.config.series == "fibonacci" and np.allclose(self.coefficients, (1, 1), atol=1e-6):
            said += " Coefficients 1 and 1: the Fibonacci rule itself, found from the data."
        return said


def autoregression(data: Dataset) -> Autoregression:
    """AR(2) (AR(1) for windows of one value) fitted to `data`'s training windows, in the series' units.

    Least squares with each window's equation divided by the window's mean absolute value: on a
    series of one scale that is ordinary least squares, and on one that spans orders of magnitude
    (Fibonacci's 250) every window counts, not only the largest, whose last values are nearly
    proportional to each other and cannot tell the coefficients apart on their own.
    """
    order = min(2, data.config.time_steps)
    windows = data.to_original(data.X[data.train_idx, :, 0], data.train_idx)
    inputs = np.column_stack([windows[:, ::-1][:, :order], np.ones(len(windows))])
    target = data.series[data.positions[data.train_idx]]
    scale = np.abs(windows).mean(axis=1)
    scale = np.where(scale > 0, scale, 1.0)  # a window of zeros
    rows, target = inputs / scale[:, None], target / scale
    columns = np.linalg.norm(rows, axis=0)
    columns = np.where(columns > 0, columns, 1.0)
    solution = np.linalg.lstsq(rows / columns, target, rcond=None)[0] / columns
    return Autoregression(tuple(float(c) for c in solution[:order]), float(solution[order]))


def period(data: Dataset) -> int | None:
    """The series' known period, where a window reaches one period back; else None."""
    known = PERIODS.get(data.config.series)
    return known if known is not None and known <= data.config.time_steps else None


def naive_baselines(data: Dataset) -> list[Scores]:
    """Rules on the same windows: zero, persistence, AR(2) fitted, seasonal naive where a period is known."""
    X = data.X[..., 0]
    rows = np.arange(len(X))
    baselines = [
        score("predict zero", data, np.zeros(len(X))),
        score("persistence", data, X[:, -1]),
    ]
    ar = autoregression(data)
    baselines.append(score(ar.name, data, data.to_scaled(ar.predict(data.to_original(X, rows)), rows)))
    if (known := period(data)) is not None:
        baselines.append(score("seasonal naive", data, X[:, -known]))
    return baselines


def scores_table(scores: list[Scores]) -> pd.DataFrame:
    """One row per predictor: train MSE, test MSE (scaled), test MdAPE (%) and test MASE."""
    return pd.DataFrame(
        {
            "predictor": [s.name for s in scores],
            "train MSE": [s.train_mse for s in scores],
            "test MSE": [s.test_mse for s in scores],
            "test MdAPE %": [s.test_mdape for s in scores],
            "test MASE": [s.test_mase for s in scores],
        }
    )


def predictions_frame(data: Dataset, scores: list[Scores]) -> pd.DataFrame:
    """One row per window in series order: truth and each predictor, scaled and in the series' units.

    A column in the series' units is named after a value of the series, "truth (Fibonacci)"; a CSV
    column named "scaled" would give the scaled columns' own names, so there its units name them:
    "truth (units of scaled)".
    """
    unit = data.value_name if data.value_name != "scaled" else data.units
    frame = pd.DataFrame(
        {
            "target index": data.positions,
            "split": np.where(data.is_train, "train", "test"),
            "truth (scaled)": data.y,
            f"truth ({unit})": data.series[data.positions],
        }
    )
    for s in scores:
        frame[f"{s.name} (scaled)"] = s.predictions
        frame[f"{s.name} ({unit})"] = data.to_original(s.predictions, np.arange(len(data.y)))
    return frame


# Inputs below float32's resolution next to 1 (1 + x == 1 in float32) count as nothing beside a
# network's weights and biases: windows made only of them all look alike to it.
FLOAT32_RESOLUTION = float(np.finfo(np.float32).eps)
UNBOUNDED_ACTIVATIONS = ("linear", "relu")


def first_nonfinite_epoch(loss_history: Sequence[float]) -> int | None:
    """The first epoch (counting from 1) whose training loss is NaN or infinite; None if there is none."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(loss_history, dtype=np.float64)))
    return int(bad[0]) + 1 if bad.size else None


def diagnose(
    scores: Scores,
    data: Dataset,
    baselines: Sequence[Scores],
    loss_history: Sequence[float],
    config: TrainConfig | None = None,
) -> list[str]:
    """Plain-words warnings for a trained model, one sentence group each, opening with its headline and a
    colon (`headline`); empty when nothing is wrong.

    Checks, in this order: training diverged (a non-finite loss), non-finite test predictions,
    one value shared by most test predictions, and a test MSE no lower than a naive rule's.
    `config`, when given, lets a divergence name this run's own likely causes.
    """
    warnings = [
        _diverged(loss_history, data, config),
        _non_finite(scores, data),
        _constant(scores, data),
        _no_better(scores, baselines),
    ]
    return [w for w in warnings if w]


def headline(warning: str) -> str:
    """A warning of `diagnose` in its first words, before its colon: "No better than a naive rule"."""
    return warning.partition(":")[0]


def _diverged(loss_history: Sequence[float], data: Dataset, config: TrainConfig | None) -> str:
    epoch = first_nonfinite_epoch(loss_history)
    if epoch is None:
        return ""
    loss = "NaN" if math.isnan(loss_history[epoch - 1]) else "infinite"
    return (
        f"Training diverged: the training loss was {loss} at epoch {epoch}, and a network cannot learn "
        f"on from there, so training stopped. {divergence_causes(data, config)}"
    )


def divergence_causes(data: Dataset, config: TrainConfig | None) -> str:
    """What usually makes training diverge, for this data and, when given, this config."""
    tutorial = f"the tutorial's is {TrainConfig.learning_rate:g}"
    if config is None:
        causes = [
            f"a learning rate too high ({tutorial})",
            "an activation that does not bound the outputs, such as linear or relu",
        ]
    else:
        causes = [f"a learning rate too high (here {config.learning_rate:g}; {tutorial})"]
        if config.activation in UNBOUNDED_ACTIVATIONS:
            causes.append(f"the {config.activation} activation, which does not bound the outputs (try tanh)")
    if data.config.scaling == "none":
        causes.append(
            f"unscaled data (scaling 'none' feeds the network values up to {data.series.max():.3g})"
        )
    return f"Usual causes: {_join(causes)}."


def diverged_seeds(
    loss_histories: Mapping[str, Sequence[Sequence[float]]],
    data: Dataset,
    config: TrainConfig,
    labels: Mapping[str, str] = MODEL_LABELS,
) -> str:
    """Which seeds of each model diverged in a study, in words with the usual causes; "" if none did.

    `loss_histories` maps a model's kind (or name, in a variants study, that `labels` names) to its seeds'
    loss histories.
    """
    parts = []
    for kind, histories in loss_histories.items():
        epochs = [first_nonfinite_epoch(history) for history in histories]
        broken = sorted({epoch for epoch in epochs if epoch is not None})
        if broken:
            count = sum(epoch is not None for epoch in epochs)
            at = ("epochs " if len(broken) > 1 else "epoch ") + _join([str(epoch) for epoch in broken])
            parts.append(f"{count} of {len(epochs)} seeds of the {labels[kind]} ({at})")
    if not parts:
        return ""
    return (
        f"Training diverged for {'; '.join(parts)}: the loss stopped being a number, training stopped "
        "there, and those seeds' test MSE is not a number, so the comparison leaves them out. "
        f"{divergence_causes(data, config)}"
    )


def _non_finite(scores: Scores, data: Dataset) -> str:
    test = scores.predictions[data.test_idx]
    counts = {"NaN": int(np.isnan(test).sum()), "infinite": int(np.isinf(test).sum())}
    if not any(counts.values()):
        return ""
    said = _join([f"{count} are {cause}" for cause, count in counts.items() if count])
    return f"Predictions that are not numbers: of {len(test)} test predictions, {said}."


def _constant(scores: Scores, data: Dataset) -> str:
    test = scores.predictions[data.test_idx]
    finite = test[np.isfinite(test)]
    if not finite.size:
        return ""
    values, counts = np.unique(finite, return_counts=True)
    value, count = values[counts.argmax()], int(counts.max())
    if 2 * count <= len(test):
        return ""
    windows = data.test_X[test == value]
    largest = float(np.abs(windows).max())
    if data.factors is None:
        original = f"{float(data.to_original(value)):.4g} {data.units}"
    else:
        original = "that many times each window's last value"
    said = (
        f"One answer for most windows: {count} of {len(test)} test predictions are exactly {value:.5g} "
        f"on the scaled axis ({original}). "
    )
    if largest < FLOAT32_RESOLUTION:
        better = "" if data.config.scaling == "log-minmax" else " 'log-minmax' scaling spreads them out."
        return said + (
            f"Their inputs are all at most {largest:.2g}, below float32's resolution next to 1 "
            f"({FLOAT32_RESOLUTION:.2g}): '{data.config.scaling}' scaling squashed them so far that the "
            f"network, computing in float32, cannot tell them apart.{better}"
        )
    return said + "The network answers them alike although their inputs differ."


def _no_better(scores: Scores, baselines: Sequence[Scores]) -> str:
    if math.isnan(scores.test_mse):
        return ""
    rules = [b for b in baselines if math.isfinite(b.test_mse) and not scores.test_mse < b.test_mse]
    if not rules:
        return ""
    named = _join([f"{b.name} ({b.test_mse:.3g})" for b in rules])
    nothing = (
        " Predicting zero does as well: the model has learnt nothing."
        if any(b.name == "predict zero" for b in rules)
        else ""
    )
    return (
        f"No better than a naive rule: its test MSE ({scores.test_mse:.3g}) is no lower than that of "
        f"{named}.{nothing}"
    )


# The range of a bounded activation, which the Dense layer's output, the prediction, has too.
BOUNDED_OUTPUTS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
# How far past a bound a scaled target counts as beyond it: MinMax maps a series' largest value to 1 give or
# take rounding (1.0000000000000002), which is not a value beyond the range the scaler was fitted on.
ROUNDING = 1e-9


def out_of_reach(datasets: Sequence[Dataset], activation: str) -> str:
    """How many test targets of `datasets` (one, or a backtest's folds) lie where a network's output,
    bounded by `activation`, cannot reach them, in words; "" if none does. Scaled above 1 for tanh: a
    test value above the training range when the scaler is fitted on the training windows, a ratio
    above 1 under window scaling."""
    if activation not in BOUNDED_OUTPUTS:
        return ""
    low, high = BOUNDED_OUTPUTS[activation]
    lowest, highest = low - ROUNDING, high + ROUNDING
    beyond = tested = trained_beyond = trained = 0
    above_training = True  # every test target beyond the output's range is above every training target
    for data in datasets:
        test, train = data.test_y, data.train_y
        outside = (test < lowest) | (test > highest)
        beyond, tested = beyond + int(outside.sum()), tested + len(test)
        above_training = above_training and bool((test[outside] > train.max()).all())
        trained_beyond += int(np.sum((train < lowest) | (train > highest)))
        trained += len(train)
    if not beyond:
        return ""
    where = f"outside {low:g} to {high:g} on the scaled axis"
    if above_training:
        where = f"above every training target, {where}"
    elif trained_beyond:
        where += f" (and {trained_beyond} of {trained} training targets)"
    return f"{beyond} of {tested} test targets lie {where}: a {activation} output cannot reach them."


def _join(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
