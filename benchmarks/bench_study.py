"""Benchmark: a seed study, both models over 10 seeds of the tutorial config, three ways.

- plain: Keras' own `fit`, one run at a time. At about a minute a run, it measures one run per
  model (seed 0) and scales the time to the study's 20 runs, and says so.
- fast:  the engine's `train`, one model and one seed at a time, all 20 runs.
- many:  `run_study`: every seed of both models at once.
Each run is a subprocess of its own (so each gets its own peak memory figure); the runs take turns,
round after round. Prints median wall time (training only, imports
apart), optimizer steps, throughput and peak resident memory per path, the speed-ups, and how far
each path's test MSEs are from those of this tree's study.

    python -m benchmarks.bench_study [rounds]      (from the repository root; 3 rounds by default)
"""

from __future__ import annotations

import json
import resource
import sys
import time

from benchmarks import ROOT, median, run_process

SEEDS = 10
PLAIN_SEEDS = 1  # seeds the plain loop runs per model: about a minute each


def measure(path: str) -> dict:
    """Run the study's trainings one way; report seconds (training only), steps, test MSEs, peak RSS."""
    from dataclasses import replace

    from fibdash.analysis.study import run_study
    from fibdash.config import MODEL_KINDS, TrainConfig
    from fibdash.data import make_dataset
    from fibdash.engine.training import train

    config = TrainConfig()
    data = make_dataset(config.data)
    seeds = range(PLAIN_SEEDS if path == "plain" else SEEDS)
    train(replace(config, epochs=1), "attention", data.windows())  # the compiled code, from its cache
    started = time.perf_counter()
    if path == "many":
        runs = run_study(config, seeds, data=data).runs
    elif path == "plain":
        from fibdash.keras.reference import fit_many

        runs = fit_many(config, MODEL_KINDS, seeds, data)
    else:
        windows = data.windows()
        runs = {
            kind: [train(replace(config, seed=seed), kind, windows) for seed in seeds] for kind in MODEL_KINDS
        }
    seconds = time.perf_counter() - started
    test_mse = {kind: [run.test_mse for run in runs[kind]] for kind in MODEL_KINDS}
    steps = sum(run.steps for kind in MODEL_KINDS for run in runs[kind])
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
    if sys.argv[1:2] and not sys.argv[1].isdigit():
        print(json.dumps(measure(sys.argv[1])))
        return
    rounds = int(sys.argv[1]) if sys.argv[1:] else 3
    paths = ("plain", "fast", "many")
    runs: dict[str, list[dict]] = {path: [] for path in paths}
    for _ in range(rounds):
        for path in paths:
            out = run_process([sys.executable, "-m", "benchmarks.bench_study", path], ROOT)
            runs[path].append(json.loads(out["stdout"].strip().splitlines()[-1]))
    rows = {
        label: {
            **label_runs[-1],
            "seconds": median([run["seconds"] for run in label_runs]),
            "study_seconds": median([run["study_seconds"] for run in label_runs]),
            "peak_rss_mb": median([run["peak_rss_mb"] for run in label_runs]),
        }
        for label, label_runs in runs.items()
    }
    study_runs = 2 * SEEDS
    print(f"Study: 2 models x {SEEDS} seeds of the tutorial config (n=1200, time_steps=20, 30 epochs)")
    print(f"median of {rounds} rounds")
    header = f"{'path':<6} {'runs':>5} {'seconds':>8} {'20 runs, s':>11} {'steps/s':>9} {'peak RSS MB':>12}"
    print(f"{header}  largest test MSE difference to 'many'")
    for label, row in rows.items():
        throughput = row["steps"] / row["seconds"]
        difference = "" if label == "many" else f"{largest_relative_difference(row, rows['many']):.1e}"
        print(
            f"{label:<6} {row['runs']:>5} {row['seconds']:>8.1f} {row['study_seconds']:>11.1f} "
            f"{throughput:>9.0f} {row['peak_rss_mb']:>12.0f}  {difference}"
        )
    plain = rows["plain"]
    if plain["runs"] < study_runs:
        print(
            f"plain: measured {plain['runs']} of the {study_runs} runs ({plain['steps']} optimizer steps) "
            f"and scaled its time to {study_runs} runs"
        )
    print(f"optimizer steps of the whole study: {rows['many']['steps']}")
    for label in ("fast", "many"):
        print(
            f"speed-up of the study, plain / {label}: "
            f"{plain['study_seconds'] / rows[label]['study_seconds']:.0f}x"
        )


if __name__ == "__main__":
    main()
