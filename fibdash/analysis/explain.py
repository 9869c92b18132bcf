"""Does attention explain the prediction? Attention weights beside an importance that does not come from it.

An attention layer hands out weights over time steps, and it is tempting to read them as what the
model looks at. Jain & Wallace ("Attention is not Explanation", NAACL 2019) found that attention
weights often disagree with measures of what actually drives a prediction. The engine measures
that driver without attention (`fibdash.engine.inference.importance`, in the worker: it runs the
models); this module compares it with the attention weights over the test windows, in numbers
(`explain`) and in words (`explanation_words`), in the server, which draws the results.

Where the answer is known, the lags series' (`fibdash.series.LAG_STEPS`), each of them is scored on
whether it finds it: `precision_at_lags` of one score per step and window, `lag_precisions` of a trained
pair's attention weights and importances, and `lag_words`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fibdash.config import ATTENTIONS, MODEL_LABELS, check_choice
from fibdash.series import LAG_COEFFICIENTS, LAG_STEPS

METHODS = ("occlusion", "gradient")
DEFAULT_METHOD = "occlusion"
METHOD_LABELS = {"occlusion": "occlusion", "gradient": "gradient x input"}
RULE_STEPS = 2  # the Fibonacci rule adds the last two values of a window; AR(2) weighs them
# What each series' structure says of the steps that matter, before the last-two-steps reference.
STRUCTURE = {
    "fibonacci": "The Fibonacci rule uses only the last two steps, t-2 and t-1.",
    "sine": "The noisy sine repeats every 20 steps: beside the last values, t-20 (one period back, what "
    "the seasonal-naive rule repeats) carries it. AR(2), a linear rule of t-2 and t-1, is the reference "
    "here.",
    "mackey-glass": "The Mackey-Glass equation ties x(t) to the last value and to x(t-17), its delay: "
    "t-17 should matter where the windows reach it. AR(2), a linear rule of t-2 and t-1, is the reference "
    "here.",
    "lags": f"The lags series is x(t) = {LAG_COEFFICIENTS[0]} x(t-{LAG_STEPS[0]}) + {LAG_COEFFICIENTS[1]} "
    f"x(t-{LAG_STEPS[1]}) + noise: t-{LAG_STEPS[0]} and t-{LAG_STEPS[1]} matter and no other step does (the "
    "section below scores each explanation on finding them). AR(2), a linear rule of t-2 and t-1, is the "
    "reference here.",
    "co2": "CO2 rises with a 12-month season: the last values and t-12 (a year back, what the "
    "seasonal-naive rule repeats) carry it. AR(2), a linear rule of t-2 and t-1, is the reference here.",
    "csv": "Which steps matter in your series is what this asks; AR(2), a linear rule of t-2 and t-1 fitted "
    "to your training windows, is the reference here.",
}


@dataclass(frozen=True, eq=False)
class Importance:
    """One model's importance per time step over the windows, each window's importances summing to 1."""

    mean: np.ndarray  # (time_steps,) mean over the windows counted; NaN when none is
    last_two: float  # the share of `mean` on the last two steps, those the Fibonacci rule uses
    counted: int  # windows in the mean
    unchanged: int  # windows left out because every step's importance is 0: nothing moves the prediction
    not_finite: int  # windows left out because an importance is NaN or infinite (a diverged model)


@dataclass(frozen=True, eq=False)
class Explanation:
    """Attention weights against importance over the same windows, as plain data (it crosses processes)."""

    method: str  # the importance measure: one of METHODS
    windows: int
    attention: np.ndarray  # (time_steps,) the attention model's mean weight per step
    attention_sd: np.ndarray  # (time_steps,) its standard deviation over the windows
    attention_last_two: float  # the share of the mean weight on the last two steps
    attention_not_finite: int  # windows left out of the mean weight: a NaN or infinite weight
    uniform_attention: bool  # every finite weight is 1 / time_steps
    attention_model: Importance
    rnn: Importance
    correlations: np.ndarray  # (windows,) Spearman's rank correlation of each window's weights and the
    # attention model's importances; NaN where either cannot be ranked (all equal, or not finite)
    median_correlation: float  # over the windows with a correlation
    profile_correlation: float  # of the mean weights and the attention model's mean importance
    input_last_two: float  # the windows' mean share of their values on the last two steps; NaN if unknown

    @property
    def time_steps(self) -> int:
        return len(self.attention)

    @property
    def measure(self) -> str:
        """The importance measure's name: "occlusion", "gradient x input"."""
        return METHOD_LABELS[self.method]

    @property
    def ranked(self) -> int:
        """Windows with a rank correlation."""
        return int(np.isfinite(self.correlations).sum())


def _rankable(values: np.ndarray) -> np.ndarray:
    """Rows that can be ranked: all finite, not all equal."""
    return np.isfinite(values).all(axis=1) & (np.ptp(values, axis=1) > 0)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import stats  # late: fibdash.analysis.stats says why

    return float(stats.spearmanr(a, b).statistic)


def _importance(values: np.ndarray) -> Importance:
    finite = np.isfinite(values).all(axis=1)
    totals = values.sum(axis=1)
    counted = finite & (totals > 0)
    with warnings.catch_warnings():  # no window counted: a mean of nothing, NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = (values[counted] / totals[counted, None]).mean(axis=0)
    return Importance(
        mean=mean,
        last_two=float(mean[-RULE_STEPS:].sum()),
        counted=int(counted.sum()),
        unchanged=int((finite & (totals == 0)).sum()),
        not_finite=int((~finite).sum()),
    )


def explain(
    attention_weights: np.ndarray,
    attention_importance: np.ndarray,
    rnn_importance: np.ndarray,
    method: str = DEFAULT_METHOD,
    windows: np.ndarray | None = None,
) -> Explanation:
    """Compare attention weights with importance, all of shape (windows, time_steps), over the same windows.

    `windows` (windows, time_steps, 1), the inputs, give `input_last_two`: where a model that weighs
    every step alike would put its importance, as each step counts with its own size.
    """
    check_choice("importance method", method, METHODS)
    weights = np.asarray(attention_weights, dtype=np.float64)
    attention_importance = np.asarray(attention_importance, dtype=np.float64)
    rnn_importance = np.asarray(rnn_importance, dtype=np.float64)
    if weights.ndim != 2 or not weights.shape == attention_importance.shape == rnn_importance.shape:
        raise ValueError(
            "attention weights and both importances must have one shape (windows, time_steps), got "
            f"{weights.shape}, {attention_importance.shape} and {rnn_importance.shape}"
        )
    steps = weights.shape[1]
    finite_weights = np.isfinite(weights).all(axis=1)
    with warnings.catch_warnings():  # no finite weight: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        attention, attention_sd = weights[finite_weights].mean(axis=0), weights[finite_weights].std(axis=0)
    both = _rankable(weights) & _rankable(attention_importance)
    correlations = np.full(len(weights), np.nan)
    correlations[both] = [
        _spearman(w, i) for w, i in zip(weights[both], attention_importance[both], strict=True)
    ]
    model = _importance(attention_importance)
    profiles = np.vstack([attention, model.mean])
    input_last_two = math.nan
    if windows is not None:
        values = np.abs(np.asarray(windows, dtype=np.float64).reshape(len(weights), steps))
        totals = values.sum(axis=1)
        shown = np.isfinite(totals) & (totals > 0)
        if shown.any():
            input_last_two = float(np.mean(values[shown, -RULE_STEPS:].sum(axis=1) / totals[shown]))
    return Explanation(
        method=method,
        windows=len(weights),
        attention=attention,
        attention_sd=attention_sd,
        attention_last_two=float(attention[-RULE_STEPS:].sum()),
        attention_not_finite=int((~finite_weights).sum()),
        uniform_attention=bool(
            finite_weights.any() and np.allclose(weights[finite_weights], 1 / steps, rtol=1e-5, atol=0)
        ),
        attention_model=model,
        rnn=_importance(rnn_importance),
        correlations=correlations,
        median_correlation=float(np.median(correlations[both])) if both.any() else math.nan,
        profile_correlation=_spearman(*profiles) if _rankable(profiles).all() else math.nan,
        input_last_two=input_last_two,
    )


# --- in words --------------------------------------------------------------------------------------

MEASURES = {
    "occlusion": (
        "Importance here is occlusion: how much a model's prediction changes when one step of a window "
        "is set to 0 {zero}."
    ),
    "gradient": (
        "Importance here is gradient x input: how fast a model's prediction moves with a step's value, "
        "times that value."
    ),
}
# What 0, where occlusion puts a step, is under each scaling (see fibdash.engine.inference).
ZERO_IS = {
    "minmax": "on the scaled axis, where MinMax scaling puts the series' smallest value (1)",
    "log-minmax": "on the scaled axis, where log-minmax scaling puts the series' smallest value (1, whose "
    "logarithm is 0)",
    "none": "itself: without scaling the networks see the numbers as they are, and 0 is below the series' "
    "smallest value (1)",
    "window": "on the scaled axis, which window scaling leaves at 0: each window is divided by its last "
    "value, so a step set to 0 is a value of 0",
}
# In every window, or in some: no step moves a model's prediction (one model, and both at once).
NOTHING_MOVES = {
    "occlusion": (
        "setting any one step to 0 leaves {model}'s prediction exactly as it was",
        "setting any one step to 0 leaves both models' predictions exactly as they were",
    ),
    "gradient": (
        "{model}'s gradient x input is 0 at every step",
        "both models' gradient x input is 0 at every step",
    ),
}
DIVERGED = (
    "{whose} importances are NaN or infinite in every window: {their} predictions are too, as when training "
    "diverged, so there is nothing to explain."
)
# Why no step moves a model's prediction in a window: occlusion asks the model; gradient x input is 0 also
# where the values are 0, whatever the model.
WHY_STILL = {
    "occlusion": "the model gives the same answer whatever one step holds, having learnt nothing from the "
    "inputs it can use, or scaling squashed them below what float32 can tell apart",
    "gradient": "the prediction does not move with the window's values, or they are 0, as when scaling "
    "squashes them below what float32 can tell apart",
}
# |rank correlation| from which it is called weak, moderate, strong, very strong
SIZES = ((0.1, "negligible"), (0.3, "weak"), (0.5, "moderate"), (0.7, "strong"), (1.0, "very strong"))
SAME = 0.05  # shares within this of each other are "about the same"


def explanation_words(
    explanation: Explanation, scaling: str, series: str = "fibonacci", attention: str = "tutorial"
) -> str:
    """What the comparison shows, in plain words for a learner, one paragraph per point; `scaling`, the
    data's, says what occlusion's 0 is, `series` which steps its structure points to, and `attention` (of
    ATTENTIONS) which head made the weights."""
    check_choice("scaling", scaling, tuple(ZERO_IS))
    check_choice("attention", attention, ATTENTIONS)
    e = explanation
    paragraphs = [
        MEASURES[e.method].format(zero=ZERO_IS[scaling])
        + " Each window's importances are scaled to sum to 1, like its attention "
        f"weights, then averaged over the {e.windows} test windows.",
        _left_out(e),
        _agreement(e, attention),
        _rule(e, series, attention),
        _caveat(e, attention),
    ]
    return "\n\n".join(p for p in paragraphs if p)


def _models(e: Explanation) -> tuple[tuple[str, Importance], ...]:
    return ("the attention model", e.attention_model), ("the RNN", e.rnn)


def _capital(text: str) -> str:
    """`text` with its first letter capital, the rest as it is ("the RNN" -> "The RNN")."""
    return text[:1].upper() + text[1:]


def _left_out(e: Explanation) -> str:
    """Windows left out of a model's mean importance, and models with no window left."""
    one, both = NOTHING_MOVES[e.method]
    why = WHY_STILL[e.method]
    diverged = [model for model, importance in _models(e) if importance.not_finite == e.windows]
    still = [
        (model, importance)
        for model, importance in _models(e)
        if not importance.counted and importance.not_finite < e.windows
    ]
    if len(diverged) == 2:
        said = [DIVERGED.format(whose="Both models'", their="their")]
    else:
        said = [DIVERGED.format(whose=f"{_capital(model)}'s", their="its") for model in diverged]
    if len(still) == 2 and not any(importance.not_finite for _, importance in still):
        said.append(f"In every test window, {both}: {why}. Nothing here shows what drives their predictions.")
        still = []
    for model, importance in still:
        windows = "every test window"
        if importance.not_finite:
            said.append(f"In {importance.not_finite} windows {model}'s importances are NaN or infinite.")
            windows = "every other test window"
        said.append(
            f"In {windows}, {one.format(model=model)}: {why}. Nothing here shows what drives its predictions."
        )
    for model, importance in _models(e):
        if importance.counted in (0, e.windows):
            continue
        parts = []
        if importance.unchanged:
            parts.append(f"in {importance.unchanged} of {e.windows} test windows, {one.format(model=model)}")
        if importance.not_finite:
            parts.append(f"in {importance.not_finite} its importances are NaN or infinite")
        counted = importance.counted
        said.append(f"{_capital(', and '.join(parts))}; its numbers below come from the other {counted}.")
    if any(importance.unchanged and importance.counted for _, importance in _models(e)):
        said.append(f"In those windows {why}.")
    return " ".join(said)


def _size(r: float) -> str:
    if math.isclose(abs(r), 1.0):
        return "perfect"
    return next(name for limit, name in SIZES if abs(r) < limit)


def _correlation(r: float) -> str:
    """'+0.26 (weak, positive)'."""
    size = _size(r)
    sign = "" if size == "negligible" else f", {'positive' if r > 0 else 'negative'}"
    return f"{r:+.2f} ({size}{sign})"


def _meaning(r: float) -> str:
    size = _size(r)
    if size == "negligible":
        return "the order of the weights says next to nothing about which steps matter"
    if size == "perfect":
        order = "the same order as" if r > 0 else "the reverse order of"
        return f"the weights rank the steps in exactly {order} their importance"
    more = "more" if r > 0 else "less"
    return f"steps with more attention tend to matter {'a little ' if size == 'weak' else ''}{more}"


def _agreement(e: Explanation, attention: str) -> str:
    question = "Do the attention weights point at the steps that drive the prediction?"
    steps = e.time_steps
    if e.attention_not_finite == e.windows:
        return f"{question} The attention weights are not numbers (NaN) in any window: they point at nothing."
    if steps < 2:
        return f"{question} With one time step every weight is 1: there is nothing to rank."
    if attention == "uniform":
        return (
            f"{question} Not here, by design: this model's head is the uniform control, every weight "
            f"1/{steps} = {1 / steps:.3g} whatever it learnt, so its weights rank no step above another and "
            "there is no rank correlation to compute. Its importances still say which steps drive its "
            "prediction through the mean of the states: set the sidebar's attention to another head to see "
            "whether learnt weights point at them."
        )
    if e.uniform_attention:
        return (
            f"{question} Every attention weight is 1/{steps} = {1 / steps:.3g}: the layer attends to no "
            "step more than another. Uniform weights rank no step above another, so they cannot point at "
            "anything, and there is no rank correlation to compute."
        )
    if e.attention_model.not_finite == e.windows:
        return f"{question} There is nothing to compare them with: the importances are not numbers."
    if e.attention_model.counted == 0:
        return f"{question} There is nothing for them to point at: no step moves the prediction."
    if e.ranked == 0:
        return (
            f"{question} No window's weights and importances can both be put in order (within each window "
            "every weight, or every importance, is the same), so there is no rank correlation."
        )
    r = e.median_correlation
    verdict = (
        "Largely yes"
        if r >= 0.5
        else "Partly"
        if r >= 0.3
        else "Hardly"
        if r > -0.3
        else "No, rather the opposite"
    )
    said = [
        f"{question} {verdict}. Within a window, the rank correlation (Spearman) of the attention weights "
        f"with the attention model's importances has a median of {_correlation(r)} over the {e.ranked} "
        f"windows where both can be put in order: {_meaning(r)}."
    ]
    if math.isfinite(e.profile_correlation):
        profiles = _correlation(e.profile_correlation)
        said.append(f"Averaged over the windows first, the two profiles correlate at {profiles}.")
    spread = float(np.max(e.attention_sd))
    low, high = float(np.min(e.attention)), float(np.max(e.attention))
    if e.windows > 1 and spread < 0.1 * (high - low):
        said.append(
            f"The weights are nearly the same in every window (a step's weight varies between windows by a "
            f"standard deviation of at most {spread:.2g}, against {low:.3f} to {high:.3f} from step to "
            "step): they follow a step's position more than the values the window holds."
        )
    return " ".join(said)


def _step(index: int, steps: int) -> str:
    return f"t-{steps - index}"


def _rule(e: Explanation, series: str, attention: str) -> str:
    steps = e.time_steps
    if steps < RULE_STEPS:
        return (
            f"{STRUCTURE[series]} With one time step the models see only one value, so all their importance "
            "sits on it."
        )
    said = [STRUCTURE[series]]
    reference = e.input_last_two if math.isfinite(e.input_last_two) else RULE_STEPS / steps
    said.append(
        f"If every step mattered equally, {RULE_STEPS / steps:.0%} of the importance would sit there "
        f"({RULE_STEPS} of {steps} steps)."
    )
    if math.isfinite(e.input_last_two):
        said.append(
            f"But each step counts with its own size: the last two values make up {e.input_last_two:.0%} of "
            f"a window's sum, so even a model weighing every step alike would put about that much there."
        )
    alike = "their size alone gives" if math.isfinite(e.input_last_two) else "equal importance gives"
    for name, importance in _models(e):
        if not importance.counted:
            continue
        share = importance.last_two
        compared = (
            f"more than {alike}"
            if share > reference + SAME
            else f"less than {alike}"
            if share < reference - SAME
            else f"about what {alike}"
        )
        peak = int(np.argmax(importance.mean))
        said.append(
            f"{_capital(name)} puts {share:.0%} of its importance there, {compared}; its most important "
            f"step is {_step(peak, steps)} ({importance.mean[peak]:.0%})."
        )
    if attention == "uniform":
        said.append(
            f"The uniform weights put {RULE_STEPS}/{steps} = {RULE_STEPS / steps:.0%} there, by design."
        )
    elif e.attention_not_finite < e.windows:
        said.append(f"The attention weights put {e.attention_last_two:.0%} there.")
    return " ".join(said)


CAVEATS = {
    "occlusion": "Occlusion is itself only a model of importance: it knocks one step down at a time, to a "
    "value unlike the window's.",
    "gradient": "Gradient x input is itself only a model of importance: it follows tiny changes, and credits "
    "values the network, computing in float32, may not see at all.",
}


# What the weights of each head weigh, and the caveat that follows for reading them as inputs' weights
WEIGHED = {
    "tutorial": "this layer weighs the RNN's hidden states, not the inputs",
    "additive": "this head weighs the RNN's hidden states, not the inputs",
    "dot": "this head weighs the RNN's hidden states, not the inputs",
    "self": "self-attention weighs projections of the RNN's hidden states, not the inputs, and the weights "
    "shown are only the last position's, whose output reaches Dense (the other positions' outputs do not)",
}


def _caveat(e: Explanation, attention: str) -> str:
    step = _step(e.time_steps // 2, e.time_steps)  # one in the middle of the window
    r = e.median_correlation
    if attention == "uniform":
        return (
            "The uniform head is the control that the attention-as-explanation literature asks for (Jain & "
            'Wallace, "Attention is not Explanation", NAACL 2019; Wiegreffe & Pinter 2019): a model whose '
            "weights mean nothing. Where another head's weights agree with importance no better than these "
            f"flat ones could, they explain little. {CAVEATS[e.method]}"
        )
    if not math.isfinite(r):
        here = "Here the weights cannot even be compared with importance."
    elif r >= 0.5:
        here = "Here the two largely agree, but that is one configuration and one seed."
    elif r >= 0.3:
        here = (
            "Here they agree only in part: read the attention heatmap as where the layer looks, not as what "
            "the prediction depends on."
        )
    else:
        here = (
            "Here they agree little: read the attention heatmap as where the layer looks, not as what the "
            "prediction depends on."
        )
    return (
        'A caveat (Jain & Wallace, "Attention is not Explanation", NAACL 2019): attention weights often '
        "disagree with measures of what drives a prediction, and quite different weights can give the same "
        "prediction, so a map of attention weights is not by itself an explanation. "
        f"{here} Besides, {WEIGHED[attention]}: the state at {step} "
        f"carries every value up to {step}, so a weight on {step} is not a weight on that value alone. "
        f"{CAVEATS[e.method]}"
    )


# --- a task whose answer is known ------------------------------------------------------------------

# What ranks the steps of a window, for the lags series: the attention weights, and each importance.
LAG_MEASURES = ("attention", *METHODS)
LAG_MEASURE_LABELS = {"attention": "attention weights", **METHOD_LABELS}
FOUND = 0.75  # precision from which the lags are found: most windows rank both first


def lag_positions(time_steps: int, lags: Sequence[int] = LAG_STEPS) -> np.ndarray:
    """Where the inputs `lags` steps before the target sit in a window of `time_steps` inputs, oldest first
    from 0: lag L at position time_steps - L. ValueError where a lag is not in the window."""
    lags = list(lags)
    if not lags or len(set(lags)) != len(lags):
        raise ValueError(f"lags must name at least one lag, each once, got {lags}")
    outside = [lag for lag in lags if not 1 <= lag <= time_steps]
    if outside:
        raise ValueError(
            f"a window of {time_steps} time steps holds lags 1 to {time_steps}, "
            f"not {', '.join(map(str, outside))}"
        )
    return np.array([time_steps - lag for lag in lags])


def chance_precision(time_steps: int, lags: Sequence[int] = LAG_STEPS) -> float:
    """The precision of scores that rank a window's steps at random, or not at all: len(lags) / time_steps."""
    return len(lag_positions(time_steps, lags)) / time_steps


def precision_at_lags(scores: np.ndarray, lags: Sequence[int] = LAG_STEPS) -> float:
    """How well a score per step finds the true lags: precision at k = len(lags) (2 for the lags series),
    the share of each window's k highest-scoring steps that are lags (`lag_positions`), averaged over the
    windows of `scores`, (windows, time_steps).

    Steps that tie at the k-th highest score share the places left among them, as a random choice among
    them would on average: a window whose steps all score alike gets k / time_steps, chance. Windows with a
    score that is NaN or infinite (a diverged model) are left out; NaN where none is left.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must have the shape (windows, time_steps), got {scores.shape}")
    positions = lag_positions(scores.shape[1], lags)
    scored = scores[np.isfinite(scores).all(axis=1)]
    if not len(scored):
        return math.nan
    k = len(positions)
    kth = np.sort(scored, axis=1)[:, -k, None]  # each window's k-th highest score
    above, tied = scored > kth, scored == kth
    places = k - above.sum(axis=1)  # left for the steps that tie at the k-th score
    on_lags = above[:, positions].sum(axis=1) + tied[:, positions].sum(axis=1) * places / tied.sum(axis=1)
    return float(np.mean(on_lags / k))


def lag_precisions(
    attention_weights: np.ndarray,
    attention_importance: Mapping[str, np.ndarray],
    rnn_importance: Mapping[str, np.ndarray],
    lags: Sequence[int] = LAG_STEPS,
) -> pd.DataFrame:
    """`precision_at_lags` of what ranks the steps of the test windows, each (windows, time_steps): the
    attention model's weights, and each model's importances by method (a `Trained`'s `importance`). A row
    per model (MODEL_LABELS), the attention model first, a column per measure (LAG_MEASURE_LABELS); NaN
    where a measure does not apply (the RNN has no attention weights) or was not measured (occlusion,
    where it would take long)."""
    rows = []
    for kind, scored in (("attention", {"attention": attention_weights, **attention_importance}),
                         ("rnn", rnn_importance)):  # fmt: skip
        row = {"model": MODEL_LABELS[kind]}
        for measure in LAG_MEASURES:
            row[LAG_MEASURE_LABELS[measure]] = (
                precision_at_lags(scored[measure], lags) if measure in scored else math.nan
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=["model", *LAG_MEASURE_LABELS.values()])


def lag_table(precisions: pd.DataFrame) -> pd.DataFrame:
    """`lag_precisions`' table as the Compare page and the command line show it: each precision to two
    decimals, "-" where a measure does not apply or was not measured."""
    shown = precisions.copy()
    for column in LAG_MEASURE_LABELS.values():
        shown[column] = [f"{value:.2f}" if math.isfinite(value) else "-" for value in shown[column]]
    return shown


def _found(precision: float, chance: float, k: int) -> str:
    """How far `precision` at `k` is from finding the lags, in words."""
    if precision >= FOUND:
        return "found them"
    if precision > chance + SAME:
        return (
            f"found some of them: {precision * k:.1f} of the {k} in a window on average, against "
            f"{chance * k:.1f} by chance"
        )
    if precision < chance - SAME:
        return "did not find them, doing worse than chance: it points elsewhere"
    return "did not find them, doing no better than chance"


def lag_words(precisions: pd.DataFrame, time_steps: int, head: str, lags: Sequence[int] = LAG_STEPS) -> str:
    """Whether attention found the true lags, in words, from `lag_precisions`' table for a model whose
    attention head is `head` (fibdash.config.ATTENTIONS), its windows `time_steps` long; beside it whether
    each model's importances found them."""
    check_choice("attention", head, ATTENTIONS)
    chance, k = chance_precision(time_steps, lags), len(lags)
    steps = " and ".join(f"t-{lag}" for lag in lags)
    rows = dict(zip(("attention", "rnn"), precisions.to_dict("records"), strict=True))
    attention = rows["attention"][LAG_MEASURE_LABELS["attention"]]
    said = [
        f"Only {steps} drive the series, so an explanation can be checked: precision at {k} is the share "
        f"of a window's {k} highest-ranked steps that are {steps}, averaged over the test windows (1: "
        f"always the lags; chance, {k} of {time_steps} steps drawn at random: {chance:.2f})."
    ]
    if head == "uniform":
        said.append(
            "Did attention find the lags? It cannot: uniform weights rank no step above another, so their "
            f"precision is chance, {attention:.2f}, by construction."
        )
    elif not math.isfinite(attention):
        said.append("Did attention find the lags? Its weights are not numbers: they point at nothing.")
    else:
        said.append(
            f"Did attention ({head} head) find the lags? Its weights' precision at {k} is {attention:.2f}: "
            f"it {_found(attention, chance, k)}."
        )
    for kind, row in rows.items():
        measured = {method: row[LAG_MEASURE_LABELS[method]] for method in METHODS}
        measured = {method: value for method, value in measured.items() if math.isfinite(value)}
        if not measured:
            continue
        scores = " and ".join(
            f"{LAG_MEASURE_LABELS[method]} {value:.2f}" for method, value in measured.items()
        )
        lead = (
            "The same model's importances, not read from attention"
            if kind == "attention"
            else f"The {MODEL_LABELS[kind]}, without attention"
        )
        how = "by the better of them, " if len(measured) > 1 else "so "
        whom = "the model itself" if kind == "attention" else "it"
        said.append(f"{lead}: {scores}; {how}{whom} {_found(max(measured.values()), chance, k)}.")
    said.append(
        "Attention weighs the RNN's hidden states, not the inputs: the state at t-1 carries every value "
        f"before it, {steps} among them, so a model can use the lags while its weights sit elsewhere."
    )
    return " ".join(said)
