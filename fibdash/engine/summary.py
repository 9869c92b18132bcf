"""A model's summary, as Keras' `model.summary()` gives it, from its config alone: no Keras needed.

A test holds these rows against the Keras models' own (`fibdash.keras.models.summary_rows`).
"""

from __future__ import annotations

import math

from fibdash.config import MODEL_KINDS, TrainConfig, check_choice
from fibdash.engine.layout import Layout


def summary_rows(config: TrainConfig, kind: str) -> list[dict[str, object]]:
    """The model's layers as rows of `model.summary()`: name, type, output shape, parameters."""
    check_choice("model", kind, MODEL_KINDS)
    params = {name: math.prod(shape) for name, shape in Layout.of(config).shapes(kind).items()}
    units, steps = config.hidden_units, config.data.time_steps

    def count(layer: str) -> int:
        return sum(size for name, size in params.items() if name.startswith(f"{layer}/"))

    def row(name: str, kind_name: str, shape: tuple, parameters: int) -> dict[str, object]:
        return {"Layer": name, "Type": kind_name, "Output shape": str(shape), "Params": parameters}

    dense = row("dense", "Dense", (None, 1), count("dense"))
    if kind == "rnn":  # a Sequential model: Keras lists no input layer
        return [row("rnn", config.cell, (None, units), count("rnn")), dense]
    last = row("last", "Cropping1D", (None, 1, units), 0)  # the last step, of the states or the outputs
    context = row("context", "Flatten", (None, units), 0)
    heads = {  # the layers of each head (`fibdash.keras.models._attention_head`)
        "tutorial": [row("attention", "Attention", (None, units), count("attention"))],
        "additive": [
            last,
            row("query", "Dense", (None, 1, units), count("query")),
            row("key", "Dense", (None, steps, units), count("key")),
            row("attention", "AdditiveAttention", (None, 1, units), count("attention")),
            context,
        ],
        "dot": [last, row("attention", "Attention", (None, 1, units), count("attention")), context],
        "self": [
            row("attention", "MultiHeadAttention", (None, steps, units), count("attention")),
            last,
            context,
        ],
        "uniform": [row("attention", "GlobalAveragePooling1D", (None, units), 0)],
    }
    return [
        row("input", "InputLayer", (None, steps, 1), 0),
        row("rnn", config.cell, (None, steps, units), count("rnn")),
        *heads[config.attention],
        dense,
    ]


def total_parameters(rows: list[dict[str, object]]) -> int:
    """The parameters of every layer of `summary_rows`, as Keras' summary totals them."""
    return sum(int(row["Params"]) for row in rows)
