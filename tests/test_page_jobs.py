"""How a page follows its jobs: every way one ends is said, however fast, and a queued job's place and
wait are said as the queue stands."""

import pytest

from fibdash.config import DataConfig, TrainConfig
from fibdash.serving import kinds, tasks
from streamlit_glue import work
from tests import work as jobs
from tests.conftest import SMALL, finish_jobs, open_page, said
from tests.test_jobs import wait_for

PAGE = "app_pages/2_Train.py"


@pytest.mark.parametrize(
    ("ending", "said_so"),
    [
        ("raises", "The training failed: RuntimeError: out of memory. Change the configuration"),
        ("worker dies", "The training failed: the training process stopped unexpectedly"),
        ("memory ceiling", "The training failed: it needed more memory than this server allows"),
        ("processor time", "The training failed: it needed more than 0 s of processor time"),
    ],
)
def test_a_job_that_ends_within_its_press_is_said(app, monkeypatch, ending, said_so):
    """The issue's job killed 0.2 s after the press left 'not trained yet' and no word: the press waits
    half a second, and a job ended by then was never followed live, where endings were said."""
    runner = work.runner()
    function = {"raises": jobs.fails_at_once, "worker dies": jobs.exits_at_once}.get(ending, jobs.burns_on)
    monkeypatch.setattr(tasks, "train_pair", function)
    if ending == "memory ceiling":
        monkeypatch.setattr(runner, "memory_ceiling_mb", 1.0)
    if ending == "processor time":
        monkeypatch.setattr(kinds.Work, "cpu_limit", 0.0)
    wait_for(runner.worker_ready, timeout=120)  # the job is the only thing the worker does
    open_page(app, PAGE, **SMALL)
    app.button(key="train").click().run()
    finish_jobs(app)
    assert said(app, "job", "error")[0].startswith(said_so), said(app, "job", "error")
    assert "not been trained yet" in said(app, "job", "info")[0] and app.jobs() == 1
    open_page(app, "app_pages/3_Compare.py")  # said on the pages that follow the same work, as long as it is
    assert said(app, "job", "error")[0].startswith(said_so)
    monkeypatch.undo()
    app.button(key="train").click().run()  # pressed again, it trains, and the error goes
    finish_jobs(app)
    assert not said(app, "job", "error") and app.jobs() == 2


def test_a_queued_job_says_its_place_and_wait_as_the_queue_stands(app):
    """A short job queued behind a running long one and a queued long one goes first, and says so."""
    runner = work.runner()
    running = runner.submit("running", jobs.count_epochs, (600, 0.05), "running", "a", seconds=50.0)
    wait_for(lambda: running.logs)
    long = runner.submit("long", jobs.count_epochs, (600, 0.05), "a long job", "b", seconds=45.0)
    try:
        open_page(app, PAGE, **SMALL)
        app.button(key="train").click().run()
        queued = said(app, "job")[-1]
        assert queued.startswith(":material/hourglass_top: Queued: 1 job ahead of yours (yours is number 2)")
        wait = int(queued.split("It should start in about ")[1].split(" s")[0])
        assert 50 - running.seconds_running() - 2 <= wait <= 50, queued  # the running job's remainder
        sidebar = [caption.value for caption in app.sidebar.caption]
        assert any("a long job (queued, number 3, starts in about" in text for text in sidebar), sidebar
        assert runner.position(long) == 2
    finally:
        for job, session in ((long, "b"), (running, "a")):
            runner.stop(job, session)
    finish_jobs(app)
    assert not app.exception and not said(app, "job", "error")


@pytest.mark.parametrize(
    ("settings", "config", "curves"),
    [
        (SMALL, TrainConfig(data=DataConfig(n=60), epochs=2), False),
        ({"epochs": 1000}, TrainConfig(epochs=1000), True),
    ],
)
def test_a_jobs_progress_draws_bars_and_loss_curves_only_for_a_job_longer_than_a_short_one(
    app, monkeypatch, settings, config, curves
):
    """A short job's progress (the tutorial's pair, a class's seeds) is a line of text: the curves, redrawn
    every second for each session following it, were a third of the server's work for a class of 12, and
    the bars' sliding half of its 12 tabs' processor time while they waited."""
    monkeypatch.setattr(tasks, "train_pair", jobs.first_epoch_on_and_on)
    monkeypatch.setattr(work, "PRESS_WAIT_SECONDS", 1.0)  # the press waits no longer: the job is followed
    runner = work.runner()
    wait_for(runner.worker_ready, timeout=120)
    pressed = work.pair(config)
    assert (pressed.seconds > work.SHORT_SECONDS) == curves
    open_page(app, PAGE, **settings)
    app.button(key="train").click().run()
    job = runner.job(pressed.key)
    wait_for(lambda: len(job.logs) >= 2)
    app.run()
    epochs = ["RNN: epoch 1/30, loss 0.5", "RNN + attention: epoch 1/30, loss 0.5"]
    bars = [bar.proto.text for bar in app.get_by_key("job").get("progress")]
    assert bars == (epochs if curves else []), bars
    assert (" · ".join(epochs) in said(app, "job", "caption")) != curves
    assert bool(app.get_by_key("job").get("plotly_chart")) == curves
    app.button(key="stop_job").click().run()
    finish_jobs(app)
    assert said(app, "job", "warning") == [work.STOPPED_HERE]


def test_a_short_job_kept_waiting_is_shown_done_by_the_run_of_its_press(app, monkeypatch):
    """A class's job, its tab on cores 12 browsers share, waited 2 s in its press, then was followed by the
    tab's timed reruns, which saw it end seconds late: a short job is waited for in the press's own run,
    which draws the page again with the result as soon as it ends."""
    monkeypatch.setattr(tasks, "train_pair", jobs.pair_after_pause)  # 3 s, past the press's old 2 s
    runner = work.runner()
    wait_for(runner.worker_ready, timeout=120)
    open_page(app, PAGE, **SMALL)
    assert work.pair(TrainConfig(data=DataConfig(n=60), epochs=2)).seconds <= work.SHORT_SECONDS
    app.button(key="train").click().run()
    assert said(app, "trained", "success")[0].startswith("Trained: results below"), said(app, "job")
    assert len(app.get_by_key("model_rnn").metric) == 4 and not app.exception
