"""Dataset: the series (or your own CSV's column), its scaling, the windows and the train/test split."""

import streamlit as st

from fibdash.analysis.metrics import out_of_reach
from fibdash.config import FIELDS
from fibdash.data import scaling_words, split_words, windows_frame
from fibdash.figures.dataset import (
    scaled_series_figure,
    series_figure,
    target_histogram,
    windows_figure,
)
from fibdash.series import SERIES_WHAT
from streamlit_glue import navigation, settings, show, upload, work

upload.uploader(expanded=st.session_state.get("series") == "csv")  # before the settings can stop the page
config = settings.data_config()
show.config_caption(config)
data = show.dataset(config)

st.markdown(
    f"**{config.series}**: {SERIES_WHAT[config.series]} The series has **{config.n}** values. "
    f"Each window of **{config.time_steps}** consecutive values is an input and the next value its target: "
    f"**{config.n_samples}** windows, {split_words(config)}"
)
if reach := out_of_reach(work.datasets(config), FIELDS["activation"].default):
    with st.container(key="out_of_reach"):
        st.warning(f"{reach} (The tutorial's networks end in tanh.)")
left, right = st.columns(2)
with left:
    show.chart(series_figure(data))
    show.chart(target_histogram(data))
with right:
    show.chart(scaled_series_figure(data))
    st.markdown(scaling_words(config))
show.chart(windows_figure(data))

st.subheader("The windows, as the tutorial prints them")
frame = windows_frame(data)
st.caption(
    "Training windows first"
    + (", in the tutorial's shuffled order" if config.split == "shuffled" else "")
    + "; scaled inputs t-T … t-1 and target."
)
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
