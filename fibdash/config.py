"""Frozen, hashable configs for data and training; they validate themselves and key the caches.

`FIELDS` describes every setting once (label, bounds, help, parsing from text): the dashboard's
widgets, the command line's options and the configs' own checks all read it.
No TensorFlow here: pages that only read configs stay light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from fibdash.quoting import quoted
from fibdash.series import (
    FIBONACCI_MAX_N_UNSCALED,
    FLOAT32_MAX,
    MAX_N,
    SERIES,
    SERIES_WHAT,
    Upload,
    most_values,
)

# Series whose values are all above 0, so that log-minmax can take their logarithms (a CSV is looked at).
POSITIVE_SERIES = ("fibonacci", "mackey-glass", "co2")
# A dataset's windows hold (n - time_steps) x time_steps values: at most this many (4 MB in float32).
MAX_WINDOW_VALUES = 1_000_000
SCALINGS = ("minmax", "none", "log-minmax")
CELLS = ("SimpleRNN", "LSTM", "GRU")
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}  # weight matrices side by side in each cell's kernels
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
MODEL_KINDS = ("rnn", "attention")  # the tutorial's two networks: without and with attention
MODEL_LABELS = {"rnn": "RNN", "attention": "RNN + attention"}
# Bounds of the settings anyone may ask for (the command line too); a server's work budget refuses
# what would hold its one worker too long.
MAX_HIDDEN_UNITS = 128
MAX_EPOCHS = 2000
# A number as the README promises them: ASCII digits with an optional sign, point and exponent ("1e3",
# "-0.5", ".5"), or the words float() reads as infinity and NaN, which the checks then refuse with the
# limit. Python's float() and int() alone would also read other scripts' digits ("١٢٠٠") and underscores
# ("1_200").
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)", re.I)
ASCII_DIGITS = "written in ASCII digits (0-9)"


def foreign_number(text: str) -> bool:
    """Whether Python would read `text` as a number that NUMBER does not allow ("١٢٠٠", "1_200")."""
    if NUMBER.fullmatch(text):
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def written(value: Any) -> str:
    """How a setting's value is written in its box, the address and the command line: 0.001, not
    0.0010000000000000002; 1200, not 1200.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def counted(count: int, noun: str) -> str:
    """`count` of `noun` in words: "1 epoch", "30 epochs"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None, why: str = "") -> None:
    """Raise ValueError unless `value` is an integer in [low, high]; `why` explains the upper limit."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {quoted(value)}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, got {quoted(value)}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high}{f' ({why})' if why else ''}, got {quoted(value)}")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    """Raise ValueError unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(f"unknown {name} {quoted(value)}: choose one of {', '.join(choices)}")


@dataclass(frozen=True)
class Field:
    """One setting, described once: the dashboard's widgets, the command line and the configs use it.

    `low` and `high` are fixed bounds (None: unbounded); bounds that depend on other fields are
    the configs' own checks, which pass them to `check`. A field with `choices` takes only those.
    """

    name: str  # the config's field name; the command line's option is --name-with-dashes
    label: str  # the dashboard's label
    section: str  # "data", "training" or "study"
    kind: type  # int, float or str
    default: Any  # the tutorial's value
    help: str  # one sentence
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    low_included: bool = True  # for floats: whether `low` itself is allowed (ints always include both)
    high_included: bool = True
    high_why: str = ""  # why `high` is the limit, said when a value exceeds it

    @property
    def expects(self) -> str:
        """The values this field takes, in words: "a whole number from 3 to 1474"."""
        if self.choices:
            return f"one of {', '.join(map(str, self.choices))}"
        if self.kind is int:
            if self.low is not None and self.high is not None:
                return f"a whole number from {self.low} to {self.high}"
            return "a whole number" + (f" of at least {self.low}" if self.low is not None else "")
        bounds = []
        if self.low is not None:
            bounds.append(f"{'at least' if self.low_included else 'greater than'} {self.low:g}")
        if self.high is not None:
            bounds.append(f"{'at most' if self.high_included else 'less than'} {self.high:g}")
        return "a number" + (f" {' and '.join(bounds)}" if bounds else "")

    def check(self, value: Any, high: float | None = None, high_why: str = "") -> None:
        """Raise ValueError naming the limit unless `value` is valid; `high`: a tighter bound others set."""
        if self.kind is str:
            check_choice(self.name, value, self.choices)
            return
        if high is None or (self.high is not None and self.high <= high):
            high, high_why = self.high, self.high_why
        if self.kind is int:
            check_int(self.name, value, self.low, high, high_why)
            if self.choices and value not in self.choices:
                raise ValueError(f"{self.name} must be {self.expects}, got {quoted(value)}")
            return
        ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
        if ok and self.low is not None:
            ok = value >= self.low if self.low_included else value > self.low
        if ok and high is not None:
            ok = value <= high if self.high_included else value < high
        if not ok:
            raise ValueError(f"{self.name} must be {self.expects}, got {quoted(value)}")

    def parse(self, text: str) -> Any:
        """The value typed in `text`, checked; ValueError naming the field and its limit otherwise.

        Whole numbers may be written as "1e3" or "1000.0"; choices match whatever their case.
        """
        text = text.strip()
        if not text:
            raise ValueError(
                f"{self.name} is empty: {'choose' if self.kind is str else 'type'} {self.expects}"
            )
        if self.kind is not str and foreign_number(text):
            raise ValueError(f"{self.name} must be {self.expects}, {ASCII_DIGITS}, got {quoted(text)}")
        if self.kind is str:
            value: Any = next((c for c in self.choices if c.lower() == text.lower()), text)
        elif self.kind is int:
            value = self._whole_number(text)
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{self.name} must be {self.expects}, got {quoted(text)}") from None
        self.check(value)
        return value

    def _whole_number(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not number.is_integer():  # fractions, NaN, infinities and words
            raise ValueError(f"{self.name} must be a whole number, got {quoted(text)}")
        return int(number)


# Seed counts a study offers, a slider's stops: from the fewest a paired test can use at all to enough
# for a small effect (100 seeds of the tutorial's pair train in a few seconds).
SEED_COUNTS = (3, 5, 10, 20, 30, 50, 100)
MAX_SEED = 2**31 - 1

FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "series",
            "Series",
            "data",
            str,
            "fibonacci",
            "What the models learn to continue. "
            + " ".join(f"{name}: {what}" for name, what in SERIES_WHAT.items()),
            choices=SERIES,
        ),
        Field(
            "n",
            "Values n",
            "data",
            int,
            1200,
            "How many values of the series to use, from its start (Fibonacci: at most 1474).",
            low=3,
            high=MAX_N,
            high_why="longer series make windows too large for a shared server",
        ),
        Field(
            "time_steps",
            "Time steps per window",
            "data",
            int,
            20,
            "How many numbers each window holds; must leave a training and a test window.",
            low=1,
            high=MAX_N - 1,
        ),
        Field(
            "train_fraction",
            "Training fraction",
            "data",
            float,
            0.7,
            "The share of the windows, drawn at random, that the models train on; the rest test them.",
            low=0.0,
            high=1.0,
            low_included=False,
            high_included=False,
        ),
        Field(
            "scaling",
            "Scaling",
            "data",
            str,
            "minmax",
            "minmax: the tutorial's; log-minmax: MinMax of the logarithms; none: the numbers themselves.",
            choices=SCALINGS,
        ),
        Field(
            "hidden_units",
            "Hidden units",
            "training",
            int,
            2,
            "Units of the recurrent layer.",
            low=1,
            high=MAX_HIDDEN_UNITS,
        ),
        Field(
            "epochs",
            "Epochs",
            "training",
            int,
            30,
            "Passes over the training windows.",
            low=1,
            high=MAX_EPOCHS,
        ),
        Field(
            "batch_size",
            "Batch size",
            "training",
            int,
            1,
            "Windows per optimizer step; at most the number of training windows.",
            low=1,
            high=MAX_N - 1,
        ),
        Field(
            "learning_rate",
            "Learning rate (Adam)",
            "training",
            float,
            0.001,
            "The Adam optimizer's step size.",
            low=0.0,
            high=1.0,
            low_included=False,
        ),
        Field("cell", "Recurrent cell", "training", str, "SimpleRNN", "The recurrent layer.", choices=CELLS),
        Field(
            "activation",
            "Activation",
            "training",
            str,
            "tanh",
            "The recurrent layer's activation.",
            choices=ACTIVATIONS,
        ),
        Field(
            "seed",
            "Seed",
            "training",
            int,
            0,
            "Sets the initial weights and the order the training windows are visited in.",
            low=0,
            high=MAX_SEED,
        ),
        Field(
            "seeds",
            "Seeds in the study",
            "study",
            int,
            10,
            "How many seeds (0, 1, ...) both models train over, all at once.",
            choices=SEED_COUNTS,
        ),
    )
}


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """The seeds as a list; ValueError when empty, repeated or not valid `TrainConfig` seeds."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    for seed in seeds:
        FIELDS["seed"].check(seed)
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"seeds must be distinct, but {', '.join(map(str, repeated))} repeat")
    return seeds


@dataclass(frozen=True)
class DataConfig:
    """Which series and windows to build; the defaults are the tutorial's.

    `upload` is the column of a visitor's file that series "csv" is, and is None for every other series.
    """

    n: int = FIELDS["n"].default
    time_steps: int = FIELDS["time_steps"].default
    train_fraction: float = FIELDS["train_fraction"].default
    scaling: str = FIELDS["scaling"].default
    split_seed: int = 13
    series: str = FIELDS["series"].default
    upload: Upload | None = None

    def __post_init__(self) -> None:
        FIELDS["series"].check(self.series)
        if (self.series == "csv") != (self.upload is not None):
            raise ValueError(
                "series csv needs a file: upload one on the Dataset page, or give --csv"
                if self.upload is None
                else f"a file goes with series csv only, not with {self.series}"
            )
        FIELDS["n"].check(self.n, *most_values(self.series, self.upload))
        FIELDS["time_steps"].check(
            self.time_steps, self.n - 2, f"n = {self.n} must leave at least one training and one test window"
        )
        FIELDS["train_fraction"].check(self.train_fraction)
        FIELDS["scaling"].check(self.scaling)
        check_int("split_seed", self.split_seed, 0, 2**32 - 1)
        if self.n_train < 1:  # flooring never leaves the test split empty, but may the training one
            raise ValueError(
                f"train_fraction {self.train_fraction} of {self.n_samples} windows leaves no training "
                "window: raise train_fraction or n, or lower time_steps"
            )
        if self.n_samples * self.time_steps > MAX_WINDOW_VALUES:
            raise ValueError(
                f"{self.n_samples} windows of {self.time_steps} time steps hold "
                f"{self.n_samples * self.time_steps:,} values, and at most {MAX_WINDOW_VALUES:,} fit a "
                "shared server: lower n or time_steps"
            )
        if self.scaling == "log-minmax" and self.lowest() <= 0:
            raise ValueError(
                f"log-minmax scaling takes logarithms, so every value must be above 0, but the {self.series} "
                f"series goes down to {self.lowest():.3g}: choose minmax or none"
            )

    def lowest(self) -> float:
        """The series' smallest value, or 1 for a built-in series whose values are all above 0."""
        if self.series in POSITIVE_SERIES:
            return 1.0
        if self.upload is not None:
            return float(self.upload.values[: self.n].min())
        return -1.0  # the noisy sine's values go below 0 as surely as its sine does

    def describe(self, public: bool = False) -> str:
        """The config in words; `public`: for every visitor of a server, so a file is not named."""
        source = ""
        if self.upload is not None:
            source = (
                f"an uploaded file (SHA-256 {self.upload.sha256[:12]}), "
                if public
                else f"your file {self.upload.describe()}, "
            )
        elif self.series != FIELDS["series"].default:
            source = f"series {self.series}, "
        return (
            f"{source}n={self.n}, time_steps={self.time_steps}, train fraction {self.train_fraction:g}, "
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
    hidden_units: int = FIELDS["hidden_units"].default
    epochs: int = FIELDS["epochs"].default
    batch_size: int = FIELDS["batch_size"].default
    learning_rate: float = FIELDS["learning_rate"].default
    cell: str = FIELDS["cell"].default
    activation: str = FIELDS["activation"].default
    seed: int = FIELDS["seed"].default

    def __post_init__(self) -> None:
        if not isinstance(self.data, DataConfig):
            raise ValueError(f"data must be a DataConfig, got {type(self.data).__name__}")
        for name in ("hidden_units", "epochs", "learning_rate", "cell", "activation", "seed"):
            FIELDS[name].check(getattr(self, name))
        n_train = self.data.n_train
        FIELDS["batch_size"].check(self.batch_size, n_train, f"there are {n_train} training windows")
        if self.data.scaling != "none":
            return
        if self.data.series == "fibonacci" and self.data.n > FIBONACCI_MAX_N_UNSCALED:
            raise ValueError(
                f"with scaling 'none', n must be at most {FIBONACCI_MAX_N_UNSCALED}: larger Fibonacci "
                "numbers overflow float32, the networks' number type; choose minmax or "
                "log-minmax scaling, or lower n"
            )
        if self.data.upload is not None and abs(self.data.upload.values[: self.data.n]).max() > FLOAT32_MAX:
            raise ValueError(
                "with scaling 'none' the values must fit float32, the networks' number type (at most "
                f"{FLOAT32_MAX:.3g} in size); choose minmax scaling"
            )

    @classmethod
    def from_values(cls, values: Mapping[str, Any], upload: Upload | None = None) -> TrainConfig:
        """The config of `values`, by field name (see FIELDS): defaults for missing ones, "seeds" ignored.
        `upload` is the file series "csv" is; it is left out for any other series.

        Raises ValueError for an unknown name or a value the configs refuse, with their message.
        """
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown settings {', '.join(unknown)}: choose from {', '.join(FIELDS)}")
        given = {name: values[name] for name in values if name != "seeds"}
        data = {name: value for name, value in given.items() if FIELDS[name].section == "data"}
        training = {name: value for name, value in given.items() if FIELDS[name].section == "training"}
        if data.get("series") == "csv":
            data["upload"] = upload
        return cls(data=DataConfig(**data), **training)

    def describe(self, with_seed: bool = True, public: bool = False) -> str:
        """The config in words; without the seed, what every seed of a study shares; `public`, for
        every visitor of a server (a file is not named)."""
        return (
            f"{self.data.describe(public)}; {self.cell}({self.hidden_units}), {self.activation}, "
            f"{counted(self.epochs, 'epoch')}, batch {self.batch_size}, learning rate {self.learning_rate:g}"
            + (f", seed {self.seed}" if with_seed else "")
        )


def setting(config: TrainConfig, name: str) -> Any:
    """The value of the setting `name` (of FIELDS, but "seeds") in `config`."""
    return getattr(config.data if FIELDS[name].section == "data" else config, name)
