from dataclasses import replace

import numpy as np
import pytest

from fibdash.config import DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.seeds import seeds_loop, train_seeds
from fibdash.training import Architecture, EpochLog, train

# n=80, time_steps=6: 51 training windows; batch 5 leaves a partial last batch of 1
SMALL_DATA = DataConfig(n=80, time_steps=6)


def assert_same_run(run, single, rtol=1e-4):
    """A seed's run from `train_seeds` against `train` for that seed alone."""
    np.testing.assert_allclose(run.loss_history, single.loss_history, rtol=rtol)
    np.testing.assert_allclose(run.test_mse_history, single.test_mse_history, rtol=rtol)
    assert run.scores.test_mse == pytest.approx(single.scores.test_mse, rel=rtol)
    assert run.scores.train_mse == pytest.approx(single.scores.train_mse, rel=rtol)
    # predictions of every window in series order; scaled values near 0 need an absolute tolerance
    np.testing.assert_allclose(run.scores.predictions, single.scores.predictions, rtol=rtol, atol=1e-6)
    assert run.steps == single.steps


# Every cell with both models, batch sizes with and without a partial last batch, and each
# activation: six cases cover what all 24 combinations would, in a quarter of the time.
@pytest.mark.parametrize(
    ("cell", "kind", "batch_size", "activation"),
    [
        ("SimpleRNN", "rnn", 1, "tanh"),
        ("SimpleRNN", "attention", 5, "relu"),
        ("LSTM", "rnn", 5, "tanh"),
        ("LSTM", "attention", 1, "sigmoid"),
        ("GRU", "rnn", 1, "linear"),
        ("GRU", "attention", 5, "tanh"),
    ],
)
def test_each_seed_is_the_single_seed_run(cell, kind, batch_size, activation):
    config = TrainConfig(
        SMALL_DATA, hidden_units=3, epochs=3, batch_size=batch_size, cell=cell, activation=activation
    )
    data = make_dataset(SMALL_DATA)
    runs = train_seeds(config, kind, [0, 1, 2], data=data)
    assert [run.seed for run in runs] == [0, 1, 2]
    for run in runs:
        assert_same_run(run, train(replace(config, seed=run.seed), kind, data=data))
        assert run.epochs_run == 3 and not run.stopped
        assert run.scores.name == ("RNN" if kind == "rnn" else "RNN + attention")
    assert runs[0].loss_history != runs[1].loss_history  # seeds differ: the check above has teeth


def test_seeds_do_not_mix_and_follow_their_seed_not_their_place(small_config):
    pair = train_seeds(small_config, "attention", [0, 5])
    alone = train_seeds(small_config, "attention", [5])
    swapped = train_seeds(small_config, "attention", [5, 0])
    np.testing.assert_allclose(pair[1].loss_history, alone[0].loss_history, rtol=1e-5)
    np.testing.assert_allclose(pair[1].test_mse_history, alone[0].test_mse_history, rtol=1e-5)
    np.testing.assert_allclose(swapped[1].loss_history, pair[0].loss_history, rtol=1e-5)
    assert [run.seed for run in swapped] == [5, 0]


def test_callback_gets_medians_and_can_stop(small_config):
    logs: list[EpochLog] = []
    runs = train_seeds(small_config, "rnn", [0, 1, 2], on_epoch=logs.append)
    assert [log.epoch for log in logs] == [1, 2, 3, 4]
    assert all(log.kind == "rnn" and log.epochs == 4 for log in logs)
    losses = np.array([run.loss_history for run in runs])  # (seeds, epochs)
    np.testing.assert_allclose([log.loss for log in logs], np.median(losses, axis=0))
    test_mses = np.array([run.test_mse_history for run in runs])
    np.testing.assert_allclose([log.test_mse for log in logs], np.median(test_mses, axis=0))

    stopped = train_seeds(small_config, "rnn", [0, 1, 2], on_epoch=lambda log: log.epoch == 2)
    for run, full in zip(stopped, runs, strict=True):
        assert run.stopped and run.epochs_run == 2
        np.testing.assert_allclose(run.loss_history, full.loss_history[:2], rtol=1e-6)
        assert run.steps == 2 * small_config.data.n_train
    assert not train_seeds(small_config, "rnn", [0], on_epoch=lambda log: log.epoch == 4)[0].stopped


def test_one_compiled_program_serves_every_series_and_is_reset_between_trainings():
    config = TrainConfig(DataConfig(n=70, time_steps=6), epochs=2, cell="GRU")
    first = train_seeds(config, "rnn", [0, 1])
    other_data = DataConfig(n=90, time_steps=6, train_fraction=0.6, scaling="log-minmax")
    train_seeds(replace(config, data=other_data, learning_rate=0.01), "rnn", [4, 7])
    again = train_seeds(config, "rnn", [0, 1])
    for a, b in zip(first, again, strict=True):  # fresh weights and Adam state each time
        np.testing.assert_allclose(a.loss_history, b.loss_history, rtol=1e-6)
    loop = seeds_loop(Architecture.of(config, "rnn"), 2)
    assert loop._epoch.experimental_get_tracing_count() == 1  # TensorFlow never frees a program


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
def test_bad_input_is_refused_with_the_reason(small_config, kind, seeds, message):
    with pytest.raises(ValueError, match=message):
        train_seeds(small_config, kind, seeds)


def test_mismatched_data_is_refused(small_config):
    with pytest.raises(ValueError, match="another DataConfig"):
        train_seeds(small_config, "rnn", [0], data=make_dataset(DataConfig(n=90)))


@pytest.mark.slow
def test_tutorial_config_seeds_match_single_runs():
    """30 epochs of 826 steps: seeds 0..2 of both models stay within 1e-3 of single runs."""
    config = TrainConfig()
    data = make_dataset(config.data)
    for kind in ("rnn", "attention"):
        for run in train_seeds(config, kind, [0, 1, 2], data=data):
            single = train(replace(config, seed=run.seed), kind, data=data)
            assert_same_run(run, single, rtol=1e-3)
            assert run.steps == 30 * 826
