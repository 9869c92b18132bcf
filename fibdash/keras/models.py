"""The tutorial's two networks in Keras 3, with a selectable recurrent cell: the engine's definition.

`create_RNN` and `create_RNN_with_attention` keep the tutorial's names and arguments. `build_model`
gives either, compiled, with the initial weights Keras draws for a config's seed, or with a trained
model's weights; `to_keras_bytes` writes it as a `.keras` file.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np

from fibdash.config import CELLS, MODEL_KINDS, TrainConfig, check_choice
from fibdash.keras.layers import Attention

# Keras draws initial weights from process-wide seeds: building two models at once in two threads
# would interleave those draws and break reproducibility.
BUILD_LOCK = threading.Lock()


def _activations(activation: str | Sequence[str]) -> tuple[str, str]:
    """The tutorial passes one activation or a [recurrent, dense] pair; accept both."""
    if isinstance(activation, str):
        return activation, activation
    recurrent, dense = activation
    return recurrent, dense


def _recurrent(cell: str, hidden_units: int, activation: str, return_sequences: bool) -> keras.Layer:
    check_choice("cell", cell, CELLS)
    layer = getattr(keras.layers, cell)
    return layer(hidden_units, activation=activation, return_sequences=return_sequences, name="rnn")


def _compile(model: keras.Model, learning_rate: float) -> keras.Model:
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    return model


def create_RNN(
    hidden_units: int,
    dense_units: int,
    input_shape: tuple[int, int],
    activation: str | Sequence[str],
    cell: str = "SimpleRNN",
    learning_rate: float = 0.001,
) -> keras.Model:
    """The tutorial's baseline: RNN(hidden_units) -> Dense(dense_units), MSE loss, Adam."""
    recurrent, dense = _activations(activation)
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            _recurrent(cell, hidden_units, recurrent, return_sequences=False),
            keras.layers.Dense(dense_units, activation=dense, name="dense"),
        ],
        name="rnn_model",
    )
    return _compile(model, learning_rate)


def create_RNN_with_attention(
    hidden_units: int,
    dense_units: int,
    input_shape: tuple[int, int],
    activation: str | Sequence[str],
    cell: str = "SimpleRNN",
    learning_rate: float = 0.001,
) -> keras.Model:
    """The tutorial's attention model: RNN(return_sequences) -> Attention -> Dense."""
    recurrent, dense = _activations(activation)
    inputs = keras.Input(shape=input_shape, name="input")
    sequence = _recurrent(cell, hidden_units, recurrent, return_sequences=True)(inputs)
    context = Attention(name="attention")(sequence)
    outputs = keras.layers.Dense(dense_units, activation=dense, name="dense")(context)
    return _compile(keras.Model(inputs, outputs, name="attention_model"), learning_rate)


def named_weights(model: keras.Model) -> dict[str, np.ndarray]:
    """The model's trainable weights by "layer/weight", the names the engine's records use."""
    return {
        f"{layer.name}/{weight.name}": weight.numpy()
        for layer in model.layers
        for weight in layer.trainable_weights
    }


def build_model(
    config: TrainConfig, kind: str, weights: Mapping[str, np.ndarray] | None = None
) -> keras.Model:
    """A compiled model of `kind` for `config`, with Keras' initial weights for its seed, or `weights`."""
    check_choice("model", kind, MODEL_KINDS)
    create = create_RNN if kind == "rnn" else create_RNN_with_attention
    c = config
    with BUILD_LOCK:
        keras.utils.set_random_seed(c.seed)
        model = create(c.hidden_units, 1, (c.data.time_steps, 1), c.activation, c.cell, c.learning_rate)
    if weights is not None:
        for layer in model.layers:
            for weight in layer.trainable_weights:
                weight.assign(np.asarray(weights[f"{layer.name}/{weight.name}"], np.float32))
    return model


def attention_weights(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """Attention weights (samples, time_steps) of an attention model for windows X, from its own layers."""
    sequence = model.get_layer("rnn")(np.asarray(X, dtype="float32"))
    _, alpha = model.get_layer("attention")(sequence, return_attention_scores=True)
    return keras.ops.convert_to_numpy(alpha)


def summary_rows(model: keras.Model) -> list[dict[str, object]]:
    """The model's layers as rows of `model.summary()`: name, type, output shape, parameters."""
    return [
        {
            "Layer": layer.name,
            "Type": type(layer).__name__,
            "Output shape": str(tuple(layer.output.shape)),
            "Params": layer.count_params(),
        }
        for layer in model.layers
    ]


def to_keras_bytes(model: keras.Model) -> bytes:
    """The model as the contents of a `.keras` file, for downloads.

    Loading compiles the model and builds its optimizer's state for the trainable variables before
    reading the saved one; a model trained outside its own optimizer (as the engine does) has none,
    so it is built here (fresh Adam moments) and the file loads without a warning.
    """
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()
