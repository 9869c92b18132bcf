"""Plotly figures for the dashboard: pure functions, data in, `go.Figure` out.

Every figure shares one look (`LAYOUT`) and the two models keep their colours everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fibdash.config import MODEL_LABELS
from fibdash.data import Dataset

MODEL_COLOURS = {"RNN": "#1f77b4", "RNN + attention": "#d62728"}
BASELINE_COLOURS = {"predict zero": "#c7c7c7", "persistence": "#9a9a9a", "Fibonacci rule": "#555555"}
SPLIT_COLOURS = {"train": "#8fb9d8", "test": "#f28e2b"}
TRUTH_COLOUR = "#222222"
LAYOUT = {
    "template": "plotly_white",
    "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
    "margin": {"l": 60, "r": 20, "t": 90, "b": 50},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
    "hoverlabel": {"namelength": -1},
}


def colour(name: str) -> str:
    """The colour of a model or baseline, the same on every chart."""
    return {**MODEL_COLOURS, **BASELINE_COLOURS}.get(name, TRUTH_COLOUR)


def _title(text: str) -> dict:
    """Titles sit at the top left, above the legend."""
    return {
        "text": text,
        "x": 0,
        "xanchor": "left",
        "xref": "paper",
        "y": 1,
        "yanchor": "top",
        "yref": "container",
        "pad": {"t": 12},
    }


def _figure(title: str, x_title: str, y_title: str, log_y: bool = False) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(LAYOUT, title=_title(title), xaxis_title=x_title, yaxis_title=y_title)
    if log_y:
        figure.update_yaxes(type="log", exponentformat="power")
    return figure


def _positive(values: np.ndarray) -> np.ndarray:
    """Values a log axis can show: non-positive and infinite ones become gaps."""
    values = np.asarray(values, dtype=np.float64)
    return np.where((values > 0) & np.isfinite(values), values, np.nan)


# --- the data ------------------------------------------------------------------------------


def series_figure(data: Dataset) -> go.Figure:
    """The Fibonacci series as generated, on a log axis (it grows exponentially)."""
    figure = _figure("Fibonacci series (log scale)", "index in the series", "value", log_y=True)
    figure.add_scatter(x=np.arange(data.config.n), y=data.series, mode="lines", line_color=TRUTH_COLOUR)
    return figure


def scaled_series_figure(data: Dataset) -> go.Figure:
    """The series after scaling: what the networks actually see."""
    figure = _figure(f"Series after '{data.config.scaling}' scaling", "index in the series", "scaled value")
    figure.add_scatter(x=np.arange(data.config.n), y=data.scaled, mode="lines", line_color=TRUTH_COLOUR)
    return figure


def target_histogram(data: Dataset) -> go.Figure:
    """Distribution of the scaled targets; MinMax piles almost all of them at zero.

    Counts on a log axis, so the few targets MinMax leaves away from zero still show.
    """
    tiny = np.mean(np.abs(data.y) < 1e-6)
    title = f"Scaled targets: {tiny:.1%} are below 1e-6"
    figure = _figure(title, "scaled target value", "number of windows (log scale)", log_y=True)
    figure.add_histogram(x=data.y, nbinsx=50, marker_color=TRUTH_COLOUR)
    figure.update_yaxes(exponentformat="none")
    return figure


def split_figure(data: Dataset) -> go.Figure:
    """Where the training and test windows' targets sit along the series."""
    figure = _figure("Train/test split along the series", "index of the target in the series", "")
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


# --- scores and predictions ------------------------------------------------------------------


def scores_figure(table: pd.DataFrame) -> go.Figure:
    """Train and test MSE of every predictor in `scores_table` form; log axis, zero bars omitted."""
    figure = _figure("MSE on scaled values (lower is better)", "", "MSE", log_y=True)
    for row in table.to_dict("records"):
        values = [row["train MSE"], row["test MSE"]]
        figure.add_bar(
            x=["train MSE", "test MSE"],
            y=_positive(values),
            name=row["predictor"],
            marker_color=colour(row["predictor"]),
            customdata=values,
            hovertemplate="%{x}: %{customdata:.3e}<extra>%{fullData.name}</extra>",
        )
    figure.update_layout(barmode="group")
    return figure


def predictions_figure(
    data: Dataset, predictions: Mapping[str, np.ndarray], scaled: bool = False
) -> go.Figure:
    """Truth and each model's predictions along the series: in Fibonacci units on a log axis, or
    on the scaled axis the networks see.

    `predictions` maps a model's name to its scaled predictions for every window. Test windows
    are filled markers, training windows faint ones; in Fibonacci units, predictions <= 0 cannot
    be drawn on a log axis and are counted in the title.
    """
    units = "scaled values" if scaled else "Fibonacci units"
    title = f"Predictions in {units}"
    figure = _figure(title, "index of the target in the series", units, log_y=not scaled)
    truth = data.y if scaled else data.series[data.positions]
    figure.add_scatter(x=data.positions, y=truth, mode="lines", name="truth", line_color=TRUTH_COLOUR)
    hidden = 0
    for name, values in predictions.items():
        shown = np.asarray(values, dtype=np.float64) if scaled else data.to_original(values)
        if not scaled:
            hidden += int(np.sum(~(shown > 0)))
            shown = _positive(shown)
        for split, rows in (("train", data.train_idx), ("test", data.test_idx)):
            rows = np.sort(rows)
            figure.add_scatter(
                x=data.positions[rows],
                y=shown[rows],
                mode="markers",
                name=f"{name} ({split})",
                legendgroup=name,
                marker={
                    "color": colour(name),
                    "size": 7 if split == "test" else 4,
                    "opacity": 1 if split == "test" else 0.35,
                },
            )
    if hidden:
        figure.update_layout(title_text=f"{title} ({hidden} at or below 0 not shown)")
    return figure


def errors_figure(data: Dataset, predictions: Mapping[str, np.ndarray], relative: bool) -> go.Figure:
    """Each model's error on the test windows in Fibonacci units: absolute, or relative in %."""
    rows = np.sort(data.test_idx)
    truth = data.series[data.positions[rows]]
    title = (
        "Test error, % of the true value" if relative else "Test error |prediction - truth|, Fibonacci units"
    )
    figure = _figure(title, "index of the target in the series", "% error" if relative else "error", True)
    for name, scaled in predictions.items():
        original = data.to_original(np.asarray(scaled)[rows])
        with np.errstate(over="ignore", invalid="ignore"):
            error = 100 * np.abs(original / truth - 1) if relative else np.abs(original - truth)
        figure.add_scatter(
            x=data.positions[rows], y=_positive(error), mode="markers", name=name, marker_color=colour(name)
        )
    return figure


def loss_figure(
    histories: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str = "Loss per epoch"
) -> go.Figure:
    """Training loss (solid) and test MSE (dotted) per epoch for each model name, log axis."""
    figure = _figure(title, "epoch", "MSE (scaled values)", log_y=True)
    for name, (loss, test_mse) in histories.items():
        epochs = np.arange(1, len(loss) + 1)
        figure.add_scatter(
            x=epochs, y=_positive(loss), name=f"{name}: training loss", line_color=colour(name)
        )
        figure.add_scatter(
            x=epochs,
            y=_positive(test_mse),
            name=f"{name}: test MSE",
            line={"color": colour(name), "dash": "dot"},
        )
    return figure


# --- attention -----------------------------------------------------------------------------


def _step_labels(time_steps: int) -> list[str]:
    return [f"t-{time_steps - i}" for i in range(time_steps)]


def attention_heatmap(data: Dataset, weights: np.ndarray) -> go.Figure:
    """Attention weights, one row per test window (ordered along the series) and one column per step.

    `weights` has shape (test windows, time_steps), rows in `data.test_idx` order.
    """
    order = np.argsort(data.positions[data.test_idx])
    figure = _figure("Attention weights of the test windows", "input time step", "target index in the series")
    figure.add_heatmap(
        z=weights[order],
        x=_step_labels(weights.shape[1]),
        y=data.positions[data.test_idx][order],
        colorscale="Reds",
        colorbar={"title": {"text": "weight"}},
        hovertemplate="target %{y}, step %{x}: weight %{z:.4f}<extra></extra>",
    )
    figure.update_yaxes(type="category", showticklabels=False)
    return figure


def attention_mean_figure(weights: np.ndarray) -> go.Figure:
    """Mean attention weight per time step over the test windows, against uniform attention."""
    steps = weights.shape[1]
    figure = _figure("Mean attention weight per time step", "input time step", "mean weight")
    figure.add_bar(
        x=_step_labels(steps),
        y=weights.mean(axis=0),
        error_y={"type": "data", "array": weights.std(axis=0), "visible": True},
        marker_color=MODEL_COLOURS["RNN + attention"],
        name="mean ± sd",
    )
    figure.add_hline(y=1 / steps, line_dash="dash", line_color=TRUTH_COLOUR, annotation_text="uniform 1/T")
    return figure


def window_figure(data: Dataset, weights: np.ndarray, test_row: int) -> go.Figure:
    """One test window: its inputs (scaled) above its attention weights, step by step."""
    row = data.test_idx[test_row]
    steps = data.config.time_steps
    labels = _step_labels(steps)
    position = int(data.positions[row])
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12)
    figure.update_layout(
        LAYOUT,
        title=_title(f"Window predicting value {position} of the series"),
        showlegend=False,
    )
    figure.add_scatter(
        x=labels,
        y=data.X[row, :, 0],
        customdata=data.series[position - steps : position],
        mode="lines+markers",
        line_color=TRUTH_COLOUR,
        hovertemplate="%{x}: scaled %{y:.3g}, Fibonacci %{customdata:.4g}<extra></extra>",
        row=1,
        col=1,
    )
    figure.add_bar(x=labels, y=weights[test_row], marker_color=MODEL_COLOURS["RNN + attention"], row=2, col=1)
    figure.update_yaxes(title_text="scaled input", row=1, col=1)
    figure.update_yaxes(title_text="attention weight", row=2, col=1)
    figure.update_xaxes(title_text="input time step", row=2, col=1)
    return figure


# --- seed study ------------------------------------------------------------------------------


def study_figure(table: pd.DataFrame) -> go.Figure:
    """Every seed's test MSE per model: a box with each seed's point, log axis; hover names the seed.

    `table` is a study table: one row per model kind and seed, with its test MSE.
    """
    figure = _figure("Test MSE of every seed (lower is better)", "", "test MSE (scaled values)", log_y=True)
    for kind, rows in table.groupby("model", sort=False):
        name = MODEL_LABELS[kind]
        figure.add_box(
            y=_positive(rows["test MSE"]),
            name=name,
            customdata=rows["seed"],
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            marker={"color": colour(name), "size": 8},
            line={"color": colour(name)},
            fillcolor="rgba(0,0,0,0)",
            hovertemplate="seed %{customdata}: test MSE %{y:.3e}<extra>%{fullData.name}</extra>",
        )
    figure.update_layout(showlegend=False)
    return figure


def ratio_figure(paired: pd.DataFrame) -> go.Figure:
    """Attention's test MSE over the RNN's, seed by seed, log axis: below 1, attention won that seed."""
    ratio = paired["ratio (attention / RNN)"].to_numpy(dtype=float)
    figure = _figure("Test MSE ratio per seed: attention / RNN", "seed", "ratio (log scale)", log_y=True)
    figure.add_bar(  # from 1 to the ratio: up where the RNN was better, down where attention was
        x=paired["seed"].astype(str),
        y=_positive(ratio) - 1,
        base=1,
        customdata=ratio,
        marker_color=[colour(MODEL_LABELS["attention" if r < 1 else "rnn"]) for r in ratio],
        hovertemplate="seed %{x}: ratio %{customdata:.3g}<extra></extra>",
    )
    figure.add_hline(y=1, line_color=TRUTH_COLOUR, annotation_text="equal")
    figure.update_xaxes(type="category")
    return figure
