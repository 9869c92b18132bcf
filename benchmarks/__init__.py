"""Speed and memory benchmarks; each prints its figures next to a reference measured in the same run.

The speed benchmarks also run the code as it was before (`BEFORE`, the last revision with the XLA
training engine on TensorFlow), from a copy of that revision made with `git archive`, so that before
and after are measured in the same run.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "52dcb80"


@contextmanager
def revision_tree(revision: str = BEFORE) -> Iterator[Path]:
    """A temporary copy of the repository at `revision`, without its history."""
    with tempfile.TemporaryDirectory(prefix=f"fibdash-{revision}-") as folder:
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield Path(folder)


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
