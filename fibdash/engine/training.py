"""Train either network, or both, over one seed or many: Keras' `fit(batch_size=...)` step for step.

The tutorial calls `model.fit(batch_size=1)`: one Adam step per window, each paid for in Keras with
Python and graph overhead that dwarfs an 11-parameter network's arithmetic. Here one compiled epoch
(`_epoch`) takes every member's steps in plain float32 loops: the same windows in the same order,
the same loss and the same Adam as Keras 3, from the same initial weights (`fibdash.engine.initial`).

A training is M members (each kind of model once per seed), each a flat weight vector with its own
Adam state. They are independent, so the members share out over the CPU's threads: thread c takes
members c, c + threads, ..., with its own scratch buffers, allocated once per training. Members are
ordered seed by seed, the kinds of a seed side by side, so every thread gets both kinds alike.

A call flows so: `train_many` -> one `_epoch` per epoch (steps, then the test windows' predictions
and, after the epochs that keep them, their attention weights) -> `on_epoch` -> `_predict` of every
window at the end -> one `Trained` record per member.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from fibdash.config import MODEL_KINDS, TrainConfig, check_choice, check_seeds
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
    flush_denormals,
    forward,
    predict_rows,
    restore,
    scratch,
    threads_for,
)
from fibdash.engine.records import AttentionHistory, EpochLog, Trained, Windows

if TYPE_CHECKING:  # the worker trains on `Windows` and never loads the data code (scikit-learn)
    from fibdash.data import Dataset

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
    buffers,
):
    """One epoch of every active member: its optimizer steps on its `rows` (members, n_train) order,
    its mean loss into `losses`, then its predictions of `test_rows`; the attention weights of those
    windows go to `alpha_out[alpha_members[m]]` where that is not -1."""
    members, n_train = rows.shape
    threads = buffers[0].shape[0]
    for c in prange(threads):
        buf = (
            buffers[0][c],
            buffers[1][c],
            buffers[2][c],
            buffers[3][c],
            buffers[4][c],
            buffers[5][c],
            buffers[6][c],
        )
        grad, dx, d_states = buffers[7][c], buffers[8][c], buffers[9][c]
        dh, dh_prev, dc, dz = buffers[10][c], buffers[11][c], buffers[12][c], buffers[13][c]
        hs, cs, gates, aux, scores, alpha, ctx = buf
        flags = flush_denormals()
        for m in range(c, members, threads):
            if not active[m]:
                continue
            p, size, head = params[m], sizes[m], heads[m]
            total = 0.0  # float64: the epoch's sum of batch losses times batch sizes, as Keras' Mean
            for start in range(0, n_train, batch):
                stop = min(start + batch, n_train)
                count = np.float32(stop - start)
                grad[:size] = ZERO
                squares = ZERO
                for k in range(start, stop):
                    w = rows[m, k]
                    prediction = forward(
                        p, lay, cell, act, head, steps, units, X[w], hs, cs, gates, aux, scores, alpha, ctx
                    )
                    error = prediction - y[w]
                    squares += error * error
                    backward(
                        p,
                        lay,
                        cell,
                        act,
                        head,
                        steps,
                        units,
                        X[w],
                        hs,
                        cs,
                        gates,
                        aux,
                        scores,
                        alpha,
                        ctx,
                        prediction,
                        TWO * error / count,
                        grad,
                        dx,
                        d_states,
                        dh,
                        dh_prev,
                        dc,
                        dz,
                    )
                total += (squares / count) * count
                steps_taken[m] += 1
                _adam(p, grad, adam_m[m], adam_v[m], size, steps_taken[m], learning_rate)
            losses[m] = total / n_train
            slot = alpha_members[m]
            kept = alpha_out[slot] if slot >= 0 else alpha_out[0, :0]
            predict_rows(p, lay, cell, act, head, steps, units, X, test_rows, predictions[m], kept, buf)
        restore(flags)


@njit(cache=True, parallel=True)
def _predict(params, heads, lay, cell, act, steps, units, X, rows, out, alpha_members, alpha_out, buffers):
    """Every member's predictions of windows `rows` into `out` (members, len(rows)), and the attention
    weights of members with `alpha_members[m]` >= 0 into that slot of `alpha_out`."""
    members = params.shape[0]
    threads = buffers[0].shape[0]
    for c in prange(threads):
        buf = (
            buffers[0][c],
            buffers[1][c],
            buffers[2][c],
            buffers[3][c],
            buffers[4][c],
            buffers[5][c],
            buffers[6][c],
        )
        flags = flush_denormals()
        for m in range(c, members, threads):
            slot = alpha_members[m]
            kept = alpha_out[slot] if slot >= 0 else alpha_out[0, :0]
            predict_rows(params[m], lay, cell, act, heads[m], steps, units, X, rows, out[m], kept, buf)
        restore(flags)


def attention_epochs(epochs: int, test_windows: int, time_steps: int) -> tuple[int, ...]:
    """The epochs (from 1) after which a training records its test windows' attention weights:
    evenly spaced, the first and the last always, within MAX_ATTENTION_SNAPSHOTS and _VALUES."""
    snapshots = min(epochs, MAX_ATTENTION_SNAPSHOTS, MAX_ATTENTION_VALUES // (test_windows * time_steps))
    return tuple(int(e) for e in np.unique(np.linspace(1, epochs, max(snapshots, 2)).round()))


def windows_of(config: TrainConfig, data: Dataset | Windows | None) -> Windows:
    """The windows to train `config` on: `data`'s, or `config.data`'s when None (built here, with
    scikit-learn's scalers); ValueError if `data` was built from another DataConfig."""
    if data is None:
        from fibdash.data import make_dataset

        data = make_dataset(config.data)
    if data.config != config.data:
        raise ValueError("data was built from another DataConfig than config.data")
    if isinstance(data, Windows):
        return data
    return Windows(
        config.data, np.ascontiguousarray(data.X[..., 0], np.float32), data.y, data.train_idx, data.test_idx
    )


def _median(values: np.ndarray) -> float:
    """The median of the finite `values`: those of the members still training; NaN if none is."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def train_many(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | Windows | None = None,
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
    kinds, seeds, data = tuple(kinds), tuple(check_seeds(seeds)), windows_of(config, data)
    network = Network.of(config)
    layout = network.layout
    # members seed by seed, the kinds side by side: member i * len(kinds) + j is kinds[j] of seeds[i]
    members = [(kind, seed) for seed in seeds for kind in kinds]
    params = np.zeros((len(members), layout.size("attention")), np.float32)
    for m, (kind, seed) in enumerate(members):
        start = layout.flat(initial_weights(replace(config, seed=seed), kind), kind)
        params[m, : len(start)] = start
    sizes = np.array([layout.size(kind) for kind, _ in members], np.int64)
    heads = np.array([ATTENTION if kind == "attention" else LAST for kind, _ in members], np.int64)
    snapshots = (
        set(attention_epochs(config.epochs, config.data.n_test, config.data.time_steps))
        if record_attention
        else set()
    )
    attention_members = [m for m, (kind, _) in enumerate(members) if kind == "attention"]
    slots = np.full(len(members), -1, np.int64)
    slots[attention_members] = np.arange(len(attention_members))

    X, y = data.X, data.y.astype(np.float32)
    test_rows = data.test_idx.astype(np.int64)
    buffers = scratch(threads_for(len(members)), layout)
    adam_m, adam_v = np.zeros_like(params), np.zeros_like(params)
    steps_taken = np.zeros(len(members), np.int64)
    active = np.ones(len(members), bool)  # members whose loss has been finite so far
    epochs_run = np.zeros(len(members), np.int64)
    rngs = [np.random.default_rng(seed) for seed in seeds]  # each seed's window order, epoch by epoch
    losses, test_mses, recorded = [], [], {m: {} for m in attention_members}
    loss = np.zeros(len(members))
    predictions = np.zeros((len(members), len(test_rows)), np.float32)
    # one slot per attention member (at least one, for the compiled code's sake)
    alpha = np.zeros((max(1, len(attention_members)), len(test_rows), layout.time_steps), np.float32)
    no_alpha = np.zeros((1, 0, layout.time_steps), np.float32)
    stop = False
    for epoch in range(1, config.epochs + 1):
        orders = [data.train_idx[rng.permutation(config.data.n_train)] for rng in rngs]
        rows = np.repeat(np.array(orders, np.int64), len(kinds), axis=0)
        now = active.copy()  # the members that train this epoch
        keep = epoch in snapshots
        _epoch(
            params,
            adam_m,
            adam_v,
            steps_taken,
            sizes,
            heads,
            now,
            *network.args(),
            X,
            y,
            rows,
            config.batch_size,
            np.float32(config.learning_rate),
            loss,
            test_rows,
            predictions,
            slots if keep else np.full(len(members), -1, np.int64),
            alpha if keep else no_alpha,
            buffers,
        )
        epochs_run[now] = epoch
        active &= np.isfinite(loss)
        losses.append(np.where(now, loss, np.nan))
        # each member's mean over its test windows, in float64 as `fibdash.metrics.mse` takes it
        errors = np.mean(np.square(predictions.astype(np.float64) - data.test_y), axis=1)
        test_mses.append(np.where(now, errors, np.nan))
        if keep:
            for m in attention_members:
                if now[m]:
                    recorded[m][epoch] = alpha[slots[m]].copy()
        for j, kind in enumerate(kinds):
            log = EpochLog(
                kind,
                epoch,
                config.epochs,
                _median(losses[-1][j :: len(kinds)]),
                _median(test_mses[-1][j :: len(kinds)]),
            )
            stop = bool(on_epoch is not None and on_epoch(log)) or stop
        if stop or not active.any():  # stopped, or every member diverged: nothing left to train
            break
    stopped = stop and len(losses) < config.epochs

    all_rows = np.arange(len(data.y), dtype=np.int64)
    everything = np.zeros((len(members), len(all_rows)), np.float32)
    _predict(
        params,
        heads,
        *network.args(),
        X,
        all_rows,
        everything,
        np.full(len(members), -1, np.int64),
        no_alpha,
        buffers,
    )
    final_alpha = np.zeros_like(alpha)
    if attention_members:
        unused = np.zeros((len(members), len(test_rows)), np.float32)
        _predict(params, heads, *network.args(), X, test_rows, unused, slots, final_alpha, buffers)
    seconds = time.perf_counter() - started
    losses_array, mses_array = np.array(losses), np.array(test_mses)
    runs: dict[str, list[Trained]] = {kind: [] for kind in kinds}
    for m, (kind, seed) in enumerate(members):
        ran = int(epochs_run[m])
        taken = recorded.get(m, {})
        history = (
            AttentionHistory(epochs=tuple(taken), weights=np.stack(list(taken.values()))) if taken else None
        )
        predicted = everything[m].astype(np.float64)
        runs[kind].append(
            Trained(
                config=replace(config, seed=seed),
                kind=kind,
                weights=layout.unflat(params[m], kind),
                loss_history=tuple(losses_array[:ran, m].tolist()),
                test_mse_history=tuple(mses_array[:ran, m].tolist()),
                predictions=predicted,
                train_mse=mse(predicted[data.train_idx], data.y[data.train_idx]),
                test_mse=mse(predicted[data.test_idx], data.test_y),
                steps=int(steps_taken[m]),
                stopped=stopped,
                seconds=seconds,
                attention=final_alpha[slots[m]].copy() if kind == "attention" else None,
                attention_history=history,
            )
        )
    return runs


def train(
    config: TrainConfig,
    kind: str,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | Windows | None = None,
) -> Trained:
    """Train one model; `on_epoch` is called after every epoch and stops training by returning True."""
    return train_many(config, [kind], [config.seed], on_epoch, data, record_attention=True)[kind][0]


def train_pair(
    config: TrainConfig,
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | Windows | None = None,
) -> dict[str, Trained]:
    """Both models, by kind, trained together: each as `train` gives it, in about one model's time.

    After every epoch `on_epoch` gets one log per model; returning True for either stops both.
    """
    runs = train_many(config, MODEL_KINDS, [config.seed], on_epoch, data, record_attention=True)
    return {kind: runs[kind][0] for kind in MODEL_KINDS}


def train_seeds(
    config: TrainConfig,
    kinds: Sequence[str],
    seeds: Sequence[int],
    on_epoch: Callable[[EpochLog], bool | None] | None = None,
    data: Dataset | Windows | None = None,
) -> dict[str, list[Trained]]:
    """Each of `kinds` over `seeds`, all at once, without attention snapshots: a study's runs."""
    return train_many(config, kinds, seeds, on_epoch, data)
