"""Deploy readiness for Streamlit Community Cloud: pinned requirements, no writes outside a temp folder."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_runtime_requirements_are_pinned():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line]
    assert requirements
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*(; .+)?", requirement), requirement
    names = {re.split("[=;]", r)[0].lower() for r in requirements}
    assert {"tensorflow-cpu", "keras", "streamlit", "plotly", "scikit-learn", "scipy"} <= names
    assert "playwright" not in names and "pytest" not in names  # test tools stay in requirements-dev.txt


def test_training_and_export_write_nothing_in_home(tmp_path: Path):
    """A hosted app may only write to a temp folder: train, export a .keras file, with an empty HOME."""
    home = tmp_path / "home"
    home.mkdir()
    code = (
        "from fibdash.config import DataConfig, TrainConfig\n"
        "from fibdash.data import make_dataset\n"
        "from fibdash.engine.training import train_pair\n"
        "from fibdash.serving.downloads import keras_files\n"
        "config = TrainConfig(DataConfig(n=40, time_steps=4), epochs=1)\n"
        "pair = train_pair(config, make_dataset(config.data).windows())\n"
        "assert all(file[:2] == b'PK' for file in keras_files(list(pair.values())))\n"  # .keras: zip archives
    )
    env = {**os.environ, "HOME": str(home)}
    env.pop("KERAS_HOME", None)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
    assert list(home.iterdir()) == []
