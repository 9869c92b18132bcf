import re
import types

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from fibdash.analysis.explain import explain
from fibdash.analysis.forecast import Forecasts, error_by_step, forecast
from fibdash.analysis.metrics import naive_baselines, scores_table
from fibdash.analysis.study import TABLE_COLUMNS, compare, paired_table
from fibdash.analysis.sweep import PointResult, SweepResult, model_summary, ratio_summary, sweep_grid
from fibdash.config import MODEL_KINDS, MODEL_LABELS, DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.figures import compare as compare_figures
from fibdash.figures import dataset, robustness, style, sweep, training
from tests.browser import (
    ROOT,
    assert_title_clear,
    box,
    figures_in_chromium,
    outline,
    outlines_overlap,
    overlap,
)


@pytest.fixture(scope="module")
def data():
    return make_dataset(DataConfig(n=60, time_steps=5))


def test_series_figures(data):
    raw = dataset.series_figure(data)
    assert raw.layout.yaxis.type == "log"
    np.testing.assert_array_equal(raw.data[0].y, data.series)
    scaled = dataset.scaled_series_figure(data)
    np.testing.assert_array_equal(scaled.data[0].y, data.scaled)
    assert "minmax" in scaled.layout.title.text


def test_target_histogram_reports_the_squashed_share(data):
    figure = dataset.target_histogram(data)
    np.testing.assert_array_equal(figure.data[0].x, data.y)
    share = np.mean(data.y < 1e-6)
    assert f"{share:.1%}" in figure.layout.title.text


def test_split_figure_places_every_window(data):
    train, test = dataset.split_figure(data).data
    assert sorted(train.x) == sorted(data.positions[data.train_idx])
    assert sorted(test.x) == sorted(data.positions[data.test_idx])
    assert train.marker.color != test.marker.color


def test_folds_figure_draws_each_folds_training_test_and_unused_windows():
    data = make_dataset(DataConfig(n=60, time_steps=5, split="backtest", folds=3))
    figure = dataset.folds_figure(data)
    spans = {(trace.y[0], trace.name): (trace.x[0] + 0.5, trace.x[1] - 0.5) for trace in figure.data}
    for fold in data.config.fold_configs():
        rows = make_dataset(fold)
        label = f"fold {fold.fold + 1}"
        tested = data.positions[rows.test_idx]
        assert spans[label, "train"] == (5, data.positions[rows.train_idx].max())
        assert spans[label, "test"] == (tested.min(), tested.max())
        assert (spans.get((label, "not used")) is None) == (tested.max() == 59)
    assert [trace.name for trace in figure.data if trace.showlegend] == ["train", "test", "not used"]


def test_forecast_figures_draw_each_predictor_ahead_of_its_window(data):
    forecasts = forecasts_of(data, 0.5, horizon=3)
    figure = compare_figures.forecast_figure(data, forecasts, 0)
    truth, *ahead = figure.data
    position = forecasts.positions[0]
    np.testing.assert_array_equal(truth.x, np.arange(position - 5, position + 3))
    np.testing.assert_array_equal(truth.y, data.series[position - 5 : position + 3])
    assert [trace.name for trace in ahead] == ["RNN", "RNN + attention", "persistence", "AR(2)"]
    for trace in ahead:
        np.testing.assert_array_equal(trace.x, position + np.arange(3))
        np.testing.assert_allclose(trace.y, forecasts.predicted[trace.name][0])
    assert ahead[0].line.color == style.colour("RNN") and ahead[2].line.dash == "dot"  # rules dotted
    errors = error_by_step(forecasts)
    lines = compare_figures.horizon_error_figure(errors, "MAE", data.units).data
    persistence = errors[errors["predictor"] == "persistence"]
    np.testing.assert_allclose(next(t for t in lines if t.name == "persistence").y, persistence["MAE"])
    assert list(lines[0].x) == [1, 2, 3]


def test_scores_figure_bars_and_colours(data):
    table = scores_table(naive_baselines(data))
    figure = compare_figures.scores_figure(table)
    assert figure.layout.yaxis.type == "log"
    bars = {bar.name: bar for bar in figure.data}
    assert list(bars) == ["predict zero", "persistence", "AR(2)"]
    zero = table.set_index("predictor").loc["predict zero"]
    np.testing.assert_allclose(bars["predict zero"].y, [zero["train MSE"], zero["test MSE"]])
    assert bars["persistence"].marker.color == style.colour("persistence")


def test_scores_figure_leaves_out_zero_bars(data):
    table = scores_table(naive_baselines(make_dataset(DataConfig(n=40, time_steps=3, scaling="none"))))
    table.loc[table["predictor"] == "AR(2)", ["train MSE", "test MSE"]] = 0.0  # the Fibonacci rule, exactly
    rule = next(bar for bar in compare_figures.scores_figure(table).data if bar.name == "AR(2)")
    assert np.isnan(rule.y).all()  # an exact 0 has no place on a log axis
    assert list(rule.customdata) == [0, 0]  # the hover still tells the value


def test_predictions_figure(data):
    good = data.y.copy()
    bad = -np.ones_like(data.y)  # maps below zero in Fibonacci units
    figure = compare_figures.predictions_figure(data, {"RNN": good, "RNN + attention": bad})
    truth, rnn_train, rnn_test, _, att_test = figure.data
    np.testing.assert_allclose(truth.y, data.series[data.positions])
    np.testing.assert_allclose(rnn_test.y, data.series[np.sort(data.positions[data.test_idx])])
    assert list(rnn_test.x) == sorted(data.positions[data.test_idx])
    assert rnn_test.marker.color == style.MODEL_COLOURS["rnn"] == rnn_train.marker.color
    assert att_test.marker.color == style.MODEL_COLOURS["attention"]
    assert np.isnan(att_test.y).all()
    assert figure.layout.title.subtitle.text == f"{len(data.y)} at or below 0 not shown"

    on_scaled_axis = compare_figures.predictions_figure(data, {"RNN + attention": bad}, scaled=True)
    truth, _, att_test = on_scaled_axis.data
    assert on_scaled_axis.layout.yaxis.type != "log"
    np.testing.assert_array_equal(truth.y, data.y)
    np.testing.assert_array_equal(att_test.y, -1)  # drawn as they are: nothing hidden
    assert not on_scaled_axis.layout.title.subtitle.text


def test_errors_figure(data):
    doubled = data.to_scaled(2 * data.series[data.positions])
    relative = compare_figures.errors_figure(data, {"RNN": doubled}, relative=True)
    np.testing.assert_allclose(relative.data[0].y, 100, rtol=1e-6)
    absolute = compare_figures.errors_figure(data, {"RNN": doubled}, relative=False)
    np.testing.assert_allclose(
        absolute.data[0].y, data.series[np.sort(data.positions[data.test_idx])], rtol=1e-6
    )
    assert absolute.layout.yaxis.type == "log"


def test_loss_figure():
    figure = training.loss_figure({"RNN": ([0.5, 0.25], [0.4, 0.3]), "RNN + attention": ([0.2], [0.1])})
    names = [trace.name for trace in figure.data]
    assert names == [
        "RNN: training loss",
        "RNN: test MSE",
        "RNN + attention: training loss",
        "RNN + attention: test MSE",
    ]
    assert list(figure.data[0].x) == [1, 2] and list(figure.data[1].y) == [0.4, 0.3]
    assert figure.data[1].line.dash == "dot"
    assert figure.data[2].line.color == style.MODEL_COLOURS["attention"]


def test_attention_figures(data):
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(5), size=len(data.test_idx))
    heatmap = compare_figures.attention_heatmap(data, weights).data[0]
    order = np.argsort(data.positions[data.test_idx])
    np.testing.assert_array_equal(heatmap.z, weights[order])
    assert list(heatmap.x) == ["t-5", "t-4", "t-3", "t-2", "t-1"]
    assert list(heatmap.y) == sorted(data.positions[data.test_idx])
    mean = compare_figures.attention_mean_figure(weights)
    np.testing.assert_allclose(mean.data[0].y, weights.mean(axis=0))
    assert mean.layout.shapes[0].y0 == pytest.approx(0.2)  # the uniform line at 1/T

    window = compare_figures.window_figure(data, weights, 3)
    inputs, bars = window.data
    np.testing.assert_array_equal(inputs.y, data.X[data.test_idx[3], :, 0])
    np.testing.assert_array_equal(bars.y, weights[3])
    assert str(data.positions[data.test_idx[3]]) in window.layout.title.text


def test_every_figure_shares_the_look(data):
    built = [dataset.series_figure(data), training.loss_figure({"RNN": ([1.0], [1.0])})]
    assert all(isinstance(f, go.Figure) for f in built)
    assert {f.layout.font.family for f in built} == {style.LAYOUT["font"]["family"]}
    white = go.Figure(layout={"template": "plotly_white"}).layout.template
    assert all(f.layout.template == white for f in built)  # the process's default, taken as each is made


def test_figures_keep_their_template_after_streamlit_sets_its_own():
    """Importing Streamlit's charts makes its template Plotly's default: the figures are made in ours."""
    pio.templates.default = "streamlit" if "streamlit" in pio.templates else "plotly_dark"
    figure = training.loss_figure({"RNN": ([1.0], [1.0])})
    assert figure.layout.template == go.Figure(layout={"template": style.TEMPLATE}).layout.template


def test_study_figures():
    rows = [["rnn", seed, 0, mse, 1, 1] for seed, mse in enumerate([1e-4, 2e-4, 4e-4])]
    rows += [["attention", seed, 0, mse, 1, 1] for seed, mse in enumerate([5e-5, 8e-4, 4e-4])]
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)

    boxes = robustness.study_figure(table)
    assert boxes.layout.yaxis.type == "log"
    rnn, attention = boxes.data
    assert (rnn.name, attention.name) == ("RNN", "RNN + attention")
    np.testing.assert_allclose(attention.y, [5e-5, 8e-4, 4e-4])
    assert list(attention.customdata) == [0, 1, 2]  # the hover names each point's seed
    assert attention.marker.color == style.MODEL_COLOURS["attention"]

    ratios = robustness.ratio_figure(paired_table(table))
    bars = ratios.data[0]
    np.testing.assert_allclose(bars.customdata, [0.5, 4, 1])
    np.testing.assert_allclose(np.asarray(bars.y) + bars.base, [0.5, 4, 1])  # drawn from 1 to the ratio
    assert bars.marker.color[0] == style.MODEL_COLOURS["attention"]  # attention won seed 0
    assert bars.marker.color[1] == style.MODEL_COLOURS["rnn"]
    assert ratios.layout.shapes[0].y0 == 1


# --- what a chart cannot draw ----------------------------------------------------------------


def spoilt(data, nan: int, infinite: int, negative: int) -> np.ndarray:
    """Scaled predictions for every window: twice the truth, with the first test windows made NaN,
    then infinite, then negative (in Fibonacci units too)."""
    predictions = data.to_scaled(2 * data.series[data.positions])
    rows = data.test_idx[: nan + infinite + negative]
    predictions[rows] = [np.nan] * nan + [np.inf] * infinite + [-1.0] * negative
    return predictions


def subtitle(figure: go.Figure) -> str:
    return figure.layout.title.subtitle.text or ""


def test_predictions_and_errors_count_what_they_leave_out_by_cause(data):
    predictions = {"RNN": spoilt(data, 3, 2, 1), "RNN + attention": spoilt(data, 4, 0, 0)}
    log = compare_figures.predictions_figure(data, predictions)
    assert subtitle(log) == "7 NaN, 2 infinite, 1 at or below 0 not shown"
    drawn = np.concatenate([trace.y for trace in log.data[1:]])
    assert np.isfinite(drawn).sum() == 2 * len(data.y) - 10  # the rest are gaps
    assert (
        subtitle(compare_figures.predictions_figure(data, predictions, scaled=True))
        == "7 NaN, 2 infinite not shown"
    )
    # the errors: NaN and infinite predictions give NaN and infinite errors; -1 gives a finite error
    assert (
        subtitle(compare_figures.errors_figure(data, predictions, relative=False))
        == "7 NaN, 2 infinite not shown"
    )
    unscaled = make_dataset(DataConfig(n=40, time_steps=3, scaling="none"))
    exact = {"AR(2)": unscaled.y}  # errors of 0 have no place on a log axis
    for relative in (False, True):
        errors = compare_figures.errors_figure(unscaled, exact, relative=relative)
        assert subtitle(errors) == f"{len(unscaled.test_idx)} at or below 0 not shown"


def test_a_diverged_run_is_named_nan_not_negative(data):
    nan = np.full_like(data.y, np.nan)
    figure = compare_figures.predictions_figure(data, {"RNN": nan, "RNN + attention": nan})
    assert subtitle(figure) == f"{2 * len(data.y)} NaN not shown"
    loss = training.loss_figure({"RNN": ([0.5, np.nan, np.nan], [0.4, np.inf, np.nan])})
    assert subtitle(loss) == "3 NaN, 1 infinite not shown"
    assert list(loss.data[0].y[:1]) == [0.5] and np.isnan(loss.data[0].y[1:]).all()


def test_score_and_study_figures_count_what_they_leave_out(data):
    table = scores_table(naive_baselines(data)).set_index("predictor")
    table.loc["AR(2)", ["train MSE", "test MSE"]] = 0.0  # as exact as the Fibonacci rule can be
    table.loc["predict zero", ["train MSE", "test MSE"]] = [np.nan, np.inf]
    scores = compare_figures.scores_figure(table.reset_index())
    assert subtitle(scores) == "1 NaN, 1 infinite, 2 at or below 0 not shown"

    rows = [["rnn", 0, 0, 1e-4, 1, 1], ["rnn", 1, 0, np.nan, 1, 1], ["rnn", 2, 0, 2e-4, 1, 1]]
    rows += [["attention", 0, 0, 1e-4, 1, 1], ["attention", 1, 0, 3e-4, 1, 1]]
    rows += [["attention", 2, 0, np.inf, 1, 1]]
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    assert subtitle(robustness.study_figure(table)) == "1 NaN, 1 infinite not shown"
    # ratios: 1 (drawn), 3e-4 / NaN = NaN, inf / 2e-4 = inf
    assert subtitle(robustness.ratio_figure(paired_table(table))) == "1 NaN, 1 infinite not shown"


def test_attention_figures_say_nan_weights(data):
    weights = np.full((len(data.test_idx), 5), 0.2)
    weights[:2] = np.nan
    assert subtitle(compare_figures.attention_heatmap(data, weights)).startswith("10 NaN not shown")
    assert subtitle(compare_figures.attention_mean_figure(weights)).startswith(
        "10 NaN weights left out of the mean"
    )
    np.testing.assert_allclose(compare_figures.attention_mean_figure(weights).data[0].y, 0.2)
    window = compare_figures.window_figure(data, weights, 0)
    assert subtitle(window) == "5 NaN not shown"
    assert subtitle(compare_figures.window_figure(data, weights, 2)) == ""


def test_flat_attention_has_a_colour_scale_from_zero_and_says_so():
    data = make_dataset(DataConfig(n=120, time_steps=20))
    flat = np.full((len(data.test_idx), 20), 0.05)  # what a collapsed network attends
    heatmap = compare_figures.attention_heatmap(data, flat)
    trace = heatmap.data[0]
    assert (trace.zmin, trace.zmax) == (0, pytest.approx(0.1))  # uniform attention sits mid-scale
    assert subtitle(heatmap) == "every weight is 0.05: uniform attention"
    sharp = np.zeros_like(flat)
    sharp[:, -1] = 1.0  # all attention on the last step: the scale reaches the largest weight
    trace = compare_figures.attention_heatmap(data, sharp).data[0]
    assert (trace.zmin, trace.zmax) == (0, 1)
    assert subtitle(compare_figures.attention_mean_figure(flat)) == "every weight is 0.05: uniform attention"


def test_attention_heatmap_labels_rows_with_their_target_index(data):
    weights = np.random.default_rng(0).dirichlet(np.ones(5), size=len(data.test_idx))
    heatmap = compare_figures.attention_heatmap(data, weights)
    assert heatmap.layout.yaxis.showticklabels is not False
    assert heatmap.layout.yaxis.type == "category"  # equally tall rows; Plotly thins crowded labels
    assert list(heatmap.data[0].y) == sorted(data.positions[data.test_idx])


# --- the largest series, and a phone ---------------------------------------------------------

LOG10_FLOAT64_MAX = np.log10(np.finfo(np.float64).max)


def forecasts_of(data, answer: float, horizon: int = 5) -> Forecasts:
    """Forecasts `horizon` steps ahead from `data`'s test windows, both "models" answering `answer` (scaled)
    at every step, beside the rules: no training."""
    pair = {kind: types.SimpleNamespace(config=None, weights=None) for kind in MODEL_KINDS}

    def predict(asked):
        return {key: np.full(len(windows), answer) for key, (_, _, _, windows) in asked.items()}

    return forecast([(data, pair)], horizon, predict)


def every_figure(data, predictions: dict, weights: np.ndarray) -> dict[str, go.Figure]:
    table = scores_table(naive_baselines(data))
    forecasts = forecasts_of(data, 1.5)  # beyond the series' largest value: infinite in its units
    rows = [
        [kind, seed, 0, mse, 1, 1] for kind in ("rnn", "attention") for seed, mse in enumerate([1e-4, 1e300])
    ]
    study = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return {
        "series": dataset.series_figure(data),
        "scaled series": dataset.scaled_series_figure(data),
        "targets": dataset.target_histogram(data),
        "split": dataset.split_figure(data),
        "scores": compare_figures.scores_figure(table),
        "predictions": compare_figures.predictions_figure(data, predictions),
        "scaled predictions": compare_figures.predictions_figure(data, predictions, scaled=True),
        "errors": compare_figures.errors_figure(data, predictions, relative=False),
        "relative errors": compare_figures.errors_figure(data, predictions, relative=True),
        "loss": training.loss_figure({"RNN": ([1e30, np.inf], [1e300, np.nan])}),
        "attention": compare_figures.attention_heatmap(
            data, weights, epoch=500
        ),  # as the app: two title lines
        "mean attention": compare_figures.attention_mean_figure(weights, epoch=500),
        "window": compare_figures.window_figure(data, weights, 0),
        "what-if window": compare_figures.inputs_figure(
            data.X[0, :, 0], data.series[:20], weights[0], "Your window, its attention", "Fibonacci"
        ),
        "study": robustness.study_figure(study),
        "ratios": robustness.ratio_figure(paired_table(study)),
        "forecast": compare_figures.forecast_figure(data, forecasts, len(forecasts.rows) - 1),
        "horizon errors": compare_figures.horizon_error_figure(error_by_step(forecasts), "MSE", data.units),
    }


@pytest.fixture(scope="module")
def largest():
    """The longest series (n=1474, its last value near float64's largest) and predictions beyond it."""
    data = make_dataset(DataConfig(n=1474, time_steps=20, scaling="log-minmax"))
    predictions = data.y.copy()
    predictions[data.test_idx[:5]] = 1.5  # beyond the series' largest value: infinite in Fibonacci units
    predictions[data.test_idx[5:10]] = 0.999  # finite, near float64's largest
    weights = np.random.default_rng(0).dirichlet(np.ones(20), size=len(data.test_idx))
    return every_figure(data, {"RNN": predictions, "RNN + attention": data.y}, weights)


def test_log_axes_stay_within_float64_at_the_longest_series(largest):
    # Plotly pads a log axis beyond its data; past float64's largest number it labels a tick
    # "Infinity⁻NaN" (the series figure did at n=1474). Every log axis is held within float64.
    log_axes = 0
    for name, figure in largest.items():
        for axis in figure.select_yaxes():
            if axis.type == "log":
                log_axes += 1
                assert axis.maxallowed <= LOG10_FLOAT64_MAX, name
        for trace in figure.data:
            values = np.asarray(trace.y if trace.type != "heatmap" else trace.z)
            if values.dtype.kind == "f":
                assert not np.isinf(values).any(), name  # never handed to Plotly
    assert log_axes == 11
    assert subtitle(largest["predictions"]) == "5 infinite not shown"


def assert_fits_a_phone(name: str, figure: go.Figure) -> None:
    """Title and note lines short enough for a phone, clear of the toolbar; the legend below the plot."""
    for line in figure.layout.title.text.split("<br>"):
        assert len(line) <= style.TITLE_CHARS, name
    for line in subtitle(figure).split("<br>"):
        assert len(line) <= style.NOTE_CHARS, name
    # the legend below the plot area, where its rows cannot run into the title
    assert (figure.layout.legend.yref, figure.layout.legend.y) == ("container", 0), name
    assert figure.layout.title.pad.t >= style.TOOLBAR_BAND, name


def study_table(rnn: list[float], attention: list[float]) -> pd.DataFrame:
    """A seed study's table with these test MSEs, seed by seed."""
    rows = [["rnn", seed, 0, mse, 1, 1] for seed, mse in enumerate(rnn)]
    rows += [["attention", seed, 0, mse, 1, 1] for seed, mse in enumerate(attention)]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def sweep_result(vary: dict[str, list[str]], seeds: int) -> SweepResult:
    """A sweep over `vary` with made-up test MSEs, from 1e-3 to 1, the same every time: no training."""
    rng = np.random.default_rng(0)
    points = []
    for point in sweep_grid(TrainConfig.from_values({"n": 60, "epochs": 2}), vary):
        mse = 10 ** rng.uniform(-3, 0, size=(2, seeds))
        table = study_table(list(mse[0]), list(mse[1])).assign(**dict(point.settings))
        points.append(PointResult(point, table, compare(table), seconds=1.0))
    swept = tuple((name, tuple(values)) for name, values in vary.items())
    return SweepResult(points[0].point.config, swept, seeds, tuple(points), len(points), False, 1.0)


@pytest.fixture(scope="module")
def others() -> dict[str, go.Figure]:
    """The module's figures but the series' own: sweeps of one and of two settings (the app's defaults and
    a grid of 3 x 3 points, 5 seeds), and an explanation."""
    one = sweep_result({"scaling": ["minmax", "log-minmax"]}, seeds=3)
    two = sweep_result(
        {"scaling": ["minmax", "none", "log-minmax"], "learning_rate": ["1e-4", "1e-3", "1e-2"]}, 5
    )
    rng = np.random.default_rng(0)
    weights, importance, rnn = (rng.dirichlet(np.ones(20), 60) for _ in range(3))
    explanation = explain(weights, importance, rnn)
    return {
        "sweep": sweep.sweep_figure(model_summary(one), ratio_summary(one), "scaling"),
        "sweep heatmap": sweep.sweep_heatmap(ratio_summary(two), ["scaling", "learning_rate"]),
        "sweep parallel": sweep.sweep_parallel(one.table, ["scaling"]),
        "sweep parallel two": sweep.sweep_parallel(two.table, ["scaling", "learning_rate"]),
        "importance": compare_figures.importance_figure(explanation),
        "correlation": compare_figures.correlation_figure(explanation),
        "folds": dataset.folds_figure(make_dataset(DataConfig(split="backtest", folds=10))),
        "window-scaled series": dataset.scaled_series_figure(
            make_dataset(DataConfig(n=300, scaling="window"))
        ),
    }


def test_sweep_parallel_draws_every_run_at_its_values():
    table = sweep_result({"scaling": ["minmax", "log-minmax"], "learning_rate": ["1e-4", "1e-2"]}, 3).table
    (trace,) = sweep.sweep_parallel(table, ["scaling", "learning_rate"]).data
    axes = {axis.label: axis for axis in trace.dimensions}
    assert list(axes) == ["model", "scaling", "learning_rate", "seed", "log10 test MSE"]  # the model first

    def drawn(axis) -> list[str]:
        return [axis.ticktext[int(value)] for value in axis.values]

    assert drawn(axes["model"]) == list(table["model"].map(MODEL_LABELS))
    assert drawn(axes["scaling"]) == list(table["scaling"])
    assert drawn(axes["learning_rate"]) == [f"{value:g}" for value in table["learning_rate"]]
    assert list(axes["seed"].values) == list(table["seed"])
    np.testing.assert_allclose(axes["log10 test MSE"].values, np.log10(table["test MSE"]))
    # the colours are the last axis' values, which stands for the colour bar
    np.testing.assert_array_equal(trace.line.color, axes["log10 test MSE"].values)
    assert not trace.line.showscale


def test_every_figure_fits_a_phone(largest, others):
    for name, figure in {**largest, **others}.items():
        assert_fits_a_phone(name, figure)


# A chart is as wide as its column: on a phone, its 390 px less Streamlit's padding; at 1400 px with the
# sidebar open, the page's width, or half of it in a two-column layout.
WIDTHS = {"phone": 358, "desktop, half": 462, "desktop": 940}


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_figures_drawn_by_plotly_fit_and_label_no_infinity(largest, others, width, tmp_path):
    """Every figure of the module, drawn by Plotly in Chromium: tick labels, and where the title, its note,
    the toolbar, the legend and the plot area land. Screenshots in artifacts/figures/<width>/."""
    shots = ROOT / "artifacts" / "figures" / str(width)
    shots.mkdir(parents=True, exist_ok=True)
    every = {**largest, **others}
    with figures_in_chromium(every, width, tmp_path) as plots:
        for name, plot in plots.items():
            ticks = plot.locator("g[class*='tick'] text").all_text_contents()
            assert ticks and not any("Infinity" in t or "NaN" in t for t in ticks), (name, ticks)
            assert_title_clear(plot, name, with_note=bool(subtitle(every[name])))
            plot.screenshot(path=str(shots / f"{name.replace(' ', '-')}.png"))


def label(plot, text: str) -> tuple[float, float, float, float]:
    """Where the annotation saying `text` is drawn."""
    return box(plot.locator(".annotation").filter(has_text=text))


def middle(found: tuple[float, float, float, float]) -> float:
    return (found[1] + found[3]) / 2


@pytest.mark.slow
@pytest.mark.parametrize("width", [WIDTHS["phone"], WIDTHS["desktop"]], ids=["phone", "desktop"])
def test_reference_lines_are_labelled_at_their_height_clear_of_the_bars(largest, width, tmp_path):
    """The ratio chart's "equal" at the axis' 1 (on a log axis an annotation is placed by log10 of its
    value: it was drawn at 10), and "uniform 1/T" at its dashed line, neither on a bar or its error bar."""
    ratios = robustness.ratio_figure(paired_table(study_table([1e-3, 1e-3, 1e-3], [5e-4, 1e-3, 4e-3])))
    drawn = {"ratios": ratios, "mean attention": largest["mean attention"]}
    with figures_in_chromium(drawn, width, tmp_path) as plots:
        ratio, mean = plots["ratios"], plots["mean attention"]
        one = ratio.locator(".ytick text").filter(has_text=re.compile(r"^1$"))
        assert abs(middle(label(ratio, "equal")) - middle(box(one))) < 3
        line = box(mean.locator(".shapelayer path").last)
        assert abs(middle(label(mean, "uniform")) - middle(line)) < 3
        for plot, text in ((ratio, "equal"), (mean, "uniform")):
            whole, drawn_label = box(plot), label(plot, text)
            assert whole[0] <= drawn_label[0] and drawn_label[2] <= whole[2], text
            bars = plot.locator(".bars .point path, .errorbar path").all()
            assert bars and not any(overlap(drawn_label, box(bar)) for bar in bars), text


@pytest.mark.slow
@pytest.mark.parametrize("width", [WIDTHS["phone"], WIDTHS["desktop"]], ids=["phone", "desktop"])
def test_sweep_parallel_coordinates_read_on_a_phone(others, width, tmp_path):
    """Every label of the sweep's parallel coordinates (tick labels, axis names, the ends of an axis' range,
    the title and its note) inside the figure and clear of every other; no colour bar on an axis."""
    drawn = {name: others[name] for name in ("sweep parallel", "sweep parallel two")}
    with figures_in_chromium(drawn, width, tmp_path) as plots:
        for name, plot in plots.items():
            left, top, right, bottom = box(plot)
            texts = plot.locator(
                ".parcoords .tick text, .parcoords .axis-title, .parcoords .axis-extent-text, .gtitle, "
                ".gtitle-subtitle"
            ).all()
            labels = [(text.text_content(), outline(text)) for text in texts if text.text_content()]
            assert len(labels) > 20, name
            for text, corners in labels:
                assert all(left <= x <= right and top <= y <= bottom for x, y in corners), (name, text)
            for i, (text, corners) in enumerate(labels):
                crossed = [other for other, where in labels[i + 1 :] if outlines_overlap(corners, where)]
                assert not crossed, (name, text, crossed)
            axes = [box(axis) for axis in plot.locator(".parcoords .y-axis").all()]
            for bar in plot.locator(".colorbar").all():
                assert not any(overlap(box(bar), axis) for axis in axes), name


def test_the_self_attention_map_is_query_by_key_with_the_last_query_outlined():
    rng = np.random.default_rng(0)
    weight_map = rng.random((6, 6))
    weight_map /= weight_map.sum(axis=1, keepdims=True)
    figure = compare_figures.attention_map_figure(weight_map, "Self-attention map")
    (heatmap,) = figure.data
    np.testing.assert_array_equal(heatmap.z, weight_map)  # row i: query i over the keys
    assert list(heatmap.x) == list(heatmap.y) == [f"t-{6 - i}" for i in range(6)]
    assert figure.layout.yaxis.autorange == "reversed"  # the earliest query on top, the last at the foot
    (outline,) = figure.layout.shapes
    assert (outline.y0, outline.y1) == (4.5, 5.5) and (outline.x0, outline.x1) == (-0.5, 5.5)  # row 5
    assert "outlined: the last query (t-1)" in figure.layout.title.subtitle.text.replace("<br>", " ")
    assert heatmap.zmax == pytest.approx(max(weight_map.max(), 2 / 6))
