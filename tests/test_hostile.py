"""A hostile visitor's words on every page: links and typed values."""

import pytest

from tests.conftest import open_page


@pytest.mark.parametrize("step", ["\u00b2", "\u0663"])  # a superscript two; an Arabic-Indic three
def test_a_step_in_other_digits_is_said_and_step_one_shown(app, step):
    app.query_params["step"] = step
    open_page(app, "app_pages/0_Tutorial.py")
    assert not app.exception
    assert "is not a step of the lesson" in app.warning[0].value and app.header[0].value == "1. The dataset"
