"""`python -m fibdash`: the tutorial's run without the dashboard, next to the naive baselines.

`python -m fibdash study --seeds 10 --out results.csv`: both models over seeds 0..9 instead,
compared seed by seed; the same options set the config. With `--variants`, the variants study: the RNN,
the attention model with every head and an RNN as large as the tutorial's attention model.
`python -m fibdash sweep --vary scaling=minmax,log-minmax --vary hidden_units=2,4,8 --seeds 10
--out sweep.csv`: such a study at every point of a grid over one or two settings.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fibdash.analysis.sweep import PointRunner
from fibdash.command import STUDY_OPTIONS, TRAIN_OPTIONS, option
from fibdash.config import FIELDS, MODEL_KINDS, MODEL_LABELS, DataConfig, TrainConfig, check_int
from fibdash.series import Upload, most_values

if TYPE_CHECKING:
    from fibdash.data import Dataset
    from fibdash.engine.records import Trained

ENGINES = ("numba", "keras")
SWEEP_EXAMPLE = "python -m fibdash sweep --vary hidden_units=2,4,8 --seeds 10 --out sweep.csv"
JOBS_HELP = (
    "run the grid points in N local processes (default 1: one after another in this one); one process "
    "already trains a point's members on every core, so --jobs pays only where there are more cores than "
    "a point has members (the README's Sweeps section has the figures)"
)


def _option_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` as argparse wants it: its ValueError's message, not argparse's own "invalid value"."""

    def parse_option(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse_option


def add_field_options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """One option per field, read and checked by the field itself; its default is the tutorial's; and the
    options of a series from a CSV file."""
    files = parser.add_argument_group("your own series")
    files.add_argument(
        "--csv", type=Path, metavar="PATH", help="a CSV file (UTF-8 text): its column is the series"
    )
    files.add_argument(
        "--column",
        help="the file's column to use (default: its first numeric column that does not just count the rows "
        "0, 1, 2, ... or 1, 2, 3, ...)",
    )
    files.add_argument(
        "--sha256", help="the file's SHA-256, checked before anything trains (the app's commands name it)"
    )
    for name in names:
        field = FIELDS[name]
        default = f"default {field.default}"
        if name == "n":  # None: not given, so the series' length where that is shorter (co2, a file)
            default += ", or the series' length where it is shorter"
        parser.add_argument(
            option(name),
            dest=name,
            type=_option_type(field.parse),
            default=None if name == "n" else field.default,
            metavar="{" + ",".join(map(str, field.choices)) + "}" if field.choices else name.upper(),
            help=f"{field.help} {field.expects[0].upper()}{field.expects[1:]}; {default}.",
        )


def _fitted_n(values: dict[str, Any], upload: Upload | None) -> dict[str, Any]:
    """`values` with n, when not given (None), the tutorial's, or the series' length where that is
    shorter, as the page's n follows a shorter series; an n given stays as given, to be checked."""
    if values.get("n") is not None:
        return values
    most, _ = most_values(values["series"], upload)
    return {**values, "n": min(FIELDS["n"].default, most)}


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The config of the parsed options, by field name; fields without an option keep their default, and
    n without --n fits the series (`_fitted_n`). `--csv` makes the series that file's column. ValueError
    says what cannot be used."""
    values = {name: value for name, value in vars(args).items() if name in FIELDS}
    if args.csv is None:
        if args.column is not None or args.sha256 is not None:
            raise ValueError("--column and --sha256 go with --csv")
        return TrainConfig.from_values(_fitted_n(values, None))
    from fibdash.csv_file import read_csv_file

    if values["series"] not in ("csv", FIELDS["series"].default):
        raise ValueError(f"--csv is the series: it cannot go with --series {values['series']}")
    upload = read_csv_file(args.csv, args.column)
    if args.sha256 is not None and args.sha256.lower() != upload.sha256:
        raise ValueError(f"{args.csv} has SHA-256 {upload.sha256}, not {args.sha256}: it is another file")
    return TrainConfig.from_values(_fitted_n({**values, "series": "csv"}, upload), upload)


def series_length(data: DataConfig) -> str:
    """Whose length `data`'s n is, in words: "the co2 record's length"."""
    if data.upload is not None:
        return f"the length of {data.upload.file_name}'s column {data.upload.column}"
    return f"the {data.series} record's length"  # the built-in series shorter than the tutorial's n: co2


def chosen_for_you(args: argparse.Namespace, config: TrainConfig) -> list[str]:
    """What the command chose that its options did not say, a line each: the file's column without
    --column, and n without --n where the series is shorter than the tutorial's n."""
    lines = []
    if args.csv is not None and args.column is None:
        column = config.data.upload.column
        lines.append(f"column: {column} (the first numeric column that is not a row count)")
    if args.n is None and config.data.n != FIELDS["n"].default:
        lines.append(f"n = {config.data.n} ({series_length(config.data)})")
    return lines


def print_progress(log) -> None:
    """One line per epoch, or one line rewritten in place on a terminal."""
    live = sys.stdout.isatty()
    end = "\n" if log.epoch == log.epochs or not live else ""
    line = (
        f"{log.kind:>9}  epoch {log.epoch:>3}/{log.epochs}  loss {log.loss:.3e}  test MSE {log.test_mse:.3e}"
    )
    print(("\r" if live else "") + line, end=end, flush=True)


def run(config: TrainConfig, engine: str, horizon: int = FIELDS["horizon"].default) -> None:
    from fibdash.analysis.forecast import evaluate, mase_words
    from fibdash.analysis.metrics import autoregression, diagnose, out_of_reach
    from fibdash.data import fold_datasets, make_dataset
    from fibdash.engine.summary import summary_rows

    data = make_dataset(config.data)
    datasets = fold_datasets(config.data, data)
    print(config.describe())
    for dataset in datasets:
        fold = "" if len(datasets) == 1 else f"fold {dataset.config.fold + 1}: "
        print(f"{fold}{dataset.config.n_train} training and {dataset.config.n_test} test windows")
    pairs = []
    for dataset in datasets:
        fold = replace(config, data=dataset.config)
        if engine == "keras":  # the tutorial's own loop, Keras' fit: the reference, about a minute a model
            from fibdash.keras.reference import fit_many

            runs = fit_many(fold, MODEL_KINDS, [config.seed], dataset, print_progress)
            pairs.append({kind: runs[kind][0] for kind in MODEL_KINDS})
        else:
            from fibdash.engine.training import train_pair

            pairs.append(train_pair(fold, dataset.windows(), print_progress))
    how = "one after the other, with Keras' fit," if engine == "keras" else "together"
    for kind in MODEL_KINDS:
        print(f"{MODEL_LABELS[kind]}: {sum(row['Params'] for row in summary_rows(config, kind))} parameters")
    seconds = sum(pair[MODEL_KINDS[-1]].seconds for pair in pairs)
    print(
        f"both models trained {how} in {seconds:.1f} s" + (f", {len(pairs)} folds" if len(pairs) > 1 else "")
    )
    evaluation = evaluate(data, datasets, pairs)
    print(autoregression(datasets[-1]).describe(datasets[-1]))
    print(mase_words(evaluation))
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        if evaluation.folds is not None:
            print("Each fold's scores (the table below is their mean):")
            print(evaluation.folds.to_string(index=False))
        print(evaluation.table.to_string(index=False))
    if reach := out_of_reach(datasets, config.activation):
        print(f"- {reach}")
    for trained, scored in zip(pairs[-1].values(), evaluation.models, strict=True):  # as the pages warn
        for message in diagnose(scored, data, evaluation.baselines, trained.loss_history, config):
            print(f"- {trained.name}: {message}")
    if horizon > 1:
        ahead(list(zip(datasets, pairs, strict=True)), horizon)
    if config.data.series == "lags":
        known_lags(config, datasets[-1], pairs[-1])


def known_lags(config: TrainConfig, data: Dataset, pair: dict[str, Trained]) -> None:
    """Print whether the attention weights, occlusion and gradient x input of `pair` (trained on `data`, a
    backtest's last fold) find the lags series' true lags, as the Compare page says."""
    from fibdash.analysis.explain import lag_precisions, lag_table, lag_words
    from fibdash.engine.inference import importance
    from fibdash.serving.tasks import importance_methods

    fold = pair["rnn"].config  # the fold's config: its test windows are data's
    importances = {
        kind: {
            method: importance(fold, kind, trained.weights, data.test_X, method)
            for method in importance_methods(fold)
        }
        for kind, trained in pair.items()
    }
    precisions = lag_precisions(pair["attention"].attention, importances["attention"], importances["rnn"])
    print("A task whose answer is known: precision at 2 of each measure over the test windows")
    print(lag_table(precisions).to_string(index=False))
    print(lag_words(precisions, config.data.time_steps, config.attention))


# The steps ahead whose errors the command prints, up to the horizon (and the horizon itself).
PRINTED_STEPS = (1, 2, 3, 5, 10, 20, 30, 40, 50)


def ahead(folds: list, horizon: int) -> None:
    """Print every predictor's forecast error by step ahead, from each test window, `horizon` steps."""
    from fibdash.analysis.forecast import error_by_step, forecast, forecast_note
    from fibdash.serving.tasks import predict_each

    errors = error_by_step(forecast(folds, horizon, predict_each))
    steps = sorted({step for step in PRINTED_STEPS if step < horizon} | {horizon})
    shown = errors[errors["step"].isin(steps)]
    print(f"Forecasts {horizon} steps ahead from every test window, each predictor fed its own forecasts:")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        for measure in ("MAE", "MdAPE %"):
            table = shown.pivot(index="step", columns="predictor", values=measure)[
                list(dict.fromkeys(shown["predictor"]))
            ]
            print(f"{measure} by step ahead{' (series units)' if measure == 'MAE' else ''}:")
            print(table.to_string())
    if note := forecast_note(folds[0][0]):
        print(note)


def study(config: TrainConfig, seeds: int, out: Path | None) -> None:
    from fibdash.analysis.metrics import diverged_seeds
    from fibdash.analysis.study import run_study, summary_table, verdict
    from fibdash.data import make_dataset

    print(f"Study of both models over seeds 0..{seeds - 1} of: {config.describe(with_seed=False)}")
    print(f"Loss and test MSE per epoch are medians over the {seeds} seeds.")
    data = make_dataset(config.data)
    result = run_study(config, range(seeds), print_progress, data)
    folds = result.fold_runs or (result.runs,)
    steps = sum(run.steps for fold in folds for runs in fold.values() for run in runs)
    each = f" on each of {len(folds)} folds" if len(folds) > 1 else ""
    print(f"{len(result.table)} runs{each}, {steps} optimizer steps, in {result.seconds:.1f} s")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        print(summary_table(result.table).to_string())
    if diverged := diverged_seeds(result.loss_histories(), data, config):  # as the Robustness page says it
        print(diverged)
    print(verdict(result.comparison, config))
    if out is not None:
        result.table.to_csv(out, index=False)
        print(f"wrote {len(result.table)} rows, one per model and seed, to {out}")


def variants(config: TrainConfig, seeds: int, out: Path | None, attention_given: bool) -> None:
    """The Robustness page's "Which attention?" study: every model's table, the matched RNN and a verdict
    per head, as the page says them."""
    from fibdash.analysis.metrics import diverged_seeds
    from fibdash.analysis.variants import (
        head_verdicts,
        labels,
        lags_sentence,
        matched_sentence,
        run_variants,
        shared_config,
        trainings,
        variants_table,
    )
    from fibdash.data import make_dataset

    names = labels(config)
    if attention_given:
        print("--attention plays no part in a variants study: every head trains.")
    print(f"Variants study over seeds 0..{seeds - 1} of: {shared_config(config).describe(with_seed=False)}")
    calls = "; ".join(" and ".join(names[name] for name in training.names) for training in trainings(config))
    print(f"Trains, one after another: {calls}.")
    print(f"Loss and test MSE per epoch are medians over the {seeds} seeds.")
    data = make_dataset(config.data)
    result = run_variants(config, range(seeds), print_progress, data)
    print(f"{len(result.table)} runs in {result.seconds:.1f} s")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 250):
        print(variants_table(result).to_string(index=False))
    if lags := lags_sentence(result):
        print(lags)
    if diverged := diverged_seeds(result.loss_histories(), data, config, names):
        print(diverged)
    print(matched_sentence(result))
    for head, answers in head_verdicts(result).items():
        print(f"{names[head]}:")
        for question, answer in answers.items():
            print(f"  {question} {answer}")
    if out is not None:
        result.table.to_csv(out, index=False)
        print(f"wrote {len(result.table)} rows, one per model and seed, to {out}")


def sweep(
    config: TrainConfig,
    vary: dict[str, tuple],
    seeds: int,
    out: Path | None,
    done: pd.DataFrame | None,
    point_runner: PointRunner | None,
    where: str,
    n_fits_series: bool = False,
) -> None:
    """Run the sweep, appending each grid point's rows to `out` as it finishes; `done`: `out`'s rows.
    `n_fits_series`: n was not given, so a point's shorter series gets its own length (said)."""
    from fibdash.analysis.sweep import finished_points, fixed_settings, point_verdict, run_sweep, sweep_grid

    grid = sweep_grid(config, vary, n_fits_series)
    resumed = len(finished_points(done, grid, seeds)) if done is not None else 0
    axes = " x ".join(f"{len(values)} {name}" for name, values in vary.items())
    print(
        f"Sweep over {axes}: {len(grid)} grid points, {where}; at each, both models over seeds 0..{seeds - 1}"
    )
    print(f"Other settings: {fixed_settings(config, vary)}")
    for point in grid:
        if point.config.data.n != config.data.n:
            print(f"n = {point.config.data.n} at {point.describe()} ({series_length(point.config.data)})")
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

    result = run_sweep(config, vary, seeds, print_progress, on_point, done, point_runner, n_fits_series)
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
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=ENGINES[0],
        help="numba: fibdash's engine (default); keras: the tutorial's own loop, Keras' fit, the engine's "
        "reference (loads TensorFlow; about a minute a model at the tutorial's settings)",
    )
    return parser


def study_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fibdash study",
        description="Train both models over seeds 0..N-1 and compare them seed by seed.",
    )
    add_field_options(parser, STUDY_OPTIONS)
    parser.add_argument("--out", type=Path, help="CSV file for the per-seed table")
    parser.add_argument(
        "--variants",
        action="store_true",
        help="the variants study instead (the Robustness page's 'Which attention?'): the RNN, the attention "
        "model with every head (--attention plays no part) and an RNN with about as many parameters as the "
        "tutorial's attention model, each head against uniform, the RNN and that RNN",
    )
    return parser


def parse_config(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[argparse.Namespace, TrainConfig]:
    """The options and their config, with what was chosen for them said; a config the engine refuses
    exits as a usage error, with its reason."""
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    for line in chosen_for_you(args, config):
        print(line)
    return args, config


def sweep_parser() -> argparse.ArgumentParser:
    from fibdash.analysis.sweep import SWEEPABLE, parse_vary

    parser = argparse.ArgumentParser(
        prog="python -m fibdash sweep",
        description="A seed study of both models at every point of a grid over one or two settings.",
    )
    parser.add_argument(
        "--vary",
        action="append",
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
    from fibdash.analysis.sweep import finished_points, sweep_grid
    from fibdash.sweep_runners import in_processes, on_ray

    parser = sweep_parser()
    args = parser.parse_args(argv)
    if args.vary is None:
        parser.error(f"say which settings to vary and their values with --vary, for example: {SWEEP_EXAMPLE}")
    vary = dict(args.vary)
    # without --n (and n not swept), each point's n fits its series, as the page's n follows a series
    n_fits_series = args.n is None and "n" not in vary
    try:
        if len(vary) < len(args.vary):
            raise ValueError("each setting may be given to --vary once")
        check_int("--jobs", args.jobs, 1)
        # the options' values of the swept settings play no part: the first grid point's stand in, but for
        # a series whose n fits each point: the longest, so that the others' n is shortened from the base's
        stand_in = {name: values[0] for name, values in vary.items()}
        if n_fits_series and "series" in vary:
            stand_in["series"] = max(vary["series"], key=lambda series: most_values(series)[0])
        config = config_from_args(argparse.Namespace(**{**vars(args), **stand_in}))
        grid = sweep_grid(config, vary, n_fits_series)
    except ValueError as error:
        parser.error(str(error))
    for line in chosen_for_you(args, config):
        print(line)
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
        point_runner, where = on_ray(args.ray or None), "as Ray tasks"
    elif args.jobs > 1:
        point_runner, where = in_processes(args.jobs), f"in {args.jobs} local processes"
    else:
        point_runner, where = None, "one after another"
    sweep(config, vary, args.seeds, args.out, done, point_runner, where, n_fits_series)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["study"]:
        args, config = parse_config(study_parser(), argv[1:])
        if args.variants:
            given = any(word.split("=")[0] == option("attention") for word in argv[1:])
            variants(config, args.seeds, args.out, given)
        else:
            study(config, args.seeds, args.out)
    elif argv[:1] == ["sweep"]:
        sweep_main(argv[1:])
    else:
        args, config = parse_config(train_parser(), argv)
        run(config, args.engine, args.horizon)


if __name__ == "__main__":
    main(sys.argv[1:])
    if sys.argv[1:2] != ["sweep"]:  # a sweep may have started Ray or processes: they stop at exit
        # All is printed and written. The interpreter's teardown (and, after --engine keras,
        # TensorFlow's destructors) takes time a finished command does not need: leave without it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
