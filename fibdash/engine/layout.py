"""Where each weight of a network lies in its flat vector of weights: plain Python, no Numba, so that
the server can describe a model (`summary.py`) without loading the compiled engine."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fibdash.config import GATES


@dataclass(frozen=True)
class Layout:
    """Where each weight lies in a member's flat vector; the attention weights come last, so the
    RNN's members use a prefix of it. Shapes are Keras' (see `shapes`)."""

    cell: str
    hidden_units: int
    time_steps: int

    @property
    def width(self) -> int:
        """Columns of the cell's kernels: its gates side by side."""
        return GATES[self.cell] * self.hidden_units

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Each weight's shape, by "layer/weight" as the Keras models name them, in layout order."""
        units, width = self.hidden_units, self.width
        return {
            "rnn/kernel": (1, width),
            "rnn/recurrent_kernel": (units, width),
            "rnn/bias": (2, width) if self.cell == "GRU" else (width,),  # GRU: input and recurrent bias
            "dense/kernel": (units, 1),
            "dense/bias": (1,),
            "attention/attention_weight": (units, 1),
            "attention/attention_bias": (self.time_steps, 1),
        }

    @property
    def offsets(self) -> np.ndarray:
        """The start of each weight in `shapes`' order, then the RNN's and the attention model's sizes."""
        sizes = [math.prod(shape) for shape in self.shapes.values()]
        starts = np.cumsum([0, *sizes])
        return np.array([*starts[:-1], starts[5], starts[-1]], dtype=np.int64)

    def size(self, kind: str) -> int:
        """The number of weights of `kind` ("rnn" or "attention")."""
        return int(self.offsets[7 if kind == "rnn" else 8])

    def flat(self, weights: dict[str, np.ndarray], kind: str) -> np.ndarray:
        """`weights` by "layer/weight" as one float32 vector of this layout."""
        names = [name for name in self.shapes if kind == "attention" or not name.startswith("attention")]
        return np.concatenate([np.asarray(weights[name], np.float32).ravel() for name in names])

    def unflat(self, vector: np.ndarray, kind: str) -> dict[str, np.ndarray]:
        """The inverse of `flat`: each weight by name, in its Keras shape."""
        weights, start = {}, 0
        for name, shape in self.shapes.items():
            if kind == "rnn" and name.startswith("attention"):
                break
            size = math.prod(shape)
            weights[name] = vector[start : start + size].reshape(shape).copy()
            start += size
        return weights
