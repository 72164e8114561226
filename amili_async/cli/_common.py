"""Small things every subcommand shares: the subparser type, usage errors and friendly output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, TypeAlias

__all__ = ["Output", "SubParsers", "UsageError", "check_writable", "error_message", "positive_int"]

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
    """The API's own message of an SDK error (without the status line), else the error's text."""
    return getattr(error, "message", None) or str(error)


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
