"""`python -m fibdash`: the tutorial's run without the dashboard, next to the naive baselines.

`python -m fibdash study --seeds 10 --out results.csv`: both models over seeds 0..9 instead,
compared seed by seed; the same options set the config.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fibdash.config import FIELDS, MODEL_KINDS, Field, TrainConfig, train_config

# The settings each command takes, one option per field of the registry.
TRAIN_OPTIONS = tuple(name for name in FIELDS if name != "seeds")
STUDY_OPTIONS = tuple(name for name in FIELDS if name != "seed")  # each seed of the study replaces it


def option(name: str) -> str:
    """A field's command-line option: --time-steps for time_steps."""
    return "--" + name.replace("_", "-")


def _option_type(field: Field) -> Callable[[str], Any]:
    """`field.parse` as argparse wants it: its message, not argparse's own "invalid value"."""

    def parse(text: str) -> Any:
        try:
            return field.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def add_field_options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """One option per field, read and checked by the field itself; its default is the tutorial's."""
    for name in names:
        field = FIELDS[name]
        parser.add_argument(
            option(name),
            dest=name,
            type=_option_type(field),
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


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["study"]:
        args, config = parse_config(study_parser(), argv[1:])
        study(config, args.seeds, args.out)
    else:
        args, config = parse_config(train_parser(), argv)
        run(config, args.plain)


if __name__ == "__main__":
    main(sys.argv[1:])
