"""A downloaded `.keras` file loads as users try it: `import fibdash`, then Keras' own loader.

Each load runs in a fresh Python process, as a user's would: nothing this test process imported
(fibdash.keras.layers, above all) can help it. The files are made as the Train page makes them, by
the short-lived export process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import fibdash
from fibdash.config import DataConfig, TrainConfig
from fibdash.data import make_dataset
from tests.browser import ROOT

CONFIG = TrainConfig(DataConfig(n=60, time_steps=5), epochs=2)

# Runs in the fresh process: the snippet the app shows (with `import keras` first in one order),
# warnings and log records caught while it runs, then the model's predictions on the test windows.
LOADER = """
import json, logging, sys, warnings
import numpy as np

snippet, windows = sys.argv[1], np.load(sys.argv[2])
records = []
handler = logging.Handler(logging.WARNING)
handler.emit = records.append
logging.getLogger().addHandler(handler)  # absl and keras loggers propagate to the root
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    scope = {}
    exec(snippet, scope)
    predictions = scope["model"].predict(windows, verbose=0)[:, 0]
print(json.dumps({
    "warnings": [str(w.message) for w in caught],
    "logs": [record.getMessage() for record in records],
    "predictions": predictions.tolist(),
}))
"""


def fresh_python(code: str, *args: str, cwd: Path = ROOT) -> str:
    """Run `code` in a new interpreter that imports this worktree's fibdash; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_HOME": str(cwd / ".keras")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Both models of CONFIG trained, downloaded as the Train page names them, and their test windows."""
    from fibdash.engine.training import train_pair
    from fibdash.serving.downloads import keras_files

    folder = tmp_path_factory.mktemp("downloads")
    data = make_dataset(CONFIG.data)
    np.save(folder / "windows.npy", data.test_X.astype(np.float32))
    pair = train_pair(CONFIG, data.windows())
    for kind, file in zip(pair, keras_files(list(pair.values())), strict=True):
        (folder / f"{kind}_model.keras").write_bytes(file)
    return folder, {kind: trained.predictions[data.test_idx] for kind, trained in pair.items()}


def test_import_fibdash_loads_neither_tensorflow_nor_keras():
    loaded = fresh_python(
        "import sys, fibdash\n"
        "assert 'load_model' in fibdash.LOAD_MODEL_SNIPPET\n"  # what the Streamlit page shows
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n"
        "print(sorted(heavy + [m for m in sys.modules if m == 'fibdash.keras.layers']))"
    )
    assert loaded.strip() == "[]"


@pytest.mark.parametrize("keras_first", [False, True], ids=["fibdash first", "keras first"])
@pytest.mark.parametrize("kind", ["rnn", "attention"])
def test_a_downloaded_model_loads_without_warnings_and_predicts_as_trained(exported, kind, keras_first):
    folder, expected = exported
    snippet = fibdash.LOAD_MODEL_SNIPPET.replace("attention_model.keras", f"{kind}_model.keras")
    if keras_first:
        snippet = f"import keras\n{snippet}"
    loaded = json.loads(fresh_python(LOADER, snippet, str(folder / "windows.npy"), cwd=folder))
    assert loaded["warnings"] == [] and loaded["logs"] == []
    np.testing.assert_allclose(loaded["predictions"], expected[kind], rtol=1e-6, atol=1e-7)  # the engine's


def test_the_readme_shows_the_snippet():
    assert fibdash.LOAD_MODEL_SNIPPET in (ROOT / "README.md").read_text()


# Every other head's model, downloaded, loaded in one fresh process by the snippet the app shows
HEADS = ("additive", "dot", "self", "uniform")
HEADS_LOADER = """
import json, logging, sys, warnings
import numpy as np

windows, files = np.load(sys.argv[1]), sys.argv[2:]
records = []
handler = logging.Handler(logging.WARNING)
handler.emit = records.append
logging.getLogger().addHandler(handler)
predictions = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for file in files:
        scope = {}
        exec(SNIPPET.replace("attention_model.keras", file), scope)
        predictions[file] = scope["model"].predict(windows, verbose=0)[:, 0].tolist()
print(json.dumps({
    "warnings": [str(w.message) for w in caught],
    "logs": [record.getMessage() for record in records],
    "predictions": predictions,
}))
"""


def test_every_heads_downloaded_model_loads_and_predicts_as_trained(tmp_path):
    from fibdash.engine.training import train
    from fibdash.serving.downloads import keras_files

    data = make_dataset(CONFIG.data)
    np.save(tmp_path / "windows.npy", data.test_X.astype(np.float32))
    models = [train(replace(CONFIG, attention=attention), "attention", data.windows()) for attention in HEADS]
    for attention, file in zip(HEADS, keras_files(models), strict=True):
        (tmp_path / f"{attention}.keras").write_bytes(file)
    code = HEADS_LOADER.replace("SNIPPET", repr(fibdash.LOAD_MODEL_SNIPPET))
    files = [f"{attention}.keras" for attention in HEADS]
    loaded = json.loads(fresh_python(code, str(tmp_path / "windows.npy"), *files, cwd=tmp_path))
    assert loaded["warnings"] == [] and loaded["logs"] == []
    for file, trained in zip(files, models, strict=True):
        np.testing.assert_allclose(  # the engine's
            loaded["predictions"][file], trained.predictions[data.test_idx], rtol=1e-6, atol=1e-7
        )
