"""Background work shared by every dashboard session: a queue of jobs run one at a time in the
worker process, followed by any number of sessions, with their results kept in a store bounded in
bytes (least recently used dropped first; pinned results, such as the tutorial's, never).

A job started by one session goes on when that session reruns, leaves the page or reloads;
any session asking for the same key follows the same job instead of starting another, and
finds its result once it is done. Only complete results are kept: a job that fails, is
stopped or loses its worker leaves nothing behind, so the next request starts afresh; how each
job ended is kept a while by its id (`ending`), for the sessions that followed it.

Sessions cannot undo each other: Stop ends a job only for the session that pressed it, and
the job is cancelled when no session follows it any more. A session has at most one job
waiting in the queue, and a queued job whose followers have all gone (their tabs closed) is
dropped before it starts. The queue runs the job that is due first (`due`): shortest first,
with ageing, so that a visitor's short job is not stuck behind another's long ones, and a long
one is passed only for a time. A job that uses more processor time than its limit, or, making
no progress, runs far past its time, is ended with a message: its own consumption is counted,
not the wall clock, so that a job is not ended for the load of other work on the machine.
Queued jobs that differ only in seed (`Batch`: a class's sessions each pressing Train with its own
seed, or studies of one configuration over different numbers of seeds) run as one call of the engine
when the first of them is due, and each gets its own result, as it would alone. The server's own jobs
(the tutorial's runs, queued when it starts) are followed by `SERVER`, a session that never leaves.
Between jobs the worker is replaced when it has died, or has grown past its memory limit: it
grows with each cell whose compiled code it loads and with the heap that large jobs' arrays leave
behind (222 MB idle, 250 MB after studies of LSTM-64, GRU-128 and 300 time steps), so the limit
is a safety net that costs no visitor anything, against a leak or an unforeseen large job. During
a job it is killed if the server and worker together pass the memory ceiling, or if a Stop is not
obeyed in time.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import pickle
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import psutil
from cachetools import LRUCache

from fibdash.serving.worker import Worker, WorkerDiedError, WorkerError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, STOPPED = "queued", "running", "done", "failed", "stopped"
POLL_SECONDS = 0.1  # how often a running job's stop requests, processor time and memory are looked at
# A queued job is due this many times its estimate after it was queued, and the queue runs the job due
# first. A job queued later goes first when it is shorter by more than the time between them / 8: a
# visitor's 1 s job passes six 50 s jobs queued up to 6.5 min before it, and a long job waits at most
# 8 times its estimate for the shorter ones queued after it (benchmarks/bench_hostile.py weighs 1 to 16).
DUE_FACTOR = 8.0
# A session's job that may run with others of its batch waits until none has been queued for GATHER_SECONDS,
# and at most GATHER_MOST_SECONDS: a class's presses reach the server over a few tenths of a second, and the
# first one's job, run alone at once, made the others wait for it, then for its tab's drawing of the result
# on the cores their own call needed. A lone press waits GATHER_SECONDS more for its result.
GATHER_SECONDS, GATHER_MOST_SECONDS = 0.1, 0.5
ENDINGS_KEPT = 1000  # how many ended jobs' outcomes are kept by id, for the sessions that followed them
SERVER = "server"  # the session that follows the server's own jobs: always connected, never stops them
_job_ids = itertools.count(1)


def due(queued_at: float, seconds: float) -> float:
    """When a job queued at `queued_at` (seconds since the epoch) with an estimate of `seconds` is due."""
    return queued_at + DUE_FACTOR * seconds


class AlreadyQueuedError(Exception):
    """The session already has a job waiting in the queue; it is `job`."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"you already have a job waiting: {job.label}")
        self.job = job


@dataclass(frozen=True)
class Batch:
    """How a job runs in one call with the queued jobs of the same `key`: work that differs only in seed.

    The call is `function(each job's args, in order, report)`, which returns each job's result in that
    order (what the job's own function would have returned alone), or None once stopped. Its estimate is
    `seconds(each job's args)`, and it is ended past `limits(its estimate)`: (processor time, wall time),
    None where there is no limit. A call takes at most `most` jobs (its estimate within the server's
    budget), the first due and the others in the order they are due.
    """

    key: Hashable
    function: Callable[..., Any]
    seconds: Callable[[tuple], float]
    limits: Callable[[float], tuple[float | None, float | None]]
    most: int


@dataclass(frozen=True)
class Ending:
    """How a job ended: kept by the runner after the job itself is gone, for the sessions that followed it."""

    key: Hashable
    state: str  # DONE, FAILED or STOPPED
    error: str | None  # why it failed, in words


class Job:
    """One piece of queued or running work, what it has reported so far, and who follows it."""

    def __init__(
        self,
        key: Hashable,
        function: Callable[..., Any],
        args: tuple,
        label: str,
        finish: Callable[[Any], Any] | None = None,
        seconds: float = 0.0,
        cpu_limit: float | None = None,
        wall_limit: float | None = None,
        batch: Batch | None = None,
    ) -> None:
        self.id = next(_job_ids)
        self.key = key
        self.function = function  # run in the worker as function(*args, report)
        self.args = args
        self.label = label  # what the job is, in words, for users following it
        self.finish = finish  # run in the server on what the worker returns: its result
        self.seconds = seconds  # estimated: its place in the queue, and the waits of those behind it
        self.cpu_limit = cpu_limit  # it is ended once the worker has spent this much processor time on it
        self.wall_limit = wall_limit  # or once it has run this long, whatever it spent: it is stuck
        self.batch = batch  # how it may run with other queued jobs that differ only in seed; None: alone
        self.together = 1  # how many jobs its call runs, itself included, once it runs
        self.logs: list[Any] = []  # appended by the worker's reader thread, read by any session
        self.state = QUEUED
        self.result: Any = None
        self.error: str | None = None
        self.followers: set[str] = set()  # sessions waiting for the result
        self.queued_at = time.time()
        self.due = due(self.queued_at, seconds)
        self.started_at: float | None = None  # when the worker began it; wall clock, the same for everyone
        self.ended_at: float | None = None
        self.cpu_seconds = 0.0  # processor time the worker has spent since it began the job
        self._cancel = threading.Event()
        self._done = threading.Event()

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def owned_by_server(self) -> bool:
        """Whether it is one of the server's own jobs, queued for everyone (followed by SERVER)."""
        return SERVER in self.followers

    def seconds_running(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.ended_at or time.time()) - self.started_at

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished or `timeout` seconds passed; True if finished."""
        return self._done.wait(timeout)


def result_bytes(result: Any) -> int:
    """What a result takes in the store: its pickled size, about its size in memory for plain arrays."""
    return len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


class JobRunner:
    """Runs jobs by key in one worker process and keeps their results, up to `max_bytes` in all.

    Jobs queue: on two cores a second concurrent training would only halve the speed of both.

    Args:
        max_bytes: the results kept, least recently used dropped first, up to this many bytes in all.
        warm_up: run by each new worker before its first call (imports, first compilation).
        pinned: keys whose results are kept for good, whatever the store holds besides.
        is_alive: whether a follower's session is still connected; a queued job with none left
            is dropped before it starts. SERVER always is.
        worker_memory_mb: between jobs, a worker larger than this is replaced by a fresh one.
        memory_ceiling_mb: server plus worker; a job that takes them past it is ended.
        stop_grace: seconds a job has to obey a Stop before its worker is killed.
        own_jobs: queues the server's own jobs (`submit` them for SERVER) on the runner it is given: run
            in a thread of its own as the runner starts, so that whoever made the runner does not wait
            for it; `own_jobs_queued` is set once it has returned.
    """

    def __init__(
        self,
        max_bytes: int,
        warm_up: Callable[[], None] | None = None,
        pinned: Callable[[Hashable], bool] = lambda key: False,
        is_alive: Callable[[str], bool] = lambda session: True,
        worker_memory_mb: float | None = None,
        memory_ceiling_mb: float | None = None,
        stop_grace: float = 1.0,
        own_jobs: Callable[[JobRunner], None] | None = None,
    ) -> None:
        self._results: LRUCache = LRUCache(maxsize=max_bytes, getsizeof=result_bytes)
        self._pinned: dict[Hashable, Any] = {}
        self._is_pinned = pinned
        self._is_alive = lambda session: session == SERVER or is_alive(session)
        self._jobs: dict[Hashable, Job] = {}
        self._queue: list[Job] = []  # in the order they will run: by when they are due
        self._running: list[Job] = []  # the jobs of the call the worker runs: one, or a batch's
        self._endings: LRUCache = LRUCache(maxsize=ENDINGS_KEPT)
        self._lock = threading.Condition()
        self._warm_up = warm_up
        self.worker_memory_mb = worker_memory_mb
        self.memory_ceiling_mb = memory_ceiling_mb
        self.stop_grace = stop_grace
        self.workers_started = 0
        self.jobs_started = 0
        self._worker = self._new_worker()  # warms up in the background from the start
        self._closed = False
        self._thread = threading.Thread(target=self._dispatch, name="fibdash-jobs", daemon=True)
        self._thread.start()
        self.own_jobs_queued = threading.Event()
        if own_jobs is None:
            self.own_jobs_queued.set()
        else:
            threading.Thread(
                target=self._queue_own, args=(own_jobs,), name="fibdash-own", daemon=True
            ).start()

    def _queue_own(self, own_jobs: Callable[[JobRunner], None]) -> None:
        try:
            own_jobs(self)
        except Exception:  # the pages offer their buttons, as for any other work
            log.exception("could not queue the server's own jobs")
        finally:
            self.own_jobs_queued.set()

    # --- what sessions ask ------------------------------------------------------------------

    def result(self, key: Hashable) -> Any:
        """The finished result for `key`, or None."""
        with self._lock:
            return self._pinned[key] if key in self._pinned else self._results.get(key)

    def job(self, key: Hashable) -> Job | None:
        """The queued or running job for `key`, or None."""
        with self._lock:
            return self._jobs.get(key)

    def ending(self, job_id: int) -> Ending | None:
        """How the job `job_id` ended; None while it is queued or running (or long forgotten)."""
        with self._lock:
            return self._endings.get(job_id)

    def active(self) -> list[Job]:
        """Queued and running jobs, the running ones first, then the queue in the order it will run."""
        with self._lock:
            return self._running + self._queue

    def position(self, job: Job) -> int:
        """0 while `job` runs (or has ended), else its place in the queue from 1, as the queue stands now."""
        with self._lock:
            return next((i + 1 for i, queued in enumerate(self._queue) if queued is job), 0)

    def wait_seconds(self, job: Job) -> float:
        """Estimated seconds before queued `job` starts, as the queue stands now: what remains of the
        running job's estimate and the estimates of the jobs ahead (a shorter job queued later may still
        go first). 0 once it runs."""
        with self._lock:
            position = next((i for i, queued in enumerate(self._queue) if queued is job), None)
            if position is None:
                return 0.0
            # the jobs running share one call, and its estimate (see _next_jobs)
            left = max((max(job.seconds - job.seconds_running(), 0.0) for job in self._running), default=0.0)
            return left + sum(ahead.seconds for ahead in self._queue[:position])

    def submit(
        self,
        key: Hashable,
        function: Callable[..., Any],
        args: tuple,
        label: str,
        session: str,
        finish: Callable[[Any], Any] | None = None,
        seconds: float = 0.0,
        cpu_limit: float | None = None,
        wall_limit: float | None = None,
        batch: Batch | None = None,
    ) -> Job:
        """Queue `function(*args, report)` for `key` unless it is queued or running; `session` follows it.

        When the result is already here, the returned job is finished and holds it. Raises
        AlreadyQueuedError when `session` already has another job waiting in the queue. `finish`,
        where given, makes the result in this process of what the worker returned (the worker
        stays small: tables and statistics are made here). `seconds`, the job's estimate, sets
        its place in the queue (`due`). A job is ended with a message once the worker has spent
        `cpu_limit` seconds of processor time on it, or once it has run `wall_limit` seconds. With a
        `batch`, it may run in one call with other queued jobs of the same batch key (see `Batch`).

        SERVER may queue any number of jobs: they are the server's own.
        """
        with self._lock:
            if key in self._jobs:
                job = self._jobs[key]
                job.followers.add(session)
                return job
            done = self.result(key)
            if done is not None:
                job = Job(key, function, args, label)
                job.state, job.result = DONE, done
                job._done.set()
                return job
            # a server's job a session follows (opening the tutorial as it trains) is not the session's own
            waiting = next(
                (job for job in self._queue if session in job.followers and not job.owned_by_server), None
            )
            if waiting is not None and session != SERVER:
                raise AlreadyQueuedError(waiting)
            job = Job(key, function, args, label, finish, seconds, cpu_limit, wall_limit, batch)
            job.followers.add(session)
            self._jobs[key] = job
            bisect.insort(self._queue, job, key=lambda queued: (queued.due, queued.id))
            self._lock.notify_all()
        log.info("job queued: %s", label)
        return job

    def follow(self, job: Job, session: str) -> None:
        """`session` waits for `job` too (after a reload, say)."""
        with self._lock:
            if not job.finished:
                job.followers.add(session)

    def stop(self, job: Job, session: str, is_alive: Callable[[str], bool] = lambda session: True) -> bool:
        """`session` no longer waits for `job`; True if that cancelled it (nobody else waits).

        `is_alive` tells whether a follower's session is still connected: one that reloaded
        or closed its tab does not keep a job going that everyone still here stopped.

        A job running in one call with others (a batch) that some session still waits for ends here,
        its result not kept when the call returns; the call goes on for them, and is stopped once each
        of its jobs is cancelled.
        """
        with self._lock:
            job.followers.discard(session)
            job.followers = {f for f in job.followers if f == SERVER or is_alive(f)}
            if job.followers or job.finished:
                return False
            job._cancel.set()
            if job.state == QUEUED:  # never started: it ends here
                self._queue.remove(job)
                self._end(job, STOPPED)
            elif any(not other.cancelled for other in self._running):  # its call goes on for them
                self._end(job, STOPPED)
        log.info("job cancelled: %s", job.label)
        return True

    def call(self, function: Callable[..., Any], *args: Any, timeout: float = 30) -> Any:
        """`function(*args)` in the worker's quick lane, beside any running job, and its result.

        Raises WorkerError if it raised there, WorkerDiedError if the worker died twice, TimeoutError.
        """
        for attempt in range(2):
            worker = self._live_worker()
            try:
                return worker.call(function, *args).result(timeout)
            except WorkerDiedError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def clear(self) -> None:
        """Forget every finished result, pinned ones too; queued and running jobs go on."""
        with self._lock:
            self._results.clear()
            self._pinned.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._results) + len(self._pinned)

    def stored_bytes(self) -> int:
        """What the unpinned results take in the store."""
        with self._lock:
            return int(self._results.currsize)

    def worker_mb(self) -> float:
        return self._worker.resident_mb()

    def worker_ready(self) -> bool:
        """Whether the current worker has warmed up and takes calls at once."""
        return self._worker.ready.is_set()

    def close(self) -> None:
        """Stop taking jobs and kill the worker (for tests and shutdown)."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._worker.kill()

    # --- the dispatcher thread -------------------------------------------------------------

    def _new_worker(self) -> Worker:
        self.workers_started += 1
        return Worker(self._warm_up)

    def _live_worker(self) -> Worker:
        with self._lock:
            if not self._worker.alive:
                self._worker = self._new_worker()
            return self._worker

    def _next_jobs(self) -> list[Job]:
        """The jobs of the next call, now running: the queued job due first that someone still follows,
        and the queued jobs of its batch (see `Batch`); queued jobs nobody follows are dropped.

        Empty once closed. Called with the lock held.
        """
        while True:
            while not self._queue and not self._closed:
                self._lock.wait()
            if self._closed:
                return []
            queued = [job for job in list(self._queue) if self._followed(job)]  # the others are dropped
            if not queued:
                continue
            first, batch = queued[0], queued[0].batch
            wanted = [first]
            if batch is not None:
                same = [job for job in queued[1:] if job.batch is not None and job.batch.key == batch.key]
                if (gather := self._gather_seconds(first, batch, same)) > 0:
                    self._lock.wait(gather)  # woken by each job queued meanwhile, and looked at again
                    continue
                wanted += same[: batch.most - 1]
            if len(wanted) > 1:  # one call: its estimate and limits are each job's
                seconds = batch.seconds(tuple(job.args for job in wanted))
                cpu_limit, wall_limit = batch.limits(seconds)
                for job in wanted:
                    job.seconds, job.cpu_limit, job.wall_limit = seconds, cpu_limit, wall_limit
            for job in wanted:
                self._queue.remove(job)
                job.state, job.together = RUNNING, len(wanted)
            self._running = list(wanted)  # ended ones leave it (see _end); the call keeps `wanted`
            self.jobs_started += len(wanted)
            return wanted

    def _gather_seconds(self, first: Job, batch: Batch, others: list[Job]) -> float:
        """How much longer `first`, due first, waits for more jobs of its `batch` besides the queued `others`
        (see GATHER_SECONDS): none for the server's own jobs, or once the batch's call is full. Called with
        the lock held."""
        if first.owned_by_server or len(others) + 1 >= batch.most:
            return 0.0
        latest = max(job.queued_at for job in [first, *others])
        return min(latest + GATHER_SECONDS, first.queued_at + GATHER_MOST_SECONDS) - time.time()

    def _followed(self, job: Job) -> bool:
        """Whether a session still follows queued `job`; one that nobody follows is dropped, never to start.
        Called with the lock held."""
        job.followers = {follower for follower in job.followers if self._is_alive(follower)}
        if not job.followers:
            log.info("job dropped before it started, nobody follows it any more: %s", job.label)
            self._queue.remove(job)
            job._cancel.set()
            self._end(job, STOPPED)
        return bool(job.followers)

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                jobs = self._next_jobs()
            if not jobs:
                return
            for job in jobs:
                log.info("job started: %s", job.label)
            if len(jobs) > 1:
                log.info("%d jobs that differ only in seed run as one call, estimated %.1f s", len(jobs),
                         jobs[0].seconds)  # fmt: skip
            states = dict.fromkeys(jobs, FAILED)
            try:
                states = self._run(jobs)
            except Exception:  # a bug of ours: the jobs fail, the queue goes on
                log.exception("job crashed: %s", jobs[0].label)
                for job in jobs:
                    job.error = "an internal error; the details are in the server log"
            finally:
                for job in jobs:
                    try:
                        with self._lock:
                            if not job.finished:  # one stopped in a batch has ended already
                                self._end(job, states[job])
                    except Exception:  # followers are released all the same (see _end)
                        log.exception("could not record the end of job %s", job.label)
            try:
                self._recycle()
            except Exception:  # the next job finds the worker dead and starts one
                log.exception("could not replace the worker")

    def _run(self, jobs: list[Job]) -> dict[Job, str]:
        """Run `jobs` (one, or a batch's) as one call in the worker until it ends; each job's final state."""
        worker = self._live_worker()
        cpu_at_start: float | None = None
        first = jobs[0]  # its limits are the call's

        def started() -> None:
            nonlocal cpu_at_start
            now, cpu_at_start = time.time(), worker.cpu_seconds()
            for job in jobs:
                job.started_at = now

        def progress(item: Any) -> None:
            for job in jobs:
                job.logs.append(item)

        if len(jobs) == 1:
            function, args = first.function, first.args
        else:
            function, args = first.batch.function, (tuple(job.args for job in jobs),)
        call_id, future = worker.submit(function, *args, on_progress=progress, on_start=started)
        asked_to_stop: float | None = None

        def failed(error: str) -> dict[Job, str]:
            for job in jobs:
                job.error = error
            return dict.fromkeys(jobs, FAILED)

        while True:
            if cpu_at_start is not None:
                used = max(worker.cpu_seconds() - cpu_at_start, first.cpu_seconds)
                for job in jobs:
                    job.cpu_seconds = used
            # Looked at before each wait, the first before the job can end: a job that starts over the memory
            # ceiling is ended whatever its length, as it was only when it outlasted a poll.
            if all(job.cancelled for job in jobs) and asked_to_stop is None:
                worker.stop(call_id)
                asked_to_stop = time.monotonic()
            elif asked_to_stop is not None and time.monotonic() - asked_to_stop > self.stop_grace:
                log.info(
                    "job did not stop within %.1f s, killing the worker: %s", self.stop_grace, first.label
                )
                worker.kill()
            elif (passed := self._limit_passed(first, worker)) is not None:
                worker.kill()
                future.exception()  # wait for the reader to fail the call
                return failed(passed)
            try:
                result = future.result(POLL_SECONDS)
            except FutureTimeout:
                pass
            except WorkerDiedError as died:
                if asked_to_stop is not None:
                    return dict.fromkeys(jobs, STOPPED)
                return failed(self._died_message(first, str(died)))
            except WorkerError as error:
                log.error("job failed: %s\n%s", first.label, error.remote_traceback)
                return failed(str(error))
            else:
                if result is None or all(job.cancelled for job in jobs):  # the work returns None when stopped
                    return dict.fromkeys(jobs, STOPPED)
                return self._finish(jobs, result if len(jobs) > 1 else [result])

    def _finish(self, jobs: list[Job], results: list[Any]) -> dict[Job, str]:
        """Each job's result, made in this process (`Job.finish`) of what the worker returned for it: DONE,
        or FAILED where that raised (a bug of ours). A job stopped meanwhile keeps nothing."""
        states = {}
        for job, result in zip(jobs, results, strict=True):
            if job.cancelled:
                states[job] = STOPPED
                continue
            try:
                job.result = result if job.finish is None else job.finish(result)
            except Exception:
                log.exception("job crashed: %s", job.label)
                job.error = "an internal error; the details are in the server log"
                states[job] = FAILED
            else:
                states[job] = DONE
        return states

    def _limit_passed(self, job: Job, worker: Worker) -> str | None:
        """Why the call running `job` (the first of its batch, whose limits are the call's) must be ended
        now: past its processor time, its wall time, or the memory ceiling; None while it is within all."""
        if job.cpu_limit is not None and job.cpu_seconds > job.cpu_limit:
            log.warning("job past its processor time limit, killing the worker: %s", job.label)
            return (
                f"it needed more than {job.cpu_limit:.0f} s of processor time, at least twice its "
                "estimate, and was ended so that every visitor gets a turn: choose a smaller configuration"
            )
        if job.wall_limit is not None and (running := job.seconds_running()) > job.wall_limit:
            log.warning("job past its wall-clock limit, killing the worker: %s", job.label)
            return (
                f"it was still running after {running:.0f} s, far longer than its "
                "estimate, and was ended: it made too little progress, perhaps on an overloaded server. "
                "Try again later, or choose a smaller configuration"
            )
        if self._over_ceiling(worker):
            log.warning("job over the memory ceiling, killing the worker: %s", job.label)
            return (
                f"it needed more memory than this server allows ({self.memory_ceiling_mb:.0f} MB with "
                "the server): choose fewer time steps, hidden units or seeds"
            )
        return None

    def _died_message(self, job: Job, why: str) -> str:
        log.error("worker died during job %s: %s", job.label, why)
        return (
            f"the training process stopped unexpectedly ({why}), perhaps out of memory. Nothing was "
            "kept; a fresh process takes the next job"
        )

    def _over_ceiling(self, worker: Worker) -> bool:
        if self.memory_ceiling_mb is None:
            return False
        server = psutil.Process().memory_info().rss / 2**20
        return server + worker.resident_mb() > self.memory_ceiling_mb

    def _end(self, job: Job, state: str) -> None:
        """Record how `job` ended and release everyone waiting for it. Called with the lock held."""
        try:
            job.state, job.ended_at = state, time.time()
            if job in self._running:
                self._running.remove(job)
            self._endings[job.id] = Ending(job.key, state, job.error)
            job.args, job.finish = (), None  # a sweep's windows and datasets are not kept by its followers
            if state == DONE:
                self._store(job.key, job.result)
            else:
                job.result = None
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]
            together = f", one call with {job.together - 1} more" if job.together > 1 else ""
            log.info(
                "job %s in %.1f s (%.1f s of processor time; estimated %.1f s%s): %s",
                state, job.seconds_running(), job.cpu_seconds, job.seconds, together, job.label,
            )  # fmt: skip
        finally:
            job._done.set()

    def _store(self, key: Hashable, result: Any) -> None:
        """Keep `result`: pinned for good, or in the store, where one larger than all of it is not kept."""
        if self._is_pinned(key):
            self._pinned[key] = result
            return
        try:
            self._results[key] = result
        except ValueError:  # cachetools: larger than the whole store
            log.warning("a result of %d bytes is larger than the whole store: not kept", result_bytes(result))

    def _recycle(self) -> None:
        """Between jobs: replace a dead worker, or one grown past its memory limit, by a fresh one."""
        with self._lock:
            worker = self._worker
            size = worker.resident_mb()
            if self._closed:
                return
            if worker.alive and (self.worker_memory_mb is None or size <= self.worker_memory_mb):
                return
            log.info("replacing the worker (%s, %.0f MB)", "alive" if worker.alive else "dead", size)
            worker.kill()
            self._worker = self._new_worker()
