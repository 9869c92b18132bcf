"""The engine against its definition, Keras 3: `fit` step for step, the models' own predictions, weights
and summaries; then what the engine promises beyond one run (seeds, stopping, divergence, snapshots)."""

from dataclasses import replace

import numpy as np
import pytest

from fibdash.config import ATTENTIONS, CELLS, MODEL_KINDS, DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.engine.inference import attention_trace, importance, predict
from fibdash.engine.initial import initial_weights
from fibdash.engine.layout import Layout
from fibdash.engine.network import Architecture
from fibdash.engine.summary import summary_rows
from fibdash.engine.training import (
    MAX_ATTENTION_SNAPSHOTS,
    MAX_ATTENTION_VALUES,
    attention_epochs,
    train,
    train_pair,
    train_seeds,
)
from fibdash.keras import models
from fibdash.keras.reference import fit_many


def windows(config: TrainConfig):
    """The windows the engine trains `config` on."""
    return make_dataset(config.data).windows()


# 32 windows, 22 of them for training: batch 5 leaves a short last batch of 2. Log-minmax
# scaling and a high learning rate make two epochs move every weight well beyond float noise.
TINY = DataConfig(n=36, time_steps=4, scaling="log-minmax")


# Against Keras' own `fit`: every cell, both models (a pair trains both), each activation, and
# each cell with a batch size of 1 and with one that leaves a short last batch; an odd number of
# time steps too. The seeds are ones whose networks all learn: relu's can start dead, and then
# nothing would be compared. Then each other attention head (its model alone: the RNN does not
# change with it), with SimpleRNN and tanh and with another cell, every cell and activation among
# them; the largest part of that matrix is slow.
SLOW = pytest.mark.slow
PARITY = [
    ("tutorial", "SimpleRNN", "tanh", 1, 4, 0, 2),
    ("tutorial", "SimpleRNN", "linear", 5, 4, 0, 2),
    ("tutorial", "LSTM", "relu", 5, 4, 2, 2),
    ("tutorial", "LSTM", "sigmoid", 1, 4, 0, 2),
    ("tutorial", "GRU", "tanh", 5, 4, 0, 2),
    ("tutorial", "GRU", "sigmoid", 1, 5, 0, 2),
    # kernels past SMALL_KERNEL weights, which the engine reads along rows instead
    ("tutorial", "SimpleRNN", "tanh", 5, 4, 0, 9),
    ("tutorial", "LSTM", "tanh", 1, 4, 0, 5),
    ("tutorial", "GRU", "sigmoid", 5, 5, 1, 6),
    ("additive", "SimpleRNN", "tanh", 1, 4, 0, 2),
    ("dot", "GRU", "sigmoid", 1, 5, 0, 2),
    ("self", "LSTM", "tanh", 5, 4, 0, 3),
    ("uniform", "GRU", "linear", 5, 4, 0, 2),
    pytest.param("additive", "LSTM", "relu", 5, 5, 2, 3, marks=SLOW),
    pytest.param("additive", "GRU", "sigmoid", 5, 4, 0, 6, marks=SLOW),
    pytest.param("dot", "SimpleRNN", "tanh", 5, 4, 0, 2, marks=SLOW),
    pytest.param("dot", "LSTM", "linear", 1, 4, 0, 3, marks=SLOW),
    pytest.param("self", "SimpleRNN", "tanh", 1, 5, 0, 9, marks=SLOW),
    pytest.param("self", "GRU", "relu", 5, 4, 1, 4, marks=SLOW),
    pytest.param("self", "SimpleRNN", "sigmoid", 5, 4, 0, 2, marks=SLOW),
    pytest.param("uniform", "SimpleRNN", "tanh", 1, 4, 0, 2, marks=SLOW),
    pytest.param("uniform", "LSTM", "sigmoid", 5, 5, 0, 3, marks=SLOW),
]
# Self-attention's key bias adds q . b_k to every score alike, which the softmax takes off again: its
# gradient is 0 but for rounding, and Adam, which divides a gradient by its own size, turns that rounding
# into steps. No two implementations round alike, so it is compared by what it does: nothing.
NO_GRADIENT = {"attention/key/bias"}


@pytest.mark.parametrize(
    ("attention", "cell", "activation", "batch_size", "time_steps", "seed", "hidden_units"), PARITY
)
def test_engine_is_keras_fit(attention, cell, activation, batch_size, time_steps, seed, hidden_units):
    data_config = replace(TINY, time_steps=time_steps)
    config = TrainConfig(
        data_config,
        hidden_units=hidden_units,
        epochs=2,
        batch_size=batch_size,
        learning_rate=0.02,
        cell=cell,
        activation=activation,
        attention=attention,
        seed=seed,
    )
    data = make_dataset(data_config)
    engine = train_pair(config, data.windows())
    kinds = MODEL_KINDS if attention == "tutorial" else ("attention",)
    keras_fit = fit_many(config, kinds, [seed], data)
    for kind in kinds:
        e, k = engine[kind], keras_fit[kind][0]
        np.testing.assert_allclose(e.loss_history, k.loss_history, rtol=1e-5)
        np.testing.assert_allclose(e.test_mse_history, k.test_mse_history, rtol=1e-5)
        assert e.test_mse == pytest.approx(k.test_mse, rel=1e-5)
        initial = models.named_weights(models.build_model(config, kind))
        assert e.weights.keys() == k.weights.keys() == initial.keys()
        for name, start in initial.items():
            if name in NO_GRADIENT:
                continue
            np.testing.assert_allclose(e.weights[name], k.weights[name], rtol=1e-4, atol=1e-5)  # Adam scales
            assert not np.allclose(k.weights[name], start, rtol=0, atol=1e-4), name  # it moved: teeth
        # the same optimizer steps: one per batch, the short one included, per epoch
        assert e.steps == k.steps == 2 * -(-data_config.n_train // batch_size)


def test_self_attentions_key_bias_changes_nothing():
    """What NO_GRADIENT says: any key bias gives the same predictions and weights, so its gradient is 0."""
    config = TrainConfig(
        DataConfig(n=40, time_steps=6, scaling="log-minmax"), hidden_units=3, attention="self"
    )
    data = make_dataset(config.data)
    weights = initial_weights(config, "attention")
    bias = np.array([[0.7, -1.3, 2.1]], np.float32)
    base, alpha = predict(config, "attention", weights, data.X)
    moved, moved_alpha = predict(config, "attention", {**weights, "attention/key/bias": bias}, data.X)
    np.testing.assert_allclose(moved, base, rtol=1e-6)
    np.testing.assert_allclose(moved_alpha, alpha, rtol=1e-5)
    other = predict(config, "attention", {**weights, "attention/query/bias": bias}, data.X)[0]
    assert not np.allclose(other, base, rtol=1e-3)  # the query's bias does change them: teeth


# each cell with the tutorial's head, and each other head with a cell
HEADS = [
    *((cell, "tutorial") for cell in CELLS),
    ("SimpleRNN", "additive"),
    ("GRU", "dot"),
    ("LSTM", "self"),
    ("SimpleRNN", "uniform"),
]


@pytest.mark.parametrize(("cell", "attention"), HEADS)
def test_trained_weights_predict_in_keras_what_they_predict_here(cell, attention):
    """A trained model's weights, put into the Keras model, give the engine's predictions and attention."""
    config = TrainConfig(
        DataConfig(n=50, time_steps=7, scaling="log-minmax"),
        hidden_units=3,
        epochs=3,
        cell=cell,
        attention=attention,
    )
    data = make_dataset(config.data)
    pair = train_pair(config, data.windows())
    for kind, trained in pair.items():
        model = models.build_model(config, kind, trained.weights)
        keras_predictions = model.predict(data.X.astype("float32"), verbose=0)[:, 0]
        np.testing.assert_allclose(trained.predictions, keras_predictions, rtol=1e-5, atol=1e-7)
        predictions, alpha = predict(config, kind, trained.weights, data.test_X)
        np.testing.assert_array_equal(predictions, trained.predictions[data.test_idx])
        if kind == "attention":
            np.testing.assert_allclose(
                alpha, models.attention_weights(model, data.test_X), rtol=1e-5, atol=1e-7
            )
            np.testing.assert_array_equal(alpha, trained.attention)
        else:
            assert alpha is None and trained.attention is None


def test_self_attentions_whole_map_is_keras_own():
    """Every position's weights of one window, beside the Keras layer's own T x T scores: its last row is
    the weights training records."""
    config = TrainConfig(
        DataConfig(n=50, time_steps=7, scaling="log-minmax"), hidden_units=4, attention="self"
    )
    data = make_dataset(config.data)
    trained = train(replace(config, epochs=3), "attention", data.windows())
    model = models.build_model(config, "attention", trained.weights)
    windows = data.test_X[:5]
    expected = models.attention_map(model, windows)
    for window, keras_map in zip(windows, expected, strict=True):
        traced = attention_trace(config, trained.weights, window)
        assert traced.weight_map.shape == (7, 7)
        np.testing.assert_allclose(traced.weight_map, keras_map, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(traced.weight_map.sum(axis=1), 1, rtol=1e-6)
        np.testing.assert_array_equal(traced.weight_map[-1], traced.weights)
    assert not np.allclose(expected[0][0], expected[0][-1], atol=1e-3)  # the rows differ: teeth
    dot = replace(config, attention="dot")
    assert attention_trace(dot, initial_weights(dot, "attention"), windows[0]).weight_map is None


@pytest.mark.parametrize(
    ("cell", "hidden_units", "time_steps"), [("SimpleRNN", 2, 20), ("LSTM", 3, 5), ("GRU", 64, 1)]
)
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_summary_is_keras_own(cell, hidden_units, time_steps, attention):
    config = TrainConfig(
        DataConfig(n=80, time_steps=time_steps), hidden_units=hidden_units, cell=cell, attention=attention
    )
    for kind in MODEL_KINDS:
        assert summary_rows(config, kind) == models.summary_rows(models.build_model(config, kind))


def test_summary_of_the_tutorials_models():
    rows = {kind: summary_rows(TrainConfig(), kind) for kind in MODEL_KINDS}
    assert [(r["Type"], r["Output shape"], r["Params"]) for r in rows["rnn"]] == [
        ("SimpleRNN", "(None, 2)", 8),
        ("Dense", "(None, 1)", 3),
    ]
    assert [(r["Type"], r["Output shape"], r["Params"]) for r in rows["attention"]] == [
        ("InputLayer", "(None, 20, 1)", 0),
        ("SimpleRNN", "(None, 20, 2)", 8),
        ("Attention", "(None, 2)", 22),
        ("Dense", "(None, 1)", 3),
    ]


@pytest.mark.parametrize(
    ("attention", "head_parameters"),
    # H = 2 units, T = 20 steps: W and b_t (H + T); W_q, W_k and v (2 H^2 + H); s (1); the projections'
    # kernels and biases (4 H^2 + 4 H); none
    [("tutorial", 22), ("additive", 10), ("dot", 1), ("self", 24), ("uniform", 0)],
)
def test_each_heads_parameters_at_the_tutorials_size(attention, head_parameters):
    config = TrainConfig(attention=attention)
    assert sum(row["Params"] for row in summary_rows(config, "attention")) == 8 + head_parameters + 3
    assert Layout.of(config).size("attention") == 11 + head_parameters


def test_occluding_a_step_the_network_cannot_see_changes_nothing():
    """Under MinMax at the tutorial's n most windows are 0 in float32: occlusion says exactly 0 there."""
    config = TrainConfig(DataConfig(n=300, time_steps=8), epochs=2)
    data = make_dataset(config.data)
    trained = train(config, "attention", data.windows())
    values = importance(config, "attention", trained.weights, data.test_X, "occlusion")
    zeros = np.all(data.test_X[..., 0].astype(np.float32) == 0, axis=1)
    assert zeros.sum() > 10 and np.all(values[zeros] == 0)
    assert np.any(values[~zeros] > 0)


def test_same_seed_same_numbers_other_seed_other_numbers(small_config):
    first = train(small_config, "attention", windows(small_config))
    again = train(small_config, "attention", windows(small_config))
    other = train(replace(small_config, seed=1), "attention", windows(small_config))
    assert first.loss_history == again.loss_history
    np.testing.assert_array_equal(first.predictions, again.predictions)
    assert first.loss_history != other.loss_history


def test_either_model_alone_is_its_part_of_the_pair(small_config):
    pair = train_pair(small_config, windows(small_config))
    for kind in MODEL_KINDS:
        alone = train(small_config, kind, windows(small_config))
        assert alone.loss_history == pair[kind].loss_history
        np.testing.assert_array_equal(alone.predictions, pair[kind].predictions)
        for name, value in alone.weights.items():
            np.testing.assert_array_equal(value, pair[kind].weights[name])
    assert pair["rnn"].loss_history != pair["attention"].loss_history


# n=80, time_steps=6: 51 training windows; batch 5 leaves a short last batch of 1
SMALL_DATA = DataConfig(n=80, time_steps=6)


def test_each_seed_is_the_single_seed_run_wherever_it_stands():
    config = TrainConfig(
        SMALL_DATA, hidden_units=3, epochs=3, batch_size=5, cell="LSTM", activation="sigmoid"
    )
    data = make_dataset(SMALL_DATA)
    runs = train_seeds(config, MODEL_KINDS, [0, 5, 7], data.windows())
    swapped = train_seeds(config, ["attention"], [7, 5, 0], data.windows())["attention"]
    for kind in MODEL_KINDS:
        assert [run.seed for run in runs[kind]] == [0, 5, 7]
        for run in runs[kind]:
            single = train(replace(config, seed=run.seed), kind, data.windows())
            assert run.loss_history == single.loss_history and run.test_mse_history == single.test_mse_history
            np.testing.assert_array_equal(run.predictions, single.predictions)
            assert run.steps == single.steps == 3 * 11 and run.epochs_run == 3 and not run.stopped
        assert runs[kind][0].loss_history != runs[kind][1].loss_history  # seeds differ: the check has teeth
    assert [run.seed for run in swapped] == [7, 5, 0]
    assert swapped[2].loss_history == runs["attention"][0].loss_history


def test_short_run_learns(small_config):
    data = DataConfig(n=120, time_steps=small_config.data.time_steps, scaling="log-minmax")
    config = replace(small_config, data=data, epochs=15, learning_rate=0.01)
    result = train(config, "rnn", windows(config))
    assert result.loss_history[-1] < 0.2 * result.loss_history[0]
    assert result.test_mse_history[-1] < 0.2 * result.test_mse_history[0]


def test_result_contents(small_config):
    data = make_dataset(small_config.data)
    result = train(small_config, "attention", data.windows())
    assert result.epochs_run == 4 and not result.stopped and len(result.test_mse_history) == 4
    predictions = result.predictions
    assert predictions.shape == (data.config.n_samples,) and predictions.dtype == np.float64
    assert result.test_mse == pytest.approx(np.mean((predictions[data.test_idx] - data.test_y) ** 2))
    assert result.train_mse == pytest.approx(np.mean((predictions[data.train_idx] - data.train_y) ** 2))
    assert result.test_mse_history[-1] == result.test_mse
    assert result.attention.shape == (data.config.n_test, small_config.data.time_steps)
    np.testing.assert_allclose(result.attention.sum(axis=1), 1, rtol=1e-5)
    assert train(small_config, "rnn", data.windows()).attention is None


def test_callback_sees_every_epoch_and_can_stop(small_config):
    logs = []
    data = windows(small_config)
    full = train(small_config, "rnn", data, on_epoch=logs.append)
    assert [log.epoch for log in logs] == [1, 2, 3, 4]
    assert [log.loss for log in logs] == list(full.loss_history)
    assert [log.test_mse for log in logs] == list(full.test_mse_history)
    assert all(log.epochs == 4 and log.kind == "rnn" for log in logs)

    stopped = train(small_config, "rnn", data, on_epoch=lambda log: log.epoch == 2)
    assert stopped.stopped and stopped.epochs_run == 2
    assert stopped.loss_history == full.loss_history[:2]
    assert stopped.steps == 2 * small_config.data.n_train
    assert not train(small_config, "rnn", data, on_epoch=lambda log: log.epoch == 4).stopped


def test_pair_logs_both_models_every_epoch_and_either_stops_both(small_config):
    logs = []
    data = windows(small_config)
    pair = train_pair(small_config, data, on_epoch=logs.append)
    assert [(log.epoch, log.kind) for log in logs] == [(e, k) for e in (1, 2, 3, 4) for k in MODEL_KINDS]
    for kind in MODEL_KINDS:
        assert [log.loss for log in logs if log.kind == kind] == list(pair[kind].loss_history)
    stopped = train_pair(small_config, data, on_epoch=lambda log: log.kind == "attention" and log.epoch == 3)
    for kind in MODEL_KINDS:
        assert stopped[kind].stopped and stopped[kind].epochs_run == 3
        assert stopped[kind].loss_history == pair[kind].loss_history[:3]


def test_unscaled_series_trains_without_nan(small_config):
    config = replace(small_config, data=replace(small_config.data, scaling="none"))
    result = train(config, "attention", windows(config))
    assert np.all(np.isfinite(result.loss_history)) and np.all(np.isfinite(result.predictions))


def test_bad_kind_and_mismatched_data(small_config):
    with pytest.raises(ValueError, match="unknown model 'cnn'"):
        train(small_config, "cnn", windows(small_config))
    with pytest.raises(ValueError, match="another DataConfig"):
        train(small_config, "rnn", windows(TrainConfig(DataConfig(n=90))))


# Learning rate 1 with a linear activation on unscaled numbers: the loss is not finite within a
# few epochs (a new user's report), and Keras' TerminateOnNaN would stop there.
DIVERGING = TrainConfig(
    data=DataConfig(n=150, scaling="none"), learning_rate=1.0, activation="linear", epochs=30
)


def test_a_diverging_training_stops_at_its_first_non_finite_loss():
    logs = []
    pair = train_pair(DIVERGING, windows(DIVERGING), on_epoch=logs.append)
    for result in pair.values():
        *finite, last = result.loss_history
        assert not np.isfinite(last) and np.isfinite(finite).all()  # it ends where the loss broke
        assert result.epochs_run < DIVERGING.epochs and not result.stopped
        assert result.steps == result.epochs_run * DIVERGING.data.n_train
    assert max(log.epoch for log in logs) == max(r.epochs_run for r in pair.values())


def test_one_member_diverging_leaves_the_others_training():
    # At a learning rate of 1 the weights explode within a few steps, and how far is chaotic: rounding
    # differences of 1e-6 grow to 1e-2 in 15 steps, so which seeds end in NaN differs between Keras and
    # any other implementation of the same steps. In this engine seed 2 diverges at once, the others not.
    config = TrainConfig(data=DataConfig(n=150), learning_rate=1.0, activation="linear", epochs=10)
    runs = train_seeds(config, ["rnn"], [0, 1, 2, 3], windows(config))["rnn"]
    for run in runs:  # each seed alone gives the same history as in the group
        alone = train(replace(config, seed=run.seed), "rnn", windows(config))
        assert alone.loss_history == pytest.approx(run.loss_history, rel=1e-5, nan_ok=True)
    assert [run.epochs_run for run in runs] == [10, 10, 1, 10]


def test_attention_is_recorded_through_training_within_its_bounds():
    config = TrainConfig(data=DataConfig(n=80, time_steps=6), epochs=120)
    result = train(config, "attention", windows(config))
    history = result.attention_history
    assert history.epochs[0] == 1 and history.epochs[-1] == 120
    assert len(history.epochs) == MAX_ATTENTION_SNAPSHOTS == len(history.weights)
    assert history.weights.shape[1:] == (config.data.n_test, 6) and history.weights.dtype == np.float32
    np.testing.assert_array_equal(result.attention, history.weights[-1])
    assert not np.allclose(history.weights[0], history.weights[-1])  # it moved as it trained
    np.testing.assert_allclose(history.weights.sum(axis=2), 1, rtol=1e-5)
    assert train(config, "rnn", windows(config)).attention_history is None


def test_attention_snapshots_are_bounded_in_number_and_size():
    assert attention_epochs(30, 354, 20) == tuple(range(1, 31))
    assert len(attention_epochs(500, 354, 20)) == MAX_ATTENTION_SNAPSHOTS
    big = attention_epochs(500, 1400, 300)
    assert len(big) * 1400 * 300 <= MAX_ATTENTION_VALUES and big[0] == 1 and big[-1] == 500


@pytest.mark.slow
def test_tutorial_config_engine_equals_keras_fit():
    """The whole tutorial run of both models, 2 x 24,780 optimizer steps, both ways (minutes)."""
    config = TrainConfig()
    data = make_dataset(config.data)
    engine = train_pair(config, data.windows())
    keras_fit = fit_many(config, MODEL_KINDS, [0], data)
    for kind in MODEL_KINDS:
        e, k = engine[kind], keras_fit[kind][0]
        np.testing.assert_allclose(e.loss_history, k.loss_history, rtol=1e-3)
        assert e.test_mse == pytest.approx(k.test_mse, rel=1e-2)
        assert e.steps == k.steps == 30 * 826


def test_a_study_reports_medians_over_its_seeds_and_can_stop(small_config):
    logs = []
    data = windows(small_config)
    runs = train_seeds(small_config, ["rnn"], [0, 1, 2], data, on_epoch=logs.append)["rnn"]
    assert [log.epoch for log in logs] == [1, 2, 3, 4]
    assert all(log.kind == "rnn" and log.epochs == 4 for log in logs)
    np.testing.assert_allclose([log.loss for log in logs], np.median([r.loss_history for r in runs], axis=0))
    np.testing.assert_allclose(
        [log.test_mse for log in logs], np.median([r.test_mse_history for r in runs], axis=0)
    )
    stopped = train_seeds(small_config, ["rnn"], [0, 1, 2], data, on_epoch=lambda log: log.epoch == 2)["rnn"]
    for run, full in zip(stopped, runs, strict=True):
        assert run.stopped and run.epochs_run == 2 and run.loss_history == full.loss_history[:2]
        assert run.steps == 2 * small_config.data.n_train


def test_every_training_starts_afresh(small_config):
    """Nothing of one training (weights, Adam's state, the compiled code's buffers) carries into the next."""
    first = train_seeds(small_config, ["rnn"], [0, 1, 2], windows(small_config))["rnn"]
    other = replace(
        small_config, data=DataConfig(n=90, time_steps=6, scaling="log-minmax"), learning_rate=0.01
    )
    train_seeds(other, MODEL_KINDS, [4, 7, 9], windows(other))
    again = train_seeds(small_config, ["rnn"], [0, 1, 2], windows(small_config))["rnn"]
    assert [run.loss_history for run in first] == [run.loss_history for run in again]


@pytest.mark.parametrize(
    ("kind", "seeds", "message"),
    [
        ("rnn", [], "seeds must name at least one seed"),
        ("rnn", [0, 3, 0, 3, 1], "seeds must be distinct, but 0, 3 repeat"),
        ("rnn", [0, -1], "seed must be at least 0, got -1"),
        ("rnn", [0, 1.5], "seed must be a whole number, got 1.5"),
        ("cnn", [0], "unknown model 'cnn'"),
    ],
)
def test_bad_seeds_and_kinds_are_refused_with_the_reason(small_config, kind, seeds, message):
    with pytest.raises(ValueError, match=message):
        train_seeds(small_config, [kind], seeds, windows(small_config))


@pytest.mark.slow
def test_tutorial_config_seeds_are_the_single_runs():
    """30 epochs of 826 steps: seeds 0..2 of both models in one study are exactly their single runs."""
    config = TrainConfig()
    data = windows(config)
    runs = train_seeds(config, MODEL_KINDS, [0, 1, 2], data)
    for kind in MODEL_KINDS:
        for run in runs[kind]:
            single = train(replace(config, seed=run.seed), kind, data)
            assert run.loss_history == single.loss_history and run.steps == single.steps == 30 * 826
            np.testing.assert_array_equal(run.predictions, single.predictions)


def test_both_loop_forms_of_a_simple_rnn_step_give_the_same_numbers():
    """`backward` runs small SimpleRNN kernels element by element and large ones along rows: the same
    sums in the same order, so the same bits."""
    from fibdash.engine.network import simple_rnn_backward, simple_rnn_backward_wide, transpose_recurrent

    units, rng = 3, np.random.default_rng(0)
    config = TrainConfig(DataConfig(n=40, time_steps=4), hidden_units=units)
    layout, architecture = Layout.of(config), Architecture.of(config)
    weights = rng.standard_normal(layout.size("rnn")).astype(np.float32)
    h_prev, h, dh = (np.tanh(rng.standard_normal(units)).astype(np.float32) for _ in range(3))
    transposed = np.zeros(4 * units * units, np.float32)
    transpose_recurrent(weights, layout.offsets, architecture, transposed)
    answers = []
    for step in (simple_rnn_backward, simple_rnn_backward_wide):
        grad, dh_prev = np.zeros_like(weights), np.zeros(units, np.float32)
        dz = np.zeros(6 * units, np.float32)
        x, tanh = np.float32(0.7), architecture.activation
        dx = step(weights, layout.offsets, tanh, units, x, h_prev, h, dh, grad, dh_prev, dz, transposed)
        answers.append((dx, grad, dh_prev))
    (dx, grad, dh_prev), (wide_dx, wide_grad, wide_dh_prev) = answers
    assert dx == wide_dx and grad.any()
    np.testing.assert_array_equal(grad, wide_grad)
    np.testing.assert_array_equal(dh_prev, wide_dh_prev)


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_offsets_name_where_each_weight_lies(cell, attention):
    """Reading a weight through its named offset finds that weight in the member's vector, for every
    weight of every head, and each head's weights follow the dense layer's."""
    config = TrainConfig(DataConfig(n=40, time_steps=5), hidden_units=3, cell=cell, attention=attention)
    layout = Layout.of(config)
    offsets = layout.offsets
    for kind in MODEL_KINDS:
        shapes = layout.shapes(kind)
        numbered, first = {}, 0.0  # every weight its own numbers: 1, 2, 3, ... across the vector
        for name, shape in shapes.items():
            numbered[name] = first + 1 + np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
            first = float(numbered[name].max())
        vector = layout.flat(numbered, kind)
        assert len(vector) == layout.size(kind) <= layout.largest_size
        for weight in layout.weights(kind):
            start = getattr(offsets, weight.field)
            size = int(np.prod(weight.shape))
            np.testing.assert_array_equal(vector[start : start + size], numbered[weight.name].ravel())
        for name, value in layout.unflat(vector, kind).items():
            np.testing.assert_array_equal(value, numbered[name])
        head = layout.head_weights(kind)
        if head:
            assert getattr(offsets, head[0].field) == offsets.dense_bias + 1
    assert Layout.of(replace(config, attention="tutorial")).offsets == offsets  # one Offsets for every head


def test_a_threads_memory_is_its_own_and_shaped_as_said():
    """`own` cuts a thread's row into the buffers `buffer_shapes` names, none overlapping another, within
    its own row, with a gradient as long as the largest member's weights."""
    from fibdash.engine.network import Gradients, Trace, buffer_shapes, own, scratch

    config = TrainConfig(DataConfig(n=40, time_steps=5), hidden_units=3, cell="GRU")
    layout, architecture = Layout.of(config), Architecture.of(config)
    arena = scratch(3, layout)
    shapes = buffer_shapes(layout.time_steps, layout.hidden_units)
    assert [*shapes, "grad"] == [*Trace._fields, *Gradients._fields]
    trace, gradients = own(arena, 1, architecture)
    buffers = {**trace._asdict(), **gradients._asdict()}
    for number, (name, buffer) in enumerate(buffers.items(), start=1):
        assert buffer.shape == shapes.get(name, buffer.shape), name
        buffer[...] = number
    assert len(gradients.grad) >= layout.largest_size
    for number, (name, buffer) in enumerate(buffers.items(), start=1):
        assert (buffer == number).all(), f"{name} was overwritten by another buffer"
    assert not arena[0].any() and not arena[2].any()  # the other threads' rows are untouched
