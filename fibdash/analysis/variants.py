"""Which attention? The variants study: the plain RNN and the attention model with each head
(`fibdash.config.ATTENTIONS`) over the same seeds, beside an RNN with about as many parameters as the
tutorial's attention model, and what their comparisons can and cannot say.

Three questions per head, each a paired comparison over the seeds (`study.compare`): does it beat
averaging (the `uniform` head, attention frozen at 1/T, the control the attention-as-explanation
literature asks for)? Does it beat the RNN? And is it the parameters: does it beat an RNN as large as the
tutorial's attention model (hidden units chosen to match its parameter count), so that "attention helps"
is not "more parameters help"?

Seed k of the RNN and of each head is the Train page's seed k of a pair with that head: each head trains
on its own call of the engine, which trains seed k the same whatever trains beside it.

Under the `lags` series, whose steps that matter are known (`fibdash.series.LAG_STEPS`), each head's
weights are also scored on finding them: precision at 2 over the test windows, each seed's, and their
median (`lag_precision_by_head`, a column of `variants_table`, `lags_sentence`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from fibdash.analysis.explain import chance_precision, precision_at_lags
from fibdash.analysis.stats import CONFIDENCE
from fibdash.analysis.study import ALPHA, Comparison, StudyResult, compare, evidence, study_table
from fibdash.config import ATTENTIONS, MAX_HIDDEN_UNITS, TrainConfig, check_seeds, counted
from fibdash.data import Dataset, fold_datasets
from fibdash.engine.layout import Layout
from fibdash.engine.records import EpochLog, Trained, Training
from fibdash.series import LAG_STEPS

CONTROL = "uniform"  # the head that does not attend: the mean of the states
MATCHED = "matched_rnn"  # the RNN with about as many parameters as the tutorial's attention model
# The study's models, by name, in the order every table and chart shows them.
VARIANT_MODELS = ("rnn", *ATTENTIONS, MATCHED)
# What each comparison is, (model, baseline), the ratio model / baseline: every head against the control,
# the RNN and the matched RNN; the matched RNN against the RNN.
PAIRS = (
    *((head, CONTROL) for head in ATTENTIONS if head != CONTROL),
    *((head, "rnn") for head in ATTENTIONS),
    *((head, MATCHED) for head in ATTENTIONS),
    (MATCHED, "rnn"),
)


def shared_config(config: TrainConfig) -> TrainConfig:
    """What a variants study of `config` keys on: its seed and attention play no part."""
    return replace(config, seed=0, attention=ATTENTIONS[0])


def matched_units(config: TrainConfig) -> int:
    """The hidden units of the RNN (`config`'s cell and time steps) whose parameter count is nearest the
    tutorial's attention model's at `config`'s hidden units; the fewer units where two are as near, and
    within the settings' bounds (1 to MAX_HIDDEN_UNITS)."""
    layout = replace(Layout.of(config), attention="tutorial")
    target = layout.size("attention")
    return min(
        range(1, MAX_HIDDEN_UNITS + 1),
        key=lambda units: (abs(replace(layout, hidden_units=units).size("rnn") - target), units),
    )


def parameters(config: TrainConfig) -> dict[str, int]:
    """Each model's parameter count, by name (VARIANT_MODELS), as Keras' `count_params` gives it."""
    layout = Layout.of(config)
    return {
        "rnn": layout.size("rnn"),
        **{head: replace(layout, attention=head).size("attention") for head in ATTENTIONS},
        MATCHED: replace(layout, hidden_units=matched_units(config)).size("rnn"),
    }


def labels(config: TrainConfig) -> dict[str, str]:
    """Each model's name on the page, the charts and the command line, by name."""
    return {
        "rnn": "RNN",
        **{head: f"{head} attention" for head in ATTENTIONS},
        MATCHED: f"RNN, {counted(matched_units(config), 'unit')}",
    }


def trainings(config: TrainConfig) -> tuple[Training, ...]:
    """The engine's calls a variants study of `config` makes, one after another: the RNN beside the
    tutorial's head (as a pair trains them), each other head alone, then the matched RNN."""
    shared = shared_config(config)
    return (
        Training(shared, ("rnn", "attention"), ("rnn", ATTENTIONS[0])),
        *(Training(replace(shared, attention=head), ("attention",), (head,)) for head in ATTENTIONS[1:]),
        Training(replace(shared, hidden_units=matched_units(config)), ("rnn",), (MATCHED,)),
    )


@dataclass(frozen=True, eq=False)
class VariantsResult:
    """Every model of a variants study over the same seeds: per-seed runs and table, and the comparisons."""

    config: TrainConfig  # `shared_config`: what every model shares but its head and hidden units
    seeds: tuple[int, ...]
    runs: dict[str, list[Trained]]  # by model name (VARIANT_MODELS), a backtest's last fold
    table: pd.DataFrame  # study.TABLE_COLUMNS, one row per model name and seed, a backtest's folds' mean
    comparisons: dict[tuple[str, str], Comparison]  # by PAIRS
    seconds: float
    versions: dict[str, str] = field(default_factory=dict)
    fold_runs: tuple[dict[str, list[Trained]], ...] = ()  # a backtest's every fold's runs, `runs` the last

    def loss_histories(self) -> dict[str, list[tuple[float, ...]]]:
        """Each model's loss history per seed, by name, for `metrics.diverged_seeds`: a backtest's first fold
        whose training diverged, else its last fold's (as `StudyResult.loss_histories`)."""
        study = StudyResult(self.config, self.seeds, self.runs, self.table, None, False, self.seconds,
                            fold_runs=self.fold_runs)  # fmt: skip
        return study.loss_histories()


def variants_result(
    config: TrainConfig, fold_runs: Sequence[Mapping[str, Sequence[Trained]]], datasets: Sequence[Dataset]
) -> VariantsResult:
    """The variants study of `fold_runs` ({model name: runs} per fold, as `tasks.train_variants` returns
    them) on `datasets`: its table (each seed's folds' mean) and every comparison of PAIRS."""
    folds = tuple({name: list(runs[name]) for name in VARIANT_MODELS} for runs in fold_runs)
    table = study_table(folds, datasets)
    calls = [training.names[0] for training in trainings(config)]  # a name of each call of the engine
    return VariantsResult(
        config=shared_config(config),
        seeds=tuple(run.seed for run in folds[-1]["rnn"]),
        runs=folds[-1],
        table=table,
        comparisons={pair: compare(table, *pair) for pair in PAIRS},
        seconds=sum(runs[name][0].seconds for runs in folds for name in calls),
        versions=folds[-1]["rnn"][0].versions,
        fold_runs=folds if len(folds) > 1 else (),
    )


def run_variants(
    config: TrainConfig,
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | None = None,
) -> VariantsResult | None:
    """Train every model of the variants study over `seeds` (`trainings`, one after another; a backtest's
    folds one after another) and compare them; `on_epoch` returning True stops it, and it returns None.
    `data`: `config.data`'s dataset, where built already."""
    from fibdash.engine.training import train_seeds  # the compiled engine loads here

    seeds = check_seeds(seeds)
    datasets = fold_datasets(config.data, data)
    fold_runs = []
    for dataset in datasets:
        runs = {}
        for training in trainings(replace(config, data=dataset.config)):
            trained = train_seeds(training.config, training.kinds, seeds, dataset.windows(), on_epoch)
            if trained[training.kinds[0]][0].stopped:
                return None
            runs.update(training.named(trained))
        fold_runs.append(runs)
    return variants_result(config, fold_runs, datasets)


def _cells(comparison: Comparison) -> tuple[str, str, str]:
    """A comparison's wins, median ratio with its interval, and p-value, as a table shows them."""
    c = comparison
    interval = f" ({c.ci_low:.2g} to {c.ci_high:.2g})" if not c.ci_note else ""
    p_value = f"{c.p_value:.2g}" if np.isfinite(c.p_value) else "no test"
    return f"{c.wins} of {c.pairs}", f"{c.median_ratio:.3g}{interval}", p_value


AGAINST = {CONTROL: "uniform", "rnn": "RNN", MATCHED: "matched RNN"}  # each baseline, in a column's name


def variants_table(result: VariantsResult) -> pd.DataFrame:
    """One row per model: its parameter count, median test MSE (of its seeds with a finite one), and against
    each baseline it is compared with (PAIRS): its wins of the seeds compared, median ratio (model /
    baseline) with its CONFIDENCE interval, Wilcoxon p; as text, empty where it is not compared with that
    baseline."""
    counts, names = parameters(result.config), labels(result.config)
    precisions = lag_precision_by_head(result)
    test = result.table.pivot(index="seed", columns="model", values="test MSE")
    rows = []
    for model in VARIANT_MODELS:
        values = test[model].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        row: dict[str, object] = {
            "model": names[model],
            "parameters": counts[model],
            "median test MSE": float(np.median(finite)) if finite.size else float("nan"),
        }
        if precisions:  # the lags series: the heads' weights scored on its known lags, empty for the RNNs
            found = precisions.get(model, np.array([]))
            median = f"{np.nanmedian(found):.2f}" if np.isfinite(found).any() else "n/a"
            row[LAGS_COLUMN.format(chance=chance_precision(result.config.data.time_steps))] = (
                median if model in precisions else ""
            )
        for baseline, word in AGAINST.items():
            comparison = result.comparisons.get((model, baseline))
            win, ratio, p = _cells(comparison) if comparison is not None else ("", "", "")
            row |= {
                f"wins vs {word}": win,
                f"median ratio vs {word} ({CONFIDENCE:.0%} CI)": ratio,
                f"p vs {word}": p,
            }
        rows.append(row)
    return pd.DataFrame(rows)


LAGS_COLUMN = "weights on the lags, median precision at 2 (chance {chance:.2f})"


def lag_precision_by_head(result: VariantsResult) -> dict[str, np.ndarray]:
    """Under the lags series, each head's precision at the true lags of its attention weights over the test
    windows (`explain.precision_at_lags`), one per seed (NaN for a seed that diverged); {} for any other
    series, whose steps that matter are not known."""
    if result.config.data.series != "lags":
        return {}
    return {
        head: np.array(
            [
                precision_at_lags(run.attention) if run.attention is not None else np.nan
                for run in result.runs[head]
            ]
        )
        for head in ATTENTIONS
    }


def lags_sentence(result: VariantsResult) -> str:
    """Under the lags series, which heads' weights found the lags that matter, against chance, in words;
    "" for any other series."""
    precisions = lag_precision_by_head(result)
    if not precisions:
        return ""
    steps = result.config.data.time_steps
    chance = chance_precision(steps)
    medians = {head: float(np.nanmedian(values)) if np.isfinite(values).any() else np.nan
               for head, values in precisions.items()}  # fmt: skip
    found = [head for head, median in medians.items() if median >= 0.75]
    above = [head for head, median in medians.items() if chance < median < 0.75 and head != CONTROL]
    lags = " and ".join(f"t-{lag}" for lag in LAG_STEPS)
    text = (
        f"The lags series' prediction depends on {lags}: a head whose two largest weights fall there has "
        f"precision 1, weights at random {chance:.2f} ({len(LAG_STEPS)} of {steps} steps); uniform weights "
        "are chance by construction. "
    )
    if found:
        text += f"Found in most windows (median precision 0.75 or more over the seeds): {', '.join(found)}. "
    if above:
        text += f"Above chance but short of that: {', '.join(above)}. "
    missed = [head for head in ATTENTIONS if head not in found + above and head != CONTROL]
    if missed:
        text += f"No better than chance: {', '.join(missed)}. "
    return (
        text + "Attention weighs hidden states, which carry every earlier value: where a head's weights miss "
        "the lags, its model may still use them (Compare measures occlusion and gradient x input)."
    )


def _facts(comparison: Comparison) -> str:
    """A comparison's numbers in words: wins, median ratio with its interval, the paired test."""
    c = comparison
    return (
        f"lower test MSE in {c.wins} of {counted(c.pairs, 'seed')}, median ratio {c.median_ratio:.2g}"
        + (f" ({CONFIDENCE:.0%} CI {c.ci_low:.2g} to {c.ci_high:.2g})" if not c.ci_note else "")
        + (f", p = {c.p_value:.2g}" if np.isfinite(c.p_value) else f"; no paired test: {c.p_note}")
    )


def _answer(comparison: Comparison, baseline: str) -> tuple[str, str]:
    """Whether the model beats `baseline` (its name in words): "yes", "no" or "unclear", and why."""
    c = comparison
    if c.pairs == 0:
        return "unclear", f"no seed gave it and {baseline} both a finite test MSE"
    strength, facts = evidence(c), _facts(c)
    if strength == "clear":
        return ("yes", f"it beats {baseline} ({facts})") if c.median_ratio < 1 else (
            "no", f"{baseline} beats it ({facts})")  # fmt: skip
    if strength == "weak":
        better = "it" if c.median_ratio < 1 else baseline
        return "unclear", f"weak evidence that {better} is better ({facts}); more seeds would settle it"
    return "unclear", f"no clear difference from {baseline} ({facts})"


def head_verdicts(result: VariantsResult) -> dict[str, dict[str, str]]:
    """Per head: "beats averaging?", "beats the RNN?" and "is it parameters?", each answered in words,
    the answer's word first ("Yes", "No", "Unclear", "Perhaps", "Moot"); the control is not asked the
    first."""
    comparisons = result.comparisons
    matched = f"the RNN of {counted(matched_units(result.config), 'unit')}"
    verdicts = {}
    for head in ATTENTIONS:
        answers = {}
        if head != CONTROL:
            answers["beats averaging?"] = _answer(comparisons[head, CONTROL], "the uniform head (averaging)")
        answers["beats the RNN?"] = _answer(comparisons[head, "rnn"], "the RNN")
        word, why = _answer(comparisons[head, MATCHED], matched)
        if answers["beats the RNN?"][0] != "yes":
            answers["is it parameters?"] = ("moot", "it does not clearly beat the RNN: nothing to explain")
        elif word == "yes":
            answers["is it parameters?"] = (
                "no",
                f"it also beats {matched}, as large as the tutorial's attention model "
                f"({_facts(comparisons[head, MATCHED])})",
            )
        else:
            answers["is it parameters?"] = ("perhaps", f"against {matched}, as large as the tutorial's "
                                                       f"attention model, {why}")  # fmt: skip
        verdicts[head] = {
            question: f"{word.capitalize()}: {text}." for question, (word, text) in answers.items()
        }
    return verdicts


def matched_sentence(result: VariantsResult) -> str:
    """What the matched RNN is, with the parameter counts, and how it compares with the RNN, in words."""
    counts, units = parameters(result.config), matched_units(result.config)
    word, text = _answer(result.comparisons[MATCHED, "rnn"], "the RNN")
    # too few seeds for any test to find anything: said once here, not in every answer
    few = [c.p_note for c in result.comparisons.values() if np.isfinite(c.p_value) and c.p_note]
    return (
        f"The RNN of {counted(units, 'unit')} has {counts[MATCHED]} parameters, the nearest an RNN gets to "
        f"the tutorial's attention model's {counts['tutorial']} (the RNN of "
        f"{counted(result.config.hidden_units, 'unit')} has {counts['rnn']}). "
        f"Does more size alone help? {word.capitalize()}: {text}. Each comparison is paired by seed, a "
        f"difference clear where the Wilcoxon test (p < {ALPHA:g}) and the {CONFIDENCE:.0%} interval of the "
        f"median ratio agree; it holds for this config only ({result.config.describe(with_seed=False)})."
        + (f" {few[0][0].upper()}{few[0][1:]}: train more seeds." if few else "")
    )
