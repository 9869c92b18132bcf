"""Benchmark: start-up and memory of the real server, measured from a browser.

Starts `streamlit run app.py` on a free port and, with headless Chromium:
1. times the home page from the moment the server answers its health check until its title
   has rendered (a new browser session, as a first visitor);
2. reads the server's resident memory idle, after training the tutorial config through the
   Train page and drawing its Compare page, after training 10 more configs (more than the
   result cache keeps, so its bound has to hold memory flat), and after two configs that
   change the architecture, each of which costs a new compiled program.

    python -m benchmarks.bench_server      (from the repository root)

Targets: home page in under 3 s; at most 1 GB after the tutorial config; at most 10% more after
10 more configs.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser import go, launch, resident_mb, set_widget, settled, streamlit_server, train

# Ten more configs as users vary them, each change on top of the ones before: eight more
# results than the cache keeps, so its bound must hold memory flat.
MORE_CONFIGS = [
    {"Seed": 1},
    {"Seed": 2},
    {"Learning rate (Adam)": 0.01},
    {"Epochs": 10},
    {"Fibonacci numbers n": 1000},
    {"Training fraction": 0.8},
    {"Scaling": "log-minmax"},
    {"Seed": 3},
    {"Fibonacci numbers n": 600},
    {"Scaling": "none", "Fibonacci numbers n": 150},
]
# Then configs with another architecture: TensorFlow compiles a new XLA program for each, and
# keeps every program it compiled until the process ends.
NEW_ARCHITECTURES = [{"Hidden units": 4}, {"Recurrent cell": "GRU"}]


def train_each(tab, pid: int, changes: list[dict]) -> None:
    for change in changes:
        for label, value in change.items():
            set_widget(tab, label, value)
        train(tab)
        print(f"  after {change}: {resident_mb(pid):.0f} MB", flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch(playwright)
        with streamlit_server(Path(folder) / "server.log") as server:
            up = time.perf_counter()
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.set_default_timeout(300_000)
            tab.goto(server.url)
            tab.get_by_role("heading", name="fibdash").wait_for()
            home_seconds = time.perf_counter() - up
            settled(tab)
            pid = server.process.pid
            idle = resident_mb(pid)

            go(tab, "Train")
            started = time.perf_counter()
            train(tab)
            tutorial_seconds = time.perf_counter() - started
            go(tab, "Compare")
            tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
            tutorial = resident_mb(pid)

            go(tab, "Train")
            train_each(tab, pid, MORE_CONFIGS)
            go(tab, "Compare")
            tab.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7")
            more = resident_mb(pid)
            go(tab, "Train")
            train_each(tab, pid, NEW_ARCHITECTURES)
            architectures = resident_mb(pid)
        browser.close()

    print(f"home page rendered {home_seconds:.2f} s after the server was up (target: under 3 s)")
    print(f"tutorial config trained through the UI in {tutorial_seconds:.1f} s (both models)")
    print(f"server memory (RSS): idle {idle:.0f} MB, after the tutorial config {tutorial:.0f} MB (max 1024)")
    print(
        f"after {len(MORE_CONFIGS)} more configs: {more:.0f} MB, {more / tutorial - 1:+.1%} on the tutorial "
        "config (target: at most +10%)"
    )
    per_architecture = (architectures - more) / len(NEW_ARCHITECTURES)
    print(
        f"after {len(NEW_ARCHITECTURES)} new architectures too: {architectures:.0f} MB, "
        f"{per_architecture:.0f} MB per architecture (XLA programs TensorFlow never frees)"
    )


if __name__ == "__main__":
    main()
