"""`python -m fibdash.keras.export`: trained models in, `.keras` files out, in a process of its own.

The server never imports TensorFlow (700 MB, and seconds to load): when a visitor downloads a model,
it starts this short-lived process, which reads a pickled list of (config, kind, weights) on its
standard input and writes the pickled list of the models' `.keras` files' bytes on its standard
output, then exits, and its memory with it.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterable, Mapping

import numpy as np

from fibdash.config import TrainConfig


def keras_files(models: Iterable[tuple[TrainConfig, str, Mapping[str, np.ndarray]]]) -> list[bytes]:
    """Each model as the contents of its `.keras` file."""
    from fibdash.keras.models import build_model, to_keras_bytes

    return [to_keras_bytes(build_model(config, kind, weights)) for config, kind, weights in models]


def main() -> None:
    models = pickle.load(sys.stdin.buffer)
    pickle.dump(keras_files(models), sys.stdout.buffer)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
