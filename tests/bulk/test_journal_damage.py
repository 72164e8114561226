"""Lost journal records are refused (or every item looked up); bad files get one sentence."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_support import CountingTransport, cases_per_invoice, registration, run_job, tally

from amili_async import (
    AmiliClient,
    Journal,
    JournalError,
    JournalState,
    OutcomeStatus,
)
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio


async def refused(
    client: AmiliClient, counting: CountingTransport, items: list[Any], path: Path
) -> str:
    """Run a job on ``path``; it must be refused before anything is sent. The message."""
    entered = counting.entered
    with pytest.raises(JournalError) as error:
        await run_job(client, items, journal=path)
    assert counting.entered == entered
    assert error.value.path == str(path)
    return str(error.value)


async def test_an_emptied_journal_is_refused_unless_every_item_is_looked_up(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n) for n in range(6)]
    journal = tmp_path / "job.sqlite"
    await run_job(client, items[:4], journal=journal)
    journal.write_bytes(b"")  # emptied (a failed copy, a truncating editor...)
    await anyio.Path(f"{journal}-wal").unlink(missing_ok=True)

    message = await refused(client, counting, items, journal)
    assert "is empty (zero bytes)" in message
    assert "lookup_first=True" in message
    message = await refused(client, counting, items, journal)  # it stays refused
    assert "is empty" in message

    posts = counting.posts
    outcomes = await run_job(client, items, journal=journal, lookup_first=True)
    assert sorted(o.status.value for o in outcomes) == ["already_registered"] * 4 + ["created"] * 2
    assert counting.posts - posts == 2
    assert set(cases_per_invoice(sandbox).values()) == {1}

    # Every item was looked up: the journal is whole again.
    assert set(tally(await run_job(client, items, journal=journal))) == {"journal"}
    async with Journal(journal) as opened:
        assert opened.damage is None


async def test_a_lost_wal_file_is_detected(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n, debts=2) for n in range(8)]
    journal = tmp_path / "job.sqlite"
    copy = tmp_path / "copy.sqlite"
    async with Journal(journal) as opened:
        await run_job(client, items, journal=opened)
        assert (await opened.counts())[JournalState.CREATED] == 8
        shutil.copy(journal, copy)  # the main file only: its records are in job.sqlite-wal
    assert not await anyio.Path(f"{copy}-wal").exists()

    message = await refused(client, counting, items, copy)
    assert "was not closed cleanly and its -wal file is missing" in message

    posts = counting.posts
    outcomes = await run_job(client, items, journal=copy, lookup_first=True)
    assert {o.status for o in outcomes} == {OutcomeStatus.ALREADY_REGISTERED}
    assert counting.posts == posts  # nothing sent twice
    assert set(tally(await run_job(client, items, journal=copy))) == {"journal"}


async def test_a_lookup_first_job_that_does_not_finish_keeps_the_journal_refused(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    items = [registration(amili_sandbox.sandbox, n) for n in range(10)]
    journal = tmp_path / "job.sqlite"
    journal.touch()
    with anyio.CancelScope() as scope:
        job = client.case_registrations.create_many(items, journal=journal, lookup_first=True)
        async with job as outcomes:
            async for _ in outcomes:
                scope.cancel()
    assert "is empty" in await refused(client, counting, items, journal)


async def test_a_database_without_tables_is_refused(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    journal = tmp_path / "job.sqlite"
    db = sqlite3.connect(journal)
    db.execute("PRAGMA journal_mode=WAL")  # a journal's first page, its tables lost with the -wal
    db.close()
    items = [registration(amili_sandbox.sandbox, 1)]
    assert "has no tables" in await refused(client, counting, items, journal)


async def test_unreadable_files_get_one_sentence(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    items = [registration(amili_sandbox.sandbox, 1)]
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"customer_id_number,customer_name\n" * 200)
    assert "cannot be read as a journal" in await refused(client, counting, items, garbage)
    assert garbage.read_bytes().startswith(b"customer_id_number")  # left as it was

    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE invoices_2024 (number TEXT)")
    assert "not an amili-async journal" in await refused(client, counting, items, foreign)

    newer = tmp_path / "newer.sqlite"
    async with Journal(newer):
        pass
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version=99")
    message = await refused(client, counting, items, newer)
    assert "newer amili-async (format 99" in message
    assert "\n" not in message


async def test_a_journal_of_the_first_format_is_upgraded_in_place(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    item = registration(sandbox, 1)
    [created] = await run_job(client, [item])
    assert created.key is not None
    assert created.registration is not None
    journal = tmp_path / "old.sqlite"
    with sqlite3.connect(journal) as db:
        db.executescript(
            """
            CREATE TABLE items (key TEXT PRIMARY KEY, item_index INTEGER NOT NULL,
                state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                registration_id TEXT, cases TEXT, ocr_numbers TEXT, ocr_numbers_ocr TEXT,
                error_type TEXT, error TEXT, updated_at TEXT NOT NULL);
            CREATE TABLE invoices (scope TEXT NOT NULL, invoice_number TEXT NOT NULL,
                key TEXT NOT NULL, PRIMARY KEY (scope, invoice_number));
            PRAGMA user_version=1;
            """
        )
        db.execute(
            "INSERT INTO items (key, item_index, state, registration_id, cases, updated_at) "
            "VALUES (?, 0, 'created', ?, ?, 'then')",
            (created.key, created.registration.id, f'["{created.registration.cases[0]}"]'),
        )

    [again] = await run_job(client, [item], journal=journal)

    assert again.from_journal
    assert len(sandbox.registrations()) == 1
    async with Journal(journal) as opened:
        assert (opened.server, opened.account, opened.damage) == (
            client.base_url.rstrip("/"),
            sandbox.account_id,
            None,
        )
