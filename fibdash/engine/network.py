"""Both networks of the tutorial, one window at a time: every equation's forward and backward side by side.

The equations are those of Keras 3 (`SimpleRNNCell`, `LSTMCell` and `GRUCell` with `reset_after=True`,
implementation 2, `Dense`, fibdash's `Attention` layer and the attention heads of
`fibdash.keras.models`), in float32, in the order Keras adds their terms; the tests hold them to Keras'
own `fit` (tests/test_engine.py). A network is one cell run over the window's time steps, a head that
turns the cell's states into the features the dense layer reads, and that dense layer. Contents, in
order:

    codes            cells SIMPLE_RNN, LSTM, GRU; activations TANH, SIGMOID, RELU, LINEAR; heads
                     LAST_STATE (the RNN model's), then the attention model's, one per
                     `fibdash.config.ATTENTIONS`: TUTORIAL, ADDITIVE, DOT, SELF_ATTENTION, UNIFORM;
                     `head_of(kind, attention)`
    Architecture     the codes and sizes every function branches and loops on
    Trace, Gradients a thread's working memory: what a window's forward pass keeps, and its backward
                     pass's; `scratch` allocates both for every thread, `own` cuts out one thread's
    activations      `activate`, and its `slope` for the backward passes
    recurrent kernel `times_recurrent`, `transpose_recurrent`, `recurrent_backward`: its products
    cells            `simple_rnn_forward`/`_backward`, `lstm_forward`/`_backward`, `gru_forward`/`_backward`
    heads            `last_state_forward`/`_backward`, `attention_forward`/`_backward` (the tutorial's),
                     `additive_forward`/`_backward`, `dot_forward`/`_backward`, `self_attention_forward`/
                     `_backward` (its last query's row; `self_attention_map`, every row, for inference),
                     `uniform_forward`/`_backward`, and the dispatch on a head's code: `head_forward`,
                     `head_backward`
    a window         `forward` (cell over time, head, dense), `backward`, `predict_rows`

A member is one network (one kind of model, one seed) as a flat float32 vector of its weights, laid out
by `Layout` (layout.py) and read by name through its `Offsets`: weights[offsets.kernel + j]. Training
(training.py) and answers for given windows (inference.py) call `forward` and `backward`; the CPU's
side of it (threads, the float flags) is cpu.py's.

To add a head:
1. layout.py: its weights in `Layout.head_weights` under its name, each with a field in `Offsets`; its
   name in `fibdash.config.ATTENTIONS` (an attention head; the setting `attention` chooses it), and its
   Keras twin in `fibdash/keras` (the definition) whose initial weights `initial.py` replays.
2. here, in the heads section: its code, `head_of`; `<head>_forward(weights, offsets,
   architecture, trace)`, which reads the states `trace.hs` and writes the features the dense layer
   reads into `trace.features` (its attention weights into `trace.alpha`); and `<head>_backward(weights,
   offsets, architecture, trace, gradients)`, which reads dL/dfeatures in `gradients.d_features`,
   writes dL/dh_t into `gradients.d_states` (zeros on entry) and adds its weights' gradients into
   `gradients.grad`. Memory it needs beyond theirs is a new field of `Trace` or `Gradients` (and of
   `buffer_shapes` and `own`).
3. one branch each in `head_forward` and `head_backward`.
The parity test with Keras' `fit` then holds it to its definition at the usual tolerances.

The arguments, described once (T time steps, H hidden units, W the cell's width, GATES * H):

    weights : (size,) float32
        A member's weights in `Layout` order; a row of a training's weights (longer: padding).
    offsets : Offsets
        Where each weight starts in `weights`, by name (layout.py).
    architecture : Architecture
        The codes and sizes of the network (below); `activation` and `units` alone where a cell's
        step needs only them.
    head : int
        The member's head: LAST_STATE, or an attention head's code (`head_of`).
    trace : Trace
        What `forward` keeps of a window for `backward` (below), in the thread's memory.
    gradients : Gradients
        What `backward` works in (below), in the thread's memory. Nothing here allocates.
    x : (T,) float32
        One window; a cell's step takes its input x_t alone, a float32.
    h_prev, h, c_prev, c : (H,) float32
        A cell step's states before (h_{t-1}, c_{t-1}) and after it (h_t, c_t): rows of `trace.hs`
        and `trace.cs`.
    dh, dh_prev, dc, dz, grad, recurrent_transposed
        A cell's backward step: the fields of `Gradients` of those names.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from fibdash.config import ACTIVATIONS, ATTENTIONS, CELLS, MODEL_KINDS, TrainConfig, check_choice
from fibdash.engine.cpu import padded
from fibdash.engine.layout import Layout

# --- codes the compiled functions branch on (one compiled program serves every architecture)
SIMPLE_RNN, LSTM, GRU = (CELLS.index(cell) for cell in ("SimpleRNN", "LSTM", "GRU"))
TANH, SIGMOID, RELU, LINEAR = (ACTIVATIONS.index(name) for name in ("tanh", "sigmoid", "relu", "linear"))
# heads: the RNN model's, then the attention model's, 1 + its place in ATTENTIONS
LAST_STATE = 0
TUTORIAL, ADDITIVE, DOT, SELF_ATTENTION, UNIFORM = (1 + ATTENTIONS.index(name) for name in ATTENTIONS)

ZERO, ONE, TWO = np.float32(0.0), np.float32(1.0), np.float32(2.0)


def head_of(kind: str, attention: str) -> int:
    """The code of a `kind` model's head, as `head_forward` and `head_backward` branch on it: the RNN's
    last state, or the attention model's `attention` head."""
    check_choice("model", kind, MODEL_KINDS)
    check_choice("attention", attention, ATTENTIONS)
    return LAST_STATE if kind == "rnn" else 1 + ATTENTIONS.index(attention)


class Architecture(NamedTuple):
    """What the compiled functions know of a network: the codes they branch on, the sizes they loop over."""

    cell: int  # SIMPLE_RNN, LSTM or GRU
    activation: int  # TANH, SIGMOID, RELU or LINEAR: the cell's and the dense layer's
    time_steps: int  # T, steps of a window
    units: int  # H, hidden units
    width: int  # W, the cell kernels' columns, its gates side by side: H, 4H (LSTM) or 3H (GRU)

    @classmethod
    def of(cls, config: TrainConfig) -> Architecture:
        layout = Layout.of(config)
        cell, activation = CELLS.index(config.cell), ACTIVATIONS.index(config.activation)
        return cls(cell, activation, layout.time_steps, layout.hidden_units, layout.width)


class Trace(NamedTuple):
    """What a window's forward pass keeps for its backward pass: one thread's, in its row of a `scratch`
    arena (`own`).

    Inside a `prange` loop Numba loses writes made through a named tuple's field, `gradients.grad[:n] = 0`
    (numba issues 7135 and 10338, open in 0.68): there the parallel functions take the fields they
    write into local names first, `grad = gradients.grad`, or hand the tuple to a compiled function (not
    one inlined with inline="always"), as `forward(..., trace)`; so do they with training's `Members`.
    """

    hs: np.ndarray  # (T + 1, H) hidden states: hs[0] = 0, hs[t + 1] after input t
    cs: np.ndarray  # (T + 1, H) LSTM: cell states, likewise
    gates: np.ndarray  # (T, 4H) LSTM: i, f, g, o after their activations; GRU: z, r, h~ (the first 3H)
    aux: np.ndarray  # (T, H) LSTM: activation(c_t); GRU: the recurrent matmul's candidate part, h W_h + b_h
    scores: np.ndarray  # (T,) attention: alpha's scores before the softmax; the tutorial's tanh(h_t W + b_t)
    alpha: np.ndarray  # (T,) attention: its weights, the softmax of the scores over time
    query: np.ndarray  # (H,) additive: q W_q; self-attention: the last position's query, h_T W_q + b_q
    keys: np.ndarray  # (T, H) additive: tanh(q W_q + h_t W_k); self-attention: the keys h_t W_k + b_k
    values: np.ndarray  # (T, H) self-attention: the values h_t W_v + b_v
    context: np.ndarray  # (H,) self-attention: sum over t of alpha_t v_t, before the output projection
    features: np.ndarray  # (H,) what the dense layer reads: the last state, or attention's context


class Gradients(NamedTuple):
    """What a window's backward pass works in: one thread's, after its `Trace` in its row (`own`)."""

    d_states: np.ndarray  # (T, H) dL/dh_t from the head, before the cell's backward pass adds its own
    dx: np.ndarray  # (T,) dL/dx_t, the window's gradient
    d_features: np.ndarray  # (H,) dL/d(features)
    d_alpha: np.ndarray  # (T,) attention: dL/dalpha_t
    d_query: np.ndarray  # (H,) dL/d(the query): additive, q W_q; dot, h_T; self-attention, h_T W_q + b_q
    d_context: np.ndarray  # (H,) self-attention: dL/d(`Trace.context`)
    d_key: np.ndarray  # (H,) of the step at hand: additive, dL/d(h_t W_k); self-attention, dL/dk_t
    d_value: np.ndarray  # (H,) self-attention: dL/dv_t, of the step at hand
    dh: np.ndarray  # (H,) dL/dh_t as the cell's backward pass goes back in time
    dh_prev: np.ndarray  # (H,) dL/dh_{t-1}: a cell's backward step's answer
    dc: np.ndarray  # (H,) LSTM: dL/dc_t, then dL/dc_{t-1}
    dz: np.ndarray  # (6H,) a cell's backward step: gradients of its gates' inputs
    recurrent_transposed: np.ndarray  # (4H * H,) the recurrent kernel transposed (`transpose_recurrent`)
    grad: np.ndarray  # (at least the largest member's size,) dL/dweights in `Layout` order: the row's rest


def buffer_shapes(time_steps: int, units: int) -> dict[str, tuple[int, ...]]:
    """The shape of each field of `Trace`, then of `Gradients` but `grad`, in the order `own` cuts them,
    for T `time_steps` and H `units`."""
    return {
        "hs": (time_steps + 1, units),
        "cs": (time_steps + 1, units),
        "gates": (time_steps, 4 * units),
        "aux": (time_steps, units),
        "scores": (time_steps,),
        "alpha": (time_steps,),
        "query": (units,),
        "keys": (time_steps, units),
        "values": (time_steps, units),
        "context": (units,),
        "features": (units,),
        "d_states": (time_steps, units),
        "dx": (time_steps,),
        "d_features": (units,),
        "d_alpha": (time_steps,),
        "d_query": (units,),
        "d_context": (units,),
        "d_key": (units,),
        "d_value": (units,),
        "dh": (units,),
        "dh_prev": (units,),
        "dc": (units,),
        "dz": (6 * units,),
        "recurrent_transposed": (4 * units * units,),
    }


def scratch(threads: int, layout: Layout) -> np.ndarray:
    """Every thread's `Trace` and `Gradients` in one arena, a row per thread, cache lines apart; `own`
    cuts a row."""
    shapes = buffer_shapes(layout.time_steps, layout.hidden_units)
    floats = sum(math.prod(shape) for shape in shapes.values()) + layout.largest_size
    return np.zeros((threads, padded(floats)), np.float32)


@njit(cache=True)
def _matrix(row, start, rows, columns):
    """The (rows, columns) block of `row` from `start`, and where the next block starts."""
    return row[start : start + rows * columns].reshape(rows, columns), start + rows * columns


@njit(cache=True)
def _vector(row, start, length):
    """The `length` numbers of `row` from `start`, and where the next block starts."""
    return row[start : start + length], start + length


@njit(cache=True)
def own(arena, thread, architecture):
    """Thread `thread`'s `Trace` and `Gradients`: its row of a `scratch` arena, cut as `buffer_shapes`
    says."""
    row = arena[thread]
    steps, units = architecture.time_steps, architecture.units
    hs, at = _matrix(row, 0, steps + 1, units)
    cs, at = _matrix(row, at, steps + 1, units)
    gates, at = _matrix(row, at, steps, 4 * units)
    aux, at = _matrix(row, at, steps, units)
    scores, at = _vector(row, at, steps)
    alpha, at = _vector(row, at, steps)
    query, at = _vector(row, at, units)
    keys, at = _matrix(row, at, steps, units)
    values, at = _matrix(row, at, steps, units)
    context, at = _vector(row, at, units)
    features, at = _vector(row, at, units)
    d_states, at = _matrix(row, at, steps, units)
    dx, at = _vector(row, at, steps)
    d_features, at = _vector(row, at, units)
    d_alpha, at = _vector(row, at, steps)
    d_query, at = _vector(row, at, units)
    d_context, at = _vector(row, at, units)
    d_key, at = _vector(row, at, units)
    d_value, at = _vector(row, at, units)
    dh, at = _vector(row, at, units)
    dh_prev, at = _vector(row, at, units)
    dc, at = _vector(row, at, units)
    dz, at = _vector(row, at, 6 * units)
    recurrent_transposed, at = _vector(row, at, 4 * units * units)
    grad = row[at:]
    trace = Trace(hs, cs, gates, aux, scores, alpha, query, keys, values, context, features)
    gradients = Gradients(d_states, dx, d_features, d_alpha, d_query, d_context, d_key, d_value, dh, dh_prev,
                          dc, dz, recurrent_transposed, grad)  # fmt: skip
    return trace, gradients


# --- activations: each with its slope, read from the activation's output, as TensorFlow's gradients do


@njit(cache=True)
def sigmoid(x):
    return ONE / (ONE + math.exp(-x))


@njit(cache=True)
def activate(code, x):
    if code == TANH:
        return math.tanh(x)
    if code == SIGMOID:
        return sigmoid(x)
    if code == RELU:
        return ZERO if x < ZERO else x  # NaN stays NaN, as in TensorFlow
    return x


@njit(cache=True)
def slope(code, y):
    """The activation's derivative where its output is `y`."""
    if code == TANH:
        return ONE - y * y
    if code == SIGMOID:
        return y * (ONE - y)
    if code == RELU:
        return ONE if y > ZERO else ZERO
    return ONE


# --- the recurrent kernel's products. Each sum adds its terms in one fixed order (forward: over the rows
# i of R, as a dot product would; backward: over the columns, as each column's gradient comes), in one
# of two loop forms that give the same numbers bit for bit. A large kernel is read along contiguous
# rows of R, or of its transpose (W, H) made once an optimizer step, loops the compiler vectorises:
# for 64 units three times faster than one multiply-add at a time. A small one (the tutorial's 2
# units) is read element by element, as slicing out rows would cost more than its sums.
SMALL_KERNEL = 64  # weights


@njit(cache=True, inline="always")
def times_recurrent(weights, start, units, width, h, out):
    """out[col] = sum over i of h[i] R[i, col], for R (units, width) at weights[start]."""
    if units * width <= SMALL_KERNEL:
        for col in range(width):
            total = ZERO
            for i in range(units):
                total += h[i] * weights[start + i * width + col]
            out[col] = total
        return
    for col in range(width):
        out[col] = ZERO
    for i in range(units):
        row, value = weights[start + i * width : start + (i + 1) * width], h[i]
        for col in range(width):
            out[col] += value * row[col]


@njit(cache=True)
def transpose_recurrent(weights, offsets, architecture, recurrent_transposed):
    """R^T into `recurrent_transposed` (W * H floats) for the backward passes of a large kernel; once
    per optimizer step, as the weights change."""
    units, width = architecture.units, architecture.width
    if units * width <= SMALL_KERNEL:
        return
    start = offsets.recurrent_kernel
    for i in range(units):
        row = weights[start + i * width : start + (i + 1) * width]
        for col in range(width):
            recurrent_transposed[col * units + i] = row[col]


@njit(cache=True, inline="always")
def recurrent_backward(weights, grad, start, units, width, h_prev, dz, dh_prev, recurrent_transposed):
    """For out = h_prev R: add dL/dR = h_prev^T dz into `grad`, and dL/dh_prev = R dz to `dh_prev`."""
    if units * width <= SMALL_KERNEL:
        for col in range(width):
            value = dz[col]
            for i in range(units):
                grad[start + i * width + col] += h_prev[i] * value
                dh_prev[i] += weights[start + i * width + col] * value
        return
    for i in range(units):
        row, value = grad[start + i * width : start + (i + 1) * width], h_prev[i]
        for col in range(width):
            row[col] += value * dz[col]
    for col in range(width):
        column, value = recurrent_transposed[col * units : (col + 1) * units], dz[col]
        for i in range(units):
            dh_prev[i] += column[i] * value


# --- SimpleRNN: h_t = activation((x_t K + b) + h_{t-1} R)


@njit(cache=True)
def simple_rnn_forward(weights, offsets, activation, units, x, h_prev, h):
    kernel, bias = offsets.kernel, offsets.bias
    times_recurrent(weights, offsets.recurrent_kernel, units, units, h_prev, h)
    for j in range(units):
        h[j] = activate(activation, (x * weights[kernel + j] + weights[bias + j]) + h[j])


@njit(cache=True)
def simple_rnn_backward(
    weights, offsets, activation, units, x, h_prev, h, dh, grad, dh_prev, dz, recurrent_transposed
):
    """Add this step's gradients into `grad`, given dL/dh_t in `dh`; dL/dh_{t-1} into `dh_prev`, and
    dL/dx_t returned; `dz` is scratch, `recurrent_transposed` as `transpose_recurrent` leaves it."""
    kernel, recurrent, bias = offsets.kernel, offsets.recurrent_kernel, offsets.bias
    dx = ZERO
    for i in range(units):
        dh_prev[i] = ZERO
    for j in range(units):
        d = dh[j] * slope(activation, h[j])
        grad[kernel + j] += x * d
        grad[bias + j] += d
        dx += weights[kernel + j] * d
        for i in range(units):
            grad[recurrent + i * units + j] += h_prev[i] * d
            dh_prev[i] += weights[recurrent + i * units + j] * d
    return dx


@njit(cache=True)
def simple_rnn_backward_wide(
    weights, offsets, activation, units, x, h_prev, h, dh, grad, dh_prev, dz, recurrent_transposed
):
    """`simple_rnn_backward` for a large kernel: the same sums in the same order, along rows the compiler
    vectorises. (One function with both loop forms ran the tutorial's 2 units 25% slower: `backward`
    chooses between the two, so that the small one stays small.)"""
    kernel, bias = offsets.kernel, offsets.bias
    dx = ZERO
    for j in range(units):
        dz[j] = dh[j] * slope(activation, h[j])
        grad[kernel + j] += x * dz[j]
        grad[bias + j] += dz[j]
        dx += weights[kernel + j] * dz[j]
        dh_prev[j] = ZERO
    recurrent_backward(
        weights, grad, offsets.recurrent_kernel, units, units, h_prev, dz, dh_prev, recurrent_transposed
    )
    return dx


# --- LSTM, gates i, f, g, o: z = (x K + h R) + b; c = f c_prev + i g; h = o activation(c)


@njit(cache=True)
def lstm_forward(weights, offsets, activation, units, x, h_prev, c_prev, h, c, gates, activated_c):
    """One step; `gates` (4H) and `activated_c` (H), activation(c_t), are kept for the backward step."""
    kernel, bias = offsets.kernel, offsets.bias
    width = 4 * units
    times_recurrent(weights, offsets.recurrent_kernel, units, width, h_prev, gates)
    for col in range(width):
        z = (x * weights[kernel + col] + gates[col]) + weights[bias + col]
        gates[col] = activate(activation, z) if units * 2 <= col < units * 3 else sigmoid(z)
    for j in range(units):
        i_, f, g, o = gates[j], gates[units + j], gates[2 * units + j], gates[3 * units + j]
        c[j] = f * c_prev[j] + i_ * g
        activated_c[j] = activate(activation, c[j])
        h[j] = o * activated_c[j]


@njit(cache=True)
def lstm_backward(weights, offsets, activation, units, x, h_prev, c_prev, gates, activated_c, dh, dc, grad,
                  dh_prev, dz, recurrent_transposed):  # fmt: skip
    """As `simple_rnn_backward`; `dc` holds dL/dc_t on entry and dL/dc_{t-1} on return."""
    kernel, bias = offsets.kernel, offsets.bias
    for j in range(units):
        i_, f, g, o = gates[j], gates[units + j], gates[2 * units + j], gates[3 * units + j]
        dc_j = dc[j] + dh[j] * o * slope(activation, activated_c[j])
        dz[j] = dc_j * g * i_ * (ONE - i_)
        dz[units + j] = dc_j * c_prev[j] * f * (ONE - f)
        dz[2 * units + j] = dc_j * i_ * slope(activation, g)
        dz[3 * units + j] = dh[j] * activated_c[j] * o * (ONE - o)
        dc[j] = dc_j * f
        dh_prev[j] = ZERO
    dx = ZERO
    for col in range(4 * units):
        grad[kernel + col] += x * dz[col]
        grad[bias + col] += dz[col]
        dx += weights[kernel + col] * dz[col]
    recurrent_backward(
        weights, grad, offsets.recurrent_kernel, units, 4 * units, h_prev, dz, dh_prev, recurrent_transposed
    )
    return dx


# --- GRU (reset_after), gates z, r, h~: x' = x K + b_in, inner = h R + b_rec;
# z = sigmoid(x'_z + inner_z), r likewise, h~ = activation(x'_h + r inner_h), h = z h_prev + (1 - z) h~


@njit(cache=True)
def gru_forward(weights, offsets, activation, units, x, h_prev, h, gates, inner_h):
    """One step; `gates` (3H) and `inner_h` (H), the recurrent candidate part, are kept for the backward
    step."""
    kernel, bias = offsets.kernel, offsets.bias
    width = 3 * units
    times_recurrent(weights, offsets.recurrent_kernel, units, width, h_prev, gates)
    for col in range(width):
        mx = x * weights[kernel + col] + weights[bias + col]
        inner = gates[col] + weights[bias + width + col]
        if col < 2 * units:
            gates[col] = sigmoid(mx + inner)
        else:
            inner_h[col - 2 * units] = inner
            gates[col] = mx  # h~ needs r first: finished below
    for j in range(units):
        candidate = activate(activation, gates[2 * units + j] + gates[units + j] * inner_h[j])
        gates[2 * units + j] = candidate
        z = gates[j]
        h[j] = z * h_prev[j] + (ONE - z) * candidate


@njit(cache=True)
def gru_backward(weights, offsets, activation, units, x, h_prev, gates, inner_h, dh, grad, dh_prev, dz,
                 recurrent_transposed):  # fmt: skip
    """As `simple_rnn_backward`; `dz` (at least 6H) holds the input side's gradients (3H), then the
    recurrent side's (3H)."""
    kernel, bias = offsets.kernel, offsets.bias
    width = 3 * units
    for j in range(units):
        z, r, candidate = gates[j], gates[units + j], gates[2 * units + j]
        dh_prev[j] = dh[j] * z
        a = dh[j] * (ONE - z) * slope(activation, candidate)  # dL/d(x'_h + r inner_h)
        dz[j] = dz[width + j] = dh[j] * (h_prev[j] - candidate) * z * (ONE - z)
        dz[units + j] = dz[width + units + j] = a * inner_h[j] * r * (ONE - r)
        dz[2 * units + j] = a
        dz[width + 2 * units + j] = a * r  # dL/d inner_h
    dx = ZERO
    for col in range(width):
        grad[kernel + col] += x * dz[col]
        grad[bias + col] += dz[col]
        grad[bias + width + col] += dz[width + col]
        dx += weights[kernel + col] * dz[col]
    recurrent_backward(
        weights,
        grad,
        offsets.recurrent_kernel,
        units,
        width,
        h_prev,
        dz[width:],
        dh_prev,
        recurrent_transposed,
    )
    return dx


# --- heads: from the cell's states trace.hs to the features the dense layer reads, trace.features;
# backward, from dL/dfeatures (gradients.d_features) to dL/dh_t (gradients.d_states, zeros on entry) and
# the head's weights' gradients (gradients.grad). The RNN's and the tutorial's are inlined into `forward`
# and `backward`; the others are compiled functions of their own (below).


@njit(cache=True, inline="always")
def last_state_forward(weights, offsets, architecture, trace):
    """The RNN model's head: the last hidden state, h_T, into Dense. No weights."""
    last = architecture.time_steps
    for j in range(architecture.units):
        trace.features[j] = trace.hs[last, j]


@njit(cache=True, inline="always")
def last_state_backward(weights, offsets, architecture, trace, gradients):
    last = architecture.time_steps - 1
    for j in range(architecture.units):
        gradients.d_states[last, j] = gradients.d_features[j]


@njit(cache=True, inline="always")
def attention_forward(weights, offsets, architecture, trace):
    """The tutorial's head, fibdash's `Attention`: e = tanh(h W + b), alpha = softmax(e) over time, context =
    sum alpha_t h_t."""
    steps, units = architecture.time_steps, architecture.units
    hs, scores, alpha, context = trace.hs, trace.scores, trace.alpha, trace.features
    weight, bias = offsets.attention_weight, offsets.attention_bias
    for t in range(steps):
        u = ZERO
        for j in range(units):
            u += hs[t + 1, j] * weights[weight + j]
        scores[t] = math.tanh(u + weights[bias + t])
    _softmax_over_time(steps, scores, alpha)
    for j in range(units):
        context[j] = ZERO
    for t in range(steps):
        for j in range(units):
            context[j] += hs[t + 1, j] * alpha[t]


@njit(cache=True, inline="always")
def attention_backward(weights, offsets, architecture, trace, gradients):
    steps, units = architecture.time_steps, architecture.units
    hs, scores, alpha, grad = trace.hs, trace.scores, trace.alpha, gradients.grad
    d_states, d_context, d_alpha = gradients.d_states, gradients.d_features, gradients.d_alpha
    weight, bias = offsets.attention_weight, offsets.attention_bias
    # the context: dL/dh_t = alpha_t dL/dcontext and dL/dalpha_t = h_t . dL/dcontext, while the
    # softmax's weighted mean of the latter adds up
    mean = ZERO
    for t in range(steps):
        d_alpha_t = ZERO
        for j in range(units):
            d_states[t, j] = alpha[t] * d_context[j]
            d_alpha_t += hs[t + 1, j] * d_context[j]
        d_alpha[t] = d_alpha_t
        mean += alpha[t] * d_alpha_t
    for t in range(steps):  # softmax, then tanh, then h_t W + b_t
        du = alpha[t] * (d_alpha[t] - mean) * (ONE - scores[t] * scores[t])
        grad[bias + t] += du
        for j in range(units):
            grad[weight + j] += hs[t + 1, j] * du
            d_states[t, j] += weights[weight + j] * du


# The other attention heads share the softmax over time, weighted sums over time, projections x K + b
# (`times_recurrent`'s sums, for any (H, H) matrix at weights[start]) and their gradients. They are
# compiled functions of their own rather than inlined into `forward` and `backward`: each does O(T H)
# work a window or more, beside which a call costs nothing, and `forward` stays small to compile.


@njit(cache=True, inline="always")
def _softmax_over_time(steps, scores, alpha):
    """alpha = softmax(scores) over the window's steps, the largest score taken off first; `alpha` may be
    `scores`."""
    top = -np.inf
    for t in range(steps):
        top = max(top, scores[t])
    total = ZERO
    for t in range(steps):
        alpha[t] = math.exp(scores[t] - top)
        total += alpha[t]
    for t in range(steps):
        alpha[t] = alpha[t] / total


@njit(cache=True, inline="always")
def _softmax_backward(steps, alpha, d_alpha):
    """dL/dalpha_t in `d_alpha` made dL/dscore_t, in place: alpha_t (dL/dalpha_t - sum_s alpha_s
    dL/dalpha_s)."""
    mean = ZERO
    for t in range(steps):
        mean += alpha[t] * d_alpha[t]
    for t in range(steps):
        d_alpha[t] = alpha[t] * (d_alpha[t] - mean)


@njit(cache=True, inline="always")
def _weighted_sum(steps, units, rows, alpha, out):
    """out = sum over t of alpha_t rows[t], rows (T, H)."""
    for j in range(units):
        out[j] = ZERO
    for t in range(steps):
        for j in range(units):
            out[j] += rows[t, j] * alpha[t]


@njit(cache=True, inline="always")
def _weighted_sum_backward(steps, units, rows, alpha, d_out, d_rows, d_alpha):
    """For out = `_weighted_sum`: dL/drows[t] = alpha_t dL/dout into `d_rows` (written), and dL/dalpha_t =
    rows[t] . dL/dout into `d_alpha`."""
    for t in range(steps):
        total = ZERO
        for j in range(units):
            d_rows[t, j] = alpha[t] * d_out[j]
            total += rows[t, j] * d_out[j]
        d_alpha[t] = total


@njit(cache=True, inline="always")
def _projection(weights, kernel, bias, units, x, out):
    """out = x K + b, K (units, units) at weights[kernel] and b (units,) at weights[bias]; no bias where
    `bias` is negative."""
    times_recurrent(weights, kernel, units, units, x, out)
    if bias >= 0:
        for j in range(units):
            out[j] += weights[bias + j]


@njit(cache=True, inline="always")
def _projection_backward(weights, grad, kernel, bias, units, x, d_out, d_x):
    """For out = `_projection`: add dL/dK = x^T dL/dout and dL/db into `grad`, and dL/dx = K dL/dout to `d_x`,
    along the kernel's rows."""
    for i in range(units):
        start, value = kernel + i * units, x[i]
        row, gradient_row = weights[start : start + units], grad[start : start + units]
        total = ZERO
        for j in range(units):
            gradient_row[j] += value * d_out[j]
            total += row[j] * d_out[j]
        d_x[i] += total
    if bias >= 0:
        for j in range(units):
            grad[bias + j] += d_out[j]


@njit(cache=True)
def additive_forward(weights, offsets, architecture, trace):
    """Bahdanau's attention, the query q the last state h_T: score_t = v . tanh(q W_q + h_t W_k), alpha =
    softmax(score) over time, context = sum alpha_t h_t (Keras' Dense projections without biases and
    `AdditiveAttention`)."""
    steps, units = architecture.time_steps, architecture.units
    hs, scores, alpha, query, activated = trace.hs, trace.scores, trace.alpha, trace.query, trace.keys
    scale = offsets.additive_scale
    _projection(weights, offsets.additive_query_kernel, -1, units, hs[steps], query)
    for t in range(steps):
        key = activated[t]
        _projection(weights, offsets.additive_key_kernel, -1, units, hs[t + 1], key)
        score = ZERO
        for j in range(units):
            key[j] = math.tanh(query[j] + key[j])
            score += weights[scale + j] * key[j]
        scores[t] = score
    _softmax_over_time(steps, scores, alpha)
    _weighted_sum(steps, units, hs[1:], alpha, trace.features)


@njit(cache=True)
def additive_backward(weights, offsets, architecture, trace, gradients):
    steps, units = architecture.time_steps, architecture.units
    hs, alpha, activated, grad = trace.hs, trace.alpha, trace.keys, gradients.grad
    d_states, d_alpha = gradients.d_states, gradients.d_alpha
    d_query, d_key = gradients.d_query, gradients.d_key
    query_kernel, key_kernel = offsets.additive_query_kernel, offsets.additive_key_kernel
    scale = offsets.additive_scale
    _weighted_sum_backward(steps, units, hs[1:], alpha, gradients.d_features, d_states, d_alpha)
    _softmax_backward(steps, alpha, d_alpha)
    for j in range(units):
        d_query[j] = ZERO
    for t in range(steps):  # score_t = v . tanh(q W_q + h_t W_k)
        for j in range(units):
            a = activated[t, j]
            grad[scale + j] += d_alpha[t] * a
            d_key[j] = d_alpha[t] * weights[scale + j] * (ONE - a * a)
            d_query[j] += d_key[j]
        _projection_backward(weights, grad, key_kernel, -1, units, hs[t + 1], d_key, d_states[t])
    _projection_backward(weights, grad, query_kernel, -1, units, hs[steps], d_query, d_states[steps - 1])


@njit(cache=True)
def dot_forward(weights, offsets, architecture, trace):
    """Luong's attention, the query q the last state h_T: score_t = s (q . h_t), alpha = softmax(score) over
    time, context = sum alpha_t h_t (Keras' `Attention(use_scale=True)`)."""
    steps, units = architecture.time_steps, architecture.units
    hs, scores = trace.hs, trace.scores
    s = weights[offsets.dot_scale]
    for t in range(steps):
        u = ZERO
        for j in range(units):
            u += hs[steps, j] * hs[t + 1, j]
        scores[t] = u * s
    _softmax_over_time(steps, scores, trace.alpha)
    _weighted_sum(steps, units, hs[1:], trace.alpha, trace.features)


@njit(cache=True)
def dot_backward(weights, offsets, architecture, trace, gradients):
    steps, units = architecture.time_steps, architecture.units
    hs, alpha, grad = trace.hs, trace.alpha, gradients.grad
    d_states, d_alpha, d_query = gradients.d_states, gradients.d_alpha, gradients.d_query
    scale = offsets.dot_scale
    _weighted_sum_backward(steps, units, hs[1:], alpha, gradients.d_features, d_states, d_alpha)
    _softmax_backward(steps, alpha, d_alpha)
    for j in range(units):
        d_query[j] = ZERO
    for t in range(steps):  # score_t = s u_t, u_t = q . h_t
        u = ZERO
        for j in range(units):
            u += hs[steps, j] * hs[t + 1, j]
        grad[scale] += d_alpha[t] * u
        du = d_alpha[t] * weights[scale]
        for j in range(units):
            d_states[t, j] += du * hs[steps, j]
            d_query[j] += du * hs[t + 1, j]
    for j in range(units):
        d_states[steps - 1, j] += d_query[j]


@njit(cache=True)
def self_attention_forward(weights, offsets, architecture, trace):
    """One-head self-attention (Keras' `MultiHeadAttention`), of which Dense reads the last position's
    output: that position's query q = h_T W_q + b_q over the keys k_t = h_t W_k + b_k, score_t =
    (q . k_t) / sqrt(H), alpha = softmax(score) over time, context = sum alpha_t v_t of the values v_t =
    h_t W_v + b_v, and the features context W_o + b_o. No other position's output reaches Dense, so none
    is computed (`self_attention_map` gives their weights)."""
    steps, units = architecture.time_steps, architecture.units
    hs, scores, query, keys, values = trace.hs, trace.scores, trace.query, trace.keys, trace.values
    inverse_sqrt = np.float32(1.0 / math.sqrt(units))  # Keras' float, cast to float32 as it multiplies
    _projection(weights, offsets.self_query_kernel, offsets.self_query_bias, units, hs[steps], query)
    for t in range(steps):
        _projection(weights, offsets.self_key_kernel, offsets.self_key_bias, units, hs[t + 1], keys[t])
        _projection(weights, offsets.self_value_kernel, offsets.self_value_bias, units, hs[t + 1], values[t])
        u = ZERO
        for j in range(units):
            u += query[j] * keys[t, j]
        scores[t] = u * inverse_sqrt  # as Keras' dot_product_attention scales the products
    _softmax_over_time(steps, scores, trace.alpha)
    _weighted_sum(steps, units, values, trace.alpha, trace.context)
    _projection(weights, offsets.self_output_kernel, offsets.self_output_bias, units, trace.context,
                trace.features)  # fmt: skip


@njit(cache=True)
def self_attention_backward(weights, offsets, architecture, trace, gradients):
    steps, units = architecture.time_steps, architecture.units
    hs, alpha, query, keys, values = trace.hs, trace.alpha, trace.query, trace.keys, trace.values
    grad = gradients.grad
    d_states, d_alpha, d_context = gradients.d_states, gradients.d_alpha, gradients.d_context
    d_query, d_key, d_value = gradients.d_query, gradients.d_key, gradients.d_value
    query_kernel, query_bias = offsets.self_query_kernel, offsets.self_query_bias
    key_kernel, key_bias = offsets.self_key_kernel, offsets.self_key_bias
    value_kernel, value_bias = offsets.self_value_kernel, offsets.self_value_bias
    output_kernel, output_bias = offsets.self_output_kernel, offsets.self_output_bias
    inverse_sqrt = np.float32(1.0 / math.sqrt(units))
    for j in range(units):
        d_context[j] = ZERO
        d_query[j] = ZERO
    _projection_backward(
        weights, grad, output_kernel, output_bias, units, trace.context, gradients.d_features, d_context
    )
    for t in range(steps):  # context = sum alpha_t v_t
        total = ZERO
        for j in range(units):
            total += values[t, j] * d_context[j]
        d_alpha[t] = total
    _softmax_backward(steps, alpha, d_alpha)
    for t in range(steps):  # score_t = (q . k_t) / sqrt(H); then the projections of h_t
        d_product = d_alpha[t] * inverse_sqrt
        for j in range(units):
            d_value[j] = alpha[t] * d_context[j]
            d_key[j] = d_product * query[j]
            d_query[j] += d_product * keys[t, j]
        _projection_backward(weights, grad, key_kernel, key_bias, units, hs[t + 1], d_key, d_states[t])
        _projection_backward(weights, grad, value_kernel, value_bias, units, hs[t + 1], d_value, d_states[t])
    _projection_backward(
        weights, grad, query_kernel, query_bias, units, hs[steps], d_query, d_states[steps - 1]
    )


@njit(cache=True)
def self_attention_map(weights, offsets, architecture, trace, out):
    """Every position's self-attention weights for the window `forward` last ran in `trace`, into `out`
    (T, T): row i the softmax over t of (q_i . k_t) / sqrt(H), q_i = h_i W_q + b_q. Its last row is the
    one Dense reads the output of, `trace.alpha`. For inference: it allocates."""
    steps, units = architecture.time_steps, architecture.units
    hs, keys = trace.hs, trace.keys
    inverse_sqrt = np.float32(1.0 / math.sqrt(units))
    query = np.empty(units, np.float32)
    for i in range(steps):
        _projection(weights, offsets.self_query_kernel, offsets.self_query_bias, units, hs[i + 1], query)
        for t in range(steps):
            u = ZERO
            for j in range(units):
                u += query[j] * keys[t, j]
            out[i, t] = u * inverse_sqrt
        _softmax_over_time(steps, out[i], out[i])


@njit(cache=True)
def uniform_forward(weights, offsets, architecture, trace):
    """The control: the states' mean (Keras' `GlobalAveragePooling1D`), alpha_t = 1/T, no weights; its scores
    are 0, of which 1/T is the softmax."""
    steps, units = architecture.time_steps, architecture.units
    hs, features = trace.hs, trace.features
    count = np.float32(steps)
    for j in range(units):
        features[j] = ZERO
    for t in range(steps):
        for j in range(units):
            features[j] += hs[t + 1, j]
        trace.scores[t] = ZERO
        trace.alpha[t] = ONE / count
    for j in range(units):
        features[j] = features[j] / count


@njit(cache=True)
def uniform_backward(weights, offsets, architecture, trace, gradients):
    count = np.float32(architecture.time_steps)
    for t in range(architecture.time_steps):
        for j in range(architecture.units):
            gradients.d_states[t, j] = gradients.d_features[j] / count


@njit(cache=True, inline="always")
def head_forward(weights, offsets, architecture, head, trace):
    """The member's head: `trace.features` from the states `trace.hs`."""
    if head == LAST_STATE:
        last_state_forward(weights, offsets, architecture, trace)
    elif head == TUTORIAL:
        attention_forward(weights, offsets, architecture, trace)
    elif head == ADDITIVE:
        additive_forward(weights, offsets, architecture, trace)
    elif head == DOT:
        dot_forward(weights, offsets, architecture, trace)
    elif head == SELF_ATTENTION:
        self_attention_forward(weights, offsets, architecture, trace)
    else:
        uniform_forward(weights, offsets, architecture, trace)


@njit(cache=True, inline="always")
def head_backward(weights, offsets, architecture, head, trace, gradients):
    """The member's head backward: `gradients.d_states` (zeros on entry) from `gradients.d_features`."""
    if head == LAST_STATE:
        last_state_backward(weights, offsets, architecture, trace, gradients)
    elif head == TUTORIAL:
        attention_backward(weights, offsets, architecture, trace, gradients)
    elif head == ADDITIVE:
        additive_backward(weights, offsets, architecture, trace, gradients)
    elif head == DOT:
        dot_backward(weights, offsets, architecture, trace, gradients)
    elif head == SELF_ATTENTION:
        self_attention_backward(weights, offsets, architecture, trace, gradients)
    else:
        uniform_backward(weights, offsets, architecture, trace, gradients)


# --- a whole window: the cell over time, the head, the dense layer


@njit(cache=True)
def forward(weights, offsets, architecture, head, x, trace):
    """The member's prediction for window `x`, keeping in `trace` what `backward` needs."""
    cell, activation = architecture.cell, architecture.activation
    steps, units = architecture.time_steps, architecture.units
    hs, cs, gates, aux = trace.hs, trace.cs, trace.gates, trace.aux
    for j in range(units):
        hs[0, j] = ZERO
        cs[0, j] = ZERO
    for t in range(steps):
        if cell == SIMPLE_RNN:
            simple_rnn_forward(weights, offsets, activation, units, x[t], hs[t], hs[t + 1])
        elif cell == LSTM:
            lstm_forward(weights, offsets, activation, units, x[t], hs[t], cs[t], hs[t + 1], cs[t + 1],
                         gates[t], aux[t])  # fmt: skip
        else:
            gru_forward(weights, offsets, activation, units, x[t], hs[t], hs[t + 1], gates[t], aux[t])
    head_forward(weights, offsets, architecture, head, trace)
    features, dense = trace.features, offsets.dense_kernel
    s = ZERO
    for j in range(units):
        s += features[j] * weights[dense + j]
    return activate(activation, s + weights[offsets.dense_bias])


@njit(cache=True)
def backward(weights, offsets, architecture, head, x, trace, prediction, d_prediction, gradients):
    """Add dL/dweights into `gradients.grad` and write dL/dx into `gradients.dx`, given `prediction`, the
    value `forward` returned for `x` with this `trace`, and dL/d(prediction) `d_prediction`.
    `gradients.recurrent_transposed` must be as `transpose_recurrent` leaves it after the weights' last
    change."""
    cell, activation = architecture.cell, architecture.activation
    steps, units = architecture.time_steps, architecture.units
    hs, cs, gates, aux = trace.hs, trace.cs, trace.gates, trace.aux
    grad, dx, d_states, d_features = gradients.grad, gradients.dx, gradients.d_states, gradients.d_features
    dh, dh_prev, dc, dz = gradients.dh, gradients.dh_prev, gradients.dc, gradients.dz
    transposed = gradients.recurrent_transposed
    dense = offsets.dense_kernel
    ds = d_prediction * slope(activation, prediction)  # dL/d(the dense layer's sum)
    grad[offsets.dense_bias] += ds
    for j in range(units):
        grad[dense + j] += trace.features[j] * ds
        d_features[j] = weights[dense + j] * ds
    for t in range(steps):
        for j in range(units):
            d_states[t, j] = ZERO
    head_backward(weights, offsets, architecture, head, trace, gradients)
    for j in range(units):
        dh[j] = ZERO
        dc[j] = ZERO
    for t in range(steps - 1, -1, -1):
        for j in range(units):
            dh[j] += d_states[t, j]
        if cell == SIMPLE_RNN and units * units <= SMALL_KERNEL:
            dx[t] = simple_rnn_backward(weights, offsets, activation, units, x[t], hs[t], hs[t + 1], dh, grad,
                                        dh_prev, dz, transposed)  # fmt: skip
        elif cell == SIMPLE_RNN:
            dx[t] = simple_rnn_backward_wide(weights, offsets, activation, units, x[t], hs[t], hs[t + 1], dh,
                                             grad, dh_prev, dz, transposed)  # fmt: skip
        elif cell == LSTM:
            dx[t] = lstm_backward(weights, offsets, activation, units, x[t], hs[t], cs[t], gates[t], aux[t],
                                  dh, dc, grad, dh_prev, dz, transposed)  # fmt: skip
        else:
            dx[t] = gru_backward(weights, offsets, activation, units, x[t], hs[t], gates[t], aux[t], dh, grad,
                                 dh_prev, dz, transposed)  # fmt: skip
        for j in range(units):
            dh[j] = dh_prev[j]


@njit(cache=True)
def predict_rows(weights, offsets, architecture, head, X, rows, out, alpha_out, trace):
    """The member's predictions for windows `rows` of X into `out`; their attention weights into
    `alpha_out` too, unless it is empty.

    Parameters
    ----------
    X : (samples, T) float32
        Windows.
    rows : (n,) int64
        The windows of X to predict.
    out : (n,) float32
        The predictions, written.
    alpha_out : (n, T) or (0, T) float32
        The attention weights of each window, written; or nothing to write.
    """
    keep = alpha_out.shape[0] > 0
    for i in range(len(rows)):
        out[i] = forward(weights, offsets, architecture, head, X[rows[i]], trace)
        if keep:
            alpha_out[i, :] = trace.alpha
