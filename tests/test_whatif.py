import numpy as np
import pytest

from fibdash.analysis.whatif import UNITS, as_text, parse_window, rule_answers, window_inputs
from fibdash.config import DataConfig, TrainConfig
from fibdash.csv_file import read_csv
from fibdash.data import make_dataset
from fibdash.quoting import QUOTED_CHARACTERS
from fibdash.serving import tasks

FIB, SCALED = UNITS


@pytest.fixture(scope="module")
def data():
    return make_dataset(DataConfig(n=60, time_steps=5))


def test_a_test_windows_inputs_read_back_exactly(data):
    inputs = window_inputs(data, 3)
    row = data.test_idx[3]
    np.testing.assert_array_equal(data.to_scaled(inputs), data.X[row, :, 0])
    typed = parse_window(as_text(inputs), FIB, data, inputs)
    np.testing.assert_array_equal(typed.scaled, data.X[row, :, 0])
    np.testing.assert_array_equal(typed.original, inputs)
    scaled = data.X[row, :, 0]
    np.testing.assert_array_equal(parse_window(as_text(scaled), SCALED, data, inputs).scaled, scaled)


@pytest.mark.parametrize(
    ("texts", "units", "message"),
    [
        (["1", "2", "", "5", "8"], FIB, "t-3 is empty: type a number"),
        (["1", "2", "three", "5", "8"], FIB, "t-3: 'three' is not a number"),
        (["1", "2", "\u0663", "5", "8"], FIB, "t-3: '\u0663' is not a number written in ASCII digits (0-9)"),
        (["1", "2", "3_0", "5", "8"], FIB, "t-3: '3_0' is not a number written in ASCII digits (0-9)"),
        (["1", "2", "inf", "5", "8"], FIB, "t-3: 'inf' is not a finite number"),
        (["1", "-2", "3", "5", "8"], FIB, "t-4 is negative (-2), where no Fibonacci number is"),
        (["1", "2", "3", "5", "1e300"], FIB, "t-1 (1e+300) is beyond the range the scaler was fitted on"),
        (["0.1", "0.2", "1.5", "0", "0"], SCALED, "t-3 (1.5) is beyond the range the scaler was fitted on"),
        (["1", "2", "3"], FIB, "a window has 5 values, one per time step, got 3"),
    ],
)
def test_bad_values_are_named_with_their_step_and_limit(data, texts, units, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        parse_window(texts, units, data, window_inputs(data, 0))


def test_a_long_value_is_quoted_short(data):
    with pytest.raises(ValueError) as error:
        parse_window(["1", "2", "9" * 10_000 + "x", "5", "8"], FIB, data, window_inputs(data, 0))
    assert str(error.value) == f"t-3: '{'9' * (QUOTED_CHARACTERS - 1)}... (10,003 characters) is not a number"


@pytest.mark.parametrize("scaling", ["minmax", "log-minmax"])
def test_every_unedited_window_reads_back_even_at_float64s_ends(scaling):
    # scaling 1.7e308 gives 1.0000000000000002 under minmax: the window holding it must not be refused
    content = ("v\n" + "\n".join("1e308" if i % 2 else "1.7e308" for i in range(40)) + "\n").encode()
    upload = read_csv(content, "huge.csv").upload("v")
    data = make_dataset(DataConfig(series="csv", n=40, time_steps=5, scaling=scaling, upload=upload))
    for row in range(len(data.test_idx)):
        inputs = window_inputs(data, row)
        window = data.X[data.test_idx[row], :, 0]
        np.testing.assert_array_equal(parse_window(as_text(inputs), FIB, data, inputs).scaled, window)
        scaled = data.to_scaled(inputs)
        np.testing.assert_array_equal(parse_window(as_text(scaled), SCALED, data, inputs).scaled, scaled)


def test_log_minmax_refuses_zero_which_has_no_logarithm():
    data = make_dataset(DataConfig(n=60, time_steps=3, scaling="log-minmax"))
    with pytest.raises(ValueError, match="t-2 is 0 or less"):
        parse_window(["1", "0", "2"], FIB, data, window_inputs(data, 0))


def test_the_naive_rules_answer_a_window(data):
    window = parse_window(["3", "5", "8", "13", "21"], FIB, data, window_inputs(data, 0))
    answers = rule_answers(data, window)
    assert data.to_original(np.array([answers["AR(2)"]]))[0] == pytest.approx(34)
    assert data.to_original(np.array([answers["persistence"]]))[0] == pytest.approx(21)


def test_the_worker_answers_a_test_window_as_training_scored_it():
    config = TrainConfig(data=DataConfig(n=60, time_steps=5), epochs=3)
    data = make_dataset(config.data)
    pair = tasks.train_pair(config, data.windows(), lambda log: False)
    windows = data.X[data.test_idx[:4]]
    answers = tasks.what_if({kind: (t.config, t.weights) for kind, t in pair.items()}, windows)
    for kind, (predictions, weights) in answers.items():  # the same engine: the same numbers
        np.testing.assert_array_equal(predictions, pair[kind].predictions[data.test_idx[:4]])
        if kind == "attention":
            np.testing.assert_array_equal(weights, pair[kind].attention[:4])
        else:
            assert weights is None
