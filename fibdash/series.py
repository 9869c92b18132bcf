"""The series a model learns to continue: the tutorial's Fibonacci numbers, harder ones whose structure
is known, one whose answer is known (which steps back matter), a real recorded one, and a column of the
visitor's own CSV file.

Each built-in series is a pure function of its length; a "csv" series is an `Upload`, a column of a
file `fibdash.csv_file` read. Plain NumPy here: the worker's side imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fibdash.quoting import shortened

SERIES = ("fibonacci", "sine", "mackey-glass", "lags", "co2", "csv")
# The lags series, a task whose answer is known: x(t) = 0.5 x(t-3) + 0.4 x(t-11) + noise, so the values 3
# and 11 steps back are the only ones that matter, and an explanation of a model's prediction can be
# scored on whether it finds them. Two positive coefficients summing to 0.9 < 1 keep it stationary (every
# root of 1 - 0.5 z^3 - 0.4 z^11 lies outside the unit circle, the nearest at |z| = 1.016); they leave the
# last two values little to say (the autocorrelation at lag 1 is 0.13, at lags 3 and 11 0.66 and 0.60),
# and the lags explain 58% of the variance, the noise the rest.
LAG_STEPS = (3, 11)  # the true lags: x(t) depends on x(t - 3) and x(t - 11), nothing else but noise
LAG_COEFFICIENTS = (0.5, 0.4)  # of each lag in LAG_STEPS, in order
LAGS_NOISE, LAGS_SEED = 1.0, 11  # the noise's standard deviation, and the seed it is drawn with
LAGS_WARM_UP = 500  # values left out at the start, while the zeros it starts from wear off (to 3e-4)
# What each is, in a line, for the widget's help, the Dataset page and the command line.
SERIES_WHAT = {
    "fibonacci": "1, 2, 3, 5, ...: each number the sum of the two before it (the tutorial's series).",
    "sine": "sin(2 pi t / 20) plus Gaussian noise of standard deviation 0.1: a period of 20 steps, blurred.",
    "mackey-glass": "dx/dt = 0.2 x(t-17) / (1 + x(t-17)^10) - 0.1 x(t), once per time unit: chaotic, the "
    "classic benchmark of recurrent networks.",
    "lags": f"x(t) = {LAG_COEFFICIENTS[0]} x(t-{LAG_STEPS[0]}) + {LAG_COEFFICIENTS[1]} x(t-{LAG_STEPS[1]}) + "
    f"Gaussian noise of standard deviation {LAGS_NOISE:g}: only the values {LAG_STEPS[0]} and {LAG_STEPS[1]} "
    "steps back matter, a task whose answer is known (windows must reach that far back).",
    "co2": "Monthly mean CO2 at Mauna Loa, 1965 to 2001, in ppm (Keeling & Whorf, public domain): a rising "
    "trend with a 12-month season.",
    "csv": "A numeric column of your own CSV file, in file order (upload it on the Dataset page).",
}
# A value of each series, in a word for column names and axes, and the units it is in, for sentences;
# a CSV's value is its column's name.
SERIES_VALUES = {"fibonacci": "Fibonacci", "sine": "sine", "mackey-glass": "x", "lags": "x", "co2": "CO2 ppm"}
SERIES_UNITS = {
    "fibonacci": "Fibonacci units",
    "sine": "the sine's units",
    "mackey-glass": "units of x",
    "lags": "units of x",
    "co2": "ppm",
}
PERIODS = {"sine": 20, "co2": 12}  # a known period: the seasonal-naive rule repeats the value one period back

# Value i is F(i + 2). F(1476), value 1474, is the last finite float64; stopping at n = 1474 keeps the
# number after the series finite as well, so a rule that adds the last two values never overflows.
FIBONACCI_MAX_N = 1474
# Unscaled values reach the networks as float32, whose largest value 3.4e38 lies between the 185th and
# 186th number of the series.
FIBONACCI_MAX_N_UNSCALED = 185
MAX_N = 5000  # values of any other series: the windows of a long series grow as n times time_steps
SINE_PERIOD, SINE_NOISE, SINE_SEED = 20, 0.1, 20
MACKEY_GLASS = {"beta": 0.2, "gamma": 0.1, "power": 10, "tau": 17, "x0": 1.2}
MACKEY_GLASS_STEP = 0.1  # the integrator's step, in time units; a value is kept every 1 / STEP steps
MACKEY_GLASS_WARM_UP = 300  # time units left out at the start, while the history of x = 1.2 wears off
CO2_FILE = Path(__file__).parent / "datasets" / "mauna_loa_co2.csv"
CO2_VALUES = 444  # its rows: January 1965 to December 2001

FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Upload:
    """One column of a CSV file: its values in file order, known by the file's SHA-256 and the column.

    Two uploads of the same bytes and column are equal (and key the same cached results) whatever
    the file was called; the values themselves play no part in comparing.
    """

    sha256: str
    column: str
    file_name: str = field(compare=False)
    values: np.ndarray = field(compare=False, repr=False)

    def describe(self) -> str:
        """The file and column in words, each name quoted short."""
        return f"{shortened(self.file_name)}, column {shortened(self.column)} (SHA-256 {self.sha256[:12]})"


def fibonacci(n: int) -> np.ndarray:
    """The first n numbers of the tutorial's series: 1, 2, 3, 5, 8, ..."""
    if n > FIBONACCI_MAX_N:
        raise ValueError(
            f"n must be at most {FIBONACCI_MAX_N} (Fibonacci numbers overflow float64 beyond it)"
        )
    seq = np.empty(n)
    previous, current = 0.0, 1.0
    for i in range(n):
        previous, current = current, previous + current
        seq[i] = current
    return seq


def noisy_sine(n: int) -> np.ndarray:
    """sin(2 pi t / SINE_PERIOD) + SINE_NOISE * N(0, 1), t = 0 .. n-1, the noise drawn with SINE_SEED."""
    t = np.arange(n)
    noise = np.random.default_rng(SINE_SEED).standard_normal(n)
    return np.sin(2 * np.pi * t / SINE_PERIOD) + SINE_NOISE * noise


def mackey_glass(n: int) -> np.ndarray:
    """The Mackey-Glass series x(t), t = 0 .. n-1 time units after the warm-up, by fourth-order
    Runge-Kutta on the delay equation; x = x0 at every time before the start."""
    beta, gamma, power, tau, x0 = MACKEY_GLASS.values()
    per_unit = round(1 / MACKEY_GLASS_STEP)
    lag = tau * per_unit  # steps back to x(t - tau)
    total = (MACKEY_GLASS_WARM_UP + n) * per_unit
    x = np.full(lag + total + 1, x0)  # x[lag + k] is x at step k; before step 0, the history

    def slope(now: float, delayed: float) -> float:
        return beta * delayed / (1 + delayed**power) - gamma * now

    h = MACKEY_GLASS_STEP
    for k in range(lag, lag + total):
        delayed, delayed_next = x[k - lag], x[k - lag + 1]
        delayed_half = (delayed + delayed_next) / 2  # x(t - tau + h/2), between two stored steps
        k1 = slope(x[k], delayed)
        k2 = slope(x[k] + h / 2 * k1, delayed_half)
        k3 = slope(x[k] + h / 2 * k2, delayed_half)
        k4 = slope(x[k] + h * k3, delayed_next)
        x[k + 1] = x[k] + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x[lag + MACKEY_GLASS_WARM_UP * per_unit :: per_unit][:n].copy()


def lags_series(n: int) -> np.ndarray:
    """The first n values of x(t) = sum of c x(t - L) over LAG_STEPS and LAG_COEFFICIENTS, plus LAGS_NOISE
    times N(0, 1) drawn with LAGS_SEED, after LAGS_WARM_UP values from x = 0; the noise is drawn in order,
    so the first n values are the same whatever length is asked for."""
    noise = (LAGS_NOISE * np.random.default_rng(LAGS_SEED).standard_normal(LAGS_WARM_UP + n)).tolist()
    lagged = tuple(zip(LAG_STEPS, LAG_COEFFICIENTS, strict=True))
    x = [0.0] * len(noise)
    for t, shock in enumerate(noise):
        x[t] = shock + sum(coefficient * x[t - lag] for lag, coefficient in lagged if t >= lag)
    return np.array(x[LAGS_WARM_UP:])


def co2() -> np.ndarray:
    """Mauna Loa's monthly mean CO2 (ppm), January 1965 to December 2001 (see fibdash/datasets)."""
    return np.loadtxt(CO2_FILE, delimiter=",", skiprows=1, usecols=1)


def most_values(series: str, upload: Upload | None = None) -> tuple[int, str]:
    """The largest n `series` allows, and why."""
    if series == "fibonacci":
        return FIBONACCI_MAX_N, "Fibonacci numbers overflow float64 beyond it"
    if series == "co2":
        return CO2_VALUES, "the recording has as many months"
    if series == "csv" and upload is not None:
        return len(upload.values), "the file's column has as many values"
    return MAX_N, "longer series make windows too large for a shared server"


def series_values(series: str, n: int, upload: Upload | None = None) -> np.ndarray:
    """The first n values of `series` (float64); a "csv" series is `upload`'s column."""
    if series == "fibonacci":
        return fibonacci(n)
    if series == "sine":
        return noisy_sine(n)
    if series == "mackey-glass":
        return mackey_glass(n)
    if series == "lags":
        return lags_series(n)
    if series == "co2":
        return co2()[:n]
    if series == "csv":
        if upload is None:
            raise ValueError("series csv needs a file: upload one on the Dataset page (or give --csv)")
        return upload.values[:n].astype(np.float64)
    raise ValueError(f"unknown series {series!r}: choose one of {', '.join(SERIES)}")


def value_name(series: str, upload: Upload | None = None) -> str:
    """A value of `series` in a word, for column names and axes: "Fibonacci", a CSV column's name (quoted
    short)."""
    return shortened(upload.column) if upload is not None else SERIES_VALUES[series]


def units(series: str, upload: Upload | None = None) -> str:
    """What a value of `series` is measured in, for sentences: "Fibonacci units", "ppm"."""
    return f"units of {value_name(series, upload)}" if upload is not None else SERIES_UNITS[series]
