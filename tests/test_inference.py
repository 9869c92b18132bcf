"""A trained model's answers for any window, and the importances that do not come from attention."""

from dataclasses import replace

import numpy as np
import pytest

from fibdash.config import ATTENTIONS, DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.engine.inference import METHODS, importance, predict
from fibdash.engine.initial import initial_weights
from fibdash.engine.training import train_pair
from fibdash.keras import models

T = 6


def windows(samples: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 1.0, (samples, T)).astype("float32")


def with_weights(config: TrainConfig, kind: str, **chosen) -> dict[str, np.ndarray]:
    """`kind`'s initial weights for `config`, with some set by name ("rnn_kernel" for "rnn/kernel")."""
    weights = initial_weights(config, kind)
    for name, value in chosen.items():
        key = name.replace("_", "/", 1)
        weights[key] = np.broadcast_to(np.asarray(value, np.float32), weights[key].shape).copy()
    return weights


@pytest.mark.parametrize("method", METHODS)
def test_on_a_linear_network_both_measures_are_each_steps_coefficient_times_its_input(method):
    """A linear SimpleRNN of one unit whose state halves each step: the prediction is the sum over t of
    0.5 ** (T - 1 - t) x_t, plus its bias, so step t moves it by exactly that coefficient times x_t."""
    config = TrainConfig(DataConfig(n=40, time_steps=T), hidden_units=1, activation="linear")
    weights = with_weights(
        config, "rnn", rnn_kernel=1, rnn_recurrent_kernel=0.5, rnn_bias=0, dense_kernel=1, dense_bias=0.25
    )
    X = windows()
    found = importance(config, "rnn", weights, X, method)
    coefficients = 0.5 ** np.arange(T - 1, -1, -1)
    assert found.shape == (len(X), T) and (found.argmax(axis=1) == T - 1).all()
    np.testing.assert_allclose(found, coefficients * X, rtol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_on_an_attention_model_set_to_look_at_one_step_that_step_ranks_first(method):
    """A memoryless RNN (each state sees only its own input) and an attention bias that favours step t-2:
    the prediction rests on that step, and both the weights and the importance say so."""
    config = TrainConfig(DataConfig(n=40, time_steps=T))
    bias = np.full((T, 1), -3.0)
    bias[-2] = 3.0
    weights = with_weights(
        config,
        "attention",
        rnn_kernel=1,
        rnn_recurrent_kernel=0,
        rnn_bias=0,
        attention_attention_weight=0,
        attention_attention_bias=bias,
        dense_kernel=1,
        dense_bias=0,
    )
    X = windows()
    _, alpha = predict(config, "attention", weights, X)
    assert (alpha.argmax(axis=1) == T - 2).all()
    assert (importance(config, "attention", weights, X, method).argmax(axis=1) == T - 2).all()


@pytest.mark.parametrize("hidden_units", [2, 16])
def test_occlusion_gives_exactly_zero_for_values_the_network_cannot_see(hidden_units):
    """Values far below float32's resolution next to the biases do not change the prediction: occlusion
    says so exactly, beside steps that do; gradient x input does not."""
    config = TrainConfig(DataConfig(n=40, time_steps=T), hidden_units=hidden_units)
    weights = with_weights(config, "attention", rnn_bias=0.1)
    X = windows(60)
    X[:, : T // 2] *= 1e-20  # the first half of every window: invisible in float32
    occluded = importance(config, "attention", weights, X, "occlusion")
    assert (occluded[:, : T // 2] == 0).all() and (occluded[:, T // 2 :] > 0).all()
    assert (importance(config, "attention", weights, X, "gradient")[:, : T // 2] > 0).all()


def test_equal_windows_get_equal_importances_and_zero_steps_none():
    config = TrainConfig(DataConfig(n=40, time_steps=T))
    weights = initial_weights(config, "rnn")
    X = windows(10)
    X[5:] = X[0]
    X[:, :2] = 0  # occluding a 0 changes nothing
    found = importance(config, "rnn", weights, X, "occlusion")
    np.testing.assert_array_equal(found[5:], np.broadcast_to(found[0], (5, T)))
    assert (found[:, :2] == 0).all()


def test_what_cannot_be_measured_is_refused():
    config = TrainConfig(DataConfig(n=40, time_steps=T))
    weights = initial_weights(config, "rnn")
    with pytest.raises(ValueError, match="unknown importance method 'saliency'"):
        importance(config, "rnn", weights, windows(), "saliency")
    with pytest.raises(ValueError, match=r"windows must have shape \(samples, 6\)"):
        predict(config, "rnn", weights, windows()[:, :4])


def _keras_importance(model, windows: np.ndarray, method: str) -> np.ndarray:
    """Occlusion and gradient x input asked of the Keras model itself."""
    import tensorflow as tf

    windows = windows.astype(np.float32)
    if method == "gradient":
        x = tf.constant(windows)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(model(x, training=False))
        return np.abs(tape.gradient(total, x).numpy() * windows)[..., 0]
    out = np.zeros(windows.shape[:2])
    base = model.predict(windows, verbose=0)[:, 0]
    for t in range(windows.shape[1]):
        occluded = windows.copy()
        occluded[:, t] = 0.0
        out[:, t] = np.abs(model.predict(occluded, verbose=0)[:, 0] - base)
    return out


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("method", METHODS)
def test_importance_is_what_the_keras_model_says(method, attention):
    config = TrainConfig(
        DataConfig(n=60, time_steps=6, scaling="log-minmax"),
        hidden_units=3,
        epochs=3,
        cell="GRU",
        attention=attention,
    )
    data = make_dataset(config.data)
    pair = train_pair(config, data.windows())
    for kind, trained in pair.items() if attention == "tutorial" else [("attention", pair["attention"])]:
        ours = importance(config, kind, trained.weights, data.test_X, method)
        theirs = _keras_importance(models.build_model(config, kind, trained.weights), data.test_X, method)
        assert ours.shape == (config.data.n_test, 6) and (ours >= 0).all()
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-6)  # differences of float32 predictions
        assert ours.max() > 1e-3  # the windows move the predictions: the check has teeth


def test_predictions_of_any_window_are_the_trained_ones_and_seed_free():
    config = TrainConfig(DataConfig(n=60, time_steps=5), epochs=2)
    data = make_dataset(config.data)
    pair = train_pair(config, data.windows())
    for kind, trained in pair.items():
        predictions, alpha = predict(config, kind, trained.weights, data.X)  # (samples, T, 1) too
        np.testing.assert_array_equal(predictions, trained.predictions)
        other_seed = predict(replace(config, seed=9), kind, trained.weights, data.X)[0]
        np.testing.assert_array_equal(other_seed, predictions)  # the weights decide, not the config's seed
        assert (alpha is None) == (kind == "rnn")


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_every_heads_weights_sum_to_one_over_time_and_uniforms_are_one_over_t(attention):
    config = TrainConfig(DataConfig(n=60, time_steps=T, scaling="log-minmax"), epochs=3, attention=attention)
    data = make_dataset(config.data)
    trained = train_pair(config, data.windows())["attention"]
    _, alpha = predict(config, "attention", trained.weights, windows())
    for weights in (alpha, trained.attention, *trained.attention_history.weights):
        assert weights.shape[1] == T and (weights > 0).all()
        np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)
    if attention == "uniform":
        assert (alpha == np.float32(1) / np.float32(T)).all() and (trained.attention == alpha[0]).all()
    else:  # they depend on the window
        assert alpha.std(axis=0).max() > 1e-6
