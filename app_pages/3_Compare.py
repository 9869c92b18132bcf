"""Compare: both trained models of the current config against the naive rules, their attention as it
trained, what drives their predictions, and what they say of a window you edit."""

import numpy as np
import pandas as pd
import streamlit as st

from fibdash.analysis.explain import METHOD_LABELS, explain, explanation_words
from fibdash.analysis.metrics import (
    Scores,
    autoregression,
    diagnose,
    headline,
    naive_baselines,
    predictions_frame,
    score,
    scores_table,
)
from fibdash.analysis.study import one_run
from fibdash.analysis.whatif import UNITS, as_text, parse_window, rule_answers, unmoved, window_inputs
from fibdash.command import command_line
from fibdash.config import MODEL_KINDS, MODEL_LABELS, TrainConfig, counted
from fibdash.data import Dataset, scale_note
from fibdash.engine.records import Trained
from fibdash.figures.compare import (
    attention_heatmap,
    attention_mean_figure,
    correlation_figure,
    errors_figure,
    importance_figure,
    inputs_figure,
    predictions_figure,
    scores_figure,
    window_figure,
)
from fibdash.figures.training import loss_figure
from fibdash.quoting import markdown_literal
from streamlit_glue import navigation, settings, show, work


def test_windows(data: Dataset) -> list[int]:
    """The test windows' rows along the series, for the pages' window choosers."""
    return [int(i) for i in np.argsort(data.positions[data.test_idx])]


def window_name(data: Dataset, row: int) -> str:
    return f"predicting value {data.positions[data.test_idx[row]]} of the series"


def scores_section(config: TrainConfig, data: Dataset, results: dict[str, Trained]) -> None:
    """The answer first: which model did better in this run, both models' scores beside the naive rules'
    (table and chart, with downloads); then what to beware of in them (`caveats_section`)."""
    st.subheader("Scores")
    baselines = naive_baselines(data)
    models = [score(result.name, data, result.predictions) for result in results.values()]
    st.info(
        one_run({kind: r.test_mse for kind, r in results.items()}, study="the **Robustness** page's study")
    )
    table = scores_table(models + baselines)
    left, right = st.columns([2, 3])
    with left:
        show.table(table, key="scores_table")
        st.caption(
            markdown_literal(
                "MSE is on the scaled values, the tutorial's metric. MdAPE is the median absolute percentage "
                f"error in {data.units}. The naive rules see the same test windows: a network that does not "
                f"beat them has not learnt the series. {autoregression(data).describe(data)}"
            )
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
            lambda: predictions_frame(data, models + baselines).to_csv(index=False),
            "predictions.csv",
            "text/csv",
            key="download_predictions",
            on_click="ignore",
        )
        show.notebook_button(config)
    with right:
        show.chart(scores_figure(table))
    caveats_section(config, data, results, models, baselines)


def caveats_section(
    config: TrainConfig,
    data: Dataset,
    results: dict[str, Trained],
    models: list[Scores],
    baselines: list[Scores],
) -> None:
    """What is wrong with the models' scores (`diagnose`), after them: one short box, a line per model
    naming its warnings, and each warning in full folded below it."""
    warnings = {
        result.name: diagnose(scored, data, baselines, result.loss_history, config)
        for result, scored in zip(results.values(), models, strict=True)
    }
    warned = {name: messages for name, messages in warnings.items() if messages}
    if not warned:
        return
    with st.container(key="caveats"):
        st.warning(
            "\n".join(
                f"- **{name}**: {'; '.join(markdown_literal(headline(message)) for message in messages)}."
                for name, messages in warned.items()
            )
        )
        with st.expander("What these warnings mean"):
            for name, messages in warned.items():
                for message in messages:
                    st.markdown(f"**{name}**: {markdown_literal(message)}")


def predictions_section(data: Dataset, results: dict[str, Trained]) -> None:
    """Both models' test predictions along the series, and their errors."""
    st.subheader("Predictions")
    st.caption(markdown_literal(scale_note(data)))
    predictions = {result.name: result.predictions for result in results.values()}
    scaled = st.toggle("Show the scaled values the networks see", key="scaled_predictions", value=False)
    show.chart(predictions_figure(data, predictions, scaled=scaled))
    relative = st.toggle("Relative error (%)", key="relative_error", value=False)
    show.chart(errors_figure(data, predictions, relative=relative))


def attention_section(data: Dataset, attention: Trained) -> None:
    """The attention weights after a chosen epoch: every test window, their mean, and one window."""
    st.subheader("Attention, as it trained")
    history = attention.attention_history
    epoch = st.select_slider(
        "After epoch",
        history.epochs,
        value=history.epochs[-1],
        key="attention_epoch",
        help=f"The weights were recorded after {len(history.epochs)} of the "
        f"{counted(attention.epochs_run, 'epoch')}, evenly spaced (at most 50 snapshots, and 4 million "
        "weights in all).",
    )
    weights = history.weights[history.epochs.index(epoch)]
    loss, test_mse = (attention.loss_history[epoch - 1], attention.test_mse_history[epoch - 1])
    st.caption(f"After epoch {epoch}: training loss {loss:.3e}, test MSE {test_mse:.3e} (scaled values).")
    left, right = st.columns(2)
    with left:
        show.chart(attention_heatmap(data, weights, epoch))
    with right:
        show.chart(attention_mean_figure(weights, epoch))
    row = st.selectbox(
        "Test window", test_windows(data), format_func=lambda row: window_name(data, row), key="test_window"
    )
    show.chart(window_figure(data, weights, row))


def explanation_section(config: TrainConfig, data: Dataset, results: dict[str, Trained]) -> None:
    """Attention beside an importance measured another way, and what their agreement says."""
    st.subheader("Does attention explain the prediction?")
    attention = results["attention"]
    method = st.radio(
        "Importance of a step, not read from attention",
        list(attention.importance),
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
    st.markdown(explanation_words(explanation, config.data.scaling, config.data.series))


def what_if_section(config: TrainConfig, data: Dataset, results: dict[str, Trained]) -> None:
    """A window the visitor edits, and both trained models' answers for it beside the rules'."""
    st.subheader("What if the window were different?")
    st.caption(
        "Edit a test window, or type your own, and ask both trained models (no retraining), next to the "
        "naive rules. The numbers are typed as text, so any size fits: 1.2e100 is fine."
    )
    left, right = st.columns(2)
    start = left.selectbox(
        "Start from test window",
        test_windows(data),
        format_func=lambda row: window_name(data, row),
        key="what_if_window",
    )
    units = right.radio(
        "Type values in",
        UNITS,
        format_func=lambda u: markdown_literal(data.units if u == UNITS[0] else u),
        horizontal=True,
        key="what_if_units",
    )
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
        st.error(markdown_literal(f"{error}. Change it above."))
        return
    unedited = data.to_scaled(original)
    # the edited window, and beside it in one call the window before the edit, to tell what moved
    answers = work.what_if(results, np.stack([window, unedited])[:, :, None])
    if answers is None:
        return
    edited = not np.array_equal(window, unedited)
    if not edited:
        truth = data.series[data.positions[data.test_idx[start]]]
        st.caption(f"Unedited, this window's true next value is {truth:.6g}.")
    left, right = st.columns([2, 3])
    with left:
        answers_table(data, window, answers, edited)
    with right:
        weights = answers["attention"][1][0]
        show.chart(
            inputs_figure(
                window, data.to_original(window), weights, "Your window, its attention", data.value_name
            )
        )


def answers_table(data: Dataset, window: np.ndarray, answers: dict, edited: bool) -> None:
    """The models' and rules' answers for `window`, and why a model's answer did not move if it did not."""
    rows = {MODEL_LABELS[kind]: answers[kind][0][0] for kind in MODEL_KINDS}
    rows.update(rule_answers(data, window))
    predicted = np.array(list(rows.values()))
    frame = pd.DataFrame(
        {"predictor": list(rows), "scaled": predicted, data.units: data.to_original(predicted)}
    )
    show.table(frame, key="what_if_answers")
    # the models whose prediction the edit left exactly as it was
    still = [
        MODEL_LABELS[kind] for kind in MODEL_KINDS if edited and answers[kind][0][0] == answers[kind][0][1]
    ]
    if not still:
        return
    why, log_minmax_helps = unmoved(data, window)
    with st.container(key="what_if_unmoved"):
        st.info(f"**{' and '.join(still)}**: {markdown_literal(why)}")
        if log_minmax_helps:
            settings.set_button(
                "scaling",
                "log-minmax",
                "Switch to log-minmax scaling",
                help="Sets the sidebar's scaling (and the address): the models then need "
                "training again, on this page or on Train.",
            )


def training_section(results: dict[str, Trained]) -> None:
    st.subheader("Training")
    show.chart(
        loss_figure({MODEL_LABELS[k]: (r.loss_history, r.test_mse_history) for k, r in results.items()})
    )


config = settings.train_config()
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
with st.container(key="scores"):
    scores_section(config, data, results)
with st.container(key="predictions"):
    predictions_section(data, results)
with st.container(key="attention"):
    attention_section(data, results["attention"])
with st.container(key="explanation"):
    explanation_section(config, data, results)
with st.container(key="what_if"):
    what_if_section(config, data, results)
with st.container(key="training"):
    training_section(results)
show.reproduce(command_line(config), results["rnn"].versions)
navigation.next_step(
    "app_pages/4_Robustness.py", "Does it hold for other seeds? Compare the models over many"
)
