"""Reading a visitor's CSV file: it is data, never code.

It is read as UTF-8 text by pandas' CSV parser, and a column is taken only if every value in it is a
finite number written in ASCII digits and not all of them are the same; whatever is wrong is said
with the limit it breaks. What would be costly to parse (too many bytes, columns or rows) is refused
before pandas reads the whole file.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fibdash.config import ASCII_DIGITS, NUMBER, foreign_number
from fibdash.quoting import quoted, shortened
from fibdash.series import MAX_N, Upload

# .streamlit/config.toml's server.maxUploadSize, in MB. A browser refuses a larger file itself, counting
# a MB as 1,000,000 bytes (as Streamlit 1.67's file uploader does but on Windows, where it counts
# 1024 x 1024, and its server too): fibdash checks again with the browser's count, so that every
# visitor meets the same limit.
MAX_UPLOAD_MB = 2
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1000 * 1000
# A table of more columns is refused before pandas parses it: three lines of 200,000 empty columns
# (600 KB) took pandas minutes and hundreds of MB.
MAX_COLUMNS = 1000
# A file's or a column's name longer than this is refused: the command that reproduces a result names
# both (255 characters: as long as most file systems let a file's name be).
MAX_NAME_CHARACTERS = 255

# What a file that is not UTF-8 text starts with, and what it then is.
_BINARY = (
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a zip archive, as an Excel workbook (.xlsx) is"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls) or another Office file"),
    *((bytes([0x80, protocol]), "a Python pickle") for protocol in range(2, 6)),
)
_QUOTED_FIELD = re.compile(r'"[^"]*"')  # a field in quotes, which may hold commas and line breaks
_NOT_A_SEPARATOR = re.compile(r"[^,\r\n]+")


@dataclass(frozen=True)
class CsvFile:
    """A CSV file read as text: its columns, whether each can be a series, and the file itself.

    A column's values are read again from `content` when it is chosen: a session keeps the file's bytes
    (at most MAX_UPLOAD_BYTES) and a sentence per column (at most MAX_COLUMNS), not every column's values.
    """

    file_name: str
    sha256: str
    content: bytes = field(repr=False)
    problems: dict[str, str | None]  # by column: why it cannot be a series, or None if it can

    @property
    def usable(self) -> list[str]:
        """The columns that can be a series."""
        return [name for name, problem in self.problems.items() if problem is None]

    def upload(self, column: str) -> Upload:
        """Column `column` as a series; ValueError naming what is wrong with it."""
        name = shortened(self.file_name)
        if column not in self.problems:
            listed = shortened(", ".join(self.problems))
            raise ValueError(
                f"{name} has no column {quoted(column)}: it has {len(self.problems):,} columns, {listed}"
            )
        if (problem := self.problems[column]) is not None:
            raise ValueError(f"column {quoted(column)} of {name} cannot be a series: {problem}")
        values = _column(_table(self.content.decode("utf-8-sig"), name)[column])
        assert not isinstance(values, str), "the same bytes read the same"
        return Upload(self.sha256, column, self.file_name, values)


def read_csv(content: bytes, file_name: str) -> CsvFile:
    """Read an uploaded file as a CSV of UTF-8 text; ValueError naming the problem and the limit.

    The whole file must be text, a table with a header row, at most MAX_COLUMNS columns and at most
    MAX_N rows below the header; each column is then judged on its own (`CsvFile.problems`).
    """
    name = shortened(file_name)
    if len(file_name) > MAX_NAME_CHARACTERS:
        raise ValueError(
            f"{name}: a file's name may have at most {MAX_NAME_CHARACTERS} characters; rename it"
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValueError(
            f"{name} is {len(content):,} bytes: files may be at most {MAX_UPLOAD_MB} MB "
            f"({MAX_UPLOAD_BYTES:,} bytes)"
        )
    text = _text(content, name)
    if not text.strip():
        raise ValueError(f"{name} is empty: it needs a header row and the values below it")
    widest = max(map(len, re.findall(",+", _NOT_A_SEPARATOR.sub("", _QUOTED_FIELD.sub("", text)))), default=0)
    if widest + 1 > MAX_COLUMNS:
        raise ValueError(
            f"{name} has a row of {widest + 1:,} columns: at most {MAX_COLUMNS:,} can be read on this server"
        )
    frame = _table(text, name)
    if len(frame) > MAX_N:
        raise ValueError(f"{name} has {len(frame):,} rows: at most {MAX_N:,} can be used on this server")
    if frame.empty:
        raise ValueError(f"{name} has a header but no rows of values")
    problems = {}
    for column in frame.columns:
        if len(column) > MAX_NAME_CHARACTERS:
            problems[column] = (
                f"its name has {len(column):,} characters, and at most {MAX_NAME_CHARACTERS} can name a "
                "column here: rename it"
            )
        else:
            values = _column(frame[column])
            problems[column] = values if isinstance(values, str) else None
    return CsvFile(file_name, hashlib.sha256(content).hexdigest(), content, problems)


def counts_rows(values: np.ndarray) -> bool:
    """Whether `values` only count the rows, 0, 1, 2, ... or 1, 2, 3, ...: an index, not a series."""
    count = np.arange(len(values))
    return bool(np.array_equal(values, count) or np.array_equal(values, count + 1))


def read_csv_file(path: Path, column: str | None = None) -> Upload:
    """A column of the CSV file at `path`; when `column` is None, its first usable column that does not
    just count the rows (an index such as t = 0, 1, 2, ... is a series only when named)."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    table = read_csv(content, path.name)
    if column is None:
        if not table.usable:
            reasons = "; ".join(f"{quoted(name)}: {why}" for name, why in list(table.problems.items())[:3])
            more = f"; and {len(table.problems) - 3:,} more" if len(table.problems) > 3 else ""
            raise ValueError(f"no column of {shortened(path.name)} can be a series ({reasons}{more})")
        series = [name for name in table.usable if not counts_rows(table.upload(name).values)]
        if not series:
            raise ValueError(
                f"every numeric column of {shortened(path.name)} ({shortened(', '.join(table.usable))}) only "
                "counts its rows: give --column to use one as the series"
            )
        column = series[0]
    return table.upload(column)


def _text(content: bytes, name: str) -> str:
    """The file's content as UTF-8 text; ValueError saying what else it is."""
    start = content[:8]
    what = next((what for magic, what in _BINARY if start.startswith(magic)), None)
    if what is None and (start[:2] in (b"\xff\xfe", b"\xfe\xff") or _zeros_every_other_byte(content[:8192])):
        raise ValueError(f"{name} is UTF-16 text, not UTF-8: save it as CSV UTF-8 and upload that")
    if what is None and b"\x00" in content[:8192]:
        what = "an Excel workbook, an archive or a pickle, say"
    if what is not None:
        raise ValueError(
            f"{name} is a binary file: {what}, not a CSV. Save it as CSV (comma-separated text, UTF-8) "
            "and upload that"
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{name} is not UTF-8 text (byte {error.start} cannot be read): save it as CSV UTF-8"
        ) from None


def _zeros_every_other_byte(start: bytes) -> bool:
    """Whether `start` has zero bytes, as UTF-16 text of digits and commas has, at even or at odd
    positions only, and at a quarter of them at least."""
    even, odd = start[0::2].count(0), start[1::2].count(0)
    return (even == 0) != (odd == 0) and max(even, odd) >= len(start) // 8


def _table(text: str, name: str) -> pd.DataFrame:
    """The text as a table of strings, a column per header name (pandas numbers repeated names: a.1)."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{name} cannot be read as a CSV table: {str(error).strip()}") from None
    return frame.rename(columns=str)


def _column(texts: pd.Series) -> np.ndarray | str:
    """A column's values as float64, or why they cannot be a series (data rows counted from 1)."""
    stripped = texts.str.strip()
    missing = np.flatnonzero((stripped == "").to_numpy())
    if missing.size:
        return f"{missing.size} missing values (the first in data row {missing[0] + 1}): fill or remove them"
    values = np.empty(len(stripped))
    for i, text in enumerate(stripped):
        if not NUMBER.fullmatch(text):
            if foreign_number(text):
                return f"its numbers must be {ASCII_DIGITS}, as {quoted(text)} in data row {i + 1} is not"
            return f"it holds text ({quoted(text)} in data row {i + 1}), not numbers"
        values[i] = float(text)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = f"{quoted(stripped.iloc[bad[0]])} in data row {bad[0] + 1}"
        return f"{bad.size} values are infinite or not a number (the first: {first})"
    if values.min() == values.max():
        return f"every value is {values[0]:g}: a constant has nothing to predict, and no range to scale by"
    with np.errstate(over="ignore"):
        span = values.max() - values.min()
    if not np.isfinite(span):
        return f"its values span more than float64 holds ({values.min():.3g} to {values.max():.3g})"
    return values
