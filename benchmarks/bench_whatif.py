"""Benchmark: how long the Compare page's what-if answer takes, in the worker as the server asks it.

Trains the tutorial pair in a worker process, then times `tasks.what_if` on edited test windows
through the worker's quick lane: the first question, the next ones, and one asked while another
training runs in the job lane. Target: within a second.

    python -m benchmarks.bench_whatif      (from the repository root; about half a minute)
"""

from __future__ import annotations

import time

from fibdash.config import TrainConfig
from fibdash.data import make_dataset
from fibdash.serving import tasks
from fibdash.serving.worker import Worker


def ask(worker: Worker, models: dict, window) -> float:
    started = time.perf_counter()
    worker.call(tasks.what_if, models, window).result(60)
    return time.perf_counter() - started


def main() -> None:
    worker = Worker(warm_up=tasks.warm_up)
    worker.ready.wait(300)
    config = TrainConfig()
    data = make_dataset(config.data)
    _, trained = worker.submit(tasks.train_pair, config, data.windows())
    models = {kind: (pair.config, pair.weights) for kind, pair in trained.result(300).items()}
    edited = data.test_X[:6].copy()
    edited[:, -1, 0] *= 2  # each window's last input doubled
    first = ask(worker, models, edited[:1])
    then = [ask(worker, models, edited[i : i + 1]) for i in range(1, 5)]
    long = TrainConfig(epochs=2000, hidden_units=32, seed=3)
    worker.submit(tasks.train_pair, long, make_dataset(long.data).windows())  # runs until killed below
    time.sleep(3)  # in its epochs by now
    beside = ask(worker, models, edited[5:6])
    worker.kill()
    print(f"what-if, first question: {first * 1000:.1f} ms")
    print(f"what-if, the next ones: {min(then) * 1000:.1f} to {max(then) * 1000:.1f} ms")
    print(f"what-if while a training runs in the worker: {beside * 1000:.1f} ms (target: within a second)")


if __name__ == "__main__":
    main()
