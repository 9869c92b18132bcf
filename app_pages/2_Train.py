"""Train: both models of the current config (of each fold of a backtest), with live progress; results stay
cached for everyone."""

import streamlit as st

from fibdash import LOAD_MODEL_SNIPPET
from fibdash.analysis.forecast import evaluate, fold_pairs
from fibdash.analysis.metrics import MASE_WORDS, diagnose, first_nonfinite_epoch
from fibdash.command import command_line
from fibdash.config import MODEL_KINDS, MODEL_LABELS, counted
from fibdash.engine.summary import summary_rows, total_parameters
from fibdash.figures.dataset import windows_figure
from fibdash.figures.training import loss_figure
from fibdash.quoting import markdown_literal, markdown_table
from streamlit_glue import navigation, settings, show, work

config = settings.train_config()
with st.sidebar:
    work.clear_button()
show.config_caption(config)

training = work.pair(config)
trained = work.result_or_button(
    training,
    idle="This configuration has not been trained yet. Press **Train both models**: the tutorial's "
    "configuration takes a few seconds, and training goes on if you open another page meanwhile.",
)
if trained is None:
    # what the press will train on, and the same from a terminal: drawn while nobody waits, so that the
    # browser has loaded its chart and code-block code before the result needs them
    with st.container(key="preview"):
        st.markdown("**What the press trains**: both models, on these windows (the Dataset page shows more).")
        for column, kind in zip(st.columns(len(MODEL_KINDS)), MODEL_KINDS, strict=True):
            column.metric(f"{MODEL_LABELS[kind]}: parameters", total_parameters(summary_rows(config, kind)))
        show.chart(windows_figure(show.dataset(config.data)))
        show.notebook_button(config)
        show.reproduce(command_line(config), versions=None)
    st.stop()

pairs = fold_pairs(trained)
evaluation = evaluate(show.dataset(config.data), work.datasets(config.data), pairs)
data, baselines = evaluation.data, evaluation.baselines
pair = pairs[-1]  # a backtest's last fold: the model trained on the most
diverged = [
    MODEL_LABELS[kind]
    for kind in MODEL_KINDS
    if any(first_nonfinite_epoch(fold[kind].loss_history) for fold in pairs)
]
trained = st.container(key="trained")
if diverged:
    trained.warning(
        f"Trained, but training failed for {' and '.join(diverged)}: the loss stopped being a number "
        "(see below). The results belong to the configuration shown above, cached for every session."
    )
else:
    trained.success(
        "Trained: results below belong to the configuration shown above, and are cached for every session."
    )
if len(pairs) > 1:
    st.caption(
        f"A backtest: both models trained once per fold, {len(pairs)} folds, each on every window before its "
        "block of test windows. The scores are the folds' mean (Compare shows each fold's); the epochs, "
        "summary and download are the last fold's models."
    )
columns = st.columns(len(MODEL_KINDS))
for column, kind, scores in zip(columns, MODEL_KINDS, evaluation.models, strict=True):
    result = pair[kind]
    summary = summary_rows(config, kind)
    with column, st.container(key=f"model_{kind}"):
        st.subheader(MODEL_LABELS[kind])
        st.metric("Test MSE (scaled)", f"{scores.test_mse:.3e}")
        st.metric("Train MSE (scaled)", f"{scores.train_mse:.3e}")
        st.metric(
            markdown_literal(f"Test MdAPE ({data.units})"),
            f"{scores.test_mdape:.3g} %",
            help=markdown_literal(
                f"Median absolute percentage error of the test predictions turned back into {data.units}. "
                "With MinMax scaling a tiny scaled error can be a huge one here."
            ),
        )
        st.metric("Test MASE", f"{scores.test_mase:.3g}", help=MASE_WORDS)
        for message in diagnose(scores, data, baselines, result.loss_history, config):
            st.warning(markdown_literal(message))
        seconds = sum(fold[kind].seconds for fold in pairs)
        st.caption(f"{counted(result.epochs_run, 'epoch')} in {seconds:.1f} s")
        st.markdown(markdown_table(summary))
        st.caption(f"Total parameters: {total_parameters(summary)}")
        st.download_button(
            "Download model (.keras)",
            data=show.keras_file(pair, kind),
            file_name=f"{kind}_model.keras",
            mime="application/octet-stream",
            key=f"download_{kind}",
            on_click="ignore",
            help="Load it in Python with\n\n```python\n"
            + LOAD_MODEL_SNIPPET.replace("attention_model.keras", f"{kind}_model.keras")
            + "\n```",
        )

show.notebook_button(config)
show.chart(loss_figure({MODEL_LABELS[k]: (r.loss_history, r.test_mse_history) for k, r in pair.items()}))
show.reproduce(command_line(config), pair["rnn"].versions)
navigation.next_step("app_pages/3_Compare.py", "Compare predictions and attention")
