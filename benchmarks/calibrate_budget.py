"""Calibrate the work budget's estimate (`fibdash.serving.budget`) on this machine, check it, and write it.

Fit: runs jobs that span the sizes the estimate depends on (time steps, hidden units, cells, batch
sizes, epochs, seeds, n), each in the worker process as the dashboard runs it (warmed up; its time
counted from when the worker begins it, as a job's time limit counts), once on a quiet machine and
once beside another busy process, as a server's job runs beside its pages. The coefficients are fitted
to the busy runs by non-negative least squares on relative errors and written to calibration.json
(the quiet runs are kept beside them, and printed against the estimate).

Check: the estimate matters where a server decides, so the script then runs, beside a busy process,
every suggestion that a 60 s budget's refusals of hostile jobs make (each the largest job of its kind
along one setting: pairs, studies and sweeps), and prints estimate / measured for each; the issue's
target is 0.7 to 1.5.

    python -m benchmarks.calibrate_budget             (measure, fit, write and check; about 40 minutes)
    python -m benchmarks.calibrate_budget --refit     (fit the jobs measured last anew, then check)
    python -m benchmarks.calibrate_budget --heads     (measure the attention heads' jobs, HEAD_JOBS, and
                                                       print each one's estimate / measured and its time
                                                       beside the tutorial head's; a few minutes)
    python -m benchmarks.calibrate_budget --check     (check the stored calibration only)
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
from scipy.optimize import nnls

from fibdash.analysis.sweep import sweep_grid
from fibdash.config import ATTENTIONS, TrainConfig
from fibdash.data import make_dataset
from fibdash.serving import budget, tasks
from fibdash.serving.jobs import DONE, JobRunner

# (what changes from the tutorial config, seeds): 1 seed is a Train-page pair, more a study.
JOBS: list[tuple[dict, int]] = [
    ({}, 1),
    ({"epochs": 300}, 1),
    ({"n": 200, "epochs": 5}, 1),
    ({"time_steps": 5, "epochs": 100}, 1),
    ({"time_steps": 100}, 1),
    ({"time_steps": 400, "n": 1474, "epochs": 10}, 1),
    ({"hidden_units": 8, "epochs": 50}, 1),
    ({"hidden_units": 32, "epochs": 10}, 1),
    ({"hidden_units": 128, "epochs": 2}, 1),
    ({"cell": "LSTM", "hidden_units": 16, "epochs": 20}, 1),
    ({"cell": "GRU", "hidden_units": 64, "epochs": 3}, 1),
    ({"cell": "LSTM", "hidden_units": 64, "time_steps": 200, "n": 1474, "epochs": 2}, 1),
    # large kernels, whose multiply-adds outweigh their activations
    ({"cell": "LSTM", "hidden_units": 128, "epochs": 1}, 1),
    # many optimizer steps of short windows: Adam's updates of every weight dominate
    ({"hidden_units": 128, "time_steps": 4, "epochs": 10}, 1),
    ({"cell": "GRU", "hidden_units": 64, "time_steps": 2, "batch_size": 2, "epochs": 30}, 1),
    # long jobs of large kernels, near the budget: beside a busy process they slow down the most
    ({"hidden_units": 128, "epochs": 60}, 1),
    (
        {
            "n": 1474,
            "time_steps": 1472,
            "train_fraction": 0.99,
            "cell": "LSTM",
            "hidden_units": 128,
            "epochs": 300,
        },
        1,
    ),
    ({"cell": "GRU", "hidden_units": 128, "time_steps": 50, "n": 400, "epochs": 3}, 1),
    (
        {
            "n": 1474,
            "time_steps": 1472,
            "train_fraction": 0.99,
            "cell": "LSTM",
            "hidden_units": 128,
            "epochs": 30,
        },
        1,
    ),
    ({"cell": "LSTM", "hidden_units": 32, "epochs": 3}, 10),
    ({"batch_size": 16, "epochs": 500}, 1),
    ({"batch_size": 256, "epochs": 2000}, 1),
    ({"activation": "relu", "learning_rate": 0.01, "epochs": 100}, 1),
    # few training windows of many time steps: the predictions of every window dominate
    ({"n": 1474, "time_steps": 1400, "train_fraction": 0.95, "hidden_units": 8, "epochs": 20}, 1),
    ({}, 10),
    ({}, 100),
    ({"epochs": 200}, 30),
    ({"hidden_units": 16, "epochs": 20}, 20),
    ({"cell": "GRU", "hidden_units": 8, "epochs": 30}, 10),
    ({"time_steps": 100, "epochs": 20}, 50),
]
# The attention model's heads (`fibdash.config.ATTENTIONS`), each at the tutorial's size, with larger
# kernels (whose projections self-attention and additive attention add), longer windows, and as a study.
HEAD_SIZES: list[tuple[dict, int]] = [
    ({}, 1),
    ({"hidden_units": 32, "epochs": 10}, 1),
    ({"hidden_units": 128, "epochs": 2}, 1),
    ({"time_steps": 100}, 1),
    ({}, 10),
]
HEAD_JOBS = [({**changes, "attention": head}, seeds) for head in ATTENTIONS for changes, seeds in HEAD_SIZES]

# Hostile jobs, all refused by a 60 s budget: each of their refusals' suggestions is checked.
HOSTILE: list[tuple[dict, int]] = [
    (
        {
            "n": 1474,
            "time_steps": 1472,
            "train_fraction": 0.99,
            "cell": "LSTM",
            "hidden_units": 128,
            "epochs": 2000,
        },
        1,
    ),
    (
        {
            "n": 1474,
            "time_steps": 300,
            "train_fraction": 0.95,
            "cell": "LSTM",
            "hidden_units": 128,
            "epochs": 2000,
        },
        1,
    ),
    ({"epochs": 2000, "hidden_units": 128}, 1),
    ({"cell": "GRU", "hidden_units": 16, "epochs": 500}, 100),
    ({"epochs": 2000}, 100),
]
# A hostile sweep: the Sweep page's cell x hidden units grid, made longer
SWEEP = ({"epochs": 300}, {"cell": ("SimpleRNN", "LSTM", "GRU"), "hidden_units": (2, 4, 8)}, 10)
BUDGET = 60.0


@contextlib.contextmanager
def busy(on: bool) -> Iterator[None]:
    """Another busy process on the machine while the block runs, when `on`."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def measure(runner: JobRunner, key: object, function, args: tuple) -> float:
    """Seconds of one job in the worker, from when it began it to its end."""
    runner.clear()
    job = runner.submit(key, function, args, str(key), "calibration")
    assert job.wait() and job.state == DONE, job.error
    return job.seconds_running()


def run_job(runner: JobRunner, changes: dict, seeds: int, loaded: bool) -> float:
    config = TrainConfig.from_values(changes)
    windows = make_dataset(config.data).windows()
    with busy(loaded):
        if seeds == 1:
            return measure(runner, ("pair", config, loaded), tasks.train_pair, (config, windows))
        return measure(runner, ("study", config, seeds, loaded), tasks.train_seeds, (config, windows, seeds))


def measure_jobs(
    runner: JobRunner, jobs: list[tuple[dict, int]] = JOBS + HEAD_JOBS
) -> list[tuple[dict, int, bool, float]]:
    """Every job of `jobs`, quiet and then beside a busy process: (changes, seeds, beside, seconds)."""
    rows = []
    for changes, seeds in jobs:
        for loaded in (False, True):
            seconds = run_job(runner, changes, seeds, loaded)
            rows.append((changes, seeds, loaded, seconds))
            print(
                f"{seconds:8.2f} s  {changes} x {seeds} seeds{', beside a busy process' * loaded}", flush=True
            )
    return rows


def fit(rows: list[tuple[dict, int, bool, float]]) -> dict:
    """The calibration of measured `rows`, a quiet and a busy run of each job in turn."""
    jobs = [(changes, seeds) for changes, seeds, *_ in rows[::2]]
    names = list(budget.features(TrainConfig()))
    matrix = np.array(
        [[budget.features(TrainConfig.from_values(c), s)[name] for name in names] for c, s in jobs]
    )
    seconds = np.array([t for *_, t in rows]).reshape(len(jobs), 2)  # quiet, busy
    # the estimate aims at the busy run: a server's job runs beside its pages and other sessions' work
    # (long pairs of large kernels slow by 1.6x to 2x there, and a job is ended at twice its estimate);
    # relative errors matter, so each job counts by 1 / its time
    target = seconds[:, 1]
    solution, _ = nnls(matrix / target[:, None], np.ones(len(jobs)))
    ratios = (matrix @ solution)[:, None] / seconds
    print(f"fit: estimate / measured from {ratios.min():.2f} to {ratios.max():.2f} over {len(rows)} runs")
    return {
        "measured": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPUs",
        "estimate_over_measured": [round(float(ratios.min()), 3), round(float(ratios.max()), 3)],
        "jobs": [
            {"changes": c, "seeds": s, "beside_busy_process": loaded, "seconds": round(t, 3)}
            for (c, s, loaded, t) in rows
        ],
        "coefficients": dict(zip(names, map(float, solution), strict=True)),
    }


def stored_rows() -> list[tuple[dict, int, bool, float]]:
    """The jobs measured last, as calibration.json keeps them."""
    jobs = json.loads(budget.CALIBRATION.read_text())["jobs"]
    return [(job["changes"], job["seeds"], job["beside_busy_process"], job["seconds"]) for job in jobs]


def check_heads(runner: JobRunner) -> None:
    """Each head's jobs of HEAD_SIZES beside the tutorial head's, one after another, quiet and beside a
    busy process: estimate / measured, and the head's time over the tutorial head's, estimated and
    measured (which the machine's other work changes less, as it slows both alike)."""
    print(
        f"{'head':<9} {'job':<44} {'estimate / measured':>19} {'x tutorial: estimated':>22} {'measured':>9}"
    )
    for changes, seeds in HEAD_SIZES:
        for loaded in (False, True):
            measured = {
                head: run_job(runner, {**changes, "attention": head}, seeds, loaded) for head in ATTENTIONS
            }
            estimated = {
                head: budget.estimate_seconds(TrainConfig.from_values({**changes, "attention": head}), seeds)
                for head in ATTENTIONS
            }
            job = f"{changes} x {seeds} seeds{', busy' * loaded}"
            for head in ATTENTIONS:
                ratio, relative = estimated[head] / measured[head], measured[head] / measured["tutorial"]
                print(
                    f"{head:<9} {job:<44} {ratio:>19.2f} {estimated[head] / estimated['tutorial']:>22.2f} "
                    f"{relative:>9.2f}",
                    flush=True,
                )


def check(runner: JobRunner) -> list[float]:
    """Every suggestion of the hostile jobs' refusals, and the hostile sweep, run beside a busy process."""
    ratios = []
    for changes, seeds in HOSTILE:
        config = TrainConfig.from_values(changes)
        if budget.refusal(config, BUDGET, seeds) is None:
            print(f"not refused, so nothing to check: {changes} x {seeds} seeds")
            continue
        for name, value in budget.suggestions(config, BUDGET, seeds):
            smaller = dict(changes) if name == "seeds" else {**changes, name: value}
            count = value if name == "seeds" else seeds
            estimate = budget.estimate_seconds(TrainConfig.from_values(smaller), count)
            seconds = run_job(runner, smaller, count, loaded=True)
            ratios.append(estimate / seconds)
            print(f"{estimate:7.1f} {seconds:7.1f} {ratios[-1]:6.2f}  {name} {value} of {changes} x {seeds}")
    base_changes, vary, seeds = SWEEP
    base = TrainConfig.from_values(base_changes)
    for smaller_seeds in [s for s in (10, 5, 3) if s <= seeds]:
        grid = sweep_grid(base, vary)
        estimate = budget.sweep_seconds([point.config for point in grid], smaller_seeds)
        if estimate > BUDGET:
            continue
        points = tuple(  # each point one fold: the sweep varies no split
            (point.describe(), ((point.config, make_dataset(point.config.data).windows()),)) for point in grid
        )
        with busy(True):
            seconds = measure(runner, ("sweep", smaller_seeds), tasks.train_sweep, (points, smaller_seeds))
        ratios.append(estimate / seconds)
        sweep_job = f"sweep {vary} x {smaller_seeds} seeds of {base_changes}"
        print(f"{estimate:7.1f} {seconds:7.1f} {ratios[-1]:6.2f}  {sweep_job}")
        break
    print(f"check: estimate / measured from {min(ratios):.2f} to {max(ratios):.2f} over {len(ratios)} jobs")
    return ratios


def main() -> None:
    runner = JobRunner(max_bytes=2**30, warm_up=tasks.warm_up)
    try:
        if sys.argv[1:] == ["--heads"]:
            check_heads(runner)
            return
        if sys.argv[1:] != ["--check"]:  # --refit: the estimate's features changed, fit the stored jobs
            calibration = fit(stored_rows() if sys.argv[1:] == ["--refit"] else measure_jobs(runner))
            budget.CALIBRATION.write_text(json.dumps(calibration, indent=1) + "\n")
            budget.coefficients.cache_clear()
            print(f"wrote {budget.CALIBRATION}")
        print(f"\n{'estimate':>7} {'measured':>7} {'ratio':>6}  suggestion (beside a busy process)")
        ratios = check(runner)
        calibration = json.loads(budget.CALIBRATION.read_text())
        calibration["checked"] = [round(min(ratios), 3), round(max(ratios), 3)]
        budget.CALIBRATION.write_text(json.dumps(calibration, indent=1) + "\n")
    finally:
        runner.close()


if __name__ == "__main__":
    main()
