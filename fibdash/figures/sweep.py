"""The Sweep page's figures: a study at every grid point of one or two swept settings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fibdash.config import MODEL_LABELS, written
from fibdash.figures.style import (
    CHAR_EM,
    LINE_EM,
    LOG_AXIS_LIMITS,
    MODEL_COLOURS,
    TRUTH_COLOUR,
    canvas,
    colour,
    drawable,
    new_figure,
    not_shown,
    noted,
    styled,
)

# Parallel coordinates: labels smaller than the rest, as up to five axes share a phone's width, and
# the axes' names rising to the right, where neighbours' run side by side half the axes' spacing apart
# (sin 30°) however long they are. Plotly starts a name 28 px above its axis, and writes a number
# axis' ends above and below it.
PARCOORDS_FONT = 11
PARCOORDS_TILT = 30  # degrees
PARCOORDS_NAME_OFFSET = 28
PARCOORDS_RANGE_ROOM = 30  # px under the axes for their lower ends
PARCOORDS_TICK_GAP = 10  # px between an axis and its tick labels, and to spare


def _labels(values: Sequence) -> list[str]:
    """Setting values as axis labels, as the sidebar writes them: 0.001, not 0.0010000000000000002."""
    return [written(value) for value in values]


def sweep_figure(summary: pd.DataFrame, ratios: pd.DataFrame, name: str) -> go.Figure:
    """One swept setting: each model's median test MSE over the seeds with its 95% interval, and below,
    how often attention won, for every value of `name`.

    `summary` and `ratios` are `fibdash.analysis.sweep.model_summary` and `ratio_summary` of the sweep.
    """
    figure = canvas(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.1)
    styled(figure, f"Median test MSE over the seeds, and attention's wins, by {name}")
    hidden: Counter[str] = Counter()
    for kind, rows in summary.groupby("model", sort=False):
        label, x = MODEL_LABELS[kind], _labels(rows[name])
        low, high = (rows[bound].to_numpy(dtype=float) for bound in ("low", "high"))
        banded = np.isfinite(low) & np.isfinite(high) & (low > 0)
        band_x = [v for v, ok in zip(x, banded, strict=True) if ok]
        figure.add_scatter(  # the interval as a shaded band: up along the highs, back along the lows
            x=band_x + band_x[::-1],
            y=np.concatenate([high[banded], low[banded][::-1]]),
            fill="toself",
            fillcolor=colour(label),
            opacity=0.15,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            row=1,
            col=1,
        )
        figure.add_scatter(
            x=x,
            y=drawable(rows["median test MSE"], hidden),
            mode="lines+markers",
            name=f"{label}: median, 95% interval",
            line_color=colour(label),
            row=1,
            col=1,
        )
    seeds = ratios["seeds compared"].to_numpy(dtype=float)
    wins = ratios["wins"].to_numpy(dtype=float)
    figure.add_bar(
        x=_labels(ratios[name]),
        y=np.divide(wins, seeds, out=np.full_like(wins, np.nan), where=seeds > 0),
        text=[f"{w:.0f} of {s:.0f}" for w, s in zip(wins, seeds, strict=True)],
        marker_color=MODEL_COLOURS["attention"],
        name="attention's win rate",
        row=2,
        col=1,
    )
    figure.add_hline(y=0.5, line_dash="dash", line_color=TRUTH_COLOUR, row=2, col=1)
    figure.update_yaxes(
        type="log", exponentformat="power", title_text="test MSE", row=1, col=1, **LOG_AXIS_LIMITS
    )
    figure.update_yaxes(range=[0, 1], title_text="win rate", row=2, col=1)
    figure.update_xaxes(type="category", title_text=name, row=2, col=1)
    return noted(figure, not_shown(hidden, "medians not shown"))


def sweep_heatmap(ratios: pd.DataFrame, names: Sequence[str]) -> go.Figure:
    """Two swept settings: the median log10 ratio of test MSEs (attention / RNN) in each cell, red
    where attention did better, blue where the RNN did, with attention's wins written in."""
    first, second = names
    grid = ratios.pivot(index=second, columns=first, values="median log10 ratio")
    wins = ratios.pivot(index=second, columns=first, values="wins")
    seeds = ratios.pivot(index=second, columns=first, values="seeds compared")
    figure = new_figure(f"Attention / RNN test MSE by {first} and {second}", first, second)
    z = grid.to_numpy(dtype=float)
    figure.add_heatmap(
        z=z,
        x=_labels(grid.columns),
        y=_labels(grid.index),
        text=[
            [f"{w:.0f} of {s:.0f}" for w, s in zip(w_row, s_row, strict=True)]
            for w_row, s_row in zip(wins.to_numpy(), seeds.to_numpy(), strict=True)
        ],
        texttemplate="%{text}",
        colorscale="RdBu",
        zmid=0,
        colorbar={"title": {"text": "median log10<br>ratio"}},
        hovertemplate=f"{first} %{{x}}, {second} %{{y}}: median log10 ratio %{{z:.2f}}, "
        "attention won %{text}<extra></extra>",
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category")
    empty = int(np.isnan(z).sum())
    return noted(
        figure,
        "below 0: attention's test MSE was lower; cells say in how many seeds attention won",
        f"{empty} cells without a finite ratio" if empty else "",
    )


def _category_axis(label: str, values: pd.Series, between: bool) -> dict:
    """A parallel-coordinates axis with a tick per value, in the order they come; with `between`, the
    values sit between the axis' ends instead of on them, so that they pass a neighbour's."""
    order = list(dict.fromkeys(values))
    axis = {
        "label": label,
        "values": values.map(order.index),
        "tickvals": list(range(len(order))),
        "ticktext": _labels(order),
    }
    return {**axis, "range": [-0.5, len(order) - 0.5]} if between else axis


def sweep_parallel(table: pd.DataFrame, names: Sequence[str]) -> go.Figure:
    """Every run of a sweep as a line through its model, swept settings, seed and test MSE (log10),
    coloured by its test MSE.

    Sized for a phone, where the axes stand about 50 px apart: a label longer than that reaches past the
    axis to its left. So the model, whose labels are the longest, comes first, its labels in a left margin
    made for them; every other axis with a tick per value places its values between its ends, where its
    long labels pass its neighbours'; and the last axis is the colour scale, leaving no colour bar to
    cover an axis.
    """
    mse = table["test MSE"].to_numpy(dtype=float)
    finite = np.isfinite(mse) & (mse > 0)
    rows = table[finite]
    dimensions = [_category_axis("model", rows["model"].map(MODEL_LABELS), between=False)]
    for index, name in enumerate(names, start=1):
        dimensions.append(_category_axis(name, rows[name], between=index % 2 == 1))
    log_mse = np.log10(mse[finite])
    dimensions += [{"label": "seed", "values": rows["seed"]}, {"label": "log10 test MSE", "values": log_mse}]
    figure = styled(canvas(), "Every run: model, settings, seed, test MSE")
    font = {"size": PARCOORDS_FONT}
    figure.add_parcoords(
        dimensions=dimensions,
        line={"color": log_mse, "colorscale": "Viridis"},
        labelangle=-PARCOORDS_TILT,
        labelfont=font,
        tickfont=font,
        rangefont=font,
    )
    tilt = np.radians(PARCOORDS_TILT)
    name_width = CHAR_EM * PARCOORDS_FONT * max(len(d["label"]) for d in dimensions)
    last_width = CHAR_EM * PARCOORDS_FONT * len(dimensions[-1]["label"])
    longest = max(len(label) for label in MODEL_LABELS.values())
    figure.update_layout(  # the first axis' tick labels left of it, the last axis' name rising right of it
        margin_l=round(CHAR_EM * PARCOORDS_FONT * longest) + PARCOORDS_TICK_GAP,
        margin_r=round(np.cos(tilt) * last_width) + PARCOORDS_TICK_GAP,
        margin_b=PARCOORDS_RANGE_ROOM,
    )
    left_out = int((~finite).sum())
    noted(
        figure,
        "colour: log10 test MSE, as on the last axis; drag along an axis to pick runs",
        f"{left_out} runs without a finite positive test MSE left out" if left_out else "",
    )
    names_height = PARCOORDS_NAME_OFFSET + np.sin(tilt) * name_width + LINE_EM * PARCOORDS_FONT
    return figure.update_layout(margin_t=figure.layout.margin.t + round(names_height))
