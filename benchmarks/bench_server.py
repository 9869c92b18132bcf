"""Benchmark: the real server and its worker process, driven from headless Chromium.

Starts `streamlit run app.py` on a free port (with the public demo's default settings, except
where a step says otherwise) and measures:
1. the home page, from the moment the server answers its health check until its title has
   rendered in a new browser session, as a first visitor;
2. resident memory of the server alone, idle and after the tutorial config was trained through
   the Train page and drawn on the Compare page; of the server plus its worker then;
3. the peak of server plus worker, sampled every 50 ms, while 40 distinct architectures are
   trained in a row (time steps 5 to 44, one epoch each; n=200): every one compiles new XLA
   programs that TensorFlow never frees, so the worker must be replaced as it grows;
4. from pressing Stop in the middle of a long epoch (n=1474, 300 time steps, LSTM with 64
   units, on a server whose work budget is lifted) until the training's process is gone and
   the CPU is idle again, and until a fresh worker is ready;
5. a load run: 12 browser sessions each asking a different small config at the same moment;
   whether all finish with their own numbers, and the time until the last result.

    python -m benchmarks.bench_server      (from the repository root; about five minutes)

Targets: home page under 2 s; server alone a few hundred MB; server plus worker at most 1.5 GB
throughout.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

from tests.browser import go, launch, settled, streamlit_server, train, worker_process

CEILING_MB = 1500
SESSIONS = 12


def resident_mb(process: psutil.Process | None) -> float:
    try:
        return process.memory_info().rss / 2**20 if process is not None else 0.0
    except psutil.Error:
        return 0.0


def total_mb(server_pid: int) -> float:
    return resident_mb(psutil.Process(server_pid)) + resident_mb(worker_process(server_pid))


@contextmanager
def peak_memory(server_pid: int):
    """Sample server plus worker every 50 ms while the block runs; yields a dict with the peak."""
    seen = {"peak": 0.0, "workers": set()}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            worker = worker_process(server_pid)
            if worker is not None:
                seen["workers"].add(worker.pid)
            seen["peak"] = max(seen["peak"], total_mb(server_pid))
            done.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def open_tab(browser, url: str):
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.set_default_timeout(600_000)
    tab.goto(url)
    settled(tab)
    return tab


def wait_worker_ready(server_pid: int, timeout: float = 180) -> float:
    """Seconds until the server's worker has finished warming up (its CPU falls idle)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        worker = worker_process(server_pid)
        if worker is not None and resident_mb(worker) > 500 and worker.cpu_percent(0.5) < 5:
            return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError("the worker never became idle")


def memory_and_home(browser, folder: Path) -> None:
    with streamlit_server(folder / "server.log") as server:
        up = time.perf_counter()
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(600_000)
        tab.goto(server.url)
        tab.get_by_role("heading", name="fibdash").wait_for()
        home_seconds = time.perf_counter() - up
        settled(tab)
        pid = server.process.pid
        server_idle = resident_mb(psutil.Process(pid))
        print(f"home page rendered {home_seconds:.2f} s after the server was up (target: under 2 s)")
        wait_worker_ready(pid)
        print(
            f"idle: server {server_idle:.0f} MB; worker warmed up {resident_mb(worker_process(pid)):.0f} MB",
            flush=True,
        )

        go(tab, "Train")
        started = time.perf_counter()
        train(tab)
        tutorial_seconds = time.perf_counter() - started
        go(tab, "Compare")
        tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
        server_mb, worker_mb = resident_mb(psutil.Process(pid)), resident_mb(worker_process(pid))
        print(f"tutorial config trained through the UI in {tutorial_seconds:.1f} s (both models)")
        print(
            f"after the tutorial config: server {server_mb:.0f} MB, worker {worker_mb:.0f} MB, "
            f"together {server_mb + worker_mb:.0f} MB (max {CEILING_MB})",
            flush=True,
        )

        with peak_memory(pid) as seen:
            started = time.perf_counter()
            for steps in range(5, 45):
                tab.goto(f"{server.url}/Train?n=200&time_steps={steps}&epochs=1")
                settled(tab)
                train(tab)
                if steps % 5 == 4:
                    print(f"  time steps {steps}: server + worker {total_mb(pid):.0f} MB", flush=True)
            seconds = time.perf_counter() - started
        print(
            f"40 architectures (time steps 5..44, one epoch each) in {seconds:.0f} s: peak of server + "
            f"worker {seen['peak']:.0f} MB (max {CEILING_MB}), {len(seen['workers'])} worker processes, "
            f"server alone at the end {resident_mb(psutil.Process(pid)):.0f} MB",
            flush=True,
        )


def stop_mid_epoch(browser, folder: Path) -> None:
    os.environ["FIBDASH_BUDGET_SECONDS"] = "none"  # a local server: this job is far over the demo's budget
    try:
        with streamlit_server(folder / "server-stop.log") as server:
            pid = server.process.pid
            url = f"{server.url}/Train?n=1474&time_steps=300&train_fraction=0.95&hidden_units=64&cell=LSTM"
            tab = open_tab(browser, url)  # the first visit starts the worker
            wait_worker_ready(pid)
            tab.get_by_role("button", name="Train both models").click()
            tab.get_by_text("Running for").wait_for()
            worker = worker_process(pid)
            time.sleep(12)  # compiled by now, and inside its first epoch of about 7 s or more
            busy = worker.cpu_percent(0.5)
            pressed = time.monotonic()
            tab.get_by_role("button", name="Stop training").click()
            worker.wait(30)
            gone = time.monotonic() - pressed
            while psutil.Process(pid).cpu_percent(0.1) > 10:  # the server itself settles too
                pass
            idle = time.monotonic() - pressed
            fresh = wait_worker_ready(pid)
        print(
            f"Stop in the middle of a long epoch (worker at {busy:.0f}% CPU): the training's process was "
            f"gone {gone:.2f} s after the click, the server idle after {idle:.2f} s; a fresh worker was "
            f"ready {fresh:.1f} s later (warmed up in the background)",
            flush=True,
        )
    finally:
        del os.environ["FIBDASH_BUDGET_SECONDS"]


def load(browser, folder: Path) -> None:
    with streamlit_server(folder / "server-load.log") as server:
        urls = [f"{server.url}/Train?n=60&epochs=3&seed={seed}" for seed in range(SESSIONS)]
        tabs = [open_tab(browser, url) for url in urls]  # the first visit starts the worker
        wait_worker_ready(server.process.pid)
        started = time.perf_counter()
        for tab in tabs:  # as close to the same moment as one browser can click
            tab.get_by_role("button", name="Train both models").click()
        finished = []
        for tab in tabs:
            tab.get_by_text("Trained: results below").wait_for()
            finished.append(time.perf_counter() - started)
        numbers = []
        for seed, tab in enumerate(tabs):
            settled(tab)
            caption = tab.locator('[data-testid="stCaptionContainer"]', has_text="Configuration:").first
            assert f"seed {seed}" in caption.inner_text(), caption.inner_text()
            numbers.append(tuple(tab.locator('[data-testid="stMetricValue"]').all_inner_texts()))
        distinct = len(set(numbers))
        print(
            f"load: {SESSIONS} sessions, each its own small config at once: {len(finished)} finished, "
            f"{distinct} distinct sets of numbers, each with its own seed; the last result after "
            f"{max(finished):.1f} s",
            flush=True,
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch(playwright)
        memory_and_home(browser, Path(folder))
        stop_mid_epoch(browser, Path(folder))
        load(browser, Path(folder))
        browser.close()


if __name__ == "__main__":
    main()
