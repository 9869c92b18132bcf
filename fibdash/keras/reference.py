"""The tutorial's own loop, Keras `fit`, as the reference the engine must equal.

`fit_many` trains the Keras models with `model.fit(batch_size=...)`, one epoch at a time on the
training windows in the order the engine visits them (`fit(shuffle=False)` on windows already in
that order), from Keras' own initial weights. It gives the engine's records, so that anything that
shows the engine's numbers shows these too: `python -m fibdash --engine keras`, and the tests that
hold the engine to Keras.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from fibdash.config import TrainConfig, check_seeds
from fibdash.data import Dataset
from fibdash.engine.loss import mse
from fibdash.engine.records import EpochLog, Trained
from fibdash.keras.models import attention_weights, build_model, named_weights


def fit_many(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    data: Dataset,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
) -> dict[str, list[Trained]]:
    """Each of `kinds` once per seed with Keras' `fit`, one model after another: {kind: [record per seed]}.

    `on_epoch` gets each model's log after each of its epochs; returning True stops every model.
    """
    started = time.perf_counter()
    runs: dict[str, list[Trained]] = {kind: [] for kind in kinds}
    stop = False
    for seed in check_seeds(seeds):
        rng = np.random.default_rng(seed)  # the engine's window order: one permutation per epoch
        orders = [data.train_idx[rng.permutation(config.data.n_train)] for _ in range(config.epochs)]
        for kind in kinds:
            seeded = replace(config, seed=seed)
            model = build_model(seeded, kind)
            losses, test_mses = [], []
            for epoch, rows in enumerate(orders, start=1):
                if stop:
                    break
                history = model.fit(
                    data.X[rows],
                    data.y[rows],
                    batch_size=config.batch_size,
                    epochs=1,
                    shuffle=False,
                    verbose=0,
                )
                losses.append(history.history["loss"][0])
                predicted = model.predict(data.test_X, batch_size=len(data.test_X), verbose=0)[:, 0]
                test_mses.append(mse(predicted, data.test_y))
                stop = bool(
                    on_epoch is not None
                    and on_epoch(EpochLog(kind, epoch, config.epochs, losses[-1], test_mses[-1]))
                )
                if not np.isfinite(losses[-1]):  # as Keras' TerminateOnNaN
                    break
            predictions = model.predict(data.X, batch_size=len(data.X), verbose=0)[:, 0].astype(np.float64)
            runs[kind].append(
                Trained(
                    config=seeded,
                    kind=kind,
                    weights=named_weights(model),
                    loss_history=tuple(losses),
                    test_mse_history=tuple(test_mses),
                    predictions=predictions,
                    train_mse=mse(predictions[data.train_idx], data.train_y),
                    test_mse=mse(predictions[data.test_idx], data.test_y),
                    steps=int(model.optimizer.iterations),
                    stopped=stop and len(losses) < config.epochs,
                    seconds=time.perf_counter() - started,
                    attention=attention_weights(model, data.test_X) if kind == "attention" else None,
                )
            )
    return runs
