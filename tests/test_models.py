import keras
import numpy as np
import pytest

from fibdash.keras.layers import Attention
from fibdash.keras.models import (
    attention_weights,
    create_RNN,
    create_RNN_with_attention,
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
