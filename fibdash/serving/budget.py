"""How long a job will take, estimated from its size before it starts, and whether a server runs it.

A job trains both models over one seed (a pair) or many (a study; a sweep is a study per grid point),
once per fold under a backtest. Its members share out over the worker's threads, so its time is that
of its busiest thread, whose
members' optimizer steps, predictions and per-epoch work the estimate counts; a pair also measures
what drives each model's predictions. The estimate is linear in those sizes, with coefficients fitted
by `benchmarks/calibrate_budget.py` to jobs measured on this project's reference machine (2 cores, no
GPU), each on a quiet machine and beside another busy process, as a server's jobs run beside its
pages: it aims at the busy run, so that on a quiet machine a job takes less than estimated. They
are written to `calibration.json` next to this module. Nothing here trains: the server estimates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from fibdash.config import GATES, MAX_EPOCHS, MAX_HIDDEN_UNITS, MAX_N, MODEL_KINDS, SEED_COUNTS, TrainConfig
from fibdash.engine.layout import Layout
from fibdash.engine.records import Training
from fibdash.serving.tasks import head_work, importance_methods, occlusion_work
from fibdash.serving.worker import worker_threads

CALIBRATION = Path(__file__).with_name("calibration.json")


def busiest_thread(seeds: int, threads: int, kinds: Sequence[str] = MODEL_KINDS) -> tuple[int, int]:
    """(attention members, RNN members) the busiest thread trains of `kinds` over `seeds` seeds: the threads
    take the members in turn as they finish, attention's (the dearer) first, so each gets its share of
    either kind."""
    members = -(-len(kinds) * seeds // threads)
    attention = -(-seeds // threads) if "attention" in kinds else 0
    return attention, members - attention


# Sigmoids and activations a cell computes per unit and step: LSTM's i, f, o gates and GRU's z and r
# are sigmoids whatever the activation, which LSTM applies twice (g and the cell) and the others once.
_SIGMOIDS, _ACTIVATIONS = {"SimpleRNN": 0, "LSTM": 3, "GRU": 2}, {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}
_TRANSCENDENTAL = ("tanh", "sigmoid")  # an exponential each; relu and linear are a compare or nothing


# A trained window step is a forward and a backward pass, about three forward passes of work; counting
# it so lets one coefficient per kind of work price trained and predicted steps alike.
TRAINING = 3.0


def features(
    config: TrainConfig,
    seeds: int = 1,
    threads: int | None = None,
    explained: int | None = None,
    kinds: Sequence[str] = MODEL_KINDS,
) -> dict[str, float]:
    """The sizes the estimate is linear in, for both models of `config` (or those of `kinds`) over `seeds`
    seeds on `threads` threads (the worker's by default): work is counted in forward passes of one window
    step. `explained`: how many of the seeds' pairs also measure what drives their predictions, as a pair
    does (a batch of pairs, each of its seeds); by default the one seed of a pair, none of a study's."""
    c = config
    attention, rnn = busiest_thread(seeds, threads or worker_threads(), kinds)
    steps, units, gates = c.data.time_steps, c.hidden_units, GATES[c.cell]
    # window steps the busiest thread runs forward: its training (forward and back), then the test
    # windows after every epoch, then every window once at the end
    windows = TRAINING * c.epochs * c.data.n_train + c.epochs * c.data.n_test + c.data.n_samples
    passes = windows * steps * (attention + rnn)
    exponentials = units * (_SIGMOIDS[c.cell] + _ACTIVATIONS[c.cell] * (c.activation in _TRANSCENDENTAL))
    cell = gates * units * (units + 2)  # multiply-adds of a step in the cell's kernels
    head, head_steps = head_work(c), windows * steps * attention  # the attention model's head, where it runs
    layout = Layout.of(c)
    head_weights = layout.size("attention") - layout.size("rnn")
    batches = -(-c.data.n_train // c.batch_size)  # optimizer steps of an epoch, a short last batch included
    explained = (1 if seeds == 1 else 0) if explained is None else explained
    return {
        "job": 1.0,
        "epochs": float(c.epochs),
        "member_epochs": float(c.epochs * len(kinds) * seeds),  # each epoch's Python work for each member
        "initial_weights": len(kinds) * seeds * gates * units**2,  # Keras' orthogonal initializer, replayed
        "steps": passes,
        "exponentials": passes * exponentials + head_steps * head.exponentials,
        "arithmetic": passes * cell + head_steps * head.projections,
        "attention": head_steps * head.steps,  # its scores, softmax and context
        # Adam updates every weight once an optimizer step, whatever the time steps: with few of them and
        # many units (time_steps 4, 128 units) it outweighs the forward and backward passes
        "optimizer": c.epochs * batches * ((attention + rnn) * cell + attention * head_weights),
        "occlusion": explained * occlusion_work(c) / 2 if "occlusion" in importance_methods(c) else 0.0,
        "gradient_x_input": explained * TRAINING * c.data.n_test * steps * cell,
    }


@cache
def coefficients() -> dict[str, float]:
    """Seconds per unit of each feature, as calibrated."""
    return json.loads(CALIBRATION.read_text())["coefficients"]


def estimate_seconds(
    config: TrainConfig, seeds: int = 1, explained: int | None = None, kinds: Sequence[str] = MODEL_KINDS
) -> float:
    """Estimated seconds to train both models of `config` (or those of `kinds`; over `seeds` seeds, for a
    study; `explained` as `features` takes it): under a backtest, every fold's training, one after another."""
    weights = coefficients()
    return sum(
        weights[name] * value
        for fold in config.fold_configs()
        for name, value in features(fold, seeds, explained=explained, kinds=kinds).items()
    )


def trainings_seconds(trainings: Sequence[Training], seeds: int) -> float:
    """Estimated seconds of a job of several trainings over `seeds` seeds, one after another (a variants
    study's, each attention head priced as its own)."""
    return sum(estimate_seconds(training.config, seeds, kinds=training.kinds) for training in trainings)


def pairs_seconds(config: TrainConfig, pairs: int) -> float:
    """Estimated seconds to train `pairs` pairs of `config` that differ only in seed as one call, each as
    a pair alone would be (a batch of the Train page's jobs): a study of that many seeds, each explained."""
    return estimate_seconds(config, pairs, explained=pairs)


def most_pairs(config: TrainConfig, budget: float | None) -> int:
    """The most pairs of `config` one call trains (see `pairs_seconds`): as many as fit `budget` together,
    at least one, and at most as many seeds as the largest study."""
    low, high = 1, SEED_COUNTS[-1]
    while budget is not None and low < high:  # the estimate grows with the pairs: bisect
        middle = (low + high + 1) // 2
        if pairs_seconds(config, middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return high if budget is None else low


def describe_seconds(seconds: float, limit: float | None = None) -> str:
    """A duration in words a person reads at a glance: "about 8 s", "about 3 min", "about 2.0 h".

    Beside a `limit` it is over, it is rounded finely enough to read as over it: 88 s beside a
    one-minute limit is "about 88 s", not "about 1 min".
    """
    over = limit is not None and seconds > limit
    if seconds >= 3600:
        hours = round(seconds / 3600, 1)
        if not over or hours * 3600 > limit:
            return f"about {hours:.1f} h"
    if seconds >= 60:
        minutes = round(seconds / 60)
        if not over or minutes * 60 > limit:
            return f"about {minutes} min"
    # whole seconds, rounded up when over the limit: never down onto it
    return f"about {max(1, math.ceil(seconds) if over else round(seconds))} s"


# What a user can lower to make a job smaller, and its bounds.
_SHRINKABLE: dict[str, tuple[int, int]] = {
    "epochs": (1, MAX_EPOCHS),
    "time_steps": (1, MAX_N - 2),
    "hidden_units": (1, MAX_HIDDEN_UNITS),
    "seeds": (SEED_COUNTS[0], SEED_COUNTS[-1]),
}


def _with(config: TrainConfig, seeds: int, name: str, value: int) -> tuple[TrainConfig, int] | None:
    """`config` and `seeds` with one setting changed, or None where that is not a valid config."""
    try:
        if name == "seeds":
            return config, value
        if name == "time_steps":
            return replace(config, data=replace(config.data, time_steps=value)), seeds
        return replace(config, **{name: value}), seeds
    except ValueError:
        return None


# What a job of a config over some seeds is estimated to take: `estimate_seconds` (both models), or another
# kind of job's (a variants study's).
Estimate = Callable[[TrainConfig, int], float]


def _largest_within(
    config: TrainConfig, seeds: int, name: str, budget: float, estimate: Estimate = estimate_seconds
) -> int | None:
    """The largest value of setting `name` below its current one that fits `budget` alone."""
    current = {"seeds": seeds, "time_steps": config.data.time_steps}.get(name) or getattr(config, name)
    values = SEED_COUNTS if name == "seeds" else range(_SHRINKABLE[name][0], current)
    candidates = [value for value in values if value < current]
    best = None
    low, high = 0, len(candidates) - 1
    while low <= high:  # the estimate grows with each of these settings: bisect
        middle = (low + high) // 2
        changed = _with(config, seeds, name, candidates[middle])
        if changed is not None and estimate(*changed) <= budget:
            best, low = candidates[middle], middle + 1
        else:
            high = middle - 1
    return best


def suggestions(
    config: TrainConfig, budget: float, seeds: int = 1, estimate: Estimate = estimate_seconds
) -> list[tuple[str, int]]:
    """Each setting that, lowered alone to the value given, makes the job fit `budget` (as `estimate`
    prices it)."""
    names = ["epochs", "time_steps", "hidden_units"] + (["seeds"] if seeds > 1 else [])
    return [
        (name, value)
        for name in names
        if (value := _largest_within(config, seeds, name, budget, estimate)) is not None
    ]


def refusal(
    config: TrainConfig,
    budget: float | None,
    seeds: int = 1,
    what: str = "training",
    estimate: Estimate = estimate_seconds,
) -> str | None:
    """Why a server with `budget` seconds per job refuses this job (of both models of `config` over `seeds`
    seeds, or what `estimate` prices), naming what to reduce; None if it fits."""
    if budget is None:
        return None
    seconds = estimate(config, seeds)
    if seconds <= budget:
        return None
    fits = [f"{name} {value}" for name, value in suggestions(config, budget, seeds, estimate)]
    advice = (
        f"Alone, any of these would fit: {', '.join(fits)}."
        if fits
        else "Lower several settings at once: epochs, time steps, hidden units, n or the training fraction."
    )
    return (
        f"This {what} would take {describe_seconds(seconds, budget)} on this server, which runs jobs of at "
        f"most {describe_seconds(budget).removeprefix('about ')} so that every visitor gets a turn. {advice} "
        "Run it on your own machine for longer jobs (see the README)."
    )


def sweep_seconds(configs: Sequence[TrainConfig], seeds: int) -> float:
    """Estimated seconds of a sweep: a study of `seeds` seeds at every grid point's config."""
    return sum(estimate_seconds(config, seeds) for config in configs)


def sweep_refusal(configs: Sequence[TrainConfig], budget: float | None, seeds: int) -> str | None:
    """Why a server with `budget` seconds per job refuses this sweep, naming what to reduce, or None."""
    if budget is None:
        return None
    seconds = sweep_seconds(configs, seeds)
    if seconds <= budget:
        return None
    largest = max(configs, key=lambda config: estimate_seconds(config, seeds))
    fewer_seeds = [s for s in SEED_COUNTS if s < seeds and sweep_seconds(configs, s) <= budget]
    advice = [f"fewer values (it has {len(configs)} grid points)"]
    if fewer_seeds:
        advice.append(f"{fewer_seeds[-1]} seeds instead of {seeds}")
    advice.append(
        f"a smaller base configuration (its largest point alone takes "
        f"{describe_seconds(estimate_seconds(largest, seeds))})"
    )
    return (
        f"This sweep would take {describe_seconds(seconds, budget)} on this server, which runs jobs of at "
        f"most {describe_seconds(budget).removeprefix('about ')} so that every visitor gets a turn. Try "
        f"{'; or '.join(advice)}. Larger sweeps run on your own machine or a Ray cluster: "
        "`python -m fibdash sweep` (see the README)."
    )
