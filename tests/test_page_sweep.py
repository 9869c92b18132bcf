import time

import psutil
import pytest

import fibdash.analysis.sweep as sweep_module
from fibdash.analysis.sweep import MAX_POINTS, MAX_VALUES
from streamlit_glue import show, work
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


def hostile_link() -> dict[str, str]:
    """The issue's link: epochs 1..200 x 200 learning rates in (0, 1), 40,000 grid points."""
    return {
        "sweep": "epochs",
        "values": ",".join(str(epochs) for epochs in range(1, 201)),
        "sweep2": "learning_rate",
        "values2": ",".join(f"{(i + 1) / 201:.6f}" for i in range(200)),
    }


@pytest.fixture
def nothing_made(monkeypatch):
    """Fails the page if it makes a grid point or a dataset: the page drawn before anything runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("made before the sweep was run")

    monkeypatch.setattr(sweep_module, "sweep_grid", refuse)
    monkeypatch.setattr(work, "dataset", refuse)


def test_a_link_of_40000_grid_points_is_refused_with_the_limit_before_anything_is_made(app, nothing_made):
    """The issue's link held 9.4 GB and 50 s of the server's processor: a dataset per grid point."""
    app.query_params.update(hostile_link())
    server = psutil.Process()
    before, cpu = server.memory_info().rss, time.process_time()
    open_page(app, PAGE)
    assert not app.exception and app.jobs() == 0
    error = said(app, "problems", "error")[0]
    assert error.startswith(
        f"epochs has 200 values, and a sweep here takes at most {MAX_VALUES} values of a setting and "
        f"{MAX_POINTS} grid points in all"
    )
    assert "python -m fibdash sweep" in error
    assert (server.memory_info().rss - before) / 2**20 < 100 and time.process_time() - cpu < 10


@pytest.mark.parametrize(
    ("values", "values2", "limit"),
    [
        (21, 2, f"epochs has 21 values, and a sweep here takes at most {MAX_VALUES} values"),
        (11, 10, f"the grid has 110 points (11 x 10 values), and a sweep here takes at most {MAX_POINTS}"),
    ],
)
def test_the_largest_sweep_a_link_may_carry_is_said(app, nothing_made, values, values2, limit):
    app.query_params.update(
        {
            "sweep": "epochs",
            "values": ",".join(str(epochs) for epochs in range(1, values + 1)),
            "sweep2": "hidden_units",
            "values2": ",".join(str(units) for units in range(1, values2 + 1)),
        }
    )
    open_page(app, PAGE)
    assert said(app, "problems", "error")[0].startswith(limit) and app.jobs() == 0


def test_a_sweep_is_priced_without_making_its_data_and_makes_it_once_a_config_when_run(app, monkeypatch):
    """The issue's second link (the sine, n=5000, 200 time steps, 61 epochs) took 332 MB of datasets to be
    refused: now 20 epochs, the most a link carries, are priced from their configs alone."""
    made = []

    def dataset(config):
        made.append(config)
        return show.dataset(config)

    monkeypatch.setattr(work, "dataset", dataset)
    values = ",".join(str(epochs) for epochs in range(1, MAX_VALUES + 1))
    app.query_params.update(
        {"series": "sine", "n": "5000", "time_steps": "200", "sweep": "epochs", "values": values}
    )
    open_page(app, PAGE)
    assert "This sweep would take" in said(app, "job", "error")[0] and made == []
    assert said(app, "grid")[0].startswith(f"{MAX_VALUES} grid points")

    open_page(app, PAGE, n=60, time_steps=5)  # within the budget: 20 points on one dataset, made when run
    app.select_slider(key="seeds").set_value(3).run()
    assert made == []
    press(app, "run_sweep")
    assert f"{2 * 3 * MAX_VALUES} trainings in" in said(app, "done", "success")[0]
    assert len(made) == 1
