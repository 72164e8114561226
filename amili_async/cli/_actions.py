"""``amili-async credit`` and ``amili-async cancel``: act on one case, or on every row of a file.

One case
--------
``amili-async credit CASE_ID --amount 500 --reference CR-1001`` credits 500
SEK on the case; ``amili-async cancel CASE_ID`` cancels it. With
``--sandbox`` and no case id, a few demo cases are registered on the embedded
sandbox first and the first one is acted on.

A file of rows
--------------
``--file FILE`` (CSV with a header row, or JSONL: one JSON object per line)
holds one action per row. Rows name their case by ``case`` (its id) or by
``invoice_number`` (the creditor's own), not both. The columns are
:data:`~amili_async.cli._filehelp.CREDIT_FILE` and
:data:`~amili_async.cli._filehelp.CANCEL_FILE`, which ``--help`` prints.

A crediting of more than the case still owes is recorded with a ``warning``
(``settled_amount`` says what was credited); cancelling a case that has
closed already is a harmless ``warning``. Both count as done: the results
file has the status and its reason. ``--journal``, ``--results``,
``--retry-failed`` and the exit status work as for ``register``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ._columns import cancellation, crediting
from ._common import SubParsers, UsageError, help_text
from ._connect import Connection, connect, register_demo_cases
from ._filehelp import CANCEL_FILE, CREDIT_FILE
from ._jobs import JOB_HELP, ActionCommand, add_job_arguments, row_source, run, run_job
from ._report import Wording
from ._rows import Row

__all__ = ["register_cancel", "register_credit"]

_CREDIT = ActionCommand(
    service=lambda client: client.creditor_creditings,
    body=crediting,
    verb="crediting",
    wording=Wording("Crediting summary", "creditings", "already credited", "credited"),
    file=CREDIT_FILE,
)
_CANCEL = ActionCommand(
    service=lambda client: client.creditor_cancellations,
    body=lambda row, account, creditor: cancellation(row, creditor),
    verb="cancelling",
    wording=Wording("Cancellation summary", "cancellations", "already cancelled"),
    file=CANCEL_FILE,
)


def register_credit(subparsers: SubParsers) -> None:
    """Add the ``credit`` command."""
    parser = _parser(
        subparsers,
        "credit",
        _CREDIT,
        "credit a case (or every row of a file), resumably",
        "Credit one case (CASE_ID --amount --reference), or every row of a CSV or JSONL "
        "file (--file). With --sandbox and no CASE_ID, a demo case on the embedded "
        "sandbox is credited.",
    )
    parser.add_argument("--amount", help="one case: the amount to credit, e.g. 500 or 1250.50")
    parser.add_argument(
        "--reference",
        help="one case: your unique creditor_reference (finds it again after a lost answer)",
    )
    parser.add_argument("--credit-invoice", help="one case: your credit invoice's id")
    parser.set_defaults(handler=lambda args: run(_credit, args))


def register_cancel(subparsers: SubParsers) -> None:
    """Add the ``cancel`` command."""
    parser = _parser(
        subparsers,
        "cancel",
        _CANCEL,
        "cancel a case (or every row of a file), resumably",
        "Cancel one case (CASE_ID), or every row of a CSV or JSONL file (--file). "
        "Cancelling a closed case is harmless. With --sandbox and no CASE_ID, a demo "
        "case on the embedded sandbox is cancelled.",
    )
    parser.set_defaults(handler=lambda args: run(_cancel, args))


def _parser(
    subparsers: SubParsers, name: str, command: ActionCommand, summary: str, description: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog=help_text(command.file.help(), JOB_HELP),
    )
    parser.add_argument("case", nargs="?", metavar="CASE_ID", help="the case to act on")
    parser.add_argument("--file", type=Path, metavar="FILE", help="a .csv or .jsonl file of rows")
    add_job_arguments(parser)
    return parser


async def _credit(args: argparse.Namespace) -> int:
    if args.file is None:
        if args.amount is None or args.reference is None:
            raise UsageError("credit CASE_ID needs --amount and --reference (or give --file)")
        try:
            amount = Decimal(args.amount.replace(",", "."))
        except InvalidOperation:
            raise UsageError(f"--amount is not a number: {args.amount!r}") from None
        row = {"amount": amount, "creditor_reference": args.reference}
        if args.credit_invoice:
            row["credit_invoice"] = args.credit_invoice
        return await _act(args, _CREDIT, row)
    return await _act(args, _CREDIT, None)


async def _cancel(args: argparse.Namespace) -> int:
    return await _act(args, _CANCEL, {} if args.file is None else None)


async def _act(
    args: argparse.Namespace, command: ActionCommand, single: dict[str, Any] | None
) -> int:
    """Run ``command`` over the file, or over the one row ``single`` for the named case."""
    if single is not None and args.file is None and args.case is None and not args.sandbox:
        raise UsageError("name a CASE_ID or --file (or pass --sandbox for a demo case)")
    if single is None and args.case is not None:
        raise UsageError("give either CASE_ID or --file, not both")
    rows: Iterable[Row]
    total = 1
    if single is None:
        read, total = row_source(args.file, args.format, command.file)
        rows = read()
    async with connect(args, concurrency=args.concurrency) as connection:
        if single is not None:
            rows = [(0, {**single, "case": await _case_id(args, connection)})]
        return await run_job(args, command, connection, rows, total)


async def _case_id(args: argparse.Namespace, connection: Connection) -> str:
    if args.case is not None:
        return str(args.case)
    return (await register_demo_cases(connection))[0]
