"""Where each weight of a network lies in its flat vector of weights, by name: plain Python, no Numba, so
that the server can describe a model (`summary.py`) without loading the compiled engine.

A member's vector holds its cell's weights, then the dense layer's, then its head's: the RNN model's
head (the last state into Dense) has none, the attention model's those of its `attention` variant
(`fibdash.config.ATTENTIONS`): the tutorial's layer two, additive attention three, dot-product
attention one, self-attention eight, uniform none. Every head's weights start at the same place, after
the dense bias, since a member has one head; so one `Offsets` serves every member of a training, and
the RNN's vector is a prefix of the attention model's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from fibdash.config import ATTENTIONS, GATES, MODEL_KINDS, TrainConfig


class Offsets(NamedTuple):
    """Where each weight starts in a member's vector, by name: the compiled code reads the kernel's
    column j as weights[offsets.kernel + j]. A field for every weight of every head (`Layout.weights`)."""

    kernel: int  # "rnn/kernel", (1, width)
    recurrent_kernel: int  # "rnn/recurrent_kernel", (units, width)
    bias: int  # "rnn/bias", (width,); GRU: (2, width), the input bias then the recurrent one
    dense_kernel: int  # "dense/kernel", (units, 1)
    dense_bias: int  # "dense/bias", (1,)
    # the tutorial's attention: e_t = tanh(h_t W + b_t)
    attention_weight: int  # "attention/attention_weight", (units, 1): W
    attention_bias: int  # "attention/attention_bias", (time_steps, 1): b, one per time step
    # additive (Bahdanau): score_t = v . tanh(q W_q + h_t W_k), q the last state
    additive_query_kernel: int  # "query/kernel", (units, units): W_q
    additive_key_kernel: int  # "key/kernel", (units, units): W_k
    additive_scale: int  # "attention/scale", (units,): v
    # dot (Luong): score_t = s (q . h_t)
    dot_scale: int  # "attention/scale", (): s
    # self-attention, one head of key_dim units: query, key and value projections, then the output's
    self_query_kernel: int  # "attention/query/kernel", (units, 1, units)
    self_query_bias: int  # "attention/query/bias", (1, units)
    self_key_kernel: int  # "attention/key/kernel", (units, 1, units)
    self_key_bias: int  # "attention/key/bias", (1, units)
    self_value_kernel: int  # "attention/value/kernel", (units, 1, units)
    self_value_bias: int  # "attention/value/bias", (1, units)
    self_output_kernel: int  # "attention/attention_output/kernel", (1, units, units)
    self_output_bias: int  # "attention/attention_output/bias", (units,)


class Weight(NamedTuple):
    """One weight of a network: its field in `Offsets`, its "layer/weight" name in the Keras models
    (`fibdash.keras.models.named_weights`) and its Keras shape."""

    field: str
    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Layout:
    """Where each weight lies in a member's flat vector, for the networks of one architecture."""

    cell: str
    hidden_units: int
    time_steps: int
    attention: str  # the attention model's head, one of ATTENTIONS

    @classmethod
    def of(cls, config: TrainConfig) -> Layout:
        return cls(config.cell, config.hidden_units, config.data.time_steps, config.attention)

    @property
    def width(self) -> int:
        """Columns of the cell's kernels: its gates side by side."""
        return GATES[self.cell] * self.hidden_units

    def head_weights(self, kind: str) -> tuple[Weight, ...]:
        """The weights of `kind`'s head, which follow the dense layer's, in the order of the Keras model's
        `trainable_weights`: a new head adds its own here."""
        if kind == "rnn":
            return ()  # the last hidden state straight into Dense
        units, steps = self.hidden_units, self.time_steps

        def projection(part: str) -> tuple[Weight, Weight]:  # self-attention's EinsumDense of one head
            return (
                Weight(f"self_{part}_kernel", f"attention/{part}/kernel", (units, 1, units)),
                Weight(f"self_{part}_bias", f"attention/{part}/bias", (1, units)),
            )

        heads = {
            "tutorial": (
                Weight("attention_weight", "attention/attention_weight", (units, 1)),
                Weight("attention_bias", "attention/attention_bias", (steps, 1)),
            ),
            "additive": (
                Weight("additive_query_kernel", "query/kernel", (units, units)),
                Weight("additive_key_kernel", "key/kernel", (units, units)),
                Weight("additive_scale", "attention/scale", (units,)),
            ),
            "dot": (Weight("dot_scale", "attention/scale", ()),),
            "self": (
                *projection("query"),
                *projection("key"),
                *projection("value"),
                Weight("self_output_kernel", "attention/attention_output/kernel", (1, units, units)),
                Weight("self_output_bias", "attention/attention_output/bias", (units,)),
            ),
            "uniform": (),  # alpha_t = 1/T
        }
        return heads[self.attention]

    def weights(self, kind: str) -> tuple[Weight, ...]:
        """Every weight of a `kind` network, in the order of its vector."""
        units, width = self.hidden_units, self.width
        return (
            Weight("kernel", "rnn/kernel", (1, width)),
            Weight("recurrent_kernel", "rnn/recurrent_kernel", (units, width)),
            Weight("bias", "rnn/bias", (2, width) if self.cell == "GRU" else (width,)),
            Weight("dense_kernel", "dense/kernel", (units, 1)),
            Weight("dense_bias", "dense/bias", (1,)),
            *self.head_weights(kind),
        )

    def shapes(self, kind: str) -> dict[str, tuple[int, ...]]:
        """Each weight's shape, by "layer/weight" as the Keras models name them, in layout order."""
        return {weight.name: weight.shape for weight in self.weights(kind)}

    @property
    def offsets(self) -> Offsets:
        """The start of every weight of every head's network, whichever attention this layout's is."""
        starts: dict[str, int] = {}
        for layout in (replace(self, attention=attention) for attention in ATTENTIONS):
            for kind in MODEL_KINDS:
                start = 0
                for weight in layout.weights(kind):
                    starts.setdefault(weight.field, start)
                    start += math.prod(weight.shape)
        return Offsets(**starts)

    def size(self, kind: str) -> int:
        """The number of weights of a `kind` network."""
        return sum(math.prod(shape) for shape in self.shapes(kind).values())

    @property
    def largest_size(self) -> int:
        """The number of weights of the largest network: the length of a gradient for any member."""
        return max(self.size(kind) for kind in MODEL_KINDS)

    def flat(self, weights: dict[str, np.ndarray], kind: str) -> np.ndarray:
        """`weights` by "layer/weight" as one float32 vector of this layout."""
        return np.concatenate([np.asarray(weights[name], np.float32).ravel() for name in self.shapes(kind)])

    def unflat(self, vector: np.ndarray, kind: str) -> dict[str, np.ndarray]:
        """The inverse of `flat`: each weight by name, in its Keras shape."""
        weights, start = {}, 0
        for name, shape in self.shapes(kind).items():
            size = math.prod(shape)
            weights[name] = vector[start : start + size].reshape(shape).copy()
            start += size
        return weights
