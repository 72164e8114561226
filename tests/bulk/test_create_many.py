"""create_many: one outcome per item, bounded concurrency, lazy input, clean cancellation."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
import sniffio
from bulk_support import CountingTransport, cases_per_invoice, registration

from amili_async import (
    AmiliClient,
    BulkProgress,
    ConfigurationError,
    OutcomeStatus,
    OutcomeUnknownError,
    RegistrationOutcome,
    RequestValidationError,
)
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio


async def settle(rounds: int = 200) -> None:
    """Let every ready task run for a while (nothing here waits on real time)."""
    for _ in range(rounds):
        await anyio.lowlevel.checkpoint()


async def collect(job: Any) -> list[RegistrationOutcome]:
    async with job as outcomes:
        return [outcome async for outcome in outcomes]


async def test_a_list_of_items_gives_one_outcome_each(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n, debts=1 + n % 3) for n in range(30)]
    snapshots: list[BulkProgress] = []

    outcomes = await collect(
        client.case_registrations.create_many(items, concurrency=5, progress=snapshots.append)
    )

    assert sorted(outcome.index for outcome in outcomes) == list(range(30))
    assert {outcome.status for outcome in outcomes} == {OutcomeStatus.CREATED}
    for outcome in outcomes:
        assert outcome.item is items[outcome.index]
        assert outcome.registration is not None
        assert len(outcome.registration.cases) == len(items[outcome.index]["debts"])
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert len(sandbox.cases()) == sum(1 + n % 3 for n in range(30))
    final = snapshots[-1]
    assert (final.total, final.done, final.in_flight, final.created) == (30, 30, 0, 30)
    assert snapshots[0].done == 0


async def test_an_async_iterable_is_consumed_too(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    async def rows() -> AsyncIterator[dict[str, Any]]:
        for n in range(12):
            await anyio.lowlevel.checkpoint()
            yield registration(amili_sandbox.sandbox, n)

    job = client.case_registrations.create_many(rows(), concurrency=4)
    outcomes = await collect(job)

    assert sorted(outcome.index for outcome in outcomes) == list(range(12))
    assert all(outcome.status is OutcomeStatus.CREATED for outcome in outcomes)
    assert job.progress.total is None
    assert job.progress.created == 12


async def test_concurrency_is_bounded(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    counting.gate = anyio.Event()  # hold every request until the test looks
    items = [registration(amili_sandbox.sandbox, n) for n in range(40)]

    async with client.case_registrations.create_many(items, concurrency=7) as outcomes:
        await settle()
        assert counting.in_flight == 7
        counting.gate.set()
        results = [outcome async for outcome in outcomes]

    assert len(results) == 40
    assert counting.max_in_flight == 7


async def test_the_input_is_pulled_lazily(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    pulled = 0
    sandbox = amili_sandbox.sandbox

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for n in range(20_000):
            pulled += 1
            yield registration(sandbox, n)

    concurrency = 10
    async with client.case_registrations.create_many(rows(), concurrency=concurrency) as outcomes:
        await settle(500)
        # Nobody consumes yet: at most the items in flight plus a full buffer were pulled.
        assert pulled <= 2 * concurrency + 1
        seen = 0
        async for _ in outcomes:
            seen += 1
            if seen == 100:
                break
        assert pulled <= seen + 2 * concurrency + 1

    assert pulled < 200
    assert len(sandbox.cases()) < 200


async def test_cancelling_the_job_leaves_nothing_running(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    counting.gate = anyio.Event()
    items = [registration(amili_sandbox.sandbox, n) for n in range(100)]
    on_asyncio = sniffio.current_async_library() == "asyncio"
    tasks_before = len(asyncio.all_tasks()) if on_asyncio else 0

    with anyio.CancelScope() as scope:
        async with client.case_registrations.create_many(items, concurrency=10) as outcomes:
            await settle()
            assert counting.in_flight == 10
            scope.cancel()
            async for _ in outcomes:
                pytest.fail("no outcome can arrive while every request is held")

    assert scope.cancelled_caught
    assert counting.in_flight == 0
    assert counting.entered == counting.exited == 10
    if on_asyncio:
        assert len(asyncio.all_tasks()) == tasks_before


async def test_leaving_the_block_early_cancels_the_rest(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    items = [registration(amili_sandbox.sandbox, n) for n in range(200)]
    async with client.case_registrations.create_many(items, concurrency=8) as outcomes:
        async for outcome in outcomes:
            if outcome.index >= 0:
                break
    assert counting.in_flight == 0
    assert counting.entered == counting.exited
    assert counting.posts < 40


async def test_bad_items_are_failed_outcomes_with_index_and_reason(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    items: list[Any] = [registration(sandbox, n) for n in range(6)]
    items[1]["customer"]["id_number"] = "8501011235"  # wrong check digit
    items[3] = "not a registration"
    del items[4]["debts"][0]["capital_to_claim"]
    items[5]["debts"][0]["capital_to_claim"] = -5

    outcomes = {
        outcome.index: outcome
        for outcome in await collect(client.case_registrations.create_many(items, concurrency=3))
    }

    assert len(outcomes) == 6
    assert [outcomes[i].status for i in (0, 2)] == [OutcomeStatus.CREATED] * 2
    for index, field in [
        (1, "customer.id_number"),
        (3, ""),
        (4, "debts.0.capital_to_claim"),
        (5, "debts.0.capital_to_claim"),
    ]:
        outcome = outcomes[index]
        assert outcome.status is OutcomeStatus.FAILED
        assert isinstance(outcome.error, RequestValidationError)
        assert field in outcome.error.issues, outcome.error.issues
        assert outcome.item is items[index]
    assert counting.posts == 2
    assert "8501011235" not in repr(outcomes[1])


async def test_an_invoice_appearing_twice_in_one_job_is_registered_once(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    first = registration(sandbox, 1, debts=2)
    overlapping = registration(sandbox, 2)
    overlapping["debts"][0]["invoice_number"] = first["debts"][1]["invoice_number"]
    items = [first, registration(sandbox, 3), dict(first), overlapping]

    outcomes = {
        o.index: o
        for o in await collect(client.case_registrations.create_many(items, concurrency=1))
    }

    assert [outcomes[i].status for i in range(4)] == [
        OutcomeStatus.CREATED,
        OutcomeStatus.CREATED,
        OutcomeStatus.FAILED,
        OutcomeStatus.FAILED,
    ]
    assert "already appears" in str(outcomes[2].error)
    assert set(cases_per_invoice(sandbox).values()) == {1}


async def test_lost_answers_are_reconciled_not_resent(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    amili_sandbox.faults.drop_after_commit(method="POST", times=3)
    amili_sandbox.faults.error_after_commit(504, method="POST", times=3)
    items = [registration(sandbox, n) for n in range(10)]

    outcomes = await collect(client.case_registrations.create_many(items, concurrency=4))

    statuses = Counter(outcome.status for outcome in outcomes)
    assert statuses == {OutcomeStatus.CREATED: 4, OutcomeStatus.ALREADY_REGISTERED: 6}
    assert counting.posts == 10
    assert sorted(cases_per_invoice(sandbox).values()) == [1] * 10


async def test_an_outcome_that_cannot_be_established_is_said_so(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    amili_sandbox.faults.drop_after_commit(method="POST", times=1)
    amili_sandbox.faults.error(500, method="GET", path="/case--registrations")

    [outcome] = await collect(
        client.case_registrations.create_many([registration(sandbox, 1)], concurrency=1)
    )

    assert outcome.status is OutcomeStatus.FAILED
    assert isinstance(outcome.error, OutcomeUnknownError)
    assert outcome.error.request_body["debts"][0]["invoice_number"] == "INV-000001-0"
    assert counting.posts == 1
    assert len(sandbox.registrations()) == 1


async def test_an_error_in_the_input_cancels_the_job_and_is_raised(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    def rows() -> Iterator[dict[str, Any]]:
        for n in range(5):
            yield registration(amili_sandbox.sandbox, n)
        raise LookupError("the export broke")

    with pytest.raises(LookupError, match="the export broke"):
        await collect(client.case_registrations.create_many(rows(), concurrency=3))
    assert counting.in_flight == 0
    assert counting.entered == counting.exited


async def test_a_job_runs_once(client: AmiliClient) -> None:
    job = client.case_registrations.create_many([], concurrency=2)
    assert await collect(job) == []
    with pytest.raises(RuntimeError, match="runs once"):
        await collect(job)
    with pytest.raises(ConfigurationError, match="concurrency"):
        client.case_registrations.create_many([], concurrency=0)
