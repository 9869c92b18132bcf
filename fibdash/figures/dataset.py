"""The Dataset page's figures: the series, what scaling makes of it, the targets, the split and a backtest's
folds."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from fibdash.data import Dataset, tiny_target_share
from fibdash.figures.style import (
    FOLD_COLOURS,
    SPLIT_COLOURS,
    TRUTH_COLOUR,
    labelled_line,
    new_figure,
)


def log_axis(data: Dataset) -> bool:
    """Whether the series' values are drawn on a log axis: where they are all above 0 and span more than
    two orders of magnitude (Fibonacci's grow exponentially)."""
    low, high = float(data.series.min()), float(data.series.max())
    return low > 0 and high / low > 100


def series_figure(data: Dataset) -> go.Figure:
    """The series as generated or read, on a log axis where it spans orders of magnitude."""
    log = log_axis(data)
    title = f"{data.config.series.capitalize()} series" + (" (log scale)" if log else "")
    if data.config.upload is not None:
        title = f"Your series: {data.value_name}"
    figure = new_figure(
        title, "index in the series", data.value_name if data.config.upload else "value", log_y=log
    )
    figure.add_scatter(x=np.arange(data.config.n), y=data.series, mode="lines", line_color=TRUTH_COLOUR)
    return figure


def scaled_series_figure(data: Dataset) -> go.Figure:
    """The series after scaling: what the networks actually see; under window scaling, each value over the
    one before it, as the windows' targets are. A line at 1, a tanh output's top, where values pass it."""
    title = f"Series after '{data.config.scaling}' scaling"
    if data.config.scaling == "window":
        title = "Each value over the one before: window scaling's targets"
    figure = new_figure(title, "index in the series", "scaled value")
    figure.add_scatter(x=np.arange(data.config.n), y=data.scaled, mode="lines", line_color=TRUTH_COLOUR)
    if np.nanmax(data.scaled) > 1:
        labelled_line(figure, 1.0, "tanh's<br>limit", line_dash="dash")
    return figure


def target_histogram(data: Dataset) -> go.Figure:
    """Distribution of the scaled targets; MinMax piles almost all of them at zero.

    Counts on a log axis, so the few targets MinMax leaves away from zero still show.
    """
    tiny = tiny_target_share(data)
    title = f"Scaled targets: {tiny:.1%} are below 1e-6" if tiny >= 0.01 else "Scaled targets"
    figure = new_figure(title, "scaled target value", "number of windows (log scale)", log_y=True)
    figure.add_histogram(x=data.y, nbinsx=50, marker_color=TRUTH_COLOUR)
    figure.update_yaxes(exponentformat="none")
    return figure


def split_figure(data: Dataset) -> go.Figure:
    """Where the training and test windows' targets sit along the series."""
    figure = new_figure("Train/test split along the series", "index of the target in the series", "")
    for split, rows in (("train", data.train_idx), ("test", data.test_idx)):
        figure.add_scatter(
            x=data.positions[rows],
            y=[split] * len(rows),
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 14, "color": SPLIT_COLOURS[split]},
            name=f"{split} ({len(rows)})",
        )
    figure.update_layout(height=260, showlegend=False)
    return figure


def windows_figure(data: Dataset) -> go.Figure:
    """Where the training and test windows sit along the series: a backtest's folds, or the one split."""
    return folds_figure(data) if data.config.split == "backtest" else split_figure(data)


def folds_figure(data: Dataset) -> go.Figure:
    """A backtest's folds, one row each, as sktime draws them: the windows each trains on (their targets'
    span along the series), the block it tests on, and those it does not use."""
    config = data.config
    figure = new_figure(f"Backtest: {config.folds} expanding folds", "index of the target in the series", "")
    first, last = int(data.positions[0]), int(data.positions[-1])
    shown = set()
    for fold in range(config.folds):
        start, stop = config.fold_rows(fold)
        label = f"fold {fold + 1}"
        spans = [
            ("train", first, int(data.positions[start - 1])),
            ("test", int(data.positions[start]), int(data.positions[stop - 1])),
        ]
        if stop < len(data.positions):
            spans.append(("not used", int(data.positions[stop]), last))
        for split, low, high in spans:
            figure.add_scatter(
                x=[low - 0.5, high + 0.5],
                y=[label, label],
                mode="lines",
                line={"color": FOLD_COLOURS[split], "width": 12},
                name=split,
                legendgroup=split,
                showlegend=split not in shown,
                hovertemplate=f"{label}, {split}: targets {low} to {high}<extra></extra>",
            )
            shown.add(split)
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_layout(height=180 + 28 * config.folds)
    return figure
