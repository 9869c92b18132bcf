"""The variants study: every head and the RNN over the same seeds, and an RNN as large as the tutorial's
attention model; its comparisons, parameter counts, seeds, price and command line."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fibdash.__main__ import main
from fibdash.analysis.study import TABLE_COLUMNS, compare
from fibdash.analysis.variants import (
    LAGS_COLUMN,
    MATCHED,
    PAIRS,
    VARIANT_MODELS,
    head_verdicts,
    labels,
    lags_sentence,
    matched_units,
    parameters,
    run_variants,
    trainings,
    variants_table,
)
from fibdash.command import command_line
from fibdash.config import ATTENTIONS, GATES, MAX_HIDDEN_UNITS, DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.engine.training import train_pair
from fibdash.serving import budget, kinds, tasks

SMALL = TrainConfig(data=DataConfig(n=80, time_steps=6), epochs=3)
SEEDS = 5


@pytest.fixture(scope="module")
def result():
    return run_variants(SMALL, range(SEEDS))


def test_compare_takes_any_two_models_of_a_table_against_scipy():
    rng = np.random.default_rng(3)
    mses = {name: rng.lognormal(-6, 1, 12) for name in ("a", "b", "c")}
    table = pd.DataFrame(
        [
            [name, seed, 0.0, mse, 0.0, 0.0]
            for name, values in mses.items()
            for seed, mse in enumerate(values)
        ],
        columns=TABLE_COLUMNS,
    )
    c = compare(table, "c", "a")
    ratio = mses["c"] / mses["a"]
    assert c.pairs == 12 and c.wins == int(np.sum(mses["c"] < mses["a"]))
    assert c.median_ratio == pytest.approx(np.median(ratio), rel=1e-12)
    assert c.p_value == pytest.approx(stats.wilcoxon(np.log(mses["c"]), np.log(mses["a"])).pvalue, rel=1e-12)
    assert c.ci_low <= np.median(ratio) <= c.ci_high


def test_every_comparison_of_the_study_against_an_independent_computation(result):
    assert set(result.comparisons) == set(PAIRS)
    test = {
        name: np.array([run.test_mse for run in result.runs[name]]) for name in VARIANT_MODELS
    }  # from the runs themselves, not the table
    for (model, baseline), c in result.comparisons.items():
        ratio = test[model] / test[baseline]
        assert c.pairs == SEEDS and c.wins == int(np.sum(test[model] < test[baseline]))
        assert c.median_ratio == pytest.approx(np.median(ratio), rel=1e-9)
        if np.any(ratio != 1):
            assert c.p_value == pytest.approx(stats.wilcoxon(np.log(ratio)).pvalue, rel=1e-9)
    shown = variants_table(result).set_index("model")
    dot = result.comparisons["dot", "uniform"]
    assert shown.loc["dot attention", "wins vs uniform"] == f"{dot.wins} of {SEEDS}"
    assert shown.loc["dot attention", "p vs uniform"] == f"{dot.p_value:.2g}"
    assert shown.loc["RNN", "wins vs uniform"] == "" and shown.loc["uniform attention", "p vs uniform"] == ""
    assert shown.loc["RNN", "median test MSE"] == pytest.approx(np.median(test["rnn"]))
    assert shown["parameters"].tolist() == list(parameters(SMALL).values())


def test_the_matched_rnns_hidden_units_are_nearest_the_tutorial_models_parameter_count():
    def rnn(cell, units):  # Keras' count: kernel, recurrent kernel, bias (GRU's two), dense
        bias = 2 if cell == "GRU" else 1
        return GATES[cell] * units * (1 + units + bias) + units + 1

    for cell, units, steps in (
        ("SimpleRNN", 2, 20),
        ("LSTM", 8, 10),
        ("GRU", 3, 40),
        ("SimpleRNN", 128, 900),
    ):
        config = TrainConfig(data=DataConfig(n=1000, time_steps=steps), hidden_units=units, cell=cell)
        target = rnn(cell, units) + units + steps  # the tutorial's layer: W (units) and b (one per step)
        nearest = min(range(1, MAX_HIDDEN_UNITS + 1), key=lambda h: (abs(rnn(cell, h) - target), h))
        assert matched_units(config) == nearest
        assert parameters(config)[MATCHED] == rnn(cell, nearest)
    assert matched_units(TrainConfig()) == 4  # 29 parameters against the tutorial's 33 (5 units: 41)
    assert matched_units(TrainConfig(data=DataConfig(n=1000, time_steps=900), hidden_units=128)) == 128


GRU_CONFIG = TrainConfig(data=DataConfig(time_steps=7), hidden_units=5, cell="GRU")


@pytest.mark.parametrize("config", [TrainConfig(), GRU_CONFIG])
def test_parameter_counts_equal_keras_count_params(config):
    from fibdash.keras.models import create_RNN, create_RNN_with_attention

    counts, shape = parameters(config), (config.data.time_steps, 1)
    common = {"dense_units": 1, "input_shape": shape, "activation": config.activation, "cell": config.cell}
    assert counts["rnn"] == create_RNN(config.hidden_units, **common).count_params()
    assert counts[MATCHED] == create_RNN(matched_units(config), **common).count_params()
    for head in ATTENTIONS:
        keras_model = create_RNN_with_attention(config.hidden_units, attention=head, **common)
        assert counts[head] == keras_model.count_params(), head


def test_seed_k_of_every_head_is_the_pair_trained_alone_bit_for_bit(result):
    windows = make_dataset(SMALL.data).windows()
    seed = 3
    for head in ATTENTIONS:
        alone = train_pair(replace(SMALL, attention=head, seed=seed), windows)
        for kind, name in (("rnn", "rnn"), ("attention", head)):
            here = result.runs[name][seed]
            assert here.seed == seed and (kind == "rnn" or here.config.attention == head)
            assert np.array_equal(here.predictions, alone[kind].predictions), (head, kind)
            assert here.loss_history == alone[kind].loss_history
            for weight, value in alone[kind].weights.items():
                assert np.array_equal(here.weights[weight], value), (head, kind, weight)


def test_the_workers_job_gives_the_same_runs_and_reports_each_training(result):
    reports = []
    folds = ((trainings(SMALL), make_dataset(SMALL.data).windows()),)
    runs = tasks.train_variants(folds, SEEDS, lambda log: reports.append(log))[0]
    assert list(runs) == list(VARIANT_MODELS)
    for name in VARIANT_MODELS:
        assert [run.test_mse for run in runs[name]] == [run.test_mse for run in result.runs[name]]
    done = [log for log in reports if isinstance(log, tasks.PointDone)]
    assert [(log.finished, log.points) for log in done] == [(i, 6) for i in range(1, 7)]
    assert done[0].settings == "rnn and tutorial" and done[-1].settings == MATCHED


def test_verdicts_answer_three_questions_per_head_but_the_control(result):
    verdicts = head_verdicts(result)
    assert list(verdicts) == list(ATTENTIONS)
    for head, answers in verdicts.items():
        questions = ["beats the RNN?", "is it parameters?"]
        assert list(answers) == (questions if head == "uniform" else ["beats averaging?", *questions])
        assert all(
            answer.split(":")[0] in ("Yes", "No", "Unclear", "Perhaps", "Moot") for answer in answers.values()
        )


def test_the_budget_prices_each_training_by_its_kinds_and_refuses_with_suggestions_that_fit():
    config = TrainConfig()
    each = (("rnn",), ("attention",), ("rnn", "attention"))
    rnn, attention, both = (budget.estimate_seconds(config, 10, kinds=trained) for trained in each)
    assert rnn < attention < both
    priced = kinds.variants_seconds(config, 10)
    by_hand = sum(budget.estimate_seconds(t.config, 10, kinds=t.kinds) for t in trainings(config))
    assert priced == pytest.approx(by_hand) and priced > budget.estimate_seconds(config, 10)
    work = kinds.variants(config, 10, [make_dataset(config.data)], priced / 2)
    assert work.seconds == priced and work.refusal.startswith("This study would take")
    suggested = budget.suggestions(config, priced / 2, 10, kinds.variants_seconds)
    assert suggested
    for name, value in suggested:
        assert f"{name} {value}" in work.refusal
        if name == "seeds":
            assert kinds.variants_seconds(config, value) <= priced / 2
        else:
            changes = {"time_steps": {"data": replace(config.data, time_steps=value)}}.get(
                name, {name: value}
            )
            assert kinds.variants_seconds(replace(config, **changes), 10) <= priced / 2
    assert kinds.variants(config, 10, [make_dataset(config.data)], priced * 2).refusal is None


def test_the_command_line_prints_the_table_and_verdicts_and_writes_each_seed(capsys, tmp_path):
    out_file = tmp_path / "variants.csv"
    options = ["--n", "60", "--epochs", "2", "--seeds", "3", "--attention", "dot", "--out", str(out_file)]
    main(["study", "--variants", *options])
    out = capsys.readouterr().out
    assert "--attention plays no part in a variants study" in out
    assert "wins vs uniform" in out and "p vs matched RNN" in out and "RNN, 4 units" in out
    assert "The RNN of 4 units has 29 parameters" in out and "attention model's 33" in out
    for head in ATTENTIONS:
        assert f"{head} attention:\n  " in out
    written = pd.read_csv(out_file)
    assert len(written) == 3 * len(VARIANT_MODELS) and list(written["model"].unique()) == list(VARIANT_MODELS)


def test_the_reproduce_command_names_the_variants_study_and_no_attention():
    config = TrainConfig(data=DataConfig(n=60), epochs=2, attention="self")
    assert (
        command_line(config, 3, variants=True)
        == "python -m fibdash study --variants --seeds 3 --n 60 --epochs 2"
    )
    assert "--attention self" in command_line(config, 3)


def test_under_the_lags_series_each_heads_weights_are_scored_on_the_known_lags():
    """Each head's median over seeds of the share of its two largest weights on t-3 and t-11, counted here
    with a plain loop (no ties: trained weights), in the table and the sentence; none for the RNNs or for
    another series."""
    config = TrainConfig(data=DataConfig(n=120, time_steps=12, series="lags"), epochs=2)
    lags = run_variants(config, range(3))
    table = variants_table(lags).set_index("model")
    names = labels(config)
    column = LAGS_COLUMN.format(chance=2 / 12)
    for head in ATTENTIONS[:-1]:  # uniform's weights all tie: below
        per_seed = []
        for run in lags.runs[head]:
            top = [set(np.argsort(window)[-2:]) for window in run.attention]
            per_seed.append(np.mean([len(steps & {12 - 3, 12 - 11}) / 2 for steps in top]))
        assert table.loc[names[head], column] == f"{np.median(per_seed):.2f}"
    assert table.loc[names["rnn"], column] == "" and table.loc[names[MATCHED], column] == ""
    assert table.loc[names["uniform"], column] == f"{2 / 12:.2f}"  # chance, by construction
    assert "t-3 and t-11" in lags_sentence(lags)
    assert column not in variants_table(run_variants(SMALL, range(2))).columns
