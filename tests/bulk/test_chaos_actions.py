"""Chaos for the creditor actions: creditings and cancellations under every fault land once.

600 cases are registered calmly; then the sandbox fails about one request in
five (the same mix as ``test_chaos.py``: latency, 5xx, 429, dropped
connections, answers lost after the write committed, tokens expiring) while
half the cases are credited in part and the other half cancelled, each job
killed half way and resumed from its journal. Afterwards every crediting
exists once (by its reference, and once on its case's capital) and every
cancelled case has exactly one cancellation.

Simulated time only: the client and the sandbox share a ManualClock.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_support import registration
from test_chaos import inject_chaos

from amili_async import (
    AccessToken,
    ActionOutcome,
    AmiliClient,
    ManualClock,
    RateLimit,
    RefreshingTokenProvider,
    RetryPolicy,
)
from amili_async.sandbox import Sandbox

CASES = 600
CONCURRENCY = 30


@pytest.fixture
def anyio_backend() -> str:
    """One backend is enough for this long scenario (the unit tests cover trio)."""
    return "asyncio"


async def run(
    service: Any, items: list[dict[str, Any]], journal: Path, *, stop_after: int | None = None
) -> list[ActionOutcome[Any]]:
    """One run of a journaled job; killed after ``stop_after`` outcomes."""
    outcomes: list[ActionOutcome[Any]] = []
    with anyio.CancelScope() as kill:
        async with service.create_many(
            items, concurrency=CONCURRENCY, journal=journal, retry_failed=True
        ) as results:
            async for outcome in results:
                outcomes.append(outcome)
                if stop_after is not None and len(outcomes) >= stop_after:
                    kill.cancel()
    assert len({o.index for o in outcomes}) == len(outcomes), "an item got two outcomes"
    return outcomes


async def settle(service: Any, items: list[dict[str, Any]], journal: Path) -> list[Any]:
    """Run, kill half way, and resume until every item is settled."""
    runs = [await run(service, items, journal, stop_after=len(items) // 2)]
    for _ in range(4):
        runs.append(await run(service, items, journal))
        if all(outcome.ok for outcome in runs[-1]):
            break
    return runs


@pytest.mark.slow
@pytest.mark.anyio
async def test_chaos_creditings_and_cancellations_land_exactly_once(tmp_path: Path) -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, seed=2026, sleep=clock.sleep)

    async def fetch_token() -> AccessToken:
        token, expires_at = sandbox.issue_token(3600)
        return AccessToken(token, expires_at)

    client = AmiliClient(
        token_provider=RefreshingTokenProvider(fetch_token, clock=clock),
        transport=sandbox.transport(),
        clock=clock,
        retry=RetryPolicy(max_attempts=6, initial_backoff=0.05, max_backoff=2.0),
        rate_limit=RateLimit(max_concurrency=CONCURRENCY),
        seed=12,
    )
    async with client:
        registered = [
            await client.case_registrations.create(registration(sandbox, n)) for n in range(CASES)
        ]
        case_ids = [r.cases[0] for r in registered]
        to_credit, to_cancel = case_ids[: CASES // 2], case_ids[CASES // 2 :]
        creditings = [
            {
                "account": sandbox.account_id,
                "creditor": sandbox.creditor_id,
                "case": case_id,
                "amount": Decimal("100.50"),
                "creditor_reference": f"CR-{n}",
            }
            for n, case_id in enumerate(to_credit)
        ]
        cancellations = [
            {"creditor": sandbox.creditor_id, "case": case_id} for case_id in to_cancel
        ]
        inject_chaos(sandbox)
        credit_runs = await settle(client.creditor_creditings, creditings, tmp_path / "c.sqlite")
        cancel_runs = await settle(
            client.creditor_cancellations, cancellations, tmp_path / "x.sqlite"
        )

    assert all(o.ok for o in credit_runs[-1]), [repr(o.error) for o in credit_runs[-1] if not o.ok]
    assert all(o.ok for o in cancel_runs[-1]), [repr(o.error) for o in cancel_runs[-1] if not o.ok]
    per_reference = Counter(doc["creditor_reference"] for doc in sandbox.creditings())
    assert set(per_reference) == {f"CR-{n}" for n in range(len(to_credit))}
    assert max(per_reference.values()) == 1
    per_case = Counter(doc["case"] for doc in sandbox.cancellations())
    assert set(per_case) == set(to_cancel)
    assert max(per_case.values()) == 1
    for case_id in to_credit:
        case = sandbox.case(case_id)
        credited = [t for t in case["transactions"] if t.get("creditor_crediting")]
        assert len(credited) == 1
        assert Decimal(str(credited[0]["amount"])) == Decimal("-100.50")
    for case_id in to_cancel:
        assert sandbox.case(case_id)["closed"]["reason"] == "cancelled"
    assert sandbox.faults.injected["drop_after_commit"] > 0
