"""Reading a visitor's CSV file: it is data, never code.

It is read as UTF-8 text by pandas' CSV parser, and a column is taken only if every value in it is a
finite number and not all of them are the same; whatever is wrong is said with the limit it breaks.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fibdash.series import MAX_N, Upload

MAX_UPLOAD_MB = 2  # as .streamlit/config.toml's server.maxUploadSize, checked again here


@dataclass(frozen=True)
class CsvFile:
    """A CSV file read as text: its columns, and for each either its values or what is wrong with it."""

    file_name: str
    sha256: str
    columns: dict[str, np.ndarray | str]  # a column's values, or why it cannot be a series

    @property
    def usable(self) -> list[str]:
        """The columns that can be a series."""
        return [name for name, column in self.columns.items() if not isinstance(column, str)]

    def upload(self, column: str) -> Upload:
        """Column `column` as a series; ValueError naming what is wrong with it."""
        if column not in self.columns:
            raise ValueError(f"{self.file_name} has no column {column!r}: it has {', '.join(self.columns)}")
        values = self.columns[column]
        if isinstance(values, str):
            raise ValueError(f"column {column!r} of {self.file_name} cannot be a series: {values}")
        return Upload(self.sha256, column, self.file_name, values)


def read_csv(content: bytes, file_name: str) -> CsvFile:
    """Read an uploaded file as a CSV of UTF-8 text; ValueError naming the problem and the limit.

    The whole file must be text, a table with a header row and at most MAX_N rows below it; each
    column is then judged on its own (`CsvFile.columns`).
    """
    if len(content) > MAX_UPLOAD_MB * 1024 * 1024:
        raise ValueError(
            f"{file_name} is {len(content) / 2**20:.1f} MB: files may be at most {MAX_UPLOAD_MB} MB"
        )
    if content[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") or b"\x00" in content[:8192]:
        raise ValueError(
            f"{file_name} is a binary file (an Excel workbook, an archive or a pickle, say), not a CSV: "
            "save it as CSV (comma-separated text, UTF-8) and upload that"
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{file_name} is not UTF-8 text (byte {error.start} cannot be read): save it as CSV UTF-8"
        ) from None
    if not text.strip():
        raise ValueError(f"{file_name} is empty: it needs a header row and the values below it")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{file_name} cannot be read as a CSV table: {str(error).strip()}") from None
    if len(frame) > MAX_N:
        raise ValueError(f"{file_name} has {len(frame):,} rows: at most {MAX_N:,} can be used on this server")
    if frame.empty:
        raise ValueError(f"{file_name} has a header but no rows of values")
    columns = {str(name): _column(frame[name]) for name in frame.columns}
    return CsvFile(file_name, hashlib.sha256(content).hexdigest(), columns)


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
            reasons = "; ".join(f"{name}: {why}" for name, why in table.columns.items())
            raise ValueError(f"no column of {path.name} can be a series ({reasons})")
        series = [name for name in table.usable if not counts_rows(table.columns[name])]
        if not series:
            raise ValueError(
                f"every numeric column of {path.name} ({', '.join(table.usable)}) only counts its rows: "
                "give --column to use one as the series"
            )
        column = series[0]
    return table.upload(column)


def _column(texts) -> np.ndarray | str:
    """A column's values as float64, or why they cannot be a series (data rows counted from 1)."""
    stripped = texts.str.strip()
    missing = np.flatnonzero((stripped == "").to_numpy())
    if missing.size:
        return f"{missing.size} missing values (the first in data row {missing[0] + 1}): fill or remove them"
    values = np.empty(len(stripped))
    for i, text in enumerate(stripped):
        try:
            values[i] = float(text)
        except ValueError:
            return f"it holds text ({text[:20]!r} in data row {i + 1}), not numbers"
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = f"{stripped.iloc[bad[0]]!r} in data row {bad[0] + 1}"
        return f"{bad.size} values are infinite or not a number (the first: {first})"
    if values.min() == values.max():
        return f"every value is {values[0]:g}: a constant has nothing to predict, and no range to scale by"
    with np.errstate(over="ignore"):
        span = values.max() - values.min()
    if not np.isfinite(span):
        return f"its values span more than float64 holds ({values.min():.3g} to {values.max():.3g})"
    return values
