"""Every kind of work a page asks of the server, each defined once: what keys it, what it is called and
its button, what runs in the worker, what the server makes of what comes back, and what it costs.

A page builds the `Work` it wants (`pair`, `study`, `variants`, `sweep`) from the configuration and data it
shows, and `streamlit_glue.work` draws its button, estimate, refusal and progress, and runs it. The
worker gets windows and returns trained models (`fibdash.serving.tasks`); the server scores and
tests them (`finish`), with the scikit-learn, pandas and SciPy it has loaded anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fibdash.analysis.lesson import FORECAST_RUNS, STUDY_SEEDS, TUTORIAL
from fibdash.analysis.study import study_result
from fibdash.analysis.sweep import GridPoint, sweep_result
from fibdash.analysis.variants import shared_config, trainings, variants_result
from fibdash.config import FIELDS, SEED_COUNTS, DataConfig, TrainConfig
from fibdash.data import Dataset, make_dataset
from fibdash.engine.records import Windows
from fibdash.serving import budget, tasks
from fibdash.serving.jobs import Batch, Job, JobRunner
from fibdash.serving.worker import worker_threads

# What a job may consume before it is ended, so that every visitor gets a turn. Its estimate is in
# seconds on the worker's threads beside another busy process (see budget), so as estimated it uses
# at most threads x estimate of processor time, and less where it runs alone (1.2x to 2x faster).
# It may use twice that, and a short job this many seconds more at least (a first compilation, a
# busy moment): a job is ended for doing more work than its estimate, never for the load of other
# processes on the machine, which lengthens its wall time but not its processor time.
LEAST_SLACK_SECONDS = 10.0
# A job that uses no processor time (stuck) or gets almost none (an overloaded machine) is ended
# once it has run this many times its allowance in wall time.
WALL_FACTOR = 10


def limits(seconds: float) -> tuple[float, float]:
    """What a job of an estimated `seconds` may consume: (processor time, wall time). Its allowance is twice
    its estimate, and at least a little more, in seconds on each of the worker's threads: it may use that
    on every thread, and is ended as stuck past WALL_FACTOR times it in wall time."""
    allowance = max(2 * seconds, seconds + LEAST_SLACK_SECONDS)
    return worker_threads() * allowance, WALL_FACTOR * allowance


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
    points: int = 0  # the parts it trains one after another, each reported: a sweep's grid points
    part: str = "Grid point"  # what each of those parts is, in the progress shown
    batch: Batch | None = None  # how it trains in one call with queued work that differs only in seed

    @property
    def kind(self) -> str:
        """ "pair", "study", "variants" or "sweep"."""
        return self.key[0]

    @property
    def cpu_limit(self) -> float:
        """The processor time it may use before it is ended: twice its estimate on every worker thread."""
        return limits(self.seconds)[0]

    @property
    def wall_limit(self) -> float:
        """How long it may run, whatever processor time it used, before it is ended as stuck."""
        return limits(self.seconds)[1]

    def submit(self, runner: JobRunner, session: str, limited: bool = True) -> Job:
        """Queue this work on `runner` for `session` (see `JobRunner.submit`): its data made now, its
        place in the queue by its estimate, and, where `limited`, ended past its limits (a call of many
        jobs, past the limits of its own estimate)."""
        batch = self.batch
        if batch is not None and not limited:
            batch = replace(batch, limits=lambda seconds: (None, None))
        return runner.submit(
            self.key,
            self.function,
            self.args(),
            self.label,
            session,
            self.finish,
            seconds=self.seconds,
            cpu_limit=self.cpu_limit if limited else None,
            wall_limit=self.wall_limit if limited else None,
            batch=batch,
        )


def tutorial_runs(limit: float | None) -> list[Work]:
    """The tutorial's own runs, which every class's link asks for first: its pair (the Tutorial's steps,
    Train and Compare at their defaults), the lesson's study over STUDY_SEEDS and the Robustness page's
    default study, and the lesson's pairs split in time. A server trains them when it starts (those within
    its `limit`), and keeps them for good."""
    datasets = {config.data: [make_dataset(config.data)] for config in FORECAST_RUNS.values()}
    return [
        pair(TUTORIAL, datasets[TUTORIAL.data], limit),
        study(TUTORIAL, STUDY_SEEDS, datasets[TUTORIAL.data], limit),
        study(TUTORIAL, FIELDS["seeds"].default, datasets[TUTORIAL.data], limit),
        *(
            pair(config, datasets[config.data], limit)
            for config in FORECAST_RUNS.values()
            if config != TUTORIAL
        ),
    ]


def tutorials(key: Hashable) -> bool:
    """Whether `key` is one of the tutorial's own runs (`tutorial_runs`): their results are kept for good."""
    return key in _TUTORIAL_KEYS


def _folds(config: TrainConfig, datasets: Sequence[Dataset]) -> tuple[tuple[TrainConfig, Windows], ...]:
    """Each fold's config and the windows it trains on (copies, made when the job starts)."""
    return tuple((replace(config, data=data.config), data.windows()) for data in datasets)


def _backtest(config: TrainConfig) -> str:
    """How the job's trainings follow each other, for its live chart's title: "" but under a backtest."""
    return f", fold after fold ({config.data.folds} folds)" if config.data.split == "backtest" else ""


def _over_seeds(config: TrainConfig, seeds: int) -> str:
    """A study's label after its name: "over 10 seeds of n=1200, ..."."""
    return f"over {seeds} seeds of {config.describe(with_seed=False, public=True)}"


def pair(config: TrainConfig, datasets: Sequence[Dataset], limit: float | None) -> Work:
    """Both models of `config` (the Train page's), on a server that runs jobs of at most `limit` seconds.
    `datasets`: those of `config.data.fold_configs()`: its own, or a backtest's folds', each trained."""
    if config.data.split == "backtest":
        function, args = tasks.train_folds, lambda: (_folds(config, datasets),)
    else:
        function, args = tasks.train_pair, lambda: (config, datasets[0].windows())
    batch = None
    if config.data.split != "backtest":  # a backtest's folds train one after another, alone
        batch = Batch(
            key=("pair", replace(config, seed=0)),
            function=tasks.train_pairs,
            seconds=lambda each: budget.pairs_seconds(config, len(each)),
            limits=limits,
            most=budget.most_pairs(config, limit),
        )
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
        batch=batch,
    )


def study(config: TrainConfig, seeds: int, datasets: Sequence[Dataset], limit: float | None) -> Work:
    """Both models of `config` over seeds 0 .. seeds - 1 (the Robustness page's); its seed plays no part.
    `datasets` as for `pair`: a backtest's seeds are scored by their folds' mean."""
    shared = replace(config, seed=0)  # every seed's study is one key
    return Work(
        key=("study", shared, seeds),
        label=f"a study {_over_seeds(config, seeds)}",
        button="Run the study",
        button_key="run_study",
        what="study",
        function=tasks.train_fold_seeds,
        args=lambda: (_folds(shared, datasets), seeds),
        finish=lambda runs: study_result(shared, runs, datasets),
        seconds=budget.estimate_seconds(config, seeds),
        refusal=budget.refusal(config, limit, seeds, what="study"),
        progress=f"Median loss per epoch over the {seeds} seeds{_backtest(config)}",
        # studies of other numbers of seeds: the most seeds once, each study its first seeds
        batch=Batch(
            key=("study", shared),
            function=tasks.train_studies,
            seconds=lambda each: budget.estimate_seconds(config, max(count for _, count in each)),
            limits=limits,
            most=SEED_COUNTS[-1],
        ),
    )


def variants_seconds(config: TrainConfig, seeds: int) -> float:
    """Estimated seconds of a variants study of `config` over `seeds` seeds: its trainings one after another,
    each attention head priced as its own (`budget.trainings_seconds`), on every fold of a backtest."""
    return budget.trainings_seconds(trainings(config), seeds)


def variants(config: TrainConfig, seeds: int, datasets: Sequence[Dataset], limit: float | None) -> Work:
    """The variants study of `config` over seeds 0 .. seeds - 1 (the Robustness page's "Which attention?"):
    the RNN, the attention model with every head and the matched RNN (`fibdash.analysis.variants`); its
    seed and attention play no part. `datasets` as for `study`."""
    shared = shared_config(config)
    calls = trainings(shared)
    return Work(
        key=("variants", shared, seeds),
        label=f"a variants study {_over_seeds(config, seeds)}",
        button="Run the variants study",
        button_key="run_variants",
        what="study",
        function=tasks.train_variants,
        args=lambda: (tuple((trainings(fold), windows) for fold, windows in _folds(shared, datasets)), seeds),
        finish=lambda runs: variants_result(shared, runs, datasets),
        seconds=variants_seconds(shared, seeds),
        refusal=budget.refusal(shared, limit, seeds, what="study", estimate=variants_seconds),
        progress=f"Median loss per epoch over the {seeds} seeds{_backtest(config)}",
        points=len(calls) * len(datasets),
        part="Training",
    )


def sweep(
    base: TrainConfig,
    vary: Mapping[str, Sequence[Any]],
    seeds: int,
    grid: Sequence[GridPoint],
    datasets: Callable[[DataConfig], Sequence[Dataset]],
    limit: float | None,
) -> Work:
    """A study at every point of `grid`, a sweep over `vary`, on the datasets `datasets` makes of a data
    config (its own, or a backtest's folds', as for `study`).

    Priced from the configs alone: the data is made when the job is submitted, once per distinct
    data config (a sweep over epochs trains every point on the same windows, sent once).
    """
    configs = [point.config for point in grid]
    swept = " and ".join(f"{name} ({len(values)} values)" for name, values in vary.items())
    made: dict[DataConfig, Sequence[Dataset]] = {}

    def points() -> list[tuple[GridPoint, Sequence[Dataset]]]:
        for config in configs:
            if config.data not in made:
                made[config.data] = datasets(config.data)
        return [(point, made[point.config.data]) for point in grid]

    def args() -> tuple:
        with_data = points()
        # each data config's folds and windows, one copy each however many points train on them
        folds = {data: tuple((fold.config, fold.windows()) for fold in sets) for data, sets in made.items()}
        sent = tuple(
            (
                point.describe(),
                tuple(
                    (replace(point.config, data=fold), windows) for fold, windows in folds[point.config.data]
                ),
            )
            for point, _ in with_data
        )
        return sent, seeds

    return Work(
        key=(
            "sweep",
            replace(base, seed=0),
            tuple((name, tuple(values)) for name, values in vary.items()),
            seeds,
        ),
        label=f"a sweep over {swept}, {len(grid)} studies of {seeds} seeds",
        button="Run the sweep",
        button_key="run_sweep",
        what="sweep",
        function=tasks.train_sweep,
        args=args,
        finish=lambda runs: sweep_result(base, vary, seeds, points(), runs),
        seconds=budget.sweep_seconds(configs, seeds),
        refusal=budget.sweep_refusal(configs, limit, seeds),
        progress="Median loss per epoch, this grid point",
        points=len(grid),
    )


_TUTORIAL_KEYS = (
    ("pair", TUTORIAL),
    ("study", TUTORIAL, STUDY_SEEDS),
    ("study", TUTORIAL, FIELDS["seeds"].default),
    *(("pair", config) for config in FORECAST_RUNS.values()),
)
