import pytest

from tests.conftest import SMALL, open_page, press, said, table

PAGE = "app_pages/5_Sweep.py"


@pytest.fixture
def sweep_page(app):
    """The Sweep page with a small config and 3 seeds."""
    open_page(app, PAGE, **SMALL)
    app.select_slider(key="seeds").set_value(3).run()
    return app


def test_defaults_render_not_run_with_the_grid_and_an_estimate(app):
    open_page(app, PAGE)
    assert not app.exception and not said(app, "problems", "error")
    assert app.selectbox(key="sweep").value == "scaling"
    assert app.selectbox(key="sweep2").value == "(nothing else)"
    assert said(app, "grid")[0].startswith("2 grid points x 10 seeds x 2 models = 40 trainings")
    assert said(app, "job")[0].startswith("Estimated time: about")
    assert app.jobs() == 0


def test_two_settings_give_a_heatmap_one_gives_lines_and_both_are_cached(sweep_page):
    app = sweep_page
    app.selectbox(key="sweep2").set_value("hidden_units").run()
    assert app.text_input(key="values2").value == "2, 4, 8"  # offered for the setting just chosen
    app.text_input(key="values2").input("2, 4").run()
    press(app, "run_sweep")
    assert not app.exception and app.jobs() == 1
    assert "24 trainings in" in said(app, "done", "success")[0]
    charts = app.get("plotly_chart")
    assert len(charts) == 2
    assert table(app, "comparisons")[["scaling", "hidden_units"]].values.tolist() == [
        ["minmax", 2],
        ["minmax", 4],
        ["log-minmax", 2],
        ["log-minmax", 4],
    ]
    verdicts = said(app, "verdicts", "markdown")
    assert len(verdicts) == 4 and "This holds at scaling=minmax, hidden_units=2 only" in verdicts[0]

    app.selectbox(key="sweep2").set_value("(nothing else)").run()
    press(app, "run_sweep")
    assert app.jobs() == 2 and len(app.get("plotly_chart")) == 2
    app.selectbox(key="sweep2").set_value("hidden_units").run()  # back to the first sweep: from the cache
    app.text_input(key="values2").input("2, 4").run()
    assert "24 trainings in" in said(app, "done", "success")[0] and app.jobs() == 2


def test_a_new_setting_offers_values_of_its_kind_and_bad_values_are_named(sweep_page):
    app = sweep_page
    app.selectbox(key="sweep").set_value("learning_rate").run()
    assert app.text_input(key="values").value == "0.0001, 0.001, 0.01"
    app.text_input(key="values").input("0.01, fast").run()
    assert (
        "learning_rate must be a number greater than 0 and at most 1, got 'fast'"
        in said(app, "problems", "error")[0]
    )
    app.selectbox(key="sweep").set_value("time_steps").run()
    app.text_input(key="values").input("5, 59").run()
    assert (
        "the grid point time_steps=59" in said(app, "problems", "error")[0]
        and "cannot be trained" in said(app, "problems", "error")[0]
    )
    app.selectbox(key="sweep2").set_value("time_steps").run()
    assert "time_steps is chosen twice" in said(app, "problems", "error")[0]
    assert not app.exception and app.jobs() == 0


def test_a_sweep_over_the_budget_is_refused(sweep_page):
    app = sweep_page
    app.selectbox(key="sweep2").set_value("hidden_units").run()
    app.text_input(key="epochs").input("2000").run()
    app.text_input(key="n").input("1474").run()
    app.text_input(key="hidden_units").input("64").run()
    refusal = said(app, "job", "error")[0]
    assert "This sweep would take" in refusal and "fewer values (it has 6 grid points)" in refusal
    assert app.button(key="run_sweep").disabled and app.jobs() == 0


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        (
            {"sweep": "Transformer", "values": "1"},
            "The link's sweep=Transformer cannot be used: unknown setting",
        ),
        ({"sweep": "seed", "values": "1"}, "The link's sweep=seed cannot be used: seed cannot be swept"),
        (
            {"sweep2": "seeds", "values2": "3"},
            "The link's sweep2=seeds cannot be used: seeds cannot be swept",
        ),
    ],
)
def test_a_setting_a_link_cannot_vary_is_named(app, link, problem):
    app.query_params.update(link)
    open_page(app, PAGE)
    assert not app.exception and app.jobs() == 0
    warning = said(app, "link_problems", "warning")[0]
    assert warning.startswith(problem) and "Showing " in warning
    errors = said(app, "problems", "error")
    assert not any("unknown scaling" in error for error in errors), errors  # values never meant for it
    if "values" in link:
        assert errors[0].startswith("The link's values=1 were meant for the setting it could not vary")


def test_a_link_to_a_setting_it_cannot_vary_with_values_that_fit_the_default_still_sweeps(app):
    app.query_params.update({"sweep": "seed", "values": "minmax, log-minmax"})
    open_page(app, PAGE)
    assert said(app, "link_problems", "warning")[0].startswith("The link's sweep=seed cannot be used")
    assert not said(app, "problems", "error")
    grid = said(app, "grid")[0]
    assert grid.startswith("2 grid points") and "Varied (in the sidebar's Sweep): scaling over minmax" in grid


def test_diverged_seeds_are_named_point_by_point(app):
    open_page(app, PAGE, n=150, learning_rate=1, epochs=2)  # unscaled numbers at a learning rate of 1
    app.selectbox(key="scaling").set_value("none").run()
    app.select_slider(key="seeds").set_value(3).run()
    app.selectbox(key="sweep").set_value("hidden_units").run()
    app.text_input(key="values").input("2, 3").run()
    press(app, "run_sweep")
    warnings = said(app, "verdicts", "warning")
    assert len(warnings) == 2, warnings
    assert all(warning.startswith("Training diverged for 3 of 3 seeds of the RNN") for warning in warnings)
