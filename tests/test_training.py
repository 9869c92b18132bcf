from dataclasses import replace

import keras
import numpy as np
import pytest

from fibdash.config import CELLS, MODEL_KINDS, DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.models import attention_weights
from fibdash.training import (
    MAX_ATTENTION_SNAPSHOTS,
    MAX_ATTENTION_VALUES,
    Architecture,
    EpochLog,
    attention_epochs,
    build_model,
    epoch_orders,
    seeds_loop,
    stacked_weights,
    train,
    train_pair,
)

# 32 windows, 22 of them for training: batch 5 leaves a short last batch of 2. Log-minmax
# scaling and a high learning rate make two epochs move every weight well beyond float noise.
TINY = DataConfig(n=36, time_steps=4, scaling="log-minmax")


# Against Keras' own `fit`: every cell, both models (a pair trains both), each activation, and
# each cell with a batch size of 1 and with one that leaves a short last batch; an odd number of
# time steps leaves one outside the scan's pairs. The seeds are ones whose networks all learn:
# relu's can start dead, and then nothing would be compared.
@pytest.mark.parametrize(
    ("cell", "activation", "batch_size", "time_steps", "seed"),
    [
        ("SimpleRNN", "tanh", 1, 4, 0),
        ("SimpleRNN", "linear", 5, 4, 0),
        ("LSTM", "relu", 5, 4, 2),
        ("LSTM", "sigmoid", 1, 4, 0),
        ("GRU", "tanh", 5, 4, 0),
        ("GRU", "sigmoid", 1, 5, 0),
    ],
)
def test_fast_path_is_keras_fit(cell, activation, batch_size, time_steps, seed):
    data_config = replace(TINY, time_steps=time_steps)
    config = TrainConfig(
        data_config,
        epochs=2,
        batch_size=batch_size,
        learning_rate=0.02,
        cell=cell,
        activation=activation,
        seed=seed,
    )
    data = make_dataset(data_config)
    fast = train_pair(config, data=data)
    plain = train_pair(config, fast=False, data=data)
    for kind in MODEL_KINDS:
        f, p = fast[kind], plain[kind]
        np.testing.assert_allclose(f.loss_history, p.loss_history, rtol=1e-5)
        np.testing.assert_allclose(f.test_mse_history, p.test_mse_history, rtol=1e-5)
        assert f.scores.test_mse == pytest.approx(p.scores.test_mse, rel=1e-5)
        initial = build_model(config, kind).get_weights()
        for a, b, start in zip(f.model.get_weights(), p.model.get_weights(), initial, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)  # Adam scales tiny gradients up
            assert not np.allclose(b, start, rtol=0, atol=1e-4)  # training moved it: the check has teeth
        # the same optimizer steps: one per batch, the short one included, per epoch
        steps = 2 * -(-data_config.n_train // batch_size)
        assert f.steps == p.steps == int(p.model.optimizer.iterations) == steps


def test_one_program_per_architecture_trains_either_model_or_both(small_config):
    pair = train_pair(small_config)
    for kind in MODEL_KINDS:
        alone = train(small_config, kind)
        assert alone.loss_history == pair[kind].loss_history
        np.testing.assert_array_equal(alone.scores.predictions, pair[kind].scores.predictions)
        for a, b in zip(alone.model.get_weights(), pair[kind].model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert pair["rnn"].loss_history != pair["attention"].loss_history
    # one program traced for all three trainings: TensorFlow never frees one
    assert seeds_loop(Architecture.of(small_config))._epoch.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("cell", CELLS)
def test_weight_shapes_are_those_of_the_keras_models(cell):
    config = TrainConfig(DataConfig(n=60, time_steps=7), hidden_units=3, cell=cell)
    shapes = Architecture.of(config).weight_shapes
    for kind in MODEL_KINDS:
        stacked = stacked_weights([build_model(config, kind)])
        assert {name: value.shape[1:] for name, value in stacked.items()} == {
            name: shape for name, shape in shapes.items() if kind == "attention" or "attention" not in name
        }


def test_same_seed_same_numbers_other_seed_other_numbers(small_config):
    first = train(small_config, "attention")
    again = train(small_config, "attention")
    other = train(replace(small_config, seed=1), "attention")
    assert first.loss_history == again.loss_history
    np.testing.assert_array_equal(first.scores.predictions, again.scores.predictions)
    assert first.loss_history != other.loss_history


def test_epoch_orders_are_permutations_fixed_by_seed(small_config):
    orders = epoch_orders(small_config)
    assert len(orders) == 4
    assert all(sorted(order) == list(range(small_config.data.n_train)) for order in orders)
    assert not np.array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(orders[2], epoch_orders(small_config)[2])


def test_initial_weights_depend_only_on_seed(small_config):
    a = build_model(small_config, "rnn").get_weights()
    keras.utils.set_random_seed(99)  # unrelated global state must not matter
    b = build_model(small_config, "rnn").get_weights()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_short_run_learns(small_config):
    data = DataConfig(n=120, time_steps=small_config.data.time_steps, scaling="log-minmax")
    config = replace(small_config, data=data, epochs=15, learning_rate=0.01)  # the same compiled program
    result = train(config, "rnn")
    assert result.loss_history[-1] < 0.2 * result.loss_history[0]
    assert result.test_mse_history[-1] < 0.2 * result.test_mse_history[0]


def test_result_contents(small_config):
    data = make_dataset(small_config.data)
    result = train(small_config, "attention", data=data)
    assert result.epochs_run == 4 and not result.stopped
    assert len(result.test_mse_history) == 4
    predictions = result.scores.predictions
    assert predictions.shape == (data.config.n_samples,)
    x = data.X.astype("float32")
    np.testing.assert_allclose(predictions, result.model.predict(x, verbose=0).ravel(), rtol=1e-5)
    assert result.scores.test_mse == pytest.approx(np.mean((predictions[data.test_idx] - data.test_y) ** 2))
    assert result.test_mse_history[-1] == pytest.approx(result.scores.test_mse, rel=1e-5)
    assert np.isfinite(result.scores.test_mdape)
    assert result.attention.shape == (data.config.n_test, small_config.data.time_steps)
    np.testing.assert_allclose(result.attention.sum(axis=1), 1, rtol=1e-5)
    assert train(small_config, "rnn").attention is None
    assert [row["Params"] for row in result.summary()] == [
        0,
        8,
        8,
        3,
    ]  # input, SimpleRNN(2), attention, dense
    assert result.keras_bytes()[:2] == b"PK"  # a .keras file is a zip archive


def test_callback_sees_every_epoch_and_can_stop(small_config):
    logs: list[EpochLog] = []
    full = train(small_config, "rnn", on_epoch=logs.append)
    assert [log.epoch for log in logs] == [1, 2, 3, 4]
    assert [log.loss for log in logs] == list(full.loss_history)
    assert [log.test_mse for log in logs] == list(full.test_mse_history)
    assert all(log.epochs == 4 and log.kind == "rnn" for log in logs)

    stopped = train(small_config, "rnn", on_epoch=lambda log: log.epoch == 2)
    assert stopped.stopped and stopped.epochs_run == 2
    assert stopped.loss_history == full.loss_history[:2]
    assert stopped.steps == 2 * small_config.data.n_train
    assert not train(small_config, "rnn", on_epoch=lambda log: log.epoch == 4).stopped


def test_pair_logs_both_models_every_epoch_and_either_stops_both(small_config):
    logs: list[EpochLog] = []
    pair = train_pair(small_config, on_epoch=logs.append)
    assert [(log.epoch, log.kind) for log in logs] == [(e, k) for e in (1, 2, 3, 4) for k in MODEL_KINDS]
    for kind in MODEL_KINDS:
        assert [log.loss for log in logs if log.kind == kind] == list(pair[kind].loss_history)

    stopped = train_pair(small_config, on_epoch=lambda log: log.kind == "attention" and log.epoch == 3)
    for kind in MODEL_KINDS:
        assert stopped[kind].stopped and stopped[kind].epochs_run == 3
        assert stopped[kind].loss_history == pair[kind].loss_history[:3]
    plain = train_pair(small_config, fast=False, on_epoch=lambda log: log.kind == "rnn" and log.epoch == 1)
    assert all(plain[kind].stopped and plain[kind].epochs_run == 1 for kind in MODEL_KINDS)


def test_unscaled_series_trains_without_nan(small_config):
    config = replace(small_config, data=replace(small_config.data, scaling="none"))
    result = train(config, "attention")
    assert np.all(np.isfinite(result.loss_history)) and np.all(np.isfinite(result.scores.predictions))


def test_bad_kind_and_mismatched_data(small_config):
    with pytest.raises(ValueError, match="unknown model 'cnn'"):
        train(small_config, "cnn")
    with pytest.raises(ValueError, match="another DataConfig"):
        train(small_config, "rnn", data=make_dataset(DataConfig(n=90)))
    with pytest.raises(ValueError, match="another DataConfig"):
        train_pair(small_config, data=make_dataset(DataConfig(n=90)))


@pytest.mark.slow
def test_tutorial_config_fast_equals_plain():
    """The whole tutorial run of both models, 2 x 24,780 optimizer steps, both ways (a few minutes)."""
    config = TrainConfig()
    fast = train_pair(config)
    plain = train_pair(config, fast=False)
    assert fast["rnn"].model.count_params() == 11 and fast["attention"].model.count_params() == 33
    for kind in MODEL_KINDS:
        np.testing.assert_allclose(fast[kind].loss_history, plain[kind].loss_history, rtol=1e-3)
        assert fast[kind].scores.test_mse == pytest.approx(plain[kind].scores.test_mse, rel=1e-2)
        assert fast[kind].steps == plain[kind].steps == 30 * 826


# Learning rate 1 with a linear activation on unscaled numbers: the loss is not finite within a
# few epochs (the new user's report), and Keras' TerminateOnNaN would stop there.
DIVERGING = TrainConfig(
    data=DataConfig(n=150, scaling="none"), learning_rate=1.0, activation="linear", epochs=30
)


def test_a_diverging_training_stops_at_its_first_non_finite_loss():
    logs: list[EpochLog] = []
    pair = train_pair(DIVERGING, on_epoch=lambda log: logs.append(log))
    for result in pair.values():
        *finite, last = result.loss_history
        assert not np.isfinite(last) and np.isfinite(finite).all()  # it ends where the loss broke
        assert result.epochs_run < DIVERGING.epochs and not result.stopped
        assert result.steps == result.epochs_run * DIVERGING.data.n_train
    assert max(log.epoch for log in logs) == max(r.epochs_run for r in pair.values())


def test_one_member_diverging_leaves_the_others_training():
    # seed-wise independence: members of one program stop one by one; a member that learns goes on
    from fibdash.seeds import train_seeds

    config = TrainConfig(data=DataConfig(n=150), learning_rate=1.0, activation="linear", epochs=10)
    runs = train_seeds(config, "rnn", [0, 1, 2, 3])  # seeds 0 and 2 diverge at once, 1 and 3 do not
    for run in runs:  # each seed alone gives the same history as in the group
        alone = train(replace(config, seed=run.seed), "rnn")
        assert alone.loss_history == pytest.approx(run.loss_history, rel=1e-5, nan_ok=True)
    assert [run.epochs_run for run in runs] == [1, 10, 1, 10]


def test_attention_is_recorded_through_training_within_its_bounds():
    config = TrainConfig(data=DataConfig(n=80, time_steps=6), epochs=120)
    result = train(config, "attention")
    history = result.attention_history
    assert history.epochs[0] == 1 and history.epochs[-1] == 120
    assert len(history.epochs) == MAX_ATTENTION_SNAPSHOTS == len(history.weights)
    assert history.weights.shape[1:] == (config.data.n_test, 6) and history.weights.dtype == np.float32
    np.testing.assert_array_equal(result.attention, history.weights[-1])  # the last snapshot ...
    keras_weights = attention_weights(result.model, make_dataset(config.data).test_X)
    np.testing.assert_allclose(history.weights[-1], keras_weights, rtol=1e-4, atol=1e-6)  # ... Keras' own
    assert not np.allclose(history.weights[0], history.weights[-1])  # it moved as it trained
    np.testing.assert_allclose(history.weights.sum(axis=2), 1, rtol=1e-5)
    assert train(config, "rnn").attention_history is None


def test_attention_snapshots_are_bounded_in_number_and_size():
    assert attention_epochs(30, 354, 20) == tuple(range(1, 31))
    assert len(attention_epochs(500, 354, 20)) == MAX_ATTENTION_SNAPSHOTS
    big = attention_epochs(500, 1400, 300)
    assert len(big) * 1400 * 300 <= MAX_ATTENTION_VALUES and big[0] == 1 and big[-1] == 500
