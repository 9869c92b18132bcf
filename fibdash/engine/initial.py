"""The initial weights Keras gives `fibdash.keras.models.build_model`, bit for bit, from NumPy alone.

`build_model` seeds Python's `random` (`keras.utils.set_random_seed`, keras/src/utils/rng_utils.py)
and builds the model. Each layer constructor that makes a random initializer or a dropout
`SeedGenerator` draws one seed from it, `random.randint(1, 10**9)` (keras/src/random/seed_generator.py
`make_default_seed`), in the order the constructors run (a layer that makes its initializer when it is
built, called in the model at once, draws then):

    SimpleRNN   dropout SeedGenerator, kernel (glorot_uniform), recurrent kernel (orthogonal)
    LSTM, GRU   kernel, recurrent kernel, dropout SeedGenerator
    then the attention model's head (`_head_weights`), as `fibdash.keras.models._attention_head` makes it:
      tutorial  W (random_normal, stddev 0.05)
      additive  Dense "query" kernel, Dense "key" kernel (glorot_uniform), AdditiveAttention's scale v
                (glorot_uniform of a vector: fans H and H), made when it is built
      self      MultiHeadAttention's own kernel initializer (never used), then one copy of it per
                projection as the layer builds them, query, key, value and output (glorot_uniform over
                the EinsumDense's input and output axes: fans H and H)
      dot, uniform  none (dot's scale starts at 1)
    then        the dense kernel (glorot_uniform)

Biases are zeros, but for the ones in LSTM's forget gate (`unit_forget_bias`). The initializers
(keras/src/initializers/random_initializers.py `VarianceScaling`, `Orthogonal`, `RandomNormal`) call
`tf.random.stateless_uniform` or `stateless_normal` with seed [s, 0]
(keras/src/backend/tensorflow/random.py `uniform`, `normal`, `_cast_seed`). The rest follows
TensorFlow 2.21 and the Eigen it ships:

- tensorflow/core/kernels/stateless_random_ops.cc `GenerateKey`: the Philox key and counter of a seed;
- tsl/lib/random/philox_random.h `PhiloxRandom` (Philox-4x32-10); random_distributions.h
  `Uint32ToFloat`, `UniformDistribution`, `NormalDistribution` and `BoxMullerFloat`, which calls
  glibc's `logf` and `sincosf`: so does this module, through ctypes, since NumPy's float32 functions,
  or float64 ones rounded, differ from glibc's in the last bit of about 1% of the draws;
- tensorflow/core/kernels/linalg/qr_op_impl.h `QrOp`: Eigen's `HouseholderQR` of a row-major matrix,
  then `householderQ() * Identity` into a column-major one. Eigen/src/QR/HouseholderQR.h,
  Householder/Householder.h, Householder/HouseholderSequence.h and the AVX kernels (TensorFlow's
  wheels use no FMA) of Core/products/GeneralMatrixVector.h fix every float32 rounding, as below.
  From 48 hidden units on, Eigen applies its reflectors in blocks (Householder/BlockHouseholder.h,
  matrix-matrix kernels), which this module does not reproduce: there the recurrent kernel is
  within a few float32 steps of Keras' (3.3e-6 at most measured, SimpleRNN), not equal to it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import random
from collections.abc import Callable

import numpy as np

from fibdash.config import GATES, MODEL_KINDS, TrainConfig, check_choice

F32 = np.float32
WORD = np.uint64(0xFFFFFFFF)


def _philox(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox-4x32-10 of each counter, counters (4, n) uint32 -> (4, n) uint32."""
    c0, c1, c2, c3 = counters.astype(np.uint64)  # uint64, so that the 32 x 32-bit products are exact
    k0, k1 = key
    for _ in range(10):
        p0, p2 = c0 * np.uint64(0xD2511F53), c2 * np.uint64(0xCD9E8D57)
        c0, c1, c2, c3 = (p2 >> 32) ^ c1 ^ k0, p2 & WORD, (p0 >> 32) ^ c3 ^ k1, p0 & WORD
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return np.stack([c0, c1, c2, c3]).astype(np.uint32)


def _random_bits(seed: int, n: int) -> np.ndarray:
    """The first n uint32 words TensorFlow's stateless ops draw for seed [seed, 0]: 4 per counter."""
    seed %= 2**31 - 2  # _cast_seed's floormod to int32: Keras' seeds (< 10**9) pass unchanged
    # GenerateKey: one Philox round trip of counter (seed, 0) under a fixed key gives key and counter.
    mix = _philox(np.array([[seed], [0], [0], [0]], np.uint32), (0x3EC8F720, 0x02461E29))[:, 0]
    counters = np.zeros((4, -(-n // 4)), np.uint32)  # counter i: (i, 0, mix[2], mix[3])
    counters[0], counters[2], counters[3] = np.arange(counters.shape[1]), mix[2], mix[3]
    return _philox(counters, (int(mix[0]), int(mix[1]))).T.reshape(-1)[:n]


def _unit_floats(bits: np.ndarray) -> np.ndarray:
    """Uint32ToFloat: 23 random mantissa bits under a zero exponent, minus one; in [0, 1)."""
    return ((bits & 0x7FFFFF) | 0x3F800000).view(F32) - F32(1)


def _uniform(seed: int, shape: tuple[int, ...], limit: float) -> np.ndarray:
    """tf.random.stateless_uniform(shape, [seed, 0], -limit, limit), float32."""
    low, high = F32(-limit), F32(limit)
    return (_unit_floats(_random_bits(seed, math.prod(shape))) * (high - low) + low).reshape(shape)


@functools.cache
def _libm() -> ctypes.CDLL | None:
    """The C library's maths, whose logf and sincosf TensorFlow's Box-Muller calls; None where it has
    no sincosf (macOS, Windows): NumPy's float32 functions stand in, a bit off in about 1% of draws."""
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m"))
        libm.logf.argtypes, libm.logf.restype = [ctypes.c_float], ctypes.c_float
        out = ctypes.POINTER(ctypes.c_float)
        libm.sincosf.argtypes = [ctypes.c_float, out, out]
    except (OSError, AttributeError, TypeError):
        return None
    libm.sincosf.restype = None
    return libm


def _normal(seed: int, shape: tuple[int, ...], stddev: float) -> np.ndarray:
    """tf.random.stateless_normal(shape, [seed, 0], 0, stddev), float32: Box-Muller of word pairs."""
    n = math.prod(shape)
    bits = _random_bits(seed, n + n % 2).reshape(-1, 2)
    u = np.maximum(_unit_floats(bits[:, 0]), F32(1e-7))  # kept away from log(0)
    angle = (2 * np.pi * _unit_floats(bits[:, 1]).astype(np.float64)).astype(F32)  # 2.0f * M_PI: a double
    libm, sine, cosine = _libm(), ctypes.c_float(), ctypes.c_float()  # sincosf's two answers
    if libm is None:
        log, sin, cos = np.log(u), np.sin(angle), np.cos(angle)
    else:
        log = np.array([libm.logf(x) for x in u.tolist()], F32)
        sin, cos = np.empty_like(angle), np.empty_like(angle)
        for i, x in enumerate(angle.tolist()):
            libm.sincosf(x, ctypes.byref(sine), ctypes.byref(cosine))
            sin[i], cos[i] = sine.value, cosine.value
    radius = np.sqrt(F32(-2) * log)
    return (np.stack([sin * radius, cos * radius], axis=1).reshape(-1)[:n] * F32(stddev)).reshape(shape)


def _sequential_sum(terms: np.ndarray) -> np.ndarray:
    """The sum over axis 0, one term after another as Eigen's scalar loops add (NumPy's sum pairs them)."""
    return np.add.accumulate(terms, axis=0, dtype=F32)[-1]


def _predux(packet: np.ndarray) -> np.ndarray:
    """Eigen's SSE predux of 4 lanes (axis 0): (a0 + a2) + (a1 + a3)."""
    return (packet[0] + packet[2]) + (packet[1] + packet[3])


def _gemv_column_major(terms: np.ndarray) -> np.ndarray:
    """Column sums of terms (r, n) as Eigen's column-major gemv: term by term, 16 at a time from r = 128."""
    block = len(terms) if len(terms) < 128 else 16
    sums = np.zeros(terms.shape[1], F32)
    for start in range(0, len(terms), block):
        sums = sums + _sequential_sum(terms[start : start + block])
    return sums


def _gemv_row_major(terms: np.ndarray) -> np.ndarray:
    """Column sums of terms (r, n) as Eigen's row-major gemv: 8 lanes over whole packets, then one by one.

    The kernel takes outputs 8, 4 or 2 at a time; an odd last one goes alone and adds a 4-lane half packet.
    """
    r, n = terms.shape
    full, half = 8 * (r // 8), 4 * (r // 4)
    lanes = _sequential_sum(terms[:full].reshape(-1, 8, n)) if full else np.zeros((8, n), F32)
    sums = _predux(lanes[:4] + lanes[4:])  # AVX's predux: the two halves added, then SSE's
    paired = n - n % 2
    for j in range(full, r):
        sums[:paired] += terms[j, :paired]
    if n % 2:
        if half > full:
            sums[-1] += _predux(terms[full:half, -1])
        for j in range(half, r):
            sums[-1] += terms[j, -1]
    return sums


def _reflect(
    block: np.ndarray, essential: np.ndarray, tau: np.float32, gemv: Callable[[np.ndarray], np.ndarray]
) -> None:
    """applyHouseholderOnTheLeft, in place: block (rows, n) -= tau v (v^T block), v = (1, essential)."""
    if len(block) == 1:
        block *= F32(1) - tau
    elif tau != 0 and block.shape[1]:
        bottom = block[1:]
        terms = bottom * essential[:, None]  # (rows - 1, n)
        # With one column Eigen takes a dot product instead: one term after another as well.
        tmp = (_sequential_sum(terms) if bottom.shape[1] == 1 else gemv(terms)) + block[0]
        block[0] -= tau * tmp
        bottom -= (tau * essential)[:, None] * tmp


def _householder_qr(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q (m, n) and the diagonal of R of a (m, n), m >= n, as TensorFlow's float32 QrOp with Eigen."""
    a = a.astype(F32)  # a copy: R on and above the diagonal, the reflectors' essential parts below
    m, n = a.shape
    taus = np.zeros(n, F32)
    for k in range(n):  # makeHouseholderInPlace of column k, then its reflection of the columns right of it
        c0, tail = a[k, k], a[k + 1 :, k]
        tail_norm = _sequential_sum(tail * tail) if len(tail) else F32(0)
        if tail_norm <= np.finfo(F32).tiny:
            beta, tail[:] = c0, 0  # no reflection: tau stays 0
        else:
            beta = np.sqrt(c0 * c0 + tail_norm)
            beta = -beta if c0 >= 0 else beta
            tail[:] = tail / (c0 - beta)
            taus[k] = (beta - c0) / beta
        a[k, k] = beta
        # TensorFlow's matrix is row-major: Eigen multiplies by its transpose, a column-major gemv.
        _reflect(a[k:, k + 1 :], a[k + 1 :, k], taus[k], _gemv_column_major)
    # householderQ() * Identity: the reflections, last first, of a column-major identity.
    q = np.eye(m, n, dtype=F32)
    for k in reversed(range(n)):
        _reflect(q[k:], a[k + 1 :, k], taus[k], _gemv_row_major)
    return q, np.diag(a).copy()


def _glorot_uniform(seed: int, shape: tuple[int, ...], fans: tuple[int, int] | None = None) -> np.ndarray:
    """Keras' GlorotUniform of `shape`, whose (fan_in, fan_out) are its two axes unless given."""
    fan_in, fan_out = shape if fans is None else fans
    scale = 1.0 / max(1.0, (fan_in + fan_out) / 2.0)  # fan_avg, in Python floats as Keras
    return _uniform(seed, shape, math.sqrt(3.0 * scale))


def _orthogonal(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """Keras' Orthogonal (gain 1): Q of a standard normal (max, min) matrix, signed by R's diagonal."""
    rows, cols = shape
    q, diagonal = _householder_qr(_normal(seed, (max(rows, cols), min(rows, cols)), 1.0))
    q = q * np.sign(diagonal)
    return np.ascontiguousarray(q.T if rows < cols else q)


def _head_weights(config: TrainConfig, seed: Callable[[], int]) -> dict[str, np.ndarray]:
    """The attention model's head's initial weights, drawing each random initializer's `seed()` in the
    order Keras does (see this module's docstring), by "layer/weight" in the Keras model's order."""
    units, steps, attention = config.hidden_units, config.data.time_steps, config.attention
    if attention == "tutorial":
        return {
            "attention/attention_weight": _normal(seed(), (units, 1), 0.05),
            "attention/attention_bias": np.zeros((steps, 1), F32),
        }
    if attention == "additive":
        return {
            "query/kernel": _glorot_uniform(seed(), (units, units)),
            "key/kernel": _glorot_uniform(seed(), (units, units)),
            "attention/scale": _glorot_uniform(seed(), (units,), (units, units)),
        }
    if attention == "dot":
        return {"attention/scale": np.ones((), F32)}
    if attention == "self":
        seed()  # MultiHeadAttention's own kernel initializer: each projection gets a fresh copy instead
        weights = {}
        for part in ("query", "key", "value"):
            weights[f"attention/{part}/kernel"] = _glorot_uniform(seed(), (units, 1, units), (units, units))
            weights[f"attention/{part}/bias"] = np.zeros((1, units), F32)
        weights["attention/attention_output/kernel"] = _glorot_uniform(
            seed(), (1, units, units), (units, units)
        )
        weights["attention/attention_output/bias"] = np.zeros(units, F32)
        return weights
    return {}  # uniform


def initial_weights(config: TrainConfig, kind: str) -> dict[str, np.ndarray]:
    """The weights `build_model(config, kind)` starts from under Keras 3 on TensorFlow, by "layer/weight",
    float32, computed without TensorFlow or Keras."""
    check_choice("model", kind, MODEL_KINDS)
    units, width = config.hidden_units, GATES[config.cell] * config.hidden_units
    draws = random.Random(config.seed)  # set_random_seed's random.seed, leaving the global generator alone

    def seed() -> int:
        return draws.randint(1, 10**9)

    if config.cell == "SimpleRNN":  # SimpleRNNCell makes its dropout SeedGenerator before its initializers
        _, kernel, recurrent = seed(), seed(), seed()
    else:
        kernel, recurrent, _ = seed(), seed(), seed()
    bias = np.zeros((2, width) if config.cell == "GRU" else width, F32)  # GRU: input and recurrent biases
    if config.cell == "LSTM":
        bias[units : 2 * units] = 1  # gates i, f, c, o: unit_forget_bias
    weights = {
        "rnn/kernel": _glorot_uniform(kernel, (1, width)),
        "rnn/recurrent_kernel": _orthogonal(recurrent, (units, width)),
        "rnn/bias": bias,
    }
    if kind == "attention":
        weights.update(_head_weights(config, seed))
    weights["dense/kernel"] = _glorot_uniform(seed(), (units, 1))
    weights["dense/bias"] = np.zeros(1, F32)
    return weights
