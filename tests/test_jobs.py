import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from fibdash.jobs import JobRunner


def epochs(count: int, gate: threading.Event | None = None):
    """Work that reports `count` epochs, each after `gate` opens, and returns how many it ran."""

    def work(report):
        for epoch in range(1, count + 1):
            if gate is not None:
                gate.wait(5)
            if report(epoch):
                return None
        return count

    return work


def test_result_is_kept_and_served():
    runner = JobRunner(max_results=4)
    assert runner.result("a") is None and runner.job("a") is None
    job = runner.submit("a", epochs(3), "three epochs")
    assert job.wait(5) and job.state == "done"
    assert job.logs == [1, 2, 3] and job.result == 3
    assert runner.result("a") == 3 and runner.job("a") is None and runner.active() == []
    again = runner.submit("a", lambda report: pytest.fail("trained twice"))
    assert again.finished and again.result == 3


def test_same_key_at_once_is_worked_once():
    runner = JobRunner(max_results=4)
    gate = threading.Event()
    calls = []

    def work(report):
        calls.append(1)
        return epochs(2, gate)(report)

    with ThreadPoolExecutor(8) as pool:
        jobs = list(pool.map(lambda _: runner.submit("k", work, "shared"), range(8)))
    assert len({id(job) for job in jobs}) == 1
    assert [job.label for job in runner.active()] == ["shared"]
    gate.set()
    assert jobs[0].wait(5)
    assert len(calls) == 1 and runner.result("k") == 2


def test_jobs_queue_one_at_a_time():
    runner = JobRunner(max_results=4)
    gate = threading.Event()
    first = runner.submit("first", epochs(1, gate))
    second = runner.submit("second", epochs(1))
    assert not second.wait(0.3) and second.state == "queued"
    gate.set()
    assert second.wait(5) and first.finished


def test_stopped_job_keeps_nothing():
    runner = JobRunner(max_results=4)
    first_epoch_done, gate = threading.Event(), threading.Event()

    def work(report):  # stopped in the middle of its run
        report(1)
        first_epoch_done.set()
        return epochs(100, gate)(report)

    job = runner.submit("s", work)
    assert first_epoch_done.wait(5) and job.state == "running"
    job.stop()
    gate.set()
    assert job.wait(5)
    assert job.state == "stopped" and job.result is None and job.logs == [1, 1]
    assert runner.result("s") is None and runner.job("s") is None
    assert runner.submit("s", epochs(2)).wait(5) and runner.result("s") == 2


def test_failed_job_reports_and_keeps_nothing():
    runner = JobRunner(max_results=4)

    def broken(report):
        report(1)
        raise RuntimeError("out of memory")

    job = runner.submit("f", broken)
    assert job.wait(5)
    assert job.state == "failed" and job.error == "RuntimeError: out of memory"
    assert runner.result("f") is None and runner.job("f") is None
    assert runner.submit("f", epochs(1)).wait(5) and runner.result("f") == 1  # the queue still works


def test_results_are_bounded_least_recently_used_first():
    runner = JobRunner(max_results=2)
    for key in ("a", "b"):
        runner.submit(key, epochs(1)).wait(5)
    assert runner.result("a") == 1  # "a" is now the most recently used
    runner.submit("c", epochs(1)).wait(5)
    assert len(runner) == 2
    assert runner.result("b") is None and runner.result("a") == 1 and runner.result("c") == 1
    runner.clear()
    assert len(runner) == 0 and runner.result("a") is None
