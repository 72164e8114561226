"""Case ids for ``status`` and ``watch``: from the command line, a file, or standard input.

Ids may be named as arguments, read from ``--ids-file PATH``, or read from
standard input: named as ``-``, or piped in (``cut -f1 cases.tsv | amili-async
status``) when no id is named. A file or stream holds one id per line; blank
lines and everything after a ``#`` are ignored. The same id twice is read once.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ._common import UsageError

__all__ = ["IDS_HELP", "add_id_arguments", "case_ids", "ids_in"]

#: The paragraph of ``--help`` that says where ids come from.
IDS_HELP = (
    "Case ids come from the arguments, from --ids-file PATH, or from standard input "
    "('-', or piped in when no id is named): one id per line, blank lines and '#' "
    "comments ignored."
)


def add_id_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``ID...`` arguments and ``--ids-file``."""
    parser.add_argument(
        "ids", nargs="*", metavar="ID", help="case ids ('-' reads them from standard input)"
    )
    parser.add_argument(
        "--ids-file",
        type=Path,
        metavar="PATH",
        help="read case ids from PATH, one per line ('#' starts a comment)",
    )


def case_ids(args: argparse.Namespace, stdin: TextIO | None = None) -> list[str]:
    """Every id the arguments name, in order, each once; raises :class:`UsageError`.

    Standard input is read when an argument is ``-``, or when no id is named
    and it is a pipe or a file (never a terminal, and never with ``--sandbox``,
    whose cases exist only in this process).
    """
    stream = sys.stdin if stdin is None else stdin
    named = [value for value in args.ids if value != "-"]
    found: list[str] = list(ids_in(named, "the arguments"))
    if args.ids_file is not None:
        found += ids_in(_lines_of(args.ids_file), str(args.ids_file))
    if "-" in args.ids or (
        not found and args.ids_file is None and not args.sandbox and _piped(stream)
    ):
        found += ids_in(stream, "standard input")
    if not found and not args.sandbox:
        raise UsageError(
            "name at least one case id: as arguments, with --ids-file PATH or on standard "
            "input (or pass --sandbox for demo cases)"
        )
    return list(dict.fromkeys(found))


def ids_in(lines: Iterable[str], source: str) -> list[str]:
    """The ids of ``lines`` (one per line; blanks and ``#`` comments skipped)."""
    ids: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if len(text.split()) > 1:
            raise UsageError(
                f"{source}, line {number}: {text[:60]!r} is not one id: write one per line"
            )
        ids.append(text)
    return ids


def _lines_of(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise UsageError(f"--ids-file {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"--ids-file {path}: is a directory") from None
    except UnicodeDecodeError:
        raise UsageError(f"--ids-file {path}: not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"--ids-file {path}: {error.strerror or error}") from None


def _piped(stream: TextIO) -> bool:
    """Whether ``stream`` is a pipe or a redirected file (not a terminal, not /dev/null)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)
