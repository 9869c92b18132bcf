"""The tutorial's two networks in Keras 3, with a selectable recurrent cell and attention: the engine's
definition.

`create_RNN` and `create_RNN_with_attention` keep the tutorial's names and arguments. `build_model`
gives either, compiled, with the initial weights Keras draws for a config's seed, or with a trained
model's weights; `to_keras_bytes` writes it as a `.keras` file.

The attention model's head (`fibdash.config.ATTENTIONS`) reads the RNN's states h_1 .. h_T, (batch, T, H),
and gives Dense its input, (batch, H); each is Keras' own layers but the tutorial's (`_attention_head`):

    tutorial  fibdash's `Attention` (layers.py): alpha = softmax_t(tanh(h_t W + b_t)), context sum alpha_t h_t
    additive  Bahdanau's: the query q = h_T (`Cropping1D`, "last"), projected without biases, as the
              formula has none: Dense "query" q W_q and Dense "key" h_t W_k; `AdditiveAttention` with
              use_scale (its v): score_t = v . tanh(q W_q + h_t W_k); the values are the states
              themselves, unprojected, as the tutorial's context is: context = sum alpha_t h_t
              ("context", `Flatten` of (batch, 1, H))
    dot       Luong's: `Attention(use_scale=True)` of the query q = h_T over the states: score_t =
              s (q . h_t), s a learned scalar (1 at first); context = sum alpha_t h_t
    self      `MultiHeadAttention(num_heads=1, key_dim=H)` of the states over themselves: queries,
              keys and values are projections with biases (EinsumDense), score = (Q_i . K_t) / sqrt(H),
              and its output projection; the last position's output ("last", then "context") into Dense,
              so alpha is the last query's row of its T x T weights
    uniform   `GlobalAveragePooling1D`: the states' mean, alpha_t = 1/T, no weights; the control
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np

from fibdash.config import ATTENTIONS, CELLS, MODEL_KINDS, TrainConfig, check_choice
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


def _attention_head(attention: str, sequence: keras.KerasTensor) -> keras.KerasTensor:
    """The attention model's head on the RNN's states `sequence`, (batch, T, H): what Dense reads, (batch, H).

    The layers are made in this order on purpose: their random initializers draw their seeds as they are
    made (or built), and `fibdash.engine.initial` replays those draws in this order.
    """
    check_choice("attention", attention, ATTENTIONS)
    layers = keras.layers
    _, steps, units = sequence.shape
    if attention == "tutorial":
        return Attention(name="attention")(sequence)
    if attention == "uniform":
        return layers.GlobalAveragePooling1D(name="attention")(sequence)
    if attention == "self":
        outputs = layers.MultiHeadAttention(num_heads=1, key_dim=units, name="attention")(sequence, sequence)
        last = layers.Cropping1D((steps - 1, 0), name="last")(outputs)  # the last position's output
        return layers.Flatten(name="context")(last)
    query = layers.Cropping1D((steps - 1, 0), name="last")(sequence)  # q = h_T, (batch, 1, H)
    if attention == "additive":
        projected_query = layers.Dense(units, use_bias=False, name="query")(query)
        keys = layers.Dense(units, use_bias=False, name="key")(sequence)
        context = layers.AdditiveAttention(name="attention")([projected_query, sequence, keys])
    else:
        context = layers.Attention(use_scale=True, name="attention")([query, sequence])
    return layers.Flatten(name="context")(context)  # (batch, 1, H) -> (batch, H)


def create_RNN_with_attention(
    hidden_units: int,
    dense_units: int,
    input_shape: tuple[int, int],
    activation: str | Sequence[str],
    cell: str = "SimpleRNN",
    learning_rate: float = 0.001,
    attention: str = "tutorial",
) -> keras.Model:
    """The tutorial's attention model: RNN(return_sequences) -> attention -> Dense; the tutorial's
    `Attention` layer, or another head of ATTENTIONS (see this module's docstring)."""
    recurrent, dense = _activations(activation)
    inputs = keras.Input(shape=input_shape, name="input")
    sequence = _recurrent(cell, hidden_units, recurrent, return_sequences=True)(inputs)
    context = _attention_head(attention, sequence)
    outputs = keras.layers.Dense(dense_units, activation=dense, name="dense")(context)
    return _compile(keras.Model(inputs, outputs, name="attention_model"), learning_rate)


def _weight_name(layer: keras.Layer, weight: keras.Variable) -> str:
    """A weight's name in the engine's records: "layer/weight" ("rnn/kernel", not the path through its
    cell), or its path from the layer on where the layer has layers of its own ("attention/query/kernel")."""
    if isinstance(layer, keras.layers.RNN):
        return f"{layer.name}/{weight.name}"
    path = weight.path.split("/")  # a Sequential model's start with the model's name
    return "/".join(path[path.index(layer.name) :])


def named_weights(model: keras.Model) -> dict[str, np.ndarray]:
    """The model's trainable weights by "layer/weight", the names the engine's records use."""
    return {
        _weight_name(layer, weight): weight.numpy()
        for layer in model.layers
        for weight in layer.trainable_weights
    }


def build_model(
    config: TrainConfig, kind: str, weights: Mapping[str, np.ndarray] | None = None
) -> keras.Model:
    """A compiled model of `kind` for `config`, with Keras' initial weights for its seed, or `weights`."""
    check_choice("model", kind, MODEL_KINDS)
    c = config
    shape = (c.data.time_steps, 1)
    with BUILD_LOCK:
        keras.utils.set_random_seed(c.seed)
        if kind == "rnn":
            model = create_RNN(c.hidden_units, 1, shape, c.activation, c.cell, c.learning_rate)
        else:
            model = create_RNN_with_attention(
                c.hidden_units, 1, shape, c.activation, c.cell, c.learning_rate, c.attention
            )
    if weights is not None:
        for layer in model.layers:
            for weight in layer.trainable_weights:
                weight.assign(np.asarray(weights[_weight_name(layer, weight)], np.float32))
    return model


def attention_weights(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """Attention weights (samples, time_steps) of an attention model for windows X, from its own layers: the
    weights of the sum over time that Dense reads; of self-attention, the last position's query's row."""
    sequence = model.get_layer("rnn")(np.asarray(X, dtype="float32"))
    head = model.get_layer("attention")
    if isinstance(head, Attention):  # the tutorial's
        _, alpha = head(sequence, return_attention_scores=True)
    elif isinstance(head, keras.layers.GlobalAveragePooling1D):  # uniform: the mean has no weights to ask
        steps = sequence.shape[1]
        return np.full((len(X), steps), np.float32(1) / np.float32(steps), np.float32)
    elif isinstance(head, keras.layers.MultiHeadAttention):
        alpha = attention_map(model, X)[:, -1, :]
    else:  # additive or dot: the last state queries the states
        query = model.get_layer("last")(sequence)
        if isinstance(head, keras.layers.AdditiveAttention):
            inputs = [model.get_layer("query")(query), sequence, model.get_layer("key")(sequence)]
        else:
            inputs = [query, sequence]
        _, scores = head(inputs, return_attention_scores=True)  # (samples, 1, time_steps)
        alpha = scores[:, 0, :]
    return keras.ops.convert_to_numpy(alpha)


def attention_map(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """A self-attention model's weights for windows X, (samples, time_steps, time_steps): row i the weights
    of position i's query over every step."""
    sequence = model.get_layer("rnn")(np.asarray(X, dtype="float32"))
    _, scores = model.get_layer("attention")(sequence, sequence, return_attention_scores=True)
    return keras.ops.convert_to_numpy(scores[:, 0])  # its one head


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
