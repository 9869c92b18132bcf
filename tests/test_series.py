import shlex

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

from fibdash.__main__ import main
from fibdash.command import command_line
from fibdash.config import DataConfig, TrainConfig
from fibdash.csv_file import MAX_UPLOAD_MB, read_csv
from fibdash.data import make_dataset
from fibdash.series import (
    CO2_VALUES,
    MACKEY_GLASS,
    MACKEY_GLASS_WARM_UP,
    MAX_N,
    SINE_NOISE,
    SINE_PERIOD,
    co2,
    mackey_glass,
    noisy_sine,
)
from tests.conftest import ROOT


def mackey_glass_by_steps(n: int) -> np.ndarray:
    """The delay equation solved independently: by the method of steps, each interval of tau time units
    an ordinary equation whose delayed term is the interval before's dense solution (SciPy's DOP853)."""
    beta, gamma, power, tau, x0 = MACKEY_GLASS.values()
    before = lambda t: x0  # noqa: E731 - the history: x = x0 before the start
    pieces, start, end = [], 0.0, MACKEY_GLASS_WARM_UP + n
    while start < end:
        stop = min(start + tau, end)

        def slope(t, x, before=before):
            delayed = before(t - tau)
            return [beta * delayed / (1 + delayed**power) - gamma * x[0]]

        x_start = pieces[-1].sol(start)[0] if pieces else x0
        solved = solve_ivp(slope, (start, stop), [x_start], method="DOP853", dense_output=True, rtol=1e-11)
        pieces.append(solved)
        before = lambda t, s=solved: s.sol(t)[0]  # noqa: E731
        start = stop
    times = MACKEY_GLASS_WARM_UP + np.arange(n)
    return np.array([pieces[min(int(t // tau), len(pieces) - 1)].sol(t)[0] for t in times])


def test_mackey_glass_solves_its_delay_equation():
    ours, independent = mackey_glass(300), mackey_glass_by_steps(300)
    # chaotic: two good integrators part slowly; over 600 time units they agree to a few parts in 1e4
    np.testing.assert_allclose(ours, independent, atol=2e-3)
    assert ours.min() > 0.2 and ours.max() < 1.5  # its attractor's known range
    assert np.abs(np.diff(ours)).max() > 0.05  # and it moves: not settled to a fixed point


def test_noisy_sine_is_a_period_of_20_plus_noise_of_the_stated_size():
    values = noisy_sine(4000)
    residual = values - np.sin(2 * np.pi * np.arange(4000) / SINE_PERIOD)
    assert residual.std() == pytest.approx(SINE_NOISE, rel=0.05)
    assert abs(np.corrcoef(residual[:-1], residual[1:])[0, 1]) < 0.05  # white: nothing to learn in it
    np.testing.assert_array_equal(noisy_sine(100), values[:100])  # a function of its length alone


def test_co2_is_the_mauna_loa_record_with_its_trend_and_season():
    values = co2()
    assert len(values) == CO2_VALUES == 37 * 12
    yearly = values.reshape(37, 12).mean(axis=1)
    assert 319 < yearly[0] < 321 and 370 < yearly[-1] < 372  # 1965 and 2001, as NOAA's annual means
    assert np.all(np.diff(yearly) > 0)
    season = (values.reshape(37, 12) - yearly[:, None]).mean(axis=0)
    assert season.argmax() == 4 and season.argmin() in (8, 9)  # highest in May, lowest in September/October


@pytest.mark.parametrize("series", ["sine", "mackey-glass", "co2"])
def test_each_series_gives_windows_and_a_split(series):
    data = make_dataset(DataConfig(series=series, n=400, time_steps=12))
    assert data.X.shape == (388, 12, 1) and len(data.train_idx) + len(data.test_idx) == 388
    np.testing.assert_allclose(data.to_original(data.y), data.series[12:])


def test_log_minmax_is_refused_where_values_are_not_all_positive():
    with pytest.raises(ValueError, match="every value must be above 0, but the sine series goes down to -1"):
        DataConfig(series="sine", scaling="log-minmax")
    DataConfig(series="co2", n=400, scaling="log-minmax")  # every CO2 value is positive


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_a_csv_column_becomes_a_series_in_file_order():
    table = read_csv(csv_bytes(["day,price,note"] + [f"{i},{10 + i % 7},x{i}" for i in range(50)]), "p.csv")
    assert table.usable == ["day", "price"]
    upload = table.upload("price")
    np.testing.assert_array_equal(upload.values, [10 + i % 7 for i in range(50)])
    assert "text" in table.columns["note"] and "'x0' in data row 1" in table.columns["note"]
    again = read_csv(csv_bytes(["day,price,note"] + [f"{i},{10 + i % 7},x{i}" for i in range(50)]), "q.csv")
    assert again.upload("price") == upload  # known by content and column, not by its name


@pytest.mark.parametrize(
    "content, problem",
    [
        (csv_bytes(["a", "1", "", "3", "x"]), "holds text ('x' in data row 3)"),
        (csv_bytes(["a,b", "1,2", ",3", "4,5"]), "1 missing values (the first in data row 2)"),
        (csv_bytes(["a", *["7"] * 30]), "every value is 7: a constant has nothing to predict"),
        (csv_bytes(["a", "1", "inf", "3"]), "1 values are infinite or not a number"),
        (csv_bytes(["a", "1", "NaN", "3"]), "1 values are infinite or not a number"),
        (csv_bytes(["a", "-1e308", "1e308"]), "span more than float64 holds"),
    ],
)
def test_a_bad_column_is_named_with_its_problem(content, problem):
    table = read_csv(content, "bad.csv")
    assert problem in table.columns["a"]
    with pytest.raises(ValueError, match="cannot be a series"):
        table.upload("a")


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"PK\x03\x04" + bytes(100), "binary file"),  # an Excel workbook or zip, renamed
        (b"\x80\x04\x95" + bytes(20) + b".", "binary file"),  # a pickle
        ("a\n1\n2\n\xe9\n".encode("latin-1"), "not UTF-8 text (byte 6"),
        (b"", "is empty"),
        (b"a,b\n", "header but no rows"),
        (csv_bytes(["a"] + ["1"] * (MAX_N + 1)), f"at most {MAX_N:,} can be used"),
        (b"a\n" + b"1\n" * (MAX_UPLOAD_MB * 2**19 + 1), f"files may be at most {MAX_UPLOAD_MB} MB"),
        (b'a,b\n1,"2\n', "cannot be read as a CSV table"),
    ],
)
def test_a_bad_file_is_refused_with_the_problem_and_the_limit(content, problem):
    with pytest.raises(ValueError, match=r"bad\.csv") as refused:
        read_csv(content, "bad.csv")
    assert problem in str(refused.value)


def test_the_upload_limit_is_the_servers_own():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_an_uploaded_series_is_named_by_its_file_in_the_command_that_trains_it(tmp_path, capsys, monkeypatch):
    content = csv_bytes(["t,v"] + [f"{i},{np.sin(i / 3):.6f}" for i in range(120)])
    upload = read_csv(content, "w.csv").upload("v")
    config = TrainConfig(data=DataConfig(series="csv", n=120, time_steps=6, upload=upload), epochs=2)
    data = make_dataset(config.data)
    assert data.value_name == "v" and len(data.series) == 120
    command = command_line(config)
    assert "--csv w.csv --column v" in command and f"--sha256 {upload.sha256}" in command
    (tmp_path / "w.csv").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    main(shlex.split(command)[3:])  # the command as the page prints it, after "python -m fibdash"
    out = capsys.readouterr().out
    assert "w.csv, column v" in out and "AR(2), fitted to the training windows" in out
    (tmp_path / "w.csv").write_bytes(content.replace(b"0.000000", b"0.000001"))
    with pytest.raises(SystemExit):
        main(shlex.split(command)[3:])
    assert "it is another file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="at most 120"):
        DataConfig(series="csv", n=121, upload=upload)
    with pytest.raises(ValueError, match="needs a file"):
        DataConfig(series="csv")


def test_a_sweep_over_series_compares_the_models_on_each(capsys, tmp_path):
    from fibdash.analysis.study import compare, run_study

    out_file = tmp_path / "sweep.csv"
    settings = ["--n", "80", "--epochs", "2", "--seeds", "3"]
    main(["sweep", "--vary", "series=fibonacci,sine,mackey-glass", *settings, "--out", str(out_file)])
    out = capsys.readouterr().out
    table = pd.read_csv(out_file)
    medians = []
    for series in ("fibonacci", "sine", "mackey-glass"):
        rows = table[table["series"] == series]
        assert sorted(zip(rows["model"], rows["seed"], strict=True)) == sorted(
            (kind, seed) for kind in ("rnn", "attention") for seed in range(3)
        ), series
        c = compare(rows)  # the comparison the sweep printed, from its own rows
        assert f"series={series}: attention lowered the test MSE in {c.wins} of 3 seeds, median ratio " in out
        assert f"median ratio {c.median_ratio:.3g} (" in out, series
        verdict = next(line for line in out.splitlines() if f"holds at series={series} only" in line)
        assert verdict.startswith(f"- Attention lowered the test MSE in {c.wins} of 3 seeds"), series
        medians.append(c.median_ratio)
    assert len(set(medians)) == 3  # three series, three comparisons: not one repeated
    # a point's rows are the study of its series' own data: the sine's as a study of the sine trains it
    sine = run_study(TrainConfig(data=DataConfig(series="sine", n=80), epochs=2), range(3)).table
    swept = table[table["series"] == "sine"].reset_index(drop=True)
    np.testing.assert_allclose(swept["test MSE"], sine["test MSE"], rtol=1e-12)
