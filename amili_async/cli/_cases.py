"""``amili-async cases list``: search cases with the API's own filter, as a table or JSON lines.

``--where`` is the API's JSON filter (``'{"status": "debt_collection"}'``,
dot notation and Mongo operators welcome), ``--sort`` a field (``-`` for
descending), ``--max`` the most cases to show. ``--json`` prints one JSON
object per case (the table's columns; identity numbers masked) for scripts.
With ``--sandbox`` a few demo cases are registered on the embedded sandbox
and its clock moved on two hours, so they are in debt collection. Exit
status: 0 on success, 1 when the API refused the query, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import anyio

from amili_async import AmiliError, Case, Closed

from ._common import SubParsers, UsageError, error_message, positive_int
from ._connect import add_connection_arguments, connect, console, masked, register_demo_cases
from ._status import case_row

__all__ = ["case_json", "register"]

#: The table's columns (as ``status`` shows them).
_COLUMNS = ("case", "status", "state", "customer", "id number", "invoice", "remaining", "closed")
#: The largest page the API serves.
_PAGE_LIMIT = 100
#: How far ``--sandbox`` moves the clock after registering demo cases (into debt collection).
_SANDBOX_HOURS = 2


def register(subparsers: SubParsers) -> None:
    """Add the ``cases`` command and its ``list`` subcommand."""
    cases = subparsers.add_parser(
        "cases", help="search cases", description="Search and list cases."
    )
    actions = cases.add_subparsers(title="actions", metavar="ACTION", dest="action")
    parser = actions.add_parser(
        "list",
        help="list cases matching a filter",
        description="List cases matching the API's JSON filter, as a table or JSON lines.",
    )
    parser.add_argument(
        "--where",
        type=_where,
        default=None,
        metavar="JSON",
        help='the API\'s filter, e.g. \'{"status": "debt_collection"}\'',
    )
    parser.add_argument(
        "--sort",
        default=None,
        help="sort field; descending with '-' first, written --sort=-_created",
    )
    parser.add_argument(
        "--max", type=positive_int, default=None, metavar="N", help="show at most N cases"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--plain", action="store_true", help="no colours")
    add_connection_arguments(parser)
    parser.set_defaults(handler=_main)
    cases.set_defaults(handler=_missing_action)


def _missing_action(args: argparse.Namespace) -> int:
    raise UsageError("name an action: list")


def _main(args: argparse.Namespace) -> int:
    return anyio.run(_run, args)


def case_json(case: Case) -> dict[str, Any]:
    """The JSON line of one case: its table columns, keyed; the identity number masked."""
    remaining = case.total_remaining_transaction_amount
    closed = case.closed
    return {
        "id": case.id,
        "status": None if case.status is None else str(case.status),
        "state": None if case.state is None else str(case.state),
        "customer_name": case.customer_name,
        "customer_id_number": masked(case.customer_id_number) or None,
        "invoice_number": case.debt.invoice_number if case.debt else None,
        "remaining": None if remaining is None else str(remaining),
        "currency": case.currency,
        "closed": None if closed is None else _closed_json(closed),
    }


def _closed_json(closed: Closed) -> dict[str, str | None]:
    return {
        "date": None if closed.close_date is None else closed.close_date.isoformat(),
        "reason": None if closed.reason is None else str(closed.reason),
    }


async def _run(args: argparse.Namespace) -> int:
    async with connect(args) as connection:
        if connection.sandbox is not None:
            from amili_async.sandbox import Sandbox

            await register_demo_cases(connection)
            if isinstance(connection.sandbox, Sandbox):
                connection.sandbox.advance(hours=_SANDBOX_HOURS)
        pager = connection.client.cases.list(
            where=args.where,
            sort=args.sort,
            max_results=min(args.max, _PAGE_LIMIT) if args.max else None,
        )
        try:
            cases = await pager.collect(limit=args.max)
        except AmiliError as error:
            print(f"amili-async cases list: {error_message(error)}", file=sys.stderr)
            return 1
    if args.json:
        for case in cases:
            print(json.dumps(case_json(case), ensure_ascii=False))
        return 0
    _print_table(cases, plain=args.plain)
    return 0


def _print_table(cases: list[Case], *, plain: bool) -> None:
    from rich.table import Table

    table = Table(title=f"Cases ({len(cases)})")
    for column in _COLUMNS:
        table.add_column(column, no_wrap=column == "case")
    for case in cases:
        table.add_row(*case_row(case))
    console(plain).print(table)


def _where(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, e.g. \'{"status": "closed"}\'')
    return value
