"""What ``register`` shows: a progress bar while it runs, and a summary with every problem."""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import define, field

from amili_async import (
    ActionOutcome,
    APIStatusError,
    BulkProgress,
    OutcomeStatus,
    RegistrationOutcome,
    RequestValidationError,
)

from ._common import error_message, issue_text
from ._format import money
from ._rows import RowError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = [
    "REGISTRATIONS",
    "ProgressView",
    "Summary",
    "Wording",
    "print_interrupted",
    "print_summary",
    "resume_command",
]

#: Problems printed in the summary; the results file has them all.
_MOST_PROBLEMS = 50


@define
class Summary:
    """The counts of a run, and one human line per problem (``line 12: ...``)."""

    registrations: int = 0
    created: int = 0
    already_registered: int = 0
    from_journal: int = 0
    failed: int = 0
    unreadable: int = 0
    failures: list[str] = field(factory=list)
    #: What the created items moved, by currency: capital registered, or amounts credited.
    amounts: dict[str, Decimal] = field(factory=dict)

    def add(self, outcome: RegistrationOutcome | ActionOutcome[Any], lines: Sequence[int]) -> None:
        """Count a registration (or action) sent from the rows at ``lines``."""
        self.registrations += 1
        if outcome.status is OutcomeStatus.CREATED:
            self.created += 1
        elif outcome.status is OutcomeStatus.ALREADY_REGISTERED:
            self.already_registered += 1
            self.from_journal += outcome.from_journal
        else:
            self.failed += 1
            self.failures.extend(_reasons(lines, outcome.error))
        if outcome.status is OutcomeStatus.CREATED:
            self._add_amounts(outcome)

    def _add_amounts(self, outcome: RegistrationOutcome | ActionOutcome[Any]) -> None:
        """Add what a created item moved: a registration's capital, a crediting's credit."""
        item: Mapping[str, Any] = outcome.item if isinstance(outcome.item, Mapping) else {}
        result = getattr(outcome, "result", None)
        if isinstance(outcome, RegistrationOutcome):
            debts = item.get("debts")
            amounts = [
                debt.get("capital_to_claim") for debt in debts or () if isinstance(debt, Mapping)
            ]
        else:  # what was credited: the settled amount, else (a production answer) the amount
            settled = getattr(result, "settled_amount", None)
            amounts = [settled if settled is not None else getattr(result, "amount", None)]
        currency = str(getattr(result, "currency", None) or item.get("currency") or "")
        for amount in amounts:
            if isinstance(amount, Decimal):
                self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount

    def add_unreadable(self, row_error: RowError) -> None:
        """Count a row that could not be read."""
        self.unreadable += 1
        self.failures.append(f"line {row_error.line}: {row_error.reason}")


def _reasons(lines: Sequence[int], error: BaseException | None) -> list[str]:
    """Human lines ``line 12: debts.0.capital_to_claim: must be greater than 0``."""
    if error is None:
        return []
    issues = getattr(error, "issues", None)
    if isinstance(error, RequestValidationError | APIStatusError) and issues:
        return [
            f"{_where(_issue_lines(lines, path))}{path + ': ' if path else ''}{issue_text(reason)}"
            for path, reason in issues.items()
        ]
    return [f"{_where(lines)}{type(error).__name__}: {error_message(error)}"]


def _where(lines: Sequence[int]) -> str:
    """``line 12, 14: `` (nothing for an item that came from no file line)."""
    return f"line {', '.join(str(number) for number in lines)}: " if lines else ""


def _issue_lines(lines: Sequence[int], field_path: str) -> Sequence[int]:
    """The line a per-field issue comes from: ``debts.2...`` is the third row's."""
    parts = field_path.split(".")
    if len(parts) > 1 and parts[0] == "debts" and parts[1].isdigit() and int(parts[1]) < len(lines):
        return [lines[int(parts[1])]]
    return lines


class ProgressView:
    """A rich progress bar fed from the job's progress callback (plain: nothing drawn)."""

    def __init__(
        self, console: Console, plain: bool, total: int, *, verb: str = "registering"
    ) -> None:
        self._progress: Any = None
        self._task: Any = None
        if plain:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn(f"[bold]{verb}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]{task.fields[created]} created[/] · "
                "{task.fields[already]} already · [red]{task.fields[failed]} failed[/] · "
                "{task.fields[rate]}"
            ),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task(
            "register", total=total, created=0, already=0, failed=0, rate="–/s"
        )
        self._started = time.monotonic()

    def __enter__(self) -> ProgressView:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, snapshot: BulkProgress) -> None:
        """Show the job's counts and its rate (registrations per real second)."""
        if self._progress is None:
            return
        elapsed = time.monotonic() - self._started
        rate = f"{snapshot.done / elapsed:.1f}/s" if elapsed > 0 else "–/s"
        self._progress.update(
            self._task,
            completed=snapshot.done,
            created=snapshot.created,
            already=snapshot.already_registered,
            failed=snapshot.failed,
            rate=rate,
        )


@define(frozen=True)
class Wording:
    """How a summary names what it counts: the title, the items, and the found-stored ones."""

    title: str = "Registration summary"
    items: str = "registrations"
    already: str = "already registered"
    #: The label of the amounts the created items moved (none shown when empty).
    amounts: str = ""


#: The wording of ``register``'s summary.
REGISTRATIONS = Wording(amounts="capital registered")


def print_summary(
    out: Console,
    summary: Summary,
    elapsed: float,
    *,
    journal: Path | None,
    results: Path | None,
    wording: Wording = REGISTRATIONS,
) -> None:
    """Print the problems (the first 50) and a table of the counts."""
    if summary.failures:
        out.print(f"[bold red]Problems ({len(summary.failures)}):[/]")
        for reason in summary.failures[:_MOST_PROBLEMS]:
            out.print(f"  {reason}", markup=False)
        if len(summary.failures) > _MOST_PROBLEMS:
            more = len(summary.failures) - _MOST_PROBLEMS
            out.print(f"  … and {more} more (see --results)", markup=False)
    out.print(_summary_table(summary, elapsed, journal=journal, results=results, wording=wording))


def _summary_table(
    summary: Summary,
    elapsed: float,
    *,
    journal: Path | None,
    results: Path | None,
    wording: Wording,
) -> Table:
    from rich.table import Table

    table = Table(title=wording.title, show_header=False)
    table.add_column("what", style="cyan")
    table.add_column("count", justify="right")
    table.add_row(wording.items, str(summary.registrations))
    table.add_row("created", str(summary.created))
    already = str(summary.already_registered)
    if summary.from_journal:
        already += f" ({summary.from_journal} from the journal)"
    table.add_row(wording.already, already)
    table.add_row("failed", str(summary.failed))
    table.add_row("unreadable rows", str(summary.unreadable))
    if wording.amounts and summary.amounts:
        moved = (money(amount, currency) for currency, amount in sorted(summary.amounts.items()))
        table.add_row(wording.amounts, ", ".join(moved))
    rate = summary.registrations / elapsed if elapsed > 0 else 0.0
    table.add_row("time", f"{elapsed:.1f} s ({rate:.1f} {wording.items}/s)")
    if journal is not None:
        table.add_row("journal", str(journal))
    if results is not None:
        table.add_row("results", str(results))
    return table


def print_interrupted(
    out: Console, err: Console, summary: Summary, elapsed: float, args: argparse.Namespace
) -> None:
    """After Ctrl-C: the summary so far, and how to resume (the command, with its journal)."""
    print_summary(out, summary, elapsed, journal=args.journal, results=args.results)
    err.print("[bold]Interrupted.[/] Every outcome above is recorded.")
    if args.sandbox:
        err.print("The embedded sandbox ended with this command: there is nothing to resume.")
    elif args.journal is None:
        err.print(
            "There was no --journal, so a rerun cannot tell what was sent: registrations "
            "created above would be sent again. Use --journal PATH next time."
        )
    else:
        err.print("To resume (nothing created is sent again), run:")
        err.print(f"  {resume_command(args)}", markup=False, soft_wrap=True)


def resume_command(args: argparse.Namespace) -> str:
    """The ``register`` command line that resumes the run ``args`` describe."""
    words = ["amili-async", "register", str(args.file)]
    options = (
        ("--journal", args.journal),
        ("--results", args.results),
        ("--concurrency", args.concurrency),
        ("--account", args.account),
        ("--creditor", args.creditor),
        ("--format", args.format),
        ("--rate", args.rate),
    )
    for option, value in options:
        if value is not None:
            words += [option, str(value)]
    flags = (("--retry-failed", args.retry_failed), ("--plain", args.plain))
    words += [flag for flag, given in flags if given]
    return shlex.join(words)
