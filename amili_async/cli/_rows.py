"""Reading a CSV or JSONL file row by row, streamed, for the commands that read one.

Each row comes with its line number (what the user sees in their editor), so
that every problem can name the line it comes from. A row that cannot be read
at all is a :class:`RowError` in the stream, not an exception: the job goes on.

A file that cannot be read at all is refused whole with a :class:`UsageError`
(exit status 2), and since the first pass reads the whole file before anything
is sent, that happens before anything is sent: a file that is not UTF-8
(Latin-1, UTF-16, an Excel workbook, any binary), or a CSV file whose first
line names none of the columns. An encoding is a property of the file, not of
a row: refusing one row at a time would register the rows before the first
byte that gives it away and refuse the rest, and guessing could register
names misspelt for good. A CSV file may separate its fields with ``,``, ``;``
(Swedish Excel's default) or a tab: the first line, the header, tells which.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeAlias

from attrs import define

from ._common import UsageError
from ._filehelp import REGISTER_FILE

__all__ = ["COLUMNS", "MAX_FIELD_CHARS", "Row", "RowError", "format_of", "read_rows"]

#: The longest CSV field read (Python's own limit is 131,072); a longer one fails its row only.
MAX_FIELD_CHARS = 1 << 20

#: The columns ``register`` reads (the default of :func:`read_rows`).
COLUMNS = REGISTER_FILE.names

#: The field separators a CSV header is tried with, the usual one first.
_DELIMITERS = (",", ";", "\t")
_SAVE_AS_UTF8 = (
    "save it as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)'), or convert it, "
    "e.g. iconv -f WINDOWS-1252 -t UTF-8"
)
#: How a file that is not text starts, and what it then probably is.
_NOT_TEXT = (
    ((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE), "is UTF-32"),
    ((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE), "is UTF-16"),
    ((b"PK\x03\x04",), "is a zip archive (an Excel workbook?)"),
    ((b"\xd0\xcf\x11\xe0",), "is an old Excel workbook (.xls)"),
)


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


def read_rows(path: Path, file_format: str, columns: Sequence[str] = COLUMNS) -> Iterator[Row]:
    """Each row of the file and its line number, streamed; unreadable rows as :class:`RowError`.

    ``columns`` are the names the command knows: a CSV header must name at
    least one of them. Raises :class:`UsageError` when the file cannot be
    read at all (see the module).
    """
    _refuse_binary(path)
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            if file_format == "csv":
                yield from _csv_rows(path, handle, columns)
            else:
                yield from _jsonl_rows(handle)
        except UnicodeDecodeError:
            raise UsageError(_not_utf8(path)) from None


def _refuse_binary(path: Path) -> None:
    """Refuse a file whose first bytes show it is not UTF-8 text at all."""
    with path.open("rb") as handle:
        start = handle.read(1 << 16)
    for marks, what in _NOT_TEXT:
        if start.startswith(marks):
            raise UsageError(f"{path.name} {what}, not UTF-8 text: {_SAVE_AS_UTF8}")
    if b"\x00" in start:
        raise UsageError(
            f"{path.name} has NUL bytes: it is binary, or UTF-16 without a byte-order mark, "
            f"not UTF-8 text: {_SAVE_AS_UTF8}"
        )


def _not_utf8(path: Path) -> str:
    """Why ``path`` is not UTF-8: the first line that is not, and its first bad byte."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                byte = raw[error.start]
                return (
                    f"{path.name} is not UTF-8 (line {number} has the byte 0x{byte:02X}; "
                    f"Latin-1 or Windows-1252?): {_SAVE_AS_UTF8}"
                )
    return f"{path.name} is not UTF-8: {_SAVE_AS_UTF8}"  # pragma: no cover - changed meanwhile


def _csv_rows(path: Path, handle: IO[str], columns: Sequence[str]) -> Iterator[Row]:
    header_line = handle.readline()
    delimiter = _delimiter(path, header_line, columns)
    reader = csv.reader(itertools.chain([header_line], handle), delimiter=delimiter)
    try:
        names = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        raise UsageError(f"{path.name}: the header (line 1) is not valid CSV: {error}") from None
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, RowError(start, _csv_problem(error))
            continue
        line = reader.line_num
        if len(fields) > len(names):
            yield line, RowError(line, "more fields than the header has columns")
            continue
        cleaned = {
            name: value.strip()
            for name, value in zip(names, fields, strict=False)
            if name and value.strip()
        }
        if cleaned:
            yield line, cleaned


def _delimiter(path: Path, header_line: str, columns: Sequence[str]) -> str:
    """The separator under which the header names the most known columns (``,`` on a tie)."""
    known = {
        delimiter: _known(next(csv.reader([header_line], delimiter=delimiter), []), columns)
        for delimiter in _DELIMITERS
    }
    best = max(_DELIMITERS, key=lambda delimiter: known[delimiter])
    if not header_line.strip() or known[best]:
        return best
    raise UsageError(
        f"{path.name}: the first line must be the header, naming the columns "
        f"({', '.join(columns[:3])}, ...) separated by ',' or ';'; "
        f"it names none of them: {header_line.strip()[:80]!r}"
    )


def _known(names: Iterable[str], columns: Sequence[str]) -> int:
    return sum(name.strip() in columns for name in names)


def _csv_problem(error: csv.Error) -> str:
    if "field limit" in str(error):
        return f"a field is longer than {MAX_FIELD_CHARS:,} characters"
    return f"not valid CSV: {error}"


def _jsonl_rows(handle: IO[str]) -> Iterator[Row]:
    for line, text in enumerate(handle, start=1):
        text = text.strip()
        if not text:
            continue
        try:
            value = json.loads(text, parse_float=Decimal)
        except RecursionError:
            yield line, RowError(line, "not valid JSON: nested too deeply")
            continue
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
