"""The tutorial's loss and metric, mean squared error, for the engine and every page alike (NumPy only)."""

from __future__ import annotations

import numpy as np


def mse(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error in float64, in whatever units both are given."""
    diff = np.asarray(predicted, dtype=np.float64).ravel() - np.asarray(target, dtype=np.float64).ravel()
    return float(np.mean(np.square(diff)))
