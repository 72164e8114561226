"""Small things every subcommand shares: the subparser type, usage errors and friendly output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from amili_async import APIStatusError

__all__ = [
    "Output",
    "ParagraphFormatter",
    "SubParsers",
    "UsageError",
    "check_writable",
    "error_message",
    "help_text",
    "issue_lines",
    "issue_text",
    "positive_int",
]

#: The object ``add_subparsers()`` returns, which each subcommand registers itself on.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """The command cannot run as asked (exit status 2)."""


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def error_message(error: BaseException) -> str:
    """The API's own message of an SDK error (without the status line), else the error's text.

    An API error that names the fields it refused (a 422's ``issues``) says
    each of them: ``Insertion failure: 1 document(s) contain(s) error(s) --
    creditor: value '...' must exist in resource 'creditors'``.
    """
    message: str = getattr(error, "message", None) or str(error)
    if isinstance(error, APIStatusError) and error.issues:
        return f"{message} -- {'; '.join(issue_lines(error.issues))}"
    return message


def issue_text(reason: object) -> str:
    """One field's reason: a message, or several (a 422 gives a tuple) joined by ``; ``."""
    if isinstance(reason, tuple | list):
        return "; ".join(str(part).rstrip() for part in reason)
    return str(reason)


def issue_lines(issues: Mapping[str, object]) -> list[str]:
    """``field: reason`` for each refused field (a reason with no field is the bare reason)."""
    return [
        f"{path}: {issue_text(reason)}" if path else issue_text(reason)
        for path, reason in issues.items()
    ]


class Output:
    """Prints titled steps and key facts: with rich when installed, plain text otherwise."""

    def __init__(self, stream: TextIO | None = None, *, plain: bool = False) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._console: Any = None
        if not plain:
            try:
                from rich.console import Console
            except ImportError:
                pass
            else:
                self._console = Console(file=self._stream, highlight=False)

    def title(self, text: str) -> None:
        """A heading."""
        if self._console is not None:
            self._console.rule(f"[bold]{text}")
        else:
            print(f"\n== {text} ==", file=self._stream)

    def facts(self, rows: Sequence[tuple[str, object]]) -> None:
        """Aligned ``label: value`` lines."""
        if self._console is not None:
            from rich.table import Table

            table = Table.grid(padding=(0, 2))
            table.add_column(style="cyan", no_wrap=True)
            table.add_column()
            for label, value in rows:
                table.add_row(label, str(value))
            self._console.print(table)
        else:
            width = max((len(label) for label, _ in rows), default=0)
            for label, value in rows:
                print(f"  {label.ljust(width)}  {value}", file=self._stream)

    def line(self, text: str) -> None:
        """One line of text."""
        if self._console is not None:
            self._console.print(text, markup=False)
        else:
            print(text, file=self._stream)


def check_writable(path: Path, option: str) -> None:
    """Raise :class:`UsageError` unless a file can be written at ``path`` (for ``option``).

    Its directory must exist and be writable (SQLite also writes its ``-wal``
    file there), and the path must not be a directory or a file we cannot write.
    """
    where = f"{option} {path}"
    if path.is_dir():
        raise UsageError(f"{where}: is a directory; name a file")
    parent = path.parent
    if not parent.exists():
        raise UsageError(f"{where}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{where}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (
        path.exists() and not os.access(path, os.R_OK | os.W_OK)
    ):
        raise UsageError(f"{where}: no permission to write there")


def help_text(*paragraphs: str) -> str:
    """A ``--help`` description or epilog of several paragraphs (see ``ParagraphFormatter``)."""
    return "\n\n".join(paragraphs)


class ParagraphFormatter(argparse.HelpFormatter):
    """Help that keeps paragraphs and preformatted blocks.

    Paragraphs (separated by blank lines) are wrapped to the terminal's width,
    as argparse does; a paragraph whose lines start with a space (a table of
    columns, an example) is printed as written.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = []
        for block in text.split("\n\n"):
            if block.startswith(" "):
                blocks.append("\n".join(indent + line for line in block.splitlines()))
            else:
                blocks.append(super()._fill_text(block, width, indent))
        return "\n\n".join(blocks)
