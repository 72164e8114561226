"""A journal has one job at a time, and belongs to one server and one account."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_support import CountingTransport, cases_per_invoice, registration, run_job

from amili_async import (
    AmiliClient,
    Journal,
    JournalLockedError,
    JournalMismatchError,
    OutcomeStatus,
    RegistrationOutcome,
)
from amili_async.sandbox import Sandbox, SandboxServer
from amili_async.sandbox.pytest_plugin import SANDBOX_BASE_URL, SandboxFixture

pytestmark = pytest.mark.anyio

JOB_SCRIPT = Path(__file__).with_name("journal_job.py")


# -- two jobs in one process ---------------------------------------------------------------


async def test_a_second_job_on_the_same_journal_path_is_refused_at_once(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n) for n in range(40)]
    journal = tmp_path / "job.sqlite"
    first = client.case_registrations.create_many(items, concurrency=4, journal=journal)
    counting = CountingTransport(sandbox.transport())
    second_client = amili_sandbox.make_client(transport=counting)
    second = second_client.case_registrations.create_many(items, concurrency=4, journal=journal)

    async with first as outcomes, second_client:
        await outcomes.__anext__()  # the first job runs and holds the journal
        with pytest.raises(JournalLockedError) as refused:
            async with second:
                pytest.fail("the second job must not start")
        rest = [outcome async for outcome in outcomes]

    assert counting.entered == 0  # the second job sent nothing
    assert len(rest) == 39
    assert str(journal) in str(refused.value)
    assert refused.value.path == str(journal)
    assert "this process" in str(refused.value)
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert len(sandbox.registrations()) == 40

    # Once the first job has ended, the journal is free: a rerun resumes from it.
    again = await run_job(client, items, journal=journal)
    assert all(outcome.from_journal for outcome in again)


async def test_one_journal_object_serves_one_job_at_a_time(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n) for n in range(10)]
    async with Journal(tmp_path / "job.sqlite") as journal:
        first = client.case_registrations.create_many(items, concurrency=2, journal=journal)
        async with first as outcomes:
            await outcomes.__anext__()
            with pytest.raises(JournalLockedError):
                async with client.case_registrations.create_many(items, journal=journal):
                    pass
            assert len([outcome async for outcome in outcomes]) == 9
        # The same object serves the next job; another opener waits for it to close.
        with pytest.raises(JournalLockedError):
            await Journal(tmp_path / "job.sqlite").open()
        again = await run_job(client, items, journal=journal)
    assert all(outcome.from_journal for outcome in again)
    assert len(sandbox.registrations()) == 10


async def test_a_journal_given_closed_is_opened_and_closed_by_the_job(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "job.sqlite")
    await run_job(client, [registration(amili_sandbox.sandbox, 1)], journal=journal)
    assert not journal.is_open
    async with Journal(tmp_path / "job.sqlite") as reopened:  # the lock was released
        assert reopened.account == amili_sandbox.sandbox.account_id


async def test_two_concurrent_jobs_leave_no_duplicate(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n, debts=1 + n % 2) for n in range(120)]
    journal = tmp_path / "job.sqlite"
    results: dict[str, list[RegistrationOutcome] | BaseException] = {}

    async def job(name: str) -> None:
        try:
            results[name] = await run_job(client, items, concurrency=6, journal=journal)
        except JournalLockedError as error:
            results[name] = error

    async with anyio.create_task_group() as group:
        group.start_soon(job, "a")
        group.start_soon(job, "b")

    refused = [value for value in results.values() if isinstance(value, JournalLockedError)]
    ran = [value for value in results.values() if isinstance(value, list)]
    assert (len(refused), len(ran)) == (1, 1)
    assert {outcome.status for outcome in ran[0]} == {OutcomeStatus.CREATED}
    assert len(sandbox.registrations()) == 120
    assert set(cases_per_invoice(sandbox).values()) == {1}


# -- two jobs in two processes -------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    """A sandbox served over HTTP on a free port, for jobs in other processes."""
    sandbox = Sandbox()
    with SandboxServer(sandbox, port=0) as server:
        yield sandbox, server.base_url


def job_process(served: tuple[Sandbox, str], journal: Path, count: int, mode: str) -> Any:
    sandbox, base_url = served
    args = [base_url, sandbox.api_key, sandbox.account_id, sandbox.creditor_id]
    return subprocess.Popen(
        [sys.executable, str(JOB_SCRIPT), *args, str(journal), str(count), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.network(httpx_only="the command runs in a child process, on its default backend")
def test_a_second_process_on_a_journal_in_use_stops_at_once(
    served: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, _ = served
    journal = tmp_path / "job.sqlite"
    first = job_process(served, journal, 240, "hold")
    try:
        assert first.stdout.readline().strip() == "HOLDING"
        second = job_process(served, journal, 240, "run")
        _, second_err = second.communicate(timeout=60)
        stored_while_held = len(sandbox.registrations())
        first_out, first_err = first.communicate("go\n", timeout=120)
    finally:
        first.kill()
    assert second.returncode == 3, second_err
    assert str(journal) in second_err
    assert "in use by another job (process" in second_err
    assert first.returncode == 0, first_err
    assert "DONE 240" in first_out
    assert stored_while_held <= 1 + 2 * 8  # the second process added nothing
    assert len(sandbox.registrations()) == 240
    assert set(cases_per_invoice(sandbox).values()) == {1}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.network(httpx_only="the command runs in a child process, on its default backend")
def test_a_killed_process_releases_the_journal_and_the_next_one_resumes(
    served: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, _ = served
    journal = tmp_path / "job.sqlite"
    killed = job_process(served, journal, 220, "die")
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert 25 <= len(sandbox.registrations()) < 220
    assert Path(f"{journal}-wal").exists()  # a crash leaves the -wal file: nothing was lost

    resumed = job_process(served, journal, 220, "run")
    out, err = resumed.communicate(timeout=120)

    assert resumed.returncode == 0, err
    assert "DONE 220" in out
    assert len(sandbox.registrations()) == 220
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert os.path.exists(f"{journal}.lock")  # left behind, and harmless: the OS lock is gone


# -- one server, one account ---------------------------------------------------------------


async def test_a_journal_of_another_server_is_refused_naming_both(
    amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n) for n in range(5)]
    journal = tmp_path / "job.sqlite"
    async with amili_sandbox.make_client() as sandbox_client:
        await run_job(sandbox_client, items, journal=journal)
    counting = CountingTransport(sandbox.transport())
    elsewhere = amili_sandbox.make_client(base_url="https://api.amili.se", transport=counting)

    async with elsewhere:
        with pytest.raises(JournalMismatchError) as refused:
            await run_job(elsewhere, items, journal=journal)

    assert counting.entered == 0  # refused before anything was sent
    message = str(refused.value)
    assert SANDBOX_BASE_URL in message
    assert "https://api.amili.se" in message
    assert str(journal) in message
    assert (refused.value.recorded, refused.value.given) == (
        SANDBOX_BASE_URL,
        "https://api.amili.se",
    )
    async with Journal(journal) as opened:
        assert opened.server == SANDBOX_BASE_URL
        assert opened.account == sandbox.account_id
        assert opened.creditors == (sandbox.creditor_id,)


async def test_a_journal_of_another_account_is_refused_naming_both(
    amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    other = sandbox.add_account(name="Other account")
    creditor = sandbox.add_creditor("Other AB", account_id=other.id)
    journal = tmp_path / "job.sqlite"
    async with amili_sandbox.make_client() as first_client:
        await run_job(first_client, [registration(sandbox, 1)], journal=journal)
    items = [
        {**registration(sandbox, n), "account": other.id, "creditor": creditor.id} for n in range(5)
    ]
    counting = CountingTransport(sandbox.transport())

    async with amili_sandbox.make_client(api_key=other.api_key, transport=counting) as client:
        with pytest.raises(JournalMismatchError) as refused:
            await run_job(client, items, journal=journal)

    assert counting.posts == 0
    assert sandbox.account_id in str(refused.value)
    assert other.id in str(refused.value)
    assert len(sandbox.registrations()) == 1


async def test_the_journal_records_every_creditor_of_its_account(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    second = sandbox.add_creditor("Second AB")
    items = [registration(sandbox, 1), {**registration(sandbox, 2), "creditor": second.id}]
    journal = tmp_path / "job.sqlite"

    outcomes = await run_job(client, items, journal=journal, concurrency=1)

    assert {outcome.status for outcome in outcomes} == {OutcomeStatus.CREATED}
    async with Journal(journal) as opened:
        assert opened.creditors == (sandbox.creditor_id, second.id)
