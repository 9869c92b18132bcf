from pathlib import Path

import pytest

from fibdash.config import DataConfig, TrainConfig


@pytest.fixture
def small_config() -> TrainConfig:
    """A few epochs on a short series: seconds, not minutes."""
    return TrainConfig(DataConfig(n=80, time_steps=6), epochs=4)


ROOT = Path(__file__).resolve().parents[1]
SMALL = {"n": 60, "epochs": 2}  # 40 windows, 2 epochs: a page trains in a few seconds


@pytest.fixture
def app(monkeypatch):
    """A fresh AppTest of the dashboard with empty caches.

    `app.trainings` and `app.studies` record every real training and seed study it runs.
    """
    from streamlit.testing.v1 import AppTest

    import fibdash.study
    import fibdash.training
    import streamlit_glue

    streamlit_glue.runner().clear()
    streamlit_glue.dataset.clear()
    trainings, studies = [], []
    real_train, real_study = fibdash.training.train, fibdash.study.run_study

    def counting_train(config, kind, **kwargs):
        trainings.append((config, kind))
        return real_train(config, kind, **kwargs)

    def counting_study(config, seeds, **kwargs):
        studies.append((config, tuple(seeds)))
        return real_study(config, seeds, **kwargs)

    monkeypatch.setattr(fibdash.training, "train", counting_train)
    monkeypatch.setattr(fibdash.study, "run_study", counting_study)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.trainings, at.studies = trainings, studies
    yield at
    streamlit_glue.runner().clear()


def open_page(at, page: str, **widgets):
    """Run `page`, then set each keyed widget to its value, one rerun each, like a user."""
    at.switch_page(page).run()
    for key, value in widgets.items():
        at.number_input(key=key).set_value(value).run()
    return at
