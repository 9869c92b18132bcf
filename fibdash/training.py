"""Train either network from a `TrainConfig`, fast, reproducibly, with per-epoch progress.

The tutorial calls `model.fit(batch_size=1)`: one optimizer step per window, each paid for
with Python and graph-launch overhead that dwarfs an 11-parameter model's arithmetic. The
fast path runs the same steps, in the same order, with the same Adam state and loss, but
compiles each whole epoch into one XLA while-loop. `fast=False` runs the plain Keras `fit`
loop on the same shuffled order, as the reference the tests and benchmark compare against.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from fibdash.config import MODEL_KINDS, MODEL_LABELS, TrainConfig, check_choice
from fibdash.data import Dataset, make_dataset
from fibdash.metrics import Scores, score
from fibdash.models import (
    attention_weights,
    create_RNN,
    create_RNN_with_attention,
    summary_rows,
    to_keras_bytes,
)

# Keras draws initial weights from process-wide seeds: building two models at once in two
# threads (two dashboard sessions) would interleave those draws and break reproducibility.
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class EpochLog:
    """What a per-epoch callback receives; `epoch` counts from 1."""

    kind: str
    epoch: int
    epochs: int
    loss: float
    test_mse: float


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
    stopped: bool  # True when the callback stopped training before config.epochs
    seconds: float

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
    with _BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        return create(
            hidden_units=config.hidden_units,
            dense_units=1,
            input_shape=(config.data.time_steps, 1),
            activation=config.activation,
            cell=config.cell,
            learning_rate=config.learning_rate,
        )


def epoch_orders(config: TrainConfig) -> list[np.ndarray]:
    """The order in which each epoch visits the training windows, fixed by `config.seed`."""
    rng = np.random.default_rng(config.seed)
    return [rng.permutation(config.data.n_train) for _ in range(config.epochs)]


EpochRunner = Callable[[np.ndarray, np.ndarray], float]


def plain_epoch_runner(model: keras.Model, batch_size: int) -> EpochRunner:
    """One epoch of the tutorial's loop: Keras `fit`, one step per call, no shuffling of its own."""

    def run(x: np.ndarray, y: np.ndarray) -> float:
        history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        return float(history.history["loss"][0])

    return run


def fast_epoch_runner(model: keras.Model, batch_size: int) -> EpochRunner:
    """One epoch as one XLA call: a while-loop over full batches, then one call for the rest."""
    variables = model.trainable_variables
    optimizer = model.optimizer
    optimizer.build(variables)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = keras.ops.mean(keras.ops.square(y - model(x, training=True)))
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    @tf.function(jit_compile=True, reduce_retracing=True)
    def full_batches(x, y):  # x: (steps, batch, time_steps, 1), y: (steps, batch, 1)
        def body(i, total):
            return i + 1, total + step(x[i], y[i])

        _, total = tf.while_loop(lambda i, _: i < tf.shape(x)[0], body, (tf.constant(0), tf.constant(0.0)))
        return total

    last_batch = tf.function(step, jit_compile=True, reduce_retracing=True)

    def run(x: np.ndarray, y: np.ndarray) -> float:
        # Keras' reported epoch loss is the mean of batch losses weighted by batch size.
        steps, rest = divmod(len(x), batch_size)
        y = y.reshape(-1, 1)
        full = steps * batch_size
        total = 0.0
        if steps:
            batches = full_batches(
                x[:full].reshape(steps, batch_size, *x.shape[1:]), y[:full].reshape(steps, batch_size, 1)
            )
            total += float(batches) * batch_size
        if rest:
            total += float(last_batch(x[full:], y[full:])) * rest
        return total / len(x)

    return run


def predictor(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A compiled inference function: windows (samples, time_steps, 1) -> (samples,)."""
    call = tf.function(lambda x: model(x, training=False), jit_compile=True, reduce_retracing=True)
    return lambda x: call(tf.constant(x, dtype=tf.float32)).numpy().ravel()


def train(
    config: TrainConfig,
    kind: str,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    fast: bool = True,
    data: Dataset | None = None,
) -> TrainResult:
    """Train one model; `on_epoch` is called after every epoch and stops training by returning True."""
    check_choice("model", kind, MODEL_KINDS)
    if data is None:
        data = make_dataset(config.data)
    elif data.config != config.data:
        raise ValueError("data was built from another DataConfig than config.data")
    started = time.perf_counter()
    model = build_model(config, kind)
    runner = (fast_epoch_runner if fast else plain_epoch_runner)(model, config.batch_size)
    predict = predictor(model)
    x = data.train_X.astype(np.float32)
    y = data.train_y.astype(np.float32)
    test_x = data.test_X.astype(np.float32)
    losses: list[float] = []
    test_mses: list[float] = []
    stopped = False
    for order in epoch_orders(config):
        losses.append(runner(x[order], y[order]))
        test_mses.append(float(np.mean(np.square(predict(test_x) - data.test_y))))
        log = EpochLog(kind, len(losses), config.epochs, losses[-1], test_mses[-1])
        if on_epoch is not None and on_epoch(log) and len(losses) < config.epochs:
            stopped = True
            break
    return TrainResult(
        config=config,
        kind=kind,
        model=model,
        loss_history=tuple(losses),
        test_mse_history=tuple(test_mses),
        scores=score(MODEL_LABELS[kind], data, predict(data.X.astype(np.float32))),
        attention=attention_weights(model, test_x) if kind == "attention" else None,
        stopped=stopped,
        seconds=time.perf_counter() - started,
    )
