"""The server's worker: one child process that does every training and every model's answer.

A Streamlit server must stay small and must survive whatever its visitors ask, and one visitor's
training must not freeze every other page: the server hands all such work to one worker process (a
fresh Python, so the child shares none of the server's threads or locks) and sends it calls over a
`multiprocessing` pipe: a module-level function and its arguments, pickled by the standard library.
Started by `subprocess`, not multiprocessing's "spawn", which starts its resource tracker beside the
first child: a third process of 12 MB, for named semaphores and shared memory the worker never uses.
The worker loads only NumPy and the Numba engine (no TensorFlow, scikit-learn or pandas). It runs
calls of two lanes at once: one long job at a time (trainings, which report progress), and quick
calls beside it (a what-if prediction must not wait a minute behind another visitor's training).
What comes back is plain data.

The process can be killed at any moment (the kernel's OOM killer, `kill -9`, a Stop that does
not come in time): every call in flight then fails with `WorkerDiedError`, and the owner starts a
new worker. This module knows nothing of jobs, queues or budgets; `fibdash.serving.jobs` does.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)


def _quota_cpus() -> float | None:
    """The CPU time a container's quota grants, in CPUs (cgroup v2, else v1); None without a quota."""
    cgroup = Path("/sys/fs/cgroup")
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()
    except (OSError, ValueError):
        try:
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    return None if quota in ("max", "-1") else int(quota) / int(period)


def worker_threads() -> int:
    """The threads the worker trains with: the CPUs this process may run on, within any container quota.

    A container often sees its host's CPUs but is granted the time of fewer (Streamlit Community
    Cloud: up to 2); more threads than that would only wait on each other.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _quota_cpus()
    return cpus if quota is None else max(1, min(cpus, int(quota)))


_exiting = False  # set as the server exits: the workers it then ends are no news


@atexit.register
def _server_exiting() -> None:
    global _exiting
    _exiting = True


class WorkerDiedError(RuntimeError):
    """The worker process ended while a call was in flight."""


class WorkerError(RuntimeError):
    """A call raised in the worker; the message is its exception, `remote_traceback` its traceback."""

    def __init__(self, message: str, remote_traceback: str) -> None:
        super().__init__(message)
        self.remote_traceback = remote_traceback


# What crosses the pipe. Server to worker: a call, or a request to stop one.
@dataclass(frozen=True)
class _Call:
    id: int
    function: Callable[..., Any]  # module-level, so pickled by reference
    args: tuple
    job: bool  # a job gets a `report` callable as its last argument and runs in the job lane


@dataclass(frozen=True)
class _Stop:
    id: int


# Worker to server: the worker is ready, a job has started in its lane, a job's progress, a call's outcome.
@dataclass(frozen=True)
class _Ready:
    pid: int


@dataclass(frozen=True)
class _Started:
    id: int


@dataclass(frozen=True)
class _Progress:
    id: int
    item: Any


@dataclass(frozen=True)
class _Outcome:
    id: int
    value: Any = None
    error: str | None = None  # "TypeName: message" when the call raised
    traceback: str = ""


class Worker:
    """A running worker process and the calls in flight in it.

    `warm_up` runs in the child before it takes calls (imports, compiling the likely first
    program), so that work is done in the background rather than by the first call.
    """

    def __init__(self, warm_up: Callable[[], None] | None = None) -> None:
        self._connection, child = multiprocessing.Pipe()
        # the child finds what this process imports, as spawn's children do: this process's sys.path
        path = os.pathsep.join(folder or os.getcwd() for folder in sys.path)
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from fibdash.serving.worker import main; main({child.fileno()})"],
            pass_fds=[child.fileno()],
            env={**os.environ, "PYTHONPATH": path},
        )
        child.close()  # the child's end lives in the child: EOF here when it dies, or the server does there
        self._connection.send(warm_up)
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._calls: dict[int, tuple[Future, Callable[[Any], None] | None, Callable[[], None] | None]] = {}
        self._dead: str | None = None  # why the process is gone, once it is
        self._killed = False  # by us: expected, not worth a warning
        self.ready = threading.Event()  # set when warm-up has finished
        self._reader = threading.Thread(target=self._read, name="fibdash-worker-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self._dead is None and self.process.poll() is None

    def submit(
        self,
        function: Callable[..., Any],
        *args: Any,
        on_progress: Callable[[Any], None] | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> tuple[int, Future]:
        """Start `function(*args, report)` in the job lane; `on_progress` gets what it reports, and
        `on_start` is called when the worker begins it (after its warm-up and any job before it).

        Returns the call's id (for `stop`) and a future of its result.
        """
        return self._start(function, args, on_progress, on_start, job=True)

    def call(self, function: Callable[..., Any], *args: Any) -> Future:
        """Start `function(*args)` in the quick lane, beside any job; a future of its result."""
        return self._start(function, args, None, None, job=False)[1]

    def stop(self, call_id: int) -> None:
        """Ask a job to stop: its next `report` returns True."""
        self._send(_Stop(call_id))

    def resident_mb(self) -> float:
        """The worker's resident memory, or 0 once it is gone."""
        try:
            return psutil.Process(self.process.pid).memory_info().rss / 2**20
        except (psutil.Error, TypeError):
            return 0.0

    def cpu_seconds(self) -> float:
        """The processor time (user and system, all its threads) the worker has used, or 0 once it is gone."""
        try:
            times = psutil.Process(self.process.pid).cpu_times()
        except (psutil.Error, TypeError):
            return 0.0
        return times.user + times.system

    def kill(self) -> None:
        """End the process at once; calls in flight fail with WorkerDiedError."""
        self._killed = True
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)

    def _start(self, function, args, on_progress, on_start, job: bool) -> tuple[int, Future]:
        future: Future = Future()
        with self._lock:
            call_id = next(self._ids)
            if self._dead is not None:
                future.set_exception(WorkerDiedError(self._dead))
                return call_id, future
            self._calls[call_id] = (future, on_progress, on_start)
        self._send(_Call(call_id, function, args, job))
        return call_id, future

    def _send(self, message: Any) -> None:
        try:
            with self._send_lock:
                self._connection.send(message)
        except (OSError, ValueError):  # the pipe is closed: the reader fails the calls in flight
            pass

    def _read(self) -> None:
        """Deliver progress and outcomes until the process ends, then fail every call in flight."""
        try:
            while True:
                self._deliver(self._connection.recv())
        except (EOFError, OSError):  # the child's end closed: it has ended
            pass
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        why = (
            f"the worker process was killed by signal {-code}"
            if code is not None and code < 0
            else f"the worker process exited with code {code}"
        )
        if not (self._killed or _exiting):
            log.warning("%s (pid %s)", why, self.process.pid)
        with self._lock:
            self._dead = why
            calls, self._calls = self._calls, {}
        for future, _, _ in calls.values():
            future.set_exception(WorkerDiedError(why))
        self._connection.close()

    def _deliver(self, message: Any) -> None:
        if isinstance(message, _Ready):
            self.ready.set()
            return
        with self._lock:
            entry = self._calls.get(message.id)
            if isinstance(message, _Outcome):
                self._calls.pop(message.id, None)
        if entry is None:
            return
        future, on_progress, on_start = entry
        if isinstance(message, _Started):
            if on_start is not None:
                on_start()
        elif isinstance(message, _Progress):
            if on_progress is not None:
                on_progress(message.item)
        elif message.error is None:
            future.set_result(message.value)
        else:
            future.set_exception(WorkerError(message.error, message.traceback))


def main(fd: int) -> None:
    """The worker process: its end of the pipe is file descriptor `fd`, whose first message is the warm-up."""
    connection = Connection(fd)
    _serve(connection, connection.recv())


def _serve(connection: Connection, warm_up: Callable[[], None] | None) -> None:
    """The worker's main loop: take calls until the server goes away."""
    send_lock = threading.Lock()

    def send(message: Any) -> None:
        with send_lock:
            connection.send(message)

    os.environ["NUMBA_NUM_THREADS"] = str(worker_threads())  # read when the engine first loads Numba
    if warm_up is not None:
        warm_up()
    send(_Ready(os.getpid()))
    stops: dict[int, threading.Event] = {}
    lanes = {True: ThreadPoolExecutor(1), False: ThreadPoolExecutor(1)}  # jobs, quick calls
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            break
        if isinstance(message, _Stop):
            if message.id in stops:
                stops[message.id].set()
            continue
        stops[message.id] = threading.Event()
        lanes[message.job].submit(_run, message, stops, send)
    os._exit(0)  # the server is gone: leave at once, whatever still runs


def _run(call: _Call, stops: dict[int, threading.Event], send: Callable[[Any], None]) -> None:
    stop = stops[call.id]
    if call.job:
        send(_Started(call.id))

    def report(item: Any) -> bool:
        send(_Progress(call.id, item))
        return stop.is_set()

    try:
        value = call.function(*call.args, report) if call.job else call.function(*call.args)
        outcome = _Outcome(call.id, value)
    except BaseException as error:  # everything goes back to the server, which logs it
        outcome = _Outcome(
            call.id, error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()
        )
    finally:
        stops.pop(call.id, None)
    try:
        send(outcome)
    except Exception as error:  # e.g. an unpicklable result: say so rather than leave the call hanging
        send(_Outcome(call.id, error=f"the result could not be sent back: {error}"))
