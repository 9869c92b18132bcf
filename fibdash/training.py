"""Train either network, or both, from a `TrainConfig`: fast, reproducibly, with per-epoch progress.

The tutorial calls `model.fit(batch_size=1)`: one optimizer step per window, each paid for
with Python and graph-launch overhead that dwarfs an 11-parameter model's arithmetic. The
fast path takes the same steps, in the same order, with the same Adam state and loss, but
compiles each whole epoch (and the predictions after it) into one XLA while-loop.

That loop trains S seeds of both models at once, as 2S members: every weight has a leading
member axis, and the forward pass, Keras' cell equations included, is written once for all.
The loss is the sum of the members' own losses, so each member's gradient is its own, and
Adam, being elementwise, keeps a state per member. Tiny models leave a CPU idle: many cost
little more than one, and far less than compiling another program, so every training of an
architecture and number of seeds runs one program, whichever models it asks for. Training
one model is the smallest case; its weights then go into the Keras model `build_model` gave,
and seed k of a study is the Train page's seed k by construction.

`fast=False` runs Keras' plain `fit` loop on the same orders: the reference for tests and
benchmarks.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, replace

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from fibdash.config import MAX_N, MODEL_KINDS, MODEL_LABELS, TrainConfig, check_choice, check_seeds
from fibdash.data import Dataset, make_dataset
from fibdash.metrics import Scores, mse, score
from fibdash.models import (
    adam,
    attention_weights,
    create_RNN,
    create_RNN_with_attention,
    summary_rows,
    to_keras_bytes,
)
from fibdash.results import AttentionHistory, EpochLog

# XLA compiles these small, loop-heavy programs in about half the time with its classic CPU code
# emitters and LLVM's -O1 than with its defaults, and runs them as fast or faster: the tutorial's
# pair compiles in 1.4 s instead of 3 s, its study in 1.9 s instead of 3.5 s. XLA reads the flags
# at its first compilation in the process; a user's own XLA_FLAGS are left alone.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=1")

# Keras draws initial weights from process-wide seeds: building two models at once in two
# threads (two dashboard sessions) would interleave those draws and break reproducibility.
BUILD_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class TrainResult:
    """A trained model with its history, scores and (attention model only) weights."""

    config: TrainConfig
    kind: str
    model: keras.Model
    loss_history: tuple[float, ...]  # training loss (MSE on scaled values) per epoch
    test_mse_history: tuple[float, ...]
    scores: Scores  # MSE on scaled values, MdAPE in Fibonacci units, scaled predictions
    attention: np.ndarray | None  # (test windows, time_steps), rows in dataset.test_idx order
    attention_history: AttentionHistory | None  # the same after some epochs (fast path only)
    steps: int  # optimizer steps taken
    stopped: bool  # True when the callback stopped training before config.epochs
    seconds: float  # the call's time: with `train_pair`, both models'

    @property
    def epochs_run(self) -> int:
        return len(self.loss_history)

    def summary(self) -> list[dict[str, object]]:
        return summary_rows(self.model)

    def keras_bytes(self) -> bytes:
        return to_keras_bytes(self.model)


def build_model(config: TrainConfig, kind: str) -> keras.Model:
    """A fresh, compiled model of `kind` whose initial weights depend only on `config.seed`."""
    check_choice("model", kind, MODEL_KINDS)
    create = create_RNN if kind == "rnn" else create_RNN_with_attention
    c = config
    with BUILD_LOCK:
        keras.utils.set_random_seed(c.seed)
        return create(c.hidden_units, 1, (c.data.time_steps, 1), c.activation, c.cell, c.learning_rate)


def check_data(config: TrainConfig, data: Dataset | None) -> Dataset:
    """`data`, or the dataset of `config.data` when None; ValueError if built from another DataConfig."""
    if data is None:
        return make_dataset(config.data)
    if data.config != config.data:
        raise ValueError("data was built from another DataConfig than config.data")
    return data


def epoch_orders(config: TrainConfig) -> list[np.ndarray]:
    """The order in which each epoch visits the training windows, fixed by `config.seed`."""
    rng = np.random.default_rng(config.seed)
    return [rng.permutation(config.data.n_train) for _ in range(config.epochs)]


@dataclass(frozen=True)
class Architecture:
    """What a compiled loop depends on: everything but weights, data, learning rate and which seeds."""

    seeds: int  # how many seeds of each model the loop trains at once
    cell: str
    hidden_units: int
    activation: str
    time_steps: int
    batch_size: int

    @classmethod
    def of(cls, config: TrainConfig, seeds: int = 1) -> Architecture:
        c = config
        return cls(seeds, c.cell, c.hidden_units, c.activation, c.data.time_steps, c.batch_size)

    @property
    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Each weight's shape in the attention model (the RNN's weights and two more), by "layer/weight"."""
        units, width = self.hidden_units, {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[self.cell] * self.hidden_units
        return {
            "rnn/kernel": (1, width),  # the cell's gates side by side
            "rnn/recurrent_kernel": (units, width),
            "rnn/bias": (2, width) if self.cell == "GRU" else (width,),  # GRU: input and recurrent bias
            "attention/attention_weight": (units, 1),
            "attention/attention_bias": (self.time_steps, 1),
            "dense/kernel": (units, 1),
            "dense/bias": (1,),
        }


def stacked_weights(models: Sequence[keras.Model]) -> dict[str, np.ndarray]:
    """The models' trainable weights stacked on a new leading axis, keyed "layer/weight"."""
    stacks: dict[str, list[np.ndarray]] = {}
    for model in models:
        for layer in model.layers:
            for weight in layer.trainable_weights:
                stacks.setdefault(f"{layer.name}/{weight.name}", []).append(weight.numpy())
    return {name: np.stack(values) for name, values in stacks.items()}


def load_stacked(models: Sequence[keras.Model], stacked: dict[str, np.ndarray]) -> None:
    """Give model k its weights at index k of `stacked`: the inverse of `stacked_weights`."""
    for k, model in enumerate(models):
        for layer in model.layers:
            for weight in layer.trainable_weights:
                weight.assign(stacked[f"{layer.name}/{weight.name}"][k])


# Time steps per iteration of the scan over time: each iteration of an XLA while-loop costs more
# than a step of these tiny cells, and two steps per iteration halve an epoch's time while
# compiling about as fast; four or five compile slower for no clear gain.
UNROLL = 2


def scan_time(step: Callable, inputs: tf.Tensor, state: tuple) -> tuple[tuple, tf.Tensor]:
    """Run `step(x_t, state) -> (output_t, state)` along axis 0 of `inputs`: (last state, outputs).

    The outputs are stacked on axis 0, as Keras' RNN layers return sequences. A while-loop, as
    those layers use, of UNROLL steps per iteration, after the steps left over (steps % UNROLL).
    """
    steps = inputs.shape[0]
    head = steps % UNROLL
    outputs = []
    for t in range(head):
        output, state = step(inputs[t], state)
        outputs.append(output[None])
    chunks = tf.reshape(inputs[head:], (steps // UNROLL, UNROLL, *inputs.shape[1:]))
    array = tf.TensorArray(inputs.dtype, size=steps // UNROLL, element_shape=(UNROLL, *state[0].shape))

    def body(i, state, array):
        chunk = []
        for k in range(UNROLL):
            output, state = step(chunks[i, k], state)
            chunk.append(output)
        return i + 1, state, array.write(i, tf.stack(chunk))

    if steps >= UNROLL:
        _, state, array = tf.while_loop(
            lambda i, *_: i < steps // UNROLL,
            body,
            (tf.constant(0), state, array),
            maximum_iterations=steps // UNROLL,
        )
        outputs.append(tf.reshape(array.stack(), (steps - head, *state[0].shape)))
    return state, tf.concat(outputs, axis=0)


def member_matmul(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """`a @ b` over leading axes that broadcast, (..., M, K) @ (..., K, N) -> (..., M, N).

    As a product and a sum, which XLA fuses into one loop: on a CPU it makes a dot with a member
    axis many tiny matrix products, and with 10 seeds the RNN's epoch took twice as long.
    """
    return ops.sum(ops.expand_dims(a, -1) * ops.expand_dims(b, -3), axis=-2)


def recurrent_step(architecture: Architecture, weights: dict) -> Callable:
    """One time step of Keras' cell for all members: `(x_t @ kernel, state) -> (h, state)`, h (M, B, H).

    The equations, their order of additions and GRU's `reset_after=True` follow Keras 3's
    `SimpleRNNCell`, `LSTMCell` and `GRUCell` (implementation 2, their default). The weights are
    broadcast once, outside the scan: inside it, a gradient keeps every intermediate of every step.
    """
    activation = keras.activations.get(architecture.activation)
    sigmoid = keras.activations.get("sigmoid")  # Keras' recurrent_activation
    recurrent = ops.expand_dims(weights["rnn/recurrent_kernel"], -3)  # (M, 1, H, gates * H)
    bias = weights["rnn/bias"][:, None]  # (M, 1, gates * H), GRU: (M, 1, 2, 3H)
    units = architecture.hidden_units

    def matmul(h):  # member_matmul(h, recurrent kernel)
        return ops.sum(ops.expand_dims(h, -1) * recurrent, axis=-2)

    def simple_rnn(xk, state):  # xk: (M, B, H)
        h = activation(xk + bias + matmul(state[0]))
        return h, (h,)

    def lstm(xk, state):  # gates i, f, c, o
        h, c = state
        z = xk + matmul(h) + bias
        i, f, g, o = (z[..., k * units : (k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * activation(g)
        h = sigmoid(o) * activation(c)
        return h, (h, c)

    input_bias, recurrent_bias = bias[:, :, 0], bias[:, :, 1]

    def gru(xk, state):  # gates z, r, h; the reset gate applies after the recurrent matmul
        (h,) = state
        x = xk + input_bias
        inner = matmul(h) + recurrent_bias
        z = sigmoid(x[..., :units] + inner[..., :units])
        r = sigmoid(x[..., units : 2 * units] + inner[..., units : 2 * units])
        candidate = activation(x[..., 2 * units :] + r * inner[..., 2 * units :])
        h = z * h + (1 - z) * candidate
        return h, (h,)

    return {"SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}[architecture.cell]


def forward(
    architecture: Architecture, weights: dict, x: tf.Tensor, attention: bool = False
) -> tf.Tensor | tuple[tf.Tensor, tf.Tensor]:
    """Every member's predictions: windows x (M or 1, B, T, 1) -> (M, B), the RNN's seeds first;
    with `attention`, also the attention members' weights over time, (T, S, B).

    Both models share the recurrent layer's equations, so one scan runs it for all members; the
    RNN's seeds then read its last state, attention's seeds attend over its whole sequence.
    """
    a = architecture
    kernel = weights["rnn/kernel"]  # (M, 1, gates * H)
    xk = member_matmul(x, kernel[:, None])  # (M, B, T, gates * H): every step's input projection
    xk = tf.transpose(xk, (2, 0, 1, 3))  # time first, for the scan
    zeros = tf.zeros((kernel.shape[0], x.shape[1], a.hidden_units))
    state = (zeros, zeros) if a.cell == "LSTM" else (zeros,)
    last, sequence = scan_time(recurrent_step(a, weights), xk, state)
    # the Attention layer on attention's members, (T, S, B, H): e = tanh(x W + b), alpha = softmax
    # over time, and the context
    sequence = sequence[:, a.seeds :]
    w = weights["attention/attention_weight"][a.seeds :]  # (S, H, 1)
    b = ops.transpose(weights["attention/attention_bias"][a.seeds :, :, 0])[..., None]  # (T, S, 1)
    alpha = ops.softmax(ops.tanh(member_matmul(sequence, w)[..., 0] + b), axis=0)  # (T, S, B)
    context = ops.sum(sequence * ops.expand_dims(alpha, -1), axis=0)  # (S, B, H)
    features = ops.concatenate([last[0][: a.seeds], context], axis=0)  # (M, B, H)
    dense = keras.activations.get(a.activation)
    predictions = dense(member_matmul(features, weights["dense/kernel"]) + weights["dense/bias"][:, None])
    return (predictions[..., 0], alpha) if attention else predictions[..., 0]


# Every array a compiled loop sees is padded to the most windows any series has (time_steps >= 1),
# so n, the split and the scaling never change its shapes, and never cost a new XLA program.
MAX_WINDOWS = MAX_N - 1


def padded(array: np.ndarray, length: int, axis: int = 0, dtype: type = np.float32) -> np.ndarray:
    """`array` as `dtype`, with zeros appended along `axis` up to `length`."""
    widths = [(0, 0)] * array.ndim
    widths[axis] = (0, length - array.shape[axis])
    return np.pad(array.astype(dtype), widths)


# An epoch yields every member's training loss (M,), predictions for every window of the series
# after it, (M, samples), and, where asked for, the attention members' weights for every window,
# (S, samples, time_steps).
Epochs = Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]


class SeedsLoop:
    """S seeds of both models as 2S members: their weights, one Adam and an epoch loop XLA compiles once.

    TensorFlow keeps every XLA program it compiles for the life of the process (its compilation
    cache has no eviction), so compiling per training would grow a server's memory by about
    40 MB with each one. Instead the process keeps one loop per architecture: a training loads
    its initial weights and learning rate into it, trains, and copies the weights out.
    """

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        members = len(MODEL_KINDS) * architecture.seeds  # the RNN's seeds, then attention's
        self.weights = {  # the RNN's members have attention weights too, unused
            name: keras.Variable(np.zeros((members, *shape), np.float32), name=name.replace("/", "_"))
            for name, shape in architecture.weight_shapes.items()
        }
        self.optimizer = adam()  # elementwise: over stacked weights it is one Adam per member
        self.optimizer.build(list(self.weights.values()))
        self.lock = threading.Lock()  # one training at a time in these shared weights
        self._epoch = tf.function(self._epoch_graph, jit_compile=True, reduce_retracing=True, autograph=False)

    def _epoch_graph(self, windows, targets, rows, count):
        """One epoch of every member's optimizer steps, then every member's predictions for every window.

        windows (MAX_WINDOWS, time_steps, 1) and targets (MAX_WINDOWS,): the whole series' windows,
        zero-padded; rows (M, MAX_WINDOWS + batch): each member's training windows in its order for
        this epoch, then padding; count: how many training windows there are.
        """
        batch = self.architecture.batch_size
        variables = list(self.weights.values())

        def body(i, total):  # one optimizer step of every member on its batch i, as `fit` takes it
            start = i * batch
            batch_rows = tf.slice(rows, [0, start], [-1, batch])  # (M, batch)
            mask = tf.cast(start + tf.range(batch) < count, tf.float32)  # the last batch may be short
            with tf.GradientTape() as tape:
                predicted = forward(self.architecture, self.weights, tf.gather(windows, batch_rows))
                squared = tf.reduce_sum(tf.square(tf.gather(targets, batch_rows) - predicted) * mask, axis=1)
                # each member's batch mean, as Keras' MSE loss, summed over members: each member's
                # weights reach their own term only, so the gradients stay apart
                loss = tf.reduce_sum(squared / tf.reduce_sum(mask))
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return i + 1, total + squared

        steps = (count + batch - 1) // batch
        _, total = tf.while_loop(lambda i, _: i < steps, body, (tf.constant(0), tf.zeros(rows.shape[0])))
        # Keras reports an epoch's loss as the batch losses' mean weighted by batch size
        predictions, alpha = forward(self.architecture, self.weights, windows[None], attention=True)
        return total / tf.cast(count, tf.float32), predictions, alpha

    def start(self, initial: dict[str, dict[str, np.ndarray]], learning_rate: float) -> None:
        """Load a training's initial weights, by kind, a zeroed Adam state and its learning rate.

        `initial[kind]` holds that model's weights stacked over the seeds; a kind left out trains
        from zeros, for nothing: that is cheaper than compiling a program without it.
        """
        for name, variable in self.weights.items():
            value = np.zeros(variable.shape, np.float32)
            for kind, weights in initial.items():
                if name in weights:
                    value[self.members(kind)] = weights[name]
            variable.assign(value)
        for variable in self.optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        self.optimizer.learning_rate = learning_rate

    def members(self, kind: str) -> slice:
        """Where `kind`'s seeds lie on the member axis."""
        start = MODEL_KINDS.index(kind) * self.architecture.seeds
        return slice(start, start + self.architecture.seeds)

    def epochs(self, data: Dataset, orders: np.ndarray, attention: Container[int] = ()) -> Epochs:
        """Train one epoch per (S, n_train) order of the training windows: seed k's for both its members.

        The attention weights come out after the epochs (counted from 1) in `attention` only.
        """
        windows, targets = padded(data.X, MAX_WINDOWS), padded(data.y, MAX_WINDOWS)
        count = tf.constant(len(data.train_idx))
        for epoch, order in enumerate(np.tile(orders, (1, len(MODEL_KINDS), 1)), start=1):
            rows = padded(data.train_idx[order], MAX_WINDOWS + self.architecture.batch_size, 1, np.int32)
            loss, predictions, alpha = self._epoch(windows, targets, rows, count)
            weights = alpha.numpy()[..., : len(data.y)].transpose(1, 2, 0) if epoch in attention else None
            yield loss.numpy(), predictions.numpy()[:, : len(data.y)].astype(np.float64), weights


_LOOPS: dict[Architecture, SeedsLoop] = {}
_LOOPS_LOCK = threading.Lock()


def seeds_loop(architecture: Architecture) -> SeedsLoop:
    """The process's one loop for `architecture`, built on first use."""
    with _LOOPS_LOCK:
        if architecture not in _LOOPS:
            _LOOPS[architecture] = SeedsLoop(architecture)
        return _LOOPS[architecture]


def plain_epochs(models: Sequence[keras.Model], data: Dataset, orders: np.ndarray, batch_size: int) -> Epochs:
    """The tutorial's loop, as the reference: Keras `fit`, one epoch of each model per (M, n_train) order."""
    for order in orders:
        losses, predictions = [], []
        for model, member_order in zip(models, order, strict=True):
            rows = data.train_idx[member_order]
            history = model.fit(
                data.X[rows], data.y[rows], batch_size=batch_size, epochs=1, shuffle=False, verbose=0
            )
            losses.append(history.history["loss"][0])
            predictions.append(model.predict(data.X, batch_size=len(data.X), verbose=0)[:, 0])
        yield np.array(losses), np.array(predictions, dtype=np.float64), None


# Recorded attention weights of the test windows: at most this many snapshots of a training, and
# at most this many values in all (16 MB as float32), evenly spaced over its epochs.
MAX_ATTENTION_SNAPSHOTS = 50
MAX_ATTENTION_VALUES = 4_000_000


def attention_epochs(epochs: int, test_windows: int, time_steps: int) -> tuple[int, ...]:
    """The epochs (from 1) after which a training records its test windows' attention weights:
    evenly spaced, the first and the last always, within MAX_ATTENTION_SNAPSHOTS and _VALUES."""
    snapshots = min(epochs, MAX_ATTENTION_SNAPSHOTS, MAX_ATTENTION_VALUES // (test_windows * time_steps))
    return tuple(int(e) for e in np.unique(np.linspace(1, epochs, max(snapshots, 2)).round()))


@dataclass(frozen=True, eq=False)
class Run:
    """Every model's training over every seed: kinds[i]'s run of seeds[k] is member i * len(seeds) + k.

    A member whose training loss stops being finite stops there, as Keras' TerminateOnNaN does:
    its history ends with that epoch and its predictions are those after it. The others go on.
    """

    kinds: tuple[str, ...]
    seeds: tuple[int, ...]
    models: list[keras.Model]  # built by `build_model`, holding their trained weights
    losses: np.ndarray  # (epochs run, members): training loss per epoch
    test_mses: np.ndarray  # (epochs run, members)
    predictions: np.ndarray  # (members, samples): for every window, after each member's last epoch
    epochs_run: np.ndarray  # (members,): how many epochs each member trained
    steps_per_epoch: int  # optimizer steps a member takes in an epoch
    stopped: bool  # True when the callback stopped training before config.epochs
    attention: dict[int, AttentionHistory]  # by attention member, where recorded

    def loss_history(self, member: int) -> tuple[float, ...]:
        return tuple(self.losses[: self.epochs_run[member], member].tolist())

    def test_mse_history(self, member: int) -> tuple[float, ...]:
        return tuple(self.test_mses[: self.epochs_run[member], member].tolist())

    def steps(self, member: int) -> int:
        """The optimizer steps `member` took."""
        return int(self.epochs_run[member]) * self.steps_per_epoch


def train_many(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    fast: bool = True,
    data: Dataset | None = None,
    record_attention: bool = False,
) -> Run:
    """Train each of `kinds` once per seed, all at once; each run is `train`'s for its kind and seed.

    After every epoch `on_epoch` gets one log per kind, with the median over seeds still training
    of its loss and test MSE; returning True for any stops every run. With `record_attention`, the
    attention model's weights for the test windows are kept after the epochs `attention_epochs`
    names (the fast path only).
    """
    for kind in kinds:
        check_choice("model", kind, MODEL_KINDS)
    kinds, seeds, data = tuple(kinds), tuple(check_seeds(seeds)), check_data(config, data)
    models = {kind: [build_model(replace(config, seed=seed), kind) for seed in seeds] for kind in kinds}
    # (epochs, S, n_train): seed k's epochs visit the training windows in its own order
    orders = np.stack([epoch_orders(replace(config, seed=seed)) for seed in seeds], axis=1)
    snapshots = (
        attention_epochs(config.epochs, config.data.n_test, config.data.time_steps)
        if record_attention and "attention" in kinds
        else ()
    )
    attention_members = (
        range(kinds.index("attention") * len(seeds), len(kinds) * len(seeds)) if snapshots else ()
    )
    if not fast:
        members = [model for kind in kinds for model in models[kind]]
        epochs = plain_epochs(members, data, np.tile(orders, (1, len(kinds), 1)), config.batch_size)
        history = _drive(epochs, data, kinds, len(seeds), config.epochs, on_epoch, attention_members)
    else:
        loop = seeds_loop(Architecture.of(config, len(seeds)))
        # the loop's members are both models' seeds: keep those of `kinds`, in their order
        kept = np.r_[tuple(loop.members(kind) for kind in kinds)]
        with loop.lock:
            loop.start({kind: stacked_weights(models[kind]) for kind in kinds}, config.learning_rate)
            epochs = (
                (loss[kept], predictions[kept], attention)
                for loss, predictions, attention in loop.epochs(data, orders, set(snapshots))
            )
            history = _drive(epochs, data, kinds, len(seeds), config.epochs, on_epoch, attention_members)
            trained = {name: variable.numpy() for name, variable in loop.weights.items()}
            for kind in kinds:
                load_stacked(
                    models[kind], {name: value[loop.members(kind)] for name, value in trained.items()}
                )
    losses, test_mses, predictions, epochs_run, stopped, attention = history
    return Run(
        kinds=kinds,
        seeds=seeds,
        models=[model for kind in kinds for model in models[kind]],
        losses=losses,
        test_mses=test_mses,
        predictions=predictions,
        epochs_run=epochs_run,
        steps_per_epoch=-(-config.data.n_train // config.batch_size),
        stopped=stopped,
        attention=attention,
    )


def _median(values: np.ndarray) -> float:
    """The median of the finite `values`: those of the members still training; NaN if none is."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def _drive(
    epochs: Epochs,
    data: Dataset,
    kinds: Sequence[str],
    seeds: int,
    total: int,
    on_epoch: Callable[[EpochLog], bool | None] | None,
    attention_members: Sequence[int] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool, dict[int, AttentionHistory]]:
    """Drive the epochs, telling `on_epoch` after each; each member stops at its first non-finite loss.

    Returns (losses, test MSEs, each member's last predictions, epochs each member ran, stopped,
    the attention members' recorded weights).
    """
    losses, test_mses, snapshots = [], [], {member: {} for member in attention_members}
    for loss, predictions, attention in epochs:
        epoch = len(losses) + 1
        if epoch == 1:
            training = np.ones(len(loss), dtype=bool)  # members whose loss has been finite so far
            epochs_run = np.zeros(len(loss), dtype=int)
            last = predictions.copy()
        now = training.copy()  # the members that trained this epoch
        epochs_run[now] = epoch
        last[now] = predictions[now]
        training &= np.isfinite(loss)
        losses.append(np.where(now, loss, np.nan))
        test_mses.append(np.array([mse(p[data.test_idx], data.test_y) for p in predictions]))
        test_mses[-1][~now] = np.nan
        for member in attention_members:
            if attention is not None and now[member]:
                snapshots[member][epoch] = attention[member - attention_members[0]][data.test_idx]
        stop = False
        for i, kind in enumerate(kinds):
            part = slice(i * seeds, (i + 1) * seeds)
            log = EpochLog(kind, epoch, total, _median(losses[-1][part]), _median(test_mses[-1][part]))
            stop = bool(on_epoch is not None and on_epoch(log)) or stop
        if stop or not training.any():  # stopped, or every member diverged: nothing left to train
            break
    recorded = {
        member: AttentionHistory(
            epochs=tuple(taken), weights=np.stack(list(taken.values())).astype(np.float32)
        )
        for member, taken in snapshots.items()
        if taken
    }
    stopped = stop and len(losses) < total
    return np.array(losses), np.array(test_mses), last, epochs_run, stopped, recorded


def train(
    config: TrainConfig,
    kind: str,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    fast: bool = True,
    data: Dataset | None = None,
) -> TrainResult:
    """Train one model; `on_epoch` is called after every epoch and stops training by returning True.

    `fast=False` runs the plain Keras `fit` loop instead of the compiled one: the same steps, for
    reference.
    """
    started = time.perf_counter()
    data = check_data(config, data)
    run = train_many(config, [kind], [config.seed], on_epoch, fast, data, record_attention=True)
    return _result(config, run, kind, data, started)


def train_pair(
    config: TrainConfig,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    fast: bool = True,
    data: Dataset | None = None,
) -> dict[str, TrainResult]:
    """Both models, by kind, trained together: each as `train` gives it, in about one model's time.

    After every epoch `on_epoch` gets one log per model; returning True for either stops both.
    """
    started = time.perf_counter()
    data = check_data(config, data)
    run = train_many(config, MODEL_KINDS, [config.seed], on_epoch, fast, data, record_attention=True)
    return {kind: _result(config, run, kind, data, started) for kind in MODEL_KINDS}


def _result(config: TrainConfig, run: Run, kind: str, data: Dataset, started: float) -> TrainResult:
    """The `TrainResult` of `kind` in a run of one seed."""
    member = run.kinds.index(kind)
    model = run.models[member]
    history = run.attention.get(member)
    attention = None
    if kind == "attention":  # the recorded weights after its last epoch, where there are some
        ran = history is not None and history.epochs[-1] == run.epochs_run[member]
        attention = history.weights[-1] if ran else attention_weights(model, data.test_X)
    return TrainResult(
        config=config,
        kind=kind,
        model=model,
        loss_history=run.loss_history(member),
        test_mse_history=run.test_mse_history(member),
        scores=score(MODEL_LABELS[kind], data, run.predictions[member]),
        attention=attention,
        attention_history=history,
        steps=run.steps(member),
        stopped=run.stopped,
        seconds=time.perf_counter() - started,
    )
