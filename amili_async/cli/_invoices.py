"""``amili-async invoices register FILE``: register every invoice of a CSV or JSONL file.

Full service: Amili sends each invoice and, if it goes unpaid, reminds and
collects. Each invoice opens one case; the results file names it.

The file has one invoice per row (its columns are
:data:`~amili_async.cli._filehelp.INVOICE_FILE`, which ``--help`` prints), or
one JSONL line per invoice body with several article rows. ``--journal``,
``--results``, ``--retry-failed`` and the exit status work as for
``register``; an invoice number is registered once per creditor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._columns import invoice
from ._common import SubParsers, help_text
from ._connect import connect
from ._filehelp import INVOICE_FILE
from ._jobs import JOB_HELP, ActionCommand, add_job_arguments, row_source, run, run_job
from ._report import Wording

__all__ = ["register"]

_INVOICES = ActionCommand(
    service=lambda client: client.invoice_registrations,
    body=invoice,
    verb="invoicing",
    wording=Wording("Invoice summary", "invoices", "already registered"),
    file=INVOICE_FILE,
)


def register(subparsers: SubParsers) -> None:
    """Add the ``invoices`` command and its ``register`` subcommand."""
    group = subparsers.add_parser(
        "invoices",
        help="invoices register: register invoices Amili sends (full service)",
        description="Invoices Amili sends and follows up (full service).",
    )
    commands = group.add_subparsers(title="commands", metavar="COMMAND", dest="invoices_command")
    parser = commands.add_parser(
        "register",
        help="register every invoice of a CSV or JSONL file, resumably",
        description=(
            "Register the invoices of a CSV or JSONL file, resumably (full service: Amili "
            "sends each invoice and, if it goes unpaid, reminds and collects). An invoice "
            "number is registered once per creditor."
        ),
        epilog=help_text(INVOICE_FILE.help(), JOB_HELP),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a .csv or .jsonl file")
    add_job_arguments(parser)
    parser.set_defaults(handler=lambda args: run(_register, args))


async def _register(args: argparse.Namespace) -> int:
    read, total = row_source(args.file, args.format, _INVOICES.file)
    async with connect(args, concurrency=args.concurrency) as connection:
        return await run_job(args, _INVOICES, connection, read(), total)
