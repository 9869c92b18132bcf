import os
import time
from pathlib import Path

import pytest

from fibdash.config import DataConfig, TrainConfig


@pytest.fixture
def small_config() -> TrainConfig:
    """A few epochs on a short series: seconds, not minutes."""
    return TrainConfig(data=DataConfig(n=80, time_steps=6), epochs=4)


# This test process is the pages' server, and it also trains in-process for the engine's tests:
# its memory is no guide to a server's, so the memory ceiling is tested on its own (test_jobs).
os.environ["FIBDASH_MEMORY_CEILING_MB"] = "none"

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"n": 60, "epochs": 2}  # 40 windows, 2 epochs: a page trains in a few seconds


@pytest.fixture
def app():
    """A fresh AppTest of the dashboard with empty caches, and the server's shared job runner.

    The runner (and its worker process) lives as long as the test session, as on a server.
    `app.jobs()` counts the jobs it has started since the test began.
    """
    from streamlit.testing.v1 import AppTest

    from streamlit_glue import show, work

    runner = work.runner()
    settled_server(runner)
    runner.clear()
    show.dataset.clear()
    started = runner.jobs_started
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.jobs = lambda: runner.jobs_started - started
    yield at
    runner.clear()


def settled_server(runner, timeout: float = 300) -> None:
    """Wait until `runner` has queued and trained the server's own jobs: a fresh server's runner trains the
    tutorial's runs as it starts (`work.runner`), and a test then starts from a store it clears."""
    assert runner.own_jobs_queued.wait(timeout)
    deadline = time.monotonic() + timeout
    while runner.active():
        assert time.monotonic() < deadline, "the server's own jobs did not finish in time"
        time.sleep(0.05)


def open_page(at, page: str, **widgets):
    """Run `page`, then type each keyed setting's value into its box, one rerun each, like a user."""
    at.switch_page(page).run()
    for key, value in widgets.items():
        at.text_input(key=key).input(str(value)).run()
    return at


def finish_jobs(at, timeout: float = 300):
    """Wait until the server's jobs have ended, then rerun the page, as its live display would."""
    from streamlit_glue import work

    deadline = time.monotonic() + timeout
    while work.runner().active():
        assert time.monotonic() < deadline, "jobs did not finish in time"
        time.sleep(0.05)
    return at.run()


def press(at, key: str):
    """Press a keyed button and wait for the work it started."""
    at.button(key=key).click().run()
    return finish_jobs(at)


def said(at, key: str, kind: str = "caption") -> list[str]:
    """The texts of every `kind` element (caption, error, info, success, warning, markdown) inside the
    page's container keyed `key`; empty if there is no such container."""
    try:
        block = at.get_by_key(key)
    except KeyError:
        return []
    return [element.value for element in getattr(block, kind)]


def metrics(at, key: str) -> dict[str, str]:
    """The metrics inside the container keyed `key`, by label."""
    return {metric.label: metric.value for metric in at.get_by_key(key).metric}


def table(at, key: str):
    """The table in the container keyed `key`, as a pandas DataFrame."""
    return at.get_by_key(key).dataframe[0].value


def plotted(values):
    """A trace's values as a chart's JSON holds them: a list, or Plotly's typed array (base64 bytes of a
    dtype, with a shape where it has two axes), as float64."""
    import base64

    import numpy as np

    if not isinstance(values, dict):
        return np.asarray(values, dtype=np.float64)
    array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    shape = values.get("shape")
    return array.reshape([int(n) for n in str(shape).split(",")] if shape else -1).astype(np.float64)
