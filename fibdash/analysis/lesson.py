"""The tutorial's own steps, the figures it prints and the claims it makes, and this app's check of each.

The only stored numbers here are the tutorial's, quoted as its own; everything else a step shows is
computed from this app's cached results (a pair at the tutorial's configuration, and a study of it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from fibdash.analysis.forecast import Evaluation
from fibdash.analysis.stats import CONFIDENCE
from fibdash.analysis.study import Comparison, evidence
from fibdash.config import MODEL_LABELS, TrainConfig
from fibdash.quoting import shortened

TUTORIAL = TrainConfig()  # n=1200, time_steps=20, 0.7, MinMax; SimpleRNN(2), tanh, 30 epochs, batch 1, seed 0
# "Does it forecast?": the tutorial's models trained on the first 70% of the windows, tested on the rest;
# then with each window scaled by its own last value
CHRONOLOGICAL = replace(TUTORIAL, data=replace(TUTORIAL.data, split="chronological"))
WINDOW_SCALED = replace(TUTORIAL, data=replace(CHRONOLOGICAL.data, scaling="window"))
FORECAST_RUNS = {
    "shuffled, minmax (the tutorial's)": TUTORIAL,
    "chronological, minmax": CHRONOLOGICAL,
    "chronological, window": WINDOW_SCALED,
}
STUDY_SEEDS = 30
# (train MSE, test MSE) as the tutorial prints them after its one run of each model
PRINTED = {
    "rnn": (5.631405292660929e-05, 2.623497312015388e-05),
    "attention": (5.3511179430643097e-05, 9.053358553501312e-06),
}
PRINTED_PARAMETERS = {"rnn": 11, "attention": 33}  # "Total params" of its two model summaries
# The tutorial's attention layer computes its three steps with keras.backend, which Keras 3 no longer
# has: an excerpt of its `call`, quoted to show what fails.
TUTORIAL_CALL = """e = K.tanh(K.dot(x, self.W) + self.b)   # K is keras.backend
e = K.squeeze(e, axis=-1)
alpha = K.softmax(e)
alpha = K.expand_dims(alpha, axis=-1)
context = K.sum(x * alpha, axis=1)"""


@dataclass(frozen=True)
class Step:
    """A step of the lesson: the tutorial's section, and where the app shows it with which settings."""

    title: str
    page: str | None = None  # the page its "try it" opens (the last step has one per suggestion, NEXT)
    try_label: str = ""
    changes: dict[str, object] = field(default_factory=dict)  # from the tutorial's settings
    query: dict[str, str] = field(default_factory=dict)  # the page's own parameters besides the settings


STEPS = (
    Step("The dataset", "app_pages/1_Dataset.py", "See the tutorial's data on the Dataset page"),
    Step("The SimpleRNN network", "app_pages/2_Train.py", "Train it on the Train page"),
    Step(
        "Training and evaluating it",
        "app_pages/4_Robustness.py",
        "See all 30 seeds on the Robustness page",
        {"seeds": STUDY_SEEDS},
    ),
    Step(
        "The custom attention layer",
        "app_pages/4_Robustness.py",
        "Which attention? Study every head over the seeds",
        query={"study": "variants"},
    ),
    Step("The network with attention", "app_pages/2_Train.py", "Train both on the Train page"),
    Step(
        "Training it, and the tutorial's conclusion",
        "app_pages/4_Robustness.py",
        "Check the conclusion on the Robustness page",
        {"seeds": STUDY_SEEDS},
    ),
    Step(
        "Does it forecast?",
        "app_pages/3_Compare.py",
        "Forecast 10 steps ahead on the Compare page",
        {"split": "chronological", "scaling": "window", "horizon": 10},
    ),
    Step("Where to go next"),
)
# The tutorial's closing suggestions, each a configuration and the page that shows it (step 7)
NEXT = (
    Step(
        "Tune the hyperparameters",
        "app_pages/5_Sweep.py",
        "Sweep the hidden units and learning rate",
        {
            "seeds": 10,
            "sweep": "hidden_units",
            "values": "2, 4, 8",
            "sweep2": "learning_rate",
            "values2": "0.001, 0.01",
        },
    ),
    Step(
        "Use LSTM instead of SimpleRNN",
        "app_pages/4_Robustness.py",
        "Study LSTM over 30 seeds",
        {"cell": "LSTM", "seeds": STUDY_SEEDS},
    ),
    Step(
        "Try more complex problems",
        "app_pages/3_Compare.py",
        "Compare both models on the chaotic Mackey-Glass series",
        {"series": "mackey-glass", "scaling": "minmax"},
    ),
)


def step_number(text: str | None) -> tuple[int, str | None]:
    """The step a link asks for (1 when none), and what is wrong with it, if anything."""
    if text is None:
        return 1, None
    if text.strip().isascii() and text.strip().isdigit() and 1 <= int(text) <= len(STEPS):
        return int(text), None
    return (
        1,
        f"The link's step={shortened(text)} is not a step of the lesson: steps are 1 to {len(STEPS)}. "
        "Showing step 1.",
    )


def percentile(figure: float, values: np.ndarray) -> float:
    """The percentile of `values` at which `figure` falls: the share of them at or below it, in %."""
    from scipy.stats import percentileofscore  # late: fibdash.analysis.stats says why

    finite = np.asarray(values, dtype=float)
    return float(percentileofscore(finite[np.isfinite(finite)], figure, kind="weak"))


def spread_sentence(kind: str, test_mses: np.ndarray) -> str:
    """Where the tutorial's printed test MSE of `kind` falls among this app's seeds, in words."""
    printed = PRINTED[kind][1]
    share = percentile(printed, test_mses)
    finite = test_mses[np.isfinite(test_mses)]
    return (
        f"The tutorial's test MSE of the {MODEL_LABELS[kind]}, {printed:.3e}, falls at the {share:.0f}th "
        f"percentile of this app's {len(finite)} seeds, which range from {finite.min():.2e} to "
        f"{finite.max():.2e} ({finite.max() / finite.min():.0f}x): one run is one draw of these."
    )


def conclusion(this_run: dict[str, float], comparison: Comparison, seeds: int) -> str:
    """The tutorial's conclusion checked in this run and over the study's seeds, in one plain sentence."""
    lower = this_run["attention"] < this_run["rnn"]
    run = (
        f"in this app's run of the same configuration (seed 0) the test MSE is "
        f"{'lower' if lower else 'higher'} with attention ({this_run['attention']:.3e} against "
        f"{this_run['rnn']:.3e})"
    )
    strength = evidence(comparison) if comparison.median_ratio < 1 else "none"
    seeds_say = (
        f"over {seeds} seeds attention wins {comparison.wins} of {comparison.pairs}, median ratio "
        f"{comparison.median_ratio:.2f} ({CONFIDENCE:.0%} CI {comparison.ci_low:.2g} to "
        f"{comparison.ci_high:.2g}), p = {comparison.p_value:.2g}"
    )
    verdict = {
        "clear": "so attention does lower the test MSE here",
        "weak": "so the seeds give only weak evidence for it: the paired test and the interval disagree",
        "none": "so one run cannot settle it: the seeds do not confirm it",
    }[strength]
    claim = 'The tutorial concludes that "the test MSE is lower with attention"'
    return f"{claim}; {run}, and {seeds_say}: {verdict}."


def layer_steps(config: TrainConfig) -> pd.DataFrame:
    """The attention layer's three steps, each with what it computes and its shape at `config`."""
    steps, units = config.data.time_steps, config.hidden_units
    return pd.DataFrame(
        {
            "step": ["input", "scores", "weights", "context"],
            "computes": [
                "h: the SimpleRNN's state at every time step (return_sequences=True)",
                "e = tanh(h W + b): one score per time step (W: (units, 1), b: (time steps, 1))",
                "alpha = softmax(e) over time: positive, summing to 1",
                "c = sum over time of alpha_t h_t: a state weighted by attention, into Dense(1)",
            ],
            "shape": [f"({steps}, {units})", f"({steps},)", f"({steps},)", f"({units},)"],
        }
    )


# What the tutorial's layer is, and what it is not (step 4)
LAYER_IS = (
    "The tutorial calls this Bahdanau attention; it is not. Bahdanau's additive attention scores each state "
    "h_t against a query (the decoder's state) as v . tanh(W_q q + W_k h_t). This layer has no query: its "
    "score e_t = tanh(h_t W + b_t) looks at each state alone, and its bias b_t, one number per position, is "
    "a learned preference for step t whatever the window holds. It is the feed-forward attention of Raffel & "
    "Ellis (2015) with a positional bias. So each score has a content part, h_t W, and a position part, b_t, "
    "and tanh bounds the score to [-1, 1]: no weight can exceed e^2 / (e^2 + T - 1), {bound:.2f} at T = {T} "
    "(uniform weights are 1/T = {uniform:.2f})."
)


def weight_bound(time_steps: int) -> float:
    """The largest softmax weight scores in [-1, 1] allow over `time_steps` steps: one score at 1, the others
    at -1, e / (e + (T - 1) / e) = e^2 / (e^2 + T - 1)."""
    return float(np.e**2 / (np.e**2 + time_steps - 1))


@dataclass(frozen=True, eq=False)
class ScoreParts:
    """The tutorial layer's scores of one window before tanh, e_t = tanh(content_t + position_t)."""

    content: np.ndarray  # h_t W, (time_steps,): what the window's states give
    position: np.ndarray  # b_t, (time_steps,): the learned bias of step t, the same for every window

    @property
    def pre_tanh(self) -> np.ndarray:
        return self.content + self.position

    @property
    def position_share(self) -> float:
        """The position part's share of the two parts' variance across the steps: softmax ignores what is
        the same at every step, so what moves the weights is how each part varies from step to step. NaN
        when neither varies."""
        content, position = float(np.var(self.content)), float(np.var(self.position))
        total = content + position
        return position / total if total > 0 else float("nan")


def score_parts(weights: dict[str, np.ndarray], states: np.ndarray) -> ScoreParts:
    """The tutorial's attention layer's scores before tanh for one window's states h (time_steps, units),
    split into h_t W and b_t, from a trained model's weights by name."""
    kernel = np.asarray(weights["attention/attention_weight"], np.float64)  # W, (units, 1)
    bias = np.asarray(weights["attention/attention_bias"], np.float64)  # b, (time_steps, 1)
    return ScoreParts(content=np.asarray(states, np.float64) @ kernel[:, 0], position=bias[:, 0])


def parts_sentence(parts: ScoreParts) -> str:
    """Which part moves this window's scores, measured, in one plain sentence."""
    share = parts.position_share
    steps = len(parts.content)
    spreads = (
        f"across the {steps} steps the position part b_t varies with a standard deviation of "
        f"{np.std(parts.position):.3g}, the content part h_t W with {np.std(parts.content):.3g}"
    )
    if not np.isfinite(share):
        return f"Neither part varies across the {steps} steps: every weight is 1/{steps}."
    if share >= 0.5:
        lead = f"Position dominates: {spreads}, so b_t holds {share:.0%} of their variance"
        after = "the weights mostly follow where a step sits, not what the window holds"
    else:
        lead = f"Content dominates: {spreads}, so h_t W holds {1 - share:.0%} of their variance"
        after = "the weights mostly follow what the states hold, not where a step sits"
    return (
        f"{lead}: {after}. (What is the same at every step, such as the parts' means, the softmax ignores; "
        "what moves the weights is how each part varies from step to step.)"
    )


def forecast_table(evaluations: dict[str, Evaluation]) -> pd.DataFrame:
    """The networks' and persistence's test MSE and MASE in each of FORECAST_RUNS (by its label)."""
    rows = []
    for label, evaluation in evaluations.items():
        for scores in evaluation.models + evaluation.baselines:
            if scores.name in (*MODEL_LABELS.values(), "persistence"):
                rows.append([label, scores.name, scores.test_mse, scores.test_mase])
    return pd.DataFrame(rows, columns=["split, scaling", "predictor", "test MSE", "test MASE"])


def _against(evaluation: Evaluation) -> tuple[str, str]:
    """Which networks beat repeating the last value on test MSE ("both networks beat"), and the figures."""
    persistence = next(s.test_mse for s in evaluation.baselines if s.name == "persistence")
    models = {s.name: s.test_mse for s in evaluation.models}
    beating = [name for name, mse in models.items() if mse < persistence]
    who = (
        "both networks beat"
        if len(beating) == len(models)
        else "both networks lose to"
        if not beating
        else f"only the {beating[0]} beats"
    )
    rnn, attention, rule = _told_apart([*models.values(), persistence])
    return who, f"test MSE {rnn} and {attention} against {rule}"


def _told_apart(values: list[float]) -> list[str]:
    """`values` written with as few significant digits as tell the different ones apart (2 to 8)."""
    for digits in range(2, 9):
        written = [f"{value:.{digits}g}" for value in values]
        if len(set(written)) == len(set(values)):
            break
    return written


def forecast_sentence(evaluations: dict[str, Evaluation]) -> str:
    """What FORECAST_RUNS' numbers mean, in plain words: the tutorial's split, the same split in time, and
    window scaling."""
    shuffled, chronological, window = (evaluations[label] for label in FORECAST_RUNS)
    who, figures = _against(shuffled)
    said = [
        f"Shuffled, as the tutorial splits, {who} repeating the last value ({figures}): every test window "
        "sits between training windows, so this measures filling gaps."
    ]
    who, figures = _against(chronological)
    data = chronological.data
    said.append(
        f"Split in time, {who} it ({figures}): MinMax puts every training target below "
        f"{data.train_y.max():.1e} while the test targets reach {data.test_y.max():.3g}, and a network "
        "trained on near-zeros answers near-zeros."
    )
    who, figures = _against(window)
    ratio = float(np.median(window.data.test_y))
    said.append(
        f"Scaled by each window's last value, the target is the ratio {ratio:.4g}, above the 1 a tanh output "
        f"can reach, and {who} repeating the last value ({figures}): the best a bounded output can do is to "
        "stay near 1, that is, to repeat the last value."
    )
    return " ".join(said)
