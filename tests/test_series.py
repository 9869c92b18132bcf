import gzip
import pickle
import shlex

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp
from scipy.signal import lfilter

from fibdash.__main__ import main
from fibdash.command import command_line
from fibdash.config import DataConfig, TrainConfig
from fibdash.csv_file import MAX_COLUMNS, MAX_NAME_CHARACTERS, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, read_csv
from fibdash.data import make_dataset
from fibdash.series import (
    CO2_VALUES,
    LAG_COEFFICIENTS,
    LAG_STEPS,
    LAGS_NOISE,
    LAGS_SEED,
    LAGS_WARM_UP,
    MACKEY_GLASS,
    MACKEY_GLASS_WARM_UP,
    MAX_N,
    SINE_NOISE,
    SINE_PERIOD,
    co2,
    lags_series,
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


def test_the_lags_series_is_its_recursion_and_stationary():
    n = 3000
    noise = LAGS_NOISE * np.random.default_rng(LAGS_SEED).standard_normal(LAGS_WARM_UP + n)
    (short, long), (c_short, c_long) = LAG_STEPS, LAG_COEFFICIENTS
    x = []  # the recursion written out, a plain Python loop
    for t, shock in enumerate(noise.tolist()):
        x.append(
            (c_short * x[t - short] if t >= short else 0.0)
            + (c_long * x[t - long] if t >= long else 0.0)
            + shock
        )
    ours = lags_series(n)
    np.testing.assert_allclose(ours, x[LAGS_WARM_UP:], rtol=0, atol=1e-12)
    denominator = np.zeros(
        long + 1
    )  # and SciPy's linear filter of the same noise: 1 / (1 - c z^-3 - c' z^-11)
    denominator[[0, short, long]] = 1, -c_short, -c_long
    np.testing.assert_allclose(ours, lfilter([1], denominator, noise)[LAGS_WARM_UP:], rtol=0, atol=1e-9)
    assert (short, long) == (3, 11) and sum(LAG_COEFFICIENTS) < 1  # positive, so stationary
    assert np.abs(np.roots(denominator[::-1])).min() > 1  # every root of 1 - 0.5 z^3 - 0.4 z^11 outside
    first, second = ours[: n // 2], ours[n // 2 :]  # stationary: both halves alike, and not constant
    # a mean of 1500 values wanders by 1 / (1 - 0.9) / sqrt(1500) = 0.26 (the noise, summed over the lags)
    assert abs(first.mean() - second.mean()) < 1 and first.std() == pytest.approx(second.std(), rel=0.15)
    assert 1.2 < ours.std() < 1.8  # the stationary standard deviation is 1.53

    def autocorrelation(lag: int) -> float:
        return float(np.corrcoef(ours[:-lag], ours[lag:])[0, 1])

    assert autocorrelation(short) > 0.5 and autocorrelation(long) > 0.5 and autocorrelation(1) < 0.3
    np.testing.assert_array_equal(lags_series(100), ours[:100])  # a function of its length alone


def test_co2_is_the_mauna_loa_record_with_its_trend_and_season():
    values = co2()
    assert len(values) == CO2_VALUES == 37 * 12
    yearly = values.reshape(37, 12).mean(axis=1)
    assert 319 < yearly[0] < 321 and 370 < yearly[-1] < 372  # 1965 and 2001, as NOAA's annual means
    assert np.all(np.diff(yearly) > 0)
    season = (values.reshape(37, 12) - yearly[:, None]).mean(axis=0)
    assert season.argmax() == 4 and season.argmin() in (8, 9)  # highest in May, lowest in September/October


@pytest.mark.parametrize("series", ["sine", "mackey-glass", "lags", "co2"])
def test_each_series_gives_windows_and_a_split(series):
    data = make_dataset(DataConfig(series=series, n=400, time_steps=12))
    assert data.X.shape == (388, 12, 1) and len(data.train_idx) + len(data.test_idx) == 388
    np.testing.assert_allclose(data.to_original(data.y), data.series[12:])


def test_log_minmax_is_refused_where_values_are_not_all_positive():
    with pytest.raises(ValueError, match="every value must be above 0, but the sine series goes down to -1"):
        DataConfig(series="sine", scaling="log-minmax")
    DataConfig(series="co2", n=400, scaling="log-minmax")  # every CO2 value is positive
    lowest = lags_series(1200).min()
    with pytest.raises(ValueError, match=f"but the lags series goes down to {lowest:.3g}: choose minmax"):
        DataConfig(series="lags", scaling="log-minmax")


def test_windows_of_the_lags_series_must_reach_its_longest_lag():
    DataConfig(series="lags", time_steps=max(LAG_STEPS))  # the lag 11 steps back is the window's first value
    with pytest.raises(ValueError) as refused:
        DataConfig(series="lags", time_steps=max(LAG_STEPS) - 1)
    assert str(refused.value).startswith(
        "time_steps must be at least 11 for series lags, whose values depend on"
    )
    assert str(refused.value).endswith("(raise time_steps or choose another series), got 10")
    with pytest.raises(SystemExit):
        main(["--series", "lags", "--time-steps", "5"])


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_a_csv_column_becomes_a_series_in_file_order():
    table = read_csv(csv_bytes(["day,price,note"] + [f"{i},{10 + i % 7},x{i}" for i in range(50)]), "p.csv")
    assert table.usable == ["day", "price"]
    upload = table.upload("price")
    np.testing.assert_array_equal(upload.values, [10 + i % 7 for i in range(50)])
    assert "text" in table.problems["note"] and "'x0' in data row 1" in table.problems["note"]
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
    assert problem in table.problems["a"]
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


def test_the_upload_limit_is_the_browsers_own():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    # Streamlit's uploader in the browser refuses a file of more than maxUploadSize x 1000 x 1000 bytes
    # (react-dropzone's maxSize; x 1024 x 1024 on Windows only): one limit, the smaller
    assert config["server"]["maxUploadSize"] * 1000 * 1000 == MAX_UPLOAD_BYTES
    largest = b"a\n1\n" + b"0" * (MAX_UPLOAD_BYTES - 6) + b"2\n"  # 1 and 2
    assert len(largest) == MAX_UPLOAD_BYTES and read_csv(largest, "largest.csv").usable == ["a"]
    with pytest.raises(ValueError, match=f"is {MAX_UPLOAD_BYTES + 1:,} bytes: files may be at most 2 MB"):
        read_csv(b"0" + largest, "larger.csv")


def test_a_wide_file_is_refused_before_pandas_reads_it(monkeypatch):
    # the file: three lines of 199,999 commas, 600 KB, took pandas minutes and 500 MB
    wide = b"\n".join([b"," * 199_999] * 3) + b"\n"
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: pytest.fail("pandas read the wide file"))
    with pytest.raises(ValueError, match=f"a row of 200,000 columns: at most {MAX_COLUMNS:,} can be read"):
        read_csv(wide, "wide.csv")
    folded = b"a,b\n" + b'"x\ny",' * (MAX_COLUMNS + 1) + b"\n"  # one row, across lines in quotes
    with pytest.raises(ValueError, match=f"has a row of {MAX_COLUMNS + 2:,} columns"):
        read_csv(folded, "folded.csv")


def test_commas_in_quotes_do_not_count_as_columns():
    table = read_csv(b'a,b\n"' + b"," * 5000 + b'",1\n"x",2\n"y",3\n', "quoted.csv")
    assert table.usable == ["b"] and "it holds text" in table.problems["a"]


def test_a_session_keeps_the_files_bytes_not_every_columns_values():
    rows = [",".join(f"c{j}" for j in range(MAX_COLUMNS))]
    rows += [",".join(str((i + j) % 10) for j in range(MAX_COLUMNS)) for i in range(200)]
    content = csv_bytes(rows)
    table = read_csv(content, "many.csv")
    assert len(table.usable) == MAX_COLUMNS
    # as kept in a session: the bytes and a word per column, not 200,000 float64 values (1.6 MB)
    assert len(pickle.dumps(table)) < 1.2 * len(content) + 50_000
    np.testing.assert_array_equal(table.upload("c3").values, [(i + 3) % 10 for i in range(200)])


@pytest.mark.parametrize(
    "content, problem",
    [
        ("a,b\n1,2\n3,4\n".encode("utf-16"), "is UTF-16 text, not UTF-8: save it as CSV UTF-8"),
        ("a,b\n1,2\n3,4\n".encode("utf-16-le"), "is UTF-16 text, not UTF-8"),
        ("a,b\n1,2\n3,4\n".encode("utf-16-be"), "is UTF-16 text, not UTF-8"),
        (gzip.compress(b"a\n1\n2\n"), "is a binary file: a gzip archive, not a CSV"),
        (b"PK\x03\x04" + bytes(100), "is a binary file: a zip archive, as an Excel workbook (.xlsx) is"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an old Excel workbook (.xls)"),
        (pickle.dumps([1.0, 2.0]), "is a binary file: a Python pickle, not a CSV"),
    ],
)
def test_a_file_that_is_not_utf8_text_is_named_for_what_it_is(content, problem):
    with pytest.raises(ValueError) as refused:
        read_csv(content, "bad.csv")
    assert problem in str(refused.value)


@pytest.mark.parametrize("cell", ["\u0661\u0662", "1_000", "\uff11\uff12", "\u096a"])
def test_cells_are_numbers_in_ascii_digits_only(cell):
    table = read_csv(csv_bytes(["a", "1", cell, "3"]), "digits.csv")
    assert (
        f"its numbers must be written in ASCII digits (0-9), as {cell!r} in data row 2 is not"
        == (table.problems["a"])
    )


def test_a_visitors_long_text_is_quoted_short():
    huge = "9" * 1_980_000  # a number too large for float64: infinite
    table = read_csv(csv_bytes(["a,b", f"1,{'x' * 10_000}", f"{huge},2", "3,4"]), "huge.csv")
    assert table.problems["a"].startswith("1 values are infinite or not a number (the first: '9999")
    assert all(len(problem) < 200 for problem in table.problems.values()), table.problems
    long_name = "n" * (MAX_NAME_CHARACTERS + 1)
    table = read_csv(csv_bytes([f"{long_name},b", "1,2", "2,3", "3,5"]), "names.csv")
    assert table.usable == ["b"]
    assert (
        f"its name has {MAX_NAME_CHARACTERS + 1} characters, and at most {MAX_NAME_CHARACTERS}"
        in (table.problems[long_name])
    )
    with pytest.raises(ValueError, match=f"a file's name may have at most {MAX_NAME_CHARACTERS} characters"):
        read_csv(csv_bytes(["a", "1", "2"]), "f" * MAX_NAME_CHARACTERS + ".csv")


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
