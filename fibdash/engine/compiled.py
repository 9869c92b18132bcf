"""Where the engine's compiled code is kept, and the compiled code that ships with its sources.

Numba caches each compiled function on disk, but it renews a function's cache only when that
function's own file changes, not when a function it calls (in another file) does: after an update
of network.py, training.py's compiled epochs would still run the old equations. So the engine's
functions are cached in a folder named after the digest of the engine's sources (and the config's
codes they read), `CACHE`, and stamped with it (`EngineCacheLocator`): every change of them starts a
fresh one. `register` puts this in place before the engine compiles anything (cpu.py calls it first).

A fresh machine would then compile the whole engine before its first training: about a minute of
processor time, and Community Cloud starts a fresh container whenever an app wakes up. So the compiled
code ships with the sources, `compiled-<digest>.tar.xz` (`SHIPPED`): the cache of a run that calls
every compiled function as the app does (`build`, `make compiled`), for a generic x86-64 processor (see
fibdash.engine), this Python and this Numba. `register` unpacks it into an empty CACHE. Code for another
Python, Numba or processor is not in it, and Numba then compiles as before; so does
FIBDASH_COMPILE_FROM_SCRATCH=1, which leaves it packed, to measure what compiling costs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from numba.core.caching import CacheImpl, _CacheLocator

_HERE = Path(__file__).resolve().parent


def digest(engine: Path = _HERE) -> str:
    """The sources of the engine in folder `engine` (and the config's codes they read), as 16 hex digits."""
    sources = [*sorted(engine.glob("*.py")), engine.parent / "config.py"]
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]


DIGEST = digest()
SHIPPED = _HERE / f"compiled-{DIGEST}.tar.xz"
FROM_SCRATCH = "FIBDASH_COMPILE_FROM_SCRATCH"


def _cache_folder() -> Path:
    """Where the compiled code of these exact sources is kept: in NUMBA_CACHE_DIR where it is set, else
    beside the sources, or in the temporary folder where they are read-only. Older sources' go."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        home = Path(os.environ["NUMBA_CACHE_DIR"])
    elif os.access(_HERE, os.W_OK):
        home = _HERE / "__pycache__"
    else:
        home = Path(tempfile.gettempdir()) / "fibdash"
    folder = home / f"numba-{DIGEST}"
    if not folder.exists():  # the sources changed: what older ones compiled is of no more use
        for old in home.glob("numba-*"):
            shutil.rmtree(old, ignore_errors=True)
    return folder


CACHE = _cache_folder()


class EngineCacheLocator(_CacheLocator):
    """Numba's cache of the engine's functions: CACHE, whatever folder the sources were checked out into
    (so that the shipped code is found), stamped with the digest of every engine source."""

    def __init__(self, py_func) -> None:
        self._lineno = py_func.__code__.co_firstlineno

    def get_cache_path(self) -> str:
        return str(CACHE)

    def get_source_stamp(self) -> str:
        return DIGEST

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file) -> EngineCacheLocator | None:
        if Path(py_file).resolve().parent != _HERE:
            return None  # not the engine's: Numba's own locators find its place
        locator = cls(py_func)
        try:
            locator.ensure_cache_path()
        except OSError:  # a read-only disk: compiled in memory, as without a cache
            return None
        return locator


def _unpack_shipped() -> None:
    """The shipped compiled code into an empty CACHE, file by file, each replaced whole: processes that
    start together (the worker, a sweep's) each find whole files."""
    if os.environ.get(FROM_SCRATCH) == "1" or not SHIPPED.exists():
        return
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        if any(CACHE.glob("*.nbi")):
            return
        with tempfile.TemporaryDirectory(dir=CACHE) as unpacked, tarfile.open(SHIPPED) as archive:
            archive.extractall(unpacked, filter="data")
            for path in Path(unpacked).iterdir():
                os.replace(path, CACHE / path.name)
    except OSError:  # a read-only or full disk: Numba compiles, as without it
        return


def register() -> None:
    """Keep the engine's compiled code in CACHE, the shipped code unpacked there first. Before the engine
    defines a compiled function: Numba picks a function's cache as it is decorated."""
    if EngineCacheLocator not in CacheImpl._locator_classes:
        _unpack_shipped()
        CacheImpl._locator_classes.insert(0, EngineCacheLocator)


def exercise() -> None:
    """Call every compiled function of the engine with the types the app calls it with: a pair trained and
    asked everything the app asks of a pair, and a study's seeds. One configuration does for all: the
    compiled functions take the cell, activation and head as numbers (`network.Architecture`), so every
    configuration calls the same compiled code, and small windows, since the types are what compiles."""
    import numpy as np

    from fibdash.config import MODEL_KINDS, DataConfig, TrainConfig
    from fibdash.engine.inference import METHODS, attention_trace, importance, predict
    from fibdash.engine.records import Windows
    from fibdash.engine.training import train_pair, train_seeds

    steps, samples = 4, 12
    series = np.random.default_rng(0).random(samples + steps)
    X = np.stack([series[i : i + steps] for i in range(samples)]).astype(np.float32)
    config = TrainConfig(data=DataConfig(n=samples + steps, time_steps=steps), epochs=2)
    windows = Windows(config.data, X, series[steps:], np.arange(8), np.arange(8, samples))
    pair = train_pair(config, windows)
    for kind in MODEL_KINDS:
        predict(config, kind, pair[kind].weights, X[:3])
        for method in METHODS:
            importance(config, kind, pair[kind].weights, X[windows.test_idx], method)
    attention_trace(config, pair["attention"].weights, X[0])
    train_seeds(config, MODEL_KINDS, [0, 1], windows)


def fresh_environment(cache: str, from_scratch: bool = False) -> dict[str, str]:
    """This process's environment for a fresh one whose engine cache lies under the folder `cache` (empty:
    a fresh machine's), with the shipped code unpacked into it or, `from_scratch`, left packed."""
    inherited = {name: value for name, value in os.environ.items() if name != FROM_SCRATCH}
    return {**inherited, "NUMBA_CACHE_DIR": cache, **({FROM_SCRATCH: "1"} if from_scratch else {})}


def build() -> Path:
    """Compile the engine from scratch in a fresh process (`exercise`, for a generic processor) and pack
    what it cached as SHIPPED, in place of older sources' packs."""
    with tempfile.TemporaryDirectory(prefix="fibdash-numba-") as home:
        generic = {"NUMBA_CPU_NAME": "generic", "NUMBA_CPU_FEATURES": ""}
        command = [sys.executable, "-c", "from fibdash.engine.compiled import exercise; exercise()"]
        subprocess.run(command, env={**fresh_environment(home, from_scratch=True), **generic}, check=True)
        for old in _HERE.glob("compiled-*.tar.xz"):
            old.unlink()
        with tarfile.open(SHIPPED, "w:xz") as archive:
            for path in sorted((Path(home) / f"numba-{DIGEST}").iterdir()):
                archive.add(path, arcname=path.name, filter=_anonymous)
    return SHIPPED


def _anonymous(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """A file as the archive keeps it: no owner, no time, so that only its contents tell builds apart."""
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mtime = 0
    return member


if __name__ == "__main__":
    print(build())
