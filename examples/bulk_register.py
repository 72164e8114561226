"""A bulk registration job with a journal: interrupted, rerun, nothing sent twice.

Run it with ``python examples/bulk_register.py`` (generated rows) or
``python examples/bulk_register.py rows.jsonl`` (one registration per line, in
the API's JSON shape; ``account`` and ``creditor`` default to the sandbox's).
Needs ``amili-async[sandbox]``; runs offline in about a second.

What it shows:

* ``create_many()`` streams the rows (pulled lazily, ``concurrency`` at a time,
  under the client's rate limit) and yields one outcome per row as it finishes.
* A bad row is a ``FAILED`` outcome naming the bad field; the job goes on.
* Lost answers (injected: 5 % of the writes land but their answer is dropped)
  are looked up, never sent twice.
* ``journal=`` (a SQLite file) makes the job resumable. The first run is cut
  short after 40 outcomes, as by a crash or Ctrl-C; the rerun with the same
  journal skips what was created, looks up what was in flight, and registers
  the rest.

Against the real API, keep the journal file between runs and simply run the
same job again after a crash. (Here the sandbox lives in memory, so both runs
happen in one process.)
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio

from amili_async import AmiliClient, BulkProgress, ManualClock, OutcomeStatus
from amili_async.sandbox import Sandbox

ROWS = 120
BAD_ROW = 17  # this row gets a negative amount, to show a failed outcome


def personal_number(serial: int) -> str:
    """A valid Swedish personal number (YYMMDD + 3 digits + Luhn check digit)."""
    born = datetime(1960, 1, 1) + timedelta(days=97 * serial)
    digits = born.strftime("%y%m%d") + f"{serial % 1000:03d}"
    total = 0
    for position, char in enumerate(digits):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return digits + str((10 - total % 10) % 10)


def generated_rows(count: int, account: str, creditor: str) -> Iterator[dict[str, Any]]:
    """``count`` registrations, one person and one debt each, made as they are pulled."""
    for n in range(count):
        yield {
            "account": account,
            "creditor": creditor,
            "customer": {
                "name": f"Customer {n}",
                "id_number": personal_number(n),
                "is_company": False,
                "address": {
                    "address_line_1": f"Storgatan {n}",
                    "zip_code": "11122",
                    "city": "Stockholm",
                },
            },
            "debts": [
                {
                    "invoice_number": f"INV-B-{n:05d}",  # the journal's key, with the creditor
                    "debt_description": "Subscription",
                    "invoice_date": datetime(2025, 6, 1, tzinfo=UTC),
                    "capital_to_claim": "-5" if n == BAD_ROW else f"{100 + n}.50",
                    "invoice_due_days_after_invoice_date": 30,
                }
            ],
        }


def jsonl_rows(path: Path, account: str, creditor: str) -> Iterator[dict[str, Any]]:
    """One registration per non-empty line of a JSON Lines file."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row: dict[str, Any] = {"account": account, "creditor": creditor}
                row.update(json.loads(line))
                yield row


def show_progress(progress: BulkProgress) -> None:
    """The ``progress=`` callback: called after every item; print every 30th."""
    if progress.done and progress.done % 30 == 0:
        total = progress.total if progress.total is not None else "?"
        print(
            f"  progress: {progress.done}/{total} done, {progress.in_flight} in flight, "
            f"created {progress.created}, failed {progress.failed}"
        )


async def run_job(
    client: AmiliClient,
    rows: Iterator[dict[str, Any]],
    journal: Path,
    *,
    total: int | None,
    stop_after: int | None,
) -> Counter[str]:
    """Register ``rows``; count the outcomes. ``stop_after`` leaves early, as a crash would."""
    counts: Counter[str] = Counter()
    job = client.case_registrations.create_many(
        rows, concurrency=20, journal=journal, progress=show_progress, total=total
    )
    async with job as outcomes:
        async for outcome in outcomes:
            counts[outcome.status.value] += 1
            if outcome.from_journal and outcome.ok:
                counts["journal"] += 1  # done by an earlier run: not even looked up
            if outcome.status is OutcomeStatus.FAILED:
                # A typed error: RequestValidationError names each bad field in `issues`.
                print(f"  row {outcome.index} failed: {outcome.error}")
            if stop_after is not None and counts.total() - counts["journal"] >= stop_after:
                break  # leaving the block cancels the registrations in flight, and waits for them
    return counts


def summarise(counts: Counter[str]) -> None:
    """Print one run's outcomes."""
    print(
        f"  created {counts['created']}, already registered {counts['already_registered']} "
        f"({counts['journal']} known from the journal), failed {counts['failed']}"
    )


async def main() -> None:
    """Run the job twice on one journal: cut short, then resumed."""
    clock = ManualClock()
    # Latency moves the sandbox clock (no real waiting), so many writes are in flight at once.
    sandbox = Sandbox(clock=clock, sleep=clock.sleep, seed=3)
    sandbox.faults.latency(0.2)
    sandbox.faults.drop_after_commit(method="POST", path="/case--registrations", rate=0.05)

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    total = None if source else ROWS  # tells `progress` how many to expect

    def rows() -> Iterator[dict[str, Any]]:
        if source is not None:
            return jsonl_rows(source, sandbox.account_id, sandbox.creditor_id)
        return generated_rows(ROWS, sandbox.account_id, sandbox.creditor_id)

    async with AmiliClient(
        api_key=sandbox.api_key, transport=sandbox.transport(), clock=clock
    ) as client:
        with tempfile.TemporaryDirectory() as folder:
            journal = Path(folder) / "job.sqlite"
            print("first run, cut short after 40 outcomes:")
            first = await run_job(client, rows(), journal, total=total, stop_after=40)
            summarise(first)
            print("rerun with the same journal:")
            second = await run_job(client, rows(), journal, total=total, stop_after=None)
            summarise(second)

    lost = sandbox.faults.injected["drop_after_commit"]
    print(f"answers lost on the way back (each looked up, never re-sent): {lost}")
    registered = (
        second[OutcomeStatus.CREATED.value] + second[OutcomeStatus.ALREADY_REGISTERED.value]
    )
    stored = len(sandbox.registrations())
    print(f"registrations stored: {stored} for {registered} registered rows (no duplicate)")


if __name__ == "__main__":
    anyio.run(main)
