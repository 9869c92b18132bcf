"""A hostile visitor's words on every page: links, a file's name, its header and cells, a typed window.

Each is shown as written (no link, emphasis, heading, LaTeX, colour or icon comes out of it, in Markdown
or in a chart) and quoted at most 40 characters. The pages are read as AppTest sees them: every string
of every element the browser would get, Markdown read by markdown-it-py as in tests/test_quoting.py.
"""

import html
import json
import re

import numpy as np
import pytest
from google.protobuf.json_format import MessageToDict

from fibdash.config import FIELDS, DataConfig, TrainConfig
from fibdash.csv_file import read_csv
from fibdash.notebook import notebook
from fibdash.quoting import QUOTED_CHARACTERS
from tests.conftest import open_page, press, said
from tests.test_quoting import MARKDOWN, REPLACED

# Each at most 40 characters, so that it is quoted whole; each holds "zz" or "evil", to be found.
PAYLOADS = (
    "[zz click](https://evil.example)",
    "<a href='https://evil.example'>zz</a>",
    "**zz** _zz_ `zz` ~~zz~~",
    "$zz^2$ and :red[zz]",
    ":material/home: zz :smile:",
    "zz\n# zz heading\n- zz",
    "https://evil.example/zz",
    "www.evil.example zz@evil.example",
)
HUGE = "Q" * 1_900_000  # as the header and cell, 1.9 MB
LONG = "Q" * 20_000  # in each of a link's 18 parameters (Streamlit ignores a link of more than 524,288)
# Every place a visitor's text reaches passes it through the same function, which test_quoting reads
# against every payload: the pages are read with these.
SINKS = PAYLOADS[:4]
MARKERS = ("zz", "evil")
ELEMENTS = ("a", "strong", "em", "code", "pre", "del", "s", "li", "blockquote", "table", "h1", "h2", "h3")
# What the browser gets back as the visitor typed it: a text box's own value.
TYPED = ("value", "default")
PAGES = ("1_Dataset", "2_Train", "3_Compare", "4_Robustness", "5_Sweep", "0_Tutorial")


def strings(value, path=""):
    """(field, text) of every string in a proto's dict, a Plotly chart's spec read as JSON."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "spec" and isinstance(item, str):
                yield from (("spec", text) for _, text in strings(json.loads(item)))
            else:
                yield from strings(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, path)
    elif isinstance(value, str):
        yield path, value


def sent(app):
    """(element type, field, text) of every string the page's elements send the browser."""
    nodes, found = [app._tree], []
    while nodes:
        node = nodes.pop()
        nodes.extend(getattr(node, "children", {}).values())
        if getattr(node, "proto", None) is not None:
            kind = type(node.proto).__name__
            found += [(kind, field, text) for field, text in strings(MessageToDict(node.proto))]
    return found


def assert_shown_as_written(app) -> int:
    """Every string of the page quotes a visitor's text short and as written; how many quoted one."""
    quoting = 0
    for kind, field, text in sent(app):
        if field in TYPED:
            continue
        assert "Q" * (QUOTED_CHARACTERS + 1) not in text, (kind, field, text[:200])
        if not any(marker in text for marker in (*MARKERS, "Q" * 30)):
            continue
        quoting += 1
        if field == "spec":  # Plotly's text: its tags and entities escaped, but the app's line breaks
            assert "<" not in re.sub(r"<br>|</?extra>", "", text) and "$" not in text, (kind, text)
        elif field in ("body", "label", "help") or (kind == "Radio" and field == "options"):  # Markdown
            assert not re.search(r"(?<!\\)\$", text), (kind, field, text)
            rendered = MARKDOWN.render(text)
            for element in ELEMENTS:
                for inner in re.findall(rf"<{element}\b[^>]*>(.*?)</{element}>", rendered, re.DOTALL):
                    assert not any(marker in inner for marker in MARKERS), (kind, field, rendered)
            assert "evil" not in "".join(re.findall(r"<(?:a|img)\b[^>]*>", rendered)), rendered
            shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
            assert not any(re.search(pattern, shown) for pattern in REPLACED), (kind, field, shown)
    return quoting


@pytest.mark.parametrize("payload", [*PAYLOADS, LONG], ids=[*map(repr, PAYLOADS), "long"])
def test_a_hostile_link_is_shown_as_written_on_every_page(app, payload):
    app.query_params.update({name: payload for name in FIELDS})
    app.query_params.update({"sweep": payload, "values": payload, "sweep2": payload, "values2": payload})
    app.query_params["step"] = payload
    for page in ("5_Sweep", "0_Tutorial"):  # the Sweep page has every setting and the sweep's; the step
        open_page(app, f"app_pages/{page}.py")
        assert not app.exception
        assert assert_shown_as_written(app) >= (12 if page == "5_Sweep" else 1)


def numbers(column: int, rows: int = 60) -> list[str]:
    return [f"{20 + 5 * np.sin(i / (3 + column)) + i / 30:.4f}" for i in range(rows)]


def hostile_csv(names: list[str], cells: list[str]) -> bytes:
    """A column of numbers per name, then a column of numbers per cell, each with that cell in row 2."""
    header = [f'"{name}"' for name in names] + [f"text {i}" for i in range(len(cells))]
    rows = []
    for row in range(60):
        values = [numbers(i)[row] for i in range(len(names))]
        values += [f'"{cell}"' if row == 1 else "1" for cell in cells]
        rows.append(",".join(values))
    return ("\n".join([",".join(header), *rows]) + "\n").encode()


def upload(app, content: bytes, name: str):
    app.get_by_key("upload").get("file_uploader")[0].upload(name, content, "text/csv")
    return app.run()


def test_a_hostile_file_is_shown_as_written_on_the_dataset_page(app):
    open_page(app, "app_pages/1_Dataset.py")
    for payload in SINKS:
        upload(app, hostile_csv([payload], [payload]), f"{payload}.csv")  # its first column in use
        assert not app.exception and not said(app, "upload", "error")
        assert app.selectbox(key="series").value == "csv"
        assert assert_shown_as_written(app) >= 4  # the caption, the column's label, the charts
        app.selectbox(key="csv_column").set_value("text 0").run()  # refused: the cell is quoted
        assert "it holds text" in said(app, "upload", "error")[0]
        assert_shown_as_written(app)
    for name, content in (  # a 1.9 MB file name, a 1.9 MB cell, a 1.9 MB header
        (f"{HUGE}.csv", b"a\n1\n2\n3\n"),
        ("huge cell.csv", f'a\n1\n"{HUGE}"\n3\n'.encode()),
        ("huge header.csv", f'a,"{HUGE}"\n1,2\n2,3\n3,4\n'.encode()),
    ):
        upload(app, content, name)
        assert not app.exception and said(app, "upload", "error") and assert_shown_as_written(app) >= 1
    app.selectbox(key="csv_column").set_value(HUGE).run()
    assert "its name has 1,900,000 characters" in said(app, "upload", "error")[0]
    assert assert_shown_as_written(app) >= 2  # the message, the column's option


def test_a_hostile_column_is_shown_as_written_on_every_result_page(app):
    open_page(app, "app_pages/1_Dataset.py")
    link, html_link = PAYLOADS[0], PAYLOADS[1]
    upload(app, hostile_csv([link, "load"], []), f"{html_link}.csv")
    app.selectbox(key="csv_column").set_value(link).run()
    app.text_input(key="time_steps").input("6").run()
    app.text_input(key="epochs").input("2").run()
    app.switch_page("app_pages/2_Train.py").run()
    press(app, "train")
    assert not app.exception and not said(app, "problems", "error")
    assert assert_shown_as_written(app) >= 3  # the configuration, the metrics' labels and help

    app.switch_page("app_pages/3_Compare.py").run()
    assert not app.exception and len(app.get("plotly_chart")) == 10
    app.text_area[0].input(", ".join([PAYLOADS[2]] * 6)).run()  # a typed window, refused: quoted
    assert "is not a number" in said(app, "what_if", "error")[0]
    assert assert_shown_as_written(app) >= 5

    app.switch_page("app_pages/4_Robustness.py").run()
    app.select_slider(key="seeds").set_value(3).run()
    press(app, "run_study")
    assert not app.exception and assert_shown_as_written(app) >= 2  # the configuration, the verdict

    app.switch_page("app_pages/5_Sweep.py").run()
    app.select_slider(key="seeds").set_value(3).run()
    app.selectbox(key="sweep").set_value("hidden_units").run()
    app.text_input(key="values").input("2, 3").run()
    press(app, "run_sweep")
    assert not app.exception and assert_shown_as_written(app) >= 1


def test_the_notebook_names_a_hostile_file_as_written():
    import nbformat

    content = hostile_csv([PAYLOADS[1]], [])
    upload = read_csv(content, f"{PAYLOADS[0]}.csv").upload(PAYLOADS[1])
    config = TrainConfig(DataConfig(series="csv", n=60, time_steps=5, upload=upload), epochs=2)
    cells = nbformat.reads(notebook(config).decode(), as_version=4).cells
    for cell in cells:
        if cell.cell_type == "markdown":
            rendered = MARKDOWN.render(cell.source)
            assert "evil" not in "".join(re.findall(r"<(?:a|img)\b[^>]*>", rendered)), rendered
        elif re.search("^UNITS = ", cell.source, re.MULTILINE):  # Plotly's titles in the notebook say it
            assert "UNITS = \"units of &lt;a href='https://evil.example'&gt;zz&lt;/a&gt;\"" in cell.source


@pytest.mark.parametrize("step", ["\u00b2", "\u0663"])  # a superscript two; an Arabic-Indic three
def test_a_step_in_other_digits_is_said_and_step_one_shown(app, step):
    app.query_params["step"] = step
    open_page(app, "app_pages/0_Tutorial.py")
    assert not app.exception
    assert "is not a step of the lesson" in app.warning[0].value and app.header[0].value == "1. The dataset"
