"""A seed study: both models over many seeds, and what their comparison can and cannot say.

One training run per model compares two random draws as much as two models: the initial
weights and the order of the windows move the test MSE as much as attention does. The study
trains both models for every seed (with `train_seeds`, so seed k is the Train page's seed k)
and compares them seed by seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from fibdash.analysis.metrics import first_nonfinite_epoch, score
from fibdash.analysis.stats import CONFIDENCE, MIN_PAIRS, median_interval, ratios, test_mse_by_seed
from fibdash.config import MODEL_KINDS, MODEL_LABELS, TrainConfig, check_seeds, counted
from fibdash.data import Dataset, fold_datasets
from fibdash.engine.records import EpochLog, Trained

TABLE_COLUMNS = ["model", "seed", "train MSE", "test MSE", "test MdAPE %", "test MASE"]
ALPHA = 0.05  # the paired test's significance level


@dataclass(frozen=True)
class Comparison:
    """A model against a baseline on test MSE, paired by seed (attention against the plain RNN, or any two
    models of a variants study); NaN statistics come with a reason."""

    pairs: int  # seeds where both test MSEs are finite: the statistics use these
    left_out: int  # seeds left out because a test MSE is NaN, infinite (a diverged run) or zero
    wins: int  # seeds where the model's test MSE is lower than the baseline's
    median_ratio: float  # median over seeds of the model's test MSE / the baseline's
    ci_low: float  # bootstrap confidence interval of the median ratio
    ci_high: float
    ci_note: str  # why the interval is NaN, else ""
    p_value: float  # two-sided Wilcoxon signed-rank test on the paired log test MSEs
    p_note: str  # why the p-value is NaN, or why it cannot be small, else ""

    @property
    def win_rate(self) -> float:
        return self.wins / self.pairs if self.pairs else float("nan")


@dataclass(frozen=True, eq=False)
class StudyResult:
    """Both models over the same seeds: per-seed runs and table, and their comparison."""

    config: TrainConfig  # the config every seed shares; its own seed field plays no part
    seeds: tuple[int, ...]
    runs: dict[str, list[Trained]]  # by model kind (a backtest's last fold); both train, and stop, together
    table: pd.DataFrame  # one row per model and seed: TABLE_COLUMNS, a backtest's folds' mean
    comparison: Comparison | None  # None when stopped: the models did not train equally long
    stopped: bool
    seconds: float
    versions: dict[str, str] = field(default_factory=dict)  # what made it: see fibdash.serving.tasks.versions
    fold_runs: tuple[dict[str, list[Trained]], ...] = ()  # a backtest's every fold's runs, `runs` the last

    def loss_histories(self) -> dict[str, list[tuple[float, ...]]]:
        """Each model's loss history per seed, for `diverged_seeds`: a backtest's first fold whose training
        diverged, else its last fold's."""
        folds = self.fold_runs or (self.runs,)
        return {
            kind: [
                next(
                    (h for h in (runs[kind][i].loss_history for runs in folds) if first_nonfinite_epoch(h)),
                    folds[-1][kind][i].loss_history,
                )
                for i in range(len(self.seeds))
            ]
            for kind in self.runs
        }


def study_table(
    fold_runs: Sequence[Mapping[str, Sequence[Trained]]], datasets: Sequence[Dataset]
) -> pd.DataFrame:
    """One row per model and seed: TABLE_COLUMNS, the model given by its kind; the mean over a backtest's
    folds (`fold_runs` and their `datasets`, one of each for any other split)."""
    rows = []
    for runs, data in zip(fold_runs, datasets, strict=True):
        for kind, kind_runs in runs.items():
            for run in kind_runs:
                scores = score(run.name, data, run.predictions)
                rows.append(
                    [kind, run.seed, run.train_mse, run.test_mse, scores.test_mdape, scores.test_mase]
                )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    if len(fold_runs) == 1:
        return table
    return table.groupby(["model", "seed"], sort=False).mean().reset_index()


def compare(table: pd.DataFrame, model: str = "attention", baseline: str = "rnn") -> Comparison:
    """Compare `model` with `baseline` on test MSE, seed by seed, from a table of TABLE_COLUMNS whose
    "model" column names them: by default attention with the RNN.

    The ratio model / baseline is scale-free, so its median and the signed-rank test on its
    logarithm let no seed with large errors for both models outweigh the others.
    """
    every = ratios(table, model, baseline).to_numpy(dtype=float)
    finite = np.isfinite(every) & (every > 0)
    kept = every[finite]
    pairs = len(kept)
    wins = int(np.sum(kept < 1))
    median = float(np.median(kept)) if pairs else float("nan")
    ci_low = ci_high = p_value = float("nan")
    too_few = f"needs at least {MIN_PAIRS} seeds with finite test MSEs, got {pairs}"
    ci_note = p_note = too_few
    if pairs >= MIN_PAIRS:
        (ci_low, ci_high), ci_note = median_interval(kept), ""
        log_ratios = np.log(kept)
        if not np.any(log_ratios):
            p_note = "both models have the same test MSE in every seed"
        else:
            from scipy import stats  # late: fibdash.analysis.stats says why

            p_value = float(stats.wilcoxon(log_ratios).pvalue)
            # without ties the smallest two-sided p-value of n pairs is 2 / 2**n
            smallest = 2.0 / 2**pairs
            p_note = (
                f"with {pairs} seeds the test cannot reach p < {ALPHA:g} (smallest p is {smallest:.3g})"
                if smallest >= ALPHA
                else ""
            )
    return Comparison(
        pairs=pairs,
        left_out=int(np.sum(~finite)),
        wins=wins,
        median_ratio=median,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_note=ci_note,
        p_value=p_value,
        p_note=p_note,
    )


def paired_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per seed: both models' test MSE, their ratio (attention / RNN) and which is lower."""
    test = test_mse_by_seed(table)
    ratio = ratios(table)
    lower = np.where(ratio < 1, MODEL_LABELS["attention"], np.where(ratio > 1, MODEL_LABELS["rnn"], "tie"))
    return pd.DataFrame(
        {
            "seed": test.index,
            f"{MODEL_LABELS['rnn']} test MSE": test["rnn"].to_numpy(),
            f"{MODEL_LABELS['attention']} test MSE": test["attention"].to_numpy(),
            "ratio (attention / RNN)": ratio.to_numpy(),
            "lower test MSE": np.where(np.isfinite(ratio), lower, "n/a"),
        }
    )


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: the number of seeds, the median, min and max test MSE across them, and the median MASE."""
    models = table.groupby("model", sort=False)
    test = models["test MSE"]
    summary = pd.DataFrame(
        {
            "seeds": test.size(),
            "median test MSE": test.median(),
            "min test MSE": test.min(),
            "max test MSE": test.max(),
            "median test MASE": models["test MASE"].median(),
        }
    )
    summary.index = [MODEL_LABELS[kind] for kind in summary.index]
    return summary


def evidence(comparison: Comparison) -> str:
    """How firmly the comparison tells the models apart: "clear" where the paired test finds a difference
    (p < ALPHA) and the confidence interval of the median ratio lies wholly on one side of 1; "weak" where
    only one of the two does (they weigh the seeds differently: ranks of the log ratios, the middle seed);
    "none" where neither does, or either is missing."""
    c = comparison
    if math.isnan(c.p_value) or c.ci_note:
        return "none"
    tested = c.p_value < ALPHA
    interval = not c.ci_low <= 1 <= c.ci_high
    return "clear" if tested and interval else "weak" if tested or interval else "none"


def verdict(comparison: Comparison, config: TrainConfig, scope: str = "") -> str:
    """What the comparison means, in plain words, for this config only (or as the sentence `scope` says):
    the paired test and the confidence interval of the median ratio weighed together (`evidence`)."""
    c = comparison
    if c.pairs == 0:
        return "No seed gave both models a finite test MSE: there is nothing to compare."
    left_out = f" ({counted(c.left_out, 'seed')} with a non-finite test MSE left out)" if c.left_out else ""
    interval = (
        f"{CONFIDENCE:.0%} CI {c.ci_low:.2g} to {c.ci_high:.2g}"
        if not c.ci_note
        else f"no confidence interval: {c.ci_note}"
    )
    first = (
        f"Attention lowered the test MSE in {c.wins} of {counted(c.pairs, 'seed')}{left_out}; the median "
        f"ratio of test MSEs (attention / RNN) is {c.median_ratio:.2g} ({interval})"
    )
    undecided = f"{'this seed' if c.pairs == 1 else f'these {c.pairs} seeds'} cannot tell the models apart."
    strength = evidence(c)
    if np.isnan(c.p_value):
        sentences = [f"{first}, and there is no paired test ({c.p_note}): {undecided}"]
    elif strength == "clear":
        better = "attention" if c.median_ratio < 1 else "the RNN without attention"
        side = "below" if c.ci_high < 1 else "above"
        sentences = [
            f"{first}, and the paired test finds {better} better (p = {c.p_value:.2g}); the interval, "
            f"wholly {side} 1, agrees."
        ]
        other = c.pairs - c.wins if c.median_ratio < 1 else c.wins
        sentences.append(
            f"Still, a single run would have picked the other model in {other} of {counted(c.pairs, 'seed')}."
            if other
            else "Every seed agrees."
        )
    elif strength == "weak" and c.p_value < ALPHA:
        better = "attention" if c.median_ratio < 1 else "the RNN without attention"
        sentences = [
            f"{first}. The paired test finds {better} better (p = {c.p_value:.2g}), but the interval of the "
            "median ratio includes 1: weak evidence, which more seeds would settle."
        ]
    elif strength == "weak":
        better, side = ("attention", "below") if c.ci_high < 1 else ("the RNN without attention", "above")
        sentences = [
            f"{first}. The interval lies wholly {side} 1, but the paired test finds no clear difference "
            f"(p = {c.p_value:.2g}): weak evidence that {better} is better, which more seeds would settle."
        ]
    else:
        sentences = [
            f"{first}, and the paired test finds no clear difference (p = {c.p_value:.2g}): {undecided}"
        ]
    if c.p_note and not np.isnan(c.p_value):  # too few seeds for the test to find anything
        sentences.append(f"{c.p_note[0].upper()}{c.p_note[1:]}: train more seeds.")
    sentences.append(
        scope
        or f"This holds for this config only ({config.describe(with_seed=False)}): "
        "other data or hyperparameters may give another answer."
    )
    return " ".join(sentences)


def one_run(test_mse: Mapping[str, float], study: str = "a study over many seeds") -> str:
    """Which model had the lower test MSE in one run (by kind in `test_mse`) and by what factor, and that
    one run says little, pointing to `study`: one sentence."""
    rnn, attention = (float(test_mse[kind]) for kind in MODEL_KINDS)
    finite = [MODEL_LABELS[kind] for kind in MODEL_KINDS if np.isfinite(test_mse[kind])]
    if len(finite) < len(MODEL_KINDS):
        which = "Neither model has" if not finite else f"Only the {finite[0]} has"
        return f"{which} a finite test MSE in this run, so this run cannot compare them."
    if rnn == attention:
        return f"Both models had the same test MSE in this run, but one run says little: {study} tells more."
    better, worse = ("attention", "rnn") if attention < rnn else ("rnn", "attention")
    factor = float(test_mse[worse] / test_mse[better]) if test_mse[better] > 0 else math.inf
    return (
        f"In this run the {MODEL_LABELS[better]} had the lower test MSE, {factor:.3g} times lower than the "
        f"{MODEL_LABELS[worse]}'s, but one run says little: another seed may well reverse it, and {study} "
        "tells whether it holds."
    )


def study_result(
    config: TrainConfig, fold_runs: Sequence[Mapping[str, Sequence[Trained]]], datasets: Sequence[Dataset]
) -> StudyResult:
    """The study of both models' trainings over the same seeds, `fold_runs` on `datasets`: one of each, or
    a backtest's folds in order; their table (each seed's folds' mean) and comparison."""
    folds = tuple({kind: list(kind_runs) for kind, kind_runs in runs.items()} for runs in fold_runs)
    firsts = [runs["rnn"][0] for runs in folds]
    stopped = any(first.stopped for first in firsts)
    table = study_table(folds, datasets)
    return StudyResult(
        config=config,
        seeds=tuple(run.seed for run in folds[-1]["rnn"]),
        runs=folds[-1],
        table=table,
        comparison=None if stopped else compare(table),
        stopped=stopped,
        seconds=sum(first.seconds for first in firsts),
        versions=firsts[-1].versions,
        fold_runs=folds if len(folds) > 1 else (),
    )


def run_study(
    config: TrainConfig,
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | None = None,
) -> StudyResult:
    """Train both models over `seeds`, all at once (a backtest's folds one after another), and compare
    them; `on_epoch` returning True stops the study. `data`: `config.data`'s dataset, where built already."""
    from fibdash.engine.training import train_seeds  # the compiled engine loads here

    seeds = check_seeds(seeds)
    datasets = fold_datasets(config.data, data)
    fold_runs = []
    for dataset in datasets:
        fold = replace(config, data=dataset.config)
        fold_runs.append(train_seeds(fold, MODEL_KINDS, seeds, dataset.windows(), on_epoch))
        if fold_runs[-1]["rnn"][0].stopped:
            break
    return study_result(config, fold_runs, datasets[: len(fold_runs)])
