from dataclasses import replace

import numpy as np
import pytest

from fibdash.config import MODEL_KINDS, DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.seeds import train_seeds, train_seeds_pair
from fibdash.training import Architecture, EpochLog, seeds_loop, train

# n=80, time_steps=6: 51 training windows; batch 5 leaves a short last batch of 1
SMALL_DATA = DataConfig(n=80, time_steps=6)


def assert_same_run(run, single, rtol=1e-5):
    """A seed's run from `train_seeds` against `train` for that seed alone."""
    np.testing.assert_allclose(run.loss_history, single.loss_history, rtol=rtol)
    np.testing.assert_allclose(run.test_mse_history, single.test_mse_history, rtol=rtol)
    assert run.scores.test_mse == pytest.approx(single.scores.test_mse, rel=rtol)
    assert run.scores.train_mse == pytest.approx(single.scores.train_mse, rel=rtol)
    # predictions of every window in series order; scaled values near 0 need an absolute tolerance
    np.testing.assert_allclose(run.scores.predictions, single.scores.predictions, rtol=rtol, atol=1e-6)
    assert run.steps == single.steps
    assert run.scores.name == single.scores.name


# The cells' equations are checked against Keras in test_training; here, that a seed's place
# among others changes nothing: the same engine with more members.
def test_each_seed_is_the_single_seed_run():
    config = TrainConfig(
        SMALL_DATA, hidden_units=3, epochs=3, batch_size=5, cell="LSTM", activation="sigmoid"
    )
    data = make_dataset(SMALL_DATA)
    runs = train_seeds_pair(config, [0, 1, 2], data=data)
    assert list(runs) == list(MODEL_KINDS)
    for kind in MODEL_KINDS:
        assert [run.seed for run in runs[kind]] == [0, 1, 2]
        for run in runs[kind]:
            assert_same_run(run, train(replace(config, seed=run.seed), kind, data=data))
            assert run.epochs_run == 3 and not run.stopped
        assert runs[kind][0].loss_history != runs[kind][1].loss_history  # seeds differ: the check has teeth


def test_one_model_over_seeds_is_its_part_of_the_pair(small_config):
    pair = train_seeds_pair(small_config, [0, 1, 2])
    for kind in MODEL_KINDS:
        for run, paired in zip(train_seeds(small_config, kind, [0, 1, 2]), pair[kind], strict=True):
            assert run.loss_history == paired.loss_history
            np.testing.assert_array_equal(run.scores.predictions, paired.scores.predictions)


def test_seeds_do_not_mix_and_follow_their_seed_not_their_place(small_config):
    three = train_seeds(small_config, "attention", [0, 5, 7])
    alone = train_seeds(small_config, "attention", [5])
    swapped = train_seeds(small_config, "attention", [7, 5, 0])
    np.testing.assert_allclose(three[1].loss_history, alone[0].loss_history, rtol=1e-5)
    np.testing.assert_allclose(three[1].test_mse_history, alone[0].test_mse_history, rtol=1e-5)
    np.testing.assert_allclose(swapped[2].loss_history, three[0].loss_history, rtol=1e-5)
    assert [run.seed for run in swapped] == [7, 5, 0]


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


def test_pair_logs_each_model_and_either_stops_both(small_config):
    logs: list[EpochLog] = []
    train_seeds_pair(small_config, [0, 1, 2], on_epoch=logs.append)
    assert [(log.epoch, log.kind) for log in logs] == [(e, k) for e in (1, 2, 3, 4) for k in MODEL_KINDS]
    stopped = train_seeds_pair(small_config, [0, 1, 2], on_epoch=lambda log: log.kind == "rnn")
    assert all(run.stopped and run.epochs_run == 1 for kind in MODEL_KINDS for run in stopped[kind])


def test_one_compiled_program_serves_every_series_and_is_reset_between_trainings(small_config):
    first = train_seeds(small_config, "rnn", [0, 1, 2])
    other_data = DataConfig(n=90, time_steps=6, train_fraction=0.6, scaling="log-minmax")
    train_seeds_pair(replace(small_config, data=other_data, learning_rate=0.01), [4, 7, 9])
    again = train_seeds(small_config, "rnn", [0, 1, 2])
    for a, b in zip(first, again, strict=True):  # fresh weights and Adam state each time
        assert a.loss_history == b.loss_history
    loop = seeds_loop(Architecture.of(small_config, 3))
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
    with pytest.raises(ValueError, match="another DataConfig"):
        train_seeds_pair(small_config, [0], data=make_dataset(DataConfig(n=90)))


@pytest.mark.slow
def test_tutorial_config_seeds_match_single_runs():
    """30 epochs of 826 steps: seeds 0..2 of both models stay within 1e-3 of single runs."""
    config = TrainConfig()
    data = make_dataset(config.data)
    runs = train_seeds_pair(config, [0, 1, 2], data=data)
    for kind in MODEL_KINDS:
        for run in runs[kind]:
            single = train(replace(config, seed=run.seed), kind, data=data)
            assert_same_run(run, single, rtol=1e-3)
            assert run.steps == 30 * 826
