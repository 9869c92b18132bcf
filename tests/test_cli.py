import pandas as pd
import pytest

from fibdash.__main__ import main


def test_cli_prints_models_next_to_baselines(capsys):
    main(["--n", "60", "--epochs", "2"])
    out = capsys.readouterr().out
    assert "28 training and 12 test windows" in out
    assert out.count("epoch   2/2") == 2
    assert "RNN: 11 parameters" in out
    assert "RNN + attention: 33 parameters" in out
    rows = [line.strip() for line in out[out.index("predictor") :].splitlines()[1:]]
    names = ["RNN ", "RNN + attention", "predict zero", "persistence", "Fibonacci rule"]
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
    assert all(line.split()[-4] == "3" for line in summary)  # 3 seeds per model
    assert "Attention lowered the test MSE in " in out and " of 3 seeds" in out
    assert f"wrote 6 rows, one per model and seed, to {out_file}" in out
    table = pd.read_csv(out_file)
    assert list(table.columns) == ["model", "seed", "train MSE", "test MSE", "test MdAPE %"]
    assert table[["model", "seed"]].values.tolist() == [
        [kind, seed] for kind in ("rnn", "attention") for seed in (0, 1, 2)
    ]
    assert table["test MSE"].gt(0).all()


def test_study_command_rejects_bad_seeds(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", "--seeds", "0"])
    assert exit_info.value.code == 2
    assert "--seeds must be at least 1, got 0" in capsys.readouterr().err
