"""``amili-async cases list``: search cases with the API's own filter, as a table or JSON lines.

``--where`` is the API's JSON filter (``'{"status": "debt_collection"}'``,
dot notation and Mongo operators welcome), ``--sort`` a field (``-`` for
descending), ``--max`` the most cases to show. ``--json`` prints one JSON
object per case (:func:`case_json`, as ``status --json`` does) for scripts.
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
import attrs

from amili_async import AmiliError, Case, Closed

from ._common import SubParsers, UsageError, error_message, positive_int
from ._connect import add_connection_arguments, connect, console, masked, register_demo_cases
from ._format import amount_json, iso
from ._results import ErrorRecord
from ._tables import CaseCells, case_table

__all__ = ["JSON_HELP", "case_json", "error_json", "register"]

#: ``--help`` of ``--json`` (``status`` and ``cases list``).
JSON_HELP = (
    "one JSON object per case and line: id, status, state, customer_name, "
    "customer_id_number (masked), invoice_number, remaining (a string with two "
    'decimals, like "2000.00"), currency, closed (date in ISO 8601 UTC, reason)'
)
#: The largest page the API serves.
_PAGE_LIMIT = 100
#: How far ``--sandbox`` moves the clock after registering demo cases (into debt collection).
_SANDBOX_HOURS = 2


def register(subparsers: SubParsers) -> None:
    """Add the ``cases`` command and its ``list`` subcommand."""
    cases = subparsers.add_parser(
        "cases",
        help="cases list: search cases with the API's filter",
        description="Search and list cases.",
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
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.add_argument("--plain", action="store_true", help="no colours")
    add_connection_arguments(parser)
    parser.set_defaults(handler=_main)
    cases.set_defaults(handler=_missing_action)


def _missing_action(args: argparse.Namespace) -> int:
    raise UsageError("name an action: list")


def _main(args: argparse.Namespace) -> int:
    return anyio.run(_run, args)


def case_json(case: Case) -> dict[str, Any]:
    """The JSON line of one case: its table columns, keyed; the identity number masked.

    ``remaining`` is a string with two decimals (``"2000.00"``), never a float;
    ``closed.date`` is ISO 8601 in UTC (``2025-09-03T08:00:00+00:00``).
    """
    closed = case.closed
    return {
        "id": case.id,
        "status": None if case.status is None else str(case.status),
        "state": None if case.state is None else str(case.state),
        "customer_name": case.customer_name,
        "customer_id_number": masked(case.customer_id_number) or None,
        "invoice_number": case.debt.invoice_number if case.debt else None,
        "remaining": amount_json(case.total_remaining_transaction_amount),
        "currency": case.currency,
        "closed": None if closed is None else _closed_json(closed),
    }


def _closed_json(closed: Closed) -> dict[str, str | None]:
    return {
        "date": iso(closed.close_date),
        "reason": None if closed.reason is None else str(closed.reason),
    }


def error_json(case_id: str, error: BaseException) -> dict[str, Any]:
    """The JSON line of a case that could not be read: its id and the error."""
    return {"id": case_id, "error": attrs.asdict(ErrorRecord.of(error))}


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
    out = console(plain)
    rows = [CaseCells.of(case) for case in cases]
    out.print(case_table(rows, title=f"Cases ({len(cases)})", width=out.width))


def _where(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, e.g. \'{"status": "closed"}\'')
    return value
