"""The training engine: plain NumPy and Numba, no TensorFlow or Keras.

Its threads wait for work passively (OMP_WAIT_POLICY): spinning, a thread that has trained its
members took CPU from the one still training whenever another process was busy on the machine.

Its code is compiled for a generic x86-64 processor (NUMBA_CPU_NAME=generic, unless set otherwise),
which trains as fast as code for this machine's own (bench_training) and runs on any: the compiled code
that ships with the sources (`fibdash.engine.compiled`) is of use on every machine. Both are read as
Numba loads, so they are set here, where the engine is first imported; the server, which never loads
Numba, only sets them.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when Numba's OpenMP threads start
os.environ.setdefault("NUMBA_CPU_NAME", "generic")  # and NUMBA_CPU_FEATURES defaults to none then
if "numba" in sys.modules:  # loaded already (by a user's own code): it read its settings then
    _config = sys.modules["numba"].config
    if _config.CPU_NAME is None:
        _config.CPU_NAME, _config.CPU_FEATURES = "generic", ""
