"""Train S seeds of one model at once: S independent copies in one graph, weights stacked on a seed axis.

Copy k starts from the initial weights of `build_model(config with seed=k)` and visits the
training windows in the order of `epoch_orders(config with seed=k)`, so it is the run the
Train page gives for seed k. Every weight carries a leading seed axis of size S and the
forward pass, Keras' cell equations included, is written once for all seeds. The loss
is the sum over seeds of each seed's mean squared error: seed k's gradient is that of its
own loss alone, and Adam, being elementwise, keeps S independent states in one optimizer.
An 11-parameter model leaves a CPU idle; S of them cost little more than one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from fibdash.config import MODEL_KINDS, MODEL_LABELS, TrainConfig, check_choice, check_seeds
from fibdash.data import Dataset, make_dataset
from fibdash.metrics import Scores, mse, score
from fibdash.training import (
    MAX_WINDOWS,
    Architecture,
    EpochLog,
    build_model,
    epoch_orders,
    model_of,
    padded,
    reset_optimizer,
)


@dataclass(frozen=True, eq=False)
class SeedRun:
    """One seed's run: its history and scores, as `train` reports them for that seed."""

    seed: int
    loss_history: tuple[float, ...]  # training loss (MSE on scaled values) per epoch
    test_mse_history: tuple[float, ...]
    scores: Scores
    stopped: bool  # True when the callback stopped training before config.epochs
    steps: int  # optimizer steps this seed took

    @property
    def epochs_run(self) -> int:
        return len(self.loss_history)


def stacked_weights(models: Sequence[keras.Model]) -> dict[str, np.ndarray]:
    """The models' trainable weights stacked on a new leading seed axis, keyed "layer/weight"."""
    stacks: dict[str, list[np.ndarray]] = {}
    for model in models:
        for layer in model.layers:
            for weight in layer.trainable_weights:
                stacks.setdefault(f"{layer.name}/{weight.name}", []).append(weight.numpy())
    return {name: np.stack(values) for name, values in stacks.items()}


def scan_time(
    step: Callable, inputs: tf.Tensor, state: tuple, return_sequences: bool
) -> tuple[tuple, tf.Tensor | None]:
    """Run `step(x_t, state) -> (output_t, state)` along axis 0 of `inputs`: (last state, outputs).

    The outputs are stacked on axis 0, or None unless `return_sequences`, as in Keras' layers.

    A while-loop, as Keras' own RNN layers use. Unrolling the tutorial's 20 time steps halves an
    epoch's time but adds most of a second of XLA compilation per model, which 30 epochs do not
    win back, and would not scale to windows of a thousand steps.
    """
    steps = inputs.shape[0]
    outputs = tf.TensorArray(inputs.dtype, size=steps, element_shape=state[0].shape)

    def body(t, state, outputs):
        output, state = step(inputs[t], state)
        return t + 1, state, outputs.write(t, output) if return_sequences else outputs

    _, state, outputs = tf.while_loop(
        lambda t, *_: t < steps, body, (tf.constant(0), state, outputs), maximum_iterations=steps
    )
    return state, outputs.stack() if return_sequences else None


def seed_matmul(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """`a @ b` over leading axes that broadcast, (..., M, K) @ (..., K, N) -> (..., M, N).

    As a product and a sum, which XLA fuses into one loop: on a CPU it makes a dot with a seed
    axis S tiny matrix products, and with 10 seeds the RNN's epoch took twice as long.
    """
    return ops.sum(ops.expand_dims(a, -1) * ops.expand_dims(b, -3), axis=-2)


def recurrent_step(architecture: Architecture, weights: dict) -> Callable:
    """One time step of Keras' cell for all seeds: `(x_t @ kernel, state) -> (h, state)`, h (S, B, H).

    The equations, their order of additions and GRU's `reset_after=True` follow Keras 3's
    `SimpleRNNCell`, `LSTMCell` and `GRUCell` (implementation 2, their default).
    """
    activation = keras.activations.get(architecture.activation)
    sigmoid = keras.activations.get("sigmoid")  # Keras' recurrent_activation
    recurrent = weights["rnn/recurrent_kernel"]  # (S, H, gates * H)
    bias = weights["rnn/bias"]  # (S, gates * H), GRU: (S, 2, 3H) for input and recurrent bias
    units = architecture.hidden_units

    def simple_rnn(xk, state):  # xk: (S, B, H)
        h = activation(xk + bias[:, None] + seed_matmul(state[0], recurrent))
        return h, (h,)

    def lstm(xk, state):  # gates i, f, c, o
        h, c = state
        z = xk + seed_matmul(h, recurrent) + bias[:, None]
        i, f, g, o = (z[..., k * units : (k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * activation(g)
        h = sigmoid(o) * activation(c)
        return h, (h, c)

    def gru(xk, state):  # gates z, r, h; the reset gate applies after the recurrent matmul
        (h,) = state
        x = xk + bias[:, None, 0]
        inner = seed_matmul(h, recurrent) + bias[:, None, 1]
        z = sigmoid(x[..., :units] + inner[..., :units])
        r = sigmoid(x[..., units : 2 * units] + inner[..., units : 2 * units])
        candidate = activation(x[..., 2 * units :] + r * inner[..., 2 * units :])
        h = z * h + (1 - z) * candidate
        return h, (h,)

    return {"SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}[architecture.cell]


def forward(architecture: Architecture, weights: dict, x: tf.Tensor) -> tf.Tensor:
    """All seeds' predictions: windows x (S or 1, B, T, 1) -> (S, B)."""
    a = architecture
    kernel = weights["rnn/kernel"]  # (S, 1, gates * H)
    xk = seed_matmul(x, kernel[:, None])  # (S, B, T, gates * H): every step's input projection
    xk = tf.transpose(xk, (2, 0, 1, 3))  # time first, for the scan
    zeros = tf.zeros((kernel.shape[0], x.shape[1], a.hidden_units))
    state = (zeros, zeros) if a.cell == "LSTM" else (zeros,)
    last, sequence = scan_time(recurrent_step(a, weights), xk, state, return_sequences=a.kind == "attention")
    if a.kind == "rnn":
        features = last[0]  # (S, B, H)
    else:  # the Attention layer on (T, S, B, H): e = tanh(x W + b), alpha = softmax over time, context
        w = weights["attention/attention_weight"]  # (S, H, 1)
        b = ops.transpose(weights["attention/attention_bias"][..., 0])[..., None]  # (S, T, 1) -> (T, S, 1)
        alpha = ops.softmax(ops.tanh(seed_matmul(sequence, w)[..., 0] + b), axis=0)  # (T, S, B)
        features = ops.sum(sequence * ops.expand_dims(alpha, -1), axis=0)  # (S, B, H)
    dense = keras.activations.get(a.activation)
    return dense(seed_matmul(features, weights["dense/kernel"]) + weights["dense/bias"][:, None])[..., 0]


class SeedsLoop:
    """S seeds of one architecture: stacked weights, one Adam and an epoch loop XLA compiles once.

    As `CompiledLoop` does for one seed, and for the same reason (TensorFlow never frees a
    compiled XLA program), the process keeps one per architecture and number of seeds; each
    training loads its initial weights into it, and every array is padded to MAX_WINDOWS rows.
    """

    def __init__(self, architecture: Architecture, seeds: int) -> None:
        template = model_of(architecture)  # the weights' shapes, and the optimizer every model compiles
        self.architecture = architecture
        self.weights = {
            name: keras.Variable(np.zeros((seeds, *value.shape[1:]), np.float32), name=name.replace("/", "_"))
            for name, value in stacked_weights([template]).items()
        }
        # Adam is elementwise: over stacked weights it is S independent Adams.
        self.optimizer = template.optimizer
        self.optimizer.build(list(self.weights.values()))
        self.lock = threading.Lock()  # one training at a time in these shared weights
        self._epoch = tf.function(self._epoch_graph, jit_compile=True, reduce_retracing=True)

    def _epoch_graph(self, windows, targets, rows, count):
        """One epoch of every seed's optimizer steps, then every seed's predictions for every window.

        windows (MAX_WINDOWS, time_steps, 1) and targets (MAX_WINDOWS,): the whole series' windows,
        zero-padded; rows (S, MAX_WINDOWS + batch): each seed's training windows in its order for
        this epoch, then padding; count: how many training windows there are.
        """
        batch = self.architecture.batch_size
        variables = list(self.weights.values())

        def body(i, total):  # one optimizer step of every seed on its batch i, as `fit` takes it
            start = i * batch
            batch_rows = tf.slice(rows, [0, start], [-1, batch])  # (S, batch)
            mask = tf.cast(start + tf.range(batch) < count, tf.float32)  # the last batch may be short
            with tf.GradientTape() as tape:
                predicted = forward(self.architecture, self.weights, tf.gather(windows, batch_rows))
                squared = tf.reduce_sum(tf.square(tf.gather(targets, batch_rows) - predicted) * mask, axis=1)
                # each seed's batch mean, as Keras' MSE loss, summed over seeds: each seed's
                # weights reach their own term only, so the gradients stay apart
                loss = tf.reduce_sum(squared / tf.reduce_sum(mask))
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return i + 1, total + squared

        steps = (count + batch - 1) // batch
        _, total = tf.while_loop(lambda i, _: i < steps, body, (tf.constant(0), tf.zeros(rows.shape[0])))
        # Keras reports an epoch's loss as the batch losses' mean weighted by batch size
        return total / tf.cast(count, tf.float32), forward(self.architecture, self.weights, windows[None])

    def start(self, initial: dict[str, np.ndarray], learning_rate: float) -> None:
        """Load a fresh training's stacked initial weights, a zeroed Adam state and its learning rate."""
        for name, value in initial.items():
            self.weights[name].assign(value)
        reset_optimizer(self.optimizer, learning_rate)

    def epochs(self, data: Dataset, orders: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Train one epoch per (S, n_train) order; yields each seed's loss (S,) and predictions for
        every window of the series, (S, samples)."""
        windows, targets = padded(data.X, MAX_WINDOWS), padded(data.y, MAX_WINDOWS)
        count = tf.constant(len(data.train_idx))
        for order in orders:
            rows = padded(data.train_idx[order].T, MAX_WINDOWS + self.architecture.batch_size, np.int32).T
            loss, predictions = self._epoch(windows, targets, rows, count)
            yield loss.numpy(), predictions.numpy()[:, : len(data.y)].astype(np.float64)


_LOOPS: dict[tuple[Architecture, int], SeedsLoop] = {}
_LOOPS_LOCK = threading.Lock()


def seeds_loop(architecture: Architecture, seeds: int) -> SeedsLoop:
    """The process's one loop for `architecture` and `seeds` seeds, built on first use."""
    with _LOOPS_LOCK:
        if (architecture, seeds) not in _LOOPS:
            _LOOPS[architecture, seeds] = SeedsLoop(architecture, seeds)
        return _LOOPS[architecture, seeds]


def train_seeds(
    config: TrainConfig,
    kind: str,
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | None = None,
) -> list[SeedRun]:
    """Train `kind` once per seed, all at once; seed k's run is `train(config with seed=k, kind)`'s.

    `on_epoch` gets the median over seeds of the loss and test MSE after every epoch and stops
    all seeds by returning True.
    """
    check_choice("model", kind, MODEL_KINDS)
    seeds = check_seeds(seeds)
    if data is None:
        data = make_dataset(config.data)
    elif data.config != config.data:
        raise ValueError("data was built from another DataConfig than config.data")
    models = [build_model(replace(config, seed=seed), kind) for seed in seeds]
    initial = stacked_weights(models)
    # (epochs, S, n_train): seed k's epochs visit the windows in train(config with seed=k)'s order
    orders = np.stack([epoch_orders(replace(config, seed=seed)) for seed in seeds], axis=1)
    loop = seeds_loop(Architecture.of(config, kind), len(seeds))
    losses, test_mses = [], []
    stopped = False
    with loop.lock:
        loop.start(initial, config.learning_rate)
        for epoch in loop.epochs(data, orders):
            loss, predictions = epoch  # predictions (S, samples): the last epoch's give the scores
            test_mse = np.array([mse(p[data.test_idx], data.test_y) for p in predictions])
            losses.append(loss)
            test_mses.append(test_mse)
            log = EpochLog(
                kind, len(losses), config.epochs, float(np.median(loss)), float(np.median(test_mse))
            )
            if on_epoch is not None and on_epoch(log):
                stopped = len(losses) < config.epochs
                break
        steps = int(loop.optimizer.iterations)
    losses, test_mses = np.array(losses), np.array(test_mses)  # (epochs run, S)
    return [
        SeedRun(
            seed=seed,
            loss_history=tuple(losses[:, k].tolist()),
            test_mse_history=tuple(test_mses[:, k].tolist()),
            scores=score(MODEL_LABELS[kind], data, predictions[k]),
            stopped=stopped,
            steps=steps,
        )
        for k, seed in enumerate(seeds)
    ]
