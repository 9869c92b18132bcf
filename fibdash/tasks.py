"""What the worker process runs for the dashboard: TensorFlow work in, plain data out.

The Streamlit server sends these functions to `fibdash.worker` by reference, so importing this
module must not load TensorFlow: each function imports the engine when it runs, in the worker.
Jobs take a `report` callable last: called after every epoch with that epoch's log, it returns
True when the job has been asked to stop, and the job then returns None at once.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from fibdash.config import DataConfig, TrainConfig
from fibdash.results import PointDone, Trained

Report = Callable[[Any], bool]


@cache
def versions() -> dict[str, str]:
    """What this worker trains with: Python, TensorFlow, Keras, NumPy, and the project's revision."""
    import keras
    import numpy
    import tensorflow

    try:  # a git checkout (a clone, or Streamlit Community Cloud's) knows its revision
        revision = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        revision = "unknown"
    return {
        "Python": platform.python_version(),
        "TensorFlow": tensorflow.__version__,
        "Keras": keras.__version__,
        "NumPy": numpy.__version__,
        "fibdash": revision,
    }


def warm_up() -> None:
    """Load the engine and compile the tutorial's program, before any visitor asks."""
    from fibdash.training import train_pair

    train_pair(TrainConfig(data=DataConfig(n=40), epochs=1))  # the default architecture on a short series
    versions()


# Occlusion asks each model once per time step of each distinct test window: past this much
# work (distinct windows x (T + 1) x T x hidden units squared, about 2 s here) only gradient x
# input, one backward pass, is computed.
OCCLUSION_WORK = 1e10


def importance_methods(config: TrainConfig, distinct_windows: int) -> tuple[str, ...]:
    """The importance measures a pair of `config` gets: occlusion too, where it is affordable."""
    steps = config.data.time_steps
    work = distinct_windows * (steps + 1) * steps * max(config.hidden_units, 2) ** 2
    return ("occlusion", "gradient") if work <= OCCLUSION_WORK else ("gradient",)


def train_pair(config: TrainConfig, report: Report) -> dict[str, Trained] | None:
    """Both models of `config`, trained together, with what drives each one's predictions; None if stopped."""
    import numpy as np

    from fibdash import training
    from fibdash.data import make_dataset
    from fibdash.explain import importance

    data = make_dataset(config.data)
    results = training.train_pair(config, on_epoch=report, data=data)
    if results["rnn"].stopped:
        return None
    methods = importance_methods(config, len(np.unique(data.test_X, axis=0)))
    return {
        kind: Trained(
            config=config,
            kind=kind,
            loss_history=result.loss_history,
            test_mse_history=result.test_mse_history,
            scores=result.scores,
            attention=result.attention,
            attention_history=result.attention_history,
            importance={method: importance(result.model, data.test_X, method) for method in methods},
            steps=result.steps,
            seconds=result.seconds,
            summary=tuple(result.summary()),
            keras_file=result.keras_bytes(),
            versions=versions(),
        )
        for kind, result in results.items()
    }


def run_study(config: TrainConfig, seeds: int, report: Report) -> Any:
    """Both models over seeds 0 .. seeds - 1; None if stopped."""
    from dataclasses import replace

    from fibdash.study import run_study

    result = run_study(config, range(seeds), on_epoch=report)
    return None if result.stopped else replace(result, versions=versions())


def run_sweep(base: TrainConfig, vary: tuple[tuple[str, tuple], ...], seeds: int, report: Report) -> Any:
    """A seed study at every grid point; each finished point is reported; None if stopped."""
    from dataclasses import replace

    from fibdash.sweep import run_sweep, sweep_grid

    points = len(sweep_grid(base, dict(vary)))
    finished = []

    def on_point(result) -> None:
        finished.append(result)
        report(PointDone(len(finished), points, result.point.describe()))

    result = run_sweep(base, dict(vary), seeds, on_epoch=report, on_point=on_point)
    return None if result.stopped else replace(result, versions=versions())


@lru_cache(maxsize=8)  # a few pairs' models: what-if questions come back to the same ones
def _model(keras_file: bytes) -> Any:
    """The model a `.keras` file holds, loaded once per file in this worker."""
    import tempfile

    import keras

    from fibdash.training import BUILD_LOCK

    # Building layers draws from Keras' global random state: not while a training seeds its models.
    with tempfile.TemporaryDirectory() as folder, BUILD_LOCK:
        path = Path(folder) / "model.keras"
        path.write_bytes(keras_file)
        return keras.saving.load_model(path)


def what_if(keras_files: dict[str, bytes], windows: Any) -> dict[str, tuple[Any, Any]]:
    """Each trained model's predictions for `windows` (scaled, (samples, time_steps, 1)), with the
    attention model's weights: {kind: (predictions, weights or None)}. A quick call, no training."""
    import numpy as np

    from fibdash.models import attention_weights, has_attention

    windows = np.asarray(windows, dtype=np.float32)
    answers = {}
    for kind, keras_file in keras_files.items():
        model = _model(keras_file)
        predictions = model.predict(windows, batch_size=len(windows), verbose=0)[:, 0].astype(np.float64)
        answers[kind] = (predictions, attention_weights(model, windows) if has_attention(model) else None)
    return answers
