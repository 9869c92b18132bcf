"""The Compare page's figures: scores, predictions and errors, forecasts many steps ahead and their errors,
the attention weights as they trained, and attention beside an importance measured another way; the
Tutorial draws one window with them."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb

from fibdash.analysis.explain import Explanation
from fibdash.analysis.forecast import Forecasts
from fibdash.analysis.lesson import ScoreParts
from fibdash.config import MODEL_LABELS
from fibdash.data import Dataset, step_labels
from fibdash.figures.dataset import log_axis
from fibdash.figures.style import (
    MARKED_STEPS,
    MODEL_COLOURS,
    TRUTH_COLOUR,
    canvas,
    colour,
    drawable,
    labelled_line,
    new_figure,
    not_shown,
    noted,
    styled,
)
from fibdash.quoting import plotly_literal


def scores_figure(table: pd.DataFrame) -> go.Figure:
    """Train and test MSE of every predictor in `scores_table` form; log axis, undrawable bars counted."""
    figure = new_figure("MSE on scaled values (lower is better)", "", "MSE", log_y=True)
    hidden: Counter[str] = Counter()
    for row in table.to_dict("records"):
        values = [row["train MSE"], row["test MSE"]]
        figure.add_bar(
            x=["train MSE", "test MSE"],
            y=drawable(values, hidden),
            name=row["predictor"],
            marker_color=colour(row["predictor"]),
            customdata=values,
            hovertemplate="%{x}: %{customdata:.3e}<extra>%{fullData.name}</extra>",
        )
    figure.update_layout(barmode="group")
    return noted(figure, not_shown(hidden))


def predictions_figure(
    data: Dataset, predictions: Mapping[str, np.ndarray], scaled: bool = False
) -> go.Figure:
    """Truth and each model's predictions along the series: in the series' units (on a log axis where it
    spans orders of magnitude), or on the scaled axis the networks see.

    `predictions` maps a model's name to its scaled predictions for every window. Test windows
    are filled markers, training windows faint ones; predictions the axis cannot draw (NaN,
    infinite, and on the log axis 0 or below) are counted under the title by cause.
    """
    units = "scaled values" if scaled else data.units
    log = not scaled and log_axis(data)
    figure = new_figure(f"Predictions in {units}", "index of the target in the series", units, log_y=log)
    truth = data.y if scaled else data.series[data.positions]
    figure.add_scatter(x=data.positions, y=truth, mode="lines", name="truth", line_color=TRUTH_COLOUR)
    hidden: Counter[str] = Counter()
    for name, values in predictions.items():
        original = data.to_original(values, np.arange(len(data.y))) if not scaled else values
        shown = drawable(original, hidden, log=log)
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
    return noted(figure, not_shown(hidden))


def errors_figure(data: Dataset, predictions: Mapping[str, np.ndarray], relative: bool) -> go.Figure:
    """Each model's error on the test windows in the series' units: absolute, or relative in %."""
    rows = np.sort(data.test_idx)
    truth = data.series[data.positions[rows]]
    title = "Test error, % of the true value" if relative else f"Test error in {data.units}"
    y_title = "% error" if relative else "|prediction - truth|"
    figure = new_figure(title, "index of the target in the series", y_title, log_y=True)
    hidden: Counter[str] = Counter()
    for name, scaled in predictions.items():
        original = data.to_original(np.asarray(scaled)[rows], rows)
        with np.errstate(over="ignore", invalid="ignore"):
            error = 100 * np.abs(original / truth - 1) if relative else np.abs(original - truth)
        figure.add_scatter(
            x=data.positions[rows],
            y=drawable(error, hidden),
            mode="markers",
            name=name,
            marker_color=colour(name),
        )
    return noted(figure, not_shown(hidden))


# --- attention -----------------------------------------------------------------------------

POSITION_COLOUR = "#8c8c8c"  # the tutorial layer's position part b_t, beside its content part in red
STEP_TICKS = 8  # at most this many time steps labelled, upright, where a phone's width would turn them


def _uniform(weights: np.ndarray) -> str:
    """A note when every finite weight is the same: the model attends to no step more than another."""
    finite = weights[np.isfinite(weights)]
    if finite.size == 0 or not np.allclose(finite, finite[0], rtol=1e-6, atol=0):
        return ""
    return f"every weight is {finite[0]:.3g}: uniform attention"


def _after(epoch: int | None) -> str:
    return "" if epoch is None else f" after epoch {epoch}"


def attention_heatmap(data: Dataset, weights: np.ndarray, epoch: int | None = None) -> go.Figure:
    """Attention weights, one row per test window (ordered along the series) and one column per step.

    `weights` has shape (test windows, time_steps), rows in `data.test_idx` order; `epoch`, where
    given, says after which epoch of training they were taken. The colours run
    from 0 to the largest weight, but at least to twice uniform attention (2 / time_steps), so
    weights that barely differ from uniform stay pale, and a flat map looks flat.
    """
    order = np.argsort(data.positions[data.test_idx])
    hidden: Counter[str] = Counter()
    shown = drawable(weights[order], hidden, log=False)
    top = np.nanmax(shown, initial=0.0)
    title = f"Attention weights of the test windows{_after(epoch)}"
    figure = new_figure(title, "input time step", "target index in the series")
    figure.add_heatmap(
        z=shown,
        x=step_labels(weights.shape[1]),
        y=data.positions[data.test_idx][order],
        zmin=0,
        zmax=max(top, 2 / weights.shape[1]),
        colorscale="Reds",
        colorbar={"title": {"text": "weight"}},
        hovertemplate="target %{y}, step %{x}: weight %{z:.4f}<extra></extra>",
    )
    figure.update_yaxes(type="category")  # one row per window, equally tall; Plotly thins the labels
    return noted(figure, not_shown(hidden), _uniform(weights))


def attention_mean_figure(weights: np.ndarray, epoch: int | None = None) -> go.Figure:
    """Mean attention weight per time step over the test windows, against uniform attention."""
    steps = weights.shape[1]
    hidden: Counter[str] = Counter()
    finite = drawable(weights, hidden, log=False)
    figure = new_figure(
        f"Mean attention weight per time step{_after(epoch)}", "input time step", "mean weight"
    )
    with warnings.catch_warnings():  # a step without one finite weight has no mean: a gap, counted
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, sd = np.nanmean(finite, axis=0), np.nanstd(finite, axis=0)
    figure.add_bar(
        x=step_labels(steps),
        y=mean,
        error_y={"type": "data", "array": sd, "visible": True},
        marker_color=MODEL_COLOURS["attention"],
        name="mean ± sd",
    )
    labelled_line(figure, 1 / steps, "uniform<br>1/T", line_dash="dash")
    return noted(figure, not_shown(hidden, "weights left out of the mean"), _uniform(weights))


def window_figure(data: Dataset, weights: np.ndarray, test_row: int) -> go.Figure:
    """One test window: its inputs (scaled) above its attention weights, step by step."""
    row = data.test_idx[test_row]
    position = int(data.positions[row])
    steps = data.config.time_steps
    return inputs_figure(
        data.X[row, :, 0],
        data.series[position - steps : position],
        weights[test_row],
        f"Window predicting value {position} of the series",
        data.value_name,
    )


def attention_map_figure(weight_map: np.ndarray, title: str) -> go.Figure:
    """Self-attention's weights of one window, (T, T): row i (a query, position i) over every step (keys),
    each row summing to 1. The last query's row, whose output reaches Dense and which the other charts
    show, is outlined. Colours run from 0 to the largest weight, at least 2/T as on the other heatmaps."""
    steps = weight_map.shape[0]
    labels = step_labels(steps)
    hidden: Counter[str] = Counter()
    shown = drawable(weight_map, hidden, log=False)
    figure = new_figure(title, "key: the step attended to", "query: the position attending")
    figure.add_heatmap(
        z=shown,
        x=labels,
        y=labels,
        zmin=0,
        zmax=max(np.nanmax(shown, initial=0.0), 2 / steps),
        colorscale="Reds",
        colorbar={"title": {"text": "weight"}},
        hovertemplate="query %{y} attends to %{x}: weight %{z:.4f}<extra></extra>",
    )
    figure.add_shape(  # around the last query's row: category axes put row i at i
        type="rect",
        x0=-0.5,
        x1=steps - 0.5,
        y0=steps - 1.5,
        y1=steps - 0.5,
        line={"color": TRUTH_COLOUR, "width": 2},
        fillcolor="rgba(0, 0, 0, 0)",
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category", autorange="reversed")  # t-T at the top, the last query at the foot
    return noted(
        figure, f"outlined: the last query ({labels[-1]}), whose output Dense reads", not_shown(hidden)
    )


def inputs_figure(
    scaled: np.ndarray,
    original: np.ndarray,
    weights: np.ndarray | None,
    title: str,
    value_name: str,
    bound: float | None = None,
) -> go.Figure:
    """A window's inputs (scaled, with their values in the series' units, called `value_name`, on hover)
    above its attention weights; with `bound`, the largest weight the layer can give drawn across them,
    beside uniform's 1/T."""
    labels = step_labels(len(scaled))
    hidden: Counter[str] = Counter()
    rows = 1 if weights is None else 2
    figure = canvas(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.12)
    styled(figure, title)
    figure.update_layout(showlegend=False)
    figure.add_scatter(
        x=labels,
        y=drawable(scaled, hidden, log=False),
        customdata=original,
        mode="lines+markers",
        line_color=TRUTH_COLOUR,
        meta=[plotly_literal(value_name)],  # not in the template itself, where "%{" would be read
        hovertemplate="%{x}: scaled %{y:.3g}, %{meta[0]} %{customdata:.4g}<extra></extra>",
        row=1,
        col=1,
    )
    figure.update_yaxes(title_text="scaled input", row=1, col=1)
    if weights is not None:
        figure.add_bar(
            x=labels,
            y=drawable(weights, hidden, log=False),
            marker_color=MODEL_COLOURS["attention"],
            row=2,
            col=1,
        )
        figure.update_yaxes(title_text="attention weight", row=2, col=1)
        if bound is not None:
            labelled_line(figure, bound, f"bound<br>{bound:.2f}", line_dash="dot", row=2, col=1)
            labelled_line(figure, 1 / len(scaled), "uniform<br>1/T", line_dash="dash", row=2, col=1)
            figure.update_yaxes(
                range=[0, 1.1 * max(bound, float(np.nanmax(weights, initial=0.0)))], row=2, col=1
            )
    figure.update_xaxes(title_text="input time step", row=rows, col=1)
    figure.update_xaxes(tickangle=0, nticks=STEP_TICKS)
    return noted(figure, not_shown(hidden))


def score_parts_figure(parts: ScoreParts) -> go.Figure:
    """The tutorial layer's scores of one window before tanh, per step: the content part h_t W and the
    position part b_t side by side, and their sum, the score before tanh, as a line."""
    steps = len(parts.content)
    labels = step_labels(steps)
    hidden: Counter[str] = Counter()
    figure = new_figure("Each score before tanh: content + position", "input time step", "part of the score")
    for name, values, shade in (
        ("content: h_t W", parts.content, MODEL_COLOURS["attention"]),
        ("position: b_t", parts.position, POSITION_COLOUR),
    ):
        figure.add_bar(
            x=labels,
            y=drawable(values, hidden, log=False),
            name=name,
            marker_color=shade,
            hovertemplate="%{x}: %{y:.4f}<extra>%{fullData.name}</extra>",
        )
    figure.add_scatter(
        x=labels,
        y=drawable(parts.pre_tanh, hidden, log=False),
        mode="lines+markers" if steps <= MARKED_STEPS else "lines",
        name="sum: h_t W + b_t",
        line_color=TRUTH_COLOUR,
        hovertemplate="%{x}: %{y:.4f}<extra>%{fullData.name}</extra>",
    )
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.3})
    figure.update_xaxes(type="category", tickangle=0, nticks=STEP_TICKS)
    share = parts.position_share
    said = f"position's share of their variance across steps: {share:.0%}" if np.isfinite(share) else ""
    return noted(figure, said, not_shown(hidden))


# --- does attention explain the prediction? ----------------------------------------------------


def importance_figure(explanation: Explanation) -> go.Figure:
    """Per time step: the attention model's mean attention weight (bars) beside each model's mean importance
    (lines), all shares of a window summing to 1; the last two steps, all AR(2) uses, shaded.

    The note says which windows the importances come from: those where some step moves the prediction.
    """
    e = explanation
    steps = e.time_steps
    labels = step_labels(steps)
    attention = MODEL_LABELS["attention"]
    figure = new_figure("Attention weight and importance per step", "input time step", "share of the window")
    hidden: Counter[str] = Counter()
    pale = "rgba({}, {}, {}, 0.3)".format(*hex_to_rgb(MODEL_COLOURS["attention"]))  # the legend's swatch too
    figure.add_bar(
        x=labels,
        y=drawable(e.attention, hidden, log=False),
        name=f"{attention}: attention weight",
        marker_color=pale,
        hovertemplate="%{x}: weight %{y:.3f}<extra>%{fullData.name}</extra>",
    )
    counted, empty = [], []
    for kind, importance in (("attention", e.attention_model), ("rnn", e.rnn)):
        name = MODEL_LABELS[kind]
        if 0 < importance.counted < e.windows:
            counted.append(f"{importance.counted}{'' if counted else f' of {e.windows}'} for {name}")
        if not importance.counted:
            why = "NaN" if importance.not_finite == e.windows else "no step moves its prediction"
            empty.append(f"no importance for {name} ({why})")
        figure.add_scatter(
            x=labels,
            y=drawable(importance.mean, hidden, log=False),
            mode="lines+markers" if steps <= MARKED_STEPS else "lines",
            name=f"{name}: importance",
            line_color=MODEL_COLOURS[kind],
            marker_size=6,
            hovertemplate="%{x}: importance %{y:.3f}<extra>%{fullData.name}</extra>",
        )
    if steps >= 2:
        figure.add_vrect(
            x0=steps - 2.5, x1=steps - 0.5, fillcolor=TRUTH_COLOUR, opacity=0.12, line_width=0, layer="below"
        )
    figure.add_hline(y=1 / steps, line_dash="dash", line_color=TRUTH_COLOUR, line_width=1)
    figure.update_xaxes(type="category")
    figure.update_yaxes(rangemode="tozero")
    where = f", only from windows where a step moves the prediction: {', '.join(counted)}"
    return noted(
        figure,
        f"importance by {e.measure}{where if counted else ''}",
        *empty,
        ("shaded: the two steps AR(2) uses; " if steps >= 2 else "") + "dashed: 1/T, all alike",
    )


def correlation_figure(explanation: Explanation) -> go.Figure:
    """How well each test window's attention weights rank its steps as the attention model's importance
    does: Spearman's rank correlation per window, from -1 (the reverse order) to 1 (the same order)."""
    e = explanation
    figure = new_figure("Weights vs importance: rank correlation", "rank correlation in a window", "windows")
    ranked = e.correlations[np.isfinite(e.correlations)]
    figure.add_histogram(
        x=ranked,
        xbins={"start": -1, "end": 1, "size": 0.1},
        marker_color=MODEL_COLOURS["attention"],
        hovertemplate="%{x}: %{y} windows<extra></extra>",
    )
    figure.add_vline(x=0, line_color=TRUTH_COLOUR, line_width=1)
    if ranked.size:
        figure.add_vline(
            x=e.median_correlation,
            line_dash="dash",
            line_color=TRUTH_COLOUR,
            annotation_text=f"median {e.median_correlation:+.2f}",
        )
    figure.update_xaxes(range=[-1.05, 1.05])
    figure.update_layout(showlegend=False, bargap=0.05)
    unranked = e.windows - ranked.size
    return noted(
        figure,
        "1: the weights rank a window's steps as importance does; -1: in reverse",
        f"{unranked} of {e.windows} windows cannot be ranked" if unranked else "",
    )


# --- many steps ahead ------------------------------------------------------------------------------


def horizon_error_figure(errors: pd.DataFrame, measure: str, units: str) -> go.Figure:
    """Each predictor's error by step ahead (an `error_by_step` table), in `measure` (of ERROR_MEASURES),
    on a log axis; values it cannot draw (an MSE beyond float64, a 0) counted under the title."""
    unit = "% of the true value" if measure.endswith("%") else units
    figure = new_figure(
        f"Forecast error by step ahead: {measure}", "steps ahead", f"{measure} ({unit})", True
    )
    hidden: Counter[str] = Counter()
    steps = int(errors["step"].max())
    for name, rows in errors.groupby("predictor", sort=False):
        values = rows[measure].to_numpy(dtype=float)
        figure.add_scatter(
            x=rows["step"],
            y=drawable(values, hidden),
            customdata=values,
            mode="lines+markers" if steps <= MARKED_STEPS else "lines",
            name=name,
            line_color=colour(name),
            hovertemplate=f"step %{{x}}: {measure} %{{customdata:.3e}}<extra>%{{fullData.name}}</extra>",
        )
    figure.update_xaxes(dtick=max(1, steps // 10), rangemode="tozero")
    return noted(figure, not_shown(hidden))


def forecast_figure(data: Dataset, forecasts: Forecasts, origin: int) -> go.Figure:
    """The forecasts from one test window (`origin`, an index of `forecasts`' origins): the window and the
    truth after it, and each predictor's next values, in the series' units (on a log axis where the
    series spans orders of magnitude)."""
    position = int(forecasts.positions[origin])
    steps, horizon = data.config.time_steps, forecasts.horizon
    log = log_axis(data)
    figure = new_figure(
        f"Forecasts {horizon} steps ahead of value {position - 1}", "index in the series", data.units, log
    )
    hidden: Counter[str] = Counter()
    known = np.arange(position - steps, min(position + horizon, data.config.n))
    truth = drawable(data.series[known], hidden, log=log)
    figure.add_scatter(
        x=known, y=truth, mode="lines+markers", name="truth", line_color=TRUTH_COLOUR, marker_size=4
    )
    ahead = position + np.arange(horizon)
    for name, values in forecasts.predicted.items():
        figure.add_scatter(
            x=ahead,
            y=drawable(values[origin], hidden, log=log),
            mode="lines+markers" if horizon <= MARKED_STEPS else "lines",
            name=name,
            line={"color": colour(name), "dash": "solid" if name in MODEL_LABELS.values() else "dot"},
            marker_size=5,
        )
    figure.add_vline(x=position - 0.5, line_dash="dash", line_color=TRUTH_COLOUR, line_width=1)
    past = "" if known[-1] >= ahead[-1] else f"the series ends at value {data.config.n - 1}"
    return noted(figure, "dashed line: where the forecasts start", past, not_shown(hidden))
