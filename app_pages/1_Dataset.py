"""Dataset: the series (or your own CSV's column), its scaling, the windows and the train/test split."""

import streamlit as st

from fibdash.data import windows_frame
from fibdash.figures.dataset import scaled_series_figure, series_figure, split_figure, target_histogram
from fibdash.series import SERIES_WHAT
from streamlit_glue import navigation, settings, show, upload

upload.uploader(expanded=st.session_state.get("series") == "csv")  # before the settings can stop the page
config = settings.data_config()
show.config_caption(config)
data = show.dataset(config)

st.markdown(
    f"**{config.series}**: {SERIES_WHAT[config.series]} The series has **{config.n}** values. "
    f"Each window of **{config.time_steps}** consecutive values "
    f"is an input and the next value its target: **{config.n_samples}** windows, shuffled with seed "
    f"{config.split_seed} and split into **{config.n_train}** training and **{config.n_test}** test windows."
)
left, right = st.columns(2)
with left:
    show.chart(series_figure(data))
    show.chart(target_histogram(data))
with right:
    show.chart(scaled_series_figure(data))
    st.markdown(
        "MinMax scaling divides by the largest number, so nearly every target becomes a tiny "
        "number and a tiny MSE says little. `log-minmax` scales the logarithms instead and keeps "
        "the targets spread out."
        if config.series == "fibonacci"
        else "MinMax scaling maps the series' smallest value to 0 and its largest to 1. `log-minmax` "
        "scales the logarithms instead, where every value is above 0."
    )
show.chart(split_figure(data))

st.subheader("The windows, as the tutorial prints them")
frame = windows_frame(data)
st.caption("Training windows first, in the tutorial's shuffled order; scaled inputs t-T … t-1 and target.")
show.table(frame.head(10), key="windows")
st.download_button(
    "Download all windows (CSV)",
    data=lambda: frame.to_csv(index=False),
    file_name=f"{config.series}_windows_n{config.n}_t{config.time_steps}_{config.scaling}.csv",
    mime="text/csv",
    key="download_windows",
    on_click="ignore",
)
navigation.next_step("app_pages/2_Train.py", "Train both models on this data")
