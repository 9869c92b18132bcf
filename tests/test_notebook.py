"""The notebook a visitor takes home: it imports no fibdash, runs top to bottom in a fresh kernel (one
without fibdash on its path), and prints the test MSEs the app's engine gives, to the parity tolerance."""

import ast
import re
import sys

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from fibdash.config import DataConfig, TrainConfig
from fibdash.data import make_dataset
from fibdash.engine.training import train_pair
from fibdash.notebook import notebook, notebook_name
from fibdash.series import Upload, series_values

ALLOWED = {"keras", "numpy", "sklearn", "plotly", *sys.stdlib_module_names}
UPLOAD = Upload(
    sha256="0123456789abcdef" * 4,
    column="level `x`",
    file_name="my_data.csv",
    values=np.random.default_rng(5).standard_normal(80) * 1e3 + 1 / 3,
)
CSV = TrainConfig(DataConfig(n=50, time_steps=5, series="csv", upload=UPLOAD), epochs=2)

# The tutorial's cell at its settings, but short; LSTM with a short last batch, log-minmax scaling and a
# learning rate that moves every weight; GRU on a series the notebook embeds, unscaled.
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
]


def cells(config: TrainConfig, kind: str) -> list[str]:
    """The sources of the notebook's cells of `kind` ("code" or "markdown")."""
    nb = nbformat.reads(notebook(config).decode(), as_version=4)
    nbformat.validate(nb)
    return [cell.source for cell in nb.cells if cell.cell_type == kind]


def printed(output: str, split: str, kind: str) -> float:
    """The MSE the notebook printed for `kind` on `split`: one line, in its fixed format."""
    found = re.findall(rf"^{split} MSE {kind}: (\S+)$", output, re.MULTILINE)
    assert len(found) == 1, output
    return float(found[0])


@pytest.mark.parametrize("config", CASES, ids=lambda c: f"{c.cell}-{c.data.series}")
def test_the_notebook_runs_and_prints_the_engines_numbers(config, tmp_path):
    nb = nbformat.reads(notebook(config).decode(), as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    output = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 3  # the losses, the predictions and the attention weights
    engine = train_pair(config, make_dataset(config.data).windows())
    for kind, trained in engine.items():
        assert printed(output, "test", kind) == pytest.approx(trained.test_mse, rel=1e-5)
        assert printed(output, "train", kind) == pytest.approx(trained.train_mse, rel=1e-5)


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
    "data", [CSV.data, DataConfig(n=120, time_steps=5, series="mackey-glass")], ids=lambda d: d.series
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
