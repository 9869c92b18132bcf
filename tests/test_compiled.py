"""The engine's compiled code that ships with its sources (fibdash/engine/compiled.py): that it is these
sources', that a fresh machine trains the app's jobs with it without compiling anything, the same numbers
as code compiled there, and that the cache follows every change of the engine's sources."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fibdash.engine import compiled

ROOT = Path(__file__).resolve().parents[1]

# A fresh process runs the worker's first jobs of a class (the tutorial's pair with what Compare asks of
# it, a study, a backtest, the variants study, the what-if, a trace) and prints the engine functions
# Numba compiled meanwhile, and the numbers it trained.
JOBS = """
import json
from dataclasses import replace
from numba.core import event

compiled = []


class Compiles(event.Listener):
    def on_start(self, event):
        compiled.append(event.data["dispatcher"].py_func.__qualname__)

    def on_end(self, event):
        pass


event.register("numba:compile", Compiles())
from fibdash.config import DataConfig, TrainConfig
from fibdash.data import fold_datasets, make_dataset
from fibdash.analysis.variants import trainings
from fibdash.serving import tasks

def report(item):
    pass

tutorial = TrainConfig()
windows = make_dataset(tutorial.data).windows()
pair = tasks.train_pair(tutorial, windows, report)
small = TrainConfig(data=DataConfig(n=80, split="backtest", folds=2), epochs=2, cell="LSTM", attention="self")
folds = tuple((replace(small, data=data.config), data.windows()) for data in fold_datasets(small.data))
tasks.train_folds(folds, report)
tasks.train_fold_seeds(folds, 3, report)
tasks.train_variants(tuple((trainings(config), fold) for config, fold in folds), 2, report)
models = {kind: (tutorial, pair[kind].weights) for kind in pair}
tasks.what_if(models, windows.X[:5])
first_fold = tasks.train_pair(*folds[0], report)
tasks.attention_trace(small, first_fold["attention"].weights, windows.X[0][: small.data.time_steps])
print(json.dumps({"compiled": compiled, "test_mse": {kind: pair[kind].test_mse for kind in pair}}))
"""


def run_jobs(cache: Path, from_scratch: bool = False) -> dict:
    """JOBS in a fresh process whose engine cache is under the empty folder `cache`."""
    env = compiled.fresh_environment(str(cache), from_scratch)
    done = subprocess.run(
        [sys.executable, "-c", JOBS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_shipped_compiled_code_is_of_these_sources():
    """Run `make compiled` after changing the engine or config.py: this fails until then."""
    assert compiled.SHIPPED.exists(), (
        "the engine or config.py changed: run `make compiled` and commit its archive"
    )
    assert sorted(compiled.SHIPPED.parent.glob("compiled-*.tar.xz")) == [compiled.SHIPPED]


def test_a_fresh_machine_trains_the_apps_jobs_without_compiling(tmp_path):
    from fibdash.config import TrainConfig
    from fibdash.data import make_dataset
    from fibdash.engine.training import train_pair

    fresh = run_jobs(tmp_path)
    assert fresh["compiled"] == []
    here = train_pair(TrainConfig(), make_dataset(TrainConfig().data).windows())
    assert fresh["test_mse"] == {kind: here[kind].test_mse for kind in here}


@pytest.mark.slow
def test_the_shipped_code_trains_as_the_code_compiled_from_scratch(tmp_path):
    from_scratch = run_jobs(tmp_path / "scratch", from_scratch=True)
    assert {"_epoch", "forward", "backward", "_occlusion", "_gradient_x_input"} <= set(
        from_scratch["compiled"]
    )
    assert run_jobs(tmp_path / "shipped")["test_mse"] == from_scratch["test_mse"]


def test_the_cache_is_named_after_every_engine_source(tmp_path):
    engine = tmp_path / "fibdash" / "engine"
    shutil.copytree(ROOT / "fibdash" / "engine", engine, ignore=shutil.ignore_patterns("__pycache__", "*.xz"))
    shutil.copy(ROOT / "fibdash" / "config.py", tmp_path / "fibdash" / "config.py")
    assert compiled.digest(engine) == compiled.DIGEST and compiled.CACHE.name == f"numba-{compiled.DIGEST}"
    for changed in (engine / "network.py", tmp_path / "fibdash" / "config.py"):
        original = changed.read_text()
        changed.write_text(original + "\n# a change\n")
        assert compiled.digest(engine) != compiled.DIGEST
        changed.write_text(original)
    assert compiled.digest(engine) == compiled.DIGEST
