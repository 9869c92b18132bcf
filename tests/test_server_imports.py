"""The Streamlit server never imports TensorFlow, nor Numba and the compiled engine: every piece of that
work runs in the worker process."""

import subprocess
import sys

from tests.conftest import ROOT

# Every page, a trained pair and a study through the widgets, the lesson's window through the attention
# layer (the tutorial's pair, which the server trains as it starts), in a process of its own.
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
from tests.conftest import finish_jobs, open_page

at = AppTest.from_file({app!r}, default_timeout=300)
at.run()
open_page(at, "app_pages/2_Train.py", n=60, epochs=2)
at.button(key="train").click().run()
finish_jobs(at)
assert at.metric, "the pair was not trained"
open_page(at, "app_pages/3_Compare.py")
open_page(at, "app_pages/1_Dataset.py")
open_page(at, "app_pages/4_Robustness.py")
at.select_slider(key="seeds").set_value(3).run()
at.button(key="run_study").click().run()
finish_jobs(at)
assert at.metric, "the study did not run"
at.query_params["step"] = "4"
at.switch_page("app_pages/0_Tutorial.py").run()
finish_jobs(at)  # nothing to press: a fresh server trains the tutorial's runs as it starts
assert len(at.get_by_key("trace").dataframe[0].value) == 20, "the lesson's window did not go through"
assert not at.exception
print(sorted(name for name in sys.modules if name.split(".")[0] in {forbidden!r}))
"""


def test_the_server_process_never_imports_tensorflow_or_the_compiled_engine():
    forbidden = ("tensorflow", "keras", "numba", "llvmlite")
    code = SCRIPT.format(root=str(ROOT), app=str(ROOT / "app.py"), forbidden=forbidden)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_apps_modules_import_neither_scipy_stats_nor_scikit_learn():
    """The server's first page run imports the app's modules, then starts the worker (`work.runner`, from
    the sidebar): the 0.9 s that scikit-learn and the scipy.stats it loads take to import come after,
    beside the worker's own start, not before it."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import streamlit_glue.navigation; "
        "print(sorted(name for name in ('scipy.stats', 'sklearn') if name in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_making_datasets_imports_neither_scipy_stats_nor_scikit_learn():
    """The tutorial's first pair waits for its dataset: made with fibdash.data's scalers, it no longer waits
    for scikit-learn's import and the scipy.stats it loads (0.6 s alone, 1.6 s beside a page run)."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from fibdash.config import DataConfig; "
        "from fibdash.data import make_dataset\n"
        "for scaling in ('minmax', 'log-minmax', 'none', 'window'):\n"
        "    make_dataset(DataConfig(scaling=scaling))\n"
        "print(sorted(name for name in ('scipy.stats', 'sklearn') if name in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
