"""The worker process: calls, progress, both lanes at once, failures and death."""

import multiprocessing
import os
import signal
import sys
import time
import types

import numpy as np
import pytest

from fibdash.config import TrainConfig
from fibdash.serving.worker import Worker, WorkerDiedError, WorkerError
from fibdash.spawn import main_script_left_alone
from tests import work


@pytest.fixture(scope="module")
def worker():
    worker = Worker()
    assert worker.ready.wait(60)
    yield worker
    worker.kill()


def test_a_job_reports_progress_and_returns_its_result(worker):
    seen = []
    _, future = worker.submit(work.count_epochs, 3, 0.01, on_progress=seen.append)
    assert future.result(30) == 3
    assert seen == [1, 2, 3]


def test_work_runs_in_another_process(worker):
    assert worker.call(work.process_id).result(30) == worker.pid != os.getpid()


def test_a_quick_call_runs_beside_a_long_job(worker):
    _, job = worker.submit(work.long_epoch, 2.0)
    started = time.monotonic()
    assert worker.call(work.echo, "now").result(30) == "now"
    assert time.monotonic() - started < 1.5 and not job.done()
    assert job.result(30) == "finished"


def test_stop_is_seen_at_the_next_report(worker):
    seen = []
    call_id, future = worker.submit(work.count_epochs, 1000, 0.02, on_progress=seen.append)
    deadline = time.monotonic() + 30
    while not seen:  # a worker that never reports fails here, not by hanging the suite
        assert time.monotonic() < deadline, "no epoch reported within 30 s"
        time.sleep(0.01)
    worker.stop(call_id)
    assert future.result(30) is None and len(seen) < 1000


def test_an_exception_comes_back_with_its_traceback(worker):
    _, future = worker.submit(work.fail_after_one_epoch)
    with pytest.raises(WorkerError, match="RuntimeError: out of memory") as raised:
        future.result(30)
    assert "fail_after_one_epoch" in raised.value.remote_traceback
    assert worker.call(work.echo, 1).result(30) == 1  # the worker goes on


def test_a_result_that_cannot_be_sent_is_an_error_not_a_hang(worker):
    _, future = worker.submit(work.unpicklable_result)
    with pytest.raises(WorkerError, match="could not be sent back"):
        future.result(30)


def test_kill_minus_nine_fails_every_call_in_flight():
    worker = Worker()
    _, job = worker.submit(work.long_epoch, 30.0)
    quick = worker.call(work.slow_echo, 1, 30.0)
    time.sleep(0.5)
    os.kill(worker.pid, signal.SIGKILL)
    for future in (job, quick):
        with pytest.raises(WorkerDiedError, match="killed by signal 9"):
            future.result(10)
    assert not worker.alive
    with pytest.raises(WorkerDiedError):  # later calls fail at once rather than hang
        worker.call(work.echo, 1).result(10)


def test_a_pair_trained_in_the_worker_is_the_pair_trained_in_this_process(worker):
    """What the dashboard shows (trained in the worker) is what the engine gives here, seed for seed."""
    from fibdash.data import make_dataset
    from fibdash.engine.training import train_pair
    from fibdash.serving import tasks

    config = TrainConfig.from_values({"n": 60, "epochs": 3, "seed": 4})
    windows = make_dataset(config.data).windows()
    steps = []
    _, future = worker.submit(tasks.train_pair, config, windows, on_progress=steps.append)
    there = future.result(120)
    here = train_pair(config, windows)
    assert [log.epoch for log in steps] == [1, 1, 2, 2, 3, 3]  # both models' progress, live
    for kind, result in here.items():
        assert there[kind].loss_history == result.loss_history
        assert there[kind].test_mse_history == result.test_mse_history
        np.testing.assert_array_equal(there[kind].predictions, result.predictions)
        assert there[kind].steps == result.steps
        assert set(there[kind].importance) == {"occlusion", "gradient"} and there[kind].versions
    np.testing.assert_array_equal(there["attention"].attention, here["attention"].attention)


def test_a_child_started_while_a_page_installs_its_script_as_main_does_not_run_it(tmp_path, monkeypatch):
    """Streamlit installs each page run's script as a new `__main__`, in any thread: a worker started
    just then (the dispatcher replacing a dead one) ran the whole app again, and died (exit code 1)."""
    script = tmp_path / "app.py"
    script.write_text("raise SystemExit(7)  # the app, run again in the child\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    with main_script_left_alone():
        monkeypatch.setitem(sys.modules, "__main__", page)  # a page's run starts meanwhile
        child = multiprocessing.get_context("spawn").Process(target=os.getpid)
        child.start()
    child.join(60)
    assert child.exitcode == 0
