from tests.conftest import open_page, said, table

PAGE = "app_pages/1_Dataset.py"


def test_defaults_render_every_chart_and_the_windows(app):
    open_page(app, PAGE)
    assert not app.exception and not said(app, "problems", "error")
    assert len(app.get("plotly_chart")) == 4
    assert "n=1200, time_steps=20, train fraction 0.7, minmax scaling" in said(app, "configuration")[0]
    windows = table(app, "windows")
    assert list(windows.columns[:3]) == ["target index", "split", "t-20"]
    assert len(windows) == 10 and set(windows["split"]) == {"train"}
    assert app.get("download_button")


def test_small_config_shows_the_tutorials_example(app):
    open_page(app, PAGE, n=12, time_steps=3)
    app.selectbox(key="scaling").set_value("none").run()
    assert not app.exception and not said(app, "problems", "error")
    windows = table(app, "windows")
    shown = windows[["t-3", "t-2", "t-1"]].astype(float).values.tolist()[:6]  # drawn as text
    assert shown == [[8, 13, 21], [5, 8, 13], [2, 3, 5], [13, 21, 34], [21, 34, 55], [34, 55, 89]]
    assert windows["target"].tolist()[:6] == ["34", "21", "8", "55", "89", "144"]


def test_bad_values_give_an_error_not_an_exception(app):
    open_page(app, PAGE, n=30, time_steps=29)
    assert not app.exception
    assert "time_steps must be at most 28" in said(app, "problems", "error")[0]
    app.text_input(key="time_steps").input("20").run()  # 10 windows; 5% of them is none
    app.text_input(key="train_fraction").input("0.05").run()
    assert "leaves no training window" in said(app, "problems", "error")[0]
    app.switch_page("app_pages/home.py").run()  # the rest of the app keeps working
    assert not app.exception and not said(app, "problems", "error")


def test_a_link_with_huge_values_quotes_them_short(app):
    app.query_params.update({"n": "9" * 10_000, "scaling": "x" * 10_000})  # a hostile link
    open_page(app, PAGE)
    assert not app.exception
    messages = said(app, "problems", "error") + said(app, "link_problems", "warning")
    assert len(messages) == 2 and all(len(message) < 300 for message in messages), messages
    assert "n must be a whole number, got '9999" in messages[0] and "(10,002 characters)" in messages[0]
    assert messages[1].startswith("The link's scaling=xxxx") and "(10,000 characters) cannot" in messages[1]


def test_a_link_to_the_lags_series_with_windows_too_short_says_the_limit(app):
    app.query_params.update({"series": "lags", "time_steps": "5"})
    open_page(app, PAGE)
    assert not app.exception
    (error,) = said(app, "problems", "error")
    assert "time_steps must be at least 11 for series lags" in error and "got 5" in error
    app.text_input(key="time_steps").input("11").run()  # the limit itself: the series and its windows
    assert (
        not said(app, "problems", "error")
        and "series lags, n=1200, time_steps=11" in said(app, "configuration")[0]
    )
    assert "only the values 3 and 11 steps back matter" in " ".join(m.value for m in app.markdown)
