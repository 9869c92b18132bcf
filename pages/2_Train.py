"""Train: both models of the current config, with live progress; results stay cached for everyone."""

import pandas as pd
import streamlit as st

import streamlit_glue as glue
from fibdash.config import MODEL_KINDS, MODEL_LABELS
from fibdash.figures import loss_figure

glue.page("Train", ":material/model_training:")
config = glue.train_config()
with st.sidebar:
    if st.button(
        "Clear trained models", key="clear_cache", help="Forget every cached result, for all sessions"
    ):
        glue.runner().clear()
        st.toast("Cache cleared")
glue.show_config(config)

results = glue.trained_pair(config)
if st.button("Train both models", key="train", type="primary", disabled=results is not None):
    results = glue.train_pair(config)
if results is None:
    st.info(
        "This configuration has not been trained yet. Press **Train both models**: the tutorial's "
        "configuration takes a few seconds, and training goes on if you open another page meanwhile."
    )
    st.stop()

st.success(
    "Trained: results below belong to the configuration shown above, and are cached for every session."
)
columns = st.columns(len(MODEL_KINDS))
for column, kind in zip(columns, MODEL_KINDS, strict=True):
    result = results[kind]
    with column:
        st.subheader(MODEL_LABELS[kind])
        st.metric("Test MSE (scaled)", f"{result.scores.test_mse:.3e}")
        st.metric("Train MSE (scaled)", f"{result.scores.train_mse:.3e}")
        st.metric(
            "Test MdAPE (Fibonacci units)",
            f"{result.scores.test_mdape:.3g} %",
            help="Median absolute percentage error of the test predictions turned back into Fibonacci "
            "numbers. With MinMax scaling a tiny scaled error is a huge one here.",
        )
        st.caption(f"{result.epochs_run} epochs in {result.seconds:.1f} s")
        rows = result.summary()
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption(f"Total parameters: {sum(row['Params'] for row in rows)}")
        st.download_button(
            "Download model (.keras)",
            data=result.keras_bytes,
            file_name=f"{kind}_model.keras",
            mime="application/octet-stream",
            key=f"download_{kind}",
            on_click="ignore",
        )

glue.chart(loss_figure({MODEL_LABELS[k]: (r.loss_history, r.test_mse_history) for k, r in results.items()}))
st.page_link("pages/3_Compare.py", label="Compare predictions and attention", icon=":material/compare:")
