import math
from dataclasses import FrozenInstanceError

import pytest

from fibdash.config import DataConfig, TrainConfig


def test_defaults_are_the_tutorials():
    config = TrainConfig()
    assert (config.data.n, config.data.time_steps, config.data.train_fraction) == (1200, 20, 0.7)
    assert (config.data.scaling, config.data.split_seed) == ("minmax", 13)
    assert (config.hidden_units, config.epochs, config.batch_size, config.cell) == (2, 30, 1, "SimpleRNN")
    assert (config.data.n_samples, config.data.n_train, config.data.n_test) == (1180, 826, 354)


def test_configs_are_frozen_and_hashable():
    config = TrainConfig()
    with pytest.raises(FrozenInstanceError):
        config.epochs = 3
    assert hash(config) == hash(TrainConfig(DataConfig()))
    assert {config: 1}[TrainConfig()] == 1
    assert TrainConfig(seed=1) != config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1475}, "n must be at most 1474 .*overflow float64"),
        ({"n": 2}, "n must be at least 3"),
        ({"n": 12.0}, "n must be a whole number, got 12.0"),
        ({"n": True}, "n must be a whole number"),
        ({"n": "100"}, "n must be a whole number"),
        ({"time_steps": 0}, "time_steps must be at least 1"),
        ({"n": 30, "time_steps": 29}, "time_steps must be at most 28 .*one training and one test"),
        ({"time_steps": 2.5}, "time_steps must be a whole number"),
        ({"train_fraction": 0}, "train_fraction must be a number greater than 0 and less than 1"),
        ({"train_fraction": 1}, "train_fraction must be a number greater than 0 and less than 1"),
        ({"train_fraction": -0.2}, "train_fraction"),
        ({"train_fraction": math.nan}, "train_fraction"),
        ({"train_fraction": "0.7"}, "train_fraction"),
        ({"n": 10, "time_steps": 5, "train_fraction": 0.1}, "0.1 of 5 windows leaves no training window"),
        ({"scaling": "log"}, "unknown scaling 'log': choose one of minmax, none, log-minmax"),
        ({"split_seed": -1}, "split_seed must be at least 0"),
    ],
)
def test_bad_data_config_names_the_limit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden_units": 0}, "hidden_units must be at least 1"),
        ({"hidden_units": 65}, "hidden_units must be at most 64"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"epochs": 2.0}, "epochs must be a whole number"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"batch_size": 827}, "batch_size must be at most 826 .*826 training windows"),
        ({"learning_rate": 0}, "learning_rate must be a number greater than 0 and at most 1"),
        ({"learning_rate": 2}, "learning_rate"),
        ({"cell": "RNN"}, "unknown cell 'RNN': choose one of SimpleRNN, LSTM, GRU"),
        ({"activation": "softmax"}, "unknown activation 'softmax'"),
        ({"seed": -1}, "seed must be at least 0"),
        ({"data": DataConfig(n=186, scaling="none")}, "scaling 'none', n must be at most 185.*float32"),
        ({"data": {"n": 100}}, "data must be a DataConfig"),
    ],
)
def test_bad_train_config_names_the_limit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_limits_themselves_are_accepted():
    assert DataConfig(n=10, time_steps=5, train_fraction=0.999).n_test == 1
    DataConfig(n=1474)
    DataConfig(n=30, time_steps=28, train_fraction=0.5)
    unscaled = DataConfig(n=185, scaling="none")
    TrainConfig(unscaled, hidden_units=64, epochs=500, batch_size=unscaled.n_train, learning_rate=1)
