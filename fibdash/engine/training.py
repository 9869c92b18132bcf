"""Train either network, or both, over one seed or many: Keras' `fit(batch_size=...)` step for step.

The tutorial calls `model.fit(batch_size=1)`: one Adam step per window, each paid for in Keras with
Python and graph overhead that dwarfs an 11-parameter network's arithmetic. Here one compiled epoch
(`_epoch`) takes every member's steps in plain float32 loops: the same windows in the same order,
the same loss and the same Adam as Keras 3, from the same initial weights (`fibdash.engine.initial`).

A training is M members (each kind of model once per seed), each a flat weight vector with its own
Adam state (`Members`). They are independent, so the CPU's threads share them out, each thread with
its own memory (`network.Trace` and `Gradients`), allocated once per training: a thread that is done takes the
next member not yet taken (the larger networks, attention's, first), so that a thread slowed by other
work on the machine does not hold the rest back.

A call flows so: `train_many` -> one `_epoch` per epoch (steps, then the test windows' predictions
and, after the epochs that keep them, their attention weights) -> `on_epoch` -> `_predict` of every
window at the end -> one `Trained` record per member.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from fibdash.config import MODEL_KINDS, TrainConfig, check_choice, check_seeds
from fibdash.engine.cpu import claim, flush_denormals, padded, restore, threads_for
from fibdash.engine.initial import initial_weights
from fibdash.engine.layout import Layout
from fibdash.engine.loss import mse
from fibdash.engine.network import (
    LAST_STATE,
    ONE,
    TWO,
    ZERO,
    Architecture,
    backward,
    forward,
    head_of,
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


class Members(NamedTuple):
    """The M members of a training as the compiled epochs read and write them: a row (or an entry) each.
    The rows are cache lines apart (`cpu.padded`), since different threads write them."""

    weights: np.ndarray  # (M, padded size) float32: each member's weights in `Layout` order
    adam_m: np.ndarray  # (M, padded size) float32: Adam's first moment of each weight
    adam_v: np.ndarray  # (M, padded size) float32: its second moment
    steps: np.ndarray  # (M,) int64: optimizer steps taken
    sizes: np.ndarray  # (M,) int64: how many weights each member has (`Layout.size` of its kind)
    heads: np.ndarray  # (M,) int64: each member's head (`network.head_of` its kind and the attention)
    order: np.ndarray  # (M,) int64: the order the threads take the members in, the dearer first


@njit(cache=True)
def _adam(weights, grad, adam_m, adam_v, size, step, learning_rate):
    """Keras 3's `Adam.update_step` for one member's `size` weights, at optimizer step `step` (from 1)."""
    count = np.float32(step)
    step_size = learning_rate * np.sqrt(ONE - BETA_2**count) / (ONE - BETA_1**count)
    for i in range(size):
        g = grad[i]
        adam_m[i] += (g - adam_m[i]) * ONE_MINUS_BETA_1
        adam_v[i] += (g * g - adam_v[i]) * ONE_MINUS_BETA_2
        weights[i] -= (adam_m[i] * step_size) / (np.sqrt(adam_v[i]) + EPSILON)


@njit(cache=True, inline="always")
def _next_member(taken, order):
    """The member a thread trains next: `order`'s next not yet taken by any thread (`cpu.claim` on `taken`),
    or -1 once every one has been."""
    claimed = claim(taken)
    return order[claimed] if claimed < len(order) else -1


@njit(cache=True, parallel=True)
def _epoch(members, active, taken, offsets, architecture, X, y, rows, batch_size, learning_rate, test_rows,
           losses, predictions, alpha_slots, alpha_out, arena):  # fmt: skip
    """One epoch of every active member: its optimizer steps, its mean loss, then its predictions of the
    test windows, and their attention weights where asked. The threads take the members in
    `members.order`, each the next not yet taken. M members, T time steps, n_train training windows.

    Parameters
    ----------
    members : Members
        Every member's weights and Adam state (updated), steps taken (updated), size, head and order.
    active : (M,) bool
        The members to train; the others are left as they are.
    taken : (1,) int64
        How many members the threads have taken so far: 0 on entry (`cpu.claim`).
    offsets : Offsets
        Where each weight starts in a member's row (`Layout.offsets`).
    architecture : Architecture
        The network's codes and sizes (`network.Architecture`).
    X : (samples, T) float32
        Every window.
    y : (samples,) float32
        Every window's target.
    rows : (M, n_train) int64
        Each member's training windows (rows of X), in this epoch's order.
    batch_size : int
        Windows per optimizer step; the last batch may be shorter.
    learning_rate : float32
        Adam's.
    test_rows : (n_test,) int64
        The test windows (rows of X).
    losses : (M,) float64
        Each member's mean loss over the epoch, written (as Keras' `Mean` of the batch losses).
    predictions : (M, n_test) float32
        Each member's predictions of the test windows after the epoch, written.
    alpha_slots : (M,) int64
        Where each member's attention weights go in `alpha_out`; -1: nowhere.
    alpha_out : (slots, n_test, T) float32
        The attention weights of the test windows, written for members with a slot.
    arena : (threads, row) float32
        Every thread's `Trace` and `Gradients` (`network.scratch`); one thread per row.
    """
    n_train = rows.shape[1]
    # the members' arrays by local names, as the threads write them: see `network.Trace` on prange
    all_weights, adam_m, adam_v = members.weights, members.adam_m, members.adam_v
    steps, sizes, heads, order = members.steps, members.sizes, members.heads, members.order
    for thread in prange(arena.shape[0]):
        trace, gradients = own(arena, thread, architecture)
        grad, transposed = gradients.grad, gradients.recurrent_transposed
        flags = flush_denormals()
        while True:
            m = _next_member(taken, order)
            if m < 0:
                break
            if not active[m]:
                continue
            weights, size, head, step = all_weights[m], sizes[m], heads[m], steps[m]
            total = 0.0  # float64: the epoch's sum of batch losses times batch sizes, as Keras' Mean
            for start in range(0, n_train, batch_size):
                stop = min(start + batch_size, n_train)
                count = np.float32(stop - start)
                transpose_recurrent(weights, offsets, architecture, transposed)
                grad[:size] = ZERO
                squares = ZERO
                for position in range(start, stop):
                    row = rows[m, position]
                    x = X[row]
                    prediction = forward(weights, offsets, architecture, head, x, trace)
                    error = prediction - y[row]
                    squares += error * error
                    d_prediction = TWO * error / count  # of the batch's mean squared error
                    backward(
                        weights, offsets, architecture, head, x, trace, prediction, d_prediction, gradients
                    )
                total += (squares / count) * count
                step += 1
                _adam(weights, grad, adam_m[m], adam_v[m], size, step, learning_rate)
            steps[m] = step  # written once an epoch: a shared array written every step is slow
            losses[m] = total / n_train
            slot = alpha_slots[m]
            kept = alpha_out[slot] if slot >= 0 else alpha_out[0, :0]
            predict_rows(weights, offsets, architecture, head, X, test_rows, predictions[m], kept, trace)
        restore(flags)


@njit(cache=True, parallel=True)
def _predict(members, taken, offsets, architecture, X, rows, out, alpha_slots, alpha_out, arena):
    """Every member's predictions of windows `rows` into `out` (M, len(rows)), and the attention weights
    of members with a slot in `alpha_slots` into that slot of `alpha_out`; the other arguments as
    `_epoch`'s."""
    all_weights, heads, order = members.weights, members.heads, members.order
    for thread in prange(arena.shape[0]):
        trace, _ = own(arena, thread, architecture)
        flags = flush_denormals()
        while True:
            m = _next_member(taken, order)
            if m < 0:
                break
            slot = alpha_slots[m]
            kept = alpha_out[slot] if slot >= 0 else alpha_out[0, :0]
            predict_rows(all_weights[m], offsets, architecture, heads[m], X, rows, out[m], kept, trace)
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
    of seeds[i] (`roster`). The attention members, whatever their head, each have a slot in the attention
    arrays.
    """

    def __init__(self, config: TrainConfig, kinds: tuple[str, ...], seeds: tuple[int, ...], data: Windows):
        self.config, self.kinds, self.seeds, self.data = config, kinds, seeds, data
        self.layout, self.architecture = Layout.of(config), Architecture.of(config)
        self.offsets = self.layout.offsets
        self.roster = [(kind, seed) for seed in seeds for kind in kinds]  # member m's kind and seed
        count = len(self.roster)
        weights = np.zeros((count, padded(self.layout.largest_size)), np.float32)
        for m, (kind, seed) in enumerate(self.roster):
            start = self.layout.flat(initial_weights(replace(config, seed=seed), kind), kind)
            weights[m, : len(start)] = start
        sizes = np.array([self.layout.size(kind) for kind, _ in self.roster], np.int64)
        self.members = Members(
            weights=weights,
            adam_m=np.zeros_like(weights),
            adam_v=np.zeros_like(weights),
            steps=np.zeros(count, np.int64),
            sizes=sizes,
            heads=np.array([head_of(kind, config.attention) for kind, _ in self.roster], np.int64),
            order=np.array(sorted(range(count), key=lambda m: -sizes[m]), np.int64),  # the dearer first
        )
        self.arena = scratch(threads_for(count), self.layout)
        self.attention_members = [m for m in range(count) if self.members.heads[m] != LAST_STATE]
        self.slots = np.full(count, -1, np.int64)
        self.slots[self.attention_members] = np.arange(len(self.attention_members))
        self.no_slots = np.full(count, -1, np.int64)
        self.y = data.y.astype(np.float32)
        self.test_rows = data.test_idx.astype(np.int64)
        steps = self.layout.time_steps
        # (attention members, at least one for the compiled code's sake, test windows, time steps)
        self.alpha = np.zeros((max(1, len(self.attention_members)), len(self.test_rows), steps), np.float32)
        self.no_alpha = np.zeros((1, 0, steps), np.float32)
        self.active = np.ones(count, bool)  # members whose loss has been finite so far
        self.epochs_run = np.zeros(count, np.int64)
        self.rngs = [np.random.default_rng(seed) for seed in seeds]  # each seed's window order, by epoch

    def epoch(self, keep_attention: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Train one epoch of the active members: (members that trained, their losses, test MSEs);
        the others' are NaN. With `keep_attention`, `alpha` holds the test windows' weights after it."""
        config, data = self.config, self.data
        orders = [data.train_idx[rng.permutation(config.data.n_train)] for rng in self.rngs]
        rows = np.repeat(np.array(orders, np.int64), len(self.kinds), axis=0)  # a seed's order for its kinds
        trained = self.active.copy()
        losses = np.zeros(len(self.roster))
        predictions = np.zeros((len(self.roster), len(self.test_rows)), np.float32)
        taken = np.zeros(1, np.int64)  # how many members the threads have taken so far
        slots, alpha = (self.slots, self.alpha) if keep_attention else (self.no_slots, self.no_alpha)
        _epoch(
            self.members, trained, taken, self.offsets, self.architecture, data.X, self.y, rows,
            config.batch_size, np.float32(config.learning_rate), self.test_rows, losses, predictions, slots,
            alpha, self.arena,
        )  # fmt: skip
        self.epochs_run[trained] += 1
        self.active &= np.isfinite(losses)
        # each member's mean over its test windows, in float64 as `mse` takes it
        test_mses = np.mean(np.square(predictions.astype(np.float64) - data.test_y), axis=1)
        return trained, np.where(trained, losses, np.nan), np.where(trained, test_mses, np.nan)

    def predict(self, rows: np.ndarray, with_attention: bool) -> np.ndarray:
        """Every member's predictions of `rows` now, (members, rows); the attention weights of the test
        windows into `alpha` too, with `with_attention` (then `rows` must be the test windows)."""
        out = np.zeros((len(self.roster), len(rows)), np.float32)
        slots, alpha = (self.slots, self.alpha) if with_attention else (self.no_slots, self.no_alpha)
        taken = np.zeros(1, np.int64)
        X, arena = self.data.X, self.arena
        _predict(self.members, taken, self.offsets, self.architecture, X, rows, out, slots, alpha, arena)
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
    for m, (kind, seed) in enumerate(run.roster):
        ran, alphas = int(run.epochs_run[m]), recorded.get(m, {})  # attention weights by epoch
        runs[kind].append(
            Trained(
                config=replace(config, seed=seed),
                kind=kind,
                weights=run.layout.unflat(run.members.weights[m], kind),
                loss_history=tuple(losses_array[:ran, m].tolist()),
                test_mse_history=tuple(mses_array[:ran, m].tolist()),
                predictions=predictions[m],
                train_mse=mse(predictions[m][data.train_idx], data.y[data.train_idx]),
                test_mse=mse(predictions[m][data.test_idx], data.test_y),
                steps=int(run.members.steps[m]),
                stopped=stopped,
                seconds=seconds,
                attention=run.alpha[run.slots[m]].copy() if m in run.attention_members else None,
                attention_history=AttentionHistory(tuple(alphas), np.stack(list(alphas.values())))
                if alphas
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
