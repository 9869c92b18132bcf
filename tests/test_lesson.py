"""The lesson's words about the tutorial's claims, from comparisons made by hand."""

import numpy as np
import pytest

from fibdash.analysis.lesson import ScoreParts, conclusion, parts_sentence, score_parts, weight_bound
from fibdash.analysis.study import compare
from fibdash.config import DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.engine.training import train_pair
from tests.test_study import INTERVAL_ONLY, RNN, TEST_ONLY, hand_made

THIS_RUN = {"rnn": 2e-5, "attention": 1e-5}


def test_the_conclusion_is_confirmed_only_where_the_test_and_the_interval_agree():
    clear = conclusion(THIS_RUN, compare(hand_made(RNN, RNN / 2)), 10)
    assert clear.endswith("so attention does lower the test MSE here.")
    assert "median ratio 0.50 (95% CI 0.5 to 0.5), p = 0.002" in clear
    for weak in (TEST_ONLY, INTERVAL_ONLY):
        sentence = conclusion(THIS_RUN, compare(hand_made(RNN, RNN * weak)), 10)
        assert sentence.endswith("weak evidence for it: the paired test and the interval disagree.")
    worse = conclusion(THIS_RUN, compare(hand_made(RNN, RNN * 2)), 10)  # clear, but the other way
    assert worse.endswith("so one run cannot settle it: the seeds do not confirm it.")


def test_the_bound_is_the_largest_softmax_weight_of_scores_in_minus_one_to_one():
    grid = np.linspace(-1, 1, 41)  # every score vector of a fine grid, brute force
    for steps in (2, 3, 4):
        scores = np.stack(np.meshgrid(*[grid] * steps), axis=-1).reshape(-1, steps)
        weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        assert weights.max() == pytest.approx(weight_bound(steps), rel=1e-12)
    rng = np.random.default_rng(0)  # at T = 20, random scores stay below it, and the extreme one reaches it
    scores = rng.uniform(-1, 1, (100_000, 20))
    weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert weights.max() < weight_bound(20)
    extreme = np.array([1.0] + [-1.0] * 19)
    assert (np.exp(extreme) / np.exp(extreme).sum())[0] == pytest.approx(weight_bound(20), rel=1e-12)
    assert f"{weight_bound(20):.2f}" == "0.28"


def test_the_score_split_is_kerass_simple_rnn_states_times_w_and_the_bias_per_step():
    from fibdash.engine.inference import attention_trace
    from fibdash.keras.models import build_model

    config = TrainConfig(DataConfig(n=300, time_steps=8, scaling="log-minmax"), epochs=3, hidden_units=3)
    data = make_dataset(config.data)
    trained = train_pair(config, data.windows())["attention"]
    window = data.X[data.test_idx[0]]
    trace = attention_trace(config, trained.weights, window[:, 0])
    parts = score_parts(trained.weights, trace.states)
    model = build_model(config, "attention", trained.weights)  # Keras' SimpleRNN with the engine's weights
    states = np.asarray(model.get_layer("rnn")(window[None].astype(np.float32)))[0].astype(np.float64)
    kernel = model.get_layer("attention").W.numpy()[:, 0].astype(np.float64)
    bias = model.get_layer("attention").b.numpy()[:, 0].astype(np.float64)
    content = np.array([sum(states[t, j] * kernel[j] for j in range(3)) for t in range(8)])
    np.testing.assert_allclose(parts.content, content, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(parts.position, bias)
    np.testing.assert_allclose(np.tanh(parts.pre_tanh), trace.scores, rtol=1e-5, atol=1e-6)  # the layer's e_t
    share = np.var(bias) / (np.var(content) + np.var(bias))
    assert parts.position_share == pytest.approx(share, rel=1e-4)


def test_the_sentence_names_the_part_that_moves_the_scores():
    steps = np.arange(10.0)
    position = ScoreParts(content=np.full(10, 0.3) + 0.01 * steps, position=0.1 * steps)
    assert parts_sentence(position).startswith("Position dominates: across the 10 steps")
    assert "b_t holds 99% of their variance" in parts_sentence(position)
    content = ScoreParts(content=0.1 * steps, position=np.full(10, -0.2))
    assert parts_sentence(content).startswith("Content dominates") and "h_t W holds 100%" in parts_sentence(
        content
    )
    assert parts_sentence(ScoreParts(np.zeros(4), np.ones(4))) == (
        "Neither part varies across the 4 steps: every weight is 1/4."
    )
