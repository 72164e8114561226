"""``amili-async watch ID... --until closed``: follow cases and print each change.

Polls every ``--interval`` seconds (spread out, under ``--rate``), prints a
line whenever a case's status, state or remaining amounts change, and stops
following a case once it reaches one of the ``--until`` values (comma
separated; default ``closed``) or closes. A value is a status or a state the
SDK knows (:class:`~amili_async.CaseStatus`, :class:`~amili_async.CaseState`);
any other is a usage error that lists them, before anything is sent. Ends
when no case is left. Ids come from the arguments, ``--ids-file`` or
standard input (see ``_ids``).

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

from amili_async import Case, CaseState, CaseStatus, CaseUpdate

from ._common import SubParsers, UsageError, error_message, help_text
from ._connect import (
    Connection,
    add_connection_arguments,
    connect,
    console,
    register_demo_cases,
)
from ._format import minute, money
from ._ids import IDS_HELP, add_id_arguments, case_ids
from ._tables import light_table, plain

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["UNTIL_VALUES", "register", "until_values"]

#: What ``--until`` accepts: every status and state the SDK knows, in its order.
UNTIL_VALUES = tuple(dict.fromkeys([*(s.value for s in CaseStatus), *(s.value for s in CaseState)]))

#: Polling interval with --sandbox (simulated seconds).
SANDBOX_INTERVAL = 30 * 60.0


def register(subparsers: SubParsers) -> None:
    """Add the ``watch`` command."""
    parser = subparsers.add_parser(
        "watch",
        help="follow cases, printing each change, until they reach a status",
        description=help_text(
            "Poll cases and print a line whenever a case's status, state or remaining "
            "amounts change, until every case reaches --until (or closes).",
            IDS_HELP,
            "With --sandbox the embedded sandbox's simulated clock moves on by --interval "
            "at each wait, a simulated customer pays each case once it is in debt "
            "collection, and the command ends in about a second.",
            "Exit status: 0 when every case got where it was awaited, 1 when some could "
            "not be followed, 2 usage error.",
        ),
    )
    add_id_arguments(parser)
    parser.add_argument(
        "--until",
        type=until_values,
        default=frozenset({"closed"}),
        metavar="STATUS[,STATUS]",
        help=(
            "stop following a case once its status or state is one of these "
            f"(default: closed); one of: {', '.join(UNTIL_VALUES)}"
        ),
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


def until_values(text: str) -> frozenset[str]:
    """An argparse type: comma separated statuses or states, each one the SDK knows."""
    values = [value.strip() for value in text.split(",") if value.strip()]
    unknown = [value for value in values if value not in UNTIL_VALUES]
    if unknown or not values:
        named = f"unknown status {', '.join(map(repr, unknown))}" if unknown else "no status"
        raise argparse.ArgumentTypeError(f"{named}; choose from {', '.join(UNTIL_VALUES)}")
    return frozenset(values)


def _main(args: argparse.Namespace) -> int:
    if args.interval is not None and args.interval <= 0:
        raise UsageError("--interval must be greater than 0")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    ids = case_ids(args)
    return anyio.run(_run, args, ids)


async def _run(args: argparse.Namespace, ids: list[str]) -> int:
    out = console(args.plain)
    reached = _reached(args.until)
    async with connect(args, concurrency=args.concurrency) as connection:
        if connection.sandbox is not None and not ids:
            ids = await register_demo_cases(connection)
            out.print(f"Registered {len(ids)} demo cases on the embedded sandbox.")
        interval = args.interval or (SANDBOX_INTERVAL if connection.sandbox else 60.0)
        final = await _follow(
            connection, ids, interval=interval, until=reached, concurrency=args.concurrency, out=out
        )
    return _print_final(out, ids, final, reached)


def _reached(awaited: frozenset[str]) -> Callable[[Case], bool]:
    """Whether a case got where it is awaited: a status or state in ``awaited``, or closed."""

    def reached(case: Case) -> bool:
        # A closed case changes no more: stop following it whatever --until says.
        now = {str(value) for value in (case.status, case.state) if value is not None}
        return bool(now & awaited) or case.is_closed

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
            _print_update(out, minute(client.clock.now()), update)
            if update.done:
                final[update.case_id] = update
            elif connection.sandbox is not None and update.case is not None:
                await _simulated_customer_pays(connection, update.case, paid, out)
    return final


def _print_final(
    out: Console, ids: list[str], final: dict[str, CaseUpdate], reached: Callable[[Case], bool]
) -> int:
    """Print where each case got; return the exit status (1 when some did not get there)."""
    table = light_table("Watched cases")
    table.add_column("case", no_wrap=True, min_width=24)
    table.add_column("status", no_wrap=True)
    table.add_column("remaining", no_wrap=True, justify="right")
    table.add_column("result", overflow="fold")
    failed = 0
    for case_id in ids:
        last = final.get(case_id)
        case = last.case if last else None
        if last is None or last.error is not None or case is None or not reached(case):
            failed += 1
            reason = type(last.error).__name__ if last and last.error else "not reached"
            status = str(case.status or "") if case else ""
            table.add_row(plain(case_id), plain(status), "", plain(reason, "red"))
            continue
        remaining = money(case.total_remaining_transaction_amount or 0, case.currency)
        table.add_row(
            plain(case_id), plain(str(case.status)), plain(remaining), plain("reached", "green")
        )
    out.print(table)
    return 1 if failed else 0


def _print_update(out: Console, when: str, update: CaseUpdate) -> None:
    case = update.case
    line = plain(f"{when}  {update.case_id}  ")
    if update.error is not None:
        line.append(f"{type(update.error).__name__}: {error_message(update.error)}", "red")
    elif case is not None:
        remaining = money(case.total_remaining_transaction_amount, case.currency)
        changed = "first look" if update.previous is None else ", ".join(update.changed)
        line.append(str(case.status), "bold")
        line.append(f" ({case.state})  remaining {remaining}  ")
        line.append(changed, "dim")
    else:  # pragma: no cover - an update carries a case or an error
        return
    if update.done:
        line.append("  done", "green")
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
    out.print(plain(f"sandbox: the customer of {case.id} paid {money(amount, 'SEK')}", "dim"))
