"""The notebook a visitor takes home: it imports no fibdash, runs top to bottom in a fresh kernel (one
without fibdash on its path), and prints the test MSEs the app's engine gives, to the parity tolerance."""

import ast
import re
import sys
from dataclasses import replace

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from fibdash.analysis.forecast import error_by_step, forecast
from fibdash.analysis.metrics import score
from fibdash.config import MODEL_LABELS, DataConfig, TrainConfig
from fibdash.data import fold_datasets
from fibdash.engine.training import train_pair
from fibdash.notebook import notebook, notebook_name
from fibdash.series import Upload, series_values
from fibdash.serving.tasks import predict_each
from tests.conftest import plotted

ALLOWED = {"keras", "numpy", "sklearn", "plotly", *sys.stdlib_module_names}
UPLOAD = Upload(
    sha256="0123456789abcdef" * 4,
    column="level `x`",
    file_name="my_data.csv",
    values=np.random.default_rng(5).standard_normal(80) * 1e3 + 1 / 3,
)
CSV = TrainConfig(DataConfig(n=50, time_steps=5, series="csv", upload=UPLOAD), epochs=2)

# The tutorial's cell at its settings, but short; LSTM with a short last batch, log-minmax scaling and a
# learning rate that moves every weight; GRU on a series the notebook embeds, unscaled; split in time, the
# scaler fitted on the training windows, forecasting 4 steps; window scaling on a backtest's last fold.
CASES = [
    TrainConfig(DataConfig(n=60, time_steps=6), epochs=2),
    TrainConfig(
        DataConfig(n=60, time_steps=5, scaling="log-minmax"),
        hidden_units=3,
        epochs=2,
        batch_size=5,
        learning_rate=0.02,
        cell="LSTM",
        activation="sigmoid",
        seed=2,
    ),
    TrainConfig(
        DataConfig(n=60, time_steps=6, train_fraction=0.6, scaling="none", series="sine"),
        epochs=2,
        batch_size=5,
        learning_rate=0.02,
        cell="GRU",
        seed=1,
    ),
    TrainConfig(DataConfig(n=60, time_steps=5, split="chronological", scaler_fit="train"), epochs=2),
    TrainConfig(
        DataConfig(n=70, time_steps=4, split="backtest", folds=3, scaling="window", series="co2"),
        epochs=2,
        learning_rate=0.02,
        seed=3,
    ),
]
# The attention model's other heads, at the tutorial's cell: each notebook builds, trains and draws that head
HEADS = [
    TrainConfig(DataConfig(n=60, time_steps=6), epochs=2, attention=attention)
    for attention in ("additive", "dot", "self", "uniform")
]
RUNS = [  # the backtest's run is slow: a sixth notebook of about 25 s (CI runs it)
    pytest.param(config, marks=pytest.mark.slow) if config.data.split == "backtest" else config
    for config in CASES
] + [pytest.param(config, marks=pytest.mark.slow) for config in HEADS]  # about 15 s each
HORIZONS = {"chronological": 4, "backtest": 3}  # by split; the tutorial's split forecasts one step


def cells(config: TrainConfig, kind: str) -> list[str]:
    """The sources of the notebook's cells of `kind` ("code" or "markdown")."""
    nb = nbformat.reads(notebook(config).decode(), as_version=4)
    nbformat.validate(nb)
    return [cell.source for cell in nb.cells if cell.cell_type == kind]


def printed(output: str, what: str, kind: str) -> float:
    """The number the notebook printed as `what` for `kind` ("test MSE", "MAE 3 steps ahead"): one line, in
    its fixed format."""
    found = re.findall(rf"^{re.escape(what)} {kind}: (\S+)$", output, re.MULTILINE)
    assert len(found) == 1, output
    return float(found[0])


@pytest.mark.parametrize(
    "config", RUNS, ids=lambda c: f"{c.cell}-{c.data.series}-{c.data.split}-{c.attention}"
)
def test_the_notebook_runs_and_prints_the_engines_numbers(config, tmp_path):
    horizon = HORIZONS.get(config.data.split, 1)
    nb = nbformat.reads(notebook(config, horizon).decode(), as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    output = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 4  # the losses, the forecasts' error, the predictions and the attention weights
    heatmap = charts[-1]["data"]["application/vnd.plotly.v1+json"]
    assert (
        heatmap["layout"]["title"]["text"]
        == f"Attention weights of the test windows ({config.attention} head)"
    )
    data = fold_datasets(config.data)[-1]  # a backtest's last fold, the notebook's
    engine = train_pair(replace(config, data=data.config), data.windows())
    errors = error_by_step(forecast([(data, engine)], horizon, predict_each)).set_index(["predictor", "step"])
    for kind, trained in engine.items():
        assert printed(output, "test MSE", kind) == pytest.approx(trained.test_mse, rel=1e-5)
        assert printed(output, "train MSE", kind) == pytest.approx(trained.train_mse, rel=1e-5)
        mase = score(trained.name, data, trained.predictions).test_mase
        assert printed(output, "test MASE", kind) == pytest.approx(mase, rel=1e-4)
        ahead = errors.loc[(MODEL_LABELS[kind], horizon), "MAE"]
        assert printed(output, f"MAE {horizon} steps ahead", kind) == pytest.approx(ahead, rel=1e-3)
    drawn = plotted(heatmap["data"][0]["z"])  # the test windows along the series
    alpha = engine["attention"].attention[np.argsort(data.positions[data.test_idx])]
    np.testing.assert_allclose(drawn, alpha, atol=1e-4)  # the engine's weights of that head, as Keras' gave


@pytest.mark.parametrize("config", [*CASES, CSV], ids=lambda c: c.data.series)
def test_the_notebook_imports_keras_numpy_sklearn_and_plotly_only(config):
    imported = set()
    for source in cells(config, "code"):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module.split(".")[0])
    assert {"keras", "numpy", "sklearn", "plotly"} <= imported <= ALLOWED


@pytest.mark.parametrize(
    "data",
    [
        CSV.data,
        DataConfig(n=120, time_steps=5, series="mackey-glass"),
        DataConfig(n=120, time_steps=12, series="lags"),
    ],
    ids=lambda d: d.series,
)
def test_an_embedded_series_is_the_apps_to_the_last_bit(data):
    config = TrainConfig(data, epochs=2)
    (source,) = [cell for cell in cells(config, "code") if cell.startswith("series = np.array([")]
    scope = {"np": np, "N": data.n}
    exec(source, scope)
    expected = series_values(data.series, data.n, data.upload)
    assert scope["series"].dtype == np.float64
    np.testing.assert_array_equal(scope["series"].view(np.int64), expected.view(np.int64))


def test_a_csv_series_is_named_by_its_file_column_and_hash():
    text = "\n".join(cells(CSV, "markdown")).replace("\\", "")  # without Markdown's escapes
    assert "column level 'x' of my_data.csv" in text.replace("`", "'") and UPLOAD.sha256 in text
    assert "A numeric column of your own CSV file" in text
    assert notebook_name(CSV) == "fibdash_SimpleRNN_csv.ipynb"


def test_fibonacci_is_made_by_the_tutorials_function_not_embedded():
    code = "\n".join(cells(CASES[0], "code"))
    assert "def fibonacci(n):" in code and "series = fibonacci(N)" in code
    assert "np.array([" not in code
