"""The tutorial's two networks, with a selectable recurrent cell."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from fibdash.config import CELLS, check_choice
from fibdash.layers import Attention


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


def adam(learning_rate: float = 0.001) -> keras.optimizers.Adam:
    """The optimizer both networks train with: Keras' Adam with its defaults but the learning rate."""
    return keras.optimizers.Adam(learning_rate=learning_rate)


def _compile(model: keras.Model, learning_rate: float) -> keras.Model:
    model.compile(loss="mse", optimizer=adam(learning_rate))
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


def has_attention(model: keras.Model) -> bool:
    return any(isinstance(layer, Attention) for layer in model.layers)


def attention_weights(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """Attention weights (samples, time_steps) of an attention model for windows X."""
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

    Loading compiles the model and builds its optimizer's state for the trainable variables
    before reading the saved one; a model trained outside its own optimizer (as the fast path
    does) has none, so it is built here too (fresh Adam moments) and the file loads without a
    warning.
    """
    optimizer = getattr(model, "optimizer", None)  # None or absent: not compiled, nothing to save
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()
