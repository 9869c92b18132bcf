"""A trained model's answers for any windows, from the same equations it trained with (`network`).

Predictions and attention weights for windows a user edits (the what-if), one window through the attention
model step by step (with self-attention's whole T x T map of weights), and how much each input
step drives a prediction without asking attention: occlusion and gradient x input (see
`fibdash.analysis.explain`). Each model is given by its config, kind and trained weights (a `Trained`'s).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

from fibdash.config import TrainConfig, check_choice
from fibdash.engine.cpu import claim, flush_denormals, on_threads, restore, threads_for
from fibdash.engine.layout import Layout
from fibdash.engine.network import (
    LAST_STATE,
    ONE,
    SELF_ATTENTION,
    Architecture,
    backward,
    cell_of,
    forward,
    head_of,
    own,
    scratch,
    self_attention_map,
    transpose_recurrent,
)
from fibdash.engine.records import AttentionTrace
from fibdash.engine.specialised import compiled

METHODS = ("occlusion", "gradient")
# What occlusion puts in place of a step, on the scaled axis: 0, the smallest value MinMax leaves
# ("this step knocked down to nothing").
OCCLUDED_VALUE = 0.0


class _Model(NamedTuple):
    """One model as the compiled functions take it."""

    layout: Layout  # its weights' places, and the sizes to allocate memory by
    weights: np.ndarray  # (1, size) float32: its weights in `Layout` order, as a training's one member
    architecture: Architecture
    cell: int  # `network`'s codes
    head: int


def _model(config: TrainConfig, kind: str, weights: dict[str, np.ndarray]) -> _Model:
    layout = Layout.of(config)
    vector = layout.flat(weights, kind)[None]
    return _Model(layout, vector, Architecture.of(config), cell_of(config), head_of(kind, config.attention))


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


def _answer(
    model: _Model,
    X: np.ndarray,
    arena: np.ndarray,
    thread: int = 0,
    alpha: bool = False,
    gradient: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's predictions (float32) of every window of X, with `alpha` their attention weights (else
    an empty array) and with `gradient` their gradient x input; in this thread, in its row of `arena`,
    which holds the last window's trace after it."""
    samples, steps = len(X), model.layout.time_steps
    out = np.zeros((1, samples), np.float32)
    alpha_out = np.zeros((1, samples if alpha else 0, steps), np.float32)
    gradient_out = np.zeros((1, samples if gradient else 0, steps), np.float32)
    slots = np.zeros(1, np.int64) if alpha else np.full(1, -1, np.int64)
    rows, first, taken = np.arange(samples, dtype=np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64)
    answers(model.cell, model.head)(
        model.weights, first, taken, model.layout.offsets, model.architecture, X, rows, out, slots, alpha_out,
        gradient_out, arena, thread,
    )  # fmt: skip
    return out[0], alpha_out[0], gradient_out[0]


def predict(
    config: TrainConfig, kind: str, weights: dict[str, np.ndarray], windows: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's scaled predictions for `windows` (float64, (samples,)), and for the attention model
    its attention weights (samples, time_steps), whatever its head (uniform: 1/T; self-attention: the last
    position's query's). One thread: it answers beside a running training."""
    model = _model(config, kind, weights)
    X = _windows(windows, config.data.time_steps)
    attends = model.head != LAST_STATE
    out, alpha, _ = _answer(model, X, scratch(1, model.layout), alpha=attends)
    return out.astype(np.float64), alpha if attends else None


def attention_trace(
    config: TrainConfig, weights: dict[str, np.ndarray], window: np.ndarray
) -> AttentionTrace:
    """What the attention model of `config` with `weights` computes for one window, step by step; with
    self-attention, every position's weights too (`AttentionTrace.weight_map`)."""
    model = _model(config, "attention", weights)
    X = _windows(np.asarray(window).reshape(1, -1), config.data.time_steps)
    arena = scratch(1, model.layout)
    (prediction,), _, _ = _answer(model, X, arena)
    weight_map = None
    if model.head == SELF_ATTENTION:
        weight_map = np.zeros((config.data.time_steps, config.data.time_steps), np.float32)
        _self_attention_map(model.weights[0], model.layout.offsets, model.architecture, arena, weight_map)
    trace, _ = own(arena, 0, model.architecture)  # what `forward` kept of the window
    states, scores, alpha, context = (
        part.copy() for part in (trace.hs[1:], trace.scores, trace.alpha, trace.features)
    )
    return AttentionTrace(states, scores, alpha, context, float(prediction), weight_map)


@compiled()
def _self_attention_map(weights, offsets, architecture, arena, out):
    """`network.self_attention_map` of the window thread 0 of `arena` last ran `forward` on, into `out`
    (T, T), with denormals flushed as in training."""
    flags = flush_denormals()
    trace, _ = own(arena, 0, architecture)
    self_attention_map(weights, offsets, architecture, trace, out)
    restore(flags)


@cache
def answers(cell: int, head: int):
    """The compiled answers of members of one `cell` and `head` (`network`'s codes, constants in its code):
    training's final predictions too. Models as `network`'s functions take them (see its docstring),
    windows X (samples, T) float32, and an `arena` of every thread's memory (`network.scratch`)."""

    @compiled(nogil=True)
    def answer(weights, order, taken, offsets, architecture, X, rows, out, alpha_slots, alpha_out,
               gradient_out, arena, thread):  # fmt: skip
        """For each member in `order` (rows of `weights`, M of them), the next not yet taken (`taken`, as
        `cpu.claim` counts): its predictions of windows `rows` of X into its row of `out` (M, len(rows));
        for a member with a slot in `alpha_slots` (M,), their attention weights into that slot of
        `alpha_out` (slots, len(rows), T); and their gradient x input, |df/dx_t * x_t|, into its row of
        `gradient_out` (M, len(rows), T), unless that is empty (M, 0, T). In thread `thread`'s row of
        `arena`, which holds the last window's trace after it."""
        trace, gradients = own(arena, thread, architecture)
        steps, with_gradient = architecture.time_steps, gradient_out.shape[1] > 0
        flags = flush_denormals()
        while True:
            claimed = claim(taken)
            if claimed >= len(order):
                break
            m = order[claimed]
            member, slot = weights[m], alpha_slots[m]
            if with_gradient:
                transpose_recurrent(member, offsets, architecture, gradients.recurrent_transposed)
            for i in range(len(rows)):
                x = X[rows[i]]
                prediction = forward(member, offsets, architecture, cell, head, x, trace)
                out[m, i] = prediction
                if slot >= 0:
                    for t in range(steps):  # loops: a slice's assignment compiles its shape check's message
                        alpha_out[slot, i, t] = trace.alpha[t]
                if with_gradient:
                    backward(member, offsets, architecture, cell, head, x, trace, prediction, ONE, gradients)
                    for t in range(steps):
                        gradient_out[m, i, t] = abs(gradients.dx[t] * x[t])
        restore(flags)

    return answer


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
    model = _model(config, kind, weights)
    distinct, inverse = np.unique(_windows(windows, config.data.time_steps), axis=0, return_inverse=True)
    X = np.ascontiguousarray(distinct)
    out = np.zeros(X.shape, np.float32)
    arena = scratch(threads_for(len(X)), model.layout)
    value, windows_of = np.float32(OCCLUDED_VALUE), np.array_split(np.arange(len(X)), len(arena))

    def measure(thread: int) -> None:
        """The importances of this thread's share of the windows."""
        rows = windows_of[thread]
        if method == "gradient":
            out[rows] = _answer(model, X[rows], arena, thread, gradient=True)[2]
            return
        occluded = X[rows]  # |f(x) - f(x with step t set to `value`)|, 0 where the step holds `value`
        base = _answer(model, occluded, arena, thread)[0]
        for t in range(model.layout.time_steps):
            occluded[:, t] = value
            moved = np.abs(_answer(model, occluded, arena, thread)[0] - base)
            out[rows, t] = np.where(X[rows, t] == value, 0, moved)
            occluded[:, t] = X[rows, t]

    on_threads(measure, len(arena))
    return out.astype(np.float64)[inverse.reshape(-1)]
