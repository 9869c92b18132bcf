"""Frozen, hashable configs for data and training; they validate themselves and key the caches.

`FIELDS` describes every setting once (label, bounds, help, parsing from text): the dashboard's
widgets, the command line's options and the configs' own checks all read it.
No TensorFlow here: pages that only read configs stay light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from typing import Any

from fibdash.quoting import quoted
from fibdash.series import (
    FIBONACCI_MAX_N_UNSCALED,
    FLOAT32_MAX,
    LAG_STEPS,
    MAX_N,
    SERIES,
    SERIES_WHAT,
    Upload,
    most_values,
    series_values,
)

# Series whose values are all above 0, so that log-minmax can take their logarithms (a CSV is looked at).
POSITIVE_SERIES = ("fibonacci", "mackey-glass", "co2")
# A dataset's windows hold (n - time_steps) x time_steps values: at most this many (4 MB in float32).
MAX_WINDOW_VALUES = 1_000_000
SCALINGS = ("minmax", "none", "log-minmax", "window")
# How the windows split into training and test: the tutorial's shuffle, the first windows against the
# last, or a backtest of expanding folds (rolling origins), each training on what came before its block.
SPLITS = ("shuffled", "chronological", "backtest")
SCALER_FITS = ("series", "train")  # what a fitted scaler (minmax, log-minmax) is fitted on
MAX_FOLDS = 10
MAX_HORIZON = 50
CELLS = ("SimpleRNN", "LSTM", "GRU")
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}  # weight matrices side by side in each cell's kernels
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
MODEL_KINDS = ("rnn", "attention")  # the tutorial's two networks: without and with attention
MODEL_LABELS = {"rnn": "RNN", "attention": "RNN + attention"}  # whatever the attention model's head
# The attention model's head: the tutorial's layer, or a textbook attention over the RNN's states
# (fibdash.keras.models builds each from Keras' own layers; the engine's network.py holds their equations).
ATTENTIONS = ("tutorial", "additive", "dot", "self", "uniform")
# What each head's weights alpha_t are, for the pages and the notebook that show them
ATTENTION_WEIGHTS = {
    "tutorial": "The tutorial's layer scores each step's state alone, e_t = tanh(h_t W + b_t), with no "
    "query, b_t a learned preference for position t; the softmax of the scores weighs the states.",
    "additive": "Bahdanau's additive attention: the last state q queries every state, score_t = v . "
    "tanh(q W_q + h_t W_k); the softmax of the scores weighs the states.",
    "dot": "Luong's dot-product attention: the last state q queries every state, score_t = s (q . h_t); the "
    "softmax of the scores weighs the states.",
    "self": "Self-attention gives every position its own weights over every step, a T x T map; Dense reads "
    "the last position's output, so the weights shown per step are the last query's row of that map.",
    "uniform": "Uniform weights are the control: every weight is 1/T by construction, fixed, not learned; "
    "the model reads the mean of the states.",
}
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
    section: str  # "data", "training", "study" or "forecast"
    value_type: type  # int, float or str
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
        if self.value_type is int:
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
        if self.value_type is str:
            check_choice(self.name, value, self.choices)
            return
        if high is None or (self.high is not None and self.high <= high):
            high, high_why = self.high, self.high_why
        if self.value_type is int:
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
                f"{self.name} is empty: {'choose' if self.value_type is str else 'type'} {self.expects}"
            )
        if self.value_type is not str and foreign_number(text):
            raise ValueError(f"{self.name} must be {self.expects}, {ASCII_DIGITS}, got {quoted(text)}")
        if self.value_type is str:
            value: Any = next((c for c in self.choices if c.lower() == text.lower()), text)
        elif self.value_type is int:
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
            "The share of the windows the models train on (drawn at random under the shuffled split, the "
            "first ones otherwise); the rest test them.",
            low=0.0,
            high=1.0,
            low_included=False,
            high_included=False,
        ),
        Field(
            "split",
            "Split",
            "data",
            str,
            "shuffled",
            "shuffled: the tutorial's, windows drawn at random, so a test window sits between training ones; "
            "chronological: the first windows train, the later ones test, as a forecast would be used; "
            "backtest: expanding folds, each training on everything before its block of test windows.",
            choices=SPLITS,
        ),
        Field(
            "folds",
            "Backtest folds",
            "data",
            int,
            5,
            "Used by the backtest split only: how many blocks the test windows are cut into, each a fold "
            "trained on every window before it.",
            low=2,
            high=MAX_FOLDS,
        ),
        Field(
            "scaling",
            "Scaling",
            "data",
            str,
            "minmax",
            "minmax: the tutorial's; log-minmax: MinMax of the logarithms; none: the numbers themselves; "
            "window: each window divided by its own last value.",
            choices=SCALINGS,
        ),
        Field(
            "scaler_fit",
            "Scaler fitted on",
            "data",
            str,
            "series",
            "series: the tutorial's, the whole series, test values included; train: only the values of the "
            "training windows, so a later, larger value scales above 1 (minmax and log-minmax only).",
            choices=SCALER_FITS,
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
            "attention",
            "Attention (second model)",
            "training",
            str,
            "tutorial",
            "The RNN + attention model's head, its weights alpha_t over the RNN's states h_t giving the "
            "context sum alpha_t h_t that Dense reads. tutorial: the tutorial's layer, softmax of "
            "tanh(h_t W + b_t), no query, a learned bias per position (feed-forward attention, Raffel & "
            "Ellis 2015). additive: Bahdanau's, the query q the last state, softmax of v . tanh(q W_q + "
            "h_t W_k). dot: Luong's, softmax of s (q . h_t). self: one-head self-attention (projected "
            "queries, keys and values, Keras' MultiHeadAttention), the last position's output into Dense. "
            "uniform: alpha_t = 1/T, no weights: the mean of the states, the control.",
            choices=ATTENTIONS,
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
        Field(
            "horizon",
            "Forecast horizon",
            "forecast",
            int,
            1,
            "How many steps each model forecasts from every test window, feeding its own predictions back "
            "as inputs; 1 is the tutorial's one-step prediction. Only the evaluation changes: nothing trains "
            "again.",
            low=1,
            high=MAX_HORIZON,
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
    Under the backtest split the config is the whole backtest (`fold` None: its training windows are the
    first fold's, its test windows every fold's blocks) or one of its folds, `fold_configs`, each a
    chronological split that trains on every window before its block and tests on the block.
    """

    n: int = FIELDS["n"].default
    time_steps: int = FIELDS["time_steps"].default
    train_fraction: float = FIELDS["train_fraction"].default
    scaling: str = FIELDS["scaling"].default
    split_seed: int = 13
    series: str = FIELDS["series"].default
    upload: Upload | None = None
    split: str = FIELDS["split"].default
    folds: int = FIELDS["folds"].default
    scaler_fit: str = FIELDS["scaler_fit"].default
    fold: int | None = None  # which fold of a backtest these windows are; None: the whole

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
        if self.series == "lags" and self.time_steps < max(LAG_STEPS):
            raise ValueError(
                f"time_steps must be at least {max(LAG_STEPS)} for series lags, whose values depend on the "
                f"values {' and '.join(map(str, LAG_STEPS))} steps back: a window must reach them (raise "
                f"time_steps or choose another series), got {quoted(self.time_steps)}"
            )
        FIELDS["train_fraction"].check(self.train_fraction)
        for name in ("scaling", "split", "folds", "scaler_fit"):
            FIELDS[name].check(getattr(self, name))
        check_int("split_seed", self.split_seed, 0, 2**32 - 1)
        if self.first_origin < 1:  # flooring never leaves the test split empty, but may the training one
            raise ValueError(
                f"train_fraction {self.train_fraction} of {self.n_samples} windows leaves no training "
                "window: raise train_fraction or n, or lower time_steps"
            )
        if self.split == "backtest":
            tested = self.n_samples - self.first_origin
            FIELDS["folds"].check(
                self.folds, tested, f"the backtest cuts the {tested} test windows into one block per fold"
            )
        if self.fold is not None:
            if self.split != "backtest":
                raise ValueError(f"a fold belongs to the backtest split, not to the {self.split} one")
            check_int("fold", self.fold, 0, self.folds - 1)
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
        if self.scaling == "window" and (zero := self.zero_divisor()) is not None:
            raise ValueError(
                f"window scaling divides each window by its last value, but value {zero} of the "
                f"{self.series} series, the last of window {zero - self.time_steps + 1}, is 0: choose minmax "
                "or none"
            )

    def lowest(self) -> float:
        """The series' smallest value, or 1 for a built-in series whose values are all above 0."""
        if self.series in POSITIVE_SERIES:
            return 1.0
        if self.upload is not None:
            return float(self.upload.values[: self.n].min())
        if self.series == "lags":
            return float(series_values(self.series, self.n).min())
        return -1.0  # the noisy sine's values go below 0 as surely as its sine does

    def zero_divisor(self) -> int | None:
        """The index of the first value of the series that is 0 and the last of a window (window scaling
        divides by it), or None where there is none."""
        if self.series in POSITIVE_SERIES:
            return None
        last = series_values(self.series, self.n, self.upload)[self.time_steps - 1 : self.n - 1]
        zeros = [i for i, value in enumerate(last.tolist()) if value == 0]
        return zeros[0] + self.time_steps - 1 if zeros else None

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
        split = ""
        if self.split == "chronological":
            split = ", chronological split"
        elif self.split == "backtest":
            split = f", backtest over {self.folds} folds"
            if self.fold is not None:
                split += f" (fold {self.fold + 1})"
        fitted = ", fitted on the training windows" if self.fits_on_training else ""
        return (
            f"{source}n={self.n}, time_steps={self.time_steps}, train fraction {self.train_fraction:g}"
            f"{split}, {self.scaling} scaling{fitted}"
        )

    @property
    def fits_on_training(self) -> bool:
        """Whether a fitted scaler (minmax, log-minmax) sees only the training windows' values."""
        return self.scaler_fit == "train" and self.scaling in ("minmax", "log-minmax")

    @property
    def n_samples(self) -> int:
        return self.n - self.time_steps

    @property
    def first_origin(self) -> int:
        """The windows the first `train_fraction` of them are: every split's training windows but a
        backtest fold's."""
        return int(self.train_fraction * self.n_samples)  # the tutorial's rounding

    def fold_rows(self, fold: int) -> tuple[int, int]:
        """The rows of the windows fold `fold` of a backtest tests, [start, stop): the windows after the
        first `train_fraction` cut into `folds` blocks in order, the first ones a window longer where they
        do not divide evenly (as NumPy's array_split)."""
        tested = self.n_samples - self.first_origin
        size, longer = divmod(tested, self.folds)
        start = self.first_origin + fold * size + min(fold, longer)
        return start, start + size + (fold < longer)

    def fold_configs(self) -> tuple[DataConfig, ...]:
        """The configs of a backtest's folds, in order; of any other split, itself alone."""
        if self.split != "backtest" or self.fold is not None:
            return (self,)
        return tuple(replace(self, fold=fold) for fold in range(self.folds))

    @property
    def n_train(self) -> int:
        """The training windows: the first `train_fraction` of them, or every window before a fold's block."""
        return self.first_origin if self.fold is None else self.fold_rows(self.fold)[0]

    @property
    def n_test(self) -> int:
        if self.fold is None:
            return self.n_samples - self.n_train
        start, stop = self.fold_rows(self.fold)
        return stop - start


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
    attention: str = FIELDS["attention"].default  # the attention model's head
    seed: int = FIELDS["seed"].default

    def __post_init__(self) -> None:
        if not isinstance(self.data, DataConfig):
            raise ValueError(f"data must be a DataConfig, got {type(self.data).__name__}")
        for name in ("hidden_units", "epochs", "learning_rate", "cell", "activation", "attention", "seed"):
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

    def fold_configs(self) -> tuple[TrainConfig, ...]:
        """The trainings this config is: one per fold of a backtest (see `DataConfig`), else itself."""
        return tuple(replace(self, data=data) for data in self.data.fold_configs())

    def describe(self, with_seed: bool = True, public: bool = False) -> str:
        """The config in words; without the seed, what every seed of a study shares; `public`, for
        every visitor of a server (a file is not named)."""
        head = "" if self.attention == FIELDS["attention"].default else f"{self.attention} attention, "
        return (
            f"{self.data.describe(public)}; {self.cell}({self.hidden_units}), {self.activation}, {head}"
            f"{counted(self.epochs, 'epoch')}, batch {self.batch_size}, learning rate {self.learning_rate:g}"
            + (f", seed {self.seed}" if with_seed else "")
        )


def setting(config: TrainConfig, name: str) -> Any:
    """The value of the setting `name` (of FIELDS, but "seeds") in `config`."""
    return getattr(config.data if FIELDS[name].section == "data" else config, name)
