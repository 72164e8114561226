"""What ``credit``, ``cancel`` and ``invoices register`` share: one row, one request, resumably.

Each command turns rows (from a CSV/JSONL file, or the one its arguments
describe) into request bodies and runs them through the service's
``create_many``: the same journal, progress bar, summary and results file as
``register``. A row that cannot be read is reported with its line and the job
goes on.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import anyio
from attrs import frozen

from amili_async import ActionOutcome, AmiliClient, BulkJob

from ._common import UsageError, positive_int
from ._connect import Connection, add_connection_arguments, console
from ._filehelp import FileFormat
from ._report import ProgressView, Summary, Wording, print_summary
from ._results import ActionResultLine, Recorder, ResultsFile
from ._rows import Row, RowError, format_of, read_rows

__all__ = ["JOB_HELP", "ActionCommand", "add_job_arguments", "row_source", "run_job"]

#: The paragraph of ``--help`` on resuming, results and the exit status, for every file job.
JOB_HELP = (
    "--journal PATH keeps a SQLite journal: rerunning the same command after a crash or "
    "Ctrl-C skips what was done, looks up what was in flight, and sends what failed again "
    "only with --retry-failed. --results PATH writes one JSON line per outcome (its lines, "
    "outcome, ids, and the error with each refused field). Problems are listed after the "
    "run with their line numbers. Exit status: 0 all done, 1 some failed, 2 usage error "
    "(checked before anything is sent), 130 interrupted."
)

#: A command's row -> request body, given the default account and creditor.
BodyOf = Callable[[Mapping[str, Any], "str | None", "str | None"], dict[str, Any]]


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every resumable file job takes (``register``'s, and the actions')."""
    parser.add_argument("--journal", type=Path, metavar="PATH", help="SQLite journal to resume")
    parser.add_argument(
        "--results", type=Path, metavar="PATH", help="write one JSON line per outcome here"
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=10, metavar="N", help="default: 10"
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


def check_job_arguments(args: argparse.Namespace) -> None:
    """Refuse option combinations that cannot work."""
    if args.retry_failed and args.journal is None:
        raise UsageError("--retry-failed needs --journal (failures are known from it)")


@frozen
class ActionCommand:
    """One action command: its service, how a row becomes a body, and its words."""

    service: Callable[[AmiliClient], Any]
    body: BodyOf
    verb: str
    wording: Wording
    file: FileFormat


def row_source(
    path: Path, given_format: str | None, file: FileFormat
) -> tuple[Callable[[], Iterator[Row]], int]:
    """The rows of a ``file`` (read lazily, each time called), and how many there are."""
    file_format = format_of(path, given_format)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    count = sum(1 for _ in read_rows(path, file_format, file.names))
    return (lambda: read_rows(path, file_format, file.names)), count


async def run_job(
    args: argparse.Namespace,
    command: ActionCommand,
    connection: Connection,
    rows: Iterable[Row],
    total: int,
) -> int:
    """Send every row's body through the service's ``create_many``; the exit status."""
    out = console(args.plain)
    err = console(args.plain, stderr=True)
    summary = Summary()
    started = time.monotonic()
    account = args.account or connection.account_id
    creditor = args.creditor or connection.creditor_id
    with (
        ResultsFile(args.results) as results,
        ProgressView(err, args.plain, total, verb=command.verb) as view,
    ):
        recorder = _Recorder(summary, results, ActionResultLine)
        job: BulkJob[ActionOutcome[Any]] = command.service(connection.client).create_many(
            recorder.bodies(rows, lambda row: command.body(row, account, creditor)),
            concurrency=args.concurrency,
            journal=args.journal,
            retry_failed=args.retry_failed,
            progress=view.update,
            total=total,
        )
        async with job as outcomes:
            async for outcome in outcomes:
                recorder.record(outcome)
        recorder.record_unreadable()
    elapsed = time.monotonic() - started
    print_summary(
        out, summary, elapsed, journal=args.journal, results=args.results, wording=command.wording
    )
    return 1 if summary.failed or summary.unreadable else 0


def run(main: Callable[[argparse.Namespace], Any], args: argparse.Namespace) -> int:
    """Run an async command body on anyio; its exit status."""
    check_job_arguments(args)
    status: int = anyio.run(main, args)
    return status


class _Recorder(Recorder):
    """Records each action's outcome with the line of its row."""

    def bodies(
        self, rows: Iterable[Row], body: Callable[[Mapping[str, Any]], dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """The job's input: each readable row's body, its line kept until its outcome."""
        index = 0
        for line, row in rows:
            if isinstance(row, RowError):
                self.unreadable.append(row)
                continue
            self.lines_of[index] = (line,) if line else ()
            index += 1
            yield body(row)
