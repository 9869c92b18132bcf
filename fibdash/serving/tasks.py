"""What the worker process runs for the dashboard: windows in, trained models out.

The server sends these functions to `fibdash.serving.worker` by reference, with plain data: configs,
the windows to train on (`Windows`, built by the server, which caches datasets) and weights. The
worker needs nothing but the engine, NumPy and Numba: no scikit-learn, pandas or SciPy, which the
server has loaded already and uses to score, tabulate and test what comes back. Jobs take a `report`
callable last: called after every epoch with that epoch's log, it returns True when the job has been
asked to stop, and the job then returns None at once.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fibdash.config import GATES, MODEL_KINDS, TrainConfig
from fibdash.engine.records import AttentionTrace, Trained, Training, Windows

Report = Callable[[Any], bool]
# Occlusion runs each model once per time step of each test window: past this many multiply-adds
# (about 2 s on two cores) only gradient x input, one backward pass per window, is measured.
OCCLUSION_WORK = 2e10


class HeadWork(NamedTuple):
    """The attention model's head's work in a forward pass, per time step of a window, beside its cell's."""

    projections: float  # multiply-adds of its projections (additive's h_t W_k, self-attention's k_t and v_t)
    exponentials: float  # tanh of its projections (additive's)
    steps: float  # its scores, softmax and context, counted as the tutorial's H + 2


def head_work(config: TrainConfig) -> HeadWork:
    """The work of `config`'s attention head per time step (`fibdash.config.ATTENTIONS`): a query's
    projections, made once a window, are spread over its steps."""
    units, steps = config.hidden_units, config.data.time_steps
    softmax = units + 2.0  # the tutorial's: h_t . W, tanh, exp, alpha_t h_t
    return {
        "tutorial": HeadWork(0.0, 0.0, softmax),
        "additive": HeadWork(units * units * (1 + 1 / steps), float(units), softmax),  # h_t W_k, q W_q
        "dot": HeadWork(0.0, 0.0, softmax),
        "self": HeadWork(2 * units * units * (1 + 1 / steps), 0.0, softmax),  # k_t, v_t; q, the output
        "uniform": HeadWork(0.0, 0.0, units / 2),  # a sum of the states: no score, no exponential
    }[config.attention]


def occlusion_work(config: TrainConfig) -> float:
    """The multiply-adds occlusion of `config`'s test windows takes, both models together."""
    steps, units = config.data.time_steps, config.hidden_units
    cells = 2 * GATES[config.cell] * units * (units + 2)
    return config.data.n_test * (steps + 1) * steps * (cells + sum(head_work(config)))


def importance_methods(config: TrainConfig) -> tuple[str, ...]:
    """The importance measures a pair of `config` gets: occlusion too, where it is affordable."""
    return ("occlusion", "gradient") if occlusion_work(config) <= OCCLUSION_WORK else ("gradient",)


@dataclass(frozen=True)
class PointDone:
    """A job's progress between epochs: one more of its parts has finished (a sweep's grid point, a
    variants study's training)."""

    finished: int  # parts finished so far
    points: int  # parts the job trains
    settings: str  # the part that finished, in words: "scaling=minmax, hidden_units=4"


@cache
def versions() -> dict[str, str]:
    """What this worker trains with: Python, NumPy, Numba, and the project's revision."""
    import numba

    try:  # a git checkout (a clone, or Streamlit Community Cloud's) knows its revision
        revision = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        revision = "unknown"
    return {"Python": platform.python_version(), "NumPy": np.__version__, "Numba": numba.__version__,
            "fibdash": revision}  # fmt: skip


def warm_up() -> None:
    """Load the engine's compiled code (compiling it where no cache has it yet) before any visitor asks."""
    from fibdash.engine.compiled import exercise

    exercise()
    versions()


def train_pair(config: TrainConfig, windows: Windows, report: Report) -> dict[str, Trained] | None:
    """Both models of `config`, trained together, with what drives each one's predictions; None if stopped."""
    pairs = train_pairs(((config, windows),), report)
    return None if pairs is None else pairs[0]


def train_pairs(
    each: Sequence[tuple[TrainConfig, Windows]], report: Report
) -> list[dict[str, Trained]] | None:
    """The pairs of several `train_pair` calls whose configs differ only in seed (the Train page's jobs of a
    class, each its own seed), trained as one call of the engine: each as `train_pair` gives it alone, as
    the engine trains seed k the same whatever trains beside it. In the order given; None if stopped."""
    from fibdash.engine.inference import importance
    from fibdash.engine.training import train_many

    config, windows = each[0]
    if any(replace(other, seed=config.seed) != config for other, _ in each):
        raise ValueError("a batch of pairs must differ only in seed")
    runs = train_many(
        config, MODEL_KINDS, [other.seed for other, _ in each], windows, report, record_attention=True
    )
    if runs["rnn"][0].stopped:
        return None
    test = windows.X[windows.test_idx]
    return [
        {
            kind: replace(
                runs[kind][i],
                importance={
                    method: importance(config, kind, runs[kind][i].weights, test, method)
                    for method in importance_methods(config)
                },
                versions=versions(),
            )
            for kind in MODEL_KINDS
        }
        for i in range(len(each))
    ]


def train_seeds(
    config: TrainConfig, windows: Windows, seeds: int, report: Report, kinds: Sequence[str] = MODEL_KINDS
) -> dict[str, list[Trained]] | None:
    """Both models (or those of `kinds`) over seeds 0 .. seeds - 1, all at once; None if stopped."""
    from fibdash.engine.training import train_seeds

    runs = train_seeds(config, kinds, range(seeds), windows, report)
    if runs[kinds[0]][0].stopped:
        return None
    return {
        kind: [replace(run, versions=versions()) for run in kind_runs] for kind, kind_runs in runs.items()
    }


# A backtest trains each fold on its own windows: (the fold's config, its windows) per fold, in order;
# any other split is one such fold.
Folds = Sequence[tuple[TrainConfig, Windows]]


def train_folds(folds: Folds, report: Report) -> tuple[dict[str, Trained], ...] | None:
    """Both models of every fold of a backtest, one fold after another (`train_pair`); None if stopped."""
    done = []
    for config, windows in folds:
        pair = train_pair(config, windows, report)
        if pair is None:
            return None
        done.append(pair)
    return tuple(done)


def train_fold_seeds(folds: Folds, seeds: int, report: Report) -> tuple[dict[str, list[Trained]], ...] | None:
    """Both models over seeds 0 .. seeds - 1 on every fold, one fold after another; None if stopped."""
    done = []
    for config, windows in folds:
        runs = train_seeds(config, windows, seeds, report)
        if runs is None:
            return None
        done.append(runs)
    return tuple(done)


def train_studies(
    each: Sequence[tuple[Folds, int]], report: Report
) -> list[tuple[dict[str, list[Trained]], ...]] | None:
    """The studies of several `train_fold_seeds` calls on the same folds over different numbers of seeds (the
    tutorial's 30 and the Robustness page's 10), as one: the most seeds once, each study its first seeds,
    as the engine trains seed k the same whatever trains beside it. In the order given; None if stopped."""
    folds = each[0][0]
    runs = train_fold_seeds(folds, max(seeds for _, seeds in each), report)
    if runs is None:
        return None
    return [
        tuple({kind: kind_runs[:seeds] for kind, kind_runs in fold.items()} for fold in runs)
        for _, seeds in each
    ]


def train_sweep(
    points: Sequence[tuple[str, Folds]], seeds: int, report: Report
) -> list[tuple[dict[str, list[Trained]], ...]] | None:
    """Both models over seeds 0 .. seeds - 1 at every grid point (its settings in words, and its folds: one
    but under a backtest), one point after another, each finished point reported; None if stopped."""
    done = []
    for settings, folds in points:
        runs = train_fold_seeds(folds, seeds, report)
        if runs is None:
            return None
        done.append(runs)
        report(PointDone(len(done), len(points), settings))
    return done


def train_variants(
    folds: Sequence[tuple[Sequence[Training], Windows]], seeds: int, report: Report
) -> tuple[dict[str, list[Trained]], ...] | None:
    """A variants study (`fibdash.analysis.variants`): on each fold's windows (one fold but under a
    backtest), its trainings over seeds 0 .. seeds - 1, one after another, each finished one reported;
    per fold, every training's runs by the names it gives them. None if stopped."""
    parts, finished, done = sum(len(trainings) for trainings, _ in folds), 0, []
    for trainings, windows in folds:
        runs: dict[str, list[Trained]] = {}
        for training in trainings:
            trained = train_seeds(training.config, windows, seeds, report, training.kinds)
            if trained is None:
                return None
            runs.update(training.named(trained))
            finished += 1
            report(PointDone(finished, parts, " and ".join(training.names)))
        done.append(runs)
    return tuple(done)


def what_if(
    models: Mapping[str, tuple[TrainConfig, Mapping[str, np.ndarray]]], windows: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Each trained model's predictions for `windows` (scaled, (samples, time_steps)), with the attention
    model's weights: {kind: (predictions, weights or None)}. A quick call: one thread, no training."""
    from fibdash.engine.inference import predict

    return {kind: predict(config, kind, weights, windows) for kind, (config, weights) in models.items()}


def predict_each(
    requests: Mapping[Hashable, tuple[TrainConfig, str, Mapping[str, np.ndarray], np.ndarray]],
) -> dict[Hashable, np.ndarray]:
    """Each request's model (config, kind, trained weights) predicts its own windows (scaled, (samples,
    time_steps)): {key: scaled predictions}. A forecast's step: each model's windows hold its own earlier
    forecasts. A quick call: one thread, no training."""
    from fibdash.engine.inference import predict

    return {
        key: predict(config, kind, weights, windows)[0]
        for key, (config, kind, weights, windows) in requests.items()
    }


def attention_trace(
    config: TrainConfig, weights: Mapping[str, np.ndarray], window: np.ndarray
) -> AttentionTrace:
    """One window through the attention model, step by step, as `engine.inference` has it. A quick call."""
    from fibdash.engine.inference import attention_trace

    return attention_trace(config, weights, window)
