"""What goes into a training and what comes out, as plain data: the windows it trains on, its progress
per epoch, and one record per trained model.

Nothing here imports the compiled engine, scikit-learn or pandas: these records cross between the
server and its worker process (unpickling a class imports its module), and the worker stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fibdash.config import MODEL_LABELS, DataConfig, TrainConfig


@dataclass(frozen=True, eq=False)
class Windows:
    """A dataset's windows as the engine trains on them: the scaled inputs and targets, and the split."""

    config: DataConfig
    X: np.ndarray  # (samples, time_steps) float32, in series order
    y: np.ndarray  # (samples,) float64, each window's target
    train_idx: np.ndarray  # rows of X, in the tutorial's shuffled order
    test_idx: np.ndarray

    @property
    def test_y(self) -> np.ndarray:
        return self.y[self.test_idx]


@dataclass(frozen=True)
class Training:
    """One call of the engine in a job of several on the same windows: `config`'s models of `kinds` over
    the job's seeds, each kept under the name the job gives it (a variants study's "rnn", "additive",
    "matched_rnn": see `fibdash.analysis.variants`), in the order of `kinds`."""

    config: TrainConfig
    kinds: tuple[str, ...]
    names: tuple[str, ...]

    def named(self, runs: dict[str, list[Trained]]) -> dict[str, list[Trained]]:
        """This training's `runs`, by kind as the engine gives them, by the names the job gives them."""
        return {name: runs[kind] for kind, name in zip(self.kinds, self.names, strict=True)}


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
class Trained:
    """One trained model, of one kind and one seed: its weights, histories and scores.

    The same record serves a pair on the Train page, each seed of a study and each run of a sweep.
    """

    config: TrainConfig  # its seed is this model's
    kind: str  # "rnn" or "attention" (its head: config.attention)
    weights: dict[str, np.ndarray]  # trained, by "layer/weight" in the Keras models' names and shapes
    loss_history: tuple[float, ...]  # training loss (MSE on scaled values) per epoch
    test_mse_history: tuple[float, ...]
    predictions: np.ndarray  # (samples,) float64: every window's scaled prediction, in series order
    train_mse: float  # on scaled values, as the tutorial's `evaluate`
    test_mse: float
    steps: int  # optimizer steps taken
    stopped: bool  # True when the callback stopped training before config.epochs
    seconds: float  # the training's time, every model trained beside this one included
    attention: np.ndarray | None = None  # (test windows, time_steps) after the last epoch; attention only
    attention_history: AttentionHistory | None = None  # the same after some epochs, where recorded
    importance: dict[str, np.ndarray] = field(default_factory=dict)  # by measure (see explain)
    versions: dict[str, str] = field(default_factory=dict)  # what made it: see fibdash.serving.tasks.versions

    @property
    def epochs_run(self) -> int:
        return len(self.loss_history)

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def name(self) -> str:
        """The model's name on every page and chart: "RNN" or "RNN + attention"."""
        return MODEL_LABELS[self.kind]


@dataclass(frozen=True)
class AttentionTrace:
    """One window through the attention model: the recurrent layer's states, the attention head's three
    steps (scores, weights, context), and the prediction, on the scaled axis, as the model computes them
    (float32). Each head scores in its own way (`fibdash.config.ATTENTIONS`)."""

    states: np.ndarray  # h, (time_steps, hidden_units): the recurrent layer's output at every step
    scores: np.ndarray  # (time_steps,): e = tanh(h W + b) for the tutorial's head; 0 for uniform
    weights: np.ndarray  # alpha = softmax(scores) over time, (time_steps,); self-attention: the last query's
    context: np.ndarray  # what Dense reads, (hidden_units,): sum over time of alpha_t h_t (self-attention:
    # of its values, then its output projection; uniform: the states' mean)
    prediction: float  # the dense layer on the context
    weight_map: np.ndarray | None = None  # self-attention only: (time_steps, time_steps), row i the weights
    # of position i's query; its last row is `weights`
