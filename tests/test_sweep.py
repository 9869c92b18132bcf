import dataclasses
import os
import re
import signal
import sys
import threading
import time
import types
from pathlib import Path

import pandas as pd
import pytest

import fibdash.analysis.study
from fibdash.__main__ import main
from fibdash.analysis.study import compare, run_study
from fibdash.analysis.sweep import (
    COLUMNS,
    MAX_POINTS,
    MAX_VALUES,
    SUGGESTED,
    SWEEPABLE,
    check_grid_size,
    finished_points,
    parse_vary,
    point_verdict,
    run_sweep,
    sweep_grid,
)
from fibdash.config import DataConfig, TrainConfig
from fibdash.sweep_runners import in_processes, on_ray, start_ray

BASE = TrainConfig.from_values({"n": 60, "epochs": 2})
# Settings that keep one architecture, so that the whole grid compiles each model once.
VARY = {"scaling": ["minmax", "log-minmax"], "learning_rate": ["0.001", "0.01"]}
SEEDS = 3
RESULT_COLUMNS = [column for column in COLUMNS if column != "seconds"]  # the numbers, not their time


@pytest.fixture(scope="module")
def tiny_sweep():
    return run_sweep(BASE, VARY, SEEDS)


@pytest.fixture
def studies(monkeypatch):
    """The configs of every seed study run from now on."""
    configs = []
    real = fibdash.analysis.study.run_study

    def counting(config, seeds, *args, **kwargs):
        configs.append(config)
        return real(config, seeds, *args, **kwargs)

    monkeypatch.setattr(fibdash.analysis.study, "run_study", counting)
    return configs


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("hidden_units=2,4,8", ("hidden_units", (2, 4, 8))),
        ("hidden-units=1e1, 16.0", ("hidden_units", (10, 16))),
        ("scaling=MinMax,log-minmax", ("scaling", ("minmax", "log-minmax"))),
        ("learning_rate=0.001,1e-2", ("learning_rate", (0.001, 0.01))),
        ("cell=GRU", ("cell", ("GRU",))),
    ],
)
def test_parse_vary_parses_each_value_with_its_field(text, parsed):
    assert parse_vary(text) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hidden_units", "a swept setting is written SETTING=VALUE,VALUE,..., got 'hidden_units'"),
        ("units=2,4", "unknown setting 'units': choose one of series, n, time_steps, train_fraction"),
        ("seed=1,2", "seed cannot be swept: every grid point is a study over seeds 0, 1, ... already"),
        ("seeds=3,5", "seeds cannot be swept"),
        ("hidden_units=2,129", "hidden_units must be at most 128, got 129"),
        ("hidden_units=2,", "hidden_units is empty: type a whole number from 1 to 128"),
        ("scaling=log", "unknown scaling 'log'"),
        ("n" * 10_000 + "=1", "unknown setting 'nnnnnnnnn"),
        ("n=" + "9" * 10_000, "... (10,002 characters)"),
        ("n" * 10_000, "got 'nnnnnnnnn"),
    ],
)
def test_parse_vary_refuses_bad_settings_and_values(text, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        parse_vary(text)
    assert len(str(error.value)) < 250  # a long value is quoted short


@pytest.mark.parametrize("name", SWEEPABLE)
def test_each_settings_suggested_values_train_at_the_tutorials_other_settings(name):
    base = TrainConfig(DataConfig(split="backtest")) if name == "folds" else TrainConfig()  # its split's only
    grid = sweep_grid(base, {name: SUGGESTED[name]})  # raises for a point that cannot train
    assert len(grid) == len(SUGGESTED[name]) >= 2


def test_folds_are_swept_under_the_backtest_split_only():
    with pytest.raises(ValueError, match="folds plays a part under the backtest split only"):
        sweep_grid(TrainConfig(), {"folds": [3, 5]})
    grid = sweep_grid(TrainConfig(), {"split": ["chronological", "backtest"], "folds": [3, 5]})
    assert [point.config.data.fold_configs()[-1].fold for point in grid] == [None, None, 2, 4]


def test_every_config_setting_but_the_seed_can_be_swept():
    training = {f.name for f in dataclasses.fields(TrainConfig)} - {"data", "seed"}
    data = {f.name for f in dataclasses.fields(DataConfig)} - {"split_seed", "upload", "fold"}  # csv: a file
    assert set(SWEEPABLE) == training | data


def test_grid_has_every_combination_first_setting_outermost():
    base = TrainConfig(seed=7, epochs=3)
    grid = sweep_grid(base, {"scaling": ["minmax", "log-minmax"], "hidden_units": [2, "4", 8]})
    assert [point.describe() for point in grid] == [
        f"scaling={scaling}, hidden_units={units}"
        for scaling in ("minmax", "log-minmax")
        for units in (2, 4, 8)
    ]
    for point in grid:
        settings = dict(point.settings)
        assert (point.config.data.scaling, point.config.hidden_units) == (
            settings["scaling"],
            settings["hidden_units"],
        )
        assert point.config.epochs == 3 and point.config.data.n == base.data.n
        assert point.config.seed == 0  # each point's study uses seeds 0, 1, ... whatever the base's seed
    assert len(set(grid)) == 6


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ({}, "a sweep varies one or two settings, got 0"),
        ({"n": [60], "epochs": [2], "cell": ["GRU"]}, "a sweep varies one or two settings, got 3"),
        ({"hidden_units": []}, "hidden_units has no values to sweep over"),
        ({"hidden_units": [2, 4, "2"]}, "the values of hidden_units must be distinct, but 2 repeat"),
        ({"hidden_units": [2, 200]}, "hidden_units must be at most 128, got 200"),
        (
            {"time_steps": [5, 59]},
            r"the grid point time_steps=59 cannot be trained: time_steps must be at most 58 \(n = 60",
        ),
        ({"batch_size": [1, 29]}, r"grid point batch_size=29 cannot be trained: .*28 training windows"),
    ],
)
def test_grid_refuses_what_cannot_be_trained_before_anything_trains(vary, message):
    with pytest.raises(ValueError, match=message):
        sweep_grid(BASE, vary)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"epochs": MAX_VALUES}, None),
        ({"epochs": 10, "learning_rate": 10}, None),
        ({"epochs": MAX_VALUES + 1}, f"epochs has {MAX_VALUES + 1} values, and a sweep here takes at most"),
        ({"epochs": 200, "learning_rate": 200}, "epochs has 200 values"),  # the first too large, by name
        ({"epochs": 11, "learning_rate": 10}, rf"the grid has 110 points \(11 x 10 values\).* {MAX_POINTS}:"),
    ],
)
def test_the_dashboards_largest_sweep_is_counted_before_its_values_are_read(counts, message):
    if message is None:
        check_grid_size(counts)
    else:
        with pytest.raises(ValueError, match=message):
            check_grid_size(counts)


def test_sweep_gives_a_row_per_point_model_and_seed_each_its_configs_study(tiny_sweep, studies):
    grid = sweep_grid(BASE, VARY)
    assert [p.point for p in tiny_sweep.points] == grid and tiny_sweep.size == 4
    assert not tiny_sweep.stopped and tiny_sweep.seeds == SEEDS
    assert tiny_sweep.vary == (("scaling", ("minmax", "log-minmax")), ("learning_rate", (0.001, 0.01)))
    table = tiny_sweep.table
    assert list(table.columns) == COLUMNS and len(table) == 4 * 2 * SEEDS
    for result in tiny_sweep.points:
        study = run_study(result.point.config, range(SEEDS))  # what the Robustness page shows for it
        rows = result.table
        assert (rows["scaling"] == result.point.config.data.scaling).all()
        assert (rows["learning_rate"] == result.point.config.learning_rate).all()
        assert (rows["epochs"] == 2).all() and (rows["seconds"] == result.seconds).all()
        pd.testing.assert_frame_equal(rows[study.table.columns], study.table, check_exact=True)
        assert result.comparison == study.comparison
    comparisons = tiny_sweep.comparisons()
    assert comparisons[["scaling", "learning_rate"]].values.tolist() == [
        [p.point.config.data.scaling, p.point.config.learning_rate] for p in tiny_sweep.points
    ]
    assert comparisons["seeds compared"].tolist() == [SEEDS] * 4


def test_point_verdict_is_scoped_to_the_point_and_the_fixed_settings(tiny_sweep):
    result = tiny_sweep.points[3]
    text = point_verdict(result)
    assert text.startswith(f"Attention lowered the test MSE in {result.comparison.wins} of 3 seeds")
    scope = "This holds at scaling=log-minmax, learning_rate=0.01 only, with series=fibonacci, n=60, "
    assert scope + "time_steps=20" in text
    assert "epochs=2" in text and "scaling=minmax" not in text


def test_resume_trains_only_the_missing_points_and_keeps_the_numbers(tiny_sweep, studies):
    done = tiny_sweep.table[tiny_sweep.table["learning_rate"] == 0.01]
    finished = []
    resumed = run_sweep(BASE, VARY, SEEDS, on_point=finished.append, done=done)
    assert [config.learning_rate for config in studies] == [0.001, 0.001]
    assert [r.point.describe() for r in finished] == [
        "scaling=minmax, learning_rate=0.001",
        "scaling=log-minmax, learning_rate=0.001",
    ]
    assert [r.point for r in resumed.points] == [r.point for r in tiny_sweep.points]
    pd.testing.assert_frame_equal(resumed.table[RESULT_COLUMNS], tiny_sweep.table[RESULT_COLUMNS])
    assert [r.comparison for r in resumed.points] == [r.comparison for r in tiny_sweep.points]
    run_sweep(BASE, VARY, SEEDS, done=tiny_sweep.table)
    assert len(studies) == 2  # nothing left to train


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"base": TrainConfig.from_values({"n": 60, "epochs": 3})},
            "made with other settings: epochs=2 there, 3 in this sweep",
        ),
        (
            {"vary": {"scaling": ["minmax", "log-minmax"], "learning_rate": ["0.001", "0.1"]}},
            "made with other settings: learning_rate=0.01 is not among this sweep's values of learning_rate",
        ),
        ({"seeds": 5}, "has 6 runs over seeds 0..2, not both models over seeds 0..4"),
    ],
)
def test_resume_refuses_another_sweeps_points(tiny_sweep, change, message):
    args = {"base": BASE, "vary": VARY, "seeds": SEEDS, **change}
    with pytest.raises(ValueError, match=message):
        run_sweep(args["base"], args["vary"], args["seeds"], done=tiny_sweep.table)
    with pytest.raises(ValueError, match="not this version's sweep table: it lacks seconds"):
        finished_points(tiny_sweep.table.drop(columns="seconds"), sweep_grid(BASE, VARY), SEEDS)
    older = tiny_sweep.table.drop(columns=["split", "folds", "scaler_fit", "test MASE"])  # before issue 25
    with pytest.raises(ValueError, match=r"it lacks split, folds, scaler_fit, test MASE \(an older"):
        finished_points(older, sweep_grid(BASE, VARY), SEEDS)


def test_on_epoch_returning_true_stops_the_sweep_keeping_finished_points(tiny_sweep, studies):
    finished = []
    result = run_sweep(BASE, VARY, SEEDS, on_epoch=lambda log: bool(finished), on_point=finished.append)
    assert result.stopped and len(studies) == 2
    assert [r.point for r in result.points] == [tiny_sweep.points[0].point]


def test_cli_writes_rows_as_points_finish_extends_the_file_and_refuses_another_sweeps(
    tmp_path, capsys, studies
):
    out = tmp_path / "sweep.csv"
    options = ["--n", "60", "--epochs", "2", "--seeds", "3", "--out", str(out)]
    main(["sweep", "--vary", "scaling=minmax,log-minmax", *options])
    printed = capsys.readouterr().out
    assert (
        "Sweep over 2 scaling: 2 grid points, one after another; at each, both models over seeds 0..2"
        in printed
    )
    assert "[1/2] scaling=minmax: attention lowered the test MSE in" in printed
    assert "[2/2] scaling=log-minmax: " in printed
    assert printed.count("This holds at scaling=") == 2
    first = pd.read_csv(out)
    assert list(first.columns) == COLUMNS and len(first) == 12
    assert first["scaling"].tolist() == ["minmax"] * 6 + ["log-minmax"] * 6

    main(["sweep", "--vary", "scaling=minmax,log-minmax,none", *options])
    printed = capsys.readouterr().out
    assert f"Resuming {out}: 2 of 3 grid points are done" in printed
    assert "[3/3] scaling=none: " in printed and "[1/3]" not in printed
    assert [config.data.scaling for config in studies] == ["minmax", "log-minmax", "none"]
    extended = pd.read_csv(out)
    assert len(extended) == 18
    pd.testing.assert_frame_equal(extended.iloc[:12], first)

    for bad, message in [
        (["--epochs", "3"], "epochs=2 there, 3 in this sweep"),
        (["--seeds", "5"], "not both models over seeds 0..4: it was made with another number of seeds"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(["sweep", "--vary", "scaling=minmax", *options, *bad])
        assert exit_info.value.code == 2
        error = capsys.readouterr().err
        assert f"cannot resume {out}: the finished point" in error
        assert message in error
    assert len(studies) == 3 and len(pd.read_csv(out)) == 18


SPLITS = {"split": ["shuffled", "chronological", "backtest"]}  # issue 25's question, as a sweep asks it


@pytest.fixture(scope="module")
def split_sweep():
    return run_sweep(dataclasses.replace(BASE, data=DataConfig(n=60, folds=2)), SPLITS, SEEDS)


def test_a_sweep_over_the_split_scores_each_point_as_its_own_study(split_sweep, tmp_path, capsys):
    for point in split_sweep.points:  # a backtest point's seeds by their folds' mean, as its study's
        study = run_study(point.point.config, range(SEEDS))
        columns = ["model", "seed", "test MSE", "test MASE"]
        pd.testing.assert_frame_equal(point.table[columns], study.table[columns])
    assert split_sweep.table["split"].unique().tolist() == SPLITS["split"]
    out = tmp_path / "split.csv"
    main(["sweep", "--vary", "split=shuffled,chronological,backtest", "--n", "60", "--folds", "2", "--epochs",
          "2", "--seeds", str(SEEDS), "--out", str(out)])  # fmt: skip
    assert "[3/3] split=backtest: attention lowered the test MSE in" in capsys.readouterr().out
    written = pd.read_csv(out)
    pd.testing.assert_frame_equal(written[RESULT_COLUMNS], split_sweep.table[RESULT_COLUMNS])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--vary", "seed=1,2"], "argument --vary: seed cannot be swept"),
        (["--vary", "n=60", "--vary", "n=80"], "each setting may be given to --vary once"),
        (["--vary", "time_steps=5,59", "--n", "60"], "the grid point time_steps=59 cannot be trained"),
        # the base's own n (1200) is swept away, so only the point beyond float32 is refused
        (
            ["--scaling", "none", "--vary", "n=60,186"],
            "the grid point n=186 cannot be trained: with scaling 'none'",
        ),
        (["--vary", "n=60", "--jobs", "0"], "--jobs must be at least 1, got 0"),
        (["--vary", "n=60", "--jobs", "2", "--ray"], "argument --ray: not allowed with argument --jobs"),
        ([], "say which settings to vary and their values with --vary, for example: python -m fibdash sweep"),
    ],
)
def test_cli_refuses_a_bad_sweep_before_training(capsys, studies, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert studies == []


@pytest.mark.slow
def test_local_processes_give_the_same_rows(tiny_sweep, tmp_path, monkeypatch):
    # A page run by AppTest leaves its script as `__main__`, and spawn would import it in each
    # child: a script that starts processes itself then kills the pool. The sweep must not care.
    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('the main script ran in a sweep process')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    vary = {"scaling": VARY["scaling"], "learning_rate": VARY["learning_rate"][:1]}
    result = run_sweep(BASE, vary, SEEDS, point_runner=in_processes(2))
    expected = tiny_sweep.table[tiny_sweep.table["learning_rate"] == 0.001].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.table[RESULT_COLUMNS], expected[RESULT_COLUMNS], check_exact=True)


# Ray's own tests: a local Ray of 2 CPUs, as `start_ray` starts one when no cluster is found.
@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    if "RAY_ADDRESS" in os.environ:
        pytest.skip("RAY_ADDRESS points to a cluster: these tests start their own Ray")
    start_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def descendants(pid: int) -> list[int]:
    """The processes started, directly or not, by process `pid`."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid ...": the name may hold spaces and parentheses
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def kill_first_task(name: str, killed: list[int], deadline: float) -> None:
    """SIGKILL the first of this process's descendants that runs Ray task `name`."""
    while time.monotonic() < deadline:
        for pid in descendants(os.getpid()):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(f"ray::{name}".encode()):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
        time.sleep(0.1)


@pytest.mark.ray
def test_ray_tasks_give_the_same_rows_as_a_local_run(local_ray, tiny_sweep, tmp_path, capsys):
    out = tmp_path / "ray.csv"
    vary = ["--vary", "scaling=minmax,log-minmax", "--vary", "learning_rate=0.001,0.01"]
    main(["sweep", *vary, "--n", "60", "--epochs", "2", "--seeds", "3", "--out", str(out), "--ray"])
    assert "4 grid points, as Ray tasks" in capsys.readouterr().out
    written = pd.read_csv(out).sort_values(["scaling", "learning_rate"], kind="stable", ignore_index=True)
    expected = tiny_sweep.table.sort_values(["scaling", "learning_rate"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(written[RESULT_COLUMNS], expected[RESULT_COLUMNS])


@pytest.mark.ray
def test_ray_tasks_train_a_backtests_folds_as_a_local_run(local_ray, split_sweep):
    base = dataclasses.replace(BASE, data=DataConfig(n=60, folds=2))
    result = run_sweep(base, SPLITS, SEEDS, point_runner=on_ray())
    pd.testing.assert_frame_equal(result.table[RESULT_COLUMNS], split_sweep.table[RESULT_COLUMNS])


@pytest.mark.ray
def test_ray_reruns_the_grid_point_of_a_lost_worker(local_ray):
    killed: list[int] = []
    killer = threading.Thread(target=kill_first_task, args=("study_point", killed, time.monotonic() + 300))
    killer.start()
    vary = {"scaling": VARY["scaling"][:1], "learning_rate": VARY["learning_rate"]}
    base = dataclasses.replace(BASE, epochs=400)  # a point long enough (about a second) to be caught running
    result = run_sweep(base, vary, SEEDS, point_runner=on_ray())
    killer.join()
    assert len(killed) == 1  # one worker died in the middle of a grid point ...
    expected = run_sweep(base, vary, SEEDS)
    # ... and its point ran again: every row is there, with a local run's numbers
    columns = RESULT_COLUMNS
    pd.testing.assert_frame_equal(result.table[columns], expected.table[columns], check_exact=True)
    assert [compare(p.table) for p in result.points] == [p.comparison for p in expected.points]


def test_a_series_shorter_than_n_gets_its_length_where_n_was_not_given():
    vary = {"series": ["fibonacci", "co2"]}
    grid = sweep_grid(TrainConfig(), vary, n_fits_series=True)
    assert [point.config.data.n for point in grid] == [1200, 444]
    with pytest.raises(ValueError, match="grid point series=co2 cannot be trained: n must be at most 444"):
        sweep_grid(TrainConfig(), vary)  # n given: refused, not shortened
    with pytest.raises(ValueError, match="n must be at most 444"):  # n swept: each value as given
        sweep_grid(TrainConfig(), {**vary, "n": [1200]}, n_fits_series=True)
