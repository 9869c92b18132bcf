"""Benchmark: how long the Compare page's what-if answer takes, in the worker as the server asks it.

Trains the tutorial pair in a worker process, then times `tasks.what_if` on edited test windows
through the worker's quick lane: the first question (both `.keras` models loaded), the next ones,
and one asked while another training runs in the job lane. Target: within a second.

    python -m benchmarks.bench_whatif      (from the repository root; about half a minute)
"""

from __future__ import annotations

import time

from fibdash import tasks
from fibdash.config import TrainConfig
from fibdash.data import make_dataset
from fibdash.serving.worker import Worker


def ask(worker: Worker, files: dict[str, bytes], window) -> float:
    started = time.perf_counter()
    worker.call(tasks.what_if, files, window).result(60)
    return time.perf_counter() - started


def main() -> None:
    worker = Worker(warm_up=tasks.warm_up)
    worker.ready.wait(120)
    config = TrainConfig()
    _, trained = worker.submit(tasks.train_pair, config)
    files = {kind: pair.keras_file for kind, pair in trained.result(300).items()}
    windows = make_dataset(config.data).test_X
    edited = windows[:6].copy()
    edited[:, -1, 0] *= 2  # each window's last input doubled
    first = ask(worker, files, edited[:1])
    then = [ask(worker, files, edited[i : i + 1]) for i in range(1, 5)]
    _, busy = worker.submit(tasks.train_pair, TrainConfig(epochs=300, seed=3))
    time.sleep(3)  # compiled by now, in its epochs
    beside = ask(worker, files, edited[5:6])
    busy.result(300)
    worker.kill()
    print(f"what-if, first question (loads both models): {first:.2f} s")
    print(f"what-if, the next ones: {min(then):.2f} to {max(then):.2f} s")
    print(f"what-if while a training runs in the worker: {beside:.2f} s (target: within a second)")


if __name__ == "__main__":
    main()
