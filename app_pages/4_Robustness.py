"""Robustness: models over many seeds. Two studies, chosen in the address (`?study=variants`): both models,
and whether attention really lowers the test MSE; or every attention head beside the RNN and an RNN as
large as the tutorial's attention model."""

import numpy as np
import streamlit as st

from fibdash.analysis.forecast import fold_pairs
from fibdash.analysis.metrics import diverged_seeds
from fibdash.analysis.study import paired_table, verdict
from fibdash.analysis.variants import (
    VARIANT_MODELS,
    head_verdicts,
    labels,
    lags_sentence,
    matched_sentence,
    shared_config,
    variants_table,
)
from fibdash.command import command_line
from fibdash.config import MODEL_KINDS, MODEL_LABELS, TrainConfig
from fibdash.figures.robustness import ratio_figure, study_figure
from fibdash.quoting import markdown_literal, shortened
from streamlit_glue import navigation, settings, show, work

STUDIES = {"attention": "Attention against the RNN", "variants": "Which attention?"}
STUDY_KEY, SHOWN = "study", "study_in_address"  # the study chosen, and the one last written to the address


def choose_study() -> str:
    """The study to show, kept in the address as ?study=variants (today's study, the default, as no
    parameter): a link's or Back's study when the address changed, else the one chosen here. A study the
    app does not have is said, and the default shown."""
    address = st.query_params.get(STUDY_KEY)
    if STUDY_KEY not in st.session_state or address != st.session_state.get(SHOWN):
        if address is not None and address not in STUDIES:
            with st.container(key="study_problem"):
                st.warning(
                    markdown_literal(
                        f"The link's study={shortened(address)} is not a study of this page: choose "
                        f"{' or '.join(STUDIES)}. Showing {next(iter(STUDIES))}."
                    )
                )
        st.session_state[STUDY_KEY] = address if address in STUDIES else next(iter(STUDIES))
    chosen = st.radio("Study", list(STUDIES), key=STUDY_KEY, format_func=STUDIES.get, horizontal=True)
    if chosen == next(iter(STUDIES)):
        st.query_params.pop(STUDY_KEY, None)
        st.session_state[SHOWN] = None
    else:
        st.query_params[STUDY_KEY] = st.session_state[SHOWN] = chosen
    return chosen


def seed_agreement(config: TrainConfig, test_mse: dict[str, float]) -> None:
    """Seed k here is the Train page's seed k: where that single run is trained, its test MSEs beside this
    study's of the same seed (`test_mse` by model kind)."""
    single = work.result(work.pair(config))
    if single is None:
        return
    folds = fold_pairs(single)  # a backtest's seed is its folds' mean, here and on the Train page
    rows = [
        f"{MODEL_LABELS[kind]} {np.mean([fold[kind].test_mse for fold in folds]):.4g} on the Train page, "
        f"{test_mse[kind]:.4g} here"
        for kind in MODEL_KINDS
    ]
    with st.container(key="agreement"):
        st.caption(f"Seed {config.seed}, test MSE: " + "; ".join(rows) + " (the same run).")


def attention_study(config: TrainConfig, seeds: int) -> None:
    """Both models over the seeds: how often attention wins, by how much, and whether it is clear."""
    show.config_caption(config, with_seed=False, more=f"; seeds 0 to {seeds - 1}")
    st.markdown(
        "The tutorial trains each model once and concludes that attention lowers the test MSE. But the "
        "same model's test MSE moves by more than 100x from one seed (initial weights and order of the "
        "windows) to the next. This page trains both models over many seeds, all at once, and compares "
        "them seed by seed. Seed *k* here is the **Train** page's seed *k*: same weights, same order."
    )
    result = work.result_or_button(
        work.study(config, seeds),
        idle=f"This study has not been run yet. Press **Run the study**: {2 * seeds} trainings, all "
        "seeds of both models at once; the tutorial's configuration takes a few seconds.",
    )
    if result is None:
        st.stop()

    comparison = result.comparison
    with st.container(key="comparison"):
        st.success(f"{len(result.table)} trainings in {result.seconds:.1f} s, cached for every session.")
        if diverged := diverged_seeds(result.loss_histories(), show.dataset(config.data), config):
            st.warning(markdown_literal(diverged))
        wins, ratio, test = st.columns(3)
        wins.metric("Attention wins", f"{comparison.wins} of {comparison.pairs} seeds")
        c = comparison
        interval = c.ci_note or f"95% bootstrap CI {c.ci_low:.3g} to {c.ci_high:.3g}"
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
    if config.seed < seeds:
        here = paired.set_index("seed").loc[config.seed]
        seed_agreement(config, {kind: here[f"{MODEL_LABELS[kind]} test MSE"] for kind in MODEL_KINDS})


def variants_study(config: TrainConfig, seeds: int) -> None:
    """Every head and the RNN over the same seeds: does each head beat averaging, the RNN, and an RNN as
    large as the tutorial's attention model?"""
    shared, names = shared_config(config), labels(config)
    show.config_caption(shared, with_seed=False, more=f"; every attention head; seeds 0 to {seeds - 1}")
    st.markdown(
        "Which attention, if any? Over the same seeds, this study trains the RNN, the attention model "
        "with each head (the sidebar's **Attention** plays no part here), and an RNN with about as many "
        "parameters as the tutorial's attention model. Each head is compared, seed by seed, with "
        "**uniform** (weights frozen at 1/T: averaging the states, the control), with the RNN, and with "
        'that larger RNN, so that "attention helps" is not "more parameters help". Seed *k* of the '
        "RNN and of a head is the **Train** page's seed *k* with that head."
    )
    result = work.result_or_button(
        work.variants(config, seeds),
        idle=f"This study has not been run yet. Press **Run the variants study**: "
        f"{len(VARIANT_MODELS) * seeds} trainings, each model's seeds at once, one model after another.",
    )
    if result is None:
        st.stop()

    with st.container(key="variants"):
        st.success(f"{len(result.table)} trainings in {result.seconds:.1f} s, cached for every session.")
        if diverged := diverged_seeds(result.loss_histories(), show.dataset(config.data), config, names):
            st.warning(markdown_literal(diverged))
        st.info(markdown_literal(matched_sentence(result)))
    show.chart(study_figure(result.table, names, "Test MSE of every seed, each model"))

    st.subheader("Each model against the others")
    st.caption(
        "Wins: the share of seeds where the model's test MSE is lower than the other's. Median ratio: of the "
        "model's test MSE over the other's, below 1 where the model is better, with its 95% bootstrap "
        "interval. p: the paired Wilcoxon signed-rank test on the log ratios."
    )
    show.table(variants_table(result), key="variants_table")
    if lags := lags_sentence(result):
        st.info(markdown_literal(lags))

    st.subheader("Each head, in words")
    with st.container(key="verdicts"):
        for head, answers in head_verdicts(result).items():
            lines = [f"- *{question}* {markdown_literal(answer)}" for question, answer in answers.items()]
            st.markdown("\n".join([f"**{names[head]}**", *lines]))

    st.subheader("Seed by seed")
    per_seed = result.table.pivot(index="seed", columns="model", values="test MSE")[list(VARIANT_MODELS)]
    per_seed.columns = [f"{names[model]} test MSE" for model in VARIANT_MODELS]
    show.table(per_seed.reset_index(), key="per_seed")
    st.download_button(
        "Per-seed results (CSV)",
        result.table.to_csv(index=False),
        "variants_study.csv",
        "text/csv",
        key="download_variants",
        on_click="ignore",
    )

    show.reproduce(command_line(config, seeds, variants=True) + " --out variants_study.csv", result.versions)
    if config.seed < seeds:
        here = per_seed.loc[config.seed]
        models = {"rnn": "rnn", "attention": config.attention}  # the Train page's pair, by kind
        seed_agreement(config, {kind: here[f"{names[model]} test MSE"] for kind, model in models.items()})


config, seeds = settings.study_config()
if choose_study() == "variants":
    variants_study(config, seeds)
else:
    attention_study(config, seeds)
navigation.next_step("app_pages/5_Sweep.py", "Does it hold for other settings? Sweep them")
