"""Resumable jobs: a rerun with the same journal skips, reconciles, retries on request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_support import (
    CountingTransport,
    cases_per_invoice,
    person_number,
    registration,
    run_job,
    tally,
)

from amili_async import (
    AmiliClient,
    Journal,
    JournalState,
    OutcomeStatus,
    OutcomeUnknownError,
    PreviouslyFailedError,
    RegistrationOutcome,
    RequestValidationError,
    ServerError,
)
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio


async def test_a_killed_job_resumes_without_sending_anything_twice(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n, debts=1 + n % 2) for n in range(60)]
    journal = tmp_path / "job.sqlite"

    first_run: list[RegistrationOutcome] = []

    async def kill_when_all_slots_are_in_flight() -> None:
        while counting.in_flight < 6:
            await anyio.lowlevel.checkpoint()
        kill.cancel()  # like Ctrl-C with six registrations on the wire

    job = client.case_registrations.create_many(items, concurrency=6, journal=journal)
    with anyio.CancelScope() as kill:
        async with anyio.create_task_group() as group, job as outcomes:
            async for outcome in outcomes:
                first_run.append(outcome)
                if len(first_run) == 20:
                    counting.gate = anyio.Event()  # hold what goes out from now on
                    group.start_soon(kill_when_all_slots_are_in_flight)
    assert kill.cancelled_caught
    counting.gate.set()
    async with Journal(journal) as opened:
        counts = await opened.counts()
    created = counts[JournalState.CREATED]
    # Outcomes waiting for the consumer were created too; "sent" ones were in flight.
    assert 20 <= created <= 20 + 6
    assert counts[JournalState.SENT] == 6
    assert sum(counts.values()) <= 20 + 2 * 6
    assert counts[JournalState.FAILED] == 0

    posts_before = counting.posts
    second_run = await run_job(client, items, concurrency=6, journal=journal)

    assert sorted(outcome.index for outcome in second_run) == list(range(60))
    summary = tally(second_run)
    assert summary["journal"] == created
    assert summary["created"] + summary["already_registered"] == 60 - created
    created_first = {o.key: o.registration for o in first_run}
    for outcome in second_run:
        if outcome.from_journal and outcome.key in created_first:
            stored, earlier = outcome.registration, created_first[outcome.key]
            assert stored is not None
            assert earlier is not None
            assert (stored.id, stored.cases, stored.ocr_numbers_ocr) == (
                earlier.id,
                earlier.cases,
                earlier.ocr_numbers_ocr,
            )
    assert counting.posts - posts_before <= 60 - created
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert len(cases_per_invoice(sandbox)) == sum(1 + n % 2 for n in range(60))

    third_run = await run_job(client, items, concurrency=6, journal=journal)
    assert tally(third_run) == {"journal": 60}


async def test_failed_items_are_retried_only_when_asked(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n) for n in range(3)]
    journal = tmp_path / "job.sqlite"
    # Item 0's every attempt is refused before processing: provably not landed.
    amili_sandbox.faults.error(503, retry_after=1, method="POST", times=4)

    first = {o.index: o for o in await run_job(client, items, concurrency=1, journal=journal)}
    assert first[0].status is OutcomeStatus.FAILED
    assert isinstance(first[0].error, ServerError)
    assert [first[i].status for i in (1, 2)] == [OutcomeStatus.CREATED] * 2

    posts_before = counting.posts
    second = {o.index: o for o in await run_job(client, items, journal=journal)}
    assert second[0].status is OutcomeStatus.FAILED
    assert isinstance(second[0].error, PreviouslyFailedError)
    assert second[0].error.error_type == "ServerError"
    assert counting.posts == posts_before

    third = {o.index: o for o in await run_job(client, items, journal=journal, retry_failed=True)}
    assert third[0].status is OutcomeStatus.CREATED
    assert [third[i].from_journal for i in (1, 2)] == [True, True]
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert len(sandbox.cases()) == 3


async def lose_the_answer(
    client: AmiliClient, amili_sandbox: SandboxFixture, item: dict[str, Any], journal: Path
) -> RegistrationOutcome:
    """Run ``item`` once: it lands, but its answer is lost and so is every lookup."""
    amili_sandbox.faults.drop_after_commit(method="POST", times=1)
    lookups_fail = amili_sandbox.faults.error(500, method="GET", path="/case--registrations")
    [first] = await run_job(client, [item], journal=journal)
    amili_sandbox.faults.remove(lookups_fail)
    assert isinstance(first.error, OutcomeUnknownError)
    async with Journal(journal) as opened:
        [entry] = await opened.entries()
    assert entry.state is JournalState.SENT  # "may have landed": the rerun looks it up first
    return first


async def test_an_unknown_outcome_stays_in_flight_and_the_rerun_settles_it(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    sandbox = amili_sandbox.sandbox
    item = registration(sandbox, 9, debts=2)
    journal = tmp_path / "job.sqlite"
    first = await lose_the_answer(client, amili_sandbox, item, journal)
    [landed] = sandbox.registrations()

    posts_before = counting.posts
    [second] = await run_job(client, [item], journal=journal)
    assert second.status is OutcomeStatus.ALREADY_REGISTERED
    assert not second.from_journal
    assert second.registration is not None
    assert second.registration.id == landed["_id"]
    assert counting.posts == posts_before
    assert len(sandbox.registrations()) == 1
    assert first.key is not None
    async with Journal(journal) as opened:
        entry = await opened.get(first.key)
    assert entry is not None
    assert entry.state is JournalState.CREATED
    assert entry.cases == second.registration.cases


async def test_a_lookup_that_fails_for_an_item_in_flight_does_not_resend(
    client: AmiliClient,
    counting: CountingTransport,
    amili_sandbox: SandboxFixture,
    tmp_path: Path,
) -> None:
    item = registration(amili_sandbox.sandbox, 4)
    journal = tmp_path / "job.sqlite"
    await lose_the_answer(client, amili_sandbox, item, journal)
    posts_before = counting.posts
    amili_sandbox.faults.error(502, method="GET", path="/case--registrations")

    [outcome] = await run_job(client, [item], journal=journal)

    assert isinstance(outcome.error, OutcomeUnknownError)
    assert "looking it up failed" in str(outcome.error)
    assert counting.posts == posts_before


async def test_regrouped_invoices_are_refused_instead_of_registered_twice(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    journal = tmp_path / "job.sqlite"
    before = registration(sandbox, 1, debts=2)
    await run_job(client, [before], journal=journal)

    after = registration(sandbox, 1, debts=3)  # the fixed export adds a debt to the customer
    [outcome] = await run_job(client, [after], journal=journal)

    assert outcome.status is OutcomeStatus.FAILED
    assert isinstance(outcome.error, RequestValidationError)
    assert "belongs to another registration" in str(outcome.error)
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert len(sandbox.cases()) == 2


async def test_lookup_first_finds_what_a_lost_journal_knew(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n) for n in range(4)]
    await run_job(client, items[:2])
    posts_before = counting.posts

    outcomes = await run_job(client, items, lookup_first=True)

    assert tally(outcomes) == {"already_registered": 2, "created": 2}
    assert counting.posts - posts_before == 2
    assert set(cases_per_invoice(sandbox).values()) == {1}


async def test_the_journal_keys_items_by_identity_not_position(
    client: AmiliClient, amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    item = registration(sandbox, 1, debts=2)
    reordered = {**item, "debts": item["debts"][::-1]}
    journal = tmp_path / "job.sqlite"
    first_run = await run_job(client, [registration(sandbox, 2), item], journal=journal)
    [first] = [outcome for outcome in first_run if outcome.index == 1]

    [again] = await run_job(client, [reordered], journal=journal)

    assert again.from_journal
    assert again.key == first.key
    assert again.key is not None
    assert person_number(1) not in again.key
    async with Journal(journal) as opened:
        entry = await opened.get(again.key)
    assert entry is not None
    assert entry.index == 1  # where the run that registered it found it
