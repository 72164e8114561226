"""``amili-async register FILE``: register every debt of a CSV or JSONL export.

The file
--------
One row per debt, in CSV or JSONL. Its columns, separators and encoding are
:data:`~amili_async.cli._filehelp.REGISTER_FILE`, which ``amili-async
register --help`` prints. Rows with the same ``customer_id_number`` for the
same account and creditor become **one registration** (one customer, several
debts; each debt becomes its own case); customer columns are read from the
customer's first row.

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
``--retry-failed``. A journal serves one run at a time (a second run on it
stops at once), one server and one account; one that cannot be used (in use,
another server or account, damaged, emptied, its ``-wal`` file lost, a newer
format) stops the run with one sentence and exit status 2, before anything is
sent. ``--lookup-first`` looks every registration up before sending it: for a
rerun whose journal is gone, or to resume from a journal whose records were
lost. Ctrl-C prints the summary so far and the command that resumes. Exit
status: 0 all registered, 1 some failed, 2 usage error (checked before anything
is sent), 130 interrupted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import anyio

from amili_async import AmiliError, JournalError

from ._common import SubParsers, UsageError, check_writable, help_text
from ._connect import Connection, connect, console
from ._filehelp import REGISTER_FILE
from ._grouping import Group, Plan, Source, first_pass, groups
from ._jobs import JOB_HELP, add_job_arguments, check_job_arguments
from ._report import ProgressView, Summary, print_interrupted, print_summary
from ._results import Recorder, ResultLine, ResultsFile
from ._rows import format_of

__all__ = ["register"]


def register(subparsers: SubParsers) -> None:
    """Add the ``register`` command."""
    parser = subparsers.add_parser(
        "register",
        help="register every debt of a CSV or JSONL file, resumably",
        description=(
            "Register every debt of a CSV or JSONL export, resumably: one row per debt, "
            "the rows of one customer become one registration. --lookup-first looks each "
            "registration up before sending it (for a rerun whose journal is lost)."
        ),
        epilog=help_text(REGISTER_FILE.help(), JOB_HELP),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a .csv or .jsonl file")
    add_job_arguments(parser)
    parser.add_argument(
        "--lookup-first",
        action="store_true",
        help="look every registration up before sending it (for a rerun whose journal is lost)",
    )
    parser.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    file_format = format_of(args.file, args.format)
    if not args.file.is_file():
        raise UsageError(f"no such file: {args.file}")
    check_job_arguments(args)
    for option, path in (("--results", args.results), ("--journal", args.journal)):
        if path is not None:
            check_writable(path, option)
    summary = Summary()
    started = time.monotonic()
    try:
        return anyio.run(_run, args, file_format, summary)
    except KeyboardInterrupt:
        out, err = console(args.plain), console(args.plain, stderr=True)
        print_interrupted(out, err, summary, time.monotonic() - started, args)
        return 130


async def _run(args: argparse.Namespace, file_format: str, summary: Summary) -> int:
    async with connect(args, concurrency=args.concurrency) as connection:
        return await _register(args, file_format, connection, summary)


async def _register(
    args: argparse.Namespace, file_format: str, connection: Connection, summary: Summary
) -> int:
    account = args.account or connection.account_id
    creditor = args.creditor or connection.creditor_id
    source = Source(args.file, file_format, account, creditor)
    plan = await anyio.to_thread.run_sync(first_pass, source)
    if plan.unscoped:
        raise UsageError(
            f"{plan.unscoped} row(s) name no account or creditor: add 'account' and "
            "'creditor' columns or pass --account and --creditor"
        )
    out = console(args.plain)
    err = console(args.plain, stderr=True)
    started = time.monotonic()
    try:
        with (
            ResultsFile(args.results) as results,
            ProgressView(err, args.plain, plan.registrations) as view,
        ):
            recorder = _Recorder(summary, results, ResultLine)
            await _send(args, connection, source, plan, recorder, view)
    except JournalError as error:
        raise UsageError(str(error)) from None
    except AmiliError as error:  # pragma: no cover - the job turns API errors into outcomes
        err.print(f"amili-async register: {error}", markup=False)
        return 1
    elapsed = time.monotonic() - started
    print_summary(out, summary, elapsed, journal=args.journal, results=args.results)
    return 1 if summary.failed or summary.unreadable else 0


async def _send(
    args: argparse.Namespace,
    connection: Connection,
    source: Source,
    plan: Plan,
    recorder: _Recorder,
    view: ProgressView,
) -> None:
    """Run the job over the second pass, recording each outcome as it arrives."""
    job = connection.client.case_registrations.create_many(
        recorder.registrations(groups(source, plan, recorder.unreadable)),
        concurrency=args.concurrency,
        journal=args.journal,
        retry_failed=args.retry_failed,
        lookup_first=args.lookup_first,
        progress=view.update,
        total=plan.registrations,
    )
    async with job as outcomes:
        async for outcome in outcomes:
            recorder.record(outcome)
    recorder.record_unreadable()


class _Recorder(Recorder):
    """Records each registration's outcome with the lines of its customer's rows."""

    def registrations(self, groups: Iterable[Group]) -> Iterator[dict[str, Any]]:
        """The job's input: each group's registration, its lines kept until its outcome."""
        for index, group in enumerate(groups):
            self.lines_of[index] = group.lines  # dropped when its outcome arrives
            yield group.registration
