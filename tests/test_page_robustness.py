import pytest

from tests.conftest import SMALL, open_page, press

PAGE = "pages/4_Robustness.py"


def test_defaults_render_not_run(app):
    open_page(app, PAGE)
    assert not app.exception and not app.error
    assert "has not been run yet" in app.info[0].value
    assert app.select_slider(key="seeds").value == 10
    assert "seeds 0 to 9" in app.caption[0].value and "seed 0" not in app.caption[0].value
    assert app.jobs() == 0


def test_runs_a_small_study_then_serves_it_from_the_cache(app):
    open_page(app, PAGE, **SMALL)
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    assert not app.exception and not app.error
    assert app.jobs() == 1
    wins = app.metric[0].value
    assert wins.endswith("of 3 seeds")
    assert "the test cannot reach p < 0.05" in app.caption[2].value  # 3 seeds: honest about it
    assert "holds for this config only" in app.info[0].value
    assert len(app.get("plotly_chart")) == 2
    table = app.dataframe[0].value
    assert table["seed"].tolist() == [0, 1, 2]
    assert app.get("download_button")

    # Another seed in the sidebar is the same study: the study replaces it with seeds 0..2.
    app.text_input(key="seed").input("5").run()
    assert app.metric[0].value == wins and app.jobs() == 1
    assert not app.button


def test_seed_k_agrees_with_the_train_page(app):
    open_page(app, "pages/2_Train.py", **SMALL)
    app.text_input(key="seed").input("1").run()
    press(app, "train")
    train_page = [float(metric.value) for metric in app.metric if metric.label == "Test MSE (scaled)"]
    assert len(train_page) == 2
    open_page(app, PAGE)
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    agreement = app.caption[-1].value
    assert agreement.startswith("Seed 1, test MSE:")
    table = app.dataframe[0].value.set_index("seed")
    here = [float(table.loc[1, column]) for column in ("RNN test MSE", "RNN + attention test MSE")]
    assert here == pytest.approx(train_page, rel=1e-3)


def test_bad_values_give_an_error_not_an_exception(app):
    open_page(app, PAGE, n=30, time_steps=29)
    assert not app.exception
    assert "time_steps must be at most 28" in app.error[0].value
    assert app.jobs() == 0
