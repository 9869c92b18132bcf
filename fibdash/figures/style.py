"""The look every figure shares, and the helpers the figures of every page draw with.

Every figure has one look (`LAYOUT`): its title and a note under it start below Plotly's toolbar and
fit a phone's width, and the two models and the naive rules keep their colours on every chart.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from fibdash.config import MODEL_LABELS
from fibdash.quoting import plotly_literal

# By model kind (config.MODEL_KINDS); `colour` finds them by the names the charts show.
MODEL_COLOURS = {"rnn": "#1f77b4", "attention": "#d62728"}
# A variants study's other models, by name (fibdash.analysis.variants): the tutorial's head is attention's.
VARIANT_COLOURS = {
    "tutorial": MODEL_COLOURS["attention"],
    "additive": "#ff7f0e",
    "dot": "#2ca02c",
    "self": "#9467bd",
    "uniform": "#7f7f7f",
    "matched_rnn": "#17becf",
}
BASELINE_COLOURS = {
    "predict zero": "#c7c7c7",
    "persistence": "#9a9a9a",
    "AR(2)": "#555555",
    "AR(1)": "#555555",
    "seasonal naive": "#8c6d31",
}
SPLIT_COLOURS = {"train": "#8fb9d8", "test": "#f28e2b"}
FOLD_COLOURS = {**SPLIT_COLOURS, "not used": "#e3e3e3"}
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
# Plotly's template, the process's default as each figure is made (`canvas`): given to each figure in its
# layout it was validated and copied every time, 9 ms a figure, a third of a loss chart's making, and Compare
# draws a dozen charts each time a visitor's page runs. Checked at each figure rather than set once, as
# importing Streamlit's charts sets the default to Streamlit's own template; set only when it differs, as
# setting it validates and copies the template too (7 ms, a third of a loss chart's making again).
TEMPLATE = "plotly_white"
LAYOUT = {
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
MARKED_STEPS = 40  # a line over more time steps than this has no markers: they would merge into one
NOT_SHOWN = ("NaN", "infinite", "at or below 0")  # why a value is not drawn, in the order notes name them


def colour(name: str) -> str:
    """The colour of a model (by its kind, its name, "RNN + attention", or its name in a variants study) or a
    baseline, on every chart."""
    by_name = {MODEL_LABELS[kind]: value for kind, value in MODEL_COLOURS.items()}
    return {**MODEL_COLOURS, **VARIANT_COLOURS, **by_name, **BASELINE_COLOURS}.get(name, TRUTH_COLOUR)


def wrapped(text: str, width: int) -> str:
    """`text` broken into lines of at most `width` characters, as Plotly does not wrap titles, each
    shown as written (`plotly_literal`: a title may quote a visitor's column)."""
    return "<br>".join(plotly_literal(line) for line in textwrap.wrap(text, width)) if text else ""


def line_count(text: str | None) -> int:
    return text.count("<br>") + 1 if text else 0


def make_room(figure: go.Figure) -> go.Figure:
    """Start the title TOOLBAR_BAND below the figure's top, and the plot below the title's and its
    note's lines. A title of two lines or more would start CAP_EM higher: its pad is that much deeper."""
    title = line_count(figure.layout.title.text)
    note = line_count(figure.layout.title.subtitle.text)
    depth = LINE_EM * TITLE_SIZE * title
    if note:
        depth += (NOTE_GAP_EM + LINE_EM * note - (CAP_EM if note > 1 else 0)) * NOTE_SIZE
    return figure.update_layout(
        title_pad_t=TOOLBAR_BAND + (CAP_EM * TITLE_SIZE if title > 1 else 0),
        margin_t=round(TOOLBAR_BAND + depth + PLOT_GAP),
    )


def canvas(**subplots: Any) -> go.Figure:
    """An empty figure in the house's template and look (`LAYOUT`): `make_subplots(**subplots)` where they
    are given.

    The look is given as the figure is made: Plotly takes a layout 10 times faster that way than through
    `update_layout` (0.7 ms against 8 ms), which checks every path of it against what is already set.
    """
    if pio.templates.default != TEMPLATE:
        pio.templates.default = TEMPLATE
    figure = go.Figure(layout=LAYOUT)
    return make_subplots(**subplots, figure=figure) if subplots else figure


def styled(figure: go.Figure, title: str) -> go.Figure:
    """A figure of `canvas`, titled `title`."""
    return make_room(figure.update_layout(title_text=wrapped(title, TITLE_CHARS)))


def noted(figure: go.Figure, *notes: str) -> go.Figure:
    """Say the non-empty `notes` under the title."""
    figure.update_layout(title_subtitle_text=wrapped("; ".join(n for n in notes if n), NOTE_CHARS))
    return make_room(figure)


def new_figure(title: str, x_title: str, y_title: str, log_y: bool = False) -> go.Figure:
    figure = styled(canvas(), title)
    figure.update_layout(xaxis_title=plotly_literal(x_title), yaxis_title=plotly_literal(y_title))
    if log_y:
        figure.update_yaxes(type="log", exponentformat="power", **LOG_AXIS_LIMITS)
    return figure


def drawable(values: ArrayLike, hidden: Counter[str], log: bool = True) -> np.ndarray:
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


def not_shown(hidden: Counter[str], what: str = "not shown") -> str:
    """`hidden` in words, by cause: "260 NaN, 3 at or below 0 not shown"; "" when nothing is hidden."""
    counts = [f"{hidden[cause]} {cause}" for cause in NOT_SHOWN if hidden[cause]]
    return f"{', '.join(counts)} {what}" if counts else ""


def labelled_line(figure: go.Figure, y: float, label: str, **line: object) -> go.Figure:
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
