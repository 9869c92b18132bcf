import keras
import numpy as np
import pytest

from fibdash.keras.layers import Attention
from fibdash.keras.models import (
    attention_weights,
    create_RNN,
    create_RNN_with_attention,
    named_weights,
    summary_rows,
    to_keras_bytes,
)


def test_baseline_matches_the_tutorials_summary():
    model = create_RNN(hidden_units=2, dense_units=1, input_shape=(20, 1), activation=["tanh", "tanh"])
    rows = [(r["Type"], r["Output shape"], r["Params"]) for r in summary_rows(model)]
    assert rows == [("SimpleRNN", "(None, 2)", 8), ("Dense", "(None, 1)", 3)]
    assert model.count_params() == 11 and len(model.trainable_weights) == 5
    assert model.loss == "mse" and isinstance(model.optimizer, keras.optimizers.Adam)


def test_attention_model_matches_the_tutorials_summary():
    model = create_RNN_with_attention(hidden_units=2, dense_units=1, input_shape=(20, 1), activation="tanh")
    rows = [(r["Type"], r["Output shape"], r["Params"]) for r in summary_rows(model)]
    assert rows == [
        ("InputLayer", "(None, 20, 1)", 0),
        ("SimpleRNN", "(None, 20, 2)", 8),
        ("Attention", "(None, 2)", 22),
        ("Dense", "(None, 1)", 3),
    ]
    assert model.count_params() == 33


@pytest.mark.parametrize(("cell", "rnn_params"), [("LSTM", 32), ("GRU", 30)])
def test_selectable_cell(cell, rnn_params):
    model = create_RNN_with_attention(2, 1, (20, 1), "tanh", cell=cell)
    assert type(model.get_layer("rnn")).__name__ == cell
    assert model.count_params() == rnn_params + 22 + 3
    assert model.predict(np.zeros((3, 20, 1)), verbose=0).shape == (3, 1)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="unknown cell 'Transformer'"):
        create_RNN(2, 1, (20, 1), "tanh", cell="Transformer")


def test_learning_rate_reaches_adam():
    model = create_RNN(2, 1, (5, 1), "tanh", learning_rate=0.05)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_attention_weights_for_any_input():
    model = create_RNN_with_attention(2, 1, (20, 1), "tanh")
    weights = attention_weights(model, np.random.default_rng(1).random((9, 20, 1)))
    assert weights.shape == (9, 20)
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)


def test_keras_file_round_trip(tmp_path):
    model = create_RNN_with_attention(3, 1, (6, 1), "tanh", cell="GRU")
    x = np.random.default_rng(2).random((4, 6, 1)).astype("float32")
    path = tmp_path / "model.keras"
    path.write_bytes(to_keras_bytes(model))
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("attention"), Attention)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(attention_weights(loaded, x), attention_weights(model, x), rtol=1e-6)


# Each head's layers (after the input and the RNN, before Dense) and its model's parameters at the
# tutorial's size: 8 of the SimpleRNN(2), the head's, 3 of Dense.
HEAD_LAYERS = {
    "tutorial": (["Attention"], 33),
    "additive": (["Cropping1D", "Dense", "Dense", "AdditiveAttention", "Flatten"], 21),
    "dot": (["Cropping1D", "Attention", "Flatten"], 12),
    "self": (["MultiHeadAttention", "Cropping1D", "Flatten"], 35),
    "uniform": (["GlobalAveragePooling1D"], 11),
}


def _softmax(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def head_in_numpy(attention: str, weights: dict, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What Dense reads and the weights over time, from the issue's formulas in float64: h (batch, T, H)."""
    h, q = h.astype(np.float64), h[:, -1].astype(np.float64)  # the query: the last state
    if attention == "tutorial":
        alpha = _softmax(
            np.tanh(h @ weights["attention/attention_weight"] + weights["attention/attention_bias"])[..., 0]
        )
        return (alpha[..., None] * h).sum(axis=1), alpha
    if attention == "additive":
        projected = (q @ weights["query/kernel"])[:, None, :] + h @ weights["key/kernel"]
        alpha = _softmax(np.tanh(projected) @ weights["attention/scale"])
    elif attention == "dot":
        alpha = _softmax(weights["attention/scale"] * np.einsum("bj,btj->bt", q, h))
    elif attention == "self":

        def project(part, x):
            kernel, bias = weights[f"attention/{part}/kernel"], weights[f"attention/{part}/bias"]
            return x @ kernel.reshape(kernel.shape[0], -1) + bias.reshape(-1)

        keys, values = project("key", h), project("value", h)
        alpha = _softmax(np.einsum("bj,btj->bt", project("query", q), keys) / np.sqrt(h.shape[-1]))
        context = (alpha[..., None] * values).sum(axis=1)
        output = weights["attention/attention_output/kernel"][0]
        return context @ output + weights["attention/attention_output/bias"], alpha
    else:
        alpha = np.full(h.shape[:2], 1 / h.shape[1])
    return (alpha[..., None] * h).sum(axis=1), alpha


@pytest.mark.parametrize("attention", HEAD_LAYERS)
def test_each_head_is_keras_own_layers_computing_its_formula(attention):
    layers, parameters = HEAD_LAYERS[attention]
    model = create_RNN_with_attention(2, 1, (20, 1), "tanh", attention=attention)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "SimpleRNN", *layers, "Dense"]
    assert model.count_params() == parameters
    rng = np.random.default_rng(3)
    for weight in model.trainable_weights:  # away from the initial biases of 0 and scale of 1
        weight.assign(rng.normal(size=weight.shape).astype("float32"))
    x = rng.random((6, 20, 1)).astype("float32")
    h = keras.ops.convert_to_numpy(model.get_layer("rnn")(x))
    context, alpha = head_in_numpy(attention, named_weights(model), h)
    dense = model.get_layer("dense")
    expected = np.tanh(context @ dense.kernel.numpy() + dense.bias.numpy())[:, 0]
    np.testing.assert_allclose(model.predict(x, verbose=0)[:, 0], expected, rtol=1e-4, atol=1e-6)
    weights = attention_weights(model, x)
    np.testing.assert_allclose(weights, alpha, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-6)
    if attention == "uniform":
        assert (weights == np.float32(1) / np.float32(20)).all()
    else:
        assert weights.std(axis=1).min() > 1e-4  # the weights are not uniform: the check has teeth


@pytest.mark.parametrize("attention", [name for name in HEAD_LAYERS if name != "tutorial"])
def test_each_heads_keras_file_round_trip(tmp_path, attention):
    """Keras' own layers: the file loads with Keras alone."""
    model = create_RNN_with_attention(3, 1, (6, 1), "tanh", cell="LSTM", attention=attention)
    x = np.random.default_rng(2).random((4, 6, 1)).astype("float32")
    path = tmp_path / "model.keras"
    path.write_bytes(to_keras_bytes(model))
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(attention_weights(loaded, x), attention_weights(model, x), rtol=1e-6)


def test_an_unknown_head_is_refused():
    with pytest.raises(ValueError, match="unknown attention 'bahdanau': choose one of tutorial, additive"):
        create_RNN_with_attention(2, 1, (20, 1), "tanh", attention="bahdanau")
