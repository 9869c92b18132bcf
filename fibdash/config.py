"""Frozen, hashable configs for data and training; they validate themselves and key the caches.

No TensorFlow here: pages that only read configs stay light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

# The series starts 1, 2, 3, 5, ...: value i is F(i + 2). F(1476), value 1474, is the last
# finite float64; stopping at n = 1474 keeps the number after the series finite as well, so
# the Fibonacci rule (sum of the last two values) can never overflow.
MAX_N = 1474
# Unscaled values reach the networks as float32, whose largest value 3.4e38 lies between
# the 185th and 186th number of the series.
MAX_N_UNSCALED = 185
SCALINGS = ("minmax", "none", "log-minmax")
CELLS = ("SimpleRNN", "LSTM", "GRU")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
MODEL_KINDS = ("rnn", "attention")  # the tutorial's two networks: without and with attention
MODEL_LABELS = {"rnn": "RNN", "attention": "RNN + attention"}
MAX_HIDDEN_UNITS = 64
MAX_EPOCHS = 500


def check_int(name: str, value: Any, low: int, high: int | None = None, why: str = "") -> None:
    """Raise ValueError unless `value` is an integer in [low, high]; `why` explains the limit."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    reason = f" ({why})" if why else ""
    if value < low:
        raise ValueError(f"{name} must be at least {low}{reason}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high}{reason}, got {value}")


def check_number(name: str, value: Any, low: float, high: float, high_included: bool) -> None:
    """Raise ValueError unless `value` is a real number in (low, high) or (low, high]."""
    ok = not isinstance(value, bool) and isinstance(value, Real)
    ok = ok and low < value and (value <= high if high_included else value < high)
    if not ok:
        bounds = f"greater than {low} and {'at most' if high_included else 'less than'} {high}"
        raise ValueError(f"{name} must be a number {bounds}, got {value!r}")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    """Raise ValueError unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(choices)}")


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """The seeds as a list; ValueError when empty, repeated or not valid `TrainConfig` seeds."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    for seed in seeds:
        check_int("seed", seed, 0, 2**31 - 1)
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"seeds must be distinct, but {', '.join(map(str, repeated))} repeat")
    return seeds


@dataclass(frozen=True)
class DataConfig:
    """Which series and windows to build; the defaults are the tutorial's."""

    n: int = 1200
    time_steps: int = 20
    train_fraction: float = 0.7
    scaling: str = "minmax"
    split_seed: int = 13

    def __post_init__(self) -> None:
        check_int("n", self.n, 3, MAX_N, "Fibonacci numbers overflow float64 beyond it")
        check_int(
            "time_steps",
            self.time_steps,
            1,
            self.n - 2,
            f"n = {self.n} must leave at least one training and one test window",
        )
        check_number("train_fraction", self.train_fraction, 0, 1, high_included=False)
        check_choice("scaling", self.scaling, SCALINGS)
        check_int("split_seed", self.split_seed, 0, 2**32 - 1)
        if self.n_train < 1:  # flooring never leaves the test split empty, but may the training one
            raise ValueError(
                f"train_fraction {self.train_fraction} of {self.n_samples} windows leaves no training "
                "window: raise train_fraction or n, or lower time_steps"
            )

    def describe(self) -> str:
        return (
            f"n={self.n}, time_steps={self.time_steps}, train fraction {self.train_fraction:g}, "
            f"{self.scaling} scaling"
        )

    @property
    def n_samples(self) -> int:
        return self.n - self.time_steps

    @property
    def n_train(self) -> int:
        return int(self.train_fraction * self.n_samples)  # the tutorial's rounding

    @property
    def n_test(self) -> int:
        return self.n_samples - self.n_train


@dataclass(frozen=True)
class TrainConfig:
    """One training run of either model: the data plus hyperparameters; defaults are the tutorial's."""

    data: DataConfig = field(default_factory=DataConfig)
    hidden_units: int = 2
    epochs: int = 30
    batch_size: int = 1
    learning_rate: float = 0.001
    cell: str = "SimpleRNN"
    activation: str = "tanh"
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.data, DataConfig):
            raise ValueError(f"data must be a DataConfig, got {type(self.data).__name__}")
        check_int("hidden_units", self.hidden_units, 1, MAX_HIDDEN_UNITS)
        check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        check_int(
            "batch_size",
            self.batch_size,
            1,
            self.data.n_train,
            f"there are {self.data.n_train} training windows",
        )
        check_number("learning_rate", self.learning_rate, 0, 1, high_included=True)
        check_choice("cell", self.cell, CELLS)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_int("seed", self.seed, 0, 2**31 - 1)
        if self.data.scaling == "none" and self.data.n > MAX_N_UNSCALED:
            raise ValueError(
                f"with scaling 'none', n must be at most {MAX_N_UNSCALED}: larger Fibonacci "
                "numbers overflow float32, the networks' number type; choose minmax or "
                "log-minmax scaling, or lower n"
            )

    def describe(self, with_seed: bool = True) -> str:
        """The config in words; without the seed, what every seed of a study shares."""
        return (
            f"{self.data.describe()}; {self.cell}({self.hidden_units}), {self.activation}, "
            f"{self.epochs} epochs, batch {self.batch_size}, learning rate {self.learning_rate:g}"
            + (f", seed {self.seed}" if with_seed else "")
        )
