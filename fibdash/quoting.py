"""How fibdash quotes a visitor's text (a file's name, its header and cells, a typed or linked value):
at most 40 characters of it, and shown as written wherever it is rendered.

- `shortened` and `quoted` bound its length: fibdash's sentences quote a visitor's text only through
  them (the command line's too);
- `markdown_table` draws rows as a Markdown table, each cell through `markdown_literal`;
- `markdown_literal` makes any text that may hold such a quote safe for what Streamlit renders as
  Markdown (st.markdown, st.caption, st.error, st.warning, st.info, st.success, and widgets' labels,
  help texts and radio options): the pages pass fibdash's sentences through it;
- `plotly_literal` does the same for Plotly's text (titles, axis titles, notes, hover text), which
  reads a few HTML tags (`<a href>`, `<b>`, `<br>`) and entities: fibdash.figures' titles pass
  through it.

The app's own markup (`**bold**`, the `<br>` that breaks a title) goes around the result, never
through it. Plain string work: the engine's side may import it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

# A visitor's text is quoted up to this many characters: a 10,000-digit n in a link must not fill the screen.
QUOTED_CHARACTERS = 40
# Joins two characters without a visible mark or a line break: put between the characters of a
# pattern that Streamlit's Markdown replaces in the text itself, after its escapes are read, where a
# backslash cannot stop it.
WORD_JOINER = "\u2060"

# What CommonMark, GitHub's extensions and Streamlit act on anywhere in a line: code, emphasis and
# strikethrough, links and images, autolinks and HTML, entities, table cells, and $ for LaTeX.
_ANYWHERE = re.compile(r"[\\`*~\[\]<>&|$]")
# An underscore between two letters or digits cannot open or close emphasis (CommonMark): "time_steps"
# is left as it is.
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# What makes a line a heading, a list item or a heading's underline.
_BLOCK = re.compile(r"^([ \t]*)([#+=-])", re.MULTILINE)
_ORDERED = re.compile(r"^([ \t]*[0-9]+)([.)])", re.MULTILINE)
# What Streamlit's Markdown replaces in the text itself, after its escapes are read: ":red[...]" and
# the other directives, ":material/x:" icons and ":smile:" emoji, "https://" and "www." links, e-mail
# addresses, and its typographic arrows ("->", "<=", "--" between spaces).
_JOINED = re.compile(r"[:@](?=\S)|(?i:www)(?=\.)|(?<!\S)(?:<(?=->(?!\S))|[-<>~](?=[->=](?!\S)))")


def markdown_literal(text: str) -> str:
    """Markdown source that Streamlit shows as `text`, character for character: no link, emphasis,
    code, heading, list, LaTeX, colour, icon or emoji comes out of it.

    What Markdown acts on is escaped with a backslash (only that, so that the source stays readable),
    and an invisible word joiner goes inside what Streamlit replaces whatever its escapes.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JOINED.sub(lambda match: match.group() + WORD_JOINER, text)
    text = _ANYWHERE.sub(lambda match: "\\" + match.group(), text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _BLOCK.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\\2", text)


def markdown_table(rows: Sequence[Mapping[str, object]]) -> str:
    """`rows` (each with the first's keys, in its order: the header) as a Markdown table, every cell shown as
    written; numbers' columns aligned right.

    A static table as text: Streamlit's st.table sends Arrow data, and a tab that had not drawn one yet loaded
    and ran the Arrow reader's code for it, 0.3 s of its processor time, before it drew the scores beside it.
    """
    header = list(rows[0])
    numbers = {name for name in header if all(isinstance(row[name], int | float) for row in rows)}

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    def cell(value: object) -> str:
        return markdown_literal(" ".join(str(value).split()))  # a line break would end the table

    rule = ["---:" if name in numbers else "---" for name in header]
    return "\n".join(
        [
            line([cell(name) for name in header]),
            line(rule),
            *(line([cell(row[name]) for name in header]) for row in rows),
        ]
    )


def plotly_literal(text: str) -> str:
    """Plotly text that shows `text` as written: its HTML-like tags and entities escaped, and `$`, which
    would make a whole title LaTeX."""
    return html.escape(text, quote=False).replace("$", "&#36;")


def shortened(text: str) -> str:
    """`text` whole, or its first QUOTED_CHARACTERS characters and how long it is."""
    if len(text) <= QUOTED_CHARACTERS:
        return text
    return f"{text[:QUOTED_CHARACTERS]}... ({len(text):,} characters)"


def quoted(value: Any) -> str:
    """`value` as a message quotes it: its repr, shortened."""
    return shortened(repr(value))
