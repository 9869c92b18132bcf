import keras
import numpy as np
import pytest

from fibdash.config import DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.training import EpochLog, build_model, epoch_orders, train


@pytest.mark.parametrize("kind", ["rnn", "attention"])
@pytest.mark.parametrize("batch_size", [1, 5])  # 5 leaves a partial last batch: 51 = 10 * 5 + 1
def test_fast_path_matches_plain_fit(kind, batch_size):
    config = TrainConfig(DataConfig(n=80, time_steps=6), epochs=3, batch_size=batch_size)
    assert config.data.n_train % batch_size == (0 if batch_size == 1 else 1)
    fast = train(config, kind, fast=True)
    plain = train(config, kind, fast=False)
    np.testing.assert_allclose(fast.loss_history, plain.loss_history, rtol=1e-4)
    np.testing.assert_allclose(fast.test_mse_history, plain.test_mse_history, rtol=1e-4)
    for a, b in zip(fast.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # the same number of optimizer steps: one per batch per epoch
    steps = 3 * -(-51 // batch_size)
    assert fast.steps == plain.steps == int(plain.model.optimizer.iterations) == steps


def test_same_seed_same_numbers_other_seed_other_numbers(small_config):
    first = train(small_config, "attention")
    again = train(small_config, "attention")
    other = train(TrainConfig(small_config.data, epochs=4, seed=1), "attention")
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


def test_short_run_learns():
    config = TrainConfig(DataConfig(n=120, time_steps=8, scaling="log-minmax"), epochs=15, learning_rate=0.01)
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


def test_callback_sees_every_epoch_and_can_stop(small_config):
    logs: list[EpochLog] = []
    full = train(small_config, "rnn", on_epoch=logs.append)
    assert [log.epoch for log in logs] == [1, 2, 3, 4]
    assert [log.loss for log in logs] == list(full.loss_history)
    assert all(log.epochs == 4 and log.kind == "rnn" for log in logs)

    stopped = train(small_config, "rnn", on_epoch=lambda log: log.epoch == 2)
    assert stopped.stopped and stopped.epochs_run == 2
    assert stopped.loss_history == full.loss_history[:2]
    assert not train(small_config, "rnn", on_epoch=lambda log: log.epoch == 4).stopped


def test_unscaled_and_other_cells_train_without_nan():
    config = TrainConfig(DataConfig(n=60, time_steps=5, scaling="none"), epochs=2, cell="LSTM")
    result = train(config, "attention")
    assert np.all(np.isfinite(result.loss_history))


def test_bad_kind_and_mismatched_data(small_config):
    with pytest.raises(ValueError, match="unknown model 'cnn'"):
        train(small_config, "cnn")
    with pytest.raises(ValueError, match="another DataConfig"):
        train(small_config, "rnn", data=make_dataset(DataConfig(n=90)))


@pytest.mark.slow
def test_tutorial_config_fast_equals_plain():
    """The whole tutorial run, 24,780 optimizer steps, both ways (about a minute)."""
    config = TrainConfig()
    fast = train(config, "rnn")
    plain = train(config, "rnn", fast=False)
    assert fast.model.count_params() == 11
    np.testing.assert_allclose(fast.loss_history, plain.loss_history, rtol=1e-3)
    assert fast.steps == plain.steps == 30 * 826
