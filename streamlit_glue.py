"""Streamlit glue for the pages: navigation, config widgets kept across pages, cached engine
calls, the server's background trainings, and their live progress.

The only module that imports both Streamlit and fibdash. It imports no TensorFlow itself: that
loads on the training thread, the first time something is trained.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.logger import get_logger

from fibdash.config import (
    ACTIVATIONS,
    CELLS,
    MAX_EPOCHS,
    MAX_HIDDEN_UNITS,
    MAX_N,
    MODEL_KINDS,
    MODEL_LABELS,
    SCALINGS,
    DataConfig,
    TrainConfig,
)
from fibdash.data import Dataset, make_dataset
from fibdash.figures import loss_figure
from fibdash.jobs import Job, JobRunner, Progress

# Finished trainings kept for every session, least recently used dropped first: a trained pair
# with its arrays takes a few MB, so the bound keeps the server's memory flat.
MAX_CACHED_RESULTS = 8
SAVED = "saved_config"  # session-state key of the values every page's widgets share

# Every page, in the order of the sidebar: path, label, icon, what it shows.
PAGES = (
    ("app.py", "Home", ":material/home:", "what this is and the tutorial's two models"),
    ("pages/1_Dataset.py", "Dataset", ":material/table_chart:", "the series, scalings, windows and split"),
    ("pages/2_Train.py", "Train", ":material/model_training:", "both models, with live progress"),
    ("pages/3_Compare.py", "Compare", ":material/compare:", "scores, predictions, errors and attention"),
    (
        "pages/4_Robustness.py",
        "Robustness",
        ":material/stacked_line_chart:",
        "does attention help over many seeds?",
    ),
)
# Seeds a study can take; few choices, since each number of seeds is one more compiled program.
SEED_COUNTS = (3, 5, 10, 15, 20, 30)

_DEFAULT = TrainConfig()
DEFAULTS: dict[str, Any] = {**asdict(_DEFAULT.data), **asdict(_DEFAULT)}
del DEFAULTS["data"], DEFAULTS["split_seed"]
DEFAULTS["seeds"] = 10

# One spec per config field: widget, label, arguments. Bounds are the engine's own limits where
# they are fixed; limits that depend on other fields (time_steps < n) are checked by the configs.
WIDGETS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "n": (
        st.number_input,
        "Fibonacci numbers n",
        {"min_value": 3, "max_value": MAX_N, "step": 1, "help": f"At most {MAX_N}: beyond, floats overflow"},
    ),
    "time_steps": (
        st.number_input,
        "Time steps per window",
        {"min_value": 1, "max_value": MAX_N, "step": 1, "help": "Must leave a training and a test window"},
    ),
    "train_fraction": (st.slider, "Training fraction", {"min_value": 0.05, "max_value": 0.95, "step": 0.05}),
    "scaling": (
        st.selectbox,
        "Scaling",
        {"options": SCALINGS, "help": "minmax: the tutorial's; log-minmax: MinMax of the logarithms"},
    ),
    "hidden_units": (
        st.number_input,
        "Hidden units",
        {"min_value": 1, "max_value": MAX_HIDDEN_UNITS, "step": 1},
    ),
    "epochs": (st.number_input, "Epochs", {"min_value": 1, "max_value": MAX_EPOCHS, "step": 1}),
    "batch_size": (
        st.number_input,
        "Batch size",
        {"min_value": 1, "max_value": MAX_N, "step": 1, "help": "At most the number of training windows"},
    ),
    "learning_rate": (
        st.number_input,
        "Learning rate (Adam)",
        {"min_value": 1e-5, "max_value": 1.0, "step": 1e-4, "format": "%.5f"},
    ),
    "cell": (st.selectbox, "Recurrent cell", {"options": CELLS}),
    "activation": (st.selectbox, "Activation", {"options": ACTIVATIONS}),
    "seeds": (
        st.select_slider,
        "Seeds in the study",
        {"options": SEED_COUNTS, "help": "Seeds 0, 1, ...: each one's run is the Train page's run for it"},
    ),
    "seed": (
        st.number_input,
        "Seed",
        {"min_value": 0, "max_value": 2**31 - 1, "step": 1, "help": "Sets initial weights, window order"},
    ),
}
DATA_FIELDS = ("n", "time_steps", "train_fraction", "scaling")
TRAIN_FIELDS = ("hidden_units", "epochs", "batch_size", "learning_rate", "cell", "activation", "seed")


def page(title: str, icon: str) -> None:
    """Set up a page: browser title, sidebar navigation, trainings under way, heading."""
    st.set_page_config(page_title=f"{title} · fibdash", page_icon=icon, layout="wide")
    with st.sidebar:
        # Our own links: Streamlit's would call the home page "app", after its file.
        for path, label, page_icon, _ in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        for job in runner().active():
            st.caption(f":material/hourglass_top: In the background: {job.label} ({job.state})")
        st.divider()
    st.title(f"{icon} {title}")


def _saved() -> dict[str, Any]:
    return st.session_state.setdefault(SAVED, dict(DEFAULTS))


def _remember(name: str) -> None:
    value = st.session_state[name]
    _saved()[name] = round(value, 6) if isinstance(value, float) else value


def _widgets(names: tuple[str, ...]) -> None:
    """Draw widgets whose values live in session state, so they carry from page to page.

    A widget's own state is dropped when its page is left; the saved copy is not, and seeds the
    widget (keyed by the field's name) each time a page draws it.
    """
    saved = _saved()
    for name in names:
        widget, label, kwargs = WIDGETS[name]
        st.session_state[name] = saved[name]
        widget(label, key=name, on_change=_remember, args=(name,), **kwargs)


def data_config() -> DataConfig:
    """Sidebar data controls; the config they give, or an error message and a stopped page."""
    _sidebar_widgets(("Data", DATA_FIELDS))
    return _valid(lambda: _data_from(_saved()))


def train_config() -> TrainConfig:
    """Sidebar data and training controls; the full config, or an error and a stopped page."""
    _sidebar_widgets(("Data", DATA_FIELDS), ("Training", TRAIN_FIELDS))
    return _valid(lambda: _train_from(_saved()))


def study_config() -> tuple[TrainConfig, int]:
    """Sidebar controls of a seed study: the config (its seed unused) and the number of seeds."""
    _sidebar_widgets(("Data", DATA_FIELDS), ("Training", TRAIN_FIELDS), ("Study", ("seeds",)))
    return _valid(lambda: _train_from(_saved())), _saved()["seeds"]


def _sidebar_widgets(*sections: tuple[str, tuple[str, ...]]) -> None:
    with st.sidebar:
        for header, names in sections:
            st.header(header)
            _widgets(names)


def _data_from(saved: dict[str, Any]) -> DataConfig:
    return DataConfig(*(saved[name] for name in DATA_FIELDS))


def _train_from(saved: dict[str, Any]) -> TrainConfig:
    return TrainConfig(_data_from(saved), **{name: saved[name] for name in TRAIN_FIELDS})


def _valid(build):
    """`build()`, or its ValueError shown as what to change and the page stopped."""
    try:
        return build()
    except ValueError as error:
        st.error(f"This configuration cannot be used: {error}. Change it in the sidebar.")
        st.stop()


def show_config(config: DataConfig | TrainConfig) -> None:
    st.caption(f"Configuration: {config.describe()}")


def chart(figure: go.Figure, **kwargs: Any) -> None:
    """Draw a figure in fibdash's own look rather than Streamlit's theme."""
    st.plotly_chart(figure, theme=None, config={"displaylogo": False}, **kwargs)


def table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A dataframe with every float shown to 4 significant digits.

    As text: Streamlit's number formats give up on values beyond about 1e21, and Fibonacci
    numbers and errors in Fibonacci units go far beyond.
    """
    shown = frame.copy()
    for column in shown.select_dtypes("float").columns:
        shown[column] = shown[column].map("{:.4g}".format)
    st.dataframe(shown, hide_index=True, **kwargs)


@st.cache_data(max_entries=32, show_spinner=False)
def dataset(config: DataConfig) -> Dataset:
    return make_dataset(config)


@st.cache_resource(show_spinner=False)
def runner() -> JobRunner:
    """The server's one training queue and its bounded store of results, shared by every session.

    Not `st.cache_resource` on a training function itself: that can neither tell whether a
    config is trained without training it, nor let a second session watch the first's progress,
    and a rerun would throw the half-done training away.
    """
    get_logger("fibdash")  # the engine's log lines (jobs started and finished) join the server's log
    return JobRunner(MAX_CACHED_RESULTS)


def _train_pair(config: TrainConfig, report: Progress) -> dict[str, Any] | None:
    """Both models of `config`, on the training thread; None if stopped."""
    from fibdash import training  # TensorFlow loads here, the first time anything is trained

    data = make_dataset(config.data)
    results = {}
    for kind in MODEL_KINDS:
        result = training.train(config, kind, on_epoch=report, data=data)
        if result.stopped:
            return None
        results[kind] = result
    return results


def trained_pair(config: TrainConfig) -> dict[str, Any] | None:
    """Both trained results of `config`: at once if done, after following a training under way, else None."""
    return _finished(config)


def train_pair(config: TrainConfig) -> dict[str, Any] | None:
    """Train both models of `config` (or join the training already under way) and follow it."""
    return follow(runner().submit(config, partial(_train_pair, config), f"training {config.describe()}"))


def _study_key(config: TrainConfig, seeds: int) -> tuple[str, TrainConfig, int]:
    # The study replaces the config's own seed with seeds 0 .. seeds - 1: one key whatever it is.
    return ("study", replace(config, seed=0), seeds)


def _run_study(config: TrainConfig, seeds: int, report: Progress) -> Any:
    """Both models over seeds 0 .. seeds - 1, on the training thread; None if stopped."""
    from fibdash.study import run_study  # TensorFlow loads here, the first time anything is trained

    result = run_study(config, range(seeds), on_epoch=report)
    return None if result.stopped else result


def study_result(config: TrainConfig, seeds: int) -> Any:
    """The finished study of `config` over `seeds` seeds, after following one under way, else None."""
    return _finished(_study_key(config, seeds), f"Median loss per epoch over the {seeds} seeds")


def run_study(config: TrainConfig, seeds: int) -> Any:
    """Run the study (or join the one under way) and follow it."""
    label = f"a study over {seeds} seeds of {config.describe(with_seed=False)}"
    job = runner().submit(_study_key(config, seeds), partial(_run_study, config, seeds), label)
    return follow(job, chart_title=f"Median loss per epoch over the {seeds} seeds")


def _finished(key: Any, chart_title: str = "Loss per epoch") -> Any:
    result = runner().result(key)
    if result is None and (job := runner().job(key)) is not None:
        result = follow(job, chart_title)
    return result


def follow(job: Job, chart_title: str = "Loss per epoch") -> Any:
    """Show a job's progress live until it finishes; its result, or None with the reason shown.

    The job runs on its own thread: if this session reruns or leaves the page, only the display
    stops, and the job's result waits in the cache.
    """
    stop = st.empty()
    if stop.button("Stop training", key="stop_job", help="Stop after the current epoch; nothing is kept"):
        job.stop()
    status = st.empty()
    bars = {kind: st.progress(0.0, text=f"{MODEL_LABELS[kind]}: waiting") for kind in MODEL_KINDS}
    live_chart = st.empty()
    started, drawn = time.monotonic(), 0
    while not job.wait(timeout=0.25):
        # Something is drawn every pass: that is where Streamlit can stop this run for a rerun.
        seconds = time.monotonic() - started
        logs = list(job.logs)
        if job.state == "queued":
            status.caption(f"Queued behind another training ({seconds:.0f} s)")
        else:  # XLA compiles the epoch loop before the first epoch ends: a few seconds of silence
            status.caption(f"Running for {seconds:.0f} s" + ("" if logs else ", compiling the epoch loop"))
        if len(logs) > drawn:
            _draw_progress(logs, bars, live_chart, chart_title)
            drawn = len(logs)
    for element in (stop, status, live_chart, *bars.values()):
        element.empty()
    if job.state == "failed":
        st.error(f"Training failed: {job.error}. Change the configuration or try again.")
    elif job.state == "stopped":
        st.warning("Training was stopped before it finished; nothing of it was kept.")
    return job.result


def _draw_progress(logs: list[Any], bars: dict[str, Any], live_chart: Any, title: str) -> None:
    """Each model's bar at its latest epoch, and the loss curves so far."""
    histories: dict[str, tuple[list[float], list[float]]] = {}
    latest = {}
    for log in logs:
        loss, test_mse = histories.setdefault(MODEL_LABELS[log.kind], ([], []))
        loss.append(log.loss)
        test_mse.append(log.test_mse)
        latest[log.kind] = log
    for kind, log in latest.items():
        text = f"{MODEL_LABELS[kind]}: epoch {log.epoch}/{log.epochs}, loss {log.loss:.3g}"
        bars[kind].progress(log.epoch / log.epochs, text=text)
    with live_chart:  # a key per redraw, so that no two charts of one run share an id
        chart(loss_figure(histories, title), key=f"live_loss_{len(logs)}")
