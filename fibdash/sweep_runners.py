"""Where a sweep's grid points run, besides one after another in the calling process: in a few local
processes, or as Ray tasks on a cluster. Each is a `PointRunner` for `fibdash.analysis.sweep.run_sweep`;
the points give the same numbers wherever they run (`study_point` is a plain function of its inputs).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from fibdash.analysis.sweep import GridPoint, PointResult, PointRunner, study_point
from fibdash.spawn import main_script_left_alone

RAY_RETRIES = 3  # how often Ray reruns a grid point whose worker was lost


def in_processes(jobs: int) -> PointRunner:
    """Run grid points in `jobs` local processes at once, each loading the engine itself."""

    def run(points: Sequence[GridPoint], seeds: int) -> Iterator[PointResult]:
        # spawned, not forked: a fork of a process whose OpenMP threads have started can hang
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        try:
            with main_script_left_alone():  # submit starts the processes
                futures = [pool.submit(study_point, point, seeds) for point in points]
            for future in as_completed(futures):
                yield future.result()
        finally:
            pool.shutdown(cancel_futures=True)

    return run


def start_ray(address: str | None = None, **init_args: Any) -> None:
    """Connect to the Ray cluster at `address` (else where `ray.init()` finds one), shipping this package.

    Without an address Ray reads RAY_ADDRESS, else joins a cluster `ray start` began on this
    machine, else starts a local one (`init_args` such as num_cpus=2 are for that case). Workers
    get this package from the driver, so it need not be installed on the cluster; the packages
    it needs must be. Nothing happens if Ray is connected already.
    """
    import ray

    if not ray.is_initialized():  # Ray ships a local package only for a whole job, not per task
        ray.init(address=address, runtime_env={"py_modules": [str(Path(__file__).parent)]}, **init_args)


def on_ray(address: str | None = None) -> PointRunner:
    """Run grid points as Ray tasks (see `start_ray`), gathered as they finish; lost workers' points rerun."""

    def run(points: Sequence[GridPoint], seeds: int) -> Iterator[PointResult]:
        import ray

        start_ray(address)
        task = ray.remote(max_retries=RAY_RETRIES)(study_point)
        pending = [task.remote(point, seeds) for point in points]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            yield ray.get(ready[0])

    return run
