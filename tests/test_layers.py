import keras
import numpy as np
import pytest

from fibdash.keras.layers import Attention


def reference(x, W, b):
    """The tutorial's math in plain numpy."""
    scores = np.tanh(x @ W + b)[..., 0]  # (batch, time_steps)
    alpha = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return (x * alpha[..., None]).sum(axis=1), alpha


@pytest.fixture
def layer_and_input():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7, 3)).astype("float32")
    layer = Attention()
    layer.build(x.shape)
    layer.b.assign(rng.normal(size=(7, 1)).astype("float32"))  # non-zero, so the bias is exercised
    return layer, x


def test_weights_have_the_tutorials_shapes_and_initializers():
    fresh = Attention()
    fresh.build((None, 20, 2))
    assert fresh.W.shape == (2, 1) and fresh.b.shape == (20, 1)
    assert np.all(keras.ops.convert_to_numpy(fresh.b) == 0)
    assert np.any(keras.ops.convert_to_numpy(fresh.W) != 0)
    assert fresh.count_params() == 22
    assert [w.name for w in fresh.trainable_weights] == ["attention_weight", "attention_bias"]


def test_call_matches_the_tutorials_math(layer_and_input):
    layer, x = layer_and_input
    context, alpha = layer(x, return_attention_scores=True)
    want_context, want_alpha = reference(x, layer.W.numpy(), layer.b.numpy())
    np.testing.assert_allclose(context, want_context, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alpha, want_alpha, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(x), want_context, rtol=1e-5, atol=1e-6)


def test_attention_weights_sum_to_one_over_time(layer_and_input):
    layer, x = layer_and_input
    _, alpha = layer(x * 100, return_attention_scores=True)  # large inputs saturate tanh
    assert alpha.shape == (5, 7)
    assert np.all(alpha.numpy() > 0)
    np.testing.assert_allclose(alpha.numpy().sum(axis=1), 1, rtol=1e-6)


def test_output_shape_and_symbolic_call():
    layer = Attention()
    assert layer.compute_output_shape((None, 20, 2)) == (None, 2)
    inputs = keras.Input((20, 2))
    context, alpha = layer(inputs, return_attention_scores=True)
    assert tuple(context.shape) == (None, 2) and tuple(alpha.shape) == (None, 20)


def test_needs_fixed_time_steps():
    with pytest.raises(ValueError, match="fixed number of time steps"):
        Attention()(keras.Input((None, 2)))


def test_config_round_trip():
    layer = Attention(kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=3), name="att")
    config = layer.get_config()
    assert config["name"] == "att"
    clone = Attention.from_config(config)
    clone.build((None, 4, 2))
    layer.build((None, 4, 2))
    np.testing.assert_array_equal(clone.W.numpy(), layer.W.numpy())  # same seeded initializer
    assert keras.saving.get_registered_name(Attention) == "fibdash>Attention"
