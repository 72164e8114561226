"""``amili-async status ID...``: a table of cases (or JSON lines), read concurrently.

Shows each case's status, state, customer (identity number masked), invoice,
remaining amount and, once closed, when and why. Ids come from the
arguments, ``--ids-file`` or standard input (see ``_ids``). With ``--sandbox``
and no ids, a few demo cases are registered on the embedded sandbox first.
``--json`` prints one JSON object per case instead (see
:func:`~amili_async.cli._cases.case_json`; a case that could not be read is
``{"id": ..., "error": {...}}``). Exit status: 0 when every case was read, 1
when some could not be, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import anyio

from amili_async import CaseResult

from ._cases import JSON_HELP, case_json, error_json
from ._common import SubParsers, UsageError, help_text
from ._connect import add_connection_arguments, connect, console, register_demo_cases
from ._ids import IDS_HELP, add_id_arguments, case_ids
from ._tables import CaseCells, case_table

__all__ = ["register"]


def register(subparsers: SubParsers) -> None:
    """Add the ``status`` command."""
    parser = subparsers.add_parser(
        "status",
        help="show cases as a table or JSON lines",
        description=help_text(
            "Read cases concurrently and show their status, state, customer, invoice, "
            "remaining amount and closing, as a table or (--json) as JSON lines.",
            IDS_HELP,
            "Exit status: 0 when every case was read, 1 when some could not be, 2 usage error.",
        ),
    )
    add_id_arguments(parser)
    parser.add_argument(
        "--concurrency", type=int, default=10, metavar="N", help="reads at once (default: 10)"
    )
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.add_argument("--plain", action="store_true", help="no colours")
    add_connection_arguments(parser)
    parser.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    ids = case_ids(args)
    return anyio.run(_run, args, ids)


async def _run(args: argparse.Namespace, ids: list[str]) -> int:
    async with connect(args, concurrency=args.concurrency) as connection:
        if connection.sandbox is not None and not ids:
            ids = await register_demo_cases(connection)
        results: list[CaseResult] = []
        async with connection.client.cases.get_many(ids, concurrency=args.concurrency) as found:
            async for result in found:
                results.append(result)
    results.sort(key=lambda result: result.index)
    failed = sum(result.case is None for result in results)
    if args.json:
        for result in results:
            print(json.dumps(_json(result), ensure_ascii=False))
    else:
        out = console(args.plain)
        rows = [_cells(result) for result in results]
        out.print(case_table(rows, title="Cases", width=out.width))
    return 1 if failed else 0


def _json(result: CaseResult) -> dict[str, Any]:
    if result.case is not None:
        return case_json(result.case)
    return error_json(result.case_id, result.error or LookupError("not read"))


def _cells(result: CaseResult) -> CaseCells:
    if result.case is not None:
        return CaseCells.of(result.case)
    return CaseCells.failed(result.case_id, result.error or LookupError("not read"))
