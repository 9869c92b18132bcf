"""A trained model's answers for any windows, from the same equations it trained with (`network`).

Predictions and attention weights for windows a user edits (the what-if), and how much each input
step drives a prediction without asking attention: occlusion and gradient x input (see
`fibdash.analysis.explain`). Each model is given by its config, kind and trained weights (a `Trained`'s).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from fibdash.config import TrainConfig, check_choice
from fibdash.engine.cpu import flush_denormals, restore, threads_for
from fibdash.engine.network import (
    ATTENTION,
    LAST,
    ONE,
    Network,
    backward,
    forward,
    own,
    predict_rows,
    scratch,
    transpose_recurrent,
)
from fibdash.engine.records import AttentionTrace

METHODS = ("occlusion", "gradient")
# What occlusion puts in place of a step, on the scaled axis: 0, the smallest value MinMax leaves
# ("this step knocked down to nothing").
OCCLUDED_VALUE = 0.0


def _member(
    config: TrainConfig, kind: str, weights: dict[str, np.ndarray]
) -> tuple[Network, np.ndarray, int]:
    network = Network.of(config)
    return network, network.layout.flat(weights, kind), ATTENTION if kind == "attention" else LAST


def _windows(windows: np.ndarray, steps: int) -> np.ndarray:
    """Windows (samples, time_steps) or (samples, time_steps, 1) as the float32 rows the engine reads."""
    windows = np.asarray(windows, dtype=np.float32)
    if windows.ndim == 3 and windows.shape[-1] == 1:
        windows = windows[..., 0]
    if windows.ndim != 2 or windows.shape[1] != steps:
        raise ValueError(
            f"windows must have shape (samples, {steps}) or (samples, {steps}, 1), got {windows.shape}"
        )
    return np.ascontiguousarray(windows)


def predict(
    config: TrainConfig, kind: str, weights: dict[str, np.ndarray], windows: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's scaled predictions for `windows` (float64, (samples,)), and for the attention model
    its attention weights (samples, time_steps). One thread: it answers beside a running training."""
    network, p, head = _member(config, kind, weights)
    X = _windows(windows, config.data.time_steps)
    rows = np.arange(len(X), dtype=np.int64)
    out = np.zeros(len(X), np.float32)
    alpha = np.zeros((len(X) if head == ATTENTION else 0, config.data.time_steps), np.float32)
    _predict(p, *network.member_args(head), X, rows, out, alpha, scratch(1, network.layout))
    return out.astype(np.float64), alpha if head == ATTENTION else None


def attention_trace(
    config: TrainConfig, weights: dict[str, np.ndarray], window: np.ndarray
) -> AttentionTrace:
    """What the attention model of `config` with `weights` computes for one window, step by step."""
    network, p, head = _member(config, "attention", weights)
    X = _windows(np.asarray(window).reshape(1, -1), config.data.time_steps)
    steps, units = config.data.time_steps, config.hidden_units
    states, scores, alpha = (
        np.zeros((steps, units), np.float32),
        np.zeros(steps, np.float32),
        np.zeros(steps, np.float32),
    )
    context = np.zeros(units, np.float32)
    prediction = _trace(
        p, *network.member_args(head), X[0], scratch(1, network.layout), states, scores, alpha, context
    )
    return AttentionTrace(states, scores, alpha, context, float(prediction))


@njit(cache=True)
def _trace(p, lay, cell, act, head, steps, units, x, arena, states, scores, alpha, context):
    """`forward` for one window, keeping its states and its attention layer's steps."""
    flags = flush_denormals()
    buf = own(arena, 0, steps, units, lay[8])
    hs, cs, gates, aux = buf[0], buf[1], buf[2], buf[3]
    prediction = forward(p, lay, cell, act, head, steps, units, x, hs, cs, gates, aux, buf[4], buf[5], buf[6])
    states[:, :] = hs[1:]
    scores[:] = buf[4]
    alpha[:] = buf[5]
    context[:] = buf[6]
    restore(flags)
    return prediction


@njit(cache=True)
def _predict(p, lay, cell, act, head, steps, units, X, rows, out, alpha_out, arena):
    """`predict_rows` in this thread, with denormals flushed as in training."""
    flags = flush_denormals()
    buf = own(arena, 0, steps, units, lay[8])[:7]
    predict_rows(p, lay, cell, act, head, steps, units, X, rows, out, alpha_out, buf)
    restore(flags)


@njit(cache=True, parallel=True)
def _occlusion(p, lay, cell, act, head, steps, units, X, value, out, arena):
    """|f(x) - f(x with step t set to `value`)| for every window and step; 0 where the step holds `value`."""
    threads = arena.shape[0]
    for c in prange(threads):
        buf = own(arena, c, steps, units, lay[8])
        x = buf[8]  # dx's buffer, unused without a backward pass: the window with one step occluded
        flags = flush_denormals()
        for w in range(c, X.shape[0], threads):
            x[:] = X[w]
            base = forward(p, lay, cell, act, head, steps, units, x, *buf[:7])
            for t in range(steps):
                if x[t] == value:
                    continue
                x[t] = value
                out[w, t] = abs(forward(p, lay, cell, act, head, steps, units, x, *buf[:7]) - base)
                x[t] = X[w, t]
        restore(flags)


@njit(cache=True, parallel=True)
def _gradient_x_input(p, lay, cell, act, head, steps, units, X, out, arena):
    """|df/dx_t * x_t| for every window and step."""
    threads = arena.shape[0]
    for c in prange(threads):
        buf = own(arena, c, steps, units, lay[8])
        dx = buf[8]
        transpose_recurrent(p, lay, units, (lay[2] - lay[1]) // units, buf[14])
        flags = flush_denormals()
        for w in range(c, X.shape[0], threads):
            x = X[w]
            prediction = forward(p, lay, cell, act, head, steps, units, x, *buf[:7])
            backward(p, lay, cell, act, head, steps, units, x, *buf[:7], prediction, ONE, *buf[7:])
            for t in range(steps):
                out[w, t] = abs(dx[t] * x[t])
        restore(flags)


def importance(
    config: TrainConfig, kind: str, weights: dict[str, np.ndarray], windows: np.ndarray, method: str
) -> np.ndarray:
    """How much each input step drives the model's prediction for each window, (samples, time_steps),
    each value 0 or more in units of the prediction (scaled values), not read from attention.

    - "occlusion": |f(x) - f(x with step t set to OCCLUDED_VALUE)|, the change in the prediction when
      one step is knocked down to 0 on the scaled axis;
    - "gradient": gradient x input, |df/dx_t * x_t|.

    Occlusion asks the model itself, in the float32 arithmetic that made the prediction, what happens
    without a step. With the tutorial's MinMax scaling most windows hold only values far below float32's
    resolution next to the network's biases: the network answers all of them alike, and occlusion says
    so (every step 0: nothing drives those predictions). Gradient x input takes the derivative of the
    exact function instead, so it credits inputs the network cannot see, and each window's tiny values,
    normalised, give a profile that looks like a real explanation. Zero rather than the window's mean:
    the series grows by a factor of about 1.6 a step, so occluding with the mean would barely change a
    middle step and raise the earliest far above anything seen there, a U-shaped artefact of the
    baseline. With 0, each step counts with its own size, as in gradient x input.

    Equal windows have equal importances, so each distinct window is measured once: MinMax scaling
    makes most of a long series' windows all 0 in float32.
    """
    check_choice("importance method", method, METHODS)
    network, p, head = _member(config, kind, weights)
    distinct, inverse = np.unique(_windows(windows, config.data.time_steps), axis=0, return_inverse=True)
    X = np.ascontiguousarray(distinct)
    out = np.zeros(X.shape, np.float32)
    arena = scratch(threads_for(len(X)), network.layout)
    if method == "occlusion":
        _occlusion(p, *network.member_args(head), X, np.float32(OCCLUDED_VALUE), out, arena)
    else:
        _gradient_x_input(p, *network.member_args(head), X, out, arena)
    return out.astype(np.float64)[inverse.reshape(-1)]
