"""Every kind of work a page asks of the server, each defined once: what keys it, what it is called and
its button, what runs in the worker, what the server makes of what comes back, and what it costs.

A page builds the `Work` it wants (`pair`, `study`, `sweep`) from the configuration and data it
shows, and `streamlit_glue.work` draws its button, estimate, refusal and progress, and runs it. The
worker gets windows and returns trained models (`fibdash.serving.tasks`); the server scores and
tests them (`finish`), with the scikit-learn, pandas and SciPy it has loaded anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fibdash.analysis.study import study_result
from fibdash.analysis.sweep import GridPoint, sweep_result
from fibdash.config import FIELDS, TrainConfig
from fibdash.data import Dataset
from fibdash.engine.records import Windows
from fibdash.serving import budget, tasks

# A job still running at twice its estimate is ended; a short one gets this much more than its
# estimate at least, so that a busy moment of the machine does not end it.
LEAST_SLACK_SECONDS = 10.0


@dataclass(frozen=True, eq=False)
class Work:
    """One job a page can start: the same key for every session that asks for the same work."""

    key: Hashable
    label: str  # what it is, for everyone following it: "training n=1200, ..."
    button: str  # "Train both models"
    button_key: str
    what: str  # what it is, in a word: "training", "study", "sweep"
    function: Callable[..., Any]  # run in the worker as function(*args(), report)
    args: Callable[[], tuple]  # made when the job starts: the windows it trains on are copies
    finish: Callable[[Any], Any] | None  # the result, made in the server of what the worker returns
    seconds: float  # estimated
    refusal: str | None  # why this server does not run it, naming what to change; None if it does
    progress: str  # the title of its live loss chart
    points: int = 0  # a sweep's grid points

    @property
    def kind(self) -> str:
        """ "pair", "study" or "sweep"."""
        return self.key[0]

    @property
    def limit_seconds(self) -> float:
        """How long it may run before it is ended: twice its estimate, and at least a little more."""
        return max(2 * self.seconds, self.seconds + LEAST_SLACK_SECONDS)


def tutorials(key: Hashable) -> bool:
    """Whether `key` is the tutorial's own pair or default study, which every class's link asks for first."""
    return key in (("pair", TrainConfig()), ("study", TrainConfig(), FIELDS["seeds"].default))


def _folds(config: TrainConfig, datasets: Sequence[Dataset]) -> tuple[tuple[TrainConfig, Windows], ...]:
    """Each fold's config and the windows it trains on (copies, made when the job starts)."""
    return tuple((replace(config, data=data.config), data.windows()) for data in datasets)


def _backtest(config: TrainConfig) -> str:
    """How the job's trainings follow each other, for its live chart's title: "" but under a backtest."""
    return f", fold after fold ({config.data.folds} folds)" if config.data.split == "backtest" else ""


def pair(config: TrainConfig, datasets: Sequence[Dataset], limit: float | None) -> Work:
    """Both models of `config` (the Train page's), on a server that runs jobs of at most `limit` seconds.
    `datasets`: those of `config.data.fold_configs()`: its own, or a backtest's folds', each trained."""
    if config.data.split == "backtest":
        function, args = tasks.train_folds, lambda: (_folds(config, datasets),)
    else:
        function, args = tasks.train_pair, lambda: (config, datasets[0].windows())
    return Work(
        key=("pair", config),
        label=f"training {config.describe(public=True)}",
        button="Train both models",
        button_key="train",
        what="training",
        function=function,
        args=args,
        finish=None,
        seconds=budget.estimate_seconds(config),
        refusal=budget.refusal(config, limit),
        progress=f"Loss per epoch{_backtest(config)}",
    )


def study(config: TrainConfig, seeds: int, datasets: Sequence[Dataset], limit: float | None) -> Work:
    """Both models of `config` over seeds 0 .. seeds - 1 (the Robustness page's); its seed plays no part.
    `datasets` as for `pair`: a backtest's seeds are scored by their folds' mean."""
    shared = replace(config, seed=0)  # every seed's study is one key
    return Work(
        key=("study", shared, seeds),
        label=f"a study over {seeds} seeds of {config.describe(with_seed=False, public=True)}",
        button="Run the study",
        button_key="run_study",
        what="study",
        function=tasks.train_fold_seeds,
        args=lambda: (_folds(shared, datasets), seeds),
        finish=lambda runs: study_result(shared, runs, datasets),
        seconds=budget.estimate_seconds(config, seeds),
        refusal=budget.refusal(config, limit, seeds, what="study"),
        progress=f"Median loss per epoch over the {seeds} seeds{_backtest(config)}",
    )


def sweep(
    base: TrainConfig,
    vary: Mapping[str, Sequence[Any]],
    seeds: int,
    points: Sequence[tuple[GridPoint, Sequence[Dataset]]],
    limit: float | None,
) -> Work:
    """A study at every grid point (with its datasets, as for `study`) of a sweep over `vary`."""
    configs = [point.config for point, _ in points]
    swept = " and ".join(f"{name} ({len(values)} values)" for name, values in vary.items())
    return Work(
        key=(
            "sweep",
            replace(base, seed=0),
            tuple((name, tuple(values)) for name, values in vary.items()),
            seeds,
        ),
        label=f"a sweep over {swept}, {len(points)} studies of {seeds} seeds",
        button="Run the sweep",
        button_key="run_sweep",
        what="sweep",
        function=tasks.train_sweep,
        args=lambda: (
            tuple((point.describe(), _folds(point.config, datasets)) for point, datasets in points),
            seeds,
        ),
        finish=lambda runs: sweep_result(base, vary, seeds, points, runs),
        seconds=budget.sweep_seconds(configs, seeds),
        refusal=budget.sweep_refusal(configs, limit, seeds),
        progress="Median loss per epoch, this grid point",
        points=len(points),
    )
