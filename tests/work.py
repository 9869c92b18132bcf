"""Work for the worker-process tests: module-level functions (pickled by reference), no TensorFlow."""

from __future__ import annotations

import os
import time

from fibdash.engine.records import EpochLog


def count_epochs(count: int, seconds: float, report) -> int | None:
    """Report epochs 1..count, `seconds` apart; None as soon as asked to stop."""
    for epoch in range(1, count + 1):
        time.sleep(seconds)
        if report(epoch):
            return None
    return count


def long_epoch(seconds: float, report) -> str:
    """One epoch that takes `seconds` and never looks at stop requests in between."""
    report(0)
    time.sleep(seconds)
    report(1)
    return "finished"


def fail_after_one_epoch(report) -> None:
    report(1)
    raise RuntimeError("out of memory")


def hold_memory(megabytes: int, seconds: float, report) -> int:
    """Touch `megabytes` of memory, then hold it for `seconds`."""
    block = bytearray(os.urandom(1)) * (megabytes * 2**20)
    report(len(block))
    time.sleep(seconds)
    return len(block)


def unpicklable_result(report):
    return lambda: None


def process_id() -> int:
    return os.getpid()


def echo(value):
    return value


def slow_echo(value, seconds: float):
    time.sleep(seconds)
    return value


def megabytes(count: int) -> bytes:
    return bytes(count * 2**20)


def return_megabytes(count: int, report) -> bytes:
    """A result of `count` MB."""
    report(count)
    return megabytes(count)


def burn(seconds: float, report) -> float | None:
    """Use `seconds` of processor time (one thread), reporting every tenth of a second of it."""
    started = time.thread_time()
    reported = 0.0
    while (used := time.thread_time() - started) < seconds:
        if used - reported >= 0.1:
            reported = used
            if report(used):
                return None
    return used


def burn_slowly(seconds: float, wall_seconds: float, report) -> float:
    """Use `seconds` of processor time spread over `wall_seconds`, as a job on a loaded machine does."""
    steps = 10
    for _ in range(steps):
        burn(seconds / steps, report)
        time.sleep((wall_seconds - seconds) / steps)
    return seconds


# In place of a page's training (`tasks.train_pair`, called with its config, windows and report): each
# ends the job its own way as soon as it starts.
def fails_at_once(*args) -> None:
    raise RuntimeError("out of memory")


def exits_at_once(*args) -> None:
    os._exit(3)


def burns_on(*args) -> float | None:
    return burn(60.0, args[-1])


def first_epoch_on_and_on(*args) -> None:
    """Both models' first epoch of 30, reported every 0.05 s for a minute or until stopped."""
    report = args[-1]
    for _ in range(1200):
        if any([report(EpochLog(kind, 1, 30, 0.5, 0.25)) for kind in ("rnn", "attention")]):
            return None
        time.sleep(0.05)
    return None


def pair_after_pause(*args) -> object:
    """The real pair of `tasks.train_pair`'s arguments, three seconds late: a short job kept waiting (a
    class's, on cores its browsers share)."""
    from fibdash.serving.tasks import train_pair

    time.sleep(3)
    return train_pair(*args)


# A job of one seed (its args: the seed and how long it trains), and its batch: the jobs' seeds in one call,
# each job's result as its own function would give it alone.
def seed_alone(seed: int, seconds: float, report) -> int | None:
    return seeds_together(((seed, seconds),), report)[0]


def seeds_together(each, report) -> list[int] | None:
    """Train for the longest of the jobs' seconds, reporting every 0.05 s; each job's seed times 10."""
    steps = max(round(seconds / 0.05) for _, seconds in each)
    for step in range(steps):
        time.sleep(0.05)
        if report(step):
            return None
    return [seed * 10 for seed, _ in each]
