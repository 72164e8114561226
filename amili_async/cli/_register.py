"""``amili-async register FILE``: register every debt of a CSV or JSONL export.

The file
--------
One row per debt. A CSV file has a header row naming the columns below (in
any order; unknown columns are ignored; UTF-8, a byte-order mark is fine). A
JSONL file has one JSON object per line with the same keys (values may be JSON
numbers and booleans). Rows with the same ``customer_id_number`` for the same
account and creditor become **one registration** (one customer, several debts;
each debt becomes its own case).

=================================  ========  ==============================================
column                             required  meaning
=================================  ========  ==============================================
``customer_id_number``             yes       Swedish personal (10 or 12 digits) or
                                             organisation number (10 digits)
``customer_name``                  yes       the person's or company's name
``is_company``                     no        ``true``/``false`` (also yes/no, 1/0); default:
                                             inferred from the number (organisation numbers
                                             have 20 or more in digits 3-4)
``address_line_1``                 yes       street address
``zip_code``                       yes       postal code
``city``                           yes       city
``country``                        no        ISO 3166 alpha-2, default ``SE``
``mobile_number``                  no        E.164, e.g. ``+46709876543``
``email``                          no        e-mail address
``invoice_number``                 yes       unique per creditor
``debt_description``               yes       what the debt is for
``invoice_date``                   yes       ``2025-07-07`` or ``Mon, 07 Jul 2025 00:00:00 GMT``
``capital_to_claim``               yes       amount, e.g. ``2000`` or ``1250.50`` (a decimal
                                             comma is accepted)
``due_days``                       no        invoice_due_days_after_invoice_date, default 30
``invoice_fee``                    no        invoice fee already included in the capital
``first_action``                   no        ``debt_collection`` (default) or ``reminder``
``currency``                       no        default ``SEK``
``account``, ``creditor``          no        ids; default ``--account``/``--creditor`` (or the
                                             embedded sandbox's with ``--sandbox``)
=================================  ========  ==============================================

Customer columns (name, address, contact, ``first_action``, ``currency``) are
read from the customer's first row.

Grouping and memory
-------------------
The rows of one customer need not be next to each other. The file is read
twice, streaming both times: the first pass keeps, per customer, only the
line number of their last row (a few dozen bytes per customer, not per row);
the second pass collects each customer's rows and hands the registration to
the job as soon as their last row is read. A file sorted by customer
therefore holds one customer's rows at a time; a file whose customers are
scattered holds the rows of every customer still open (at worst the whole
file). The registrations themselves stream through ``create_many`` with
memory proportional to ``--concurrency``.

Invalid rows
------------
A row that cannot be read, or a registration the SDK refuses, is reported
with its line number(s) and reason and does not stop the job. When one row of
a customer is invalid, none of that customer's debts are sent (so that fixing
the row and rerunning registers them together, once).

Results and resuming
--------------------
``--results PATH`` writes one JSON line per registration (or unreadable row):
``lines``, ``outcome`` (``created``, ``already_registered``, ``failed``),
``from_journal``, ``customer`` (masked), ``invoice_numbers``,
``registration_id``, ``case_ids``, ``ocr_numbers`` and ``error``
(``type``, ``message``, ``issues``). ``--journal PATH`` keeps a SQLite journal:
rerunning the same command after a crash or Ctrl-C skips what was created,
looks up what was in flight, and retries failures only with
``--retry-failed``. Exit status: 0 all registered, 1 some failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import anyio
from attrs import define, field

from .._bulk import BulkProgress, OutcomeStatus, RegistrationOutcome
from ..errors import AmiliError, RequestValidationError
from ._common import SubParsers
from ._connect import Connection, UsageError, add_connection_arguments, connect, console, masked

__all__ = ["RowError", "read_rows", "register"]

_TRUE = {"true", "yes", "y", "1", "ja", "t"}
_FALSE = {"false", "no", "n", "0", "nej", "f"}


def register(subparsers: SubParsers) -> None:
    """Add the ``register`` command."""
    parser = subparsers.add_parser(
        "register",
        help="register every debt of a CSV or JSONL file, resumably",
        description=(
            "Register the debts of a CSV or JSONL export (one row per debt; rows of one "
            "customer become one registration). Columns: see `pydoc amili_async.cli._register`."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a .csv or .jsonl file")
    parser.add_argument("--journal", type=Path, metavar="PATH", help="SQLite journal to resume")
    parser.add_argument(
        "--results", type=Path, metavar="PATH", help="write one JSON line per outcome here"
    )
    parser.add_argument(
        "--concurrency", type=_positive_int, default=10, metavar="N", help="default: 10"
    )
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --journal: send again what failed in an earlier run",
    )
    parser.add_argument("--account", help="account id for rows without an 'account' column")
    parser.add_argument("--creditor", help="creditor id for rows without a 'creditor' column")
    parser.add_argument(
        "--format", choices=["csv", "jsonl"], help="file format (default: from the extension)"
    )
    parser.add_argument("--plain", action="store_true", help="no progress bar or colours")
    add_connection_arguments(parser)
    parser.set_defaults(handler=_main)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


# -- reading rows ------------------------------------------------------------------------


@define
class RowError:
    """A row that could not be read at all (bad JSON, a broken CSV record)."""

    line: int
    reason: str


def _format_of(path: Path, given: str | None) -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise UsageError(f"cannot tell the format of {path.name}: use .csv or .jsonl, or --format")


def read_rows(path: Path, file_format: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """Each row of the file and its line number, streamed; unreadable rows as :class:`RowError`."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        if file_format == "csv":
            yield from _csv_rows(handle)
        else:
            yield from _jsonl_rows(handle)


def _csv_rows(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    reader = csv.DictReader(handle)
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                yield line, RowError(line, "more fields than the header has columns")
                continue
            cleaned = {
                key.strip(): value.strip()
                for key, value in row.items()
                if key and isinstance(value, str) and value.strip()
            }
            if cleaned:
                yield line, cleaned
    except csv.Error as error:
        yield reader.line_num, RowError(reader.line_num, f"not valid CSV: {error}")


def _jsonl_rows(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for line, text in enumerate(handle, start=1):
        text = text.strip()
        if not text:
            continue
        try:
            value = json.loads(text, parse_float=Decimal)
        except ValueError as error:
            yield line, RowError(line, f"not valid JSON: {error}")
            continue
        if not isinstance(value, dict):
            yield line, RowError(line, "each line must be a JSON object")
            continue
        yield (
            line,
            {str(key): value for key, value in value.items() if value is not None and value != ""},
        )


# -- rows to registrations ---------------------------------------------------------------


def _text(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    return value.strip() if isinstance(value, str) else value


def _compact(id_number: Any) -> str:
    text = str(id_number or "")
    return text.replace("-", "").replace("+", "").replace(" ", "")


def _amount(value: Any) -> Any:
    if isinstance(value, str):
        text = value.replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            return Decimal(text)
        except InvalidOperation:
            return value  # the SDK names the problem
    return value


def _whole(value: Any, default: int) -> Any:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value  # RFC 1123, or a problem the SDK names
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return value


def _flag(value: Any, id_number: str) -> Any:
    if value is None:
        compact = _compact(id_number)
        return len(compact) == 10 and compact.isdigit() and int(compact[2:4]) >= 20
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value


def _debt(row: Mapping[str, Any]) -> dict[str, Any]:
    debt: dict[str, Any] = {
        "invoice_number": _text(row, "invoice_number"),
        "debt_description": _text(row, "debt_description"),
        "invoice_date": _date(_text(row, "invoice_date")),
        "capital_to_claim": _amount(row.get("capital_to_claim")),
        "invoice_due_days_after_invoice_date": _whole(row.get("due_days"), 30),
    }
    fee = row.get("invoice_fee")
    if fee is not None:
        debt["fees_included_in_capital_to_claim"] = {"invoice_fee": _amount(fee)}
    return {key: value for key, value in debt.items() if value is not None}


def _registration(
    rows: list[dict[str, Any]], account: str | None, creditor: str | None
) -> dict[str, Any]:
    first = rows[0]
    id_number = str(_text(first, "customer_id_number") or "")
    address = {
        "address_line_1": _text(first, "address_line_1"),
        "zip_code": _text(first, "zip_code"),
        "city": _text(first, "city"),
        "country": _text(first, "country") or "SE",
    }
    customer: dict[str, Any] = {
        "name": _text(first, "customer_name"),
        "id_number": id_number,
        "is_company": _flag(first.get("is_company"), id_number),
        "address": {key: value for key, value in address.items() if value is not None},
    }
    for optional in ("mobile_number", "email"):
        if first.get(optional) is not None:
            customer[optional] = _text(first, optional)
    return {
        "account": _text(first, "account") or account or "",
        "creditor": _text(first, "creditor") or creditor or "",
        "first_action": _text(first, "first_action") or "debt_collection",
        "currency": _text(first, "currency") or "SEK",
        "customer": {key: value for key, value in customer.items() if value is not None},
        "debts": [_debt(row) for row in rows],
    }


def _group_key(
    row: Mapping[str, Any], line: int, account: str | None, creditor: str | None
) -> tuple[str, str, str]:
    scope_account = str(_text(row, "account") or account or "")
    scope_creditor = str(_text(row, "creditor") or creditor or "")
    compact = _compact(_text(row, "customer_id_number"))
    if not compact:
        return scope_account, scope_creditor, f"#line{line}"  # a group of its own, refused later
    return scope_account, scope_creditor, compact


@define
class _Plan:
    """What the first pass learned: each customer's last line, and the counts."""

    last_line: dict[tuple[str, str, str], int] = field(factory=dict)
    rows: int = 0
    unscoped: int = 0


def _first_pass(path: Path, file_format: str, account: str | None, creditor: str | None) -> _Plan:
    plan = _Plan()
    for line, row in read_rows(path, file_format):
        if isinstance(row, RowError):
            continue
        plan.rows += 1
        key = _group_key(row, line, account, creditor)
        plan.last_line[key] = line
        if not key[0] or not key[1]:
            plan.unscoped += 1
    return plan


@define
class _Group:
    lines: list[int]
    registration: dict[str, Any]


def _groups(
    path: Path,
    file_format: str,
    plan: _Plan,
    account: str | None,
    creditor: str | None,
    unreadable: list[RowError],
) -> Iterator[_Group]:
    """Second pass: yield each customer's registration as soon as their last row is read."""
    open_groups: dict[tuple[str, str, str], list[tuple[int, dict[str, Any]]]] = {}
    for line, row in read_rows(path, file_format):
        if isinstance(row, RowError):
            unreadable.append(row)
            continue
        key = _group_key(row, line, account, creditor)
        rows = open_groups.setdefault(key, [])
        rows.append((line, row))
        if plan.last_line.get(key) == line:
            del open_groups[key]
            yield _Group(
                [number for number, _ in rows],
                _registration([data for _, data in rows], account, creditor),
            )
    for rows in open_groups.values():  # the file changed between the passes
        yield _Group(
            [number for number, _ in rows],
            _registration([data for _, data in rows], account, creditor),
        )


# -- outcomes ----------------------------------------------------------------------------


def _issue_lines(lines: list[int], field_path: str) -> list[int]:
    parts = field_path.split(".")
    if len(parts) > 1 and parts[0] == "debts" and parts[1].isdigit() and int(parts[1]) < len(lines):
        return [lines[int(parts[1])]]
    return lines


def _error_json(error: BaseException | None) -> dict[str, Any] | None:
    if error is None:
        return None
    issues = getattr(error, "issues", None)
    message = getattr(error, "message", None) or str(error)
    return {
        "type": type(error).__name__,
        "message": message,
        "issues": {str(key): str(value) for key, value in issues.items()} if issues else None,
    }


def _reasons(lines: list[int], error: BaseException | None) -> list[str]:
    """Human lines ``line 12: debts.0.capital_to_claim: must be greater than 0``."""
    if error is None:
        return []
    if isinstance(error, RequestValidationError) and error.issues:
        reasons = []
        for path, reason in error.issues.items():
            where = ", ".join(str(number) for number in _issue_lines(lines, path))
            label = f"{path}: " if path else ""
            reasons.append(f"line {where}: {label}{reason}")
        return reasons
    where = ", ".join(str(number) for number in lines)
    return [f"line {where}: {type(error).__name__}: {getattr(error, 'message', None) or error}"]


@define
class _Summary:
    registrations: int = 0
    created: int = 0
    already_registered: int = 0
    from_journal: int = 0
    failed: int = 0
    unreadable: int = 0
    failures: list[str] = field(factory=list)

    def add(self, outcome: RegistrationOutcome, lines: list[int]) -> None:
        self.registrations += 1
        if outcome.status is OutcomeStatus.CREATED:
            self.created += 1
        elif outcome.status is OutcomeStatus.ALREADY_REGISTERED:
            self.already_registered += 1
            self.from_journal += outcome.from_journal
        else:
            self.failed += 1
            self.failures.extend(_reasons(lines, outcome.error))


def _result_line(outcome: RegistrationOutcome, lines: list[int]) -> dict[str, Any]:
    item: Mapping[str, Any] = outcome.item if isinstance(outcome.item, Mapping) else {}
    raw_customer = item.get("customer")
    customer: Mapping[str, Any] = raw_customer if isinstance(raw_customer, Mapping) else {}
    registration = outcome.registration
    return {
        "lines": lines,
        "outcome": outcome.status.value,
        "from_journal": outcome.from_journal,
        "customer": masked(str(customer.get("id_number") or "")),
        "invoice_numbers": [
            debt.get("invoice_number")
            for debt in item.get("debts", [])
            if isinstance(debt, Mapping)
        ],
        "registration_id": registration.id if registration else None,
        "case_ids": list(registration.cases) if registration else [],
        "ocr_numbers": list(registration.ocr_numbers_ocr) if registration else [],
        "error": _error_json(outcome.error),
    }


# -- running -----------------------------------------------------------------------------


def _main(args: argparse.Namespace) -> int:
    try:
        file_format = _format_of(args.file, args.format)
        if not args.file.is_file():
            raise UsageError(f"no such file: {args.file}")
        if args.retry_failed and args.journal is None:
            raise UsageError("--retry-failed needs --journal (failures are known from it)")
        return anyio.run(_run, args, file_format)
    except UsageError as error:
        print(f"amili-async register: {error}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, file_format: str) -> int:
    async with connect(args, concurrency=args.concurrency) as connection:
        return await _register(args, file_format, connection)


async def _register(args: argparse.Namespace, file_format: str, connection: Connection) -> int:
    account = args.account or connection.account_id
    creditor = args.creditor or connection.creditor_id
    plan = await anyio.to_thread.run_sync(_first_pass, args.file, file_format, account, creditor)
    if plan.unscoped:
        raise UsageError(
            f"{plan.unscoped} row(s) name no account or creditor: add 'account' and "
            "'creditor' columns or pass --account and --creditor"
        )
    out = console(args.plain)
    err = console(args.plain, stderr=True)
    unreadable: list[RowError] = []
    lines_of: dict[int, list[int]] = {}
    summary = _Summary()
    results: IO[str] | None = None
    if args.results is not None:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        results = args.results.open("w", encoding="utf-8")

    def items() -> Iterator[dict[str, Any]]:
        for index, group in enumerate(
            _groups(args.file, file_format, plan, account, creditor, unreadable)
        ):
            lines_of[index] = group.lines  # dropped when its outcome arrives
            yield group.registration

    def write(record: dict[str, Any]) -> None:
        if results is not None:
            results.write(json.dumps(record, ensure_ascii=False) + "\n")

    started = time.monotonic()
    progress_view = _progress(err, args.plain, len(plan.last_line))
    try:
        with progress_view as view:

            def on_progress(snapshot: BulkProgress) -> None:
                view.update(snapshot)

            job = connection.client.case_registrations.create_many(
                items(),
                concurrency=args.concurrency,
                journal=args.journal,
                retry_failed=args.retry_failed,
                progress=on_progress,
                total=len(plan.last_line),
            )
            async with job as outcomes:
                async for outcome in outcomes:
                    lines = lines_of.pop(outcome.index, [])
                    summary.add(outcome, lines)
                    write(_result_line(outcome, lines))
                    while unreadable:
                        row_error = unreadable.pop(0)
                        summary.unreadable += 1
                        summary.failures.append(f"line {row_error.line}: {row_error.reason}")
                        write(_unreadable_line(row_error))
            for row_error in unreadable:
                summary.unreadable += 1
                summary.failures.append(f"line {row_error.line}: {row_error.reason}")
                write(_unreadable_line(row_error))
    except AmiliError as error:  # pragma: no cover - the job turns API errors into outcomes
        err.print(f"amili-async register: {error}", markup=False)
        return 1
    finally:
        if results is not None:
            results.close()
    _print_summary(out, args, summary, time.monotonic() - started)
    return 1 if summary.failed or summary.unreadable else 0


def _unreadable_line(row_error: RowError) -> dict[str, Any]:
    return {
        "lines": [row_error.line],
        "outcome": "failed",
        "from_journal": False,
        "customer": "",
        "invoice_numbers": [],
        "registration_id": None,
        "case_ids": [],
        "ocr_numbers": [],
        "error": {"type": "RowError", "message": row_error.reason, "issues": None},
    }


class _ProgressView:
    """A rich progress bar fed from the job's progress callback (plain: nothing drawn)."""

    def __init__(self, console: Any, plain: bool, total: int) -> None:
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
            TextColumn("[bold]registering"),
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

    def __enter__(self) -> _ProgressView:
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


def _progress(console: Any, plain: bool, total: int) -> _ProgressView:
    return _ProgressView(console, plain, total)


def _print_summary(out: Any, args: argparse.Namespace, summary: _Summary, elapsed: float) -> None:
    from rich.table import Table

    if summary.failures:
        out.print(f"[bold red]Problems ({len(summary.failures)}):[/]")
        for reason in summary.failures[:50]:
            out.print(f"  {reason}", markup=False)
        if len(summary.failures) > 50:
            out.print(f"  … and {len(summary.failures) - 50} more (see --results)", markup=False)
    table = Table(title="Registration summary", show_header=False)
    table.add_column("what", style="cyan")
    table.add_column("count", justify="right")
    table.add_row("registrations", str(summary.registrations))
    table.add_row("created", str(summary.created))
    already = str(summary.already_registered)
    if summary.from_journal:
        already += f" ({summary.from_journal} from the journal)"
    table.add_row("already registered", already)
    table.add_row("failed", str(summary.failed))
    table.add_row("unreadable rows", str(summary.unreadable))
    rate = summary.registrations / elapsed if elapsed > 0 else 0.0
    table.add_row("time", f"{elapsed:.1f} s ({rate:.1f} registrations/s)")
    if args.journal is not None:
        table.add_row("journal", str(args.journal))
    if args.results is not None:
        table.add_row("results", str(args.results))
    out.print(table)
