"""Reading a CSV or JSONL export row by row, streamed, for ``register``.

Each row comes with its line number (what the user sees in their editor), so
that every problem can name the line it comes from. A row that cannot be read
at all is a :class:`RowError` in the stream, not an exception: the job goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeAlias

from attrs import define

from ._common import UsageError

__all__ = ["Row", "RowError", "format_of", "read_rows"]


@define
class RowError:
    """A row that could not be read at all (bad JSON, a broken CSV record)."""

    line: int
    reason: str


#: One row: its line number, and its columns (or why it could not be read).
Row: TypeAlias = tuple[int, dict[str, Any] | RowError]


def format_of(path: Path, given: str | None) -> str:
    """``csv`` or ``jsonl``: as ``--format`` says, else from the file's extension."""
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise UsageError(f"cannot tell the format of {path.name}: use .csv or .jsonl, or --format")


def read_rows(path: Path, file_format: str) -> Iterator[Row]:
    """Each row of the file and its line number, streamed; unreadable rows as :class:`RowError`."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        if file_format == "csv":
            yield from _csv_rows(handle)
        else:
            yield from _jsonl_rows(handle)


def _csv_rows(handle: IO[str]) -> Iterator[Row]:
    reader = csv.DictReader(handle)
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                yield line, RowError(line, "more fields than the header has columns")
                continue
            cleaned = {
                key.strip(): value.strip()
                for key, value in row.items()
                if key and isinstance(value, str) and value.strip()
            }
            if cleaned:
                yield line, cleaned
    except csv.Error as error:
        yield reader.line_num, RowError(reader.line_num, f"not valid CSV: {error}")


def _jsonl_rows(handle: IO[str]) -> Iterator[Row]:
    for line, text in enumerate(handle, start=1):
        text = text.strip()
        if not text:
            continue
        try:
            value = json.loads(text, parse_float=Decimal)
        except ValueError as error:
            yield line, RowError(line, f"not valid JSON: {error}")
            continue
        if not isinstance(value, dict):
            yield line, RowError(line, "each line must be a JSON object")
            continue
        yield (
            line,
            {str(key): value for key, value in value.items() if value is not None and value != ""},
        )
