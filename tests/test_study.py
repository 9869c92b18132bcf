import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from fibdash.analysis.metrics import score
from fibdash.analysis.study import (
    TABLE_COLUMNS,
    compare,
    evidence,
    one_run,
    paired_table,
    run_study,
    summary_table,
    verdict,
)
from fibdash.config import DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.engine.training import train

TINY = TrainConfig(DataConfig(n=60, time_steps=5), epochs=2)


def hand_made(rnn_test_mse, attention_test_mse) -> pd.DataFrame:
    """A study table with the given test MSEs for seeds 0, 1, ...; MASE ten times the MSE, others filler."""
    rows = [
        [kind, seed, 0.0, mse, 1.0, 10 * mse]
        for kind, mses in (("rnn", rnn_test_mse), ("attention", attention_test_mse))
        for seed, mse in enumerate(mses)
    ]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


RNN = np.geomspace(1e-5, 1e-2, 10)  # test MSEs spread over three decades, as seeds give


def test_attention_always_twice_as_good():
    c = compare(hand_made(RNN, RNN / 2))
    assert (c.pairs, c.wins, c.left_out) == (10, 10, 0)
    assert c.win_rate == 1
    assert c.median_ratio == pytest.approx(0.5)
    assert c.ci_low == pytest.approx(0.5) and c.ci_high == pytest.approx(0.5)
    assert c.p_value == pytest.approx(2 / 2**10)  # all ten signs agree: the exact test's smallest p
    assert c.ci_note == c.p_note == ""
    words = verdict(c, TINY)
    assert "lowered the test MSE in 10 of 10 seeds" in words
    assert "the paired test finds attention better (p = 0.002)" in words
    assert "Every seed agrees." in words
    assert "for this config only (n=60, time_steps=5" in words and "seed 0" not in words


def test_rnn_better_in_most_seeds():
    attention = RNN * np.array([3, 3, 3, 3, 3, 3, 3, 3, 0.5, 3])
    c = compare(hand_made(RNN, attention))
    assert c.wins == 1 and c.win_rate == pytest.approx(0.1)
    assert c.median_ratio == pytest.approx(3)
    assert c.p_value < 0.05
    words = verdict(c, TINY)
    assert "finds the RNN without attention better" in words
    assert "a single run would have picked the other model in 1 of 10 seeds" in words


def test_no_difference_cannot_be_told_apart():
    ratios = np.array([0.5, 2, 0.8, 1.25, 0.9, 1.1, 0.7, 1.4, 0.6, 1.7])
    c = compare(hand_made(RNN, RNN * ratios))
    assert c.wins == 5
    assert c.ci_low < 1 < c.ci_high
    assert c.p_value > 0.5
    words = verdict(c, TINY)
    assert "the paired test finds no clear difference (p = 1): " in words
    assert "these 10 seeds cannot tell the models apart." in words and "one run" not in words
    again = compare(hand_made(RNN, RNN * ratios))  # the bootstrap's random state is fixed
    assert (again.ci_low, again.ci_high) == (c.ci_low, c.ci_high)


# The paired test and the interval of the median ratio weigh seeds differently (ranks of the log ratios,
# the middle seed), so they can disagree: seven large wins and three tiny losses pass the test with the
# interval reaching past 1; nine tiny wins and one huge loss keep the interval below 1 and fail the test.
TEST_ONLY = np.array([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01, 1.02, 1.03])
INTERVAL_ONLY = np.array([0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 100.0])


def test_a_clear_verdict_needs_the_test_and_the_interval_to_agree():
    both = compare(hand_made(RNN, RNN / 2))
    assert both.p_value < 0.05 and both.ci_high < 1 and evidence(both) == "clear"
    assert "the interval, wholly below 1, agrees" in verdict(both, TINY)

    test_only = compare(hand_made(RNN, RNN * TEST_ONLY))
    assert test_only.p_value < 0.05 and test_only.ci_low < 1 < test_only.ci_high  # as an independent check:
    assert test_only.p_value == pytest.approx(2 * 14 / 2**10)  # 14 of the 1024 sign patterns rank-sum <= 6
    assert evidence(test_only) == "weak"
    words = verdict(test_only, TINY)
    assert "The paired test finds attention better (p = 0.027), but the interval of the median" in words
    assert "includes 1: weak evidence, which more seeds would settle." in words
    assert "agrees" not in words and "single run" not in words

    interval_only = compare(hand_made(RNN, RNN * INTERVAL_ONLY))
    assert interval_only.p_value >= 0.05 and interval_only.ci_high < 1
    assert evidence(interval_only) == "weak"
    words = verdict(interval_only, TINY)
    assert "The interval lies wholly below 1, but the paired test finds no clear difference" in words
    assert "(p = 0.084): weak evidence" in words
    assert "weak evidence that attention is better, which more seeds would settle." in words

    against = compare(hand_made(RNN * INTERVAL_ONLY, RNN))  # the same seeds, the models swapped
    assert "weak evidence that the RNN without attention is better" in verdict(against, TINY)

    neither = compare(hand_made(RNN, RNN * np.array([0.5, 2, 0.8, 1.25, 0.9, 1.1, 0.7, 1.4, 0.6, 1.7])))
    assert evidence(neither) == "none" and "no clear difference" in verdict(neither, TINY)
    assert evidence(compare(hand_made([1e-3], [5e-4]))) == "none"  # no test, no interval


def test_too_few_seeds_give_reasons_not_errors():
    one = compare(hand_made([1e-3], [5e-4]))
    assert one.pairs == 1 and one.median_ratio == pytest.approx(0.5)
    assert math.isnan(one.ci_low) and math.isnan(one.p_value)
    assert one.ci_note == one.p_note == "needs at least 2 seeds with finite test MSEs, got 1"
    words = verdict(one, TINY)
    assert "no confidence interval" in words and "there is no paired test" in words
    assert "this seed cannot tell the models apart." in words and "one run" not in words

    three = compare(hand_made(RNN[:3], RNN[:3] / 2))
    assert three.p_value == pytest.approx(0.25)
    assert three.p_note == "with 3 seeds the test cannot reach p < 0.05 (smallest p is 0.25)"
    assert "With 3 seeds the test cannot reach p < 0.05 (smallest p is 0.25): train more seeds." in verdict(
        three, TINY
    )

    same = compare(hand_made(RNN[:4], RNN[:4]))
    assert same.median_ratio == 1 and math.isnan(same.p_value)
    assert same.p_note == "both models have the same test MSE in every seed"


def test_diverged_seeds_are_left_out():
    attention = RNN / 2
    attention[3] = np.nan
    rnn = RNN.copy()
    rnn[7] = np.inf
    c = compare(hand_made(rnn, attention))
    assert (c.pairs, c.left_out, c.wins) == (8, 2, 8)
    assert "(2 seeds with a non-finite test MSE left out)" in verdict(c, TINY)
    nothing = compare(hand_made([np.nan], [1e-3]))
    assert nothing.pairs == 0 and "nothing to compare" in verdict(nothing, TINY)


def test_summary_table():
    summary = summary_table(hand_made([1.0, 3.0, 2.0], [0.5, 0.25, 4.0]))
    assert list(summary.index) == ["RNN", "RNN + attention"]
    assert summary.loc["RNN"].tolist() == [3, 2.0, 1.0, 3.0, 20.0]  # seeds, test MSE's median, min, max; MASE
    assert summary.loc["RNN + attention", "median test MSE"] == 0.5


def test_study_runs_both_models_and_seed_k_is_the_train_page_run():
    result = run_study(TINY, [0, 1, 2])
    assert list(result.table.columns) == TABLE_COLUMNS
    assert result.table[["model", "seed"]].values.tolist() == [
        [kind, seed] for kind in ("rnn", "attention") for seed in (0, 1, 2)
    ]
    assert result.seeds == (0, 1, 2) and not result.stopped
    assert result.comparison.pairs == 3
    data = make_dataset(TINY.data)
    single = train(replace(TINY, seed=2), "attention", data.windows())
    row = result.table.iloc[-1]  # the same run: the same numbers
    assert row["test MSE"] == single.test_mse
    assert row["test MdAPE %"] == score(single.name, data, single.predictions).test_mdape
    assert result.runs["attention"][2].loss_history == single.loss_history


def test_stopping_ends_the_study_without_a_comparison():
    result = run_study(TINY, [0, 1], on_epoch=lambda log: True)
    assert result.stopped and result.comparison is None
    assert list(result.runs) == ["rnn", "attention"]  # both models train together, and stop together
    assert result.table["model"].tolist() == ["rnn", "rnn", "attention", "attention"]
    assert all(run.epochs_run == 1 for runs in result.runs.values() for run in runs)


def test_bad_seeds_are_refused():
    with pytest.raises(ValueError, match="seeds must be distinct"):
        run_study(TINY, [1, 1])


def test_paired_table_one_row_per_seed():
    table = hand_made([1e-4, 2e-4, 3e-4, 1e-3], [5e-5, 4e-4, 3e-4, math.nan])
    paired = paired_table(table)
    assert list(paired.columns) == [
        "seed",
        "RNN test MSE",
        "RNN + attention test MSE",
        "ratio (attention / RNN)",
        "lower test MSE",
    ]
    assert paired["seed"].tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(paired["ratio (attention / RNN)"][:3], [0.5, 2, 1])
    assert paired["lower test MSE"].tolist() == ["RNN + attention", "RNN", "tie", "n/a"]


@pytest.mark.parametrize(
    ("rnn", "attention", "words"),
    [
        (3e-5, 1e-5, "In this run the RNN + attention had the lower test MSE, 3 times lower than the RNN's"),
        (1e-5, 2.5e-5, "In this run the RNN had the lower test MSE, 2.5 times lower than the RNN + att"),
        (1e-5, 1e-5, "Both models had the same test MSE in this run, but one run says little"),
        (1e-5, np.nan, "Only the RNN has a finite test MSE in this run, so this run cannot compare them."),
        (np.inf, np.nan, "Neither model has a finite test MSE in this run"),
    ],
)
def test_one_run_says_which_model_did_better_and_that_it_says_little(rnn, attention, words):
    said = one_run({"rnn": rnn, "attention": attention}, study="the Robustness page")
    assert said.startswith(words), said
    assert ("one run says little" in said) == (np.isfinite(rnn) and np.isfinite(attention))
    assert said.count(". ") == 0  # one sentence
    if np.isfinite(rnn) and np.isfinite(attention):
        assert said.endswith("the Robustness page tells whether it holds.") or said.endswith("tells more.")
