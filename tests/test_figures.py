import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from fibdash import figures
from fibdash.config import DataConfig
from fibdash.data import make_dataset
from fibdash.metrics import naive_baselines, scores_table
from fibdash.study import TABLE_COLUMNS, paired_table


@pytest.fixture(scope="module")
def data():
    return make_dataset(DataConfig(n=60, time_steps=5))


def test_series_figures(data):
    raw = figures.series_figure(data)
    assert raw.layout.yaxis.type == "log"
    np.testing.assert_array_equal(raw.data[0].y, data.series)
    scaled = figures.scaled_series_figure(data)
    np.testing.assert_array_equal(scaled.data[0].y, data.scaled)
    assert "minmax" in scaled.layout.title.text


def test_target_histogram_reports_the_squashed_share(data):
    figure = figures.target_histogram(data)
    np.testing.assert_array_equal(figure.data[0].x, data.y)
    share = np.mean(data.y < 1e-6)
    assert f"{share:.1%}" in figure.layout.title.text


def test_split_figure_places_every_window(data):
    train, test = figures.split_figure(data).data
    assert sorted(train.x) == sorted(data.positions[data.train_idx])
    assert sorted(test.x) == sorted(data.positions[data.test_idx])
    assert train.marker.color != test.marker.color


def test_scores_figure_bars_and_colours(data):
    table = scores_table(naive_baselines(data))
    figure = figures.scores_figure(table)
    assert figure.layout.yaxis.type == "log"
    bars = {bar.name: bar for bar in figure.data}
    assert list(bars) == ["predict zero", "persistence", "Fibonacci rule"]
    zero = table.set_index("predictor").loc["predict zero"]
    np.testing.assert_allclose(bars["predict zero"].y, [zero["train MSE"], zero["test MSE"]])
    assert bars["persistence"].marker.color == figures.colour("persistence")


def test_scores_figure_leaves_out_zero_bars(data):
    table = scores_table(naive_baselines(make_dataset(DataConfig(n=40, time_steps=3, scaling="none"))))
    rule = next(bar for bar in figures.scores_figure(table).data if bar.name == "Fibonacci rule")
    assert np.isnan(rule.y).all()  # an exact 0 has no place on a log axis
    assert list(rule.customdata) == [0, 0]  # the hover still tells the value


def test_predictions_figure(data):
    good = data.y.copy()
    bad = -np.ones_like(data.y)  # maps below zero in Fibonacci units
    figure = figures.predictions_figure(data, {"RNN": good, "RNN + attention": bad})
    truth, rnn_train, rnn_test, _, att_test = figure.data
    np.testing.assert_allclose(truth.y, data.series[data.positions])
    np.testing.assert_allclose(rnn_test.y, data.series[np.sort(data.positions[data.test_idx])])
    assert list(rnn_test.x) == sorted(data.positions[data.test_idx])
    assert rnn_test.marker.color == figures.MODEL_COLOURS["RNN"] == rnn_train.marker.color
    assert att_test.marker.color == figures.MODEL_COLOURS["RNN + attention"]
    assert np.isnan(att_test.y).all()
    assert f"{len(data.y)} at or below 0 not shown" in figure.layout.title.text

    on_scaled_axis = figures.predictions_figure(data, {"RNN + attention": bad}, scaled=True)
    truth, _, att_test = on_scaled_axis.data
    assert on_scaled_axis.layout.yaxis.type != "log"
    np.testing.assert_array_equal(truth.y, data.y)
    np.testing.assert_array_equal(att_test.y, -1)  # drawn as they are: nothing hidden
    assert "not shown" not in on_scaled_axis.layout.title.text


def test_errors_figure(data):
    doubled = data.to_scaled(2 * data.series[data.positions])
    relative = figures.errors_figure(data, {"RNN": doubled}, relative=True)
    np.testing.assert_allclose(relative.data[0].y, 100, rtol=1e-6)
    absolute = figures.errors_figure(data, {"RNN": doubled}, relative=False)
    np.testing.assert_allclose(
        absolute.data[0].y, data.series[np.sort(data.positions[data.test_idx])], rtol=1e-6
    )
    assert absolute.layout.yaxis.type == "log"


def test_loss_figure():
    figure = figures.loss_figure({"RNN": ([0.5, 0.25], [0.4, 0.3]), "RNN + attention": ([0.2], [0.1])})
    names = [trace.name for trace in figure.data]
    assert names == [
        "RNN: training loss",
        "RNN: test MSE",
        "RNN + attention: training loss",
        "RNN + attention: test MSE",
    ]
    assert list(figure.data[0].x) == [1, 2] and list(figure.data[1].y) == [0.4, 0.3]
    assert figure.data[1].line.dash == "dot"
    assert figure.data[2].line.color == figures.MODEL_COLOURS["RNN + attention"]


def test_attention_figures(data):
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(5), size=len(data.test_idx))
    heatmap = figures.attention_heatmap(data, weights).data[0]
    order = np.argsort(data.positions[data.test_idx])
    np.testing.assert_array_equal(heatmap.z, weights[order])
    assert list(heatmap.x) == ["t-5", "t-4", "t-3", "t-2", "t-1"]
    assert list(heatmap.y) == sorted(data.positions[data.test_idx])
    mean = figures.attention_mean_figure(weights)
    np.testing.assert_allclose(mean.data[0].y, weights.mean(axis=0))
    assert mean.layout.shapes[0].y0 == pytest.approx(0.2)  # the uniform line at 1/T

    window = figures.window_figure(data, weights, 3)
    inputs, bars = window.data
    np.testing.assert_array_equal(inputs.y, data.X[data.test_idx[3], :, 0])
    np.testing.assert_array_equal(bars.y, weights[3])
    assert str(data.positions[data.test_idx[3]]) in window.layout.title.text


def test_every_figure_shares_the_look(data):
    built = [figures.series_figure(data), figures.loss_figure({"RNN": ([1.0], [1.0])})]
    assert all(isinstance(f, go.Figure) for f in built)
    assert {f.layout.font.family for f in built} == {figures.LAYOUT["font"]["family"]}


def test_study_figures():
    rows = [["rnn", seed, 0, mse, 1] for seed, mse in enumerate([1e-4, 2e-4, 4e-4])]
    rows += [["attention", seed, 0, mse, 1] for seed, mse in enumerate([5e-5, 8e-4, 4e-4])]
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)

    boxes = figures.study_figure(table)
    assert boxes.layout.yaxis.type == "log"
    rnn, attention = boxes.data
    assert (rnn.name, attention.name) == ("RNN", "RNN + attention")
    np.testing.assert_allclose(attention.y, [5e-5, 8e-4, 4e-4])
    assert list(attention.customdata) == [0, 1, 2]  # the hover names each point's seed
    assert attention.marker.color == figures.MODEL_COLOURS["RNN + attention"]

    ratios = figures.ratio_figure(paired_table(table))
    bars = ratios.data[0]
    np.testing.assert_allclose(bars.customdata, [0.5, 4, 1])
    np.testing.assert_allclose(np.asarray(bars.y) + bars.base, [0.5, 4, 1])  # drawn from 1 to the ratio
    assert bars.marker.color[0] == figures.MODEL_COLOURS["RNN + attention"]  # attention won seed 0
    assert bars.marker.color[1] == figures.MODEL_COLOURS["RNN"]
    assert ratios.layout.shapes[0].y0 == 1
