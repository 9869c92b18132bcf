"""Benchmark: the tutorial's pair of models, plain Keras `fit` loop against fibdash's fast paths.

Trains both models of the tutorial config (n=1200, time_steps=20, 30 epochs, batch size 1)
each way in its own subprocess (so each gets its own peak memory figure), and times the
training only, TensorFlow's import apart:
- plain:  Keras' `fit`, `train(fast=False)` for each model, the reference;
- before: the fast path as it was before one engine (revision BEFORE, run from a copy of it);
- fast:   `train()` for each model, as the command line and the Train page call it;
- pair:   `train_pair()`, both models at once.
The paths take turns, round after round; medians are printed, with the speed-up over the
plain loop and of each fast path over `before`.

    python -m benchmarks.bench_training [rounds]      (from the repository root; 3 rounds by default)
"""

from __future__ import annotations

import json
import resource
import sys
import time

from benchmarks import BEFORE, ROOT, median, revision_tree, run_process


def measure(path: str) -> dict:
    """Train both models one way; report seconds (training only), steps, test MSEs and peak RSS."""
    from fibdash.config import MODEL_KINDS, TrainConfig
    from fibdash.training import train, train_pair

    config = TrainConfig()
    started = time.perf_counter()
    if path == "pair":
        results = list(train_pair(config).values())
    else:
        results = [train(config, kind, fast=path == "fast") for kind in MODEL_KINDS]
    return {
        "path": path,
        "seconds": time.perf_counter() - started,
        "steps": sum(r.steps for r in results),
        "test_mse": [r.scores.test_mse for r in results],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if sys.argv[1:2] and not sys.argv[1].isdigit():
        print(json.dumps(measure(sys.argv[1])))
        return
    rounds = int(sys.argv[1]) if sys.argv[1:] else 3
    runs: dict[str, list[dict]] = {"plain": [], "before": [], "fast": [], "pair": []}
    with revision_tree() as before_tree:
        for _ in range(rounds):
            for label, tree, path in [
                ("plain", ROOT, "plain"),
                ("before", before_tree, "fast"),  # that revision's own script, same interface
                ("fast", ROOT, "fast"),
                ("pair", ROOT, "pair"),
            ]:
                out = run_process([sys.executable, "-m", "benchmarks.bench_training", path], tree)
                runs[label].append(json.loads(out["stdout"].strip().splitlines()[-1]))
    seconds = {label: median([run["seconds"] for run in label_runs]) for label, label_runs in runs.items()}
    print(f"Tutorial pair, training only, median of {rounds} rounds")
    header = f"{'path':<7} {'seconds':>8} {'steps':>7} {'peak RSS MB':>12} {'x plain':>8}"
    print(f"{header}  test MSE (rnn, attention)")
    for label, label_runs in runs.items():
        rss = median([run["peak_rss_mb"] for run in label_runs])
        mses = ", ".join(f"{m:.3e}" for m in label_runs[-1]["test_mse"])
        steps, speed_up = label_runs[-1]["steps"], seconds["plain"] / seconds[label]
        print(f"{label:<7} {seconds[label]:>8.2f} {steps:>7} {rss:>12.0f} {speed_up:>7.1f}x  {mses}")
    print(
        f"before / fast: {seconds['before'] / seconds['fast']:.2f}x, before / pair: "
        f"{seconds['before'] / seconds['pair']:.2f}x (above 1: faster than revision {BEFORE})"
    )


if __name__ == "__main__":
    main()
