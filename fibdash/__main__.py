"""`python -m fibdash`: the tutorial's run without the dashboard, next to the naive baselines.

`python -m fibdash study --seeds 10 --out results.csv`: both models over seeds 0..9 instead,
compared seed by seed; the same options set the config.
`python -m fibdash sweep --vary scaling=minmax,log-minmax --vary hidden_units=2,4,8 --seeds 10
--out sweep.csv`: such a study at every point of a grid over one or two settings.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fibdash.config import FIELDS, MODEL_KINDS, TrainConfig, check_int, train_config

if TYPE_CHECKING:
    from fibdash.sweep import Runner

# The settings each command takes, one option per field of the registry.
TRAIN_OPTIONS = tuple(name for name in FIELDS if name != "seeds")
STUDY_OPTIONS = tuple(name for name in FIELDS if name != "seed")  # each seed of the study replaces it
JOBS_HELP = (
    "run the grid points in N local processes (default 1: one after another in this one); each "
    "process loads TensorFlow and compiles for itself, so on 2 cores --jobs 2 gains little (measured: "
    "1.2x faster on a quiet machine, 1.1x slower on a busy one): it pays on more cores"
)


def option(name: str) -> str:
    """A field's command-line option: --time-steps for time_steps."""
    return "--" + name.replace("_", "-")


def _option_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` as argparse wants it: its ValueError's message, not argparse's own "invalid value"."""

    def parse_option(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse_option


def add_field_options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """One option per field, read and checked by the field itself; its default is the tutorial's."""
    for name in names:
        field = FIELDS[name]
        parser.add_argument(
            option(name),
            dest=name,
            type=_option_type(field.parse),
            default=field.default,
            metavar="{" + ",".join(map(str, field.choices)) + "}" if field.choices else name.upper(),
            help=f"{field.help} {field.expects[0].upper()}{field.expects[1:]}; default {field.default}.",
        )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The config of the parsed options, by field name; fields without an option keep their default."""
    return train_config({name: value for name, value in vars(args).items() if name in FIELDS})


def print_progress(log) -> None:
    """One line per epoch, or one line rewritten in place on a terminal."""
    live = sys.stdout.isatty()
    end = "\n" if log.epoch == log.epochs or not live else ""
    line = (
        f"{log.kind:>9}  epoch {log.epoch:>3}/{log.epochs}  loss {log.loss:.3e}  test MSE {log.test_mse:.3e}"
    )
    print(("\r" if live else "") + line, end=end, flush=True)


def run(config: TrainConfig, plain: bool) -> None:
    from fibdash.data import make_dataset
    from fibdash.metrics import diagnose, naive_baselines, scores_table
    from fibdash.training import train_pair

    data = make_dataset(config.data)
    print(f"{config}\n{data.config.n_train} training and {data.config.n_test} test windows")
    results = list(train_pair(config, print_progress, fast=not plain, data=data).values())
    for r in results:
        print(f"{r.scores.name}: {r.model.count_params()} parameters")
    print(f"both models trained together in {results[0].seconds:.1f} s")
    baselines = naive_baselines(data)
    table = scores_table([r.scores for r in results] + baselines)
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        print(table.to_string(index=False))
    for r in results:  # what the Train and Compare pages warn of, such as a training that diverged
        for message in diagnose(r.scores, data, baselines, r.loss_history, config):
            print(f"- {r.scores.name}: {message}")


def study(config: TrainConfig, seeds: int, out: Path | None) -> None:
    from fibdash.data import make_dataset
    from fibdash.metrics import diverged_seeds
    from fibdash.study import run_study, summary_table, verdict

    print(f"Study of both models over seeds 0..{seeds - 1} of: {config.describe(with_seed=False)}")
    print(f"Loss and test MSE per epoch are medians over the {seeds} seeds.")
    data = make_dataset(config.data)
    result = run_study(config, range(seeds), print_progress, data)
    steps = sum(run.steps for runs in result.runs.values() for run in runs)
    print(f"{len(result.table)} runs, {steps} optimizer steps, in {result.seconds:.1f} s")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        print(summary_table(result.table).to_string())
    histories = {kind: [run.loss_history for run in runs] for kind, runs in result.runs.items()}
    if diverged := diverged_seeds(histories, data, config):  # as the Robustness page says it
        print(diverged)
    print(verdict(result.comparison, config))
    if out is not None:
        result.table.to_csv(out, index=False)
        print(f"wrote {len(result.table)} rows, one per model and seed, to {out}")


def sweep(
    config: TrainConfig,
    vary: dict[str, tuple],
    seeds: int,
    out: Path | None,
    done: pd.DataFrame | None,
    runner: Runner | None,
    where: str,
) -> None:
    """Run the sweep, appending each grid point's rows to `out` as it finishes; `done`: `out`'s rows."""
    from fibdash.sweep import finished_points, fixed_settings, point_verdict, run_sweep, sweep_grid

    grid = sweep_grid(config, vary)
    resumed = len(finished_points(done, grid, seeds)) if done is not None else 0
    axes = " x ".join(f"{len(values)} {name}" for name, values in vary.items())
    print(
        f"Sweep over {axes}: {len(grid)} grid points, {where}; at each, both models over seeds 0..{seeds - 1}"
    )
    print(f"Other settings: {fixed_settings(config, vary)}")
    if resumed:
        print(f"Resuming {out}: {resumed} of {len(grid)} grid points are done")
    finished = itertools.count(resumed + 1)

    def on_point(result) -> None:
        if out is not None:
            result.table.to_csv(out, mode="a", header=not out.exists() or not out.stat().st_size, index=False)
        c = result.comparison
        print(
            f"[{next(finished)}/{len(grid)}] {result.point.describe()}: attention lowered the test MSE in "
            f"{c.wins} of {c.pairs} seeds, median ratio {c.median_ratio:.3g} ({result.seconds:.1f} s)",
            flush=True,
        )
        if result.diverged:  # as the Sweep page says it, point by point
            print(f"  {result.diverged}", flush=True)

    result = run_sweep(config, vary, seeds, print_progress, on_point, done, runner)
    trained = len(result.points) - resumed
    print(f"{trained} grid points, {trained * seeds * len(MODEL_KINDS)} trainings, in {result.seconds:.1f} s")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        print(result.comparisons().to_string(index=False))
    for point in result.points:
        print(f"- {point_verdict(point)}")
    if out is not None:
        print(f"{out} holds {len(result.table)} rows, one per grid point, model and seed")


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fibdash", description=__doc__)
    add_field_options(parser, TRAIN_OPTIONS)
    parser.add_argument("--plain", action="store_true", help="use Keras' plain fit loop (slow reference)")
    return parser


def study_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fibdash study",
        description="Train both models over seeds 0..N-1 and compare them seed by seed.",
    )
    add_field_options(parser, STUDY_OPTIONS)
    parser.add_argument("--out", type=Path, help="CSV file for the per-seed table")
    return parser


def parse_config(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[argparse.Namespace, TrainConfig]:
    """The options and their config; a config the engine refuses exits as a usage error, with its reason."""
    args = parser.parse_args(argv)
    try:
        return args, config_from_args(args)
    except ValueError as error:
        parser.error(str(error))


def sweep_parser() -> argparse.ArgumentParser:
    from fibdash.sweep import SWEEPABLE, parse_vary

    parser = argparse.ArgumentParser(
        prog="python -m fibdash sweep",
        description="A seed study of both models at every point of a grid over one or two settings.",
    )
    parser.add_argument(
        "--vary",
        action="append",
        required=True,
        type=_option_type(parse_vary),
        metavar="SETTING=VALUE,VALUE,...",
        help="a setting and its values, given once or twice (the grid is every combination); "
        f"settings: {', '.join(SWEEPABLE)}",
    )
    add_field_options(parser, STUDY_OPTIONS)
    parser.add_argument(
        "--out",
        type=Path,
        help="CSV file: each grid point's rows are appended as it finishes; run again to resume",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, default=1, help=JOBS_HELP)
    where.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run the grid points as Ray tasks on the cluster at ADDRESS, else RAY_ADDRESS's, else one "
        "started on this machine (needs requirements-ray.txt)",
    )
    return parser


def sweep_main(argv: list[str]) -> None:
    from fibdash.sweep import finished_points, in_processes, on_ray, sweep_grid

    parser = sweep_parser()
    args = parser.parse_args(argv)
    vary = dict(args.vary)
    try:
        if len(vary) < len(args.vary):
            raise ValueError("each setting may be given to --vary once")
        check_int("--jobs", args.jobs, 1)
        # the options' values of the swept settings play no part: the first grid point's stand in
        config = config_from_args(argparse.Namespace(**{**vars(args), **{k: v[0] for k, v in vary.items()}}))
        grid = sweep_grid(config, vary)
    except ValueError as error:
        parser.error(str(error))
    done = None
    if args.out is not None and args.out.exists() and args.out.stat().st_size:
        try:  # refused before anything trains: appending to another sweep's file would mix two sweeps
            done = pd.read_csv(args.out)
            finished_points(done, grid, args.seeds)
        except ValueError as error:
            parser.error(
                f"cannot resume {args.out}: {error}; give another --out, or the settings that made it"
            )
    if args.ray is not None:
        runner, where = on_ray(args.ray or None), "as Ray tasks"
    elif args.jobs > 1:
        runner, where = in_processes(args.jobs), f"in {args.jobs} local processes"
    else:
        runner, where = None, "one after another"
    sweep(config, vary, args.seeds, args.out, done, runner, where)


def _option_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def command_line(config: TrainConfig, seeds: int | None = None, vary: dict[str, tuple] | None = None) -> str:
    """The command that gives `config`'s numbers: `python -m fibdash` for one run of both models, with
    `seeds` its `study`, with `vary` too its `sweep`; every setting that is not the default is named."""
    values = {**asdict(config.data), **asdict(config)}
    if vary is None and seeds is None:
        words, names = ["python -m fibdash"], TRAIN_OPTIONS
    else:
        words = ["python -m fibdash", "study" if vary is None else "sweep"]
        names = tuple(name for name in STUDY_OPTIONS if name != "seeds" and name not in (vary or {}))
        for name, swept in (vary or {}).items():
            words.append(f"--vary {name}={','.join(map(_option_text, swept))}")
        words.append(f"--seeds {seeds}")
    words += [
        f"{option(name)} {_option_text(values[name])}"
        for name in names
        if values[name] != FIELDS[name].default
    ]
    return " ".join(words)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["study"]:
        args, config = parse_config(study_parser(), argv[1:])
        study(config, args.seeds, args.out)
    elif argv[:1] == ["sweep"]:
        sweep_main(argv[1:])
    else:
        args, config = parse_config(train_parser(), argv)
        run(config, args.plain)


if __name__ == "__main__":
    main(sys.argv[1:])
    if sys.argv[1:2] != ["sweep"]:  # a sweep may have started Ray or processes: they stop at exit
        # All is printed and written. The interpreter's teardown would take about a second more,
        # TensorFlow's destructors mostly, for nothing a finished command needs: leave without it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
