"""``amili-async status ID...``: a table of cases, read concurrently.

Shows each case's status, state, customer (identity number masked), invoice,
remaining amount and, once closed, when and why. With ``--sandbox`` and no
ids, a few demo cases are registered on the embedded sandbox first. Exit
status: 0 when every case was read, 1 when some could not be, 2 usage error.
"""

from __future__ import annotations

import argparse
from typing import Any

import anyio

from amili_async import Case, CaseResult

from ._common import SubParsers, UsageError, error_message
from ._connect import (
    add_connection_arguments,
    connect,
    console,
    masked,
    register_demo_cases,
)

__all__ = ["case_row", "register"]


def register(subparsers: SubParsers) -> None:
    """Add the ``status`` command."""
    parser = subparsers.add_parser(
        "status",
        help="show a table of cases",
        description="Read cases concurrently and show their status as a table.",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="case ids")
    parser.add_argument(
        "--concurrency", type=int, default=10, metavar="N", help="reads at once (default: 10)"
    )
    parser.add_argument("--plain", action="store_true", help="no colours")
    add_connection_arguments(parser)
    parser.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    if not args.ids and not args.sandbox:
        raise UsageError("name at least one case id (or pass --sandbox for demo cases)")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    return anyio.run(_run, args)


def case_row(case: Case) -> list[str]:
    """The table cells of one case."""
    remaining = case.total_remaining_transaction_amount
    closed = ""
    if case.closed is not None:
        closed = f"{case.closed.close_date:%Y-%m-%d} {case.closed.reason}"
    return [
        case.id,
        str(case.status or ""),
        str(case.state or ""),
        case.customer_name or "",
        masked(case.customer_id_number),
        (case.debt.invoice_number or "") if case.debt else "",
        "" if remaining is None else f"{remaining} {case.currency or ''}".strip(),
        closed,
    ]


async def _run(args: argparse.Namespace) -> int:
    from rich.table import Table

    async with connect(args, concurrency=args.concurrency) as connection:
        ids = list(args.ids)
        if connection.sandbox is not None and not ids:
            ids = await register_demo_cases(connection)
        results: list[CaseResult] = []
        async with connection.client.cases.get_many(ids, concurrency=args.concurrency) as found:
            async for result in found:
                results.append(result)
    results.sort(key=lambda result: result.index)
    table = Table(title="Cases")
    for column in ("case", "status", "state", "customer", "id number", "invoice", "remaining"):
        table.add_column(column, no_wrap=column == "case")
    table.add_column("closed")
    failed = 0
    for result in results:
        if result.case is not None:
            table.add_row(*case_row(result.case))
        else:
            failed += 1
            table.add_row(result.case_id, *_error_cells(result.error))
    console(args.plain).print(table)
    return 1 if failed else 0


def _error_cells(error: Any) -> list[str]:
    return [f"[red]{type(error).__name__}[/]", error_message(error), "", "", "", "", ""]
