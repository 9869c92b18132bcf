"""Anything a server's budget lets start must finish: the largest jobs of each kind that a public demo's
60 s budget accepts, and every suggestion its refusals make, run to their end in a real worker within
their limits (twice their estimate, in processor time on every worker thread). Slow: minutes of training."""

from __future__ import annotations

import pytest

from benchmarks.calibrate_budget import BUDGET, HOSTILE
from fibdash.analysis.sweep import SUGGESTED, SWEEPABLE, sweep_grid
from fibdash.config import SEED_COUNTS, TrainConfig
from fibdash.data import fold_datasets
from fibdash.serving import budget, kinds
from fibdash.serving.jobs import DONE, JobRunner
from fibdash.serving.tasks import warm_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runner():
    runner = JobRunner(max_bytes=2**30, warm_up=warm_up)
    yield runner
    runner.close()


def run(runner: JobRunner, work: kinds.Work) -> None:
    """Run `work` as a server would, and check it finished within its limit."""
    assert work.refusal is None, work.refusal
    job = work.submit(runner, "test")
    assert job.wait(work.wall_limit + 30) and job.state == DONE, (work.label, job.error)
    assert job.cpu_seconds <= work.cpu_limit


def largest_seeds(fits) -> int:
    """The most seeds a study of `fits(seeds)` accepts."""
    return max(seeds for seeds in SEED_COUNTS if fits(seeds))


@pytest.mark.parametrize("name", SWEEPABLE)
def test_the_largest_sweep_of_each_kind_the_budget_accepts_finishes(runner, name):
    """The Sweep page's suggested values of each setting, over as many seeds as the budget accepts; folds
    under the backtest split, the only one where they play a part (the Sweep page says so for the others)."""
    base = TrainConfig.from_values({"split": "backtest"} if name == "folds" else {})
    vary = {name: SUGGESTED[name]}
    grid = sweep_grid(base, vary)
    seeds = largest_seeds(lambda s: kinds.sweep(base, vary, s, grid, fold_datasets, BUDGET).refusal is None)
    run(runner, kinds.sweep(base, vary, seeds, grid, fold_datasets, BUDGET))


def test_the_sweep_pages_cell_by_hidden_units_grid_finishes(runner):
    """The grid that failed on memory with the TensorFlow engine: 3 cells x 3 sizes, as many seeds as fit."""
    base, vary = TrainConfig(), {"cell": SUGGESTED["cell"], "hidden_units": SUGGESTED["hidden_units"]}
    grid = sweep_grid(base, vary)
    seeds = largest_seeds(lambda s: kinds.sweep(base, vary, s, grid, fold_datasets, BUDGET).refusal is None)
    run(runner, kinds.sweep(base, vary, seeds, grid, fold_datasets, BUDGET))


# The calibration's hostile jobs, refused: the largest the widgets allow along several settings.
@pytest.mark.parametrize(("changes", "seeds"), HOSTILE)
def test_every_suggestion_of_a_refusal_runs(runner, changes, seeds):
    config = TrainConfig.from_values(changes)
    assert budget.refusal(config, BUDGET, seeds) is not None
    suggestions = budget.suggestions(config, BUDGET, seeds)
    assert suggestions
    for name, value in suggestions:
        smaller = config if name == "seeds" else TrainConfig.from_values({**changes, name: value})
        count = value if name == "seeds" else seeds
        data = fold_datasets(smaller.data)
        work = kinds.pair(smaller, data, BUDGET) if count == 1 else kinds.study(smaller, count, data, BUDGET)
        run(runner, work)
