"""`python -m fibdash`: the tutorial's run without the dashboard, next to the naive baselines.

`python -m fibdash study --seeds 10 --out results.csv`: both models over seeds 0..9 instead,
compared seed by seed; the same options set the config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fibdash.config import CELLS, MODEL_KINDS, SCALINGS, DataConfig, TrainConfig, check_int


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    data = DataConfig(args.n, args.time_steps, args.train_fraction, args.scaling)
    return TrainConfig(
        data, args.hidden_units, args.epochs, args.batch_size, args.learning_rate, args.cell, seed=args.seed
    )


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
    from fibdash.metrics import naive_baselines, scores_table
    from fibdash.training import train

    data = make_dataset(config.data)
    print(f"{config}\n{data.config.n_train} training and {data.config.n_test} test windows")
    results = [train(config, kind, print_progress, fast=not plain, data=data) for kind in MODEL_KINDS]
    for r in results:
        print(f"{r.scores.name}: {r.model.count_params()} parameters, trained in {r.seconds:.1f} s")
    table = scores_table([r.scores for r in results] + naive_baselines(data))
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        print(table.to_string(index=False))


def study(config: TrainConfig, seeds: int, out: Path | None) -> None:
    from fibdash.study import run_study, summary_table, verdict

    print(f"Study of both models over seeds 0..{seeds - 1} of: {config.describe(with_seed=False)}")
    print(f"Loss and test MSE per epoch are medians over the {seeds} seeds.")
    result = run_study(config, range(seeds), print_progress)
    steps = sum(run.steps for runs in result.runs.values() for run in runs)
    print(f"{len(result.table)} runs, {steps} optimizer steps, in {result.seconds:.1f} s")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        print(summary_table(result.table).to_string())
    print(verdict(result.comparison, config))
    if out is not None:
        result.table.to_csv(out, index=False)
        print(f"wrote {len(result.table)} rows, one per model and seed, to {out}")


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """The options that set a TrainConfig, its seed apart."""
    defaults = TrainConfig()
    parser.add_argument("--n", type=int, default=defaults.data.n, help="Fibonacci numbers in the series")
    parser.add_argument("--time-steps", type=int, default=defaults.data.time_steps)
    parser.add_argument("--train-fraction", type=float, default=defaults.data.train_fraction)
    parser.add_argument("--scaling", choices=SCALINGS, default=defaults.data.scaling)
    parser.add_argument("--hidden-units", type=int, default=defaults.hidden_units)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--cell", choices=CELLS, default=defaults.cell)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["study"]:
        study_main(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m fibdash", description=__doc__)
    add_config_options(parser)
    parser.add_argument("--seed", type=int, default=TrainConfig().seed)
    parser.add_argument("--plain", action="store_true", help="use Keras' plain fit loop (slow reference)")
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    run(config, args.plain)


def study_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fibdash study",
        description="Train both models over seeds 0..N-1 and compare them seed by seed.",
    )
    add_config_options(parser)
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds, from 0 (default 10)")
    parser.add_argument("--out", type=Path, help="CSV file for the per-seed table")
    parser.set_defaults(seed=TrainConfig().seed)  # unused: each seed of the study replaces it
    args = parser.parse_args(argv)
    try:
        check_int("--seeds", args.seeds, 1)
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    study(config, args.seeds, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
