"""Plotly figures for the dashboard: pure functions, data in, `go.Figure` out.

Every figure shares one look (`LAYOUT`) and the two models keep their colours everywhere.
"""

from __future__ import annotations

import textwrap
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.colors import hex_to_rgb
from plotly.subplots import make_subplots

from fibdash.analysis.explain import Explanation
from fibdash.config import MODEL_LABELS
from fibdash.data import Dataset, step_labels

MODEL_COLOURS = {"RNN": "#1f77b4", "RNN + attention": "#d62728"}
BASELINE_COLOURS = {
    "predict zero": "#c7c7c7",
    "persistence": "#9a9a9a",
    "AR(2)": "#555555",
    "AR(1)": "#555555",
    "seasonal naive": "#8c6d31",
}
SPLIT_COLOURS = {"train": "#8fb9d8", "test": "#f28e2b"}
TRUTH_COLOUR = "#222222"
# Plotly's toolbar shows at the top right on hover (a tap on a phone): the title starts below it.
TOOLBAR_BAND = 34
# The longest line of a title or note, in characters: what fits a phone's 390 px at their font sizes.
TITLE_CHARS = 42
NOTE_CHARS = 56
TITLE_SIZE, NOTE_SIZE = 16, 12  # px
# How Plotly sets text out, in em of its font: lines 1.3 em apart, a one-line text's top 0.7 em lower
# than a longer one's (only then does its cap shift apply), a note 1.6 em under its title.
LINE_EM, CAP_EM, NOTE_GAP_EM = 1.3, 0.7, 1.6
PLOT_GAP = 6  # px between the title block and the plot
# The widest a character of the dashboard's fonts is on average, in em: room for a label, by its length.
CHAR_EM = 0.6
LABEL_GAP = 8  # px between a line's label and the plot
# A log axis may not run past float64, or Plotly labels its ticks "Infinity" and "0" (log10 units).
LOG_AXIS_LIMITS = {
    "minallowed": float(np.log10(np.finfo(np.float64).smallest_subnormal)),
    "maxallowed": float(np.log10(np.finfo(np.float64).max)),
}
LAYOUT = {
    "template": "plotly_white",
    "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
    # Titles sit at the top left under the toolbar, and the plot below them (`_make_room`); a note
    # (what is not drawn, and why) is the subtitle. Not Plotly's automargin: it moves a title of two
    # lines or more up by 1.3 em a line break and 0.35 em more (plotly.js #6758), its top out of the
    # figure.
    "title": {
        "font": {"size": TITLE_SIZE},
        "subtitle": {"font": {"size": NOTE_SIZE, "color": "#555555"}},
        "automargin": False,
        "x": 0,
        "xanchor": "left",
        "xref": "container",
        "y": 1,
        "yanchor": "top",
        "yref": "container",
        "pad": {"t": TOOLBAR_BAND, "l": 12},
    },
    "margin": {"l": 60, "r": 20, "b": 10},
    # Legends go below the plot, where they can take as many rows as a narrow screen needs.
    "legend": {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "xref": "container",
        "y": 0,
        "yanchor": "bottom",
        "yref": "container",
    },
    "hoverlabel": {"namelength": -1},
}
# Parallel coordinates: labels smaller than the rest, as up to five axes share a phone's width, and
# the axes' names rising to the right, where neighbours' run side by side half the axes' spacing apart
# (sin 30°) however long they are. Plotly starts a name 28 px above its axis, and writes a number
# axis' ends above and below it.
PARCOORDS_FONT = 11
PARCOORDS_TILT = 30  # degrees
PARCOORDS_NAME_OFFSET = 28
PARCOORDS_RANGE_ROOM = 30  # px under the axes for their lower ends
PARCOORDS_TICK_GAP = 10  # px between an axis and its tick labels, and to spare
MARKED_STEPS = 40  # a line over more time steps than this has no markers: they would merge into one
NOT_SHOWN = ("NaN", "infinite", "at or below 0")  # why a value is not drawn, in the order notes name them


def colour(name: str) -> str:
    """The colour of a model or baseline, the same on every chart."""
    return {**MODEL_COLOURS, **BASELINE_COLOURS}.get(name, TRUTH_COLOUR)


def _lines(text: str, width: int) -> str:
    """`text` broken into lines of at most `width` characters, as Plotly does not wrap titles."""
    return "<br>".join(textwrap.wrap(text, width)) if text else ""


def _line_count(text: str | None) -> int:
    return text.count("<br>") + 1 if text else 0


def _make_room(figure: go.Figure) -> go.Figure:
    """Start the title TOOLBAR_BAND below the figure's top, and the plot below the title's and its
    note's lines. A title of two lines or more would start CAP_EM higher: its pad is that much deeper."""
    title = _line_count(figure.layout.title.text)
    note = _line_count(figure.layout.title.subtitle.text)
    depth = LINE_EM * TITLE_SIZE * title
    if note:
        depth += (NOTE_GAP_EM + LINE_EM * note - (CAP_EM if note > 1 else 0)) * NOTE_SIZE
    return figure.update_layout(
        title_pad_t=TOOLBAR_BAND + (CAP_EM * TITLE_SIZE if title > 1 else 0),
        margin_t=round(TOOLBAR_BAND + depth + PLOT_GAP),
    )


def _style(figure: go.Figure, title: str) -> go.Figure:
    """The shared look, with `title`."""
    return _make_room(figure.update_layout(LAYOUT, title_text=_lines(title, TITLE_CHARS)))


def _note(figure: go.Figure, *notes: str) -> go.Figure:
    """Say the non-empty `notes` under the title."""
    figure.update_layout(title_subtitle_text=_lines("; ".join(n for n in notes if n), NOTE_CHARS))
    return _make_room(figure)


def _figure(title: str, x_title: str, y_title: str, log_y: bool = False) -> go.Figure:
    figure = _style(go.Figure(), title)
    figure.update_layout(xaxis_title=x_title, yaxis_title=y_title)
    if log_y:
        figure.update_yaxes(type="log", exponentformat="power", **LOG_AXIS_LIMITS)
    return figure


def _drawable(values: ArrayLike, hidden: Counter[str], log: bool = True) -> np.ndarray:
    """`values` with those an axis cannot draw as NaN gaps, each counted in `hidden` by its cause.

    NaN and infinite values cannot be drawn on any axis; a log axis has no place for 0 or below.
    """
    values = np.asarray(values, dtype=np.float64)
    drawable = np.isfinite(values)
    hidden["NaN"] += int(np.isnan(values).sum())
    hidden["infinite"] += int(np.isinf(values).sum())
    if log:
        hidden["at or below 0"] += int(np.sum(drawable & (values <= 0)))
        drawable &= values > 0
    return np.where(drawable, values, np.nan)


def _not_shown(hidden: Counter[str], what: str = "not shown") -> str:
    """`hidden` in words, by cause: "260 NaN, 3 at or below 0 not shown"; "" when nothing is hidden."""
    counts = [f"{hidden[cause]} {cause}" for cause in NOT_SHOWN if hidden[cause]]
    return f"{', '.join(counts)} {what}" if counts else ""


def _labelled_line(figure: go.Figure, y: float, label: str, **line: object) -> go.Figure:
    """A line across the plot at `y`, labelled at its height right of the plot: clear of what is drawn,
    as bars may reach the line anywhere along it. The right margin widens to hold the label."""
    log = figure.layout.yaxis.type == "log"
    figure.add_hline(
        y=y,
        line_color=TRUTH_COLOUR,
        annotation_text=label,
        annotation_position="right",
        annotation_y=np.log10(y) if log else y,  # on a log axis a shape takes y, an annotation its log10
        annotation_xshift=LABEL_GAP,  # past the caps of an error bar at the plot's edge
        annotation_align="left",
        **line,
    )
    widest = max(len(part) for part in label.split("<br>"))
    right = round(CHAR_EM * LAYOUT["font"]["size"] * widest) + 2 * LABEL_GAP
    right = max(figure.layout.margin.r or 0, right)
    return figure.update_layout(margin_r=right)


# --- the data ------------------------------------------------------------------------------


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
        title = f"Your series: {data.config.upload.column}"
    figure = _figure(
        title, "index in the series", data.value_name if data.config.upload else "value", log_y=log
    )
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
    title = f"Scaled targets: {tiny:.1%} are below 1e-6" if tiny >= 0.01 else "Scaled targets"
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
    """Train and test MSE of every predictor in `scores_table` form; log axis, undrawable bars counted."""
    figure = _figure("MSE on scaled values (lower is better)", "", "MSE", log_y=True)
    hidden: Counter[str] = Counter()
    for row in table.to_dict("records"):
        values = [row["train MSE"], row["test MSE"]]
        figure.add_bar(
            x=["train MSE", "test MSE"],
            y=_drawable(values, hidden),
            name=row["predictor"],
            marker_color=colour(row["predictor"]),
            customdata=values,
            hovertemplate="%{x}: %{customdata:.3e}<extra>%{fullData.name}</extra>",
        )
    figure.update_layout(barmode="group")
    return _note(figure, _not_shown(hidden))


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
    figure = _figure(f"Predictions in {units}", "index of the target in the series", units, log_y=log)
    truth = data.y if scaled else data.series[data.positions]
    figure.add_scatter(x=data.positions, y=truth, mode="lines", name="truth", line_color=TRUTH_COLOUR)
    hidden: Counter[str] = Counter()
    for name, values in predictions.items():
        shown = _drawable(values if scaled else data.to_original(values), hidden, log=log)
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
    return _note(figure, _not_shown(hidden))


def errors_figure(data: Dataset, predictions: Mapping[str, np.ndarray], relative: bool) -> go.Figure:
    """Each model's error on the test windows in the series' units: absolute, or relative in %."""
    rows = np.sort(data.test_idx)
    truth = data.series[data.positions[rows]]
    title = "Test error, % of the true value" if relative else f"Test error in {data.units}"
    y_title = "% error" if relative else "|prediction - truth|"
    figure = _figure(title, "index of the target in the series", y_title, log_y=True)
    hidden: Counter[str] = Counter()
    for name, scaled in predictions.items():
        original = data.to_original(np.asarray(scaled)[rows])
        with np.errstate(over="ignore", invalid="ignore"):
            error = 100 * np.abs(original / truth - 1) if relative else np.abs(original - truth)
        figure.add_scatter(
            x=data.positions[rows],
            y=_drawable(error, hidden),
            mode="markers",
            name=name,
            marker_color=colour(name),
        )
    return _note(figure, _not_shown(hidden))


def loss_figure(
    histories: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str = "Loss per epoch"
) -> go.Figure:
    """Training loss (solid) and test MSE (dotted) per epoch for each model name, log axis."""
    figure = _figure(title, "epoch", "MSE (scaled values)", log_y=True)
    hidden: Counter[str] = Counter()
    for name, (loss, test_mse) in histories.items():
        epochs = np.arange(1, len(loss) + 1)
        figure.add_scatter(
            x=epochs, y=_drawable(loss, hidden), name=f"{name}: training loss", line_color=colour(name)
        )
        figure.add_scatter(
            x=epochs,
            y=_drawable(test_mse, hidden),
            name=f"{name}: test MSE",
            line={"color": colour(name), "dash": "dot"},
        )
    return _note(figure, _not_shown(hidden))


# --- attention -----------------------------------------------------------------------------


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
    shown = _drawable(weights[order], hidden, log=False)
    top = np.nanmax(shown, initial=0.0)
    title = f"Attention weights of the test windows{_after(epoch)}"
    figure = _figure(title, "input time step", "target index in the series")
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
    return _note(figure, _not_shown(hidden), _uniform(weights))


def attention_mean_figure(weights: np.ndarray, epoch: int | None = None) -> go.Figure:
    """Mean attention weight per time step over the test windows, against uniform attention."""
    steps = weights.shape[1]
    hidden: Counter[str] = Counter()
    finite = _drawable(weights, hidden, log=False)
    figure = _figure(f"Mean attention weight per time step{_after(epoch)}", "input time step", "mean weight")
    with warnings.catch_warnings():  # a step without one finite weight has no mean: a gap, counted
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, sd = np.nanmean(finite, axis=0), np.nanstd(finite, axis=0)
    figure.add_bar(
        x=step_labels(steps),
        y=mean,
        error_y={"type": "data", "array": sd, "visible": True},
        marker_color=MODEL_COLOURS["RNN + attention"],
        name="mean ± sd",
    )
    _labelled_line(figure, 1 / steps, "uniform<br>1/T", line_dash="dash")
    return _note(figure, _not_shown(hidden, "weights left out of the mean"), _uniform(weights))


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


def inputs_figure(
    scaled: np.ndarray, original: np.ndarray, weights: np.ndarray | None, title: str, value_name: str
) -> go.Figure:
    """A window's inputs (scaled, with their values in the series' units, called `value_name`, on hover)
    above its attention weights."""
    labels = step_labels(len(scaled))
    hidden: Counter[str] = Counter()
    rows = 1 if weights is None else 2
    figure = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.12)
    _style(figure, title)
    figure.update_layout(showlegend=False)
    figure.add_scatter(
        x=labels,
        y=_drawable(scaled, hidden, log=False),
        customdata=original,
        mode="lines+markers",
        line_color=TRUTH_COLOUR,
        hovertemplate=f"%{{x}}: scaled %{{y:.3g}}, {value_name} %{{customdata:.4g}}<extra></extra>",
        row=1,
        col=1,
    )
    figure.update_yaxes(title_text="scaled input", row=1, col=1)
    if weights is not None:
        figure.add_bar(
            x=labels,
            y=_drawable(weights, hidden, log=False),
            marker_color=MODEL_COLOURS["RNN + attention"],
            row=2,
            col=1,
        )
        figure.update_yaxes(title_text="attention weight", row=2, col=1)
    figure.update_xaxes(title_text="input time step", row=rows, col=1)
    return _note(figure, _not_shown(hidden))


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
    figure = _figure("Attention weight and importance per step", "input time step", "share of the window")
    hidden: Counter[str] = Counter()
    pale = "rgba({}, {}, {}, 0.3)".format(*hex_to_rgb(MODEL_COLOURS[attention]))  # the legend's swatch too
    figure.add_bar(
        x=labels,
        y=_drawable(e.attention, hidden, log=False),
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
            y=_drawable(importance.mean, hidden, log=False),
            mode="lines+markers" if steps <= MARKED_STEPS else "lines",
            name=f"{name}: importance",
            line_color=MODEL_COLOURS[name],
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
    return _note(
        figure,
        f"importance by {e.measure}{where if counted else ''}",
        *empty,
        ("shaded: the two steps AR(2) uses; " if steps >= 2 else "") + "dashed: 1/T, all alike",
    )


def correlation_figure(explanation: Explanation) -> go.Figure:
    """How well each test window's attention weights rank its steps as the attention model's importance
    does: Spearman's rank correlation per window, from -1 (the reverse order) to 1 (the same order)."""
    e = explanation
    figure = _figure("Weights vs importance: rank correlation", "rank correlation in a window", "windows")
    ranked = e.correlations[np.isfinite(e.correlations)]
    figure.add_histogram(
        x=ranked,
        xbins={"start": -1, "end": 1, "size": 0.1},
        marker_color=MODEL_COLOURS[MODEL_LABELS["attention"]],
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
    return _note(
        figure,
        "1: the weights rank a window's steps as importance does; -1: in reverse",
        f"{unranked} of {e.windows} windows cannot be ranked" if unranked else "",
    )


# --- seed study ------------------------------------------------------------------------------


def study_figure(table: pd.DataFrame) -> go.Figure:
    """Every seed's test MSE per model: a box with each seed's point, log axis; hover names the seed.

    `table` is a study table: one row per model kind and seed, with its test MSE.
    """
    figure = _figure("Test MSE of every seed (lower is better)", "", "test MSE (scaled values)", log_y=True)
    hidden: Counter[str] = Counter()
    for kind, rows in table.groupby("model", sort=False):
        name = MODEL_LABELS[kind]
        figure.add_box(
            y=_drawable(rows["test MSE"], hidden),
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
    return _note(figure, _not_shown(hidden))


def spread_figure(table: pd.DataFrame, printed: Mapping[str, float]) -> go.Figure:
    """`study_figure` of every seed's test MSE with another run's figure per model marked beside its
    seeds (the tutorial's printed one): `printed` by model kind."""
    figure = _style(study_figure(table), "Test MSE of every seed, and the tutorial's one run")
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
    figure = _figure("Test MSE ratio per seed: attention / RNN", "seed", "ratio (log scale)", log_y=True)
    figure.add_bar(  # from 1 to the ratio: up where the RNN was better, down where attention was
        x=paired["seed"].astype(str),
        y=_drawable(ratio, hidden) - 1,
        base=1,
        customdata=ratio,
        marker_color=[colour(MODEL_LABELS["attention" if r < 1 else "rnn"]) for r in ratio],
        hovertemplate="seed %{x}: ratio %{customdata:.3g}<extra></extra>",
    )
    _labelled_line(figure, 1, "equal")
    figure.update_xaxes(type="category")
    return _note(figure, _not_shown(hidden))


# --- sweeps --------------------------------------------------------------------------------------


def _labels(values: Sequence) -> list[str]:
    """Setting values as axis labels: 0.001, not 0.0010000000000000002."""
    return [f"{v:g}" if isinstance(v, float) else str(v) for v in values]


def sweep_figure(summary: pd.DataFrame, ratios: pd.DataFrame, name: str) -> go.Figure:
    """One swept setting: each model's median test MSE over the seeds with its 95% interval, and below,
    how often attention won, for every value of `name`.

    `summary` and `ratios` are `fibdash.analysis.sweep.model_summary` and `ratio_summary` of the sweep.
    """
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.1)
    _style(figure, f"Median test MSE over the seeds, and attention's wins, by {name}")
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
            y=_drawable(rows["median test MSE"], hidden),
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
        marker_color=MODEL_COLOURS["RNN + attention"],
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
    return _note(figure, _not_shown(hidden, "medians not shown"))


def sweep_heatmap(ratios: pd.DataFrame, names: Sequence[str]) -> go.Figure:
    """Two swept settings: the median log10 ratio of test MSEs (attention / RNN) in each cell, red
    where attention did better, blue where the RNN did, with attention's wins written in."""
    first, second = names
    grid = ratios.pivot(index=second, columns=first, values="median log10 ratio")
    wins = ratios.pivot(index=second, columns=first, values="wins")
    seeds = ratios.pivot(index=second, columns=first, values="seeds compared")
    figure = _figure(f"Attention / RNN test MSE by {first} and {second}", first, second)
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
    return _note(
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
    figure = _style(go.Figure(), "Every run: model, settings, seed, test MSE")
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
    _note(
        figure,
        "colour: log10 test MSE, as on the last axis; drag along an axis to pick runs",
        f"{left_out} runs without a finite positive test MSE left out" if left_out else "",
    )
    names_height = PARCOORDS_NAME_OFFSET + np.sin(tilt) * name_width + LINE_EM * PARCOORDS_FONT
    return figure.update_layout(margin_t=figure.layout.margin.t + round(names_height))
