"""Compare: both trained models of the current config against the naive rules, their attention as it
trained, what drives their predictions, and what they say of a window you edit."""

import numpy as np
import pandas as pd
import streamlit as st

from fibdash.config import MODEL_KINDS, MODEL_LABELS, command_line
from fibdash.data import scale_note
from fibdash.explain import METHOD_LABELS, explain, explanation_words
from fibdash.figures import (
    attention_heatmap,
    attention_mean_figure,
    correlation_figure,
    errors_figure,
    importance_figure,
    inputs_figure,
    loss_figure,
    predictions_figure,
    scores_figure,
    window_figure,
)
from fibdash.metrics import diagnose, naive_baselines, predictions_frame, score, scores_table
from fibdash.study import one_run
from fibdash.whatif import UNITS, as_text, parse_window, rule_answers, unmoved, window_inputs
from streamlit_glue import navigation, settings, show, work

navigation.page("Compare", ":material/compare:")
config = settings.sidebar_train_config()
show.config_caption(config)

training = work.pair(config)
results = work.result(training)
if results is None:
    work.button(
        training,
        idle="This configuration has not been trained yet, so there is nothing to compare. Train it here.",
    )
    st.stop()

data = show.dataset(config.data)
baselines = naive_baselines(data)
models = [score(result.name, data, result.predictions) for result in results.values()]
scores = models + baselines
predictions = {s.name: s.predictions for s in models}
attention = results["attention"]
by_position = np.argsort(data.positions[data.test_idx])  # test windows along the series
windows = [int(i) for i in by_position]


def window_name(row: int) -> str:
    return f"predicting value {data.positions[data.test_idx[row]]} of the series"


with st.container(key="scores"):
    st.subheader("Scores")
    for result, scored in zip(results.values(), models, strict=True):
        for message in diagnose(scored, data, baselines, result.loss_history, config):
            st.warning(f"**{result.name}**: {message}")
    test_mse = {kind: result.test_mse for kind, result in results.items()}
    st.info(one_run(test_mse, study="the **Robustness** page's study"))
    table = scores_table(scores)
    left, right = st.columns([2, 3])
    with left:
        show.table(table, key="scores_table")
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

with st.container(key="predictions"):
    st.subheader("Predictions")
    st.caption(scale_note(data))
    scaled = st.toggle("Show the scaled values the networks see", key="scaled_predictions", value=False)
    show.chart(predictions_figure(data, predictions, scaled=scaled))
    relative = st.toggle("Relative error (%)", key="relative_error", value=False)
    show.chart(errors_figure(data, predictions, relative=relative))

with st.container(key="attention"):
    st.subheader("Attention, as it trained")
    history = attention.attention_history
    epoch = st.select_slider(
        "After epoch",
        history.epochs,
        value=history.epochs[-1],
        key="attention_epoch",
        help=f"The weights were recorded after {len(history.epochs)} of the {attention.epochs_run} epochs, "
        "evenly spaced (at most 50 snapshots, and 4 million weights in all).",
    )
    weights = history.weights[history.epochs.index(epoch)]
    loss, test_mse = (attention.loss_history[epoch - 1], attention.test_mse_history[epoch - 1])
    st.caption(f"After epoch {epoch}: training loss {loss:.3e}, test MSE {test_mse:.3e} (scaled values).")
    left, right = st.columns(2)
    with left:
        show.chart(attention_heatmap(data, weights, epoch))
    with right:
        show.chart(attention_mean_figure(weights, epoch))
    row = st.selectbox("Test window", windows, format_func=window_name, key="test_window")
    show.chart(window_figure(data, weights, row))

with st.container(key="explanation"):
    st.subheader("Does attention explain the prediction?")
    methods = list(attention.importance)
    method = st.radio(
        "Importance of a step, not read from attention",
        methods,
        format_func=METHOD_LABELS.get,
        horizontal=True,
        key="importance_method",
        help="Occlusion: the change in a prediction when that step is set to 0. Gradient x input: "
        "how fast the prediction moves with that step, times the step. Occlusion is left out where it "
        "would take long (many windows and time steps).",
    )
    explanation = explain(
        attention.attention,
        attention.importance[method],
        results["rnn"].importance[method],
        method,
        data.test_X,
    )
    left, right = st.columns(2)
    with left:
        show.chart(importance_figure(explanation))
    with right:
        show.chart(correlation_figure(explanation))
    st.markdown(explanation_words(explanation, config.data.scaling))

with st.container(key="what_if"):
    st.subheader("What if the window were different?")
    st.caption(
        "Edit a test window, or type your own, and ask both trained models (no retraining), next to the "
        "naive rules. The numbers are typed as text, so any Fibonacci number fits: 1.2e100 is fine."
    )
    left, right = st.columns(2)
    start = left.selectbox("Start from test window", windows, format_func=window_name, key="what_if_window")
    units = right.radio("Type values in", UNITS, horizontal=True, key="what_if_units")
    original = window_inputs(data, start)
    shown = original if units == UNITS[0] else data.to_scaled(original)
    steps = config.data.time_steps
    typed = st.text_area(
        f"The window's {steps} inputs, oldest first (t-{steps} to t-1), separated by commas",
        ", ".join(as_text(shown)),
        key=f"what_if_values_{start}_{units}",  # a new start or unit begins from that window's values
        help="Change any of them, or replace them all with numbers of your own.",
    )
    try:
        window = parse_window(typed.split(","), units, data)
    except ValueError as error:
        st.error(f"{error}. Change it above.")
    else:
        unedited = data.to_scaled(original)
        # the edited window, and beside it in one call the window before the edit, to tell what moved
        answers = work.what_if(results, np.stack([window, unedited])[:, :, None])
        if answers is not None:
            rows = {MODEL_LABELS[kind]: answers[kind][0][0] for kind in MODEL_KINDS}
            rows.update(rule_answers(data, window))
            predicted = np.array(list(rows.values()))
            frame = pd.DataFrame(
                {"predictor": list(rows), "scaled": predicted, "Fibonacci units": data.to_original(predicted)}
            )
            edited = not np.array_equal(window, unedited)
            # the models whose prediction the edit left exactly as it was
            moved = {kind: answers[kind][0][0] != answers[kind][0][1] for kind in MODEL_KINDS}
            still = [MODEL_LABELS[kind] for kind, did in moved.items() if edited and not did]
            if not edited:
                truth = data.series[data.positions[data.test_idx[start]]]
                st.caption(f"Unedited, this window's true next value is {truth:.6g}.")
            left, right = st.columns([2, 3])
            with left:
                show.table(frame, key="what_if_answers")
                if still:
                    why, log_minmax_helps = unmoved(data, window)
                    with st.container(key="what_if_unmoved"):
                        st.info(f"**{' and '.join(still)}**: {why}")
                        if log_minmax_helps:
                            settings.set_button(
                                "scaling",
                                "log-minmax",
                                "Switch to log-minmax scaling",
                                help="Sets the sidebar's scaling (and the address): the models then need "
                                "training again, on this page or on Train.",
                            )
            with right:
                weights = answers["attention"][1][0]
                show.chart(
                    inputs_figure(window, data.to_original(window), weights, "Your window, its attention")
                )

with st.container(key="training"):
    st.subheader("Training")
    show.chart(
        loss_figure({MODEL_LABELS[k]: (r.loss_history, r.test_mse_history) for k, r in results.items()})
    )
show.reproduce(command_line(config), results["rnn"].versions)
navigation.next_step("pages/4_Robustness.py", "Does it hold for other seeds? Compare the models over many")
