"""Train either network from a `TrainConfig`, fast, reproducibly, with per-epoch progress.

The tutorial calls `model.fit(batch_size=1)`: one optimizer step per window, each paid for
with Python and graph-launch overhead that dwarfs an 11-parameter model's arithmetic. The
fast path runs the same steps, in the same order, with the same Adam state and loss, but
compiles each whole epoch (and the test MSE after it) into one XLA while-loop, once per
architecture. `fast=False` runs the plain Keras `fit` loop on the same shuffled order, as the
reference the tests and benchmark compare against.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from fibdash.config import MAX_N, MODEL_KINDS, MODEL_LABELS, TrainConfig, check_choice
from fibdash.data import Dataset, make_dataset
from fibdash.metrics import Scores, mse, score
from fibdash.models import (
    attention_weights,
    create_RNN,
    create_RNN_with_attention,
    summary_rows,
    to_keras_bytes,
)
from fibdash.results import EpochLog

# Keras draws initial weights from process-wide seeds: building two models at once in two
# threads (two dashboard sessions) would interleave those draws and break reproducibility.
# Reentrant: build_model seeds, then builds with model_of, both under it.
_BUILD_LOCK = threading.RLock()


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
    steps: int  # optimizer steps taken
    stopped: bool  # True when the callback stopped training before config.epochs
    seconds: float

    @property
    def epochs_run(self) -> int:
        return len(self.loss_history)

    def summary(self) -> list[dict[str, object]]:
        return summary_rows(self.model)

    def keras_bytes(self) -> bytes:
        return to_keras_bytes(self.model)


@dataclass(frozen=True)
class Architecture:
    """What a compiled training loop depends on: everything but weights, data and learning rate."""

    kind: str
    cell: str
    hidden_units: int
    activation: str
    time_steps: int
    batch_size: int

    @classmethod
    def of(cls, config: TrainConfig, kind: str) -> Architecture:
        c = config
        return cls(kind, c.cell, c.hidden_units, c.activation, c.data.time_steps, c.batch_size)


def model_of(architecture: Architecture, learning_rate: float = 0.001) -> keras.Model:
    """A fresh compiled model of `architecture`, its initial weights drawn from Keras' global seed."""
    a = architecture
    create = create_RNN if a.kind == "rnn" else create_RNN_with_attention
    with _BUILD_LOCK:
        return create(
            a.hidden_units, 1, (a.time_steps, 1), a.activation, cell=a.cell, learning_rate=learning_rate
        )


def build_model(config: TrainConfig, kind: str) -> keras.Model:
    """A fresh, compiled model of `kind` whose initial weights depend only on `config.seed`."""
    check_choice("model", kind, MODEL_KINDS)
    with _BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        return model_of(Architecture.of(config, kind), config.learning_rate)


def reset_optimizer(optimizer: keras.optimizers.Optimizer, learning_rate: float) -> None:
    """A new training's optimizer state: Adam's moments and step count zeroed, its learning rate set."""
    for variable in optimizer.variables:
        variable.assign(tf.zeros_like(variable))
    optimizer.learning_rate = learning_rate


def epoch_orders(config: TrainConfig) -> list[np.ndarray]:
    """The order in which each epoch visits the training windows, fixed by `config.seed`."""
    rng = np.random.default_rng(config.seed)
    return [rng.permutation(config.data.n_train) for _ in range(config.epochs)]


# An epoch yields its training loss and the predictions for every window of the series after it.
Epochs = Iterator[tuple[float, np.ndarray]]


def plain_epochs(model: keras.Model, data: Dataset, orders: list[np.ndarray], batch_size: int) -> Epochs:
    """The tutorial's loop, as the reference: Keras `fit` for one epoch per order, no shuffling of its own."""
    for order in orders:
        rows = data.train_idx[order]
        history = model.fit(
            data.X[rows], data.y[rows], batch_size=batch_size, epochs=1, shuffle=False, verbose=0
        )
        yield float(history.history["loss"][0]), model.predict(data.X, verbose=0)[:, 0].astype(np.float64)


# Every array a compiled loop sees is padded to the most windows any series has (time_steps >= 1),
# so n, the split and the scaling never change its shapes, and never cost a new XLA program.
MAX_WINDOWS = MAX_N - 1


def padded(array: np.ndarray, length: int, dtype: type = np.float32) -> np.ndarray:
    """`array` with zero rows appended up to `length` rows."""
    out = np.zeros((length, *array.shape[1:]), dtype=dtype)
    out[: len(array)] = array
    return out


class CompiledLoop:
    """One architecture's model and epoch loop, compiled by XLA once and reused by every training of it.

    TensorFlow keeps every XLA program it compiles for the life of the process (its compilation
    cache has no eviction), so compiling per training would grow a server's memory by about
    40 MB with each one. Instead a training loads its own initial weights and learning rate into
    this shared model, trains it, and copies the weights out.
    """

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        self.model = model_of(architecture)
        self.optimizer = self.model.optimizer
        self.optimizer.build(self.model.trainable_variables)
        self.lock = threading.Lock()  # one training at a time in this shared model
        self._epoch = tf.function(self._epoch_graph, jit_compile=True, reduce_retracing=True)

    def _epoch_graph(self, windows, targets, rows, count):
        """One epoch of optimizer steps, then predictions for every window.

        windows (MAX_WINDOWS, time_steps, 1) and targets (MAX_WINDOWS,): the whole series' windows,
        zero-padded; rows (MAX_WINDOWS + batch,): the training windows in this epoch's order, then
        padding; count: how many training windows there are.
        """
        batch = self.architecture.batch_size
        variables = self.model.trainable_variables

        def body(i, total):  # one optimizer step on batch i, exactly as `fit` takes it
            start = i * batch
            batch_rows = tf.slice(rows, [start], [batch])
            mask = tf.cast(start + tf.range(batch) < count, tf.float32)  # the last batch may be short
            with tf.GradientTape() as tape:
                predicted = self.model(tf.gather(windows, batch_rows), training=True)[:, 0]
                squared = tf.reduce_sum(tf.square(tf.gather(targets, batch_rows) - predicted) * mask)
                loss = squared / tf.reduce_sum(mask)  # the batch's mean, as Keras' MSE loss
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return i + 1, total + squared

        steps = (count + batch - 1) // batch
        _, total = tf.while_loop(lambda i, _: i < steps, body, (tf.constant(0), tf.constant(0.0)))
        # Keras reports an epoch's loss as the batch losses' mean weighted by batch size
        return total / tf.cast(count, tf.float32), self.model(windows, training=False)[:, 0]

    def start(self, initial: keras.Model, learning_rate: float) -> None:
        """Load a fresh training's initial weights, a zeroed Adam state and its learning rate."""
        self.model.set_weights(initial.get_weights())
        reset_optimizer(self.optimizer, learning_rate)

    def epochs(self, data: Dataset, orders: list[np.ndarray]) -> Epochs:
        """Train one epoch per order of the training windows."""
        windows, targets = padded(data.X, MAX_WINDOWS), padded(data.y, MAX_WINDOWS)
        count = tf.constant(len(data.train_idx))
        for order in orders:
            rows = padded(data.train_idx[order], MAX_WINDOWS + self.architecture.batch_size, np.int32)
            loss, predictions = self._epoch(windows, targets, rows, count)
            yield float(loss), predictions.numpy()[: len(data.y)].astype(np.float64)


_LOOPS: dict[Architecture, CompiledLoop] = {}
_LOOPS_LOCK = threading.Lock()


def compiled_loop(architecture: Architecture) -> CompiledLoop:
    """The process's one compiled loop for `architecture`, built on first use."""
    with _LOOPS_LOCK:
        if architecture not in _LOOPS:
            _LOOPS[architecture] = CompiledLoop(architecture)
        return _LOOPS[architecture]


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
    check_choice("model", kind, MODEL_KINDS)
    if data is None:
        data = make_dataset(config.data)
    elif data.config != config.data:
        raise ValueError("data was built from another DataConfig than config.data")
    started = time.perf_counter()
    model = build_model(config, kind)
    orders = epoch_orders(config)
    if fast:
        loop = compiled_loop(Architecture.of(config, kind))
        with loop.lock:
            loop.start(model, config.learning_rate)
            history = _run(loop.epochs(data, orders), data, kind, config.epochs, on_epoch)
            model.set_weights(loop.model.get_weights())
            steps = int(loop.optimizer.iterations)
    else:
        history = _run(
            plain_epochs(model, data, orders, config.batch_size), data, kind, config.epochs, on_epoch
        )
        steps = int(model.optimizer.iterations)
    losses, test_mses, predictions, stopped = history
    return TrainResult(
        config=config,
        kind=kind,
        model=model,
        loss_history=losses,
        test_mse_history=test_mses,
        scores=score(MODEL_LABELS[kind], data, predictions),
        attention=attention_weights(model, data.test_X) if kind == "attention" else None,
        steps=steps,
        stopped=stopped,
        seconds=time.perf_counter() - started,
    )


def _run(
    epochs: Epochs, data: Dataset, kind: str, total: int, on_epoch: Callable[[EpochLog], bool | None] | None
) -> tuple[tuple[float, ...], tuple[float, ...], np.ndarray, bool]:
    """Drive the epochs, telling `on_epoch` after each: (losses, test MSEs, last predictions, stopped)."""
    losses: list[float] = []
    test_mses: list[float] = []
    for loss, predictions in epochs:
        losses.append(loss)
        test_mses.append(mse(predictions[data.test_idx], data.test_y))
        if on_epoch is not None and on_epoch(EpochLog(kind, len(losses), total, loss, test_mses[-1])):
            break
    return tuple(losses), tuple(test_mses), predictions, len(losses) < total
