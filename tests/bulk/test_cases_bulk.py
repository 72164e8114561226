"""get_many, watch and wait_for: many cases read and followed on the client's clock."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import anyio
import httpx
import pytest
from bulk_support import registration

from amili_async import (
    AmiliClient,
    Case,
    CaseStatus,
    CaseUpdate,
    ConfigurationError,
    NotFoundError,
    WaitTimeoutError,
)
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio


async def register_cases(client: AmiliClient, amili_sandbox: SandboxFixture, n: int) -> list[str]:
    ids: list[str] = []
    for number in range(n):
        stored = await client.case_registrations.create(registration(amili_sandbox.sandbox, number))
        ids.extend(stored.cases)
    return ids


async def pay_in_full(client: AmiliClient, amili_sandbox: SandboxFixture, case: Case) -> None:
    assert case.total_remaining_capital_amount is not None
    await client.creditor_payments.create(
        {
            "account": amili_sandbox.sandbox.account_id,
            "creditor": amili_sandbox.sandbox.creditor_id,
            "case": case.id,
            "amount": case.total_remaining_capital_amount,
            "bank_transaction_date": client.clock.now(),
            "creditor_payment_reference": f"PAY-{case.id}",
        }
    )


async def test_get_many_reads_every_case_and_reports_the_missing(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    ids = await register_cases(client, amili_sandbox, 5)
    wanted = [*ids, "000000000000000000000000"]

    async with client.cases.get_many(wanted, concurrency=3) as results:
        by_index = {result.index: result async for result in results}

    assert sorted(by_index) == list(range(6))
    assert [by_index[i].case.id for i in range(5)] == ids  # type: ignore[union-attr]
    assert all(by_index[i].ok for i in range(5))
    assert isinstance(by_index[5].error, NotFoundError)
    assert not by_index[5].ok


async def test_watch_follows_cases_until_they_close(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    ids = await register_cases(client, amili_sandbox, 6)
    polled_at: list[float] = []
    clock = client.clock

    class Recording(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.startswith("/cases/"):
                polled_at.append(clock.monotonic())
            return await self.inner.handle_async_request(request)

    watcher = amili_sandbox.make_client(
        transport=Recording(amili_sandbox.sandbox.transport()), seed=3
    )
    history: dict[str, list[CaseUpdate]] = defaultdict(list)
    paid: set[str] = set()
    start = clock.monotonic()

    async with watcher.cases.watch(ids, interval=3600, until="closed", seed=5) as updates:
        async for update in updates:
            history[update.case_id].append(update)
            case = update.case
            assert case is not None
            assert update.error is None
            # Mid-way, the customers pay: each case once it is in collection.
            if case.status == CaseStatus.DEBT_COLLECTION and case.id not in paid:
                paid.add(case.id)
                await pay_in_full(client, amili_sandbox, case)

    assert set(history) == set(ids)
    for _case_id, updates in history.items():
        assert updates[0].previous is None
        assert updates[-1].done
        assert updates[-1].case is not None
        assert updates[-1].case.is_closed
        assert not any(update.done for update in updates[:-1])
        statuses = [update.case.status for update in updates if update.case is not None]
        assert CaseStatus.DEBT_COLLECTION in statuses
        assert statuses[-1] == CaseStatus.CLOSED
        assert statuses.count(CaseStatus.CLOSED) == 1
        for earlier, later in itertools.pairwise(updates):
            assert later.previous == earlier.case
            assert later.changed
    assert {case["status"] for case in amili_sandbox.sandbox.cases()} == {"closed"}
    # The first round is spread over one interval, not sent in one burst: the k-th poll
    # goes out no earlier than k / n of an interval after the start.
    first_round = sorted(polled_at[: len(ids)])
    for k, polled in enumerate(first_round):
        assert polled >= start + k * 3600 / len(ids) - 1e-6


async def test_watch_stops_following_a_case_that_does_not_exist(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    [case_id] = await register_cases(client, amili_sandbox, 1)
    seen: list[CaseUpdate] = []
    until_initialized: Any = ("initialized",)

    async with client.cases.watch(
        [case_id, "000000000000000000000000"], interval=60, until=until_initialized
    ) as updates:
        async for update in updates:
            seen.append(update)

    missing = [update for update in seen if update.case_id != case_id]
    assert len(missing) == 1
    assert missing[0].done
    assert isinstance(missing[0].error, NotFoundError)
    final = [update for update in seen if update.case_id == case_id][-1]
    assert final.done
    assert final.case is not None
    assert final.case.status == "initialized"


async def test_wait_for_returns_the_case_once_it_gets_there(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    [case_id] = await register_cases(client, amili_sandbox, 1)
    case = await client.cases.wait_for(
        case_id, status=CaseStatus.DEBT_COLLECTION, max_wait=86400, interval=600
    )
    assert case.status == CaseStatus.DEBT_COLLECTION

    async with anyio.create_task_group() as group:
        group.start_soon(pay_in_full, client, amili_sandbox, case)
    closed = await client.cases.wait_for(case_id, interval=600)
    assert closed.is_closed


async def test_wait_for_gives_up_on_the_clients_clock(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    [case_id] = await register_cases(client, amili_sandbox, 1)
    start = client.clock.monotonic()
    with pytest.raises(WaitTimeoutError) as caught:
        await client.cases.wait_for(case_id, status="closed", max_wait=7200, interval=900)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.case_id == case_id
    assert caught.value.last is not None
    assert not caught.value.last.is_closed
    assert client.clock.monotonic() - start == pytest.approx(7200, abs=1)


async def test_wait_for_still_takes_its_old_timeout_keyword_with_a_warning(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    [case_id] = await register_cases(client, amili_sandbox, 1)
    start = client.clock.monotonic()
    with (
        pytest.warns(DeprecationWarning, match="max_wait") as warned,
        pytest.raises(WaitTimeoutError),
    ):
        await client.cases.wait_for(case_id, timeout=3600, interval=900)
    assert warned[0].filename == __file__  # the warning points at the caller's line
    assert client.clock.monotonic() - start == pytest.approx(3600, abs=1)
    with pytest.raises(TypeError, match="not both"):
        await client.cases.wait_for(case_id, timeout=60, max_wait=60)


async def test_setting_mistakes_are_configuration_errors(client: AmiliClient) -> None:
    with pytest.raises(ConfigurationError, match="concurrency"):
        client.cases.get_many(["a"], concurrency=0)
    with pytest.raises(ConfigurationError, match="interval"):
        client.cases.watch(["a"], interval=0)
    with pytest.raises(ConfigurationError, match="jitter"):
        client.cases.watch(["a"], jitter=1.0)
    with pytest.raises(ConfigurationError, match="names no status"):
        client.cases.watch(["a"], until=[])
    with pytest.raises(ConfigurationError, match="max_wait"):
        await client.cases.wait_for("a", max_wait=-1)
