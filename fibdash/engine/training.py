"""Train either network, or both, over one seed or many: Keras' `fit(batch_size=...)` step for step.

The tutorial calls `model.fit(batch_size=1)`: one Adam step per window, each paid for in Keras with
Python and graph overhead that dwarfs an 11-parameter network's arithmetic. Here one compiled epoch
(`_epoch`) takes every member's steps in plain float32 loops: the same windows in the same order,
the same loss and the same Adam as Keras 3, from the same initial weights (`fibdash.engine.initial`).

A training is M members (each kind of model once per seed), each a flat weight vector with its own
Adam state. They are independent, so the CPU's threads share them out, each thread with its own
scratch buffers, allocated once per training: a thread that is done takes the next member not yet
taken (attention's, the dearer, first), so that a thread slowed by other work on the machine does
not hold the rest back.

A call flows so: `train_many` -> one `_epoch` per epoch (steps, then the test windows' predictions
and, after the epochs that keep them, their attention weights) -> `on_epoch` -> `_predict` of every
window at the end -> one `Trained` record per member.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numba import njit, prange

from fibdash.config import MODEL_KINDS, TrainConfig, check_choice, check_seeds
from fibdash.engine.cpu import claim, flush_denormals, padded, restore, threads_for
from fibdash.engine.initial import initial_weights
from fibdash.engine.loss import mse
from fibdash.engine.network import (
    ATTENTION,
    LAST,
    ONE,
    TWO,
    ZERO,
    Network,
    backward,
    forward,
    own,
    predict_rows,
    scratch,
    transpose_recurrent,
)
from fibdash.engine.records import AttentionHistory, EpochLog, Trained, Windows

# Keras 3's Adam defaults, in the float32 its update computes in
BETA_1, BETA_2, EPSILON = np.float32(0.9), np.float32(0.999), np.float32(1e-7)
ONE_MINUS_BETA_1, ONE_MINUS_BETA_2 = np.float32(1 - 0.9), np.float32(1 - 0.999)

# Recorded attention weights of the test windows: at most this many snapshots of a training, and
# at most this many values in all (16 MB as float32), evenly spaced over its epochs.
MAX_ATTENTION_SNAPSHOTS = 50
MAX_ATTENTION_VALUES = 4_000_000


@njit(cache=True)
def _adam(p, grad, m, v, size, step, learning_rate):
    """Keras 3's `Adam.update_step` for one member's `size` weights, at optimizer step `step` (from 1)."""
    t = np.float32(step)
    alpha = learning_rate * np.sqrt(ONE - BETA_2**t) / (ONE - BETA_1**t)
    for i in range(size):
        g = grad[i]
        m[i] += (g - m[i]) * ONE_MINUS_BETA_1
        v[i] += (g * g - v[i]) * ONE_MINUS_BETA_2
        p[i] -= (m[i] * alpha) / (np.sqrt(v[i]) + EPSILON)


@njit(cache=True, parallel=True)
def _epoch(
    order,
    taken,
    params,
    adam_m,
    adam_v,
    steps_taken,
    sizes,
    heads,
    active,
    lay,
    cell,
    act,
    steps,
    units,
    X,
    y,
    rows,
    batch,
    learning_rate,
    losses,
    test_rows,
    predictions,
    alpha_members,
    alpha_out,
    arena,
):
    """One epoch of every active member: its optimizer steps on its `rows` (members, n_train) order,
    its mean loss into `losses`, then its predictions of `test_rows`; the attention weights of those
    windows go to `alpha_out[alpha_members[m]]` where that is not -1. The threads take the members in
    `order`, each the next not yet taken (`taken`, a counter from 0)."""
    n_train = rows.shape[1]
    for c in prange(arena.shape[0]):
        buf = own(arena, c, steps, units, lay[8])  # forward's buffers are buf[:7], backward's buf[7:]
        grad = buf[7]
        flags = flush_denormals()
        while True:
            k = claim(taken)
            if k >= len(order):
                break
            m = order[k]
            if not active[m]:
                continue
            p, size, head, step = params[m], sizes[m], heads[m], steps_taken[m]
            total = 0.0  # float64: the epoch's sum of batch losses times batch sizes, as Keras' Mean
            for start in range(0, n_train, batch):
                stop = min(start + batch, n_train)
                count = np.float32(stop - start)
                transpose_recurrent(p, lay, units, (lay[2] - lay[1]) // units, buf[14])
                grad[:size] = ZERO
                squares = ZERO
                for k in range(start, stop):
                    x = X[rows[m, k]]
                    prediction = forward(p, lay, cell, act, head, steps, units, x, *buf[:7])
                    error = prediction - y[rows[m, k]]
                    squares += error * error
                    d_prediction = TWO * error / count  # of the batch's mean squared error
                    backward(
                        p, lay, cell, act, head, steps, units, x, *buf[:7], prediction, d_prediction, *buf[7:]
                    )
                total += (squares / count) * count
                step += 1
                _adam(p, grad, adam_m[m], adam_v[m], size, step, learning_rate)
            steps_taken[m] = step  # written once an epoch: a shared array written every step is slow
            losses[m] = total / n_train
            slot = alpha_members[m]
            kept = alpha_out[slot] if slot >= 0 else alpha_out[0, :0]
            predict_rows(p, lay, cell, act, head, steps, units, X, test_rows, predictions[m], kept, buf[:7])
        restore(flags)


@njit(cache=True, parallel=True)
def _predict(
    order, taken, params, heads, lay, cell, act, steps, units, X, rows, out, alpha_members, alpha_out, arena
):
    """Every member's predictions of windows `rows` into `out` (members, len(rows)), and the attention
    weights of members with `alpha_members[m]` >= 0 into that slot of `alpha_out`."""
    for c in prange(arena.shape[0]):
        buf = own(arena, c, steps, units, lay[8])[:7]
        flags = flush_denormals()
        while True:
            k = claim(taken)
            if k >= len(order):
                break
            m = order[k]
            slot = alpha_members[m]
            kept = alpha_out[slot] if slot >= 0 else alpha_out[0, :0]
            predict_rows(params[m], lay, cell, act, heads[m], steps, units, X, rows, out[m], kept, buf)
        restore(flags)


def attention_epochs(epochs: int, test_windows: int, time_steps: int) -> tuple[int, ...]:
    """The epochs (from 1) after which a training records its test windows' attention weights:
    evenly spaced, the first and the last always, within MAX_ATTENTION_SNAPSHOTS and _VALUES."""
    snapshots = min(epochs, MAX_ATTENTION_SNAPSHOTS, MAX_ATTENTION_VALUES // (test_windows * time_steps))
    return tuple(int(e) for e in np.unique(np.linspace(1, epochs, max(snapshots, 2)).round()))


def check_windows(config: TrainConfig, data: Windows) -> Windows:
    """`data`, the windows to train `config` on (a dataset's `windows()`); ValueError if they were cut
    from another DataConfig than `config.data`."""
    if data.config != config.data:
        raise ValueError("data was built from another DataConfig than config.data")
    return data


def _median(values: np.ndarray) -> float:
    """The median of the finite `values`: those of the members still training; NaN if none is."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


class _Training:
    """The members of one training and every array the compiled epochs read and write.

    Members go seed by seed, the kinds of a seed side by side: member i * len(kinds) + j is kinds[j]
    of seeds[i]. The attention members each have a slot in the attention arrays.
    """

    def __init__(self, config: TrainConfig, kinds: tuple[str, ...], seeds: tuple[int, ...], data: Windows):
        self.config, self.kinds, self.seeds, self.data = config, kinds, seeds, data
        self.network = Network.of(config)
        layout = self.network.layout
        self.members = [(kind, seed) for seed in seeds for kind in kinds]
        count = len(self.members)
        self.params = np.zeros((count, padded(layout.size("attention"))), np.float32)
        for m, (kind, seed) in enumerate(self.members):
            start = layout.flat(initial_weights(replace(config, seed=seed), kind), kind)
            self.params[m, : len(start)] = start
        self.adam_m, self.adam_v = np.zeros_like(self.params), np.zeros_like(self.params)
        self.steps = np.zeros(count, np.int64)
        self.sizes = np.array([layout.size(kind) for kind, _ in self.members], np.int64)
        self.heads = np.array(
            [ATTENTION if kind == "attention" else LAST for kind, _ in self.members], np.int64
        )
        # the order the threads take the members in: attention's, the dearer, first
        self.order = np.array(sorted(range(count), key=lambda m: self.members[m][0] != "attention"))
        self.arena = scratch(threads_for(count), layout)
        self.attention_members = [m for m, (kind, _) in enumerate(self.members) if kind == "attention"]
        self.slots = np.full(count, -1, np.int64)
        self.slots[self.attention_members] = np.arange(len(self.attention_members))
        self.no_slots = np.full(count, -1, np.int64)
        self.y = data.y.astype(np.float32)
        self.test_rows = data.test_idx.astype(np.int64)
        # (attention members, at least one for the compiled code's sake, test windows, time steps)
        self.alpha = np.zeros(
            (max(1, len(self.attention_members)), len(self.test_rows), layout.time_steps), np.float32
        )
        self.no_alpha = np.zeros((1, 0, layout.time_steps), np.float32)
        self.active = np.ones(count, bool)  # members whose loss has been finite so far
        self.epochs_run = np.zeros(count, np.int64)
        self.rngs = [np.random.default_rng(seed) for seed in seeds]  # each seed's window order, by epoch

    def epoch(self, keep_attention: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Train one epoch of the active members: (members that trained, their losses, test MSEs);
        the others' are NaN. With `keep_attention`, `alpha` holds the test windows' weights after it."""
        c, data = self.config, self.data
        orders = [data.train_idx[rng.permutation(c.data.n_train)] for rng in self.rngs]
        rows = np.repeat(np.array(orders, np.int64), len(self.kinds), axis=0)  # a seed's order for its kinds
        trained = self.active.copy()
        losses = np.zeros(len(self.members))
        predictions = np.zeros((len(self.members), len(self.test_rows)), np.float32)
        taken = np.zeros(1, np.int64)  # how many members the threads have taken so far
        _epoch(
            self.order, taken, self.params, self.adam_m, self.adam_v, self.steps, self.sizes, self.heads,
            trained, *self.network.args(), data.X, self.y, rows, c.batch_size, np.float32(c.learning_rate),
            losses, self.test_rows, predictions, self.slots if keep_attention else self.no_slots,
            self.alpha if keep_attention else self.no_alpha, self.arena,
        )  # fmt: skip
        self.epochs_run[trained] += 1
        self.active &= np.isfinite(losses)
        # each member's mean over its test windows, in float64 as `mse` takes it
        test_mses = np.mean(np.square(predictions.astype(np.float64) - data.test_y), axis=1)
        return trained, np.where(trained, losses, np.nan), np.where(trained, test_mses, np.nan)

    def predict(self, rows: np.ndarray, with_attention: bool) -> np.ndarray:
        """Every member's predictions of `rows` now, (members, rows); the attention weights of the test
        windows into `alpha` too, with `with_attention` (then `rows` must be the test windows)."""
        out = np.zeros((len(self.members), len(rows)), np.float32)
        slots, alpha = (self.slots, self.alpha) if with_attention else (self.no_slots, self.no_alpha)
        network, X = self.network.args(), self.data.X
        taken = np.zeros(1, np.int64)
        _predict(self.order, taken, self.params, self.heads, *network, X, rows, out, slots, alpha, self.arena)
        return out


def train_many(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    data: Windows,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    record_attention: bool = False,
) -> dict[str, list[Trained]]:
    """Train each of `kinds` once per seed, all at once: {kind: [one record per seed]}.

    Seed k's run of a kind is the same whatever else trains beside it. After every epoch `on_epoch`
    gets one log per kind, with the median over seeds still training of its loss and test MSE;
    returning True for any stops every run. A member whose loss stops being finite stops there, as
    Keras' TerminateOnNaN does: its history ends with that epoch and its predictions are those
    after it; the others go on. With `record_attention`, the attention model's weights for the test
    windows are kept after the epochs `attention_epochs` names.
    """
    started = time.perf_counter()
    for kind in kinds:
        check_choice("model", kind, MODEL_KINDS)
    data = check_windows(config, data)
    run = _Training(config, tuple(kinds), tuple(check_seeds(seeds)), data)
    snapshots = set(attention_epochs(config.epochs, config.data.n_test, config.data.time_steps))
    losses, test_mses, recorded = [], [], {m: {} for m in run.attention_members}
    stop = False
    for epoch in range(1, config.epochs + 1):
        keep = record_attention and epoch in snapshots
        trained, loss, test_mse = run.epoch(keep)
        losses.append(loss)
        test_mses.append(test_mse)
        for m in run.attention_members:
            if keep and trained[m]:
                recorded[m][epoch] = run.alpha[run.slots[m]].copy()
        for j, kind in enumerate(run.kinds):
            every = slice(j, None, len(run.kinds))  # this kind's members
            log = EpochLog(kind, epoch, config.epochs, _median(loss[every]), _median(test_mse[every]))
            stop = bool(on_epoch is not None and on_epoch(log)) or stop
        if stop or not run.active.any():  # stopped, or every member diverged: nothing left to train
            break
    stopped = stop and len(losses) < config.epochs
    predictions = run.predict(np.arange(len(data.y), dtype=np.int64), with_attention=False).astype(np.float64)
    if run.attention_members:
        run.predict(run.test_rows, with_attention=True)
    seconds = time.perf_counter() - started
    losses_array, mses_array = np.array(losses), np.array(test_mses)
    runs: dict[str, list[Trained]] = {kind: [] for kind in run.kinds}
    for m, (kind, seed) in enumerate(run.members):
        ran, taken = int(run.epochs_run[m]), recorded.get(m, {})
        runs[kind].append(
            Trained(
                config=replace(config, seed=seed),
                kind=kind,
                weights=run.network.layout.unflat(run.params[m], kind),
                loss_history=tuple(losses_array[:ran, m].tolist()),
                test_mse_history=tuple(mses_array[:ran, m].tolist()),
                predictions=predictions[m],
                train_mse=mse(predictions[m][data.train_idx], data.y[data.train_idx]),
                test_mse=mse(predictions[m][data.test_idx], data.test_y),
                steps=int(run.steps[m]),
                stopped=stopped,
                seconds=seconds,
                attention=run.alpha[run.slots[m]].copy() if kind == "attention" else None,
                attention_history=AttentionHistory(tuple(taken), np.stack(list(taken.values())))
                if taken
                else None,
            )
        )
    return runs


def train(
    config: TrainConfig,
    kind: str,
    data: Windows,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
) -> Trained:
    """Train one model; `on_epoch` is called after every epoch and stops training by returning True."""
    return train_many(config, [kind], [config.seed], data, on_epoch, record_attention=True)[kind][0]


def train_pair(
    config: TrainConfig,
    data: Windows,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
) -> dict[str, Trained]:
    """Both models, by kind, trained together: each as `train` gives it, in about one model's time.

    After every epoch `on_epoch` gets one log per model; returning True for either stops both.
    """
    runs = train_many(config, MODEL_KINDS, [config.seed], data, on_epoch, record_attention=True)
    return {kind: runs[kind][0] for kind in MODEL_KINDS}


def train_seeds(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    data: Windows,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
) -> dict[str, list[Trained]]:
    """Each of `kinds` over `seeds`, all at once, without attention snapshots: a study's runs."""
    return train_many(config, kinds, seeds, data, on_epoch)
