"""Compare: both trained models of the current config against the naive rules, their forecasts many steps
ahead, their attention as it trained, what drives their predictions (and, on the lags series, whether it finds
the steps known to matter), and what they say of a window you edit. Under a backtest the scores are the folds'
mean, and the sections after the forecasts show the last fold's models."""

import numpy as np
import pandas as pd
import streamlit as st

from fibdash.analysis.explain import (
    METHOD_LABELS,
    explain,
    explanation_words,
    lag_precisions,
    lag_table,
    lag_words,
)
from fibdash.analysis.forecast import (
    ERROR_MEASURES,
    Evaluation,
    Pair,
    error_by_step,
    evaluate,
    fold_pairs,
    forecast,
    forecast_note,
    mase_words,
)
from fibdash.analysis.metrics import (
    Scores,
    autoregression,
    diagnose,
    headline,
    out_of_reach,
    predictions_frame,
)
from fibdash.analysis.study import one_run
from fibdash.analysis.whatif import (
    UNITS,
    TypedWindow,
    as_text,
    parse_window,
    rule_answers,
    unmoved,
    window_inputs,
)
from fibdash.command import command_line
from fibdash.config import ATTENTION_WEIGHTS, MODEL_KINDS, MODEL_LABELS, TrainConfig, counted
from fibdash.data import Dataset, scale_note
from fibdash.engine.records import Trained
from fibdash.figures.compare import (
    attention_heatmap,
    attention_map_figure,
    attention_mean_figure,
    correlation_figure,
    errors_figure,
    forecast_figure,
    horizon_error_figure,
    importance_figure,
    inputs_figure,
    predictions_figure,
    scores_figure,
    window_figure,
)
from fibdash.figures.training import loss_figure
from fibdash.quoting import markdown_literal
from streamlit_glue import navigation, settings, show, work

# What the what-if's attention weights are, where the head's are not a softmax over one query's scores
WHAT_IF_WEIGHTS = {
    "self": " The weights drawn for your window are self-attention's last query's row, the one Dense reads.",
    "uniform": " The weights drawn are the uniform head's 1/T, whatever the window: the control learns none.",
}


def test_windows(data: Dataset) -> list[int]:
    """The test windows' rows along the series, for the pages' window choosers."""
    return [int(i) for i in np.argsort(data.positions[data.test_idx])]


def window_name(data: Dataset, row: int) -> str:
    return f"predicting value {data.positions[data.test_idx[row]]} of the series"


def scores_section(
    config: TrainConfig, horizon: int, evaluation: Evaluation, results: dict[str, Trained]
) -> None:
    """The answer first: which model did better in this run, both models' scores beside the naive rules'
    (table and chart, with downloads; the notebook forecasts `horizon` steps ahead); then what to beware
    of in them (`caveats_section`). `results`: the pair (a backtest's last fold's) whose training the
    warnings read."""
    st.subheader("Scores")
    data, baselines, models = evaluation.data, evaluation.baselines, evaluation.models
    test_mse = {kind: scores.test_mse for kind, scores in zip(results, models, strict=True)}
    st.info(one_run(test_mse, study="the **Robustness** page's study"))
    table = evaluation.table
    left, right = st.columns([2, 3])
    with left:
        show.table(table, key="scores_table")
        st.caption(
            markdown_literal(
                "MSE is on the scaled values, the tutorial's metric. MdAPE is the median absolute percentage "
                f"error in {data.units}. {mase_words(evaluation)} The naive rules see the same test windows: "
                "a network that does not beat them has not learnt the series. "
                + autoregression(data).describe(data)
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
        show.notebook_button(config, horizon)
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


def predictions_section(evaluation: Evaluation) -> None:
    """Both models' test predictions along the series (a backtest's folds stitched), and their errors."""
    st.subheader("Predictions")
    data = evaluation.data
    st.caption(markdown_literal(scale_note(data)))
    predictions = {scores.name: scores.predictions for scores in evaluation.models}
    scaled = st.toggle("Show the scaled values the networks see", key="scaled_predictions", value=False)
    show.chart(predictions_figure(data, predictions, scaled=scaled))
    relative = st.toggle("Relative error (%)", key="relative_error", value=False)
    show.chart(errors_figure(data, predictions, relative=relative))


def folds_section(evaluation: Evaluation) -> None:
    """A backtest's every fold's scores, whose mean the scores above are."""
    st.subheader("Fold by fold")
    st.caption(
        "Each fold trained on every window before its block of test windows and was scored on the block; "
        "the scores above are the folds' mean."
    )
    show.table(evaluation.folds, key="folds_table")


def forecast_section(
    config: TrainConfig, horizon: int, folds: list[tuple[Dataset, Pair]], whole: Dataset
) -> None:
    """Both models' and the rules' forecasts `horizon` steps ahead from every test window: their error by
    step, and one origin's forecasts."""
    st.subheader("Forecasting further ahead")
    if horizon == 1:
        st.info(
            "The scores above are one step ahead: every window's next value. Raise the **forecast horizon** "
            "(the sidebar's Forecast) to see each model forecast several steps from every test window, its "
            "own forecasts fed back as inputs; nothing trains again."
        )
        return
    forecasts = forecast(folds, horizon, work.predict_each)
    if forecasts is None:
        return
    st.caption(
        f"From every test window each predictor forecasts the next {horizon} values, each step's forecast "
        "appended to its window, in the series' units, and scaled again as the networks' inputs "
        f"({config.data.scaling} scaling). Step 1 is the one-step prediction the scores above measure."
        + (" Each fold's models forecast from its own test windows." if len(folds) > 1 else "")
    )
    if note := forecast_note(whole):
        st.warning(note)
    errors = error_by_step(forecasts)
    origins = list(range(len(forecasts.rows)))
    left, right = st.columns(2)
    measure = left.radio("Error", ERROR_MEASURES, horizontal=True, key="horizon_measure")
    origin = right.selectbox(
        "Forecast from",
        origins,
        index=len(origins) // 2,
        format_func=lambda i: f"value {forecasts.positions[i] - 1} of the series (its window's last)",
        key="forecast_origin",
    )
    left, right = st.columns(2)
    with left:
        show.chart(horizon_error_figure(errors, measure, whole.units))
    with right:
        show.chart(forecast_figure(whole, forecasts, origin))
    st.download_button(
        "Error by step (CSV)",
        errors.to_csv(index=False),
        "forecast_errors.csv",
        "text/csv",
        key="download_forecast_errors",
        on_click="ignore",
    )


def attention_section(data: Dataset, attention: Trained) -> None:
    """The attention weights after a chosen epoch: every test window, their mean, and one window; of
    self-attention, that window's whole T x T map too."""
    st.subheader("Attention, as it trained")
    head = attention.config.attention
    st.caption(ATTENTION_WEIGHTS[head])
    if head == "uniform":
        st.info(
            f"This model's head is the uniform control: every weight is 1/{data.config.time_steps} whatever "
            "the training, so the charts below are flat by construction and show nothing it learnt. Its "
            "training loss and test MSE at each epoch are its own; set the sidebar's attention to another "
            "head to see weights that are learnt."
        )
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
    if head == "self":
        self_attention_map(data, attention, row)


def self_attention_map(data: Dataset, attention: Trained, row: int) -> None:
    """The trained self-attention model's whole T x T map of weights for test window `row`."""
    trace = work.attention_trace(attention, data.X[data.test_idx[row], :, 0])
    if trace is None:
        return
    position = int(data.positions[data.test_idx[row]])
    with st.container(key="attention_map"):
        left, right = st.columns(2)
        left.markdown(
            "**Every position's weights.** Self-attention lets each position of the window (a query, one "
            "row) weigh every step (the keys, the columns); each row sums to 1. Only the last position's "
            "output reaches the Dense layer, so its row, outlined, is the one the charts above show; the "
            "other rows shape nothing the model predicts. These are the trained model's weights for the "
            "window chosen above, after the last epoch."
        )
        with right:
            show.chart(
                attention_map_figure(
                    trace.weight_map, f"Self-attention map, window predicting value {position}"
                )
            )


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
    st.markdown(explanation_words(explanation, config.data.scaling, config.data.series, config.attention))


def known_lags_section(config: TrainConfig, results: dict[str, Trained]) -> None:
    """On the lags series, whose true lags are known: whether the attention weights, occlusion and gradient x
    input find them (precision at 2), for the attention model and the RNN."""
    st.subheader("A task whose answer is known")
    attention = results["attention"]
    precisions = lag_precisions(attention.attention, attention.importance, results["rnn"].importance)
    show.table(lag_table(precisions), key="lag_precision")
    st.caption(
        "Precision at 2 of each measure over the test windows. The RNN has no attention weights; occlusion "
        "is left out where it would take long."
    )
    st.markdown(lag_words(precisions, config.data.time_steps, config.attention))


def what_if_section(config: TrainConfig, data: Dataset, results: dict[str, Trained]) -> None:
    """A window the visitor edits, and both trained models' answers for it beside the rules'."""
    st.subheader("What if the window were different?")
    st.caption(
        "Edit a test window, or type your own, and ask both trained models (no retraining), next to the "
        "naive rules. The numbers are typed as text, so any size fits: 1.2e100 is fine."
        + WHAT_IF_WEIGHTS.get(config.attention, "")
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
    unedited = data.window_scaled(original[None])[0]
    shown = original if units == UNITS[0] else unedited
    steps = config.data.time_steps
    typed = st.text_area(
        f"The window's {steps} inputs, oldest first (t-{steps} to t-1), separated by commas",
        ", ".join(as_text(shown)),
        key=f"what_if_values_{start}_{units}",  # a new start or unit begins from that window's values
        help="Change any of them, or replace them all with numbers of your own.",
    )
    try:
        window = parse_window(typed.split(","), units, data, original)
    except ValueError as error:
        st.error(markdown_literal(f"{error}. Change it above."))
        return
    # the edited window, and beside it in one call the window before the edit, to tell what moved
    answers = work.what_if(results, np.stack([window.scaled, unedited])[:, :, None])
    if answers is None:
        return
    edited = not np.array_equal(window.scaled, unedited)
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
                window.scaled, window.original, weights, "Your window, its attention", data.value_name
            )
        )


def answers_table(data: Dataset, window: TypedWindow, answers: dict, edited: bool) -> None:
    """The models' and rules' answers for `window`, and why a model's answer did not move if it did not."""
    rows = {MODEL_LABELS[kind]: answers[kind][0][0] for kind in MODEL_KINDS}
    rows.update(rule_answers(data, window))
    predicted = np.array(list(rows.values()))
    original = data.answer_original(predicted, np.repeat(window.original[None], len(predicted), axis=0))
    frame = pd.DataFrame({"predictor": list(rows), "scaled": predicted, data.units: original})
    show.table(frame, key="what_if_answers")
    # the models whose prediction the edit left exactly as it was
    still = [
        MODEL_LABELS[kind] for kind in MODEL_KINDS if edited and answers[kind][0][0] == answers[kind][0][1]
    ]
    if not still:
        return
    why, log_minmax_helps = unmoved(data, window.scaled)
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


config, horizon = settings.compare_config()
show.config_caption(config)
training = work.pair(config)
trained = work.result_or_button(
    training,
    idle="This configuration has not been trained yet, so there is nothing to compare. Train it here.",
)
if trained is None:
    st.stop()
pairs, datasets = fold_pairs(trained), work.datasets(config.data)
whole = show.dataset(config.data)
evaluation = evaluate(whole, datasets, pairs)
results, data = pairs[-1], datasets[-1]  # a backtest's last fold: the model trained on the most
with st.container(key="scores"):
    scores_section(config, horizon, evaluation, results)
if reach := out_of_reach(datasets, config.activation):  # a caveat: after the answer, as the others
    with st.container(key="out_of_reach"):
        st.warning(reach)
if evaluation.folds is not None:
    with st.container(key="fold_scores"):
        folds_section(evaluation)
with st.container(key="predictions"):
    predictions_section(evaluation)
with st.container(key="forecast"):
    forecast_section(config, horizon, list(zip(datasets, pairs, strict=True)), whole)
if len(pairs) > 1:
    targets = data.positions[data.test_idx]
    st.info(
        f"From here on, the last fold's models: trained on every window before its block (targets "
        f"{targets.min()} to {targets.max()}), the one a forecaster would keep."
    )
with st.container(key="attention_weights"):  # not "attention": the setting's widget has that key
    attention_section(data, results["attention"])
with st.container(key="explanation"):
    explanation_section(config, data, results)
if config.data.series == "lags":
    with st.container(key="known_lags"):
        known_lags_section(config, results)
with st.container(key="what_if"):
    what_if_section(config, data, results)
with st.container(key="training"):
    training_section(results)
show.reproduce(command_line(config, horizon=horizon), results["rnn"].versions)
navigation.next_step(
    "app_pages/4_Robustness.py", "Does it hold for other seeds? Compare the models over many"
)
