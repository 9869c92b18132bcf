"""Starting child processes with multiprocessing's "spawn" without running the main script again in them:
the server's worker and a sweep's local processes both start this way."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from importlib.machinery import ModuleSpec

_starting = threading.Lock()


@contextlib.contextmanager
def main_script_left_alone() -> Iterator[None]:
    """While a child starts: keep "spawn" from running the server's main script again in it.

    spawn imports the parent's `__main__` in the child unless it is some package's `__main__`
    module. Under `streamlit run` that is Streamlit's command line (tens of MB the worker does
    not need); from `python -c`, stdin or a notebook there is no file at all, and the child dies.
    """
    main = sys.modules["__main__"]
    with _starting:
        saved = getattr(main, "__spec__", None)
        main.__spec__ = ModuleSpec("fibdash.__main__", None)  # a package's __main__: left alone
        try:
            yield
        finally:
            main.__spec__ = saved
