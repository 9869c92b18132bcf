"""A trained model's answers for any windows, from the same equations it trained with (`network`).

Predictions and attention weights for windows a user edits (the what-if), one window through the attention
model step by step (with self-attention's whole T x T map of weights), and how much each input
step drives a prediction without asking attention: occlusion and gradient x input (see
`fibdash.analysis.explain`). Each model is given by its config, kind and trained weights (a `Trained`'s).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from fibdash.config import TrainConfig, check_choice
from fibdash.engine.cpu import flush_denormals, restore, threads_for
from fibdash.engine.layout import Layout, Offsets
from fibdash.engine.network import (
    LAST_STATE,
    ONE,
    SELF_ATTENTION,
    Architecture,
    backward,
    forward,
    head_of,
    own,
    predict_rows,
    scratch,
    self_attention_map,
    transpose_recurrent,
)
from fibdash.engine.records import AttentionTrace

METHODS = ("occlusion", "gradient")
# What occlusion puts in place of a step, on the scaled axis: 0, the smallest value MinMax leaves
# ("this step knocked down to nothing").
OCCLUDED_VALUE = 0.0


def _member(
    config: TrainConfig, kind: str, weights: dict[str, np.ndarray]
) -> tuple[Layout, np.ndarray, Offsets, Architecture, int]:
    """One model as the compiled functions take it: its layout (to size memory by), its weights as one
    vector, their offsets, its architecture and its head."""
    layout = Layout.of(config)
    head = head_of(kind, config.attention)
    return layout, layout.flat(weights, kind), layout.offsets, Architecture.of(config), head


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
    its attention weights (samples, time_steps), whatever its head (uniform: 1/T; self-attention: the last
    position's query's). One thread: it answers beside a running training."""
    layout, vector, offsets, architecture, head = _member(config, kind, weights)
    X = _windows(windows, config.data.time_steps)
    rows = np.arange(len(X), dtype=np.int64)
    out = np.zeros(len(X), np.float32)
    attends = head != LAST_STATE
    alpha = np.zeros((len(X) if attends else 0, config.data.time_steps), np.float32)
    _predict(vector, offsets, architecture, head, X, rows, out, alpha, scratch(1, layout))
    return out.astype(np.float64), alpha if attends else None


def attention_trace(
    config: TrainConfig, weights: dict[str, np.ndarray], window: np.ndarray
) -> AttentionTrace:
    """What the attention model of `config` with `weights` computes for one window, step by step; with
    self-attention, every position's weights too (`AttentionTrace.weight_map`)."""
    layout, vector, offsets, architecture, head = _member(config, "attention", weights)
    X = _windows(np.asarray(window).reshape(1, -1), config.data.time_steps)
    steps, units = config.data.time_steps, config.hidden_units
    states, scores, alpha = (
        np.zeros((steps, units), np.float32),
        np.zeros(steps, np.float32),
        np.zeros(steps, np.float32),
    )
    context = np.zeros(units, np.float32)
    weight_map = np.zeros((steps, steps) if head == SELF_ATTENTION else (0, steps), np.float32)
    arena = scratch(1, layout)
    prediction = _attention_trace(
        vector, offsets, architecture, head, X[0], arena, states, scores, alpha, context, weight_map
    )
    return AttentionTrace(
        states, scores, alpha, context, float(prediction), weight_map if head == SELF_ATTENTION else None
    )


# The compiled functions below take a model as `network`'s functions do (weights, offsets, architecture,
# head: see its docstring), windows X (samples, T) float32, and an `arena` of every thread's memory
# (`network.scratch`).


@njit(cache=True)
def _attention_trace(weights, offsets, architecture, head, x, arena, states, scores, alpha, context,
                     weight_map):  # fmt: skip
    """`forward` for one window `x`, keeping its states (T, H), and its attention head's scores (T,),
    weights (T,), the features Dense reads (H,) and, where `weight_map` is (T, T), self-attention's weights
    of every position."""
    flags = flush_denormals()
    trace, _ = own(arena, 0, architecture)
    prediction = forward(weights, offsets, architecture, head, x, trace)
    states[:, :] = trace.hs[1:]
    scores[:] = trace.scores
    alpha[:] = trace.alpha
    context[:] = trace.features
    if weight_map.shape[0] > 0:
        self_attention_map(weights, offsets, architecture, trace, weight_map)
    restore(flags)
    return prediction


@njit(cache=True)
def _predict(weights, offsets, architecture, head, X, rows, out, alpha_out, arena):
    """`predict_rows` in this thread, with denormals flushed as in training."""
    flags = flush_denormals()
    trace, _ = own(arena, 0, architecture)
    predict_rows(weights, offsets, architecture, head, X, rows, out, alpha_out, trace)
    restore(flags)


@njit(cache=True, parallel=True)
def _occlusion(weights, offsets, architecture, head, X, value, out, arena):
    """|f(x) - f(x with step t set to `value`)| for every window and step into `out` (samples, T); 0 where
    the step holds `value`."""
    threads = arena.shape[0]
    for thread in prange(threads):
        trace, _ = own(arena, thread, architecture)
        window = np.empty(architecture.time_steps, np.float32)  # the window with one step occluded
        flags = flush_denormals()
        for row in range(thread, X.shape[0], threads):
            window[:] = X[row]
            base = forward(weights, offsets, architecture, head, window, trace)
            for t in range(architecture.time_steps):
                if window[t] == value:
                    continue
                window[t] = value
                out[row, t] = abs(forward(weights, offsets, architecture, head, window, trace) - base)
                window[t] = X[row, t]
        restore(flags)


@njit(cache=True, parallel=True)
def _gradient_x_input(weights, offsets, architecture, head, X, out, arena):
    """|df/dx_t * x_t| for every window and step into `out` (samples, T)."""
    threads = arena.shape[0]
    for thread in prange(threads):
        trace, gradients = own(arena, thread, architecture)
        dx, transposed = gradients.dx, gradients.recurrent_transposed  # local names: see `network.Trace`
        transpose_recurrent(weights, offsets, architecture, transposed)
        flags = flush_denormals()
        for row in range(thread, X.shape[0], threads):
            x = X[row]
            prediction = forward(weights, offsets, architecture, head, x, trace)
            backward(weights, offsets, architecture, head, x, trace, prediction, ONE, gradients)
            for t in range(architecture.time_steps):
                out[row, t] = abs(dx[t] * x[t])
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
    layout, vector, offsets, architecture, head = _member(config, kind, weights)
    distinct, inverse = np.unique(_windows(windows, config.data.time_steps), axis=0, return_inverse=True)
    X = np.ascontiguousarray(distinct)
    out = np.zeros(X.shape, np.float32)
    arena = scratch(threads_for(len(X)), layout)
    if method == "occlusion":
        _occlusion(vector, offsets, architecture, head, X, np.float32(OCCLUDED_VALUE), out, arena)
    else:
        _gradient_x_input(vector, offsets, architecture, head, X, out, arena)
    return out.astype(np.float64)[inverse.reshape(-1)]
