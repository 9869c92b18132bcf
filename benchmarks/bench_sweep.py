"""Benchmark: a sweep of 2 scalings x 3 hidden sizes, each grid point both models over 10 seeds
of the tutorial config (n=1200, time_steps=20, 30 epochs, batch size 1): 120 trainings, four ways.

- plain: Keras' own `fit`, one run at a time. At about a minute a run, it measures two runs (both
  models, seed 0, at the first grid point) and scales the time to the 120, and says so.
- local: `run_sweep` in one process, grid points one after another (`python -m fibdash sweep`).
- jobs2: `run_sweep` with grid points in 2 local processes (`--jobs 2`).
- ray2:  `run_sweep` with grid points as Ray tasks on a local Ray of 2 CPUs, started beforehand
  as a cluster would be (`--ray`; needs requirements-ray.txt, else skipped).

Each path runs in its own fresh process and is timed from the sweep's call: every process that
trains loads the engine's compiled code from its cache within that time. Prints one JSON
line per path, then wall time, trainings per second, the speed-ups, and whether the test MSEs of
the sweep paths are the same numbers.

    python -m benchmarks.bench_sweep      (from the repository root)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

SEEDS = 10
VARY = {"scaling": ["minmax", "log-minmax"], "hidden_units": [2, 4, 8]}
TRAININGS = len(VARY["scaling"]) * len(VARY["hidden_units"]) * 2 * SEEDS
MARK = "bench_sweep: "


def measure(path: str) -> dict:
    """Run the sweep's trainings one way; report seconds, trainings measured and the test MSEs."""
    from fibdash.config import MODEL_KINDS, TrainConfig

    base = TrainConfig()
    if path == "plain":
        from fibdash.analysis.sweep import sweep_grid
        from fibdash.data import make_dataset
        from fibdash.keras.reference import fit_many

        config = sweep_grid(base, VARY)[0].config
        started = time.perf_counter()
        runs = fit_many(config, MODEL_KINDS, [0], make_dataset(config.data))
        test_mse = [runs[kind][0].test_mse for kind in MODEL_KINDS]
        return {
            "path": path,
            "trainings": len(MODEL_KINDS),
            "seconds": time.perf_counter() - started,
            "test_mse": test_mse,
        }

    from fibdash.analysis.sweep import run_sweep
    from fibdash.sweep_runners import in_processes, on_ray, start_ray

    point_runner = None
    if path == "jobs2":
        point_runner = in_processes(2)
    elif path == "ray2":
        start_ray(num_cpus=2)
        point_runner = on_ray()
    started = time.perf_counter()
    result = run_sweep(base, VARY, SEEDS, point_runner=point_runner)
    seconds = time.perf_counter() - started
    return {
        "path": path,
        "trainings": len(result.table),
        "seconds": seconds,
        "test_mse": result.table["test MSE"].tolist(),  # in grid order, then model, then seed
    }


def ray_installed() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    if len(sys.argv) == 2:
        print(MARK + json.dumps(measure(sys.argv[1])))  # marked: Ray's workers print to stdout too
        return
    rows = {}
    for path in ("plain", "local", "jobs2", "ray2"):
        if path == "ray2" and not ray_installed():
            print("ray2: skipped, Ray is not installed (pip install -r requirements-ray.txt)")
            continue
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_sweep", path], capture_output=True, text=True, check=True
        )
        rows[path] = json.loads(
            next(line for line in out.stdout.splitlines() if line.startswith(MARK))[len(MARK) :]
        )
        print(json.dumps({key: value for key, value in rows[path].items() if key != "test_mse"}))
    plain = rows["plain"]
    plain_seconds = plain["seconds"] * TRAININGS / plain["trainings"]
    print(
        f"\nSweep: 2 scalings x 3 hidden sizes x 2 models x {SEEDS} seeds = {TRAININGS} trainings "
        "of the tutorial config (n=1200, time_steps=20, 30 epochs, batch size 1)"
    )
    print(f"plain: measured {plain['trainings']} of the {TRAININGS} trainings and scaled its time")
    print(f"{'path':<6} {'seconds':>8} {'trainings/s':>12} {'plain / path':>13} {'local / path':>13}")
    print(f"{'plain':<6} {plain_seconds:>8.1f} {TRAININGS / plain_seconds:>12.2f} {1:>12.0f}x {'':>13}")
    local = rows["local"]
    for path, row in rows.items():
        if path == "plain":
            continue
        print(
            f"{path:<6} {row['seconds']:>8.1f} {row['trainings'] / row['seconds']:>12.2f} "
            f"{plain_seconds / row['seconds']:>12.0f}x {local['seconds'] / row['seconds']:>12.2f}x"
        )
    for path, row in rows.items():
        if path not in ("plain", "local"):
            same = row["test_mse"] == local["test_mse"]
            print(
                f"{path}: {'the same' if same else 'NOT the same'} test MSEs as local, {TRAININGS} trainings"
            )


if __name__ == "__main__":
    main()
