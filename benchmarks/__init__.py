"""Speed and memory benchmarks; each prints its figures next to a reference measured in the same run:
Keras' own `fit` (`fibdash.keras.reference`), the C floor (`floor.c`) or a stated target."""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_process(command: list[str], cwd: Path) -> dict:
    """Run `command` in `cwd` as a whole process: its wall and CPU (user + system) seconds and output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall": wall, "cpu": cpu, "stdout": out.stdout}


def median(values: list[float]) -> float:
    return statistics.median(values)
