"""Benchmark: the real server and its worker process, driven from headless Chromium.

Starts `streamlit run app.py` on a free port (the public demo's default settings, except where a step
says otherwise) and measures:
1. from `streamlit run` to the tutorial's scores on the Train page, Train pressed as soon as the page
   answers: with the engine's compile cache present, and with an empty one (a fresh container);
2. resident memory of the server and every child, idle after the tutorial's training was drawn on
   Compare, and whether any of them maps TensorFlow;
3. the peak of server plus children, sampled every 50 ms, while 30 distinct architectures train in a
   row (time steps 5 to 34, n=200, one epoch each), and how many worker processes that took;
4. from pressing Stop in the middle of a long epoch (a server without a work budget) until the
   training's process is gone, and until a fresh worker is ready;
5. load: 12 browser sessions press Train at once, each its own seed of the tutorial's configuration;
   whether all finish with their own numbers, and the time until the last result.

    python -m benchmarks.bench_server      (from the repository root; a few minutes)

Targets (issue 17, 2 cores): first scores within 5 s with the cache present; idle at most 450 MB with
no TensorFlow mapped; peak at most 550 MB over 30 architectures, the worker never replaced; the last
of 12 sessions' results within 8 s.
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

from tests.browser import go, launch, opened, settled, streamlit_server, train, worker_process

SESSIONS = 12
ARCHITECTURES = range(5, 35)


def resident_mb(process: psutil.Process | None) -> float:
    try:
        return process.memory_info().rss / 2**20 if process is not None else 0.0
    except psutil.Error:
        return 0.0


def family(server_pid: int) -> list[psutil.Process]:
    """The server and every process under it (its worker, multiprocessing's resource tracker)."""
    server = psutil.Process(server_pid)
    return [server, *server.children(recursive=True)]


def total_mb(server_pid: int) -> float:
    return sum(resident_mb(process) for process in family(server_pid))


def maps(processes: list[psutil.Process], library: str) -> bool:
    """Whether any of `processes` has a file of `library` (a part of its path) mapped."""
    for process in processes:
        try:
            if any(library in region.path for region in process.memory_maps()):
                return True
        except psutil.Error:
            continue
    return False


@contextmanager
def peak_memory(server_pid: int):
    """Sample server plus children every 50 ms while the block runs; yields the peak and the workers seen."""
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
    opened(tab)
    return tab


def wait_worker_ready(server_pid: int, timeout: float = 300) -> float:
    """Seconds until the server's worker has finished warming up (its CPU falls idle)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        worker = worker_process(server_pid)
        if worker is not None and worker.cpu_percent(0.3) < 5 and resident_mb(worker) > 50:
            return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError("the worker never became idle")


def first_scores(browser, folder: Path, cache: str) -> float:
    """Seconds from `streamlit run` to the tutorial's scores, Train pressed as soon as the page answers."""
    started = time.perf_counter()
    with streamlit_server(folder / f"server-{cache}.log") as server:
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(600_000)
        tab.goto(f"{server.url}/Train")
        tab.get_by_role("button", name="Train both models").click()
        tab.get_by_text("Trained: results below").wait_for()
        tab.locator('[data-testid="stMetricValue"]').nth(5).wait_for()
        return time.perf_counter() - started


def cold_and_warm(browser, folder: Path) -> None:
    """The first visitor's wait, on a fresh container (no compile cache) and on a warm one."""
    empty = tempfile.mkdtemp(prefix="fibdash-numba-")
    os.environ["NUMBA_CACHE_DIR"] = empty
    try:
        cold = first_scores(browser, folder, "cold")
        warm = first_scores(browser, folder, "warm")  # the same folder, filled by the run before
    finally:
        del os.environ["NUMBA_CACHE_DIR"]
    print(
        f"from `streamlit run` to the tutorial's scores, Train pressed at once: {warm:.1f} s with the "
        f"compile cache (target: at most 5 s), {cold:.1f} s with an empty one (a fresh container compiles)",
        flush=True,
    )


def memory(browser, folder: Path) -> None:
    with streamlit_server(folder / "server.log") as server:
        pid = server.process.pid
        tab = open_tab(browser, server.url)
        wait_worker_ready(pid)
        go(tab, "Train")
        train(tab)
        go(tab, "Compare")
        tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
        time.sleep(2)
        processes = family(pid)
        names = ["server", *(f"{process.name()} {process.pid}" for process in processes[1:])]
        each = ", ".join(
            f"{name} {resident_mb(process):.0f} MB" for name, process in zip(names, processes, strict=True)
        )
        print(
            f"idle after the tutorial's training, drawn on Compare: {total_mb(pid):.0f} MB in all "
            f"(target: at most 450), TensorFlow mapped: {maps(processes, 'tensorflow')}, the server maps "
            f"Numba's compiler: {maps(processes[:1], 'llvmlite')}; by process: {each}",
            flush=True,
        )
        with peak_memory(pid) as seen:
            started = time.perf_counter()
            for steps in ARCHITECTURES:
                tab.goto(f"{server.url}/Train?n=200&time_steps={steps}&epochs=1")
                opened(tab)
                train(tab)
            seconds = time.perf_counter() - started
        steps = f"time steps {ARCHITECTURES[0]}..{ARCHITECTURES[-1]}, one epoch each"
        print(
            f"{len(ARCHITECTURES)} architectures ({steps}) in {seconds:.0f} s through the UI: peak of "
            f"server + children {seen['peak']:.0f} MB (target: at most 550), {len(seen['workers'])} "
            f"worker process(es), TensorFlow mapped: {maps(family(pid), 'tensorflow')}",
            flush=True,
        )


def stop_mid_epoch(browser, folder: Path) -> None:
    os.environ["FIBDASH_BUDGET_SECONDS"] = "none"  # a local server: this job is far over the demo's budget
    try:
        with streamlit_server(folder / "server-stop.log") as server:
            pid = server.process.pid
            url = (
                f"{server.url}/Train?n=1474&time_steps=1400&train_fraction=0.9&hidden_units=128&cell=LSTM"
                "&epochs=2000"
            )
            tab = open_tab(browser, url)  # the first visit starts the worker
            wait_worker_ready(pid)
            tab.get_by_role("button", name="Train both models").click()
            tab.get_by_text("Running for").wait_for()
            worker = worker_process(pid)
            time.sleep(3)  # inside its first epoch, of tens of seconds
            busy = worker.cpu_percent(0.5)
            pressed = time.monotonic()
            tab.get_by_role("button", name="Stop the training").click()
            worker.wait(30)
            gone = time.monotonic() - pressed
            fresh = wait_worker_ready(pid)
        print(
            f"Stop in the middle of a long epoch (worker at {busy:.0f}% CPU): the training's process was "
            f"gone {gone:.2f} s after the click; a fresh worker was ready {fresh:.1f} s later",
            flush=True,
        )
    finally:
        del os.environ["FIBDASH_BUDGET_SECONDS"]


def load(browser, folder: Path) -> None:
    with streamlit_server(folder / "server-load.log") as server:
        # the tutorial's configuration, each session its own seed (none of them trained before)
        urls = [f"{server.url}/Train?seed={seed + 100}" for seed in range(SESSIONS)]
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
            assert f"seed {seed + 100}" in caption.inner_text(), caption.inner_text()
            numbers.append(tuple(tab.locator('[data-testid="stMetricValue"]').all_inner_texts()))
        print(
            f"load: {SESSIONS} sessions press Train at once, each its own seed of the tutorial's "
            f"configuration: {len(finished)} finished, {len(set(numbers))} distinct sets of numbers; the "
            f"last result after {max(finished):.1f} s (target: at most 8 s)",
            flush=True,
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch(playwright)
        cold_and_warm(browser, Path(folder))
        memory(browser, Path(folder))
        load(browser, Path(folder))
        stop_mid_epoch(browser, Path(folder))
        browser.close()


if __name__ == "__main__":
    main()
