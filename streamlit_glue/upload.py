"""A visitor's own series: the Dataset page's CSV upload, kept in that session only.

The file is read when it arrives (`fibdash.csv_file.read_csv`: UTF-8 text, size, column and row
limits, each column judged); a column that can be a series becomes the session's `Upload`, and series
"csv" is that column. A refused file or column is a message and changes nothing: the session keeps the
upload it had. The session keeps the file's bytes (at most 2 MB) to read another column from, a
sentence per column and the column in use, not every column's values. Nothing of it is stored beyond
the session; results trained on it are cached under the file's SHA-256, and other visitors' lists of
jobs do not name it. Its names and cells are the visitor's words: quoted short, shown as written.
"""

from __future__ import annotations

import streamlit as st

from fibdash.config import FIELDS
from fibdash.csv_file import MAX_COLUMNS, MAX_UPLOAD_MB, CsvFile, read_csv
from fibdash.quoting import markdown_literal, quoted, shortened
from fibdash.series import MAX_N, Upload

TIME_STEPS = FIELDS["time_steps"].default

UPLOAD, TABLE, PROBLEM = "upload", "upload_table", "upload_problem"  # the session state's keys


def current() -> Upload | None:
    """The column this session uploaded, if any: what series "csv" is."""
    return st.session_state.get(UPLOAD)


def _kept() -> str:
    """What a refused file or column leaves in use, in a sentence (or nothing)."""
    kept = current()
    if kept is None:
        return ""
    return f" Still using {shortened(kept.file_name)}, column {shortened(kept.column)}."


def _use(table: CsvFile, column: str) -> None:
    """Make `column` of `table` the session's series, or say why it cannot be."""
    try:
        steps = FIELDS["time_steps"].parse(str(st.session_state.get("time_steps", TIME_STEPS)))
    except ValueError:  # the box says why; judge the file by the tutorial's windows meanwhile
        steps = TIME_STEPS
    need = steps + 2
    try:
        upload = table.upload(column)
        if len(upload.values) < need:
            raise ValueError(
                f"column {quoted(column)} has {len(upload.values)} values, and windows of {need - 2} time "
                f"steps need at least {need} (a training and a test window): lower the time steps first"
            )
    except ValueError as error:
        st.session_state[PROBLEM] = f"{error}. Choose another column or file.{_kept()}"
        return
    st.session_state[UPLOAD] = upload
    st.session_state.pop(PROBLEM, None)
    st.session_state["series"] = "csv"  # the sidebar's settings, and the address with them
    st.session_state["n"] = str(len(upload.values))


def _arrived() -> None:
    file = st.session_state.get("csv_file")
    if file is None:  # the visitor removed it: the upload in use stays until another replaces it
        return
    try:
        table = read_csv(file.getvalue(), file.name)
    except ValueError as error:
        st.session_state[PROBLEM] = f"{error}.{_kept()}"
        return
    st.session_state[TABLE] = table
    st.session_state["csv_column"] = table.usable[0] if table.usable else next(iter(table.problems))
    _use(table, st.session_state["csv_column"])


def _column_chosen() -> None:
    _use(st.session_state[TABLE], st.session_state["csv_column"])


def uploader(expanded: bool) -> None:
    """The Dataset page's upload, in a container keyed "upload": the file, its column, what is wrong."""
    with st.container(key="upload"), st.expander("Your own series (CSV)", expanded=expanded):
        st.file_uploader(
            f"A CSV file of UTF-8 text with a header row: at most {MAX_UPLOAD_MB} MB, {MAX_COLUMNS:,} "
            f"columns and {MAX_N:,} rows",
            type=["csv"],
            key="csv_file",
            on_change=_arrived,
            help="Read as text only, never run. It stays in this browser session; nobody else sees it.",
        )
        table, upload = st.session_state.get(TABLE), current()
        if table is not None:
            columns = list(table.problems)
            in_use = upload is not None and upload.sha256 == table.sha256 and upload.column in columns
            st.selectbox(
                markdown_literal(f"Column of {shortened(table.file_name)}"),
                columns,
                index=columns.index(upload.column) if in_use else 0,  # as it was, when the page is back
                format_func=shortened,
                key="csv_column",
                on_change=_column_chosen,
                help="Its values, in file order, are the series.",
            )
        if problem := st.session_state.get(PROBLEM):
            st.error(markdown_literal(problem))
        elif upload is not None:
            st.caption(
                markdown_literal(
                    f"In use as series csv: {upload.describe()}, {len(upload.values):,} values "
                    f"from {upload.values.min():.4g} to {upload.values.max():.4g}."
                )
            )
