"""The rules that hold the demo up, as its folders: what may import TensorFlow, what may import
Streamlit, what the worker may load. Each test reads the import graph of the source (imports at
module level and inside functions, and `importlib.import_module` of a constant name) and follows
the project's own modules transitively, so a rule cannot be crossed through another module."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "fibdash").rglob("*.py")), *sorted((ROOT / "streamlit_glue").rglob("*.py"))]
SOURCES += [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
TENSORFLOW = ("tensorflow", "keras", "tf_keras")
STREAMLIT = ("streamlit",)
HEAVY = ("sklearn", "pandas", "scipy", "plotly", *TENSORFLOW, *STREAMLIT)  # what the worker must not load
# fibdash/__init__.py registers fibdash's Keras layers when the user's own code imports keras (so that
# `import fibdash, keras` loads a downloaded file): that hook imports nothing unless keras is there.
KERAS_HOOK = ("fibdash/__init__.py", "fibdash.keras.layers")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in SOURCES}


def _nodes(tree: ast.AST, at_load: bool):
    """Every node of `tree`; with `at_load`, only those that run when the module is imported (not the
    bodies of its functions)."""
    if not at_load:
        yield from ast.walk(tree)
        return
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        )


@cache
def direct_imports(name: str, at_load: bool = False) -> frozenset[str]:
    """Every module `name` imports anywhere in its source (with `at_load`: when imported), by full name."""
    path = MODULES[name]
    found = set()
    for node in _nodes(ast.parse(path.read_text()), at_load):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: a relative import; the project's imports are absolute"
            base = node.module
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(node.args[0].value)
    relative = path.relative_to(ROOT).as_posix()
    return frozenset(imported for imported in found if (relative, imported) != KERAS_HOOK)


def project_parents(imported: str) -> list[str]:
    """The project's modules an import runs: the module and every package above it."""
    parts = imported.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1) if ".".join(parts[:k]) in MODULES]


@cache
def reaches(name: str, at_load: bool = False) -> frozenset[str]:
    """Every module `name` may load (with `at_load`, loads when it is imported), the project's own
    followed transitively; external ones by name."""
    seen, todo, external = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for imported in direct_imports(current, at_load):
            inside = project_parents(imported)
            todo.extend(inside)
            if not inside:
                external.add(imported)
    return frozenset(seen | external)


def crossings(names: list[str], forbidden: tuple[str, ...], at_load: bool = False) -> dict[str, list[str]]:
    """For each module of `names`, the forbidden modules it loads (with `at_load`, when it is imported)."""
    found = {}
    for name in names:
        loaded = reaches(name, at_load)
        bad = sorted(m for m in loaded if any(m == f or m.startswith(f"{f}.") for f in forbidden))
        if bad:
            found[name] = bad
    return found


def under(*prefixes: str) -> list[str]:
    return [name for name in MODULES if any(name == p or name.startswith(f"{p}.") for p in prefixes)]


def test_the_graph_sees_what_each_module_loads():
    """The reader finds imports inside functions and through other modules: the rules below have teeth."""
    assert {"fibdash.engine.training", "fibdash.serving.worker", "fibdash.keras.models", "app"} <= set(
        MODULES
    )
    assert "keras" in reaches("fibdash.keras.models")
    assert "fibdash.keras.models" in reaches("fibdash.keras.export")  # imported inside a function there
    assert "numba" in reaches("fibdash.serving.tasks")  # through the engine, inside the tasks' functions
    assert "numba" not in reaches("fibdash.serving.tasks", at_load=True)
    assert "numba" in reaches("fibdash.engine.training", at_load=True)


def test_only_fibdash_keras_imports_tensorflow_or_keras():
    """Nothing else imports them, and nothing reaches them but the command line's `--engine keras`."""
    outside = [name for name in MODULES if not name.startswith("fibdash.keras")]
    direct = {
        name: sorted(m for m in direct_imports(name) if m.split(".")[0] in TENSORFLOW) for name in outside
    }
    assert {name: found for name, found in direct.items() if found} == {}
    assert crossings([name for name in outside if name != "fibdash.__main__"], TENSORFLOW) == {}


def test_only_the_glue_and_the_pages_import_streamlit():
    assert crossings(under("fibdash"), STREAMLIT) == {}
    assert all("streamlit" in reaches(name) for name in ["app", *under("app_pages")])


def test_the_serving_machinery_never_imports_keras_it_runs_it_as_a_process():
    assert crossings(under("fibdash.serving"), (*TENSORFLOW, *STREAMLIT, "fibdash.keras")) == {}


@pytest.mark.parametrize(
    "name", ["fibdash.serving.worker", "fibdash.serving.tasks", *under("fibdash.engine")]
)
def test_the_worker_side_loads_the_engine_and_nothing_heavy(name):
    """The worker process runs the engine only: scikit-learn, pandas, SciPy and Plotly stay in the server."""
    assert crossings([name], HEAVY) == {}


def test_the_engine_stands_below_serving_and_keras():
    assert crossings(under("fibdash.engine"), ("fibdash.serving", "fibdash.keras")) == {}


def test_the_server_loads_no_compiled_engine():
    """The pages, the glue and the serving machinery they import load neither Numba nor the engine's
    compiled modules: those live in the worker process (some 60 MB and 0.2 s the server does without).
    The tasks the server hands the worker import the engine inside their functions, which run there."""
    server = ["app", *under("app_pages", "streamlit_glue")]
    engine = tuple(f"fibdash.engine.{name}" for name in ("cpu", "network", "training", "inference"))
    compiled = ("numba", "llvmlite", *engine)
    assert crossings(server, compiled, at_load=True) == {}
