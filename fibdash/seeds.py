"""Train S seeds of one model, or of both, at once: seed k's run is the Train page's run of seed k.

Both are the same compiled loop as `train` (see `fibdash.training`), with S members per model
instead of one: each starts from `build_model(config with seed=k)`'s initial weights and visits
the training windows in `epoch_orders(config with seed=k)`'s order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fibdash.config import MODEL_KINDS, MODEL_LABELS, TrainConfig
from fibdash.data import Dataset
from fibdash.metrics import score
from fibdash.results import EpochLog, SeedRun
from fibdash.training import check_data, train_many


def train_seeds(
    config: TrainConfig,
    kind: str,
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | None = None,
) -> list[SeedRun]:
    """Train `kind` once per seed, all at once; seed k's run is `train(config with seed=k, kind)`'s.

    `on_epoch` gets the median over seeds of the loss and test MSE after every epoch and stops
    all seeds by returning True.
    """
    return _seed_runs(config, [kind], seeds, on_epoch, data)[kind]


def train_seeds_pair(
    config: TrainConfig,
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | None = None,
) -> dict[str, list[SeedRun]]:
    """Both models over `seeds`, by kind, all at once: each as `train_seeds` gives it.

    After every epoch `on_epoch` gets one log per model; returning True for either stops both.
    """
    return _seed_runs(config, MODEL_KINDS, seeds, on_epoch, data)


def _seed_runs(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None,
    data: Dataset | None,
) -> dict[str, list[SeedRun]]:
    data = check_data(config, data)
    run = train_many(config, kinds, seeds, on_epoch, data=data)
    return {
        kind: [
            SeedRun(
                seed=seed,
                loss_history=run.loss_history(member),
                test_mse_history=run.test_mse_history(member),
                scores=score(MODEL_LABELS[kind], data, run.predictions[member]),
                stopped=run.stopped,
                steps=run.steps(member),
            )
            for member, seed in enumerate(run.seeds, start=i * len(run.seeds))
        ]
        for i, kind in enumerate(run.kinds)
    }
