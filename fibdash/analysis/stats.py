"""The statistics every comparison of two models uses, written once: the ratio of their test MSEs seed by
seed, and a bootstrap interval of a median.

scipy.stats is imported where a statistic is computed, here and in the other analysis modules: importing
it takes 0.6 s, which the server's first page run would spend importing the app's modules before it
starts the worker (`streamlit_glue.work.runner`), and the tutorial's first scores on a fresh server would
come that much later. (The server's own study of the tutorial imports it as it ends, after the tutorial's
pair; the datasets are scaled without it: fibdash.data.)"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
MIN_PAIRS = 2  # the fewest values a bootstrap or signed-rank test can use


def test_mse_by_seed(table: pd.DataFrame) -> pd.DataFrame:
    """One row per model and seed (`study.TABLE_COLUMNS`) as one row per seed, a column per model."""
    return table.pivot(index="seed", columns="model", values="test MSE")


def ratios(table: pd.DataFrame, model: str = "attention", baseline: str = "rnn") -> pd.Series:
    """`model`'s test MSE over `baseline`'s, seed by seed (by seed, in seed order): by default attention's
    over the RNN's; a variants study's models by their names (`fibdash.analysis.variants`)."""
    test = test_mse_by_seed(table)
    return test[model] / test[baseline]


def median_interval(values: np.ndarray) -> tuple[float, float]:
    """The bootstrap CONFIDENCE interval of the median of `values` (at least MIN_PAIRS of them).

    A percentile interval: BCa fails when the resampled medians are all equal, as in a clear win.
    """
    from scipy import stats  # late: see the module's docstring

    interval = stats.bootstrap(
        (np.asarray(values, dtype=float),),
        np.median,
        confidence_level=CONFIDENCE,
        method="percentile",
        random_state=0,
    ).confidence_interval
    return float(interval.low), float(interval.high)
