"""The training engine: plain NumPy and Numba, no TensorFlow or Keras.

Its threads wait for work passively (OMP_WAIT_POLICY): spinning, a thread that has trained its
members took CPU from the one still training whenever another process was busy on the machine.

Numba caches each compiled function on disk, but it renews a function's cache only when that
function's own file changes, not when a function it calls (in another file) does: after an update
of network.py, training.py's compiled epochs would still run the old equations. So the cache lives
in a folder named after the engine's sources (and the config's codes they read), and every change
of them starts a fresh one. It is set before Numba loads, here, where the engine is first imported.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _cache_folder() -> Path:
    """Where the compiled code of these exact sources is kept: beside them, or in the temporary folder."""
    sources = [*sorted(_HERE.glob("*.py")), _HERE.parent / "config.py"]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]
    home = _HERE / "__pycache__" if os.access(_HERE, os.W_OK) else Path(tempfile.gettempdir()) / "fibdash"
    folder = home / f"numba-{digest}"
    if not folder.exists():  # the sources changed: what older ones compiled is of no more use
        for old in home.glob("numba-*"):
            shutil.rmtree(old, ignore_errors=True)
    return folder


os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when Numba's OpenMP threads start
if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(_cache_folder())
    if "numba" in sys.modules:  # loaded already (by a user's own code): it read its settings then
        sys.modules["numba"].config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
