import itertools
import math
import pickle
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import pytest

from fibdash.analysis import explain as ex
from fibdash.config import DataConfig, TrainConfig
from fibdash.figures import compare, style
from tests.browser import ROOT, assert_title_clear, figures_in_chromium
from tests.test_figures import assert_fits_a_phone, subtitle

T = 6


def test_importing_it_loads_no_tensorflow_and_no_numba():
    code = (
        "import sys, fibdash.analysis.explain; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'numba')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_the_engines_importances_explain_a_trained_pair():
    """The server's side of what the worker measured: importances of a trained pair, explained in words."""
    from fibdash.data import make_dataset
    from fibdash.engine.training import train_pair
    from fibdash.serving import tasks

    config = TrainConfig(data=DataConfig(n=80, time_steps=T), epochs=4)
    data = make_dataset(config.data)
    pair = tasks.train_pair(config, data.windows(), lambda log: False)
    assert pair["rnn"].loss_history == train_pair(config, data.windows())["rnn"].loss_history
    for method in ex.METHODS:
        attention = pair["attention"]
        explanation = ex.explain(
            attention.attention,
            attention.importance[method],
            pair["rnn"].importance[method],
            method,
            data.test_X,
        )
        assert (explanation.windows, explanation.time_steps) == (len(data.test_idx), T)
        assert explanation.attention.shape == explanation.rnn.mean.shape == (T,)
        np.testing.assert_allclose(explanation.attention.sum(), 1, rtol=1e-5)
        copy = pickle.loads(pickle.dumps(explanation))
        np.testing.assert_array_equal(copy.correlations, explanation.correlations)
        words = ex.explanation_words(copy, data.config.scaling)
        assert f"over the {len(data.test_idx)} test windows" in words


# --- explain, from arrays --------------------------------------------------------------------------


def dirichlet(samples: int = 30, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(T), samples)


def test_perfect_agreement_and_perfect_disagreement():
    weights = dirichlet()
    agree = ex.explain(weights, 5 * weights, weights)
    np.testing.assert_allclose(agree.correlations, 1)
    assert agree.median_correlation == pytest.approx(1) and agree.profile_correlation == pytest.approx(1)
    np.testing.assert_allclose(agree.attention_model.mean, weights.mean(axis=0))
    disagree = ex.explain(weights, 1 - weights, weights)  # the reverse order in every window
    np.testing.assert_allclose(disagree.correlations, -1)
    assert disagree.median_correlation == pytest.approx(-1)
    assert disagree.profile_correlation == pytest.approx(-1)


def test_shares_on_the_last_two_steps():
    weights = np.full((4, T), 1 / T)
    last = np.zeros((4, T))
    last[:, -2:] = [[1, 3], [2, 2], [5, 0], [1, 1]]  # each window normalised first
    evenly = np.ones((4, T))
    inputs = np.tile([1, 1, 1, 1, 2, 4], (4, 1))[..., None]  # the last two: 6 of 10
    explanation = ex.explain(weights, last, evenly, "gradient", inputs)
    assert explanation.attention_model.last_two == pytest.approx(1)
    np.testing.assert_allclose(explanation.attention_model.mean[-2:], [2.25 / 4, 1.75 / 4])
    assert explanation.rnn.last_two == pytest.approx(2 / T)
    assert explanation.attention_last_two == pytest.approx(2 / T)
    assert explanation.input_last_two == pytest.approx(0.6)
    assert explanation.uniform_attention
    assert np.isnan(ex.explain(weights, last, evenly).input_last_two)  # no windows given


def test_windows_without_importance_are_counted_not_averaged():
    weights = dirichlet(10)
    importance = dirichlet(10, seed=1)
    importance[:3] = 0  # no step moves these predictions
    importance[3, 0] = np.nan
    explanation = ex.explain(weights, importance, dirichlet(10, seed=2))
    model = explanation.attention_model
    assert (model.counted, model.unchanged, model.not_finite) == (6, 3, 1)
    np.testing.assert_allclose(model.mean, (importance[4:] / importance[4:].sum(1, keepdims=True)).mean(0))
    assert np.isnan(explanation.correlations[:4]).all() and explanation.ranked == 6
    assert explanation.median_correlation == pytest.approx(np.median(explanation.correlations[4:]))


def test_explain_refuses_arrays_that_do_not_match():
    with pytest.raises(ValueError, match="one shape"):
        ex.explain(dirichlet(), dirichlet(), dirichlet(29))


# --- in words --------------------------------------------------------------------------------------


def words(weights, attention_importance, rnn_importance, method=ex.DEFAULT_METHOD) -> str:
    text = ex.explanation_words(ex.explain(weights, attention_importance, rnn_importance, method), "minmax")
    assert "Attention is not Explanation" in text and "Jain & Wallace" in text  # the caveat, always
    return text


def test_words_for_agreement_say_sign_and_size():
    weights = dirichlet()
    agree = words(weights, 2 * weights, weights)
    assert "Largely yes" in agree and "+1.00 (perfect, positive)" in agree
    disagree = words(weights, 1 - weights, weights)
    assert "No, rather the opposite" in disagree and "-1.00 (perfect, negative)" in disagree
    assert "reverse order" in disagree
    unrelated = words(weights, dirichlet(seed=5), weights)
    assert "Hardly" in unrelated or "Partly" in unrelated


def test_words_for_uniform_attention():
    text = words(np.full((30, T), 1 / T), dirichlet(), dirichlet())
    assert f"Every attention weight is 1/{T}" in text
    assert "median" not in text  # no correlation to report


def test_words_for_nan_importances():
    nan = np.full((30, T), np.nan)
    text = words(dirichlet(), nan, dirichlet())
    assert "The attention model's importances are NaN or infinite in every window" in text
    assert "the importances are not numbers" in text
    assert "Both models' importances are NaN or infinite" in words(dirichlet(), nan, nan)


def test_words_for_a_model_that_learnt_nothing():
    """Every importance 0: no step moves either prediction."""
    zero = np.zeros((30, T))
    text = words(dirichlet(), zero, zero)
    assert "In every test window, setting any one step to 0 leaves both models' predictions exactly" in text
    assert "no step moves the prediction" in text
    assert "of its importance there" not in text  # no share of importance for a model without one
    gradient = words(dirichlet(), zero, dirichlet(), "gradient")
    assert "the attention model's gradient x input is 0 at every step" in gradient


def test_words_for_windows_left_out():
    importance = dirichlet()
    importance[:12] = 0
    text = words(dirichlet(), importance, dirichlet())
    assert "In 12 of 30 test windows, setting any one step to 0 leaves the attention model's" in text
    assert "come from the other 18" in text


@pytest.mark.parametrize(
    ("scaling", "zero"),
    [
        ("minmax", "set to 0 on the scaled axis, where MinMax scaling puts the series' smallest value (1)."),
        ("log-minmax", "set to 0 on the scaled axis, where log-minmax scaling puts the series' smallest"),
        ("none", "set to 0 itself: without scaling the networks see the numbers as they are"),
    ],
)
def test_occlusion_says_what_0_is_for_the_scaling(scaling, zero):
    explanation = ex.explain(dirichlet(), dirichlet(seed=1), dirichlet(seed=2))
    text = ex.explanation_words(explanation, scaling)
    assert zero in text
    assert ("MinMax" in text.split("\n\n")[0]) == (scaling == "minmax")


def test_words_place_importance_against_the_fibonacci_rule():
    weights = dirichlet()
    last = np.zeros((30, T))
    last[:, -1] = 1
    inputs = np.tile([1, 1, 1, 1, 2, 4], (30, 1))[..., None]
    text = ex.explanation_words(ex.explain(weights, last, np.ones((30, T)), windows=inputs), "minmax")
    assert "The attention model puts 100% of its importance there, more than their size alone gives" in text
    assert "its most important step is t-1 (100%)" in text
    assert "The RNN puts 33% of its importance there, less than their size alone gives" in text
    assert "make up 60% of a window's sum" in text


# --- figures ---------------------------------------------------------------------------------------


def note(figure: go.Figure) -> str:
    """The figure's note as one line."""
    return subtitle(figure).replace("<br>", " ")


def partly_still() -> ex.Explanation:
    """30 windows: the attention model's importance in 18 of them, the RNN's in none."""
    importance = dirichlet(seed=1)
    importance[:12] = 0
    return ex.explain(dirichlet(), importance, np.zeros((30, T)))


def test_importance_figure():
    weights, importance, rnn = dirichlet(), dirichlet(seed=1), dirichlet(seed=2)
    explanation = ex.explain(weights, importance, rnn)
    figure = compare.importance_figure(explanation)
    bars, attention, plain = figure.data
    assert [trace.name for trace in figure.data] == [
        "RNN + attention: attention weight",
        "RNN + attention: importance",
        "RNN: importance",
    ]
    assert list(bars.x) == ["t-6", "t-5", "t-4", "t-3", "t-2", "t-1"]
    np.testing.assert_allclose(bars.y, weights.mean(axis=0))
    np.testing.assert_allclose(attention.y, (importance / importance.sum(1, keepdims=True)).mean(0))
    np.testing.assert_allclose(plain.y, explanation.rnn.mean)
    assert attention.line.color == style.MODEL_COLOURS["attention"]
    assert plain.line.color == style.MODEL_COLOURS["rnn"]
    shaded, uniform = figure.layout.shapes
    assert (shaded.x0, shaded.x1) == (T - 2.5, T - 0.5)  # around t-2 and t-1, AR(2)'s steps
    assert uniform.y0 == pytest.approx(1 / T)
    assert figure.layout.title.text == "Attention weight and importance per step"
    assert note(figure) == "importance by occlusion; shaded: the two steps AR(2) uses; dashed: 1/T, all alike"
    long = ex.explain(*(dirichlet(5, seed) for seed in range(3)), method="gradient")
    assert note(compare.importance_figure(long)).startswith("importance by gradient x input;")


def test_importance_figure_says_which_windows_the_importances_come_from():
    figure = compare.importance_figure(partly_still())
    assert note(figure).startswith(
        "importance by occlusion, only from windows where a step moves the prediction: 18 of 30 for "
        "RNN + attention; no importance for RNN (no step moves its prediction);"
    )
    assert np.isnan(figure.data[2].y).all()  # nothing drawn for the RNN


def test_correlation_figure():
    explanation = partly_still()
    figure = compare.correlation_figure(explanation)
    histogram = figure.data[0]
    np.testing.assert_allclose(np.sort(histogram.x), np.sort(explanation.correlations[12:]))
    zero, median = figure.layout.shapes
    assert zero.x0 == 0 and median.x0 == pytest.approx(explanation.median_correlation)
    assert figure.layout.annotations[0].text == f"median {explanation.median_correlation:+.2f}"
    assert note(figure).endswith("12 of 30 windows cannot be ranked")
    nothing = compare.correlation_figure(ex.explain(np.full((30, T), 1 / T), dirichlet(), dirichlet()))
    assert len(nothing.data[0].x) == 0 and len(nothing.layout.shapes) == 1  # no median to mark
    assert note(nothing).endswith("30 of 30 windows cannot be ranked")


def explain_figures() -> dict[str, go.Figure]:
    rng = np.random.default_rng(0)
    steps = 300  # the most time steps a long series gives windows of, near enough
    weights = rng.dirichlet(np.full(steps, 5.0), 200)
    long = ex.explain(
        weights, rng.random((200, steps)) * np.linspace(0, 1, steps) ** 4, rng.random((200, steps))
    )
    return {
        "importance": compare.importance_figure(partly_still()),
        "importance-300-steps": compare.importance_figure(long),
        "correlation": compare.correlation_figure(partly_still()),
    }


def test_explain_figures_fit_a_phone():
    for name, figure in explain_figures().items():
        assert_fits_a_phone(name, figure)


@pytest.mark.slow
@pytest.mark.parametrize("width", [358, 1100])  # a phone (390 px less Streamlit's padding), desktop
def test_explain_figures_drawn_by_plotly(width, tmp_path):
    """Drawn in Chromium: the title and its note inside the figure, clear of the toolbar, the plot area and
    the legend. Screenshots in artifacts/figures/explain-<width>/."""
    shots = ROOT / "artifacts" / "figures" / f"explain-{width}"
    shots.mkdir(parents=True, exist_ok=True)
    with figures_in_chromium(explain_figures(), width, tmp_path) as plots:
        for name, plot in plots.items():
            assert_title_clear(plot, name, with_note=True)
            plot.screenshot(path=str(shots / f"{name}.png"))


# --- a task whose answer is known ----------------------------------------------------------------


LAGGED_T = 20  # the lags series' t-3 and t-11 are positions 17 and 9 of a window of 20


def precision_by_enumeration(scores: np.ndarray, lags=(3, 11)) -> float:
    """Precision at len(lags), computed another way: per window, every way of breaking the ties at the
    cut (itertools' combinations of the tied steps), each as likely, the lags among the steps chosen."""
    k, steps = len(lags), scores.shape[1]
    true = {steps - lag for lag in lags}
    found = []
    for row in scores.tolist():
        order = sorted(range(steps), key=lambda i: -row[i])
        cut = row[order[k - 1]]
        surely = [i for i in range(steps) if row[i] > cut]
        tied = [i for i in range(steps) if row[i] == cut]
        ways = list(itertools.combinations(tied, k - len(surely)))
        found.append(sum(len(true & {*surely, *way}) for way in ways) / len(ways) / k)
    return sum(found) / len(found)


def test_an_oracle_finds_the_lags_and_wrong_or_uniform_scores_do_not():
    assert list(ex.lag_positions(LAGGED_T)) == [17, 9]
    oracle = np.zeros((7, LAGGED_T))
    oracle[:, [17, 9]] = 0.5  # all mass on the true lags
    assert ex.precision_at_lags(oracle) == 1
    noisy = dirichlet(40, seed=3).repeat(4, axis=1)[:, :LAGGED_T] * 0.1
    noisy[:, 17] += 1
    noisy[:, 9] += 0.9
    assert ex.precision_at_lags(noisy) == 1  # the lags first, whatever the rest
    wrong = np.zeros((7, LAGGED_T))
    wrong[:, [18, 19]] = 0.5  # the last two steps: no lag
    assert ex.precision_at_lags(wrong) == 0
    one = wrong.copy()
    one[:, 17] = 0.5  # t-3 and t-2 and t-1 tie for two places: t-3 gets two thirds of one
    assert ex.precision_at_lags(one) == pytest.approx(1 / 3)
    uniform = np.full((5, LAGGED_T), 1 / LAGGED_T)
    assert ex.precision_at_lags(uniform) == pytest.approx(2 / LAGGED_T) == ex.chance_precision(LAGGED_T)


@pytest.mark.parametrize("seed", range(3))
def test_precision_at_the_lags_is_what_enumerating_the_ties_gives(seed):
    rng = np.random.default_rng(seed)
    scores = rng.random((50, LAGGED_T))
    assert ex.precision_at_lags(scores) == pytest.approx(precision_by_enumeration(scores), abs=1e-12)
    tied = rng.integers(0, 4, (50, LAGGED_T)).astype(float)  # many ties at the cut
    assert ex.precision_at_lags(tied) == pytest.approx(precision_by_enumeration(tied), abs=1e-12)
    random = np.mean([ex.precision_at_lags(rng.random((200, LAGGED_T))) for _ in range(20)])
    assert random == pytest.approx(ex.chance_precision(LAGGED_T), abs=0.01)  # chance: 2 of 20 steps
    short = rng.random((30, 12))  # other lags and windows
    assert ex.precision_at_lags(short, (1, 5, 12)) == pytest.approx(
        precision_by_enumeration(short, (1, 5, 12)), abs=1e-12
    )


def test_windows_that_are_not_numbers_are_left_out_and_lags_outside_a_window_refused():
    scores = np.zeros((3, LAGGED_T))
    scores[0, [17, 9]] = 1
    scores[1, 0] = np.nan
    scores[2, [0, 1]] = 1
    assert ex.precision_at_lags(scores) == 0.5  # windows 0 and 2
    assert math.isnan(ex.precision_at_lags(np.full((2, LAGGED_T), np.inf)))
    with pytest.raises(ValueError, match="a window of 10 time steps holds lags 1 to 10, not 11"):
        ex.precision_at_lags(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="shape"):
        ex.precision_at_lags(np.zeros(LAGGED_T))


def test_the_lag_table_scores_each_measure_and_says_whether_attention_found_them():
    rng = np.random.default_rng(0)
    weights, occlusion, gradient, rnn = (rng.random((30, LAGGED_T)) for _ in range(4))
    weights[:, [17, 9]] += 1  # the attention weights find the lags
    table = ex.lag_precisions(weights, {"occlusion": occlusion, "gradient": gradient}, {"gradient": rnn})
    assert list(table.columns) == ["model", "attention weights", "occlusion", "gradient x input"]
    assert list(table["model"]) == ["RNN + attention", "RNN"]
    expected = [
        [1.0, ex.precision_at_lags(occlusion), ex.precision_at_lags(gradient)],
        [math.nan, math.nan, ex.precision_at_lags(rnn)],  # no attention weights; occlusion not measured
    ]
    np.testing.assert_array_equal(table.iloc[:, 1:].to_numpy(), expected)
    words = ex.lag_words(table, LAGGED_T, "dot")
    assert "chance, 2 of 20 steps drawn at random: 0.10" in words
    assert (
        "Did attention (dot head) find the lags? Its weights' precision at 2 is 1.00: it found them." in words
    )
    assert f"The RNN, without attention: gradient x input {expected[1][2]:.2f}; so it " in words
    uniform = ex.lag_precisions(np.full((30, LAGGED_T), 0.05), {}, {})
    assert "It cannot: uniform weights rank no step above another, so their precision is chance, 0.10" in (
        ex.lag_words(uniform, LAGGED_T, "uniform")
    )
    zeros = np.zeros((4, LAGGED_T))
    some = ex.lag_precisions(zeros, {}, {"gradient": zeros})
    some.loc[1, "gradient x input"] = 0.45
    found = (
        "gradient x input 0.45; so it found some of them: 0.9 of the 2 in a window on average, against 0.2"
    )
    assert f"The RNN, without attention: {found} by chance." in ex.lag_words(some, LAGGED_T, "tutorial")
