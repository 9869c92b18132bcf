"""Background work shared by every dashboard session: one training at a time, results kept in a bounded LRU.

A training started by one session goes on when that session reruns, leaves the page or closes
the tab; any session asking for the same key follows the same job instead of starting another,
and finds its result once it is done. Only complete results are kept: a job that fails or is
stopped leaves nothing behind, so the next request starts afresh.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cachetools import LRUCache

log = logging.getLogger(__name__)


def release_free_memory() -> None:
    """Hand memory freed by a finished job back to the system (glibc only; elsewhere a no-op).

    glibc keeps freed heap pages for reuse, so a server's resident size only ever rises with
    the peak of each training; trimming after each job returns about 100 MB after the first.
    """
    process = ctypes.CDLL(None)  # the symbols already loaded: libc's among them, no library search
    if hasattr(process, "malloc_trim"):
        process.malloc_trim(0)


# What a job's work receives: call it after each epoch with that epoch's log; it returns True
# when the job has been asked to stop, and the work should then return at once.
Progress = Callable[[Any], bool]
Work = Callable[[Progress], Any]


class Job:
    """One piece of queued or running work and what it has reported so far."""

    def __init__(self, key: Hashable, label: str) -> None:
        self.key = key
        self.label = label  # what the job is, in words, for users following it
        self.logs: list[Any] = []  # appended by the worker thread, read by any session
        self.state = "queued"  # queued -> running -> done | failed | stopped
        self.result: Any = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._done = threading.Event()

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def stop(self) -> None:
        """Ask the work to stop after its current epoch; nothing it did is kept."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished or `timeout` seconds passed; True if finished."""
        return self._done.wait(timeout)

    def _report(self, log: Any) -> bool:
        self.logs.append(log)
        return self._stop.is_set()

    def _run(self, work: Work, on_finish: Callable[[Job], None]) -> None:
        self.state = "running"
        log.info("job started: %s", self.label)
        started = time.perf_counter()
        try:
            result = None if self._stop.is_set() else work(self._report)
        except Exception as error:  # shown to the users who follow the job; the server keeps going
            self.state, self.error = "failed", f"{type(error).__name__}: {error}"
        else:
            self.state = "stopped" if self._stop.is_set() else "done"
            self.result = result if self.state == "done" else None
        log.info("job %s in %.1f s: %s", self.state, time.perf_counter() - started, self.label)
        on_finish(self)
        release_free_memory()
        self._done.set()


class JobRunner:
    """Runs work by key on one worker thread and keeps the last `max_results` results.

    On two cores a second concurrent training would only halve the speed of both, so jobs queue.
    """

    def __init__(self, max_results: int) -> None:
        self._results: LRUCache = LRUCache(maxsize=max_results)
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fibdash-job")

    def result(self, key: Hashable) -> Any:
        """The finished result for `key`, or None."""
        with self._lock:
            return self._results.get(key)

    def job(self, key: Hashable) -> Job | None:
        """The queued or running job for `key`, or None."""
        with self._lock:
            return self._jobs.get(key)

    def active(self) -> list[Job]:
        """Queued and running jobs, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def submit(self, key: Hashable, work: Work, label: str = "") -> Job:
        """Start `work` for `key` unless it is already queued or running; returns the job to follow.

        When the result is already here, the returned job is finished and holds it.
        """
        with self._lock:
            if key in self._jobs:
                return self._jobs[key]
            job = Job(key, label)
            if key in self._results:
                job.state, job.result = "done", self._results[key]
                job._done.set()
                return job
            self._jobs[key] = job
        self._executor.submit(job._run, work, self._finish)
        return job

    def _finish(self, job: Job) -> None:
        with self._lock:
            if job.state == "done":
                self._results[job.key] = job.result
            del self._jobs[job.key]

    def clear(self) -> None:
        """Forget every finished result; queued and running jobs go on."""
        with self._lock:
            self._results.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)
