"""Benchmark: a seed study, both models over 10 seeds of the tutorial config, three ways.

- plain: the plain Keras `fit` loop, one run at a time. At about a minute a run, it measures one
  run per model (seed 0) and scales the time to the study's 20 runs, and says so.
- fast:  fibdash's single-model XLA path, `train(fast=True)`, all 20 runs.
- many:  `run_study`: each model's 10 seeds trained at once by `train_seeds`.

Each path runs in its own subprocess (so each gets its own peak memory figure). Prints one
JSON line per path, then wall time, optimizer steps, throughput and peak resident memory per
path, the speed-up ratios, and how far the fast and plain runs' test MSEs are from the study's.

    python -m benchmarks.bench_study      (from the repository root)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

SEEDS = 10
PLAIN_SEEDS = 1  # seeds the plain loop runs per model: about a minute each


def measure(path: str) -> dict:
    """Run the study's trainings one way; report seconds (training only), steps, test MSEs, peak RSS."""
    from dataclasses import replace

    from fibdash.config import MODEL_KINDS, TrainConfig
    from fibdash.data import make_dataset
    from fibdash.study import run_study
    from fibdash.training import train

    config = TrainConfig()
    data = make_dataset(config.data)
    seeds = range(PLAIN_SEEDS if path == "plain" else SEEDS)
    started = time.perf_counter()
    if path == "many":
        runs = run_study(config, seeds, data=data).runs
        test_mse = {kind: [run.scores.test_mse for run in runs[kind]] for kind in MODEL_KINDS}
        steps = sum(run.steps for kind in MODEL_KINDS for run in runs[kind])
    else:
        results = {
            kind: [train(replace(config, seed=seed), kind, fast=path == "fast", data=data) for seed in seeds]
            for kind in MODEL_KINDS
        }
        test_mse = {kind: [r.scores.test_mse for r in results[kind]] for kind in MODEL_KINDS}
        steps = sum(r.steps for kind in MODEL_KINDS for r in results[kind])
    seconds = time.perf_counter() - started
    runs_measured = len(seeds) * len(MODEL_KINDS)
    return {
        "path": path,
        "runs": runs_measured,
        "seconds": seconds,
        "steps": steps,
        # the whole study's time: a path that ran fewer runs is scaled up linearly
        "study_seconds": seconds * SEEDS * len(MODEL_KINDS) / runs_measured,
        "test_mse": test_mse,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def largest_relative_difference(row: dict, reference: dict) -> float:
    """Over the runs `row` made: the largest |test MSE - reference's| / reference's, same model and seed."""
    return max(
        abs(mse - ref) / ref
        for kind, mses in row["test_mse"].items()
        for mse, ref in zip(mses, reference["test_mse"][kind], strict=False)
    )


def main() -> None:
    if len(sys.argv) == 2:
        print(json.dumps(measure(sys.argv[1])))
        return
    rows = {}
    for path in ("plain", "fast", "many"):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_study", path], capture_output=True, text=True, check=True
        )
        rows[path] = json.loads(out.stdout.strip().splitlines()[-1])
        print(out.stdout.strip().splitlines()[-1])
    runs = 2 * SEEDS
    print(f"\nStudy: 2 models x {SEEDS} seeds of the tutorial config (n=1200, time_steps=20, 30 epochs)")
    header = f"{'path':<6} {'runs':>5} {'seconds':>8} {'20 runs, s':>11} {'steps/s':>9} {'peak RSS MB':>12}"
    print(f"{header}  largest test MSE difference to 'many'")
    for path, row in rows.items():
        throughput = row["steps"] / row["seconds"]
        difference = "" if path == "many" else f"{largest_relative_difference(row, rows['many']):.1e}"
        print(
            f"{path:<6} {row['runs']:>5} {row['seconds']:>8.1f} {row['study_seconds']:>11.1f} "
            f"{throughput:>9.0f} {row['peak_rss_mb']:>12.0f}  {difference}"
        )
    plain, fast, many = (rows[path] for path in ("plain", "fast", "many"))
    if plain["runs"] < runs:
        print(
            f"plain: measured {plain['runs']} of the {runs} runs ({plain['steps']} optimizer steps) "
            f"and scaled its time to {runs} runs"
        )
    print(f"optimizer steps of the whole study: {many['steps']} (fast path: {fast['steps']})")
    plain_throughput = plain["steps"] / plain["seconds"]
    print(
        f"speed-up of the study, plain / many: {plain['study_seconds'] / many['study_seconds']:.0f}x, "
        f"fast / many: {fast['study_seconds'] / many['study_seconds']:.1f}x; throughput in optimizer "
        f"steps/s against the plain loop: many {many['steps'] / many['seconds'] / plain_throughput:.0f}x, "
        f"fast {fast['steps'] / fast['seconds'] / plain_throughput:.0f}x "
        f"(target: the study via 'many' in at most 20 s, at least 40x the plain loop's throughput)"
    )


if __name__ == "__main__":
    main()
