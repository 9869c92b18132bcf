"""How good a prediction is: MSE on scaled values, relative error in Fibonacci units, naive rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fibdash.data import Dataset


def mse(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error, the tutorial's metric, in whatever units both are given."""
    diff = np.asarray(predicted, dtype=np.float64).ravel() - np.asarray(target, dtype=np.float64).ravel()
    return float(np.mean(np.square(diff)))


def median_ape(predicted: np.ndarray, target: np.ndarray) -> float:
    """Median absolute percentage error; a ratio, so huge Fibonacci values cannot overflow it."""
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    target = np.asarray(target, dtype=np.float64).ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        return float(100 * np.median(np.abs(predicted / target - 1)))


@dataclass(frozen=True, eq=False)
class Scores:
    """One predictor's scores: MSE on scaled values (train and test) and test MdAPE (%)."""

    name: str
    predictions: np.ndarray  # scaled prediction for every window, in series order
    train_mse: float
    test_mse: float
    test_mdape: float


def score(name: str, data: Dataset, predictions: np.ndarray) -> Scores:
    """Score scaled predictions for every window of `data` on its train/test split."""
    predictions = np.asarray(predictions, dtype=np.float64).ravel()
    test = data.test_idx
    return Scores(
        name=name,
        predictions=predictions,
        train_mse=mse(predictions[data.train_idx], data.y[data.train_idx]),
        test_mse=mse(predictions[test], data.y[test]),
        test_mdape=median_ape(data.to_original(predictions[test]), data.series[data.positions[test]]),
    )


BASELINE_RULES = {
    "predict zero": "always predicts 0 on the scaled axis",
    "persistence": "repeats the last value of the window",
    "Fibonacci rule": "adds the last two values of the window in Fibonacci units, then scales",
}


def naive_baselines(data: Dataset) -> list[Scores]:
    """One-line predictors on the same windows; the Fibonacci rule needs time_steps >= 2."""
    last = data.X[:, -1, 0]
    baselines = [
        score("predict zero", data, np.zeros_like(last)),
        score("persistence", data, last),
    ]
    if data.config.time_steps >= 2:
        rule = data.to_original(data.X[:, -1, 0]) + data.to_original(data.X[:, -2, 0])
        baselines.append(score("Fibonacci rule", data, data.to_scaled(rule)))
    return baselines


def scores_table(scores: list[Scores]) -> pd.DataFrame:
    """One row per predictor: train MSE, test MSE (scaled) and test MdAPE (%)."""
    return pd.DataFrame(
        {
            "predictor": [s.name for s in scores],
            "train MSE": [s.train_mse for s in scores],
            "test MSE": [s.test_mse for s in scores],
            "test MdAPE %": [s.test_mdape for s in scores],
        }
    )


def predictions_frame(data: Dataset, scores: list[Scores]) -> pd.DataFrame:
    """One row per window in series order: truth and each predictor, scaled and in Fibonacci units."""
    frame = pd.DataFrame(
        {
            "target index": data.positions,
            "split": np.where(data.is_train, "train", "test"),
            "truth (scaled)": data.y,
            "truth (Fibonacci)": data.series[data.positions],
        }
    )
    for s in scores:
        frame[f"{s.name} (scaled)"] = s.predictions
        frame[f"{s.name} (Fibonacci)"] = data.to_original(s.predictions)
    return frame
