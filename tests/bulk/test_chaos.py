"""Chaos: 2,000 registrations through a sandbox that fails a fifth of all requests.

Every kind of fault is injected (latency, 5xx, 429 with Retry-After, dropped
connections, answers lost after the write committed, gateway errors after the
commit, tokens expiring early), the job is killed half way and resumed from
its journal. Afterwards the sandbox must hold exactly one case per invoice and
every run must have given exactly one outcome per input item.

Simulated time only: the client and the sandbox share a ManualClock, so
back-offs, Retry-After pauses and injected latency cost no real time.

The scenario runs twice: in process (the sandbox's transport, 2,000 items), and
through the sandbox served on a loopback port (fewer items, real sockets), so
that the HTTP backend under test (``AMILI_TEST_BACKEND``: httpx or aiohttp)
carries the traffic and every fault, a dropped connection included.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from bulk_support import cases_per_invoice, registration
from support import loopback_client

from amili_async import (
    AccessToken,
    AmiliClient,
    ManualClock,
    OutcomeStatus,
    RateLimit,
    RefreshingTokenProvider,
    RegistrationOutcome,
    RetryPolicy,
)
from amili_async.sandbox import Sandbox, SandboxServer

ITEMS = 2000
#: Through a served sandbox every request really crosses loopback (~1 ms each, more under
#: PYTHONDEVMODE): fewer items, still hundreds of faults of every kind.
SERVED_ITEMS = 400
CONCURRENCY = 50


# Overrides tests/conftest.py's anyio_backend (both backends) on purpose: one
# backend is enough for this long scenario.
@pytest.fixture
def anyio_backend() -> str:
    """The chaos test runs on asyncio only (the unit tests cover trio)."""
    return "asyncio"


def inject_chaos(sandbox: Sandbox) -> None:
    """About one request in five gets a fault, of every kind, on every endpoint."""
    faults = sandbox.faults
    faults.latency(0.75, rate=0.05)
    faults.error(500, rate=0.02)
    faults.error(502, rate=0.01)
    faults.error(503, rate=0.01)
    faults.error(503, retry_after=1, rate=0.01)
    faults.error(504, rate=0.01)
    faults.rate_limit(retry_after=1, rate=0.03)
    faults.drop_connection(rate=0.03)
    faults.drop_after_commit(rate=0.04)
    faults.error_after_commit(502, rate=0.01)
    faults.error_after_commit(504, rate=0.01)
    faults.expire_token(rate=0.02, times=None)


async def run(
    client: AmiliClient,
    items: list[dict[str, Any]],
    journal: Path,
    *,
    stop_after: int | None = None,
) -> list[RegistrationOutcome]:
    outcomes: list[RegistrationOutcome] = []
    with anyio.CancelScope() as kill:
        async with client.case_registrations.create_many(
            items, concurrency=CONCURRENCY, journal=journal, retry_failed=True
        ) as results:
            async for outcome in results:
                outcomes.append(outcome)
                if stop_after is not None and len(outcomes) >= stop_after:
                    kill.cancel()  # as if the process were killed half way
    indexes = [outcome.index for outcome in outcomes]
    assert len(indexes) == len(set(indexes)), "an item got two outcomes in one run"
    return outcomes


@pytest.mark.slow
@pytest.mark.anyio
async def test_chaos_registrations_never_duplicate_or_lose_a_case(
    tmp_path: Path, record_property: Any
) -> None:
    await chaos(tmp_path, record_property, ITEMS, served=False)


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.anyio
async def test_chaos_through_a_served_sandbox_on_the_backend_under_test(
    tmp_path: Path, record_property: Any
) -> None:
    await chaos(tmp_path, record_property, SERVED_ITEMS, served=True)


async def chaos(tmp_path: Path, record_property: Any, size: int, *, served: bool) -> None:
    """The scenario: ``size`` registrations under chaos, killed half way, resumed."""
    started = time.perf_counter()
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, seed=2025, sleep=clock.sleep)
    items = [registration(sandbox, n, debts=1 + n % 3) for n in range(size)]
    expected_invoices = {debt["invoice_number"] for item in items for debt in item["debts"]}

    async def fetch_token() -> AccessToken:
        token, expires_at = sandbox.issue_token(3600)
        return AccessToken(token, expires_at)

    tokens = RefreshingTokenProvider(fetch_token, clock=clock)
    options: dict[str, Any] = {
        "token_provider": tokens,
        "clock": clock,
        "retry": RetryPolicy(max_attempts=6, initial_backoff=0.05, max_backoff=2.0),
        "rate_limit": RateLimit(max_concurrency=CONCURRENCY),
        "seed": 11,
    }
    journal = tmp_path / "chaos.sqlite"
    with ExitStack() as stack:
        if served:
            server = stack.enter_context(SandboxServer(sandbox, port=0))
            client = loopback_client(server.base_url, **options)
        else:
            client = AmiliClient(transport=sandbox.transport(), **options)
        inject_chaos(sandbox)
        async with client:
            first = await run(client, items, journal, stop_after=size // 2)
            runs = [first]
            # Resume from the journal until every item is settled (one rerun is the usual case).
            for _ in range(3):
                rerun = await run(client, items, journal)
                assert sorted(outcome.index for outcome in rerun) == list(range(size))
                runs.append(rerun)
                if all(outcome.ok for outcome in rerun):
                    break

    final = runs[-1]
    per_invoice = cases_per_invoice(sandbox)
    duplicates = sum(count - 1 for count in per_invoice.values() if count > 1)
    lost = len(expected_invoices - set(per_invoice))
    unexpected = set(per_invoice) - expected_invoices
    wall = time.perf_counter() - started
    figures = {
        "served": served,
        "items": size,
        "invoices": len(expected_invoices),
        "concurrency": CONCURRENCY,
        "requests": len(sandbox.request_log),
        "faults_injected": sandbox.faults.injected,
        "faults_total": sandbox.faults.total_injected,
        "token_refreshes": tokens.refresh_count,
        "runs": [
            dict(Counter("from_journal" if o.from_journal else o.status.value for o in outcomes))
            for outcomes in runs
        ],
        "first_run_outcomes": len(first),
        "duplicates": duplicates,
        "lost": lost,
        "simulated_seconds": round(clock.monotonic(), 1),
        "wall_seconds": round(wall, 2),
    }
    print("\nchaos figures:", json.dumps(figures, indent=2))
    record_property("chaos", json.dumps(figures))
    if os.environ.get("AMILI_CHAOS_REPORT") and not served:
        await anyio.Path(os.environ["AMILI_CHAOS_REPORT"]).write_text(json.dumps(figures, indent=2))

    assert size // 2 <= len(first) < size
    assert all(outcome.ok for outcome in final), [
        (outcome.index, repr(outcome.error)) for outcome in final if not outcome.ok
    ]
    assert {outcome.status for outcome in final} <= {
        OutcomeStatus.CREATED,
        OutcomeStatus.ALREADY_REGISTERED,
    }
    assert duplicates == 0
    assert lost == 0
    assert not unexpected
    assert len(sandbox.registrations()) == size
    assert len(sandbox.cases()) == len(expected_invoices)
    for kind, count in sandbox.faults.injected.items():
        assert count > 0, f"no {kind} fault was injected"
    assert tokens.refresh_count > 1
