import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fibdash.csv_file import MAX_UPLOAD_MB
from fibdash.series import MAX_N
from tests.conftest import ROOT, open_page, press, said, table

DATASET = "app_pages/1_Dataset.py"
ROWS = 90
# a week of hourly readings, say: a daily cycle and a drift, with a text column beside it
GOOD = (
    "hour,load,site\n"
    + "\n".join(f"{i},{20 + 5 * np.sin(2 * np.pi * i / 24) + i / 30:.4f},north" for i in range(ROWS))
    + "\n"
).encode()


def upload(app, content: bytes, name: str = "load.csv"):
    app.get_by_key("upload").get("file_uploader")[0].upload(name, content, "text/csv")
    return app.run()


def test_an_uploaded_column_is_the_series_of_every_page(app):
    open_page(app, DATASET)
    upload(app, GOOD)
    assert not app.exception and not said(app, "upload", "error")
    assert app.selectbox(key="series").value == "csv"
    assert app.text_input(key="n").value == str(ROWS)
    assert app.selectbox(key="csv_column").options == ["hour", "load", "site"]
    assert app.selectbox(key="csv_column").value == "hour"  # the first usable column
    app.selectbox(key="csv_column").set_value("load").run()
    assert "load.csv, column load" in said(app, "upload")[0] and f"{ROWS} values" in said(app, "upload")[0]
    app.selectbox(key="csv_column").set_value("site").run()  # text: refused, the column in use stays
    assert "it holds text ('north' in data row 1)" in said(app, "upload", "error")[0]
    app.selectbox(key="csv_column").set_value("load").run()
    assert not said(app, "upload", "error")
    assert "target (load)" in table(app, "windows").columns
    app.text_input(key="time_steps").input("6").run()
    app.text_input(key="epochs").input("2").run()

    app.switch_page("app_pages/2_Train.py").run()
    press(app, "train")
    assert not app.exception and not said(app, "problems", "error")
    command = app.get_by_key("reproduce").code[0].value.splitlines()[-1]
    assert "--csv load.csv --column load --sha256 " in command and "series" not in command

    app.switch_page("app_pages/3_Compare.py").run()
    assert not app.exception and not said(app, "problems", "error") and app.jobs() == 1
    assert len(app.get("plotly_chart")) == 10
    predictors = list(table(app, "scores_table")["predictor"])
    assert predictors == ["RNN", "RNN + attention", "predict zero", "persistence", "AR(2)"]

    app.switch_page("app_pages/4_Robustness.py").run()
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    assert not app.exception and not said(app, "problems", "error") and len(app.get("plotly_chart")) == 2

    app.switch_page("app_pages/5_Sweep.py").run()
    app.select_slider(key="seeds").set_value(3).run()
    app.selectbox(key="sweep").set_value("hidden_units").run()
    app.text_input(key="values").input("2, 3").run()
    press(app, "run_sweep")
    assert not app.exception and not said(app, "problems", "error") and len(app.get("plotly_chart")) == 2


def test_another_visitor_sees_neither_the_file_nor_its_results(app):
    open_page(app, DATASET)
    upload(app, GOOD)
    other = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    open_page(other, DATASET)
    assert other.selectbox(key="series").value == "fibonacci" and not said(other, "upload")
    other.selectbox(key="series").set_value("csv").run()  # asking for the series csv without a file
    assert not other.exception
    assert "needs a file: upload one on the Dataset page" in said(other, "problems", "error")[0]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"a,b\nx,y\nz,w\n", "cannot be a series: it holds text ('x' in data row 1)"),
        (b"a\n" + b"1\n" * 5, "every value is 1: a constant has nothing to predict"),
        (b"a,b\n1,x\n,y\n4,z\n", "1 missing values (the first in data row 2)"),
        (b"a\n" + "\n".join(str(i) for i in range(10)).encode() + b"\n", "need at least 22"),
        (b"a\n" + b"1\n" * (MAX_N + 1), f"at most {MAX_N:,} can be used"),
        (b"a\n1\ninf\n2\n", "infinite or not a number"),
        (b"PK\x03\x04" + bytes(200), "binary file"),
        ("a\n1\n\xe9\n".encode("latin-1"), "not UTF-8 text"),
        (b"a\n" + b"1\n" * (MAX_UPLOAD_MB * 2**19 + 1), f"files may be at most {MAX_UPLOAD_MB} MB"),
    ],
)
def test_a_bad_file_is_a_message_and_the_upload_in_use_stays(app, content, problem):
    open_page(app, DATASET)
    upload(app, GOOD)
    upload(app, content, "bad.csv")
    assert not app.exception
    errors = said(app, "upload", "error")
    assert errors and problem in errors[0], errors
    assert app.selectbox(key="series").value == "csv" and app.text_input(key="n").value == str(ROWS)
    assert errors[0].endswith("Still using load.csv, column hour.")
    assert len(app.get("plotly_chart")) == 4  # the page goes on with the file that was in use
