"""The training engine: plain NumPy and Numba, no TensorFlow or Keras.

Numba caches each compiled function on disk, but it renews a function's cache only when that
function's own file changes, not when a function it calls (in another file) does: after an update
of network.py, training.py's compiled epochs would still run the old equations. So the cache lives
in a folder named after the engine's sources and the values they compile in from `fibdash.config`
(the codes of the cells, activations and models), and every change of either starts a fresh one; a
change elsewhere in config.py (a setting's label, its help) keeps the compiled code. It is set
before Numba loads, here, where the engine is first imported.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from fibdash import config

_HERE = Path(__file__).resolve().parent


def _compiled_constants(sources: list[Path]) -> str:
    """The values of the names that the engine's modules with compiled code import from `fibdash.config`,
    as text: Numba compiles them in as constants. (Its classes and functions only run in Python.)"""
    names = set()
    for source in sources:
        tree = ast.parse(source.read_text())
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        if any((node.module or "").split(".")[0] == "numba" for node in imports):
            from_config = [node for node in imports if node.module == "fibdash.config"]
            names.update(alias.name for node in from_config for alias in node.names)
    values = {name: getattr(config, name) for name in sorted(names)}
    return repr({name: value for name, value in values.items() if not callable(value)})


def _cache_folder() -> Path:
    """Where the compiled code of these exact sources is kept: beside them, or in the temporary folder."""
    sources = sorted(_HERE.glob("*.py"))
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources))
    digest.update(_compiled_constants(sources).encode())
    home = _HERE / "__pycache__" if os.access(_HERE, os.W_OK) else Path(tempfile.gettempdir()) / "fibdash"
    folder = home / f"numba-{digest.hexdigest()[:16]}"
    if not folder.exists():  # the sources changed: what older ones compiled is of no more use
        for old in home.glob("numba-*"):
            shutil.rmtree(old, ignore_errors=True)
    return folder


if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(_cache_folder())
    if "numba" in sys.modules:  # loaded already (by a user's own code): it read its settings then
        sys.modules["numba"].config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
