"""The ``amili-async`` command line.

Each subcommand lives in its own module with a ``register(subparsers)``
function that adds its parser and sets ``handler`` (a function taking the
parsed arguments and returning the exit status; it raises ``UsageError`` when
the command cannot run as asked). To add a subcommand, write the module and
list its ``register`` in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from amili_async import __version__

from . import _actions, _cases, _demo, _invoices, _register, _sandbox_cmd, _status, _watch
from ._common import ParagraphFormatter, SubParsers, UsageError, help_text
from ._connect import CREDENTIALS_HELP

__all__ = ["COMMANDS", "build_parser", "main"]

#: The subcommands, in the order ``--help`` lists them.
COMMANDS: tuple[Callable[[SubParsers], None], ...] = (
    _sandbox_cmd.register,
    _demo.register,
    _register.register,
    _actions.register_credit,
    _actions.register_cancel,
    _invoices.register,
    _status.register,
    _watch.register,
    _cases.register,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="amili-async",
        description=(
            "The Amili debt-collection API from the command line: register debts and "
            "invoices from CSV or JSONL files, credit and cancel cases, read, search and "
            "watch cases; an offline sandbox and a demo to try it all without credentials."
        ),
        epilog=help_text(
            "Run 'amili-async COMMAND --help' for a command's options. Every command that "
            "talks to the API takes --sandbox: an embedded, in-process sandbox (no "
            "credentials, no network).",
            CREDENTIALS_HELP,
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for register in COMMANDS:
        register(subparsers)
    _keep_paragraphs(parser)
    return parser


def _keep_paragraphs(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and every subcommand's parser the :class:`ParagraphFormatter`."""
    parser.formatter_class = ParagraphFormatter
    for action in parser._actions:  # argparse keeps subcommands in a private list
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _keep_paragraphs(subparser)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except UsageError as error:
        print(f"{parser.prog} {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
