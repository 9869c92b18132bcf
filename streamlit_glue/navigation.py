"""The pages, the sidebar's links and background jobs, and what every page does first."""

from __future__ import annotations

import streamlit as st

from streamlit_glue import work

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
        "does attention help, seed by seed?",
    ),
    ("pages/5_Sweep.py", "Sweep", ":material/grid_on:", "under which settings does attention help?"),
)


def page(title: str, icon: str) -> None:
    """Set up a page: browser title, sidebar navigation, jobs under way, heading."""
    st.set_page_config(page_title=f"{title} · fibdash", page_icon=icon, layout="wide")
    with st.sidebar:
        # Our own links: Streamlit's would call the home page "app", after its file.
        for path, label, page_icon, _ in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        with st.container():  # one block, however many jobs it lists: the settings below stay in place
            work.background_jobs()
        st.divider()
    st.title(f"{icon} {title}")


def next_step(path: str, label: str) -> None:
    """A link to the page a page leads to, with its icon; the settings go along in the address."""
    icon = next(page_icon for page, _, page_icon, _ in PAGES if page == path)
    st.page_link(path, label=label, icon=icon)
