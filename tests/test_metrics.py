import numpy as np
import pytest

from fibdash.config import DataConfig
from fibdash.data import make_dataset
from fibdash.metrics import median_ape, mse, naive_baselines, score, scores_table


def test_mse_and_median_ape():
    assert mse([1, 2, 3], [1, 2, 5]) == pytest.approx(4 / 3)
    assert median_ape([110, 90, 100], [100, 100, 100]) == pytest.approx(10)
    # ratios of huge numbers do not overflow where their squared difference would
    assert median_ape([-1e308, 2e307], [1e308, 1e307]) == pytest.approx(150)


@pytest.mark.parametrize("scaling", ["minmax", "none", "log-minmax"])
def test_naive_baselines(scaling):
    data = make_dataset(DataConfig(n=200 if scaling != "none" else 150, time_steps=5, scaling=scaling))
    zero, persistence, rule = naive_baselines(data)
    assert zero.name == "predict zero" and zero.test_mse == pytest.approx(np.mean(data.test_y**2))
    np.testing.assert_array_equal(persistence.predictions, data.X[:, -1, 0])
    # the Fibonacci rule is exact up to rounding, in every scaling
    assert rule.test_mdape < 1e-6
    assert rule.test_mse <= 1e-12 * max(1.0, zero.test_mse)
    assert persistence.test_mdape == pytest.approx(100 * (1 - 1 / 1.618034), rel=1e-3)


def test_fibonacci_rule_needs_two_steps():
    names = [b.name for b in naive_baselines(make_dataset(DataConfig(n=50, time_steps=1)))]
    assert names == ["predict zero", "persistence"]


def test_score_and_table():
    data = make_dataset(DataConfig(n=40, time_steps=3, scaling="none"))
    perfect = score("truth", data, data.y)
    assert perfect.train_mse == perfect.test_mse == perfect.test_mdape == 0
    table = scores_table([perfect, *naive_baselines(data)])
    assert list(table.columns) == ["predictor", "train MSE", "test MSE", "test MdAPE %"]
    assert list(table["predictor"]) == ["truth", "predict zero", "persistence", "Fibonacci rule"]
