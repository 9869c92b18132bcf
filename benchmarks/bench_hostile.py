"""Benchmark: what a hostile visitor costs the public demo (issue 23), before and after.

1. Sweep links, opened on the Sweep page (AppTest, in a process of its own per link and revision):
   the server's CPU seconds and resident memory before, at its peak and after the session is gone.
   The issue's links: epochs 1..200 x 200 learning rates (40,000 grid points), and the sine with
   n=5000, time_steps=200 over epochs 1..61; and that sine over epochs 1..20, which a link may
   carry now. The code before is revision `BEFORE`, run from a copy made with `git archive`; a run
   past `--ceiling-mb` is stopped and said so.
2. The queue: six sessions of one visitor queue a 45-59 s job each, then a seventh visitor a 1 s
   job; a class whose students press 2 s jobs (one every 10 s on average) while that visitor keeps
   six 50 s jobs queued for ten minutes; and a rush of 2 s jobs beyond what the worker can run, with
   one 50 s job among them. Simulated with the runner's own order (`jobs.due`) against
   first come, first served (the order before), shortest first without ageing, and other factors;
   each job runs for its estimate.

    python -m benchmarks.bench_hostile      (from the repository root; a few minutes)
"""

from __future__ import annotations

import argparse
import gc
import heapq
import itertools
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from benchmarks import ROOT, revision_tree

BEFORE = "3655f8c"  # the last revision before the sweep's caps, the queue's order and the CPU limit
LINKS = {
    "40,000 grid points": {
        "sweep": "epochs",
        "values": ",".join(str(epochs) for epochs in range(1, 201)),
        "sweep2": "learning_rate",
        "values2": ",".join(f"{(i + 1) / 201:.6f}" for i in range(200)),
    },
    **{
        f"sine n=5000, {points} points": {
            "series": "sine",
            "n": "5000",
            "time_steps": "200",
            "sweep": "epochs",
            "values": ",".join(str(epochs) for epochs in range(1, points + 1)),
        }
        for points in (61, 20)  # the issue's, and the most a link may carry now
    },
}


def open_link(name: str) -> None:
    """In this process (a checkout's root as the working folder): open `name`'s link; print the figures."""
    from streamlit.testing.v1 import AppTest

    process = psutil.Process()
    peak = [0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.02)

    script = str(Path.cwd() / "app.py")
    AppTest.from_file(script, default_timeout=600).run()  # the app loaded, as a server that has served a page
    app = AppTest.from_file(script, default_timeout=3600)  # a new visitor, who opens the link
    gc.collect()
    before, cpu = process.memory_info().rss, time.process_time()
    threading.Thread(target=sample, daemon=True).start()
    started = time.perf_counter()
    app.query_params.update(LINKS[name])
    app.switch_page("app_pages/5_Sweep.py").run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    said = [element.value for kind in ("error", "warning") for element in getattr(app, kind)]
    del app
    gc.collect()
    after = process.memory_info().rss
    print(json.dumps({"cpu": cpu, "wall": seconds, "before": before, "peak": peak[0], "after": after,
                      "said": said}))  # fmt: skip


def measure_link(name: str, tree: Path, ceiling_mb: float) -> dict:
    """Open `name`'s link with the code of `tree` in a child process; stopped past `ceiling_mb`."""
    # this file, run in `tree`, which the child imports fibdash from (a revision before has no such file)
    opening = (
        f"import runpy, sys; sys.argv = ['', '--open', {name!r}]; "
        f"runpy.run_path({__file__!r}, run_name='__main__')"
    )
    quiet = {"stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL, "text": True}
    child = subprocess.Popen([sys.executable, "-c", opening], cwd=tree, **quiet)
    process, largest, started = psutil.Process(child.pid), 0.0, time.perf_counter()
    while child.poll() is None:
        try:
            largest = max(largest, process.memory_info().rss / 2**20)
        except psutil.Error:
            break
        if largest > ceiling_mb:
            child.kill()
            child.wait()
            return {"stopped": True, "peak_mb": largest, "wall": time.perf_counter() - started}
        time.sleep(0.05)
    return json.loads(child.stdout.read().strip().splitlines()[-1])


def links(ceiling_mb: float) -> None:
    print("1. Sweep links: the server while the page opens (CPU s, resident MB: before -> peak, after)")
    with revision_tree(BEFORE) as before:
        for name in LINKS:
            for revision, tree in ((BEFORE, before), ("now", ROOT)):
                got = measure_link(name, tree, ceiling_mb)
                if got.get("stopped"):
                    stopped = f"stopped past {got['peak_mb']:.0f} MB after {got['wall']:.0f} s"
                    print(f"   {name}, {revision}: {stopped}")
                    continue
                mb = {key: got[key] / 2**20 for key in ("before", "peak", "after")}
                said = got["said"][0][:160] if got["said"] else "nothing refused"
                print(
                    f"   {name}, {revision}: {got['cpu']:.1f} s CPU, {got['wall']:.1f} s; "
                    f"{mb['before']:.0f} -> {mb['peak']:.0f} MB, {mb['after']:.0f} MB once closed\n"
                    f"      the page says: {said}"
                )


# --- the queue, simulated -------------------------------------------------------------------------

Order = Callable[[float, float], float]  # (queued at, estimated seconds) -> the queue's sort key
HORIZON = 600.0  # seconds of a class


def simulate(arrivals: list[tuple[float, float, str]], order: Order, again: bool) -> list[tuple[str, float]]:
    """One worker runs `arrivals` (queued at, seconds, who) in `order`, each job for its estimate; with
    `again`, each "long" job is queued again as it ends, until HORIZON. (who, seconds waited) per job."""
    pending = sorted(arrivals)
    queue: list[tuple[float, int, float, float, str]] = []
    done, now, count = [], 0.0, itertools.count()
    while pending or queue:
        while pending and pending[0][0] <= now:
            at, seconds, who = heapq.heappop(pending)
            heapq.heappush(queue, (order(at, seconds), next(count), at, seconds, who))
        if not queue:
            now = pending[0][0]
            continue
        _, _, at, seconds, who = heapq.heappop(queue)
        done.append((who, now - at))
        now += seconds
        if again and who == "long" and now < HORIZON:
            heapq.heappush(pending, (now, seconds, who))
    return done


def six_sessions_then_one() -> list[tuple[float, float, str]]:
    """The issue's: six long jobs from six sessions of one visitor, then a seventh visitor's 1 s job."""
    return [(float(i), 45.0 + 2.8 * i, "long") for i in range(6)] + [(20.0, 1.0, "short")]


def a_class(seed: int = 0) -> list[tuple[float, float, str]]:
    """Ten minutes of students' 2 s jobs, one every 10 s on average, and six sessions of one visitor
    with a 50 s job each, each queued again as soon as it has run."""
    rng = random.Random(seed)
    jobs, now = [], 0.0
    while now < HORIZON:
        now += rng.expovariate(1 / 10)
        jobs.append((now, 2.0, "short"))
    return jobs + [(float(i), 50.0, "long") for i in range(6)]


def a_rush() -> list[tuple[float, float, str]]:
    """Ten minutes of 2 s jobs, one every 1.9 s, more than the worker can run: one 50 s job queued
    among them at the start is starved by shortest first for as long as the rush lasts."""
    return [(1.9 * i, 2.0, "short") for i in range(int(HORIZON / 1.9))] + [(1.0, 50.0, "long")]


def queue() -> None:
    from fibdash.serving.jobs import DUE_FACTOR, due

    orders: dict[str, Order] = {"first come, first served (before)": lambda at, seconds: at}
    for factor in (1, 2, 4, 8, 16):
        orders[f"due at {factor:g}x the estimate"] = lambda at, seconds, factor=factor: at + factor * seconds
    orders["shortest first, no ageing"] = lambda at, seconds: (seconds, at)
    orders[f"jobs.due (DUE_FACTOR {DUE_FACTOR:g}, now)"] = due
    print("2. The queue, simulated: each job runs for its estimate")
    for scenario, arrivals, again in (
        ("six 45-59 s jobs, then a 1 s job", six_sessions_then_one(), False),
        ("a class's 2 s jobs beside six 50 s jobs queued again and again", a_class(), True),
        ("a rush of 2 s jobs, more than the worker runs, and one 50 s job", a_rush(), False),
    ):
        print(f"   {scenario}:")
        for name, order in orders.items():
            done = simulate(arrivals, order, again)
            short = sorted(waited for who, waited in done if who == "short")
            long = sorted(waited for who, waited in done if who == "long")
            print(
                f"      {name:38s} short jobs wait: median {short[len(short) // 2]:4.0f} s, "
                f"longest {short[-1]:4.0f} s; long jobs: median {long[len(long) // 2]:4.0f} s, "
                f"longest {long[-1]:4.0f} s, {len(long)} run"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", help=argparse.SUPPRESS)  # the child process of one link
    parser.add_argument("--ceiling-mb", type=float, default=12_000, help="stop a link's process past this")
    args = parser.parse_args()
    if args.open:
        open_link(args.open)
        return
    links(args.ceiling_mb)
    queue()


if __name__ == "__main__":
    main()
