"""Calibrate the work budget's time estimate (`fibdash.budget`) on this machine, and write it.

Runs a set of jobs that span the sizes the estimate depends on (time steps, hidden units,
cells, batch sizes, epochs, seeds), each in a fresh process exactly as the dashboard's worker
runs them (compilation included), fits the estimate's coefficients to the measured seconds by
non-negative least squares, prints measured against estimated seconds, and writes
fibdash/calibration.json.

    python -m benchmarks.calibrate_budget      (from the repository root; about six minutes)
    python -m benchmarks.calibrate_budget --refit      (the jobs measured last, new features)
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import nnls

from fibdash.budget import CALIBRATION, features
from fibdash.config import TrainConfig, train_config

# (what changes from the tutorial config, seeds): 1 seed is a Train-page pair, more a study.
JOBS: list[tuple[dict, int]] = [
    ({}, 1),
    ({"epochs": 100}, 1),
    ({"time_steps": 5}, 1),
    ({"time_steps": 80, "epochs": 10}, 1),
    ({"time_steps": 300, "n": 1474, "epochs": 2}, 1),
    ({"hidden_units": 16, "epochs": 10}, 1),
    ({"hidden_units": 64, "epochs": 3}, 1),
    ({"cell": "LSTM", "hidden_units": 8, "epochs": 10}, 1),
    ({"cell": "GRU", "hidden_units": 32, "epochs": 3}, 1),
    ({"cell": "LSTM", "hidden_units": 64, "time_steps": 100, "epochs": 1}, 1),
    ({"batch_size": 16, "epochs": 100}, 1),
    ({"batch_size": 256, "epochs": 300}, 1),
    ({"n": 300, "epochs": 60}, 1),
    # long jobs, near a public demo's budget, where a refusal is decided: they pin the per-step costs
    ({"epochs": 500}, 1),
    ({"hidden_units": 32, "epochs": 100}, 1),
    ({"cell": "LSTM", "hidden_units": 32, "epochs": 60}, 1),
    ({"cell": "GRU", "hidden_units": 16, "epochs": 100}, 1),
    ({"time_steps": 200, "epochs": 30}, 1),
    (
        {
            "n": 1474,
            "time_steps": 300,
            "train_fraction": 0.95,
            "cell": "LSTM",
            "hidden_units": 64,
            "epochs": 3,
        },
        1,
    ),
    # few training windows of many time steps: the predictions of every (padded) window after each
    # epoch dominate, which the jobs above cannot tell apart from training
    (
        {
            "n": 1474,
            "time_steps": 1472,
            "train_fraction": 0.99,
            "cell": "LSTM",
            "hidden_units": 64,
            "epochs": 1,
        },
        1,
    ),
    ({"n": 1474, "time_steps": 700, "train_fraction": 0.99, "hidden_units": 16, "epochs": 3}, 1),
    ({}, 10),
    ({"epochs": 10}, 30),
    ({"epochs": 100}, 30),
    ({"hidden_units": 16, "epochs": 5}, 10),
    ({"hidden_units": 8, "epochs": 100}, 10),
]


def measure(changes: dict, seeds: int) -> float:
    """Seconds of one job in this (fresh) process, after the engine's import."""
    from fibdash import tasks
    from fibdash.training import train  # noqa: F401  (TensorFlow's import is not part of a job)

    config = train_config(changes)
    started = time.perf_counter()
    if seeds == 1:
        tasks.train_pair(config, lambda log: False)
    else:
        tasks.run_study(config, seeds, lambda log: False)
    return time.perf_counter() - started


def measured_in_own_process(changes: dict, seeds: int) -> float:
    """`measure` in a fresh process, as a new worker would run the job."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.calibrate_budget", json.dumps(changes), str(seeds)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = float(out.stdout.strip().splitlines()[-1])
    print(f"{seconds:8.2f} s  {changes} x {seeds} seeds", flush=True)
    return seconds


def main() -> None:
    if len(sys.argv) == 3:
        print(measure(json.loads(sys.argv[1]), int(sys.argv[2])))
        return
    if sys.argv[1:] == ["--refit"]:  # the estimate's features changed: fit them to the jobs measured last
        rows = [
            (job["changes"], job["seeds"], job["seconds"])
            for job in json.loads(CALIBRATION.read_text())["jobs"]
        ]
    else:
        rows = [(changes, seeds, measured_in_own_process(changes, seeds)) for changes, seeds in JOBS]
    names = list(features(TrainConfig()))
    matrix = np.array([[features(train_config(c), s)[name] for name in names] for c, s, _ in rows])
    measured = np.array([seconds for *_, seconds in rows])
    # relative errors matter: weight each job by 1 / its time, so short jobs count as much as long ones
    solution, _ = nnls(matrix / measured[:, None], np.ones(len(rows)))
    estimated = matrix @ solution
    print(f"\n{'measured':>9} {'estimated':>9} {'ratio':>6}  job")
    for (changes, seeds, seconds), estimate in zip(rows, estimated, strict=True):
        print(f"{seconds:9.2f} {estimate:9.2f} {estimate / seconds:6.2f}  {changes} x {seeds} seeds")
    ratios = estimated / measured
    print(f"estimate / measured: from {ratios.min():.2f} to {ratios.max():.2f}")
    CALIBRATION.write_text(
        json.dumps(
            {
                "measured": time.strftime("%Y-%m-%d"),
                "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPUs",
                "estimate_over_measured": [round(float(ratios.min()), 3), round(float(ratios.max()), 3)],
                "jobs": [
                    {"changes": c, "seeds": s, "seconds": round(t, 3), "estimate": round(float(e), 3)}
                    for (c, s, t), e in zip(rows, estimated, strict=True)
                ],
                "coefficients": dict(zip(names, map(float, solution), strict=True)),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {CALIBRATION}")


if __name__ == "__main__":
    main()
