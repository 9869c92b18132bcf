"""What crosses from the worker process to the server: progress and results as plain data.

No TensorFlow here, and nothing that imports it: the server unpickles these, and unpickling a
class imports its module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fibdash.config import TrainConfig

if TYPE_CHECKING:  # a page that only follows progress need not load the scoring code (scikit-learn)
    import numpy as np

    from fibdash.metrics import Scores


@dataclass(frozen=True)
class EpochLog:
    """What a per-epoch callback receives; `epoch` counts from 1."""

    kind: str
    epoch: int
    epochs: int
    loss: float
    test_mse: float


@dataclass(frozen=True, eq=False)
class AttentionHistory:
    """The attention weights of the test windows as training went: a snapshot after some epochs."""

    epochs: tuple[int, ...]  # after which epochs (from 1), the last one included
    weights: np.ndarray  # (snapshots, test windows, time_steps), float32, rows in dataset.test_idx order


@dataclass(frozen=True, eq=False)
class SeedRun:
    """One seed's run in a study: its history and scores, as `train` reports them for that seed."""

    seed: int
    loss_history: tuple[float, ...]  # training loss (MSE on scaled values) per epoch
    test_mse_history: tuple[float, ...]
    scores: Scores
    stopped: bool  # True when the callback stopped training before config.epochs
    steps: int  # optimizer steps this seed took

    @property
    def epochs_run(self) -> int:
        return len(self.loss_history)


@dataclass(frozen=True, eq=False)
class Trained:
    """One trained model as plain data the server can keep: histories, scores, summary, file."""

    config: TrainConfig
    kind: str
    loss_history: tuple[float, ...]  # training loss (MSE on scaled values) per epoch
    test_mse_history: tuple[float, ...]
    scores: Scores
    attention: np.ndarray | None  # (test windows, time_steps), rows in dataset.test_idx order
    attention_history: AttentionHistory | None
    importance: dict[str, np.ndarray]  # by measure (see fibdash.explain): (test windows, time_steps)
    steps: int
    seconds: float
    summary: tuple[dict[str, object], ...]  # the model's layers as rows of model.summary()
    keras_file: bytes  # the trained model as a .keras file
    versions: dict[str, str]  # what made it: see fibdash.tasks.versions

    @property
    def epochs_run(self) -> int:
        return len(self.loss_history)


@dataclass(frozen=True)
class PointDone:
    """A sweep's progress between epochs: one more grid point has finished."""

    finished: int  # grid points finished so far in this run
    points: int  # grid points this run trains
    settings: str  # the point that finished, in words: "scaling=minmax, hidden_units=4"
