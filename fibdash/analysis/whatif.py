"""What if a window were different? A window's inputs as a user types them, checked and scaled,
and the naive rules' answers for it. No TensorFlow: the trained models answer in the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fibdash.analysis.metrics import FLOAT32_RESOLUTION, autoregression, period
from fibdash.config import ASCII_DIGITS, NUMBER, foreign_number
from fibdash.data import Dataset, step_labels
from fibdash.quoting import quoted

UNITS = ("original units", "scaled values")  # how a user types a window's values


def window_inputs(data: Dataset, test_row: int) -> np.ndarray:
    """The inputs of test window `test_row` (rows in `data.test_idx` order), in the series' units."""
    position = int(data.positions[data.test_idx[test_row]])
    return data.series[position - data.config.time_steps : position].copy()


def as_text(values: np.ndarray) -> list[str]:
    """Values as a user edits them, each read back exactly: whole numbers up to 1e15 without a
    point, the rest in Python's shortest exact form."""
    return [f"{v:.0f}" if abs(v) < 1e15 and float(v).is_integer() else repr(float(v)) for v in values]


@dataclass(frozen=True, eq=False)
class TypedWindow:
    """A window as a user typed it: on the scaled axis the networks see, and in the series' units."""

    scaled: np.ndarray  # (time_steps,)
    original: np.ndarray  # (time_steps,)


def parse_window(texts: Sequence[str], units: str, data: Dataset, start: np.ndarray) -> TypedWindow:
    """A window typed as text, one value per time step, edited from the window `start` (series' units).

    ValueError names the step and what is wrong: empty, not a number, negative where no value of the
    series is, or beyond the range the scaler was fitted on (the networks never saw such inputs). Under
    window scaling a window's last value is what it is divided by: typed in the series' units it may not
    be 0, and typed scaled it is 1, the rest being multiples of `start`'s last value.
    """
    if units not in UNITS:
        raise ValueError(f"unknown units {quoted(units)}: choose one of {', '.join(UNITS)}")
    steps = data.config.time_steps
    if len(texts) != steps:
        raise ValueError(f"a window has {steps} values, one per time step, got {len(texts)}")
    values = np.empty(steps)
    for i, (label, text) in enumerate(zip(step_labels(steps), texts, strict=True)):
        text = str(text).strip()
        if not text:
            raise ValueError(f"{label} is empty: type a number")
        if foreign_number(text):
            raise ValueError(f"{label}: {quoted(text)} is not a number {ASCII_DIGITS}")
        if not NUMBER.fullmatch(text):
            raise ValueError(f"{label}: {quoted(text)} is not a number")
        values[i] = float(text)
        if not np.isfinite(values[i]):
            raise ValueError(f"{label}: {quoted(text)} is not a finite number")
    scaling = data.config.scaling
    low, high = data.series.min(), data.series.max()
    if units == UNITS[0]:
        positive = data.config.lowest() > 0
        bad = np.flatnonzero(values <= 0 if scaling == "log-minmax" else values < 0 if positive else [])
        if bad.size:
            fibonacci = data.config.series == "fibonacci"
            none = "no Fibonacci number is" if fibonacci else "no value of the series is"
            why = "log-minmax takes logarithms" if scaling == "log-minmax" else none
            sign = "0 or less" if scaling == "log-minmax" else "negative"
            raise ValueError(f"{step_labels(steps)[bad[0]]} is {sign} ({values[bad[0]]:g}), where {why}")
    if scaling == "window":
        return _window_scaled(values, units, start)
    scaled = data.to_scaled(values) if units == UNITS[0] else values
    if scaling != "none":
        # the scaled series' own ends: 0 and 1 where the scaler saw all of it (though scaling its largest
        # value may round past 1, 1.0000000000000002 for a series of 1e308 and 1.7e308, and its windows must
        # read back), further where it saw the training windows only (a test value may lie above 1)
        lowest, highest = data.scaled.min(), data.scaled.max()
        outside = np.flatnonzero((scaled < lowest) | (scaled > highest))
        if outside.size:
            i = outside[0]
            fitted = (
                "the series' range" if data.config.fits_on_training else "the range the scaler was fitted on"
            )
            raise ValueError(
                f"{step_labels(steps)[i]} ({values[i]:g}) is beyond {fitted}: scaled values from "
                f"{lowest:.4g} to {highest:.4g}, values of the series from {low:.4g} to {high:.4g}; the "
                "networks never saw inputs beyond it"
            )
    return TypedWindow(scaled, values if units == UNITS[0] else data.to_original(scaled))


def _window_scaled(values: np.ndarray, units: str, start: np.ndarray) -> TypedWindow:
    """A typed window under window scaling, which divides it by its last value."""
    last = "t-1, the value window scaling divides the window by,"
    if units == UNITS[0]:
        if values[-1] == 0:
            raise ValueError(f"{last} is 0: type another")
        with np.errstate(over="ignore", invalid="ignore"):
            return TypedWindow(values / values[-1], values)
    if values[-1] != 1:
        raise ValueError(f"{last} is 1 on the scaled axis, always, got {values[-1]:g}: type the others")
    with np.errstate(over="ignore", invalid="ignore"):
        return TypedWindow(values, values * start[-1])


def rule_answers(data: Dataset, window: TypedWindow) -> dict[str, float]:
    """The naive rules' predictions for a window, on the scaled axis."""
    scaled, original = window.scaled, window.original[None]
    answers = {"persistence": float(scaled[-1])}
    ar = autoregression(data)
    answers[ar.name] = float(data.answer_scaled(ar.predict(original), original)[0])
    if (known := period(data)) is not None:
        answers["seasonal naive"] = float(scaled[-known])
    return answers


def unmoved(data: Dataset, edited: np.ndarray) -> tuple[str, bool]:
    """Why a model answered an edited window (scaled, (time_steps,)) exactly as it answered the window
    before the edit, in words, and whether log-minmax scaling would let it see such inputs."""
    largest = float(np.abs(edited).max())
    scaling = data.config.scaling
    if largest < FLOAT32_RESOLUTION:
        helps = scaling != "log-minmax"
        return (
            f"the prediction did not move: after '{scaling}' scaling every input of this window is at "
            f"most {largest:.2g}, below float32's resolution next to 1 ({FLOAT32_RESOLUTION:.2g}), so the "
            "network, computing in float32, cannot tell it from the window before the edit."
            + (" log-minmax scaling spreads such inputs out; then train again." if helps else ""),
            helps,
        )
    return (
        "the prediction did not move: the network answers this window exactly as it answered it before "
        "the edit, as if the steps you changed did not count.",
        False,
    )
