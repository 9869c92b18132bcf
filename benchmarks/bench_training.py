"""Benchmark: the tutorial's pair of models, plain Keras `fit` loop against fibdash's fast path.

Each path runs in its own subprocess (so each gets its own peak memory figure) on the tutorial
config: n=1200, time_steps=20, 30 epochs, batch size 1, both models. Prints wall time, optimizer
steps and peak resident memory per path, and the speed-up ratio.

    python -m benchmarks.bench_training      (from the repository root)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def measure(path: str) -> dict:
    """Train both models one way; report seconds (training only), steps and peak RSS."""
    from fibdash.config import MODEL_KINDS, TrainConfig
    from fibdash.training import train

    config = TrainConfig()
    started = time.perf_counter()
    results = [train(config, kind, fast=path == "fast") for kind in MODEL_KINDS]
    return {
        "path": path,
        "seconds": time.perf_counter() - started,
        "steps": sum(r.steps for r in results),
        "test_mse": [r.scores.test_mse for r in results],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if len(sys.argv) == 2:
        print(json.dumps(measure(sys.argv[1])))
        return
    rows = []
    for path in ("plain", "fast"):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_training", path],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'path':<6} {'seconds':>8} {'steps':>7} {'peak RSS MB':>12}  test MSE (rnn, attention)")
    for row in rows:
        mses = ", ".join(f"{m:.3e}" for m in row["test_mse"])
        print(
            f"{row['path']:<6} {row['seconds']:>8.2f} {row['steps']:>7} {row['peak_rss_mb']:>12.0f}  {mses}"
        )
    plain, fast = rows
    print(f"speed-up, plain / fast: {plain['seconds'] / fast['seconds']:.1f}x (target: at least 8x)")


if __name__ == "__main__":
    main()
