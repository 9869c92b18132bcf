"""fibdash: the engine behind the dashboard, the tutorial's attention RNN on Fibonacci numbers.

Configs import at once; the names below load on first use. `import fibdash` loads neither Keras nor
TensorFlow, yet lets Keras load a `.keras` file the app exports once Keras is imported.
"""

from __future__ import annotations

import importlib
import os
import tempfile

# TensorFlow's C++ start-up chatter (CPU features, XLA service) is noise for our users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# fibdash/keras is the reference on TensorFlow, whatever backend a user's ~/.keras/keras.json names;
# and Keras writes that file where KERAS_HOME says: a temporary folder, not a hosted app's home.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("KERAS_HOME", os.path.join(tempfile.gettempdir(), "fibdash-keras"))

import wrapt

from fibdash.config import DataConfig, TrainConfig

# The two lines that load a `.keras` file the app exports, as its pages and README show them.
LOAD_MODEL_SNIPPET = 'import fibdash, keras\n\nmodel = keras.saving.load_model("attention_model.keras")'


@wrapt.when_imported("keras")
def _register_layers(keras):
    """Register fibdash's Keras layers as soon as keras is imported, before or after fibdash.

    A saved model names its custom layers ("fibdash>Attention"); Keras finds them only once
    their module has run. Importing it here, and only once keras is there, lets `import fibdash`
    be enough to load an exported file without making fibdash itself import TensorFlow.
    """
    importlib.import_module("fibdash.keras.layers")


# Loaded on first use: the data code needs pandas and scikit-learn, the engine Numba, the tutorial's
# models TensorFlow; a process that only moves configs around (the worker's pipe) needs none of them.
_LAZY_NAMES = {
    "Dataset": "fibdash.data",
    "get_fib_seq": "fibdash.data",
    "get_fib_XY": "fibdash.data",
    "make_dataset": "fibdash.data",
    "train": "fibdash.engine.training",
    "train_pair": "fibdash.engine.training",
    "Trained": "fibdash.engine.records",
    "Attention": "fibdash.keras.layers",
    "create_RNN": "fibdash.keras.models",
    "create_RNN_with_attention": "fibdash.keras.models",
}

__all__ = ["LOAD_MODEL_SNIPPET", "DataConfig", "TrainConfig", *_LAZY_NAMES]


def __getattr__(name: str):
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'fibdash' has no attribute {name!r}")
