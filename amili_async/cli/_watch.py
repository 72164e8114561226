"""``amili-async watch ID... --until closed``: follow cases and print each change.

Polls every ``--interval`` seconds (spread out, under ``--rate``), prints a
line whenever a case's status, state or remaining amounts change, and stops
following a case once it reaches one of the ``--until`` statuses (comma
separated; default ``closed``) or closes. Ends when no case is left.

``--sandbox`` watches on an embedded sandbox: with no ids, three demo cases
are registered first. The sandbox's clock is simulated and shared with the
client, so **it advances automatically**: each wait between polls moves it on
by ``--interval`` (30 minutes by default here) instead of waiting for real, and
a simulated customer pays each case in full once it reaches debt collection.
The cases therefore close within a few simulated days and the command ends in
about a second. Exit status: 0 when every case got where it was awaited, 1
when some could not be followed, 2 usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from amili_async import Case, CaseStatus, CaseUpdate

from ._common import SubParsers, UsageError, error_message
from ._connect import (
    Connection,
    add_connection_arguments,
    connect,
    console,
    register_demo_cases,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]

#: Polling interval with --sandbox (simulated seconds).
SANDBOX_INTERVAL = 30 * 60.0


def register(subparsers: SubParsers) -> None:
    """Add the ``watch`` command."""
    parser = subparsers.add_parser(
        "watch",
        help="follow cases until they reach a status",
        description="Poll cases and print each change until every case reaches --until.",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="case ids")
    parser.add_argument(
        "--until",
        default="closed",
        metavar="STATUS[,STATUS]",
        help="stop following a case at these statuses (default: closed)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between polls of a case (default: 60; 30 simulated minutes with --sandbox)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=10, metavar="N", help="polls at once (default: 10)"
    )
    parser.add_argument("--plain", action="store_true", help="no colours")
    add_connection_arguments(parser)
    parser.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    if not args.ids and not args.sandbox:
        raise UsageError("name at least one case id (or pass --sandbox for demo cases)")
    statuses = {status.strip() for status in args.until.split(",") if status.strip()}
    if not statuses:
        raise UsageError("--until names no status")
    if args.interval is not None and args.interval <= 0:
        raise UsageError("--interval must be greater than 0")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    return anyio.run(_run, args, statuses)


async def _run(args: argparse.Namespace, statuses: set[str]) -> int:
    out = console(args.plain)
    reached = _reached(statuses)
    async with connect(args, concurrency=args.concurrency) as connection:
        ids = list(args.ids)
        if connection.sandbox is not None and not ids:
            ids = await register_demo_cases(connection)
            out.print(f"Registered {len(ids)} demo cases on the embedded sandbox.")
        interval = args.interval or (SANDBOX_INTERVAL if connection.sandbox else 60.0)
        final = await _follow(
            connection, ids, interval=interval, until=reached, concurrency=args.concurrency, out=out
        )
    return _print_final(out, ids, final, reached)


def _reached(statuses: set[str]) -> Callable[[Case], bool]:
    """Whether a case got where it is awaited: one of ``statuses``, or closed."""

    def reached(case: Case) -> bool:
        # A closed case changes no more: stop following it whatever --until says.
        return (case.status is not None and case.status.value in statuses) or case.is_closed

    return reached


async def _follow(
    connection: Connection,
    ids: list[str],
    *,
    interval: float,
    until: Callable[[Case], bool],
    concurrency: int,
    out: Console,
) -> dict[str, CaseUpdate]:
    """Print each update until every case is done; return the last update of each case."""
    final: dict[str, CaseUpdate] = {}
    paid: set[str] = set()
    client = connection.client
    async with client.cases.watch(
        ids, interval=interval, until=until, concurrency=concurrency
    ) as updates:
        async for update in updates:
            _print_update(out, client.clock.now().strftime("%Y-%m-%d %H:%M"), update)
            if update.done:
                final[update.case_id] = update
            elif connection.sandbox is not None and update.case is not None:
                await _simulated_customer_pays(connection, update.case, paid, out)
    return final


def _print_final(
    out: Console, ids: list[str], final: dict[str, CaseUpdate], reached: Callable[[Case], bool]
) -> int:
    """Print where each case got; return the exit status (1 when some did not get there)."""
    from rich.table import Table

    table = Table(title="Watched cases")
    for column in ("case", "status", "remaining", "result"):
        table.add_column(column)
    failed = 0
    for case_id in ids:
        last = final.get(case_id)
        case = last.case if last else None
        if last is None or last.error is not None or case is None or not reached(case):
            failed += 1
            reason = type(last.error).__name__ if last and last.error else "not reached"
            table.add_row(case_id, str(case.status if case else ""), "", f"[red]{reason}[/]")
            continue
        remaining = case.total_remaining_transaction_amount
        table.add_row(case_id, str(case.status), str(remaining or 0), "[green]reached[/]")
    out.print(table)
    return 1 if failed else 0


def _print_update(out: Console, when: str, update: CaseUpdate) -> None:
    case = update.case
    if update.error is not None:
        message = error_message(update.error)
        line = f"{when}  {update.case_id}  [red]{type(update.error).__name__}: {message}[/]"
    elif case is not None:
        remaining = case.total_remaining_transaction_amount
        changed = "first look" if update.previous is None else ", ".join(update.changed)
        line = (
            f"{when}  {update.case_id}  [bold]{case.status}[/] ({case.state})  "
            f"remaining {remaining} {case.currency or ''}  [dim]{changed}[/]"
        )
    else:  # pragma: no cover - an update carries a case or an error
        return
    if update.done:
        line += "  [green]done[/]"
    out.print(line)


async def _simulated_customer_pays(
    connection: Connection, case: Case, paid: set[str], out: Console
) -> None:
    """On the embedded sandbox, the customer pays in full once collection has started."""
    in_collection = case.status in (CaseStatus.DEBT_COLLECTION, CaseStatus.DEBT_COLLECTION_ACTIVE)
    amount = case.total_remaining_capital_amount
    if not in_collection or case.id in paid or not amount:
        return
    paid.add(case.id)
    client = connection.client
    await client.creditor_payments.create(
        {
            "account": connection.account_id or "",  # both set: this runs on the sandbox
            "creditor": connection.creditor_id or "",
            "case": case.id,
            "amount": amount,
            "bank_transaction_date": client.clock.now(),
            "creditor_payment_reference": f"DEMO-PAY-{case.id}",
        }
    )
    out.print(f"[dim]sandbox: the customer of {case.id} paid {amount} SEK[/]")
