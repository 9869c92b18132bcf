import ast
import dataclasses
import math
from dataclasses import FrozenInstanceError

import pytest

from fibdash.config import FIELDS, DataConfig, TrainConfig
from fibdash.quoting import QUOTED_CHARACTERS, quoted
from tests.conftest import ROOT


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
        ({"scaling": "log"}, "unknown scaling 'log': choose one of minmax, none, log-minmax, window"),
        ({"split": "random"}, "unknown split 'random': choose one of shuffled, chronological, backtest"),
        ({"scaler_fit": "test"}, "unknown scaler_fit 'test': choose one of series, train"),
        ({"folds": 1}, "folds must be at least 2, got 1"),
        ({"split": "backtest", "folds": 11}, "folds must be at most 10, got 11"),
        (
            {"split": "backtest", "n": 30, "time_steps": 20, "folds": 4},
            r"folds must be at most 3 \(the backtest cuts the 3 test windows into one block per fold\)",
        ),
        ({"fold": 0}, "a fold belongs to the backtest split, not to the shuffled one"),
        ({"split": "backtest", "fold": 5}, "fold must be at most 4, got 5"),
        ({"split_seed": -1}, "split_seed must be at least 0"),
        ({"series": "lags", "time_steps": 10}, "time_steps must be at least 11 for series lags"),
    ],
)
def test_bad_data_config_names_the_limit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden_units": 0}, "hidden_units must be at least 1"),
        ({"hidden_units": 129}, "hidden_units must be at most 128"),
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


def test_fields_describe_every_setting_of_the_configs():
    # the split's seed is fixed, a file comes with series csv, and a backtest makes its folds: not settings
    data = {f.name for f in dataclasses.fields(DataConfig)} - {"split_seed", "upload", "fold"}
    training = {f.name for f in dataclasses.fields(TrainConfig)} - {"data"}
    assert {name for name, f in FIELDS.items() if f.section == "data"} == data
    assert {name for name, f in FIELDS.items() if f.section == "training"} == training
    assert {name for name, f in FIELDS.items() if f.section == "study"} == {"seeds"}
    # the horizon scores trained models: it keys no training
    assert {name for name, f in FIELDS.items() if f.section == "forecast"} == {"horizon"}
    assert all(name == f.name for name, f in FIELDS.items())


def test_field_defaults_are_the_configs_and_parse_back():
    config = TrainConfig()
    for name, field in FIELDS.items():
        if field.section in ("data", "training"):
            owner = config.data if field.section == "data" else config
            assert getattr(owner, name) == field.default, name
        field.check(field.default)
        assert field.parse(str(field.default)) == field.default, name
    assert TrainConfig.from_values({}) == config


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("n", "1e3", 1000),
        ("n", "1000.0", 1000),
        ("n", " 60 ", 60),
        ("seed", "2147483647", 2**31 - 1),
        ("time_steps", "1473", 1473),
        ("train_fraction", "0.5", 0.5),
        ("learning_rate", "1", 1.0),
        ("learning_rate", "1e-4", 1e-4),
        ("scaling", "log-minmax", "log-minmax"),
        ("cell", "lstm", "LSTM"),
        ("activation", "ReLU", "relu"),
        ("seeds", "30", 30),
    ],
)
def test_parse_reads_typed_text(name, text, value):
    parsed = FIELDS[name].parse(text)
    assert parsed == value
    assert type(parsed) is FIELDS[name].value_type


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "n",
            "5001",
            "n must be at most 5000 (longer series make windows too large for a shared server), got 5001",
        ),
        ("n", "2", "n must be at least 3, got 2"),
        ("n", "12.5", "n must be a whole number, got '12.5'"),
        ("n", "twelve", "n must be a whole number, got 'twelve'"),
        ("n", "nan", "n must be a whole number, got 'nan'"),
        ("n", "1e400", "n must be a whole number, got '1e400'"),
        ("n", "", "n is empty: type a whole number from 3 to 5000"),
        ("n", "  ", "n is empty: type a whole number from 3 to 5000"),
        ("time_steps", "5000", "time_steps must be at most 4999, got 5000"),
        ("hidden_units", "129", "hidden_units must be at most 128, got 129"),
        ("epochs", "0", "epochs must be at least 1, got 0"),
        ("seed", "-1", "seed must be at least 0, got -1"),
        ("seed", "2147483648", "seed must be at most 2147483647, got 2147483648"),
        ("train_fraction", "1", "train_fraction must be a number greater than 0 and less than 1, got 1.0"),
        ("train_fraction", "", "train_fraction is empty: type a number greater than 0 and less than 1"),
        ("learning_rate", "nan", "learning_rate must be a number greater than 0 and at most 1, got nan"),
        ("learning_rate", "inf", "learning_rate must be a number greater than 0 and at most 1, got inf"),
        ("learning_rate", "0", "learning_rate must be a number greater than 0 and at most 1, got 0.0"),
        ("learning_rate", "fast", "learning_rate must be a number greater than 0 and at most 1, got 'fast'"),
        ("scaling", "log", "unknown scaling 'log': choose one of minmax, none, log-minmax, window"),
        ("scaling", "", "scaling is empty: choose one of minmax, none, log-minmax, window"),
        ("horizon", "0", "horizon must be at least 1, got 0"),
        ("horizon", "500", "horizon must be at most 50, got 500"),
        ("folds", "1", "folds must be at least 2, got 1"),
        ("folds", "11", "folds must be at most 10, got 11"),
        ("split", "random", "unknown split 'random': choose one of shuffled, chronological, backtest"),
        ("cell", "RNN", "unknown cell 'RNN': choose one of SimpleRNN, LSTM, GRU"),
        ("activation", "softmax", "unknown activation 'softmax': choose one of tanh, sigmoid, relu, linear"),
        ("seeds", "7", "seeds must be one of 3, 5, 10, 20, 30, 50, 100, got 7"),
        ("seeds", "", "seeds is empty: type one of 3, 5, 10, 20, 30, 50, 100"),
    ],
)
def test_parse_refuses_bad_text_naming_the_field_and_limit(name, text, message):
    with pytest.raises(ValueError) as error:
        FIELDS[name].parse(text)
    assert str(error.value) == message


# Other scripts' digits (Arabic-Indic, full-width, Devanagari) and underscores: Python alone reads them all.
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("n", "\u0661\u0662\u0660\u0660"),
        ("n", "1_200"),
        ("n", "\uff11\uff12\uff10\uff10"),
        ("seed", "\u096a"),
        ("learning_rate", "0.00_1"),
        ("train_fraction", "\u0660.\u0665"),
        ("seeds", "\u0661\u0660"),
    ],
)
def test_numbers_are_read_in_ascii_digits_only(name, text):
    with pytest.raises(ValueError) as error:
        FIELDS[name].parse(text)
    expects = FIELDS[name].expects
    assert str(error.value) == f"{name} must be {expects}, written in ASCII digits (0-9), got {text!r}"


@pytest.mark.parametrize(
    ("name", "text", "start", "length"),
    [  # the length quoted is that of the value's repr: the text's with quotes, or the whole number's
        ("n", "9" * 10_000, "n must be a whole number, got '9999", 10_002),  # as a hostile link may hold
        ("n", "1" * 4000, "n must be at most 5000 (longer series make windows too large", 4000),
        ("learning_rate", "x" * 10_000, "learning_rate must be a number greater than 0", 10_002),
        ("scaling", "x" * 10_000, "unknown scaling 'xxx", 10_002),
        ("seeds", "x" * 10_000, "seeds must be a whole number, got 'xxx", 10_002),
    ],
)
def test_a_refused_value_is_quoted_short_with_its_length(name, text, start, length):
    with pytest.raises(ValueError) as error:
        FIELDS[name].parse(text)
    message = str(error.value)
    assert message.startswith(start) and len(message) < 200, message
    assert f"... ({length:,} characters)" in message


def test_quoted_keeps_short_values_whole_and_cuts_long_ones():
    assert (quoted("log"), quoted(12.5), quoted(5000)) == ("'log'", "12.5", "5000")
    assert quoted("9" * 10_000) == f"'{'9' * (QUOTED_CHARACTERS - 1)}... (10,002 characters)"


@pytest.mark.parametrize("name", [name for name, f in FIELDS.items() if f.section in ("data", "training")])
def test_configs_check_each_field_with_its_registry_entry(monkeypatch, name):
    """Narrow one field's description so that its default is refused: the configs follow it."""
    field = FIELDS[name]
    if field.choices:
        narrowed = dataclasses.replace(field, choices=tuple(c for c in field.choices if c != field.default))
    else:
        narrowed = dataclasses.replace(field, low=field.default * 2 + 1, low_included=True)
    monkeypatch.setitem(FIELDS, name, narrowed)
    with pytest.raises(ValueError, match=name):
        TrainConfig.from_values({})


def test_train_config_builds_by_name_whatever_the_order():
    values = {"seed": 3, "cell": "GRU", "n": 100, "learning_rate": 0.01, "time_steps": 6, "seeds": 5}
    config = TrainConfig.from_values(values)
    assert config == TrainConfig.from_values(dict(reversed(values.items())))
    assert (config.seed, config.cell, config.learning_rate) == (3, "GRU", 0.01)
    assert (config.data.n, config.data.time_steps) == (100, 6)
    assert config.hidden_units == FIELDS["hidden_units"].default


def test_train_config_refuses_unknown_settings_and_bad_values():
    with pytest.raises(
        ValueError, match="unknown settings split_seed, units: choose from series, n, time_steps"
    ):
        TrainConfig.from_values({"units": 4, "split_seed": 1})
    with pytest.raises(ValueError, match=r"batch_size must be at most 28 \(there are 28 training windows\)"):
        TrainConfig.from_values({"n": 60, "batch_size": 29})


CONFIG_CLASSES = ("DataConfig", "TrainConfig")


def called_name(call: ast.Call) -> str | None:
    """`f` for `f(...)` and `module.f(...)`."""
    return getattr(call.func, "id", getattr(call.func, "attr", None))


def test_no_config_is_built_by_position_in_the_engine():
    """Configs are built by keyword, so that reordering a dataclass field cannot swap values: in every
    module of fibdash, its subpackages (engine, analysis, serving, ...) included."""
    modules = sorted((ROOT / "fibdash").rglob("*.py"))
    assert {"engine", "analysis", "serving", "keras", "figures"} <= {path.parent.name for path in modules}
    positional = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args and called_name(node) in CONFIG_CLASSES:
                positional.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert positional == []
