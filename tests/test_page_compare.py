from tests.conftest import SMALL, open_page, press

PAGE = "pages/3_Compare.py"


def test_untrained_config_is_said_and_can_be_trained_here(app):
    open_page(app, PAGE, **SMALL)
    assert not app.exception
    assert "has not been trained yet" in app.info[0].value
    assert not app.get("plotly_chart")
    press(app, "train")
    assert not app.exception and not app.error
    assert app.jobs() == 1
    assert len(app.get("plotly_chart")) == 7


def test_shows_every_chart_for_the_config_trained_on_the_train_page(app):
    open_page(app, "pages/2_Train.py", **SMALL)
    press(app, "train")
    open_page(app, PAGE)
    assert not app.exception and not app.error
    assert app.jobs() == 1  # read from the cache
    table = app.dataframe[0].value
    assert list(table["predictor"]) == [
        "RNN",
        "RNN + attention",
        "predict zero",
        "persistence",
        "Fibonacci rule",
    ]
    assert "n=60" in app.caption[0].value and "2 epochs" in app.caption[0].value
    assert len(app.get("plotly_chart")) == 7
    assert len(app.get("download_button")) == 2

    app.toggle(key="relative_error").set_value(True).run()
    app.toggle(key="scaled_predictions").set_value(True).run()
    app.selectbox(key="test_window").select_index(5).run()
    assert not app.exception
