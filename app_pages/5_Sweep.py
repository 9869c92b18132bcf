"""Sweep: under which settings does attention help? A seed study at every point of a grid."""

import streamlit as st

from fibdash.analysis.sweep import fixed_settings, model_summary, point_verdict, ratio_summary, sweep_grid
from fibdash.command import command_line
from fibdash.figures.sweep import sweep_figure, sweep_heatmap, sweep_parallel
from fibdash.quoting import markdown_literal
from streamlit_glue import settings, show, work

base, seeds, vary = settings.sweep_config()
st.markdown(
    "The **Robustness** page asks whether attention helps at one configuration. Here you vary one or "
    "two settings (the sidebar's **Sweep**), and every combination of their values (a grid point) gets "
    f"a study of both models over seeds 0 to {seeds - 1}. Seed *k* of a grid point is the **Train** "
    "page's seed *k* of that configuration. The rest of the sidebar sets everything the sweep does not vary."
)
try:
    grid = sweep_grid(base, vary)
except ValueError as error:
    with st.container(key="problems"):
        st.error(markdown_literal(f"{error}. Change it in the sidebar."))
    st.stop()
varied = "; ".join(f"{name} over {', '.join(map(str, values))}" for name, values in vary.items())
with st.container(key="grid"):
    st.caption(
        markdown_literal(
            f"{len(grid)} grid points x {seeds} seeds x 2 models = {2 * len(grid) * seeds} trainings. "
            f"Varied (in the sidebar's Sweep): {varied}. Fixed: {fixed_settings(base, vary)}."
        )
    )

result = work.result_or_button(
    work.sweep(base, vary, seeds, grid),
    idle="This sweep has not been run yet. Press **Run the sweep**; it is kept for every session.",
)
if result is None:
    st.stop()

with st.container(key="done"):
    st.success(f"{len(result.table)} trainings in {result.seconds:.0f} s, cached for every session.")
names = list(vary)
ratios = ratio_summary(result)
if len(names) == 1:
    show.chart(sweep_figure(model_summary(result), ratios, names[0]))
else:
    show.chart(sweep_heatmap(ratios, names))
show.chart(sweep_parallel(result.table, names))

st.subheader("What each grid point says")
show.table(result.comparisons(), key="comparisons")
with st.expander("In words, point by point", expanded=True), st.container(key="verdicts"):
    for point in result.points:
        st.markdown(
            f"**{markdown_literal(point.point.describe())}**: {markdown_literal(point_verdict(point))}"
        )
        if point.diverged:
            st.warning(markdown_literal(point.diverged))
st.download_button(
    "Every run (CSV)",
    result.table.to_csv(index=False),
    "sweep.csv",
    "text/csv",
    key="download_sweep",
    on_click="ignore",
)
show.reproduce(command_line(base, seeds, vary) + " --out sweep.csv", result.versions)
