"""How a page follows its jobs: a queued job's place and wait are said as the queue stands."""

from streamlit_glue import work
from tests import work as jobs
from tests.conftest import SMALL, finish_jobs, open_page, said
from tests.test_jobs import wait_for

PAGE = "app_pages/2_Train.py"


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
