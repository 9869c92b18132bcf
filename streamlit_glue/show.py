"""Tables, charts and notes drawn the same way on every page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from fibdash.config import MODEL_KINDS, DataConfig, TrainConfig
from fibdash.data import Dataset, make_dataset
from fibdash.engine.records import Trained
from fibdash.notebook import notebook, notebook_name
from fibdash.quoting import markdown_literal
from fibdash.serving.downloads import keras_files

# Plotly's toolbar shows on hover only, so that it never covers a chart's title on a phone.
CHART_CONFIG = {"displaylogo": False, "displayModeBar": "hover", "responsive": True}


def chart(figure: go.Figure, **kwargs: Any) -> None:
    """Draw a figure in fibdash's own look rather than Streamlit's theme."""
    st.plotly_chart(figure, theme=None, config=CHART_CONFIG, **kwargs)


def table(frame: pd.DataFrame, key: str | None = None) -> None:
    """A dataframe with every float shown to 4 significant digits, in a container keyed `key`.

    As text: Streamlit's number formats give up on values beyond about 1e21, and Fibonacci
    numbers and errors in Fibonacci units go far beyond.
    """
    shown = frame.copy()
    for column in shown.select_dtypes("float").columns:
        shown[column] = shown[column].map("{:.4g}".format)
    with st.container(key=key):
        st.dataframe(shown, hide_index=True)


def config_caption(config: DataConfig | TrainConfig, with_seed: bool = True, more: str = "") -> None:
    """Which configuration a page's numbers belong to, in a container keyed "configuration"."""
    text = config.describe(with_seed) if isinstance(config, TrainConfig) else config.describe()
    with st.container(key="configuration"):
        st.caption(markdown_literal(f"Configuration: {text}{more}"))


@st.cache_data(max_entries=32, show_spinner=False)
def dataset(config: DataConfig) -> Dataset:
    """The windows of `config`, built once per config for every session."""
    return make_dataset(config)


def keras_file(pair: Mapping[str, Trained], kind: str) -> Callable[[], bytes]:
    """The `.keras` file of `pair[kind]`, made when its download is asked for: both models' files at once,
    in a process that loads TensorFlow for a few seconds (the server never does)."""
    models = [pair[name] for name in MODEL_KINDS]
    return lambda: keras_files(models)[MODEL_KINDS.index(kind)]


def reproduce(command: str, versions: dict[str, str] | None) -> None:
    """The command line that gives these numbers, and what made them (`versions`), in a block a user can
    copy; before there are numbers (`versions` None), the command that trains them outside the app."""
    with st.container(key="reproduce"):
        if versions is None:
            st.markdown("**Or train them outside the app**, from a checkout of this project:")
            st.code(command, language="bash")
            return
        made_with = ", ".join(f"{name} {version}" for name, version in versions.items())
        st.markdown("**Reproduce these numbers** outside the app, from a checkout of this project:")
        st.code(f"# made with {made_with}\n{command}", language="bash")


def notebook_button(config: TrainConfig, horizon: int = 1) -> None:
    """The download of `config` (with its forecasts `horizon` steps ahead) as a Jupyter notebook, built when
    it is pressed."""
    st.download_button(
        "Download notebook (.ipynb)",
        lambda: notebook(config, horizon),
        notebook_name(config),
        "application/x-ipynb+json",
        key="download_notebook",
        on_click="ignore",
        help="Both models of this configuration in a Jupyter notebook: the data, the attention head and "
        "the training with Keras' own `fit`, which prints these test MSEs. It needs Keras, NumPy, "
        "scikit-learn and Plotly, not fibdash.",
    )
