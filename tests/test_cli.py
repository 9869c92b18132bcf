import re
import subprocess
import sys

import pandas as pd
import pytest

from fibdash.__main__ import config_from_args, main, study_parser, train_parser
from fibdash.command import command_line, option
from fibdash.config import FIELDS, DataConfig, TrainConfig
from tests.conftest import ROOT


def other_value(name: str):
    """A valid value of the field that is not its default (for scaling, not "none", refused at n=1200; for
    the series, not "csv", which needs a file)."""
    field = FIELDS[name]
    if field.choices:
        return [choice for choice in field.choices if choice not in (field.default, "csv", "co2")][-1]
    return field.default + 1 if field.value_type is int else field.default / 2


def command_of(name: str) -> list[str]:
    """The command whose options include the field: a study's seed count, or any other setting."""
    return ["study"] if name == "seeds" else []


def test_the_horizon_is_the_train_commands_and_keys_no_config():
    args = train_parser().parse_args(["--horizon", "12"])
    assert args.horizon == 12 and config_from_args(args) == config_from_args(train_parser().parse_args([]))
    assert "horizon" not in vars(study_parser().parse_args([]))  # a study scores one step ahead


def test_cli_prints_models_next_to_baselines(capsys):
    main(["--n", "60", "--epochs", "2"])
    out = capsys.readouterr().out
    assert "28 training and 12 test windows" in out
    assert out.count("epoch   2/2") == 2
    assert "RNN: 11 parameters" in out
    assert "RNN + attention: 33 parameters" in out
    table = out[out.index("predictor") :].split("\n- ")[0]  # the warnings, if any, follow it
    rows = [line.strip() for line in table.splitlines()[1:]]
    names = ["RNN ", "RNN + attention", "predict zero", "persistence", "AR(2)"]
    assert "x(t) = 1 x(t-1) + 1 x(t-2)" in out and "the Fibonacci rule itself, found from the data" in out
    assert len(rows) == len(names)
    assert all(row.startswith(name) for row, name in zip(rows, names, strict=True))


def test_cli_rejects_bad_input_with_the_limit(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--n", "2000"])
    assert exit_info.value.code == 2
    assert "n must be at most 1474" in capsys.readouterr().err


def test_study_command_prints_summary_and_verdict_and_writes_csv(capsys, tmp_path):
    out_file = tmp_path / "r.csv"
    main(["study", "--n", "60", "--epochs", "2", "--seeds", "3", "--out", str(out_file)])
    out = capsys.readouterr().out
    assert "over seeds 0..2 of: n=60, time_steps=20" in out
    assert out.count("epoch   2/2") == 2  # one progress line per epoch and model
    summary = out[out.index("median test MSE") :].splitlines()[1:3]
    assert summary[0].startswith("RNN ") and summary[1].startswith("RNN + attention")
    assert all(line.split()[-5] == "3" for line in summary)  # 3 seeds per model
    assert "Attention lowered the test MSE in " in out and " of 3 seeds" in out
    assert f"wrote 6 rows, one per model and seed, to {out_file}" in out
    table = pd.read_csv(out_file)
    assert list(table.columns) == ["model", "seed", "train MSE", "test MSE", "test MdAPE %", "test MASE"]
    assert table[["model", "seed"]].values.tolist() == [
        [kind, seed] for kind in ("rnn", "attention") for seed in (0, 1, 2)
    ]
    assert table["test MSE"].gt(0).all()


def test_study_command_rejects_bad_seeds(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", "--seeds", "0"])
    assert exit_info.value.code == 2
    expected = "argument --seeds: seeds must be one of 3, 5, 10, 20, 30, 50, 100, got 0"
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("name", FIELDS)
def test_each_field_reaches_the_command_line(name):
    value = other_value(name)
    parsers = [train_parser(), study_parser()]  # the study's seeds replace --seed; --seeds is the study's
    parsers = [parser for parser in parsers if name in vars(parser.parse_args([]))]
    assert parsers
    for parser in parsers:
        args = parser.parse_args([option(name), str(value)])
        assert getattr(args, name) == value
        if FIELDS[name].section in ("data", "training"):
            config = config_from_args(args)
            owner = config.data if FIELDS[name].section == "data" else config
            assert getattr(owner, name) == value


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("text", ["", "nonsense", "-1"])
def test_each_field_refuses_bad_input_with_its_own_message(capsys, name, text):
    with pytest.raises(ValueError) as error:
        FIELDS[name].parse(text)
    with pytest.raises(SystemExit) as exit_info:
        main([*command_of(name), option(name), text])
    assert exit_info.value.code == 2
    assert f"argument {option(name)}: {error.value}" in capsys.readouterr().err


def test_settings_that_depend_on_each_other_are_refused_with_the_configs_message(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--n", "60", "--batch-size", "29"])
    assert exit_info.value.code == 2
    assert "batch_size must be at most 28 (there are 28 training windows), got 29" in capsys.readouterr().err


def test_engine_and_command_line_never_load_streamlit():
    code = (
        "import pkgutil, importlib, sys\n"
        "import fibdash\n"
        "for module in pkgutil.walk_packages(fibdash.__path__, 'fibdash.'):\n"
        "    importlib.import_module(module.name)\n"
        "from fibdash.__main__ import main\n"
        "main(['--n', '40', '--time-steps', '4', '--epochs', '1'])\n"
        "assert 'numba' in sys.modules and 'keras' in sys.modules\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'streamlit'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


# The tutorial's learning rate times 1000 on unscaled numbers: the loss is NaN at the first epoch.
DIVERGING = ["--n", "150", "--scaling", "none", "--learning-rate", "1", "--epochs", "2"]


def test_a_diverged_training_is_said_by_every_command(capsys):
    main(DIVERGING)
    out = capsys.readouterr().out
    for model in ("RNN", "RNN + attention"):
        assert f"\n- {model}: Training diverged: the training loss was NaN at epoch 1" in out
    assert "a learning rate too high (here 1; the tutorial's is 0.001)" in out

    main(["study", *DIVERGING, "--seeds", "3"])
    out = capsys.readouterr().out
    assert "diverged for 3 of 3 seeds of the RNN (epoch 1); 3 of 3 seeds of the RNN + attention" in out
    assert "unscaled data (scaling 'none' feeds the network values up to" in out

    main(["sweep", "--vary", "hidden_units=2,3", *DIVERGING, "--seeds", "3"])
    out = capsys.readouterr().out
    points = out.split("[")[1:]  # each grid point's line and what follows it
    assert len(points) == 2 and all("Training diverged for 3 of 3 seeds of the RNN" in p for p in points)


def test_without_n_a_shorter_series_gets_its_length_and_says_so(capsys):
    main(["--series", "co2", "--epochs", "1", "--batch-size", "32"])
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "n = 444 (the co2 record's length)"
    assert "series co2, n=444, time_steps=20" in out
    main(["study", "--series", "co2", "--epochs", "1", "--batch-size", "32", "--seeds", "3"])
    assert capsys.readouterr().out.splitlines()[0] == "n = 444 (the co2 record's length)"
    main(["--n", "60", "--epochs", "1"])  # an n given is not said again, nor is the tutorial's
    assert "n = " not in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:  # an n given above the series' length stays refused
        main(["--series", "co2", "--n", "1200"])
    assert exit_info.value.code == 2
    assert "n must be at most 444 (the recording has as many months), got 1200" in capsys.readouterr().err


def test_a_sweep_over_series_fits_each_points_n_unless_n_is_given(capsys, tmp_path):
    out_file = tmp_path / "sweep.csv"
    common = ["--epochs", "1", "--batch-size", "32", "--seeds", "3"]
    main(["sweep", "--vary", "series=co2,fibonacci", *common, "--out", str(out_file)])
    out = capsys.readouterr().out
    assert "n = 444 at series=co2 (the co2 record's length)" in out
    assert "Other settings: n=1200," in out
    table = pd.read_csv(out_file)
    assert table.groupby("series")["n"].unique().to_dict() == {"co2": [444], "fibonacci": [1200]}
    with pytest.raises(SystemExit):
        main(["sweep", "--vary", "series=fibonacci,co2", "--n", "1200", *common])
    assert "the grid point series=co2 cannot be trained: n must be at most 444" in capsys.readouterr().err


def test_a_csv_without_column_takes_the_first_that_does_not_count_the_rows(capsys, tmp_path):
    rows = "\n".join(f"{i},{i + 1},{10 + i % 7}" for i in range(90))
    (tmp_path / "f.csv").write_text(f"t,day,x\n{rows}\n")
    main(["--csv", str(tmp_path / "f.csv"), "--time-steps", "6", "--epochs", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "column: x (the first numeric column that is not a row count)",
        "n = 90 (the length of f.csv's column x)",
    ]
    assert "your file f.csv, column x" in lines[2]
    main(["--csv", str(tmp_path / "f.csv"), "--column", "t", "--time-steps", "6", "--epochs", "1"])
    out = capsys.readouterr().out
    assert "column t" in out and "column: " not in out  # named, a count is the series
    (tmp_path / "index.csv").write_text("t\n" + "\n".join(map(str, range(50))) + "\n")
    with pytest.raises(SystemExit):
        main(["--csv", str(tmp_path / "index.csv"), "--time-steps", "6"])
    assert (
        "every numeric column of index.csv (t) only counts its rows: give --column" in capsys.readouterr().err
    )


def test_counts_of_one_are_said_in_the_singular(capsys):
    main(["--n", "60", "--epochs", "1"])
    out = capsys.readouterr().out
    assert "SimpleRNN(2), tanh, 1 epoch, batch 1" in out and "1 epochs" not in out


def test_a_sweep_without_vary_gives_an_example(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "--seeds", "3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert (
        "say which settings to vary and their values with --vary, for example: python -m fibdash sweep "
        in err
    )
    example = err.split("for example: python -m fibdash ")[1].split()
    with pytest.raises(SystemExit):  # the example is a command the parser takes: stop it at a bad --seeds
        main([*example[: example.index("--seeds")], "--seeds", "0"])
    assert "argument --seeds" in capsys.readouterr().err


def test_the_files_the_documented_commands_write_are_not_committed():
    texts = [
        (ROOT / "README.md").read_text(),
        *(path.read_text() for path in (ROOT / "app_pages").glob("*.py")),
    ]
    outputs = sorted({name for text in texts for name in re.findall(r"--out ([\w.-]+)", text)})
    assert {"sweep.csv", "seed_study.csv", "results.csv"} <= set(outputs)
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *outputs], cwd=ROOT, capture_output=True, text=True
    )
    assert ignored.stdout.split() == outputs


def test_the_cli_forecasts_split_in_time_and_says_what_a_tanh_output_cannot_reach(capsys):
    split = ["--split", "chronological", "--scaler-fit", "train"]
    main(["--n", "60", "--time-steps", "5", "--epochs", "2", *split, "--horizon", "6"])
    out = capsys.readouterr().out
    assert "chronological split, minmax scaling, fitted on the training windows" in out
    assert (
        "- 17 of 17 test targets lie above every training target, outside -1 to 1 on the scaled axis" in out
    )
    assert "MASE is the test error in the series' units" in out and "test MASE" in out
    assert "Forecasts 6 steps ahead from every test window, each predictor fed its own forecasts:" in out
    mae = out[out.index("MAE by step ahead") :].splitlines()
    assert mae[1].split() == ["predictor", "RNN", "RNN", "+", "attention", "persistence", "AR(2)"]
    assert [line.split()[0] for line in mae[3:8]] == ["1", "2", "3", "5", "6"]  # a few steps, and the last
    assert "mostly training targets" not in out  # split in time: every step is the future


def test_the_cli_trains_a_backtest_fold_by_fold(capsys):
    main(["--n", "60", "--time-steps", "5", "--epochs", "2", "--split", "backtest", "--folds", "3"])
    out = capsys.readouterr().out
    assert "fold 1: 38 training and 6 test windows" in out and "fold 3: 50 training and 5 test windows" in out
    assert out.count("epoch   2/2") == 2 * 3  # both models, every fold
    assert "both models trained together in" in out and ", 3 folds" in out
    folds = out[out.index("Each fold's scores") :].splitlines()[2:17]
    assert [line.split()[0] for line in folds] == ["1"] * 5 + ["2"] * 5 + ["3"] * 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--horizon", "0"], "argument --horizon: horizon must be at least 1, got 0"),
        (["--horizon", "500"], "argument --horizon: horizon must be at most 50, got 500"),
        (["--folds", "1"], "argument --folds: folds must be at least 2, got 1"),
        (["study", "--horizon", "5"], "unrecognized arguments: --horizon 5"),
    ],
)
def test_forecast_settings_are_refused_with_their_limits(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_window_scaling_of_a_file_that_touches_zero_is_refused_with_the_reason(capsys, tmp_path):
    file = tmp_path / "level.csv"
    file.write_text("level\n" + "\n".join(str(0 if i == 12 else i + 1) for i in range(40)) + "\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["--csv", str(file), "--n", "40", "--time-steps", "5", "--scaling", "window"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "window scaling divides each window by its last value, but value 12 of the csv series" in error


def test_the_attention_head_is_an_option_said_in_the_description_and_the_reproduce_command(capsys):
    main(["--n", "60", "--epochs", "2", "--attention", "additive"])
    out = capsys.readouterr().out
    assert "RNN: 11 parameters" in out
    assert "RNN + attention: 21 parameters" in out  # 8 + W_q, W_k and v (2 x 2 x 2 + 2) + 3
    assert "SimpleRNN(2), tanh, additive attention, 2 epochs" in out
    config = config_from_args(train_parser().parse_args(["--attention", "self"]))
    assert command_line(config) == "python -m fibdash --attention self"
    assert command_line(TrainConfig()) == "python -m fibdash"  # the tutorial's head is not named


def test_a_sweep_over_every_attention_head(capsys, tmp_path):
    out_file = tmp_path / "heads.csv"
    vary = "attention=tutorial,additive,dot,self,uniform"
    main(["sweep", "--vary", vary, "--seeds", "3", "--epochs", "2", "--n", "60", "--out", str(out_file)])
    table = pd.read_csv(out_file)
    assert list(table["attention"].unique()) == ["tutorial", "additive", "dot", "self", "uniform"]
    assert len(table) == 5 * 2 * 3 and table["test MSE"].gt(0).all()
    rnn = table[table["model"] == "rnn"].groupby("attention", sort=False)["test MSE"].apply(list)
    assert all(mses == rnn.iloc[0] for mses in rnn)  # the head is the attention model's alone
    attention = table[table["model"] == "attention"].groupby("attention", sort=False)["test MSE"].apply(list)
    assert len({tuple(mses) for mses in attention}) == 5


def test_on_the_lags_series_the_cli_says_whether_each_explanation_finds_the_known_lags(capsys):
    from fibdash.analysis.explain import lag_precisions, lag_table, lag_words
    from fibdash.data import make_dataset
    from fibdash.serving import tasks

    config = TrainConfig(data=DataConfig(series="lags", n=80), epochs=2, attention="dot")
    command = command_line(config)
    assert command == "python -m fibdash --series lags --n 80 --epochs 2 --attention dot"
    main(command.split()[3:])  # the reproduce command, as the pages print it
    out = capsys.readouterr().out
    pair = tasks.train_pair(
        config, make_dataset(config.data).windows(), lambda log: False
    )  # as Compare has it
    precisions = lag_precisions(
        pair["attention"].attention, pair["attention"].importance, pair["rnn"].importance
    )
    expected = lag_table(precisions).to_string(index=False)
    assert (
        f"A task whose answer is known: precision at 2 of each measure over the test windows\n{expected}\n"
        in out
    )
    assert lag_words(precisions, 20, "dot") in out and "Did attention (dot head) find the lags?" in out
    main(["--n", "80", "--epochs", "2"])  # on another series, no known lags to find
    assert "A task whose answer is known" not in capsys.readouterr().out
