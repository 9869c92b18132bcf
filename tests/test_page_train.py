from tests.conftest import SMALL, open_page

PAGE = "pages/2_Train.py"


def test_defaults_render_untrained(app):
    open_page(app, PAGE)
    assert not app.exception and not app.error
    assert "not been trained yet" in app.info[0].value
    values = {key: app.number_input(key=key).value for key in ("n", "time_steps", "hidden_units", "epochs")}
    assert values == {"n": 1200, "time_steps": 20, "hidden_units": 2, "epochs": 30}
    assert app.number_input(key="learning_rate").value == 0.001
    assert app.selectbox(key="cell").value == "SimpleRNN"
    assert not app.trainings


def test_trains_through_the_widgets_then_serves_from_the_cache(app):
    open_page(app, PAGE, **SMALL)
    app.button(key="train").click().run()
    assert not app.exception and not app.error
    assert len(app.trainings) == 2
    assert [config.epochs for config, _ in app.trainings] == [2, 2]
    assert len(app.metric) == 6
    params = [table.value["Params"].sum() for table in app.dataframe]
    assert params == [11, 33]
    assert any("Trained" in s.value for s in app.success)

    # Back on the page later, or after another page: shown at once, nothing trained again.
    app.switch_page("app.py").run()
    open_page(app, PAGE)
    assert len(app.metric) == 6 and len(app.trainings) == 2
    assert app.button(key="train").disabled

    # A different seed is a different config: not trained yet.
    app.number_input(key="seed").set_value(1).run()
    assert "not been trained yet" in app.info[0].value


def test_cache_is_shared_between_sessions(app):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    open_page(app, PAGE, **SMALL)
    app.button(key="train").click().run()
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    open_page(other, PAGE, **SMALL)
    assert len(other.metric) == 6 and len(app.trainings) == 2


def test_clear_cache(app):
    open_page(app, PAGE, **SMALL)
    app.button(key="train").click().run()
    app.button(key="clear_cache").click().run()
    assert "not been trained yet" in app.info[0].value


def test_bad_values_give_an_error_not_an_exception(app):
    open_page(app, PAGE, n=60, batch_size=100)
    assert not app.exception
    assert "batch_size must be at most 28" in app.error[0].value
    app.number_input(key="batch_size").set_value(1).run()
    app.number_input(key="n").set_value(400).run()
    app.selectbox(key="scaling").set_value("none").run()
    assert "with scaling 'none', n must be at most 185" in app.error[0].value
    assert not app.trainings
