"""Does it forecast? The models and the naive rules scored as a forecaster is: fold by fold in a backtest
(each fold's scores and their mean), and many steps ahead, each model's own forecasts fed back as its
inputs.

The tutorial's shuffled split scores every test window between training windows: interpolation. A
chronological split (the first windows train, the later ones test) and a backtest (expanding folds,
each trained on everything before its block of test windows) score what a forecast is used for. A
forecast H steps ahead starts from each test window (its origin) and appends each step's forecast, in
the series' units, to the window it forecasts the next step from, re-scaled as the data's scaling
says; horizon 1 is the one-step prediction every page scores.

No engine here: the models' predictions come from a `Predict` callable (the worker's quick lane on
the server, `fibdash.serving.tasks.predict_each` in a process that may load the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fibdash.analysis.metrics import (
    MASE_WORDS,
    Scores,
    autoregression,
    mean_absolute,
    median_ape,
    naive_baselines,
    period,
    score,
    scores_table,
)
from fibdash.config import FIELDS, MODEL_LABELS, TrainConfig
from fibdash.data import Dataset
from fibdash.engine.records import Trained

Pair = Mapping[str, Trained]  # both models of one training, by kind
# The models to ask, each with the windows (scaled) it predicts: key -> (config, kind, weights, windows);
# the answer, {key: scaled predictions}, or None where the models could not answer (said already).
Predict = Callable[
    [dict[Hashable, tuple[TrainConfig, str, Mapping[str, np.ndarray], np.ndarray]]],
    Mapping[Hashable, np.ndarray] | None,
]


def fold_pairs(result: Pair | Sequence[Pair]) -> tuple[Pair, ...]:
    """A pair job's result as one pair per fold: a backtest's folds, or any other split's one pair."""
    return tuple(result) if isinstance(result, tuple) else (result,)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Both models and the naive rules scored on a configuration's test windows: one split's, or the mean
    of a backtest's folds (each fold's kept in `folds`)."""

    data: Dataset  # the windows `Scores.predictions` are of (a backtest's whole: its test blocks stitched)
    models: list[Scores]  # the RNN's, then the attention model's
    baselines: list[Scores]
    folds: pd.DataFrame | None  # a backtest's: one row per fold and predictor; None for any other split

    @property
    def table(self) -> pd.DataFrame:
        """`scores_table` of the models and the rules."""
        return scores_table(self.models + self.baselines)


def evaluate(whole: Dataset, datasets: Sequence[Dataset], pairs: Sequence[Pair]) -> Evaluation:
    """Score the models of `pairs` (one per fold, on its dataset of `datasets`) beside the naive rules.

    With one fold these are `score` and `naive_baselines` of it. A backtest's scores are its folds' mean,
    and each predictor's `predictions` the folds' stitched on `whole`'s scaled axis: every test block's
    from its fold, the first fold's training windows from it.
    """
    per_fold = [
        [score(trained.name, data, trained.predictions) for trained in pair.values()] + naive_baselines(data)
        for data, pair in zip(datasets, pairs, strict=True)
    ]
    models = len(pairs[0])
    if len(pairs) == 1:
        return Evaluation(whole, per_fold[0][:models], per_fold[0][models:], None)
    stitched = []
    for i, first in enumerate(per_fold[0]):
        predictions = np.full(len(whole.y), np.nan)
        parts = [(datasets[0], first, datasets[0].train_idx)]
        parts += [(data, scores[i], data.test_idx) for data, scores in zip(datasets, per_fold, strict=True)]
        for data, scores, rows in parts:
            original = data.to_original(scores.predictions[rows], rows)
            predictions[rows] = whole.to_scaled(original, rows)
        means = {
            name: float(np.mean([getattr(scores[i], name) for scores in per_fold]))
            for name in ("train_mse", "test_mse", "test_mdape", "test_mase")
        }
        stitched.append(Scores(name=first.name, predictions=predictions, **means))
    folds = []
    for fold, (data, scores) in enumerate(zip(datasets, per_fold, strict=True), start=1):
        table = scores_table(scores)
        targets = data.positions[data.test_idx]
        table.insert(0, "test targets", f"{targets.min()} to {targets.max()}")
        table.insert(0, "fold", fold)
        folds.append(table)
    return Evaluation(whole, stitched[:models], stitched[models:], pd.concat(folds, ignore_index=True))


# Where repeating the last value has a MASE above this, the training part's values are far smaller than
# the test part's (a series that grows, split in time), and every MASE is large.
LARGE_MASE = 10.0


def mase_words(evaluation: Evaluation) -> str:
    """What the MASE column says here, in words: worse or better than repeating the last value."""
    persistence = next((s for s in evaluation.baselines if s.name == "persistence"), None)
    said = MASE_WORDS
    if persistence is not None and persistence.test_mase > LARGE_MASE:
        said += (
            f" Here even repeating the last value scores {persistence.test_mase:.3g}: the test values dwarf "
            "the training part's, whose naive errors are the yardstick, so compare each MASE with "
            "persistence's, not with 1."
        )
    return said


# --- many steps ahead ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Forecasts:
    """Every predictor's forecasts from every test window (origin) of a configuration, H steps ahead."""

    horizon: int
    folds: np.ndarray  # (origins,) the fold whose models forecast from each origin (0 but in a backtest)
    rows: np.ndarray  # (origins,) each origin's window: rows of the data's windows, in series order
    positions: np.ndarray  # (origins,) the index in the series of each origin's first forecast value
    truth: np.ndarray  # (origins, horizon) the series' values forecast, NaN past the series' end
    predicted: dict[str, np.ndarray]  # by predictor's name: (origins, horizon), in the series' units


def series_windows(data: Dataset, rows: np.ndarray) -> np.ndarray:
    """The inputs of windows `rows`, in the series' units, (rows, time_steps)."""
    steps = data.config.time_steps
    return data.series[data.positions[rows, None] - steps + np.arange(steps)]


def _appended(windows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each window moved on one step: its oldest value dropped, `values` its newest."""
    return np.concatenate([windows[:, 1:], values[:, None]], axis=1)


def _rules_ahead(data: Dataset, windows: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """The naive rules' forecasts `horizon` steps ahead of `windows` (series' units), each from its own
    forecasts: persistence, AR(2), and seasonal naive where a window reaches one period back."""
    ar = autoregression(data)
    rules: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "persistence": lambda w: w[:, -1],
        ar.name: ar.predict,
    }
    if (known := period(data)) is not None:
        rules["seasonal naive"] = lambda w: w[:, -known]
    ahead = {}
    for name, rule in rules.items():
        current, out = windows, np.empty((len(windows), horizon))
        for step in range(horizon):
            with np.errstate(over="ignore", invalid="ignore"):
                out[:, step] = rule(current)
            current = _appended(current, out[:, step])
        ahead[name] = out
    return ahead


def forecast(folds: Sequence[tuple[Dataset, Pair]], horizon: int, predict: Predict) -> Forecasts | None:
    """Both models' and the rules' forecasts `horizon` steps ahead from every test window of each fold
    (its dataset and pair: one, or a backtest's folds), each predictor fed its own forecasts back, in the
    series' units, re-scaled as the data's scaling says; None if `predict` could not answer.

    Both models of every fold are asked once per step (`predict`), so that the server's worker answers
    a horizon of 50 in 50 quick calls.
    """
    FIELDS["horizon"].check(horizon)
    origins = [np.sort(data.test_idx) for data, _ in folds]
    current = {
        (fold, kind): series_windows(data, rows)
        for fold, ((data, pair), rows) in enumerate(zip(folds, origins, strict=True))
        for kind in pair
    }
    ahead = {key: np.empty((len(windows), horizon)) for key, windows in current.items()}
    for step in range(horizon):
        asked = {}
        for (fold, kind), windows in current.items():
            data, pair = folds[fold]
            trained = pair[kind]
            asked[fold, kind] = (trained.config, kind, trained.weights, data.window_scaled(windows))
        answers = predict(asked)
        if answers is None:
            return None
        for (fold, kind), windows in current.items():
            values = folds[fold][0].answer_original(answers[fold, kind], windows)
            ahead[fold, kind][:, step] = values
            current[fold, kind] = _appended(windows, values)
    predicted: dict[str, list[np.ndarray]] = {}
    for fold, ((data, pair), rows) in enumerate(zip(folds, origins, strict=True)):
        for kind in pair:
            predicted.setdefault(MODEL_LABELS[kind], []).append(ahead[fold, kind])
        for name, values in _rules_ahead(data, series_windows(data, rows), horizon).items():
            predicted.setdefault(name, []).append(values)
    data = folds[0][0]
    rows = np.concatenate(origins)
    positions = data.positions[rows]
    targets = positions[:, None] + np.arange(horizon)
    known = targets < data.config.n
    truth = np.where(known, data.series[np.minimum(targets, data.config.n - 1)], np.nan)
    return Forecasts(
        horizon=horizon,
        folds=np.concatenate([np.full(len(rows), fold) for fold, rows in enumerate(origins)]),
        rows=rows,
        positions=positions,
        truth=truth,
        predicted={name: np.concatenate(parts) for name, parts in predicted.items()},
    )


ERROR_MEASURES = ("MAE", "MSE", "MdAPE %")  # by horizon step, in the series' units (MdAPE: a share of it)


def error_by_step(forecasts: Forecasts) -> pd.DataFrame:
    """Each predictor's error at each step ahead, over the origins whose step lies within the series:
    columns predictor, step (from 1), origins, and ERROR_MEASURES in the series' units."""
    rows = []
    for name, predicted in forecasts.predicted.items():
        for step in range(forecasts.horizon):
            known = np.isfinite(forecasts.truth[:, step])
            truth, values = forecasts.truth[known, step], predicted[known, step]
            with np.errstate(over="ignore", invalid="ignore"):
                errors = values - truth
                squared = float(np.mean(errors**2)) if known.any() else float("nan")
            rows.append(
                {
                    "predictor": name,
                    "step": step + 1,
                    "origins": int(known.sum()),
                    "MAE": mean_absolute(errors) if known.any() else float("nan"),
                    "MSE": squared,
                    "MdAPE %": median_ape(values, truth) if known.any() else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def forecast_note(data: Dataset) -> str:
    """What a forecast from this split's test windows is scored on, in words; "" where it is the future."""
    if data.config.split != "shuffled":
        return ""
    return (
        "Under the shuffled split the test windows sit between training windows, so the values a forecast "
        "from them reaches past its first step are mostly training targets: the models saw them. Choose "
        "the chronological split or a backtest to forecast values no model trained on."
    )
