"""Compare: both trained models of the current config against each other and the naive rules."""

import numpy as np
import streamlit as st

from fibdash.__main__ import command_line
from fibdash.config import MODEL_LABELS
from fibdash.data import scale_note
from fibdash.figures import (
    attention_heatmap,
    attention_mean_figure,
    errors_figure,
    loss_figure,
    predictions_figure,
    scores_figure,
    window_figure,
)
from fibdash.metrics import diagnose, naive_baselines, predictions_frame, scores_table
from streamlit_glue import navigation, settings, show, work

navigation.page("Compare", ":material/compare:")
config = settings.sidebar_train_config()
show.config_caption(config)

results = work.trained_pair(config)
if results is None:
    if work.train_pair_button(config) is None:
        st.info("This configuration has not been trained yet, so there is nothing to compare. Train it here.")
    st.stop()

data = show.dataset(config.data)
baselines = naive_baselines(data)
models = [results[kind].scores for kind in results]
scores = models + baselines
predictions = {s.name: s.predictions for s in models}

st.subheader("Scores")
for kind, result in results.items():
    for message in diagnose(result.scores, data, baselines, result.loss_history, config):
        st.warning(f"**{MODEL_LABELS[kind]}**: {message}")
table = scores_table(scores)
left, right = st.columns([2, 3])
with left:
    show.table(table)
    st.caption(
        "MSE is on the scaled values, the tutorial's metric. MdAPE is the median absolute percentage "
        "error in Fibonacci units. The naive rules see the same test windows: a network that does not "
        "beat the Fibonacci rule has not learnt the series."
    )
    st.download_button(
        "Scores (CSV)",
        table.to_csv(index=False),
        "scores.csv",
        "text/csv",
        key="download_scores",
        on_click="ignore",
    )
    st.download_button(
        "Predictions (CSV)",
        lambda: predictions_frame(data, scores).to_csv(index=False),
        "predictions.csv",
        "text/csv",
        key="download_predictions",
        on_click="ignore",
    )
with right:
    show.chart(scores_figure(table))

st.subheader("Predictions")
st.caption(scale_note(data))
scaled = st.toggle("Show the scaled values the networks see", key="scaled_predictions", value=False)
show.chart(predictions_figure(data, predictions, scaled=scaled))
relative = st.toggle("Relative error (%)", key="relative_error", value=False)
show.chart(errors_figure(data, predictions, relative=relative))

st.subheader("Attention")
weights = results["attention"].attention
left, right = st.columns(2)
with left:
    show.chart(attention_heatmap(data, weights))
with right:
    show.chart(attention_mean_figure(weights))
order = np.argsort(data.positions[data.test_idx])
choices = [int(i) for i in order]
row = st.selectbox(
    "Test window",
    choices,
    format_func=lambda i: f"predicting value {data.positions[data.test_idx[i]]} of the series",
    key="test_window",
)
show.chart(window_figure(data, weights, row))

st.subheader("Training")
show.chart(loss_figure({MODEL_LABELS[k]: (r.loss_history, r.test_mse_history) for k, r in results.items()}))
show.reproduce(command_line(config), results["rnn"].versions)
