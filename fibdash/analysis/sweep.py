"""Sweeps: a seed study of both models at every point of a grid over one or two settings.

One run per model proves nothing here, so every grid point is a study (`run_study`): seed k of a
point is the Train page's seed k of that point's config. Grid points are independent: they run
one after another in this process, or where a `PointRunner` puts them (`fibdash.sweep_runners`: a
few local processes, or Ray tasks on a cluster), and give the same numbers wherever they run.

No TensorFlow here; the engine loads in `study_point`, where a point trains.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

import fibdash.analysis.study
from fibdash.analysis.metrics import diverged_seeds
from fibdash.analysis.stats import MIN_PAIRS, median_interval, ratios
from fibdash.analysis.study import TABLE_COLUMNS, Comparison, StudyResult, compare, verdict
from fibdash.config import FIELDS, MODEL_KINDS, MODEL_LABELS, Field, TrainConfig, setting
from fibdash.data import Dataset, make_dataset
from fibdash.engine.records import EpochLog, Trained
from fibdash.quoting import quoted
from fibdash.series import most_values

# Any config setting can be swept but the seed: each point's study varies that itself.
SWEEPABLE = tuple(
    name for name, field in FIELDS.items() if field.section in ("data", "training") and name != "seed"
)
MAX_SWEPT = 2
# The largest sweep the dashboard takes (the command line has no such limit): a link carries its values,
# and every grid point is a config to check and price before the page is drawn. A 10 x 10 grid, or 20
# values of one setting, is more than a public demo's one-minute budget trains at the tutorial's size.
MAX_VALUES = 20  # of one swept setting
MAX_POINTS = 100  # in the whole grid
# The values to offer for each setting a sweep varies: a spread around the tutorial's value.
SUGGESTED: dict[str, tuple] = {
    "n": (300, 600, 1200),
    "time_steps": (5, 10, 20),
    "train_fraction": (0.5, 0.7, 0.9),
    "hidden_units": (2, 4, 8),
    "epochs": (10, 30, 100),
    "batch_size": (1, 4, 16),
    "learning_rate": (0.0001, 0.001, 0.01),
    **{name: FIELDS[name].choices for name in ("cell", "activation", "attention")},
    # what trains at the tutorial's other settings: scaling none needs n <= 185, the CO2 record n <= 444,
    # and a csv is a file, not a value
    "scaling": ("minmax", "log-minmax", "window"),
    "series": ("fibonacci", "sine", "mackey-glass", "lags"),
    "split": ("shuffled", "chronological"),
    "folds": (3, 5, 10),  # under the backtest split
    "scaler_fit": FIELDS["scaler_fit"].choices,
}
# The long table: each point's settings, all of them so that a table says what made it, then
# one row per model and seed of the point's study, and the study's wall time.
COLUMNS = [*SWEEPABLE, *TABLE_COLUMNS, "seconds"]


@dataclass(frozen=True)
class GridPoint:
    """One point of a sweep: the swept settings' values and the config they give (seed 0)."""

    settings: tuple[tuple[str, Any], ...]  # (field name, value) per swept setting, in sweep order
    config: TrainConfig

    def describe(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.settings)


@dataclass(frozen=True, eq=False)
class PointResult:
    """A grid point's seed study, as plain data: its rows of the long table and their comparison."""

    point: GridPoint
    table: pd.DataFrame  # COLUMNS: one row per model and seed
    comparison: Comparison
    seconds: float  # the study's wall time, both models and every seed
    diverged: str = ""  # which seeds diverged and the usual causes, in words; "" if none did, or resumed


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The finished grid points of a sweep, in grid order; a stopped sweep lacks the rest."""

    base: TrainConfig  # the settings every point shares, but those swept (seed 0)
    vary: tuple[tuple[str, tuple[Any, ...]], ...]  # each swept setting and its values, in sweep order
    seeds: int  # each point's study is over seeds 0 .. seeds - 1
    points: tuple[PointResult, ...]  # resumed ones included
    size: int  # points in the grid
    stopped: bool
    seconds: float  # this run's wall time; resumed points cost none
    versions: dict[str, str] = field(default_factory=dict)  # what made it: see fibdash.serving.tasks.versions

    @property
    def table(self) -> pd.DataFrame:
        """The long table: COLUMNS, one row per point, model and seed."""
        if not self.points:
            return pd.DataFrame(columns=COLUMNS)
        return pd.concat([p.table for p in self.points], ignore_index=True)

    def comparisons(self) -> pd.DataFrame:
        """One row per finished point: its swept settings and its study's comparison."""
        rows = [
            {
                **dict(p.point.settings),
                "seeds compared": p.comparison.pairs,
                "attention wins": p.comparison.wins,
                "win rate": p.comparison.win_rate,
                "median ratio": p.comparison.median_ratio,
                "CI low": p.comparison.ci_low,
                "CI high": p.comparison.ci_high,
                "Wilcoxon p": p.comparison.p_value,
                **{
                    f"median test MASE, {MODEL_LABELS[kind]}": float(runs["test MASE"].median())
                    for kind, runs in p.table.groupby("model", sort=False)
                },
                "seconds": p.seconds,
            }
            for p in self.points
        ]
        return pd.DataFrame(rows)


def sweepable(name: str) -> Field:
    """The field of a setting a sweep can vary; ValueError saying why `name` is none."""
    if name in ("seed", "seeds"):
        raise ValueError(f"{name} cannot be swept: every grid point is a study over seeds 0, 1, ... already")
    if name not in SWEEPABLE:
        raise ValueError(f"unknown setting {quoted(name)}: choose one of {', '.join(SWEEPABLE)}")
    return FIELDS[name]


def parse_vary(text: str) -> tuple[str, tuple[Any, ...]]:
    """`"hidden_units=2,4,8"` (or `hidden-units=...`) as ("hidden_units", (2, 4, 8)), each value parsed."""
    name, equals, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not equals:
        raise ValueError(f"a swept setting is written SETTING=VALUE,VALUE,..., got {quoted(text)}")
    field = sweepable(name)
    return name, tuple(field.parse(value) for value in values.split(","))


def check_grid_size(counts: Mapping[str, int]) -> None:
    """ValueError naming the limit when a sweep with `counts` values of each setting is larger than the
    dashboard takes (MAX_VALUES, MAX_POINTS); the values need not be parsed yet."""
    larger = " Run larger sweeps with `python -m fibdash sweep` (see the README)"
    for name, count in counts.items():
        if count > MAX_VALUES:
            raise ValueError(
                f"{name} has {count:,} values, and a sweep here takes at most {MAX_VALUES} values of a "
                f"setting and {MAX_POINTS} grid points in all: choose fewer.{larger}"
            )
    points = math.prod(counts.values())
    if points > MAX_POINTS:
        raise ValueError(
            f"the grid has {points:,} points ({' x '.join(map(str, counts.values()))} values), and a sweep "
            f"here takes at most {MAX_POINTS}: choose fewer values.{larger}"
        )


def _checked(field: Field, value: Any) -> Any:
    if isinstance(value, str):
        return field.parse(value)
    field.check(value)
    return value


def _with_settings(
    config: TrainConfig, settings: Mapping[str, Any], n_fits_series: bool = False
) -> TrainConfig:
    """`config` with the settings named in `settings` replaced, and seed 0, as a study's key; with
    `n_fits_series`, a series shorter than `config`'s n gets n as long as itself (n not swept)."""
    data = {name: value for name, value in settings.items() if FIELDS[name].section == "data"}
    training = {name: value for name, value in settings.items() if FIELDS[name].section == "training"}
    if "series" in data:  # a built-in series, in place of the base's, which may be a file
        data["upload"] = None
        if n_fits_series and "n" not in data:
            data["n"] = min(config.data.n, most_values(data["series"])[0])
    return replace(config, data=replace(config.data, **data), **{**training, "seed": 0})


def _settings(config: TrainConfig) -> dict[str, Any]:
    """Every sweepable setting of `config`, by name; a CSV series as "csv" and its file's SHA-256, so
    that a sweep's table is not resumed with another file."""
    settings = {name: setting(config, name) for name in SWEEPABLE}
    if config.data.upload is not None:
        settings["series"] = f"csv {config.data.upload.sha256[:12]}"
    return settings


def sweep_grid(
    base: TrainConfig, vary: Mapping[str, Sequence[Any]], n_fits_series: bool = False
) -> list[GridPoint]:
    """The grid's points, the first setting's values outermost; the other settings are `base`'s.
    `n_fits_series`: n was not given, so a point's series shorter than `base`'s n gets its own length.

    Values may be typed or text (parsed by their field). ValueError names a setting, value or grid
    point that cannot be used, before anything trains.
    """
    if not 1 <= len(vary) <= MAX_SWEPT:
        raise ValueError(f"a sweep varies one or two settings, got {len(vary)}")
    axes = []
    for name, values in vary.items():
        field = sweepable(name)
        values = [_checked(field, value) for value in values]
        if name == "series" and "csv" in values:
            raise ValueError(
                "a sweep varies the built-in series only: sweep other settings over your file instead"
            )
        if not values:
            raise ValueError(f"{name} has no values to sweep over")
        repeated = sorted(str(value) for value, count in Counter(values).items() if count > 1)
        if repeated:
            raise ValueError(f"the values of {name} must be distinct, but {', '.join(repeated)} repeat")
        axes.append([(name, value) for value in values])
    splits = {value for axis in axes for name, value in axis if name == "split"} or {base.data.split}
    if "folds" in vary and "backtest" not in splits:
        raise ValueError(
            f"folds plays a part under the backtest split only, and this sweep's split is "
            f"{', '.join(sorted(splits))}: set split to backtest, or sweep another setting"
        )
    points = []
    for settings in itertools.product(*axes):
        point = GridPoint(settings=settings, config=base)
        try:
            points.append(replace(point, config=_with_settings(base, dict(settings), n_fits_series)))
        except ValueError as error:
            raise ValueError(f"the grid point {point.describe()} cannot be trained: {error}") from None
    return points


def _point_result(point: GridPoint, table: pd.DataFrame, seconds: float, diverged: str) -> PointResult:
    rows = table.assign(**_settings(point.config), seconds=seconds)[COLUMNS]
    return PointResult(point=point, table=rows, comparison=compare(table), seconds=seconds, diverged=diverged)


def point_result(point: GridPoint, study: StudyResult, data: Dataset) -> PointResult:
    """A grid point's result from its study: its rows of the long table, comparison and diverged seeds."""
    diverged = diverged_seeds(study.loss_histories(), data, point.config)
    return _point_result(point, study.table, study.seconds, diverged)


def study_point(
    point: GridPoint, seeds: int, on_epoch: Callable[[EpochLog], bool | None] | None = None
) -> PointResult | None:
    """Both models of one grid point over seeds 0 .. seeds - 1, compared; None if `on_epoch` stopped it.

    A plain function of its inputs that imports what it needs: a worker process or a Ray task runs
    it as it is.
    """
    data = make_dataset(point.config.data)
    study = fibdash.analysis.study.run_study(point.config, range(seeds), on_epoch, data)
    return None if study.stopped else point_result(point, study, data)


def _difference(settings: Mapping[str, Any], grid: Sequence[GridPoint]) -> str:
    """The first setting of a finished point that no point of `grid` has, in words."""
    swept = {name: [] for name, _ in grid[0].settings}
    for point in grid:
        for name, value in point.settings:
            swept[name].append(value)
    base = _settings(grid[0].config)
    return next(
        f"{name}={settings[name]} is not among this sweep's values of {name}"
        if name in swept
        else f"{name}={settings[name]} there, {base[name]} in this sweep"
        for name in SWEEPABLE
        if (settings[name] not in swept[name] if name in swept else settings[name] != base[name])
    )


def finished_points(
    done: pd.DataFrame, grid: Sequence[GridPoint], seeds: int
) -> dict[GridPoint, PointResult]:
    """The grid points `done` (a long table, e.g. a sweep's CSV) holds, with its numbers.

    ValueError if it was made with other settings or another number of seeds: then its points are
    not this sweep's.
    """
    if list(done.columns) != COLUMNS:
        missing = [name for name in COLUMNS if name not in done.columns]
        lacks = f"it lacks {', '.join(missing)}" if missing else "its columns are not in a sweep's order"
        raise ValueError(
            f"the finished points' table is not this version's sweep table: {lacks} (an older version's, or "
            "another file)"
        )
    by_settings = {tuple(_settings(point.config).values()): point for point in grid}
    expected = sorted((kind, seed) for kind in MODEL_KINDS for seed in range(seeds))
    finished = {}
    for values, rows in done.groupby(list(SWEEPABLE), sort=False):
        typed = zip(SWEEPABLE, values, strict=True)
        settings = {name: FIELDS[name].value_type(value) for name, value in typed}
        point = by_settings.get(tuple(settings.values()))
        if point is None:
            raise ValueError(
                f"the finished points were made with other settings: {_difference(settings, grid)}"
            )
        runs = sorted(zip(rows["model"], rows["seed"], strict=True))
        if runs != expected:
            raise ValueError(
                f"the finished point {point.describe()} has {len(runs)} runs over seeds "
                f"{rows['seed'].min()}..{rows['seed'].max()}, not both models over seeds 0..{seeds - 1}: "
                "it was made with another number of seeds"
            )
        table = rows.reset_index(drop=True)
        finished[point] = PointResult(
            point=point, table=table, comparison=compare(table), seconds=float(table["seconds"].iloc[0])
        )
    return finished


# Where grid points run: given the points and the number of seeds, their results as they finish.
PointRunner = Callable[[Sequence[GridPoint], int], Iterable[PointResult]]


def _here(points: Sequence[GridPoint], seeds: int, on_epoch) -> Iterator[PointResult | None]:
    for point in points:
        yield study_point(point, seeds, on_epoch)


def run_sweep(
    base: TrainConfig,
    vary: Mapping[str, Sequence[Any]],
    seeds: int,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    on_point: Callable[[PointResult], None] | None = None,
    done: pd.DataFrame | None = None,
    point_runner: PointRunner | None = None,
    n_fits_series: bool = False,
) -> SweepResult:
    """A seed study of both models at every point of the grid `sweep_grid(base, vary, n_fits_series)`.

    Points already in `done` (a long table of an earlier run of this sweep) are not trained
    again. `on_point` gets each point's result as it finishes. Points run one after another in
    this process, where `on_epoch` follows each epoch and returning True stops the sweep, or
    wherever `point_runner` puts them (`fibdash.sweep_runners`: `in_processes`, `on_ray`).
    """
    started = time.perf_counter()
    FIELDS["seeds"].check(seeds)
    grid = sweep_grid(base, vary, n_fits_series)
    finished = finished_points(done, grid, seeds) if done is not None and len(done) else {}
    missing = [point for point in grid if point not in finished]
    results = _here(missing, seeds, on_epoch) if point_runner is None else point_runner(missing, seeds)
    stopped = False
    for result in results:
        if result is None:
            stopped = True
            break
        finished[result.point] = result
        if on_point is not None:
            on_point(result)
    return SweepResult(
        base=replace(base, seed=0),
        vary=_axes(grid, vary),
        seeds=seeds,
        points=tuple(finished[point] for point in grid if point in finished),
        size=len(grid),
        stopped=stopped,
        seconds=time.perf_counter() - started,
    )


def _axes(grid: Sequence[GridPoint], vary: Iterable[str]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Each swept setting and its values, as parsed, in sweep order."""
    return tuple((name, tuple(dict.fromkeys(dict(p.settings)[name] for p in grid))) for name in vary)


def sweep_result(
    base: TrainConfig,
    vary: Mapping[str, Sequence[Any]],
    seeds: int,
    points: Sequence[tuple[GridPoint, Sequence[Dataset]]],
    runs: Sequence[Sequence[Mapping[str, Sequence[Trained]]]],
) -> SweepResult:
    """The sweep of a worker's runs, both models' seeds at each grid point, fold by fold (with the folds'
    data: one fold but under a backtest), in grid order."""
    study = fibdash.analysis.study.study_result
    results = tuple(
        point_result(point, study(point.config, point_runs, datasets), datasets[-1])
        for (point, datasets), point_runs in zip(points, runs, strict=True)
    )
    return SweepResult(
        base=replace(base, seed=0),
        vary=_axes([point for point, _ in points], vary),
        seeds=seeds,
        points=results,
        size=len(points),
        stopped=False,
        seconds=sum(result.seconds for result in results),
        versions=runs[0][-1]["rnn"][0].versions,
    )


def fixed_settings(config: TrainConfig, vary: Iterable[str]) -> str:
    """The settings of `config` a sweep over `vary` does not vary, in words: "n=1200, time_steps=20, ..."."""
    return ", ".join(f"{name}={value}" for name, value in _settings(config).items() if name not in vary)


def point_verdict(result: PointResult) -> str:
    """What a grid point's study means, in plain words, scoped to that point of the sweep."""
    fixed = fixed_settings(result.point.config, dict(result.point.settings))
    scope = (
        f"This holds at {result.point.describe()} only, with {fixed} as the sweep fixed them: "
        "other values of these may give another answer."
    )
    return verdict(result.comparison, result.point.config, scope)


def model_summary(result: SweepResult) -> pd.DataFrame:
    """Per grid point and model: the median test MSE over the seeds and its bootstrap 95% interval.

    Columns: the swept settings, "model", "median test MSE", "low", "high" (NaN where fewer than
    two seeds have a finite test MSE).
    """
    rows = []
    for point in result.points:
        for kind, runs in point.table.groupby("model", sort=False):
            mse = runs["test MSE"].to_numpy(dtype=float)
            mse = mse[np.isfinite(mse)]
            low, high = median_interval(mse) if len(mse) >= MIN_PAIRS else (float("nan"), float("nan"))
            median = float(np.median(mse)) if len(mse) else float("nan")
            settings = dict(point.point.settings)
            rows.append({**settings, "model": kind, "median test MSE": median, "low": low, "high": high})
    return pd.DataFrame(rows)


def ratio_summary(result: SweepResult) -> pd.DataFrame:
    """Per grid point: the median over seeds of log10(attention's test MSE / the RNN's), and the wins.

    Columns: the swept settings, "median log10 ratio", "wins", "seeds compared".
    """
    rows = []
    for point in result.points:
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log10(ratios(point.table).to_numpy(dtype=float))
        logs = logs[np.isfinite(logs)]
        rows.append(
            {
                **dict(point.point.settings),
                "median log10 ratio": float(np.median(logs)) if len(logs) else float("nan"),
                "wins": point.comparison.wins,
                "seeds compared": point.comparison.pairs,
            }
        )
    return pd.DataFrame(rows)
