"""Loss curves: the Train and Compare pages', and every job's live progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from fibdash.figures.style import (
    colour,
    drawable,
    new_figure,
    not_shown,
    noted,
)


def loss_figure(
    histories: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str = "Loss per epoch"
) -> go.Figure:
    """Training loss (solid) and test MSE (dotted) per epoch for each model name, log axis."""
    figure = new_figure(title, "epoch", "MSE (scaled values)", log_y=True)
    hidden: Counter[str] = Counter()
    for name, (loss, test_mse) in histories.items():
        epochs = np.arange(1, len(loss) + 1)
        figure.add_scatter(
            x=epochs, y=drawable(loss, hidden), name=f"{name}: training loss", line_color=colour(name)
        )
        figure.add_scatter(
            x=epochs,
            y=drawable(test_mse, hidden),
            name=f"{name}: test MSE",
            line={"color": colour(name), "dash": "dot"},
        )
    return noted(figure, not_shown(hidden))
