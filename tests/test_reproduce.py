"""The command a results page shows gives that page's numbers when run."""

import re
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import ROOT, metrics, open_page, press, table


def run_shown(app, tmp_path, out: str | None = None) -> str:
    """Run the command in the page's reproduce block, as a user would paste it; its output."""
    block = app.get_by_key("reproduce").code[0].value.splitlines()
    assert block[0].startswith("# made with Python ") and "NumPy " in block[0] and "Numba " in block[0]
    command = block[-1].split()
    assert command[:3] == ["python", "-m", "fibdash"]
    if out is not None:  # the page names a file in the working folder: write it to a temporary one
        command[command.index("--out") + 1] = str(tmp_path / out)
    done = subprocess.run(
        [sys.executable, *command[1:]], cwd=ROOT, capture_output=True, text=True, check=True, timeout=600
    )
    return done.stdout


def test_the_train_pages_command_prints_its_test_mses(app, tmp_path):
    open_page(app, "app_pages/2_Train.py", n=60, epochs=2, seed=1)
    press(app, "train")
    assert (
        app.get_by_key("reproduce").code[0].value.splitlines()[-1]
        == "python -m fibdash --n 60 --epochs 2 --seed 1"
    )
    page = [float(metrics(app, f"model_{kind}")["Test MSE (scaled)"]) for kind in ("rnn", "attention")]
    out = run_shown(app, tmp_path)
    rows = dict(re.findall(r"^\s*(RNN \+ attention|RNN)\s+\S+\s+(\S+)", out, re.MULTILINE))
    assert [float(rows["RNN"]), float(rows["RNN + attention"])] == pytest.approx(page, rel=1e-3)


def test_the_robustness_pages_command_writes_its_table(app, tmp_path):
    open_page(app, "app_pages/4_Robustness.py", n=60, epochs=2)
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    assert app.get_by_key("reproduce").code[0].value.splitlines()[-1] == (
        "python -m fibdash study --seeds 3 --n 60 --epochs 2 --out seed_study.csv"
    )
    shown = table(app, "per_seed")
    run_shown(app, tmp_path, out="seed_study.csv")
    written = pd.read_csv(tmp_path / "seed_study.csv").pivot(index="seed", columns="model", values="test MSE")
    for kind, column in (("rnn", "RNN test MSE"), ("attention", "RNN + attention test MSE")):
        assert shown[column].astype(float).tolist() == pytest.approx(written[kind].tolist(), rel=1e-3)


def test_the_variants_studys_command_writes_its_table(app, tmp_path):
    app.query_params["study"] = "variants"
    open_page(app, "app_pages/4_Robustness.py", n=60, epochs=2)
    app.selectbox(key="attention").set_value("self").run()  # plays no part: not in the command
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_variants")
    shown = table(app, "per_seed")
    out = run_shown(app, tmp_path, out="variants_study.csv")
    assert "The RNN of 4 units has 29 parameters" in out
    written = pd.read_csv(tmp_path / "variants_study.csv").pivot(
        index="seed", columns="model", values="test MSE"
    )
    for name, column in (
        ("rnn", "RNN test MSE"),
        ("dot", "dot attention test MSE"),
        ("matched_rnn", "RNN, 4 units test MSE"),
    ):
        assert shown[column].astype(float).tolist() == pytest.approx(written[name].tolist(), rel=1e-3)


def test_the_compare_pages_command_under_a_split_in_time_prints_its_scores_and_forecasts(app, tmp_path):
    open_page(app, "app_pages/2_Train.py", n=60, epochs=2)
    app.selectbox(key="split").set_value("chronological").run()
    press(app, "train")
    open_page(app, "app_pages/3_Compare.py", horizon=4)
    shown = table(app, "scores_table").set_index("predictor")
    out = run_shown(app, tmp_path)
    assert "Forecasts 4 steps ahead from every test window" in out
    printed = out[out.index("predictor  train MSE") :].splitlines()[1:6]
    for row in (line.strip() for line in printed):  # the page's MSE and MASE, as the command prints them
        name = " ".join(row.split()[:-4])  # the predictor, before its four numbers
        numbers = [float(value) for value in row.removeprefix(name).split()]
        expected = shown.loc[name, ["train MSE", "test MSE", "test MdAPE %", "test MASE"]].astype(float)
        assert numbers == pytest.approx(expected.tolist(), rel=1e-3), name
