"""Every sidebar setting at and past each of its bounds: numbers or what to change, never a traceback."""

import pytest

from fibdash.config import FIELDS
from tests.conftest import open_page, said

PAGES = {
    "app_pages/1_Dataset.py": "data",
    "app_pages/2_Train.py": "training",
    "app_pages/4_Robustness.py": "study",
}
SHOWN = {"data": ("data",), "training": ("data", "training"), "study": ("data", "training", "study")}


def widget(app, name):
    """The page's widget for a config field, or None when the page does not show it."""
    widgets = (*app.text_input, *app.selectbox, *app.select_slider)
    return next((w for w in widgets if w.key == name), None)


def typed(field, value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def cases(field):
    """(value, allowed) at and just past each fixed bound of a numeric field."""
    step = 1 if field.value_type is int else 0.5
    return [
        (field.low, field.low_included),
        (field.low - step, False),
        (field.high, field.high_included),
        (field.high + step, False),
    ]


# The values a field's own bounds allow that another setting refuses at the tutorial's values, with the
# refusal that names the other limit; every other allowed value (and choice) is taken without a word.
REFUSED_BY_ANOTHER_SETTING = {
    ("n", 3): "time_steps must be at most 1 (n = 3 must leave at least one training and one test window)",
    ("n", 5000): "n must be at most 1474 (Fibonacci numbers overflow float64 beyond it)",
    ("time_steps", 4999): "time_steps must be at most 1198",
    ("batch_size", 4999): "batch_size must be at most 826 (there are 826 training windows)",
    ("scaling", "none"): "with scaling 'none', n must be at most 185",
    ("series", "csv"): "series csv needs a file",
}


def assert_taken(app, field, value) -> None:
    """`value`, allowed by its field, is taken: no error at all, or only the one another setting's limit
    gives (REFUSED_BY_ANOTHER_SETTING); never an error of the field's own."""
    assert not app.exception, (field.name, value, app.exception)
    errors = said(app, "problems", "error")
    expected = REFUSED_BY_ANOTHER_SETTING.get((field.name, value))
    if expected is None:
        assert errors == [] and said(app, "configuration"), (field.name, value, errors)
    else:
        assert len(errors) == 1 and expected in errors[0], (field.name, value, errors)


@pytest.mark.parametrize("page", PAGES)
def test_every_setting_at_and_past_its_bounds(app, page):
    open_page(app, page)
    fields = [f for f in FIELDS.values() if f.section in SHOWN[PAGES[page]]]
    assert [f.name for f in fields if widget(app, f.name) is not None] == [f.name for f in fields]
    for field in fields:
        if field.choices:
            for value in field.choices:
                widget(app, field.name).set_value(value).run()
                assert_taken(app, field, value)
        else:
            for number, ok in cases(field):
                widget(app, field.name).input(typed(field, number)).run()
                if ok:
                    assert_taken(app, field, number)
                else:  # past a fixed bound: the field's own message
                    assert not app.exception, (field.name, number, app.exception)
                    assert any(field.name in error for error in said(app, "problems", "error")), (
                        field.name,
                        number,
                    )
        default = field.default if field.choices else typed(field, field.default)
        w = widget(app, field.name)
        (w.set_value(default) if field.choices else w.input(default)).run()  # judge the next field alone
        assert not said(app, "problems", "error"), field.name
        if field.name == "series":  # a shorter series shortened n: the tutorial's n again
            widget(app, "n").input(typed(FIELDS["n"], FIELDS["n"].default)).run()
    assert app.jobs() == 0  # bounds alone never start a training
