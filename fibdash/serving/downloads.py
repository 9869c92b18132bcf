"""Trained models as `.keras` files, made on demand in a short-lived process of their own.

The server and its worker never import TensorFlow. A download asks `keras_files`, which runs
`python -m fibdash.keras.export` once for every model not made yet (TensorFlow and Keras load
there, for a few seconds, then the process ends and gives its memory back), one such process at a
time, and keeps the files of the last few models asked for.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from cachetools import LRUCache

from fibdash.engine.records import Trained

PROJECT = Path(__file__).resolve().parents[2]  # the folder that holds the fibdash package
EXPORT_SECONDS = 180  # TensorFlow's start on a busy shared machine, with room to spare
_lock = threading.Lock()  # one TensorFlow process at a time: each takes about 700 MB
_files: LRUCache = LRUCache(maxsize=32)  # by (config, kind): a trained model's config fixes its weights


class ExportError(RuntimeError):
    """The export process failed; the message says how."""


def keras_files(models: Sequence[Trained]) -> list[bytes]:
    """The `.keras` file of each model, in order: those not kept yet are made together, in one process."""
    with _lock:
        missing = [model for model in models if (model.config, model.kind) not in _files]
        if missing:
            request = pickle.dumps([(model.config, model.kind, model.weights) for model in missing])
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "fibdash.keras.export"],
                    input=request,
                    capture_output=True,
                    cwd=PROJECT,
                    timeout=EXPORT_SECONDS,
                    check=True,
                )
            except subprocess.CalledProcessError as error:
                last = error.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
                raise ExportError(f"the export process failed ({last[0]})") from None
            except subprocess.TimeoutExpired:
                raise ExportError(f"the export process took longer than {EXPORT_SECONDS} s") from None
            for model, data in zip(missing, pickle.loads(done.stdout), strict=True):
                _files[model.config, model.kind] = data
        return [_files[model.config, model.kind] for model in models]
