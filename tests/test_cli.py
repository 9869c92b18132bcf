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
