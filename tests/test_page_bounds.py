"""Every sidebar widget at each of its bounds: the page shows numbers or what to change, never a traceback."""

import pytest

from streamlit_glue import DEFAULTS, WIDGETS
from tests.conftest import open_page

NUMBERS = [name for name, (_, _, spec) in WIDGETS.items() if "min_value" in spec]
CHOICES = [name for name, (_, _, spec) in WIDGETS.items() if "options" in spec]


def widget(app, name):
    """The page's widget for a config field, or None when the page does not show it."""
    widgets = (*app.number_input, *app.slider, *app.selectbox, *app.select_slider)
    return next((w for w in widgets if w.key == name), None)


@pytest.mark.parametrize("page", ["pages/1_Dataset.py", "pages/2_Train.py", "pages/4_Robustness.py"])
def test_every_widget_at_its_bounds(app, page):
    open_page(app, page)
    shown = 0
    for name in NUMBERS + CHOICES:
        if widget(app, name) is None:
            continue
        shown += 1
        spec = WIDGETS[name][2]
        values = spec.get("options") or (spec["min_value"], spec["max_value"])
        for value in values:
            widget(app, name).set_value(value).run()
            assert not app.exception, (name, value, app.exception)
            assert app.error or app.caption[0].value.startswith("Configuration:"), (name, value)
        widget(app, name).set_value(DEFAULTS[name]).run()  # judge the next widget alone
        assert not app.error, name
    assert shown == {"pages/1_Dataset.py": 4, "pages/2_Train.py": 11, "pages/4_Robustness.py": 12}[page]
    assert not app.trainings and not app.studies  # bounds alone never start a training
