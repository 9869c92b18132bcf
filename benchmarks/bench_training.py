"""Benchmark: the tutorial's pair of models (n=1200, time_steps=20, 30 epochs, batch size 1), training only.

Each path runs in its own subprocess, round after round, and reports its training seconds (imports
apart), optimizer steps, test MSEs and peak memory:
- keras:  Keras' own `fit`, one model after the other (`fibdash.keras.reference`), the reference;
- engine: `train_pair`, both models at once, with its compiled code in the cache;
- chrono: the same, the windows split in time (`--split chronological`, issue 25);
- floor:  benchmarks/floor.c, both networks as one fused C loop written for this configuration only,
          compiled with the system's C compiler (`cc -O2`) and fed the same windows, order and
          initial weights: the physical floor of this training on this machine.
Then each other attention head (issue 26): the same pair with `--attention additive`, dot, self and
uniform, the engine's rounds beside the tutorial head's (the target: each within 2x of it) and one
round of Keras' `fit` (each takes minutes); and the engine's pairs of every head at 32 hidden units,
where the projections of additive and self-attention weigh. Then the engine's first training in a fresh
process: compiling from scratch (an empty Numba cache, the shipped compiled code left packed), with an
empty cache as on a new Streamlit Community Cloud container (the shipped code unpacked into it), and in
the next process, with that cache present.

    python -m benchmarks.bench_training [rounds]      (from the repository root; 3 rounds by default)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import ROOT, median, run_process
from fibdash.engine.compiled import fresh_environment

# The other heads, and the larger size at which their pairs are timed besides the tutorial's
HEADS = ("additive", "dot", "self", "uniform")
LARGER = {"hidden_units": 32, "epochs": 3}


def measure(path: str) -> dict:
    """Train both models one way; report seconds (training only), steps, test MSEs and peak RSS. A path
    "engine:self" or "keras:self" trains with that attention head, "large:self" the engine at LARGER."""
    from dataclasses import replace

    from fibdash.config import MODEL_KINDS, TrainConfig
    from fibdash.data import make_dataset

    path, _, attention = path.partition(":")
    config = TrainConfig(attention=attention or "tutorial")
    if path == "chrono":
        config = replace_split(config, "chronological")
    if path == "large":
        config, path = replace(config, **LARGER), "engine"
    data = make_dataset(config.data)
    if path == "keras":
        from fibdash.keras.reference import fit_many

        started = time.perf_counter()
        runs = fit_many(config, MODEL_KINDS, [config.seed], data=data)
        results = [runs[kind][0] for kind in MODEL_KINDS]
    else:
        from fibdash.engine.training import train_pair

        train_pair(replace_epochs(config, 1), data.windows())  # loads the compiled code from its cache
        started = time.perf_counter()
        results = list(train_pair(config, data.windows()).values())
    return {
        "seconds": time.perf_counter() - started,
        "steps": sum(r.steps for r in results),
        "test_mse": [r.test_mse for r in results],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def replace_epochs(config, epochs: int):
    from dataclasses import replace

    return replace(config, epochs=epochs)


def replace_split(config, split: str):
    from dataclasses import replace

    return replace(config, data=replace(config.data, split=split))


def floor_input() -> bytes:
    """The floor program's input: the engine's windows, window order and initial weights, as bytes."""
    from fibdash.config import TrainConfig
    from fibdash.data import make_dataset
    from fibdash.engine.initial import initial_weights
    from fibdash.engine.layout import Layout

    config = TrainConfig()
    data = make_dataset(config.data)
    n_train, n_test, steps = config.data.n_train, config.data.n_test, config.data.time_steps
    rng = np.random.default_rng(config.seed)
    rows = np.concatenate([data.train_idx[rng.permutation(n_train)] for _ in range(config.epochs)])
    layout = Layout.of(config)
    header = np.array([len(data.y), steps, config.hidden_units, n_train, config.epochs, n_test])
    parts = [
        header.astype(np.int32),
        data.X[..., 0].astype(np.float32),
        data.y.astype(np.float32),
        rows.astype(np.int32),
        data.test_idx.astype(np.int32),
        np.array([config.learning_rate], np.float32),
        *(layout.flat(initial_weights(config, kind), kind) for kind in ("rnn", "attention")),
    ]
    return b"".join(np.ascontiguousarray(part).tobytes() for part in parts)


def floor(program: Path, data: bytes) -> dict:
    out = subprocess.run([str(program)], input=data, capture_output=True, check=True).stdout.decode().split()
    # lines: "rnn SECONDS TEST_MSE", "attention SECONDS TEST_MSE"
    seconds = float(out[1]) + float(out[4])
    return {
        "seconds": seconds,
        "steps": 2 * 30 * 826,
        "test_mse": [float(out[2]), float(out[5])],
        "peak_rss_mb": 0,
    }


def measured(path: str) -> dict:
    """`measure(path)` in a process of its own."""
    out = run_process([sys.executable, "-m", "benchmarks.bench_training", path], ROOT)
    return json.loads(out["stdout"].strip().splitlines()[-1])


def head_round(heads: dict[str, dict[str, list[dict]]]) -> None:
    """One round of each head's engine runs, at the tutorial's size and at LARGER, into `heads`."""
    for head, runs in heads.items():
        for path in ("engine", "large") if head != "tutorial" else ("large",):
            runs[path].append(measured(f"{path}:{head}"))


def print_heads(heads: dict[str, dict[str, list[dict]]], seconds: dict[str, float], rounds: int) -> None:
    """Each head's pair beside the tutorial head's (the rounds above) and beside Keras' fit."""
    print(
        f"\nEach attention head's pair, the tutorial's settings otherwise, engine: median of {rounds} rounds"
    )
    header = f"{'head':<9} {'engine s':>8} {'x tutorial':>10} {'Keras fit s':>11} {'x keras':>8}"
    print(f"{header}  test MSE (rnn, attention)")
    worst = 0.0
    for head, runs in heads.items():
        if head == "tutorial":
            engine, keras, mses = seconds["engine"], seconds["keras"], ""
        else:
            engine, keras = median([run["seconds"] for run in runs["engine"]]), runs["keras"][0]["seconds"]
            mses = ", ".join(f"{m:.4e}" for m in runs["engine"][-1]["test_mse"])
            worst = max(worst, engine / seconds["engine"])
        ratio = engine / seconds["engine"]
        print(f"{head:<9} {engine:>8.3f} {ratio:>10.2f} {keras:>11.1f} {keras / engine:>7.0f}x  {mses}")
    print(f"slowest head / the tutorial's: {worst:.2f} (target: within 2)")
    larger = ", ".join(f"{name} {value}" for name, value in LARGER.items())
    tutorial = median([run["seconds"] for run in heads["tutorial"]["large"]])
    print(f"\nat {larger}: engine seconds (x the tutorial head's)")
    for head, runs in heads.items():
        large = median([run["seconds"] for run in runs["large"]])
        print(f"{head:<9} {large:>8.3f} {large / tutorial:>10.2f}")


def first_pair_seconds() -> dict[str, float]:
    """The engine's first tutorial pair in a fresh process, in wall seconds from its start: compiling from
    scratch (an empty cache, the shipped code left packed), on a fresh machine (an empty cache, the shipped
    code unpacked), and with the cache those left."""
    script = (
        "import time; t = time.perf_counter(); from fibdash.engine.training import train_pair; "
        "from fibdash.config import TrainConfig; from fibdash.data import make_dataset; "
        "config = TrainConfig(epochs=1); train_pair(config, make_dataset(config.data).windows()); "
        "print(time.perf_counter() - t)"
    )

    def first(cache: str, from_scratch: bool = False) -> float:
        env = fresh_environment(cache, from_scratch)
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        return float(done.stdout)

    with (
        tempfile.TemporaryDirectory(prefix="fibdash-numba-") as scratch,
        tempfile.TemporaryDirectory(prefix="fibdash-numba-") as fresh,
    ):
        return {
            "compiling from scratch": first(scratch, from_scratch=True),
            "a fresh machine (the shipped code)": first(fresh),
            "the cache present": first(fresh),
        }


def main() -> None:
    if sys.argv[1:2] and not sys.argv[1].isdigit():
        print(json.dumps(measure(sys.argv[1])))
        return
    rounds = int(sys.argv[1]) if sys.argv[1:] else 3
    runs: dict[str, list[dict]] = {"keras": [], "engine": [], "chrono": [], "floor": []}
    heads: dict[str, dict[str, list[dict]]] = {
        head: {"engine": [], "large": []} for head in ("tutorial", *HEADS)
    }
    compiler = shutil.which("cc") or shutil.which("gcc")
    with tempfile.TemporaryDirectory() as folder:
        program = Path(folder) / "floor"
        if compiler:
            subprocess.run(
                [compiler, "-O2", "-o", str(program), str(ROOT / "benchmarks" / "floor.c"), "-lm"], check=True
            )
            data = floor_input()
        for _ in range(rounds):
            for path in ("keras", "engine", "chrono"):
                runs[path].append(measured(path))
            if compiler:
                runs["floor"].append(floor(program, data))
            head_round(heads)
    for head in HEADS:  # minutes each: one round
        heads[head]["keras"] = [measured(f"keras:{head}")]
    if not runs["floor"]:
        del runs["floor"]
        print("no C compiler (cc, gcc): the floor is not measured")
    seconds = {label: median([run["seconds"] for run in label_runs]) for label, label_runs in runs.items()}
    print(f"Tutorial pair, training only, median of {rounds} rounds ({os.cpu_count()} CPUs)")
    header = f"{'path':<7} {'seconds':>8} {'steps':>7} {'peak RSS MB':>12} {'x keras':>8}"
    print(f"{header}  test MSE (rnn, attention)")
    for label, label_runs in runs.items():
        rss = median([run["peak_rss_mb"] for run in label_runs])
        mses = ", ".join(f"{m:.4e}" for m in label_runs[-1]["test_mse"])
        steps, speed_up = label_runs[-1]["steps"], seconds["keras"] / seconds[label]
        print(f"{label:<7} {seconds[label]:>8.3f} {steps:>7} {rss:>12.0f} {speed_up:>7.0f}x  {mses}")
    print(f"engine vs Keras fit: {seconds['keras'] / seconds['engine']:.0f}x (target: at least 500x)")
    print(f"split in time / the tutorial's shuffle: {seconds['chrono'] / seconds['engine']:.2f} (target: 1)")
    if "floor" in seconds:
        print(f"engine / C floor: {seconds['engine'] / seconds['floor']:.2f} (target: within 2)")
    print_heads(heads, seconds, rounds)
    print("the first tutorial pair in a fresh process, seconds from its start:")
    for moment, seconds_taken in first_pair_seconds().items():
        print(f"  {moment:<36} {seconds_taken:>6.1f}")


if __name__ == "__main__":
    main()
