"""`python -m fibdash`: the tutorial's run without the dashboard, next to the naive baselines."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from fibdash.config import CELLS, MODEL_KINDS, SCALINGS, DataConfig, TrainConfig


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


def main(argv: list[str] | None = None) -> None:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m fibdash", description=__doc__)
    parser.add_argument("--n", type=int, default=defaults.data.n, help="Fibonacci numbers in the series")
    parser.add_argument("--time-steps", type=int, default=defaults.data.time_steps)
    parser.add_argument("--train-fraction", type=float, default=defaults.data.train_fraction)
    parser.add_argument("--scaling", choices=SCALINGS, default=defaults.data.scaling)
    parser.add_argument("--hidden-units", type=int, default=defaults.hidden_units)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--cell", choices=CELLS, default=defaults.cell)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--plain", action="store_true", help="use Keras' plain fit loop (slow reference)")
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    run(config, args.plain)


if __name__ == "__main__":
    main(sys.argv[1:])
