"""A visitor's text is shown as written: in Markdown (read here by markdown-it-py, a CommonMark parser, and
against what Streamlit 1.67's Markdown also replaces in the text) and in Plotly."""

import html
import re

import pytest
from markdown_it import MarkdownIt

from fibdash.quoting import WORD_JOINER, markdown_literal, markdown_table, plotly_literal

# What a visitor may type, link or upload to make the app's own text do something: each a quoted part.
HOSTILE = (
    "[zzclick here](https://evil.example)",
    "<a href='https://evil.example'>zz</a>",
    "![zz](https://evil.example/x.png)",
    "<https://evil.example>",
    "https://evil.example/zz",
    "www.evil.example",
    "zz@evil.example",
    "**zzbold** _zzit_ ~~zzgone~~ `zzcode`",
    "$zz^2$ and $$zz$$",
    ":red[zzred] :blue-background[zz] :small[zz]",
    ":material/home: :material_home: :smile: :streamlit:",
    "zz\n# zzheading\n- zzitem\n1. zzitem\n> zzquote\n===\r\nzz\rzz",
    "| zz | b |\n|---|---|\n| 1 | 2 |",
    "&amp; &#91;zz&#93; \\[zz](y) \\",
    "x -> y <- z -- w >= v <= u ~= t <-> s",
)
ORDINARY = ("time_steps must be at most 998", "n=1200, time_steps=20; load.csv, column load (SHA-256 3f2a)")

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# What Streamlit 1.67's Markdown replaces in the text itself, whatever escapes the source had: icons,
# emoji, its logo, directives (colours, badges, small), GitHub's autolinks (mdast-util-gfm-autolink-literal)
# and its typographic arrows.
REPLACED = (
    r":material[/_]\w+:",
    r":[\w+-][\w_+-]*:",
    r":[A-Za-z][\w-]*[\[{]",
    r"(?i)https?://|www\.",
    r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+",
    r"(?:^|\s)(?:<->|->|<-|--|>=|<=|~=)(?:\s|$)",
)


@pytest.mark.parametrize("text", HOSTILE + ORDINARY)
def test_markdown_shows_a_visitors_text_as_written(text):
    source = markdown_literal(text)
    rendered = MARKDOWN.render(source)
    paragraph = re.fullmatch(r"<p>(.*)</p>\n", rendered, re.DOTALL)
    assert paragraph and "<" not in paragraph[1], rendered  # one paragraph, no element in it
    shown = html.unescape(paragraph[1])
    assert shown.replace(WORD_JOINER, "") == text.replace("\r\n", "\n").replace("\r", "\n")
    assert not any(re.search(pattern, shown) for pattern in REPLACED), shown
    assert not re.search(r"(?<!\\)\$", source)  # Streamlit reads $...$ as LaTeX


def test_an_ordinary_sentence_keeps_its_source():
    assert markdown_literal(ORDINARY[1]) == ORDINARY[1]  # readable, and found by the pages' tests as said


@pytest.mark.parametrize("text", HOSTILE)
def test_plotly_shows_a_visitors_text_as_written(text):
    written = plotly_literal(text)
    assert "<" not in written and ">" not in written and "$" not in written
    assert html.unescape(written) == text


def table_cells(source: str) -> list[list[str]]:
    """The cells of the one table `source` renders (markdown-it-py, GitHub's tables), as shown, row by row:
    the header's first. A cell that holds an element (a link, emphasis) fails."""
    rendered = MARKDOWN.render(source)
    assert rendered.count("<table>") == 1 and rendered.startswith("<table>"), rendered
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.DOTALL)
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.DOTALL)
    cells = [cell.findall(row) for row in rows]
    assert not any("<" in text for row in cells for text in row), cells  # no element in any cell
    return [[html.unescape(text) for text in row] for row in cells]


def test_a_table_shows_every_cell_as_written_numbers_aligned_right():
    texts = [*HOSTILE, *ORDINARY]
    rows = [{"text": text, "number": index, "shape": f"(None, {index})"} for index, text in enumerate(texts)]
    cells = table_cells(markdown_table(rows))
    assert cells[0] == ["text", "number", "shape"]
    for (text, number, shape), index in zip(cells[1:], range(len(texts)), strict=True):
        assert text.replace(WORD_JOINER, "") == " ".join(texts[index].split())  # a line break is a space
        assert (number, shape) == (str(index), f"(None, {index})")
    assert 'style="text-align:right"' in MARKDOWN.render(markdown_table(rows)).split("</tr>")[1]
