"""Starting child processes with multiprocessing's "spawn" without running the main script again in them:
a sweep's local processes start this way (the server's worker is a subprocess of its own)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from multiprocessing import spawn
from typing import Any

_starting = threading.Lock()


@contextlib.contextmanager
def main_script_left_alone() -> Iterator[None]:
    """While a child starts: keep "spawn" from running the server's main script again in it.

    spawn imports the parent's `__main__` in the child, by its name or its path. Under `streamlit
    run` that is Streamlit's command line (tens of MB a child does not need), or the page script,
    which Streamlit installs as a new `__main__` at the start of every run of a page, in any thread:
    the server's worker, when it was started this way, then ran the whole app again and died starting
    a worker of its own. From `python -c`, stdin or a notebook there is no file at all, and the child
    dies. So whatever `__main__` is when the child starts, what spawn sends it leaves it out.
    """
    with _starting:
        prepared = spawn.get_preparation_data

        def without_main(name: str) -> dict[str, Any]:
            data = prepared(name)
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
            return data

        spawn.get_preparation_data = without_main
        try:
            yield
        finally:
            spawn.get_preparation_data = prepared
