"""The Robustness page's figures: every seed of a study, and the ratio of the models seed by seed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from fibdash.config import MODEL_LABELS
from fibdash.figures.style import (
    TRUTH_COLOUR,
    colour,
    drawable,
    labelled_line,
    new_figure,
    not_shown,
    noted,
    styled,
)


def study_figure(
    table: pd.DataFrame,
    labels: Mapping[str, str] = MODEL_LABELS,
    title: str = "Test MSE of every seed (lower is better)",
) -> go.Figure:
    """Every seed's test MSE per model: a box with each seed's point, log axis; hover names the seed.

    `table` is a study table: one row per model and seed, with its test MSE; `labels` names each model
    (by kind, or by name in a variants study).
    """
    figure = new_figure(title, "", "test MSE (scaled values)", log_y=True)
    hidden: Counter[str] = Counter()
    for model, rows in table.groupby("model", sort=False):
        figure.add_box(
            y=drawable(rows["test MSE"], hidden),
            name=labels[model],
            customdata=rows["seed"],
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            marker={"color": colour(model), "size": 8},
            line={"color": colour(model)},
            fillcolor="rgba(0,0,0,0)",
            hovertemplate="seed %{customdata}: test MSE %{y:.3e}<extra>%{fullData.name}</extra>",
        )
    figure.update_layout(showlegend=False)
    return noted(figure, not_shown(hidden))


def spread_figure(table: pd.DataFrame, printed: Mapping[str, float]) -> go.Figure:
    """`study_figure` of every seed's test MSE with another run's figure per model marked beside its
    seeds (the tutorial's printed one): `printed` by model kind."""
    figure = styled(study_figure(table), "Test MSE of every seed, and the tutorial's one run")
    for kind, value in printed.items():
        figure.add_scatter(
            x=[MODEL_LABELS[kind]],
            y=[value],
            mode="markers",
            marker={"symbol": "diamond-open", "size": 16, "color": TRUTH_COLOUR, "line": {"width": 2}},
            name="the tutorial's run",
            showlegend=kind == next(iter(printed)),
            hovertemplate="the tutorial's run: test MSE %{y:.3e}<extra></extra>",
        )
    figure.update_layout(showlegend=True)
    return figure


def ratio_figure(paired: pd.DataFrame) -> go.Figure:
    """Attention's test MSE over the RNN's, seed by seed, log axis: below 1, attention won that seed."""
    ratio = paired["ratio (attention / RNN)"].to_numpy(dtype=float)
    hidden: Counter[str] = Counter()
    figure = new_figure("Test MSE ratio per seed: attention / RNN", "seed", "ratio (log scale)", log_y=True)
    figure.add_bar(  # from 1 to the ratio: up where the RNN was better, down where attention was
        x=paired["seed"].astype(str),
        y=drawable(ratio, hidden) - 1,
        base=1,
        customdata=ratio,
        marker_color=[colour(MODEL_LABELS["attention" if r < 1 else "rnn"]) for r in ratio],
        hovertemplate="seed %{x}: ratio %{customdata:.3g}<extra></extra>",
    )
    labelled_line(figure, 1, "equal")
    figure.update_xaxes(type="category")
    return noted(figure, not_shown(hidden))
