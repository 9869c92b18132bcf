"""How long a job will take, estimated from its size before it starts, and whether a server runs it.

Training time grows with the optimizer steps, the time steps each step runs through and the
size of the cell; a study multiplies the arithmetic by its seeds. The estimate is a linear
model of those sizes whose coefficients were fitted to measured trainings on this project's
reference machine (2 cores, no GPU) by `benchmarks/calibrate_budget.py`, which writes
`calibration.json` next to this module. No TensorFlow here: the server estimates, the worker trains.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from fibdash.config import MAX_EPOCHS, MAX_HIDDEN_UNITS, MAX_N, MODEL_KINDS, SEED_COUNTS, TrainConfig
from fibdash.tasks import OCCLUSION_WORK

CALIBRATION = Path(__file__).with_name("calibration.json")
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}  # weight matrices per cell: its arithmetic per step
PREDICTED_WINDOWS = MAX_N - 1  # the compiled loop predicts every (padded) window after each epoch


def features(config: TrainConfig, seeds: int = 1) -> dict[str, float]:
    """The sizes the estimate is linear in, for both models of `config` over `seeds` seeds.

    Both models of every seed train in one compiled program (`fibdash.training`): one compilation,
    one loop over the steps, arithmetic for each of its 2 x seeds members. A pair (one seed) also
    measures what drives each model's predictions (`fibdash.tasks`), by occlusion up to a cap.
    """
    c = config
    batches = math.ceil(c.data.n_train / c.batch_size)
    steps = c.data.time_steps
    cell = GATES[c.cell] * c.hidden_units * (c.hidden_units + 2)  # multiply-adds per step and window
    members = len(MODEL_KINDS) * seeds
    occlusion = c.data.n_test * (steps + 1) * steps * max(c.hidden_units, 2) ** 2
    return {
        "programs": 1.0,  # compiling the epoch loop of both models
        "step_time_steps": c.epochs * batches * steps,  # the loop's own iterations
        "member_time_steps": c.epochs * batches * steps * members,  # each member's work besides its cell
        "training_arithmetic": c.epochs * batches * steps * c.batch_size * members * cell,
        "prediction_arithmetic": c.epochs * steps * PREDICTED_WINDOWS * members * cell,
        "importance": min(occlusion, OCCLUSION_WORK) if seeds == 1 else 0.0,
    }


@cache
def coefficients() -> dict[str, float]:
    """Seconds per unit of each feature, as calibrated."""
    return json.loads(CALIBRATION.read_text())["coefficients"]


def estimate_seconds(config: TrainConfig, seeds: int = 1) -> float:
    """Estimated seconds to train both models of `config` (over `seeds` seeds, for a study)."""
    weights = coefficients()
    return sum(weights[name] * value for name, value in features(config, seeds).items())


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


# What a user can lower (or raise, for the batch size) to make a job smaller, and its bounds.
_SHRINKABLE: dict[str, tuple[int, int]] = {
    "epochs": (1, MAX_EPOCHS),
    "time_steps": (1, MAX_N - 2),
    "hidden_units": (1, MAX_HIDDEN_UNITS),
    "seeds": (1, 30),
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


def _largest_within(config: TrainConfig, seeds: int, name: str, budget: float) -> int | None:
    """The largest value of setting `name` below its current one that fits `budget` alone."""
    current = {"seeds": seeds, "time_steps": config.data.time_steps}.get(name) or getattr(config, name)
    low, _ = _SHRINKABLE[name]
    best = None
    high = current - 1
    while low <= high:  # the estimate grows with each of these settings: bisect
        middle = (low + high) // 2
        changed = _with(config, seeds, name, middle)
        if changed is not None and estimate_seconds(*changed) <= budget:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def refusal(config: TrainConfig, budget: float | None, seeds: int = 1, what: str = "training") -> str | None:
    """Why a server with `budget` seconds per job refuses this job, naming what to reduce; None if it fits."""
    if budget is None:
        return None
    seconds = estimate_seconds(config, seeds)
    if seconds <= budget:
        return None
    names = ["epochs", "time_steps", "hidden_units"] + (["seeds"] if seeds > 1 else [])
    fits = []
    for name in names:
        value = _largest_within(config, seeds, name, budget)
        if value is not None:
            fits.append(f"{name} {value}")
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
