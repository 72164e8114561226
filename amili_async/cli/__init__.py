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
from ._common import SubParsers, UsageError

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
        description="Tools for the Amili debt-collection API: an offline sandbox and a demo.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for register in COMMANDS:
        register(subparsers)
    return parser


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
