import time

import pytest

from streamlit_glue import work
from tests.conftest import SMALL, finish_jobs, metrics, open_page, press, said, table

PAGE = "app_pages/4_Robustness.py"
# The tutorial's data with studies of 3 seeds that take some 20 s (within the page's limit), so that a
# stop pressed after their first epoch (two page runs later, on a busy machine) always comes before their
# end; stopped between epochs, they cost a fraction of a second.
LONG_STUDY = {"hidden_units": 8, "epochs": 1000}
LONG_VARIANTS_STUDY = {"hidden_units": 4, "epochs": 1000}


def test_defaults_render_not_run(app):
    open_page(app, PAGE)
    assert not app.exception and not said(app, "problems", "error")
    assert "has not been run yet" in said(app, "job", "info")[0]
    assert app.select_slider(key="seeds").value == 10
    configuration = said(app, "configuration")[0]
    assert "seeds 0 to 9" in configuration and "seed 0" not in configuration
    assert app.jobs() == 0


def test_runs_a_small_study_then_serves_it_from_the_cache(app):
    open_page(app, PAGE, **SMALL)
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    assert not app.exception and app.jobs() == 1
    wins = metrics(app, "comparison")["Attention wins"]
    assert wins.endswith("of 3 seeds")
    assert any("the test cannot reach p < 0.05" in c for c in said(app, "comparison"))  # 3 seeds: honest
    assert "holds for this config only" in said(app, "comparison", "info")[0]
    assert len(app.get("plotly_chart")) == 2
    assert table(app, "per_seed")["seed"].tolist() == [0, 1, 2]
    assert app.get("download_button")

    # Another seed in the sidebar is the same study: the study replaces it with seeds 0..2.
    app.text_input(key="seed").input("5").run()
    assert metrics(app, "comparison")["Attention wins"] == wins and app.jobs() == 1
    assert not app.button


def train_page_then_study(app, seed: int, study: str, study_button: str, columns: tuple[str, str]) -> None:
    """Train seed `seed` on the Train page (its other settings as they are), run the `study` (its address
    value) of 3 seeds with `study_button` on this page, and check that the study's row of that seed (its
    `columns`) holds the Train page's two test MSEs, and that the page says so."""
    app.text_input(key="seed").input(str(seed)).run()
    press(app, "train")
    train_page = [float(metrics(app, f"model_{kind}")["Test MSE (scaled)"]) for kind in ("rnn", "attention")]
    app.query_params["study"] = study
    open_page(app, PAGE)
    app.select_slider(key="seeds").set_value(3).run()
    press(app, study_button)
    assert said(app, "agreement")[0].startswith(f"Seed {seed}, test MSE:")
    seeds = table(app, "per_seed").set_index("seed")
    assert [float(seeds.loc[seed, column]) for column in columns] == pytest.approx(train_page, rel=1e-3)


def test_seed_k_agrees_with_the_train_page(app):
    open_page(app, "app_pages/2_Train.py", **SMALL)
    train_page_then_study(app, 1, "attention", "run_study", ("RNN test MSE", "RNN + attention test MSE"))


def test_bad_values_give_an_error_not_an_exception(app):
    open_page(app, PAGE, n=30, time_steps=29)
    assert not app.exception
    assert "time_steps must be at most 28" in said(app, "problems", "error")[0]
    assert app.jobs() == 0


def test_a_running_study_is_stopped_by_a_button_that_names_it(app):
    open_page(app, PAGE, **LONG_STUDY)
    app.select_slider(key="seeds").set_value(3).run()
    app.button(key="run_study").click().run()
    job = work.runner().active()[0]
    deadline = time.monotonic() + 60
    while not job.logs:  # stopped between epochs, as it is obeyed at once: no worker is killed
        assert time.monotonic() < deadline and not job.finished
        time.sleep(0.05)
    stop = app.run().button(key="stop_job")
    assert stop.label == "Stop the study"
    stop.click().run()
    finish_jobs(app)
    assert "Stopped: nothing of this job was kept." in said(app, "job", "warning")[0]
    assert "has not been run yet" in said(app, "job", "info")[0]


def test_a_setting_a_link_repeats_is_said_and_its_last_value_used(app):
    app.query_params.update({"seeds": ["100", "3"], "n": ["60", "1e2"]})
    app.switch_page(PAGE).run()
    assert not app.exception
    assert said(app, "link_problems", "warning") == [
        "The link gives seeds twice (100, 3): the last, 3, is used.",
        "The link gives n twice (60, 1e2): the last, 1e2, is used.",
    ]
    assert app.select_slider(key="seeds").value == 3 and app.text_input(key="n").value == "100"
    assert dict(app.query_params) == {"seeds": "3", "n": "100"}  # once each, in the app's spelling
    assert "n=100," in said(app, "configuration")[0] and "seeds 0 to 2" in said(app, "configuration")[0]
    app.text_input(key="epochs").input("3").run()  # said once, for the link: the next run is the page's
    assert not said(app, "link_problems", "warning")


def test_the_variants_study_from_its_link_runs_through_the_worker_then_serves_it_from_the_cache(app):
    app.query_params["study"] = "variants"
    open_page(app, PAGE, **SMALL)
    assert app.radio(key="study").value == "variants" and app.query_params["study"] == "variants"
    app.select_slider(key="seeds").set_value(3).run()
    assert "Press **Run the variants study**: 21 trainings" in said(app, "job", "info")[0]
    press(app, "run_variants")
    assert not app.exception and app.jobs() == 1
    assert "21 trainings in" in said(app, "variants", "success")[0]
    assert said(app, "variants", "info")[0].startswith("The RNN of 4 units has 29 parameters")
    shown = table(app, "variants_table").set_index("model")
    assert list(shown.index) == [
        "RNN", "tutorial attention", "additive attention", "dot attention", "self attention",
        "uniform attention", "RNN, 4 units",
    ]  # fmt: skip
    assert shown["parameters"].astype(int).tolist() == [11, 33, 21, 12, 35, 11, 29]
    assert shown.loc["RNN", "wins vs RNN"] == "" and shown.loc["dot attention", "wins vs uniform"].endswith(
        " of 3"
    )
    verdicts = said(app, "verdicts", "markdown")
    assert len(verdicts) == 5 and verdicts[0].startswith("**tutorial attention**\n- *beats averaging?* ")
    assert "*is it parameters?*" in verdicts[-1] and "beats averaging" not in verdicts[-1]
    assert table(app, "per_seed")["seed"].tolist() == [0, 1, 2]
    assert len(app.get("plotly_chart")) == 1 and app.get("download_button")
    assert app.get_by_key("reproduce").code[0].value.splitlines()[-1] == (
        "python -m fibdash study --variants --seeds 3 --n 60 --epochs 2 --out variants_study.csv"
    )
    # Another head in the sidebar is the same study: it plays no part.
    app.selectbox(key="attention").set_value("dot").run()
    assert table(app, "variants_table")["median test MSE"].tolist() == shown["median test MSE"].tolist()
    assert app.jobs() == 1 and not app.button


def test_the_study_chosen_is_in_the_address_and_a_study_the_page_lacks_is_said(app):
    open_page(app, PAGE)
    assert app.radio(key="study").value == "attention" and "study" not in app.query_params
    app.radio(key="study").set_value("variants").run()
    assert app.query_params["study"] == "variants"
    assert "Run the variants study" in said(app, "job", "info")[0]
    app.radio(key="study").set_value("attention").run()
    assert "study" not in app.query_params and "Press **Run the study**" in said(app, "job", "info")[0]
    app.query_params["study"] = "variants"  # Back, or a link: the address changed
    app.run()
    assert app.radio(key="study").value == "variants"
    app.query_params["study"] = "[x](https://e.com)" + "y" * 60
    app.run()
    problem = said(app, "study_problem", "warning")[0]
    assert "[x](" not in problem  # quoted as written, at most 40 characters
    assert problem.endswith(
        "(78 characters) is not a study of this page: choose attention or variants. Showing attention."
    )
    assert app.radio(key="study").value == "attention" and "study" not in app.query_params
    assert app.jobs() == 0


def test_seed_k_of_the_variants_study_agrees_with_the_train_page_for_its_head(app):
    open_page(app, "app_pages/2_Train.py", **SMALL)
    app.selectbox(key="attention").set_value("additive").run()
    train_page_then_study(app, 2, "variants", "run_variants", ("RNN test MSE", "additive attention test MSE"))


def test_a_running_variants_study_is_stopped_by_its_button(app):
    app.query_params["study"] = "variants"
    open_page(app, PAGE, **LONG_VARIANTS_STUDY)
    app.select_slider(key="seeds").set_value(3).run()
    app.button(key="run_variants").click().run()
    job = work.runner().active()[0]
    deadline = time.monotonic() + 60
    while not job.logs:
        assert time.monotonic() < deadline and not job.finished
        time.sleep(0.05)
    stop = app.run().button(key="stop_job")
    assert stop.label == "Stop the study"
    stop.click().run()
    finish_jobs(app)
    assert "Stopped: nothing of this job was kept." in said(app, "job", "warning")[0]
    assert "has not been run yet" in said(app, "job", "info")[0]
