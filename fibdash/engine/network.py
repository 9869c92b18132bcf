"""Both networks of the tutorial, one window at a time: every equation's forward and backward side by side.

A member is one network (either model, one seed) as a flat float32 vector of its weights, laid out
by `Layout`. The equations are those of Keras 3 (`SimpleRNNCell`, `LSTMCell` and `GRUCell` with
`reset_after=True`, implementation 2, and fibdash's `Attention` layer), in float32, in the order
Keras adds their terms; the tests hold them to Keras' own `fit`. A window's forward pass keeps what
its backward pass needs in caller-owned buffers, so nothing here allocates:

    hs     (T + 1, H)  hidden states, hs[0] = 0 and hs[t + 1] after input t
    cs     (T + 1, H)  LSTM: cell states, likewise
    gates  (T, 4H)     LSTM: i, f, g, o after their activations; GRU: z, r, h~ (the first 3H)
    aux    (T, H)      LSTM: activation(c_t); GRU: the recurrent matmul's candidate part, h W_h + b_h
    scores (T,)        attention: e_t = tanh(h_t W + b_t)
    alpha  (T,)        attention: softmax of the scores over time
    ctx    (H,)        attention: the context, sum over t of alpha_t h_t

Gradients are added into a flat vector of the same layout as the weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from fibdash.config import ACTIVATIONS, CELLS, TrainConfig
from fibdash.engine.cpu import padded
from fibdash.engine.layout import Layout

# Codes the compiled functions branch on (one compiled program serves every architecture).
SIMPLE_RNN, LSTM, GRU = (CELLS.index(cell) for cell in ("SimpleRNN", "LSTM", "GRU"))
TANH, SIGMOID, RELU, LINEAR = (ACTIVATIONS.index(name) for name in ("tanh", "sigmoid", "relu", "linear"))
LAST, ATTENTION = 0, 1  # heads: the last hidden state into Dense (the RNN), or attention into Dense

ZERO, ONE, TWO = np.float32(0.0), np.float32(1.0), np.float32(2.0)


@dataclass(frozen=True)
class Network:
    """What the compiled functions need to know of an architecture, as the codes they branch on."""

    layout: Layout
    cell: int
    activation: int

    @classmethod
    def of(cls, config: TrainConfig) -> Network:
        layout = Layout(config.cell, config.hidden_units, config.data.time_steps)
        return cls(layout, CELLS.index(config.cell), ACTIVATIONS.index(config.activation))

    def args(self) -> tuple:
        """The architecture as the compiled functions take it: offsets, cell, activation, T, H."""
        layout = self.layout
        return layout.offsets, self.cell, self.activation, layout.time_steps, layout.hidden_units

    def member_args(self, head: int) -> tuple:
        """The same for one member, as `forward` takes them: offsets, cell, activation, head, T, H."""
        layout = self.layout
        return layout.offsets, self.cell, self.activation, head, layout.time_steps, layout.hidden_units


def scratch(threads: int, layout: Layout) -> np.ndarray:
    """Every buffer a thread's forward and backward passes write into, a row of one arena per thread;
    `own` cuts a row into them."""
    steps, units = layout.time_steps, layout.hidden_units
    floats = 2 * (steps + 1) * units + 7 * steps * units + 3 * steps + 10 * units + 4 * units**2
    floats += layout.size("attention")
    return np.zeros((threads, padded(floats)), np.float32)


@njit(cache=True)
def _take(row, start, rows, columns):
    """The (rows, columns) block of `row` from `start`, and where the next block starts."""
    return row[start : start + rows * columns].reshape(rows, columns), start + rows * columns


@njit(cache=True)
def own(arena, thread, steps, units, size):
    """Thread `thread`'s buffers in its row of a `scratch` arena: forward's hs (T + 1, H), cs (T + 1, H),
    gates (T, 4H), aux (T, H), scores (T,), alpha (T,), ctx (H,), then backward's grad (size,), dx (T,),
    d_states (T, H), dh, dh_prev, dc (H,), dz (6H,) and rt (4H * H: the recurrent kernel transposed)."""
    row = arena[thread]
    hs, at = _take(row, 0, steps + 1, units)
    cs, at = _take(row, at, steps + 1, units)
    gates, at = _take(row, at, steps, 4 * units)
    aux, at = _take(row, at, steps, units)
    d_states, at = _take(row, at, steps, units)
    vectors, _ = _take(row, at, 1, 3 * steps + 10 * units + size + 4 * units * units)
    v = vectors[0]
    scores, alpha, dx = v[:steps], v[steps : 2 * steps], v[2 * steps : 3 * steps]
    at = 3 * steps
    ctx, dh = v[at : at + units], v[at + units : at + 2 * units]
    dh_prev, dc = v[at + 2 * units : at + 3 * units], v[at + 3 * units : at + 4 * units]
    dz = v[at + 4 * units : at + 10 * units]
    grad = v[at + 10 * units : at + 10 * units + size]
    rt = v[at + 10 * units + size : at + 10 * units + size + 4 * units * units]
    return hs, cs, gates, aux, scores, alpha, ctx, grad, dx, d_states, dh, dh_prev, dc, dz, rt


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
# rows of R, or of its transpose RT (width, units) made once an optimizer step, loops the compiler
# vectorises: for 64 units three times faster than one multiply-add at a time. A small one (the
# tutorial's 2 units) is read element by element, as slicing out rows would cost more than its sums.
SMALL_KERNEL = 64  # weights


@njit(cache=True, inline="always")
def times_recurrent(p, start, units, width, h, out):
    """out[col] = sum over i of h[i] R[i, col], for R (units, width) at p[start]."""
    if units * width <= SMALL_KERNEL:
        for col in range(width):
            total = ZERO
            for i in range(units):
                total += h[i] * p[start + i * width + col]
            out[col] = total
        return
    for col in range(width):
        out[col] = ZERO
    for i in range(units):
        row, value = p[start + i * width : start + (i + 1) * width], h[i]
        for col in range(width):
            out[col] += value * row[col]


@njit(cache=True, inline="always")
def transpose_recurrent(p, lay, units, width, rt):
    """RT = R^T into `rt` (width * units floats) for the backward passes of a large kernel; once per
    optimizer step, as the weights change."""
    if units * width <= SMALL_KERNEL:
        return
    start = lay[1]
    for i in range(units):
        row = p[start + i * width : start + (i + 1) * width]
        for col in range(width):
            rt[col * units + i] = row[col]


@njit(cache=True, inline="always")
def recurrent_backward(p, grad, start, units, width, h_prev, dz, dh_prev, rt):
    """For out = h_prev R: add dL/dR = h_prev^T dz into `grad`, and dL/dh_prev = R dz to `dh_prev`."""
    if units * width <= SMALL_KERNEL:
        for col in range(width):
            value = dz[col]
            for i in range(units):
                grad[start + i * width + col] += h_prev[i] * value
                dh_prev[i] += p[start + i * width + col] * value
        return
    for i in range(units):
        row, value = grad[start + i * width : start + (i + 1) * width], h_prev[i]
        for col in range(width):
            row[col] += value * dz[col]
    for col in range(width):
        column, value = rt[col * units : (col + 1) * units], dz[col]
        for i in range(units):
            dh_prev[i] += column[i] * value


# --- SimpleRNN: h_t = activation((x_t K + b) + h_{t-1} R)


@njit(cache=True)
def simple_rnn_forward(p, lay, act, units, x, h_prev, h):
    kernel, recurrent, bias = lay[0], lay[1], lay[2]
    times_recurrent(p, recurrent, units, units, h_prev, h)
    for j in range(units):
        h[j] = activate(act, (x * p[kernel + j] + p[bias + j]) + h[j])


@njit(cache=True)
def simple_rnn_backward(p, lay, act, units, x, h_prev, h, dh, grad, dh_prev, dz, rt):
    """Add this step's gradients into `grad`, given dL/dh_t in `dh`; dL/dh_{t-1} into `dh_prev`, and
    dL/dx_t returned; `dz` is scratch, `rt` the recurrent kernel transposed (`transpose_recurrent`)."""
    kernel, recurrent, bias = lay[0], lay[1], lay[2]
    dx = ZERO
    for i in range(units):
        dh_prev[i] = ZERO
    for j in range(units):
        d = dh[j] * slope(act, h[j])
        grad[kernel + j] += x * d
        grad[bias + j] += d
        dx += p[kernel + j] * d
        for i in range(units):
            grad[recurrent + i * units + j] += h_prev[i] * d
            dh_prev[i] += p[recurrent + i * units + j] * d
    return dx


@njit(cache=True)
def simple_rnn_backward_wide(p, lay, act, units, x, h_prev, h, dh, grad, dh_prev, dz, rt):
    """`simple_rnn_backward` for a large kernel: the same sums in the same order, along rows the compiler
    vectorises. (One function with both loop forms ran the tutorial's 2 units 25% slower: `backward`
    chooses between the two, so that the small one stays small.)"""
    kernel, bias = lay[0], lay[2]
    dx = ZERO
    for j in range(units):
        dz[j] = dh[j] * slope(act, h[j])
        grad[kernel + j] += x * dz[j]
        grad[bias + j] += dz[j]
        dx += p[kernel + j] * dz[j]
        dh_prev[j] = ZERO
    recurrent_backward(p, grad, lay[1], units, units, h_prev, dz, dh_prev, rt)
    return dx


# --- LSTM, gates i, f, g, o: z = (x K + h R) + b; c = f c_prev + i g; h = o activation(c)


@njit(cache=True)
def lstm_forward(p, lay, act, units, x, h_prev, c_prev, h, c, gates, ac):
    kernel, recurrent, bias = lay[0], lay[1], lay[2]
    width = 4 * units
    times_recurrent(p, recurrent, units, width, h_prev, gates)
    for col in range(width):
        z = (x * p[kernel + col] + gates[col]) + p[bias + col]
        gates[col] = activate(act, z) if units * 2 <= col < units * 3 else sigmoid(z)
    for j in range(units):
        i_, f, g, o = gates[j], gates[units + j], gates[2 * units + j], gates[3 * units + j]
        c[j] = f * c_prev[j] + i_ * g
        ac[j] = activate(act, c[j])
        h[j] = o * ac[j]


@njit(cache=True)
def lstm_backward(p, lay, act, units, x, h_prev, c_prev, gates, ac, dh, dc, grad, dh_prev, dz, rt):
    """As `simple_rnn_backward`; `dc` holds dL/dc_t on entry and dL/dc_{t-1} on return."""
    kernel, bias = lay[0], lay[2]
    for j in range(units):
        i_, f, g, o = gates[j], gates[units + j], gates[2 * units + j], gates[3 * units + j]
        dc_j = dc[j] + dh[j] * o * slope(act, ac[j])
        dz[j] = dc_j * g * i_ * (ONE - i_)
        dz[units + j] = dc_j * c_prev[j] * f * (ONE - f)
        dz[2 * units + j] = dc_j * i_ * slope(act, g)
        dz[3 * units + j] = dh[j] * ac[j] * o * (ONE - o)
        dc[j] = dc_j * f
        dh_prev[j] = ZERO
    dx = ZERO
    for col in range(4 * units):
        grad[kernel + col] += x * dz[col]
        grad[bias + col] += dz[col]
        dx += p[kernel + col] * dz[col]
    recurrent_backward(p, grad, lay[1], units, 4 * units, h_prev, dz, dh_prev, rt)
    return dx


# --- GRU (reset_after), gates z, r, h~: x' = x K + b_in, inner = h R + b_rec;
# z = sigmoid(x'_z + inner_z), r likewise, h~ = activation(x'_h + r inner_h), h = z h_prev + (1 - z) h~


@njit(cache=True)
def gru_forward(p, lay, act, units, x, h_prev, h, gates, inner_h):
    kernel, recurrent, bias = lay[0], lay[1], lay[2]
    width = 3 * units
    times_recurrent(p, recurrent, units, width, h_prev, gates)
    for col in range(width):
        mx = x * p[kernel + col] + p[bias + col]
        inner = gates[col] + p[bias + width + col]
        if col < 2 * units:
            gates[col] = sigmoid(mx + inner)
        else:
            inner_h[col - 2 * units] = inner
            gates[col] = mx  # h~ needs r first: finished below
    for j in range(units):
        candidate = activate(act, gates[2 * units + j] + gates[units + j] * inner_h[j])
        gates[2 * units + j] = candidate
        z = gates[j]
        h[j] = z * h_prev[j] + (ONE - z) * candidate


@njit(cache=True)
def gru_backward(p, lay, act, units, x, h_prev, gates, inner_h, dh, grad, dh_prev, dz, rt):
    """As `simple_rnn_backward`; `dz` (at least 6H) holds the input side's gradients (3H), then the
    recurrent side's (3H)."""
    kernel, bias = lay[0], lay[2]
    width = 3 * units
    for j in range(units):
        z, r, candidate = gates[j], gates[units + j], gates[2 * units + j]
        dh_prev[j] = dh[j] * z
        a = dh[j] * (ONE - z) * slope(act, candidate)  # dL/d(x'_h + r inner_h)
        dz[j] = dz[width + j] = dh[j] * (h_prev[j] - candidate) * z * (ONE - z)
        dz[units + j] = dz[width + units + j] = a * inner_h[j] * r * (ONE - r)
        dz[2 * units + j] = a
        dz[width + 2 * units + j] = a * r  # dL/d inner_h
    dx = ZERO
    for col in range(width):
        grad[kernel + col] += x * dz[col]
        grad[bias + col] += dz[col]
        grad[bias + width + col] += dz[width + col]
        dx += p[kernel + col] * dz[col]
    recurrent_backward(p, grad, lay[1], units, width, h_prev, dz[width:], dh_prev, rt)
    return dx


# --- a whole window: the cell over time, then the head


@njit(cache=True)
def forward(p, lay, cell, act, head, steps, units, x, hs, cs, gates, aux, scores, alpha, ctx):
    """The member's prediction for window `x` (steps,), keeping what `backward` needs."""
    for j in range(units):
        hs[0, j] = ZERO
        cs[0, j] = ZERO
    for t in range(steps):
        if cell == SIMPLE_RNN:
            simple_rnn_forward(p, lay, act, units, x[t], hs[t], hs[t + 1])
        elif cell == LSTM:
            lstm_forward(p, lay, act, units, x[t], hs[t], cs[t], hs[t + 1], cs[t + 1], gates[t], aux[t])
        else:
            gru_forward(p, lay, act, units, x[t], hs[t], hs[t + 1], gates[t], aux[t])
    dense, dense_bias = lay[3], lay[4]
    if head == LAST:
        features = hs[steps]
    else:  # Attention: e = tanh(h W + b), alpha = softmax(e) over time, context = sum alpha_t h_t
        weight, bias = lay[5], lay[6]
        top = -np.inf
        for t in range(steps):
            u = ZERO
            for j in range(units):
                u += hs[t + 1, j] * p[weight + j]
            scores[t] = math.tanh(u + p[bias + t])
            top = max(top, scores[t])
        total = ZERO
        for t in range(steps):
            alpha[t] = math.exp(scores[t] - top)
            total += alpha[t]
        for t in range(steps):
            alpha[t] = alpha[t] / total
        for j in range(units):
            ctx[j] = ZERO
        for t in range(steps):
            for j in range(units):
                ctx[j] += hs[t + 1, j] * alpha[t]
        features = ctx
    s = ZERO
    for j in range(units):
        s += features[j] * p[dense + j]
    return activate(act, s + p[dense_bias])


@njit(cache=True)
def backward(p, lay, cell, act, head, steps, units, x, hs, cs, gates, aux, scores, alpha, ctx, prediction,
             d_prediction, grad, dx, d_states, dh, dh_prev, dc, dz, rt):  # fmt: skip
    """Add dL/dweights into `grad` and write dL/dx into `dx` (steps,), given dL/d(prediction) and
    `forward`'s buffers; `d_states` (steps, H), `dh`, `dh_prev`, `dc` (H) and `dz` (6H) are scratch,
    `rt` the recurrent kernel transposed (`transpose_recurrent`, after every change of the weights)."""
    dense, dense_bias = lay[3], lay[4]
    ds = d_prediction * slope(act, prediction)
    grad[dense_bias] += ds
    for t in range(steps):
        for j in range(units):
            d_states[t, j] = ZERO
    if head == LAST:
        for j in range(units):
            grad[dense + j] += hs[steps, j] * ds
            d_states[steps - 1, j] = p[dense + j] * ds
    else:
        weight, bias = lay[5], lay[6]
        for j in range(units):  # the dense layer reads the context
            grad[dense + j] += ctx[j] * ds
        # context: dL/dh_t = alpha_t dL/dctx and dL/dalpha_t = h_t . dL/dctx, kept in dx (free until the
        # cell's backward pass) while the softmax's weighted mean of them adds up
        mean = ZERO
        for t in range(steps):
            d_alpha = ZERO
            for j in range(units):
                d_ctx = p[dense + j] * ds
                d_states[t, j] = alpha[t] * d_ctx
                d_alpha += hs[t + 1, j] * d_ctx
            dx[t] = d_alpha
            mean += alpha[t] * d_alpha
        for t in range(steps):  # softmax, then tanh, then h_t W + b_t
            du = alpha[t] * (dx[t] - mean) * (ONE - scores[t] * scores[t])
            grad[bias + t] += du
            for j in range(units):
                grad[weight + j] += hs[t + 1, j] * du
                d_states[t, j] += p[weight + j] * du
    for j in range(units):
        dh[j] = ZERO
        dc[j] = ZERO
    for t in range(steps - 1, -1, -1):
        for j in range(units):
            dh[j] += d_states[t, j]
        if cell == SIMPLE_RNN and units * units <= SMALL_KERNEL:
            dx[t] = simple_rnn_backward(p, lay, act, units, x[t], hs[t], hs[t + 1], dh, grad, dh_prev, dz, rt)
        elif cell == SIMPLE_RNN:
            dx[t] = simple_rnn_backward_wide(
                p, lay, act, units, x[t], hs[t], hs[t + 1], dh, grad, dh_prev, dz, rt
            )
        elif cell == LSTM:
            dx[t] = lstm_backward(
                p, lay, act, units, x[t], hs[t], cs[t], gates[t], aux[t], dh, dc, grad, dh_prev, dz, rt
            )
        else:
            dx[t] = gru_backward(p, lay, act, units, x[t], hs[t], gates[t], aux[t], dh, grad, dh_prev, dz, rt)
        for j in range(units):
            dh[j] = dh_prev[j]


@njit(cache=True)
def predict_rows(p, lay, cell, act, head, steps, units, X, rows, out, alpha_out, buf):
    """The member's predictions for windows `rows` of X into `out`; with an attention head and a
    non-empty `alpha_out` (len(rows), steps), their attention weights too."""
    hs, cs, gates, aux, scores, alpha, ctx = buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6]
    keep = head == ATTENTION and alpha_out.shape[0] > 0
    for k in range(len(rows)):
        out[k] = forward(
            p, lay, cell, act, head, steps, units, X[rows[k]], hs, cs, gates, aux, scores, alpha, ctx
        )
        if keep:
            alpha_out[k, :] = alpha
