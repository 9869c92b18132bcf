"""The app's pages, declared once, and what runs before each: links, jobs, settings, heading.

`app.py` calls `run`. Every setting is drawn here, in the entrypoint, before the page: Streamlit
then keeps one widget per setting for every page, and a page change carries each value, and the
address with it, to the next page. A page reads the configuration with `settings.*_config()`.

The pages live in `app_pages/`, not `pages/`: beside a folder named `pages` Streamlit (1.67) runs
the page a link names straight from that folder, without this entrypoint, until the entrypoint
has run once in the server's process (`PagesManager.uses_pages_directory`).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from streamlit_glue import settings, work


@dataclass(frozen=True)
class Page:
    """A page: its script, label and icon in the links, what it shows, the settings it uses."""

    path: str
    label: str
    icon: str
    what: str
    sections: tuple[str, ...] = ("data", "training")  # of settings.SECTIONS, unfolded in the sidebar
    heading: str = ""  # the page's title, when it is not its label


# While a script runs, Streamlit's status widget (top right) swaps six running-man icons every 200 ms: a
# React render, a style recalculation and a paint each, in every tab, for as long as the run lasts (a
# press waits in its run for a short job). Shown instead: the word, still. See the README's class row.
STILL_RUNNING_ICON = """<style>
[data-testid="stStatusWidgetRunningManIcon"] { display: none; }
[data-testid="stStatusWidgetRunningIcon"] { width: auto; margin-right: 0.75rem; white-space: nowrap; }
[data-testid="stStatusWidgetRunningIcon"]::after { content: "Running..."; font-size: 0.875rem; opacity: 0.6; }
</style>"""


PAGES = (
    Page(
        "app_pages/home.py",
        "Home",
        ":material/home:",
        "what this is and the tutorial's two models",
        sections=(),
        heading="fibdash: attention in a recurrent network",
    ),
    Page(
        "app_pages/0_Tutorial.py",
        "Tutorial",
        ":material/school:",
        "the tutorial's steps, each claim checked",
        sections=(),
        heading="The tutorial, step by step",
    ),
    Page(
        "app_pages/1_Dataset.py",
        "Dataset",
        ":material/table_chart:",
        "the series, scalings, windows and split",
        ("data",),
    ),
    Page("app_pages/2_Train.py", "Train", ":material/model_training:", "both models, with live progress"),
    Page(
        "app_pages/3_Compare.py",
        "Compare",
        ":material/compare:",
        "scores, forecasts, errors and attention",
        ("data", "training", "forecast"),
    ),
    Page(
        "app_pages/4_Robustness.py",
        "Robustness",
        ":material/stacked_line_chart:",
        "does attention help, seed by seed?",
        ("data", "training", "study"),
    ),
    Page(
        "app_pages/5_Sweep.py",
        "Sweep",
        ":material/grid_on:",
        "under which settings does attention help?",
        ("data", "training", "study", "sweep"),
    ),
)


def run() -> None:
    """Run the page the address asks for, after the sidebar and the page's heading."""
    pages = {
        page: st.Page(page.path, title=page.label, icon=page.icon, default=page is PAGES[0]) for page in PAGES
    }
    # Hidden: the sidebar's links below are our own, drawn where the settings expect them.
    current = st.navigation(list(pages.values()), position="hidden")
    page = next(page for page, declared in pages.items() if declared is current)
    if (respelled := settings.respelled_link()) is not None:  # the address in the app's own spelling
        st.switch_page(current, query_params=respelled)
    st.set_page_config(page_title=f"{page.label} · fibdash", page_icon=page.icon, layout="wide")
    st.html(STILL_RUNNING_ICON)
    with st.sidebar:
        for declared in pages.values():
            st.page_link(declared)
        with st.container():  # one block, however many jobs it lists: the settings below stay in place
            work.background_jobs()
        st.divider()
    problems = settings.draw(page.sections)
    st.title(f"{page.icon} {page.heading or page.label}")
    settings.warn(problems)
    current.run()


def next_step(path: str, label: str) -> None:
    """A link to the page a page leads to, with its icon; the settings go along in the address."""
    st.page_link(path, label=label, icon=next(page.icon for page in PAGES if page.path == path))


def _configure(button: str, changes: dict) -> None:
    if st.session_state.get(button):  # a press, not a button of a page that went away (see settings._set)
        settings.configure(changes)


def try_it(label: str, path: str, changes: dict, key: str, query: dict[str, str] | None = None) -> None:
    """A button that sets the tutorial's configuration with `changes` and opens the page at `path`, its
    address holding `query`, the page's own parameters (`?study=variants`), besides the settings."""
    icon = next(page.icon for page in PAGES if page.path == path)
    if st.button(label, key=key, icon=icon, on_click=_configure, args=(key, changes)):
        st.switch_page(path, query_params=query or {})  # the settings write themselves back to the address
