"""Robustness: both models over many seeds, and whether attention really lowers the test MSE."""

import numpy as np
import streamlit as st

from fibdash.analysis.forecast import fold_pairs
from fibdash.analysis.metrics import diverged_seeds
from fibdash.analysis.study import paired_table, verdict
from fibdash.command import command_line
from fibdash.config import MODEL_KINDS, MODEL_LABELS
from fibdash.figures.robustness import ratio_figure, study_figure
from fibdash.quoting import markdown_literal
from streamlit_glue import navigation, settings, show, work

config, seeds = settings.study_config()
show.config_caption(config, with_seed=False, more=f"; seeds 0 to {seeds - 1}")
st.markdown(
    "The tutorial trains each model once and concludes that attention lowers the test MSE. But the "
    "same model's test MSE moves by more than 100x from one seed (initial weights and order of the "
    "windows) to the next. This page trains both models over many seeds, all at once, and compares "
    "them seed by seed. Seed *k* here is the **Train** page's seed *k*: same weights, same order."
)

study = work.study(config, seeds)
result = work.result(study)
if result is None:
    work.button(
        study,
        idle=f"This study has not been run yet. Press **Run the study**: {2 * seeds} trainings, all seeds "
        "of both models at once; the tutorial's configuration takes a few seconds.",
    )
    st.stop()

comparison = result.comparison
with st.container(key="comparison"):
    st.success(f"{len(result.table)} trainings in {result.seconds:.1f} s, cached for every session.")
    if diverged := diverged_seeds(result.loss_histories(), show.dataset(config.data), config):
        st.warning(markdown_literal(diverged))
    wins, ratio, test = st.columns(3)
    wins.metric("Attention wins", f"{comparison.wins} of {comparison.pairs} seeds")
    interval = comparison.ci_note or f"95% bootstrap CI {comparison.ci_low:.3g} to {comparison.ci_high:.3g}"
    ratio.metric("Median test MSE ratio (attention / RNN)", f"{comparison.median_ratio:.3g}")
    ratio.caption(interval)
    test.metric("Wilcoxon signed-rank p", f"{comparison.p_value:.3g}", help="Paired, on the log ratios")
    if comparison.p_note:
        test.caption(comparison.p_note)
    st.info(markdown_literal(verdict(comparison, config)))

paired = paired_table(result.table)
left, right = st.columns(2)
with left:
    show.chart(study_figure(result.table))
with right:
    show.chart(ratio_figure(paired))

st.subheader("Seed by seed")
show.table(paired, key="per_seed")
st.download_button(
    "Per-seed results (CSV)",
    result.table.to_csv(index=False),
    "seed_study.csv",
    "text/csv",
    key="download_study",
    on_click="ignore",
)

show.reproduce(command_line(config, seeds) + " --out seed_study.csv", result.versions)

# Seed k here is the Train page's seed k: show it wherever that single run is already trained.
single = work.result(work.pair(config))
if single is not None and config.seed < seeds:
    here = paired.set_index("seed").loc[config.seed]
    folds = fold_pairs(single)  # a backtest's seed is its folds' mean, here and on the Train page
    rows = [
        f"{MODEL_LABELS[kind]} {np.mean([fold[kind].test_mse for fold in folds]):.4g} on the Train page, "
        f"{here[f'{MODEL_LABELS[kind]} test MSE']:.4g} here"
        for kind in MODEL_KINDS
    ]
    with st.container(key="agreement"):
        st.caption(f"Seed {config.seed}, test MSE: " + "; ".join(rows) + " (the same run).")
navigation.next_step("app_pages/5_Sweep.py", "Does it hold for other settings? Sweep them")
