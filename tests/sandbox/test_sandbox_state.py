"""Inspecting and resetting the sandbox, and running it without keeping state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sandbox_support import client, debt, register, registration

from amili_async import ManualClock
from amili_async.sandbox import LoggedRequest, RealtimeClock, Sandbox

pytestmark = pytest.mark.anyio


async def test_keep_state_false_answers_but_stores_nothing() -> None:
    sandbox = Sandbox(keep_state=False, request_log_limit=10)
    async with client(sandbox) as http:
        answers = [await register(http, registration(debts=[debt(f"INV-{n}")])) for n in range(200)]
    assert len({answer["_cases"][0] for answer in answers}) == 200
    assert sandbox.cases() == []
    assert sandbox.registrations() == []
    assert sandbox.created == {
        "case--registrations": 200,
        "cases": 200,
        "creditor--payments": 0,
        "creditor--creditings": 0,
        "creditor--cancellations": 0,
        "invoice--registrations": 0,
    }
    assert len(sandbox.request_log) == 10


async def test_discard_cases_keeps_accounts_and_tokens(sandbox: Sandbox) -> None:
    token, _ = sandbox.issue_token(600)
    async with client(sandbox, key=token) as http:
        case_id = (await register(http))["_cases"][0]
        sandbox.discard_cases()
        assert sandbox.cases() == []
        assert (await http.get(f"/cases/{case_id}")).status_code == 404
        assert (await http.get("/cases")).status_code == 200


async def test_reset_restores_a_fresh_sandbox(sandbox: Sandbox) -> None:
    first_key = sandbox.api_key
    other = sandbox.add_account()
    sandbox.faults.error(500)
    async with client(sandbox) as http:
        await http.get("/cases")
        sandbox.faults.clear()
        await register(http)
        assert (await http.post("/_sandbox/reset")).status_code == 204
    assert sandbox.cases() == []
    assert sandbox.request_log == [LoggedRequest("POST", "/_sandbox/reset", 204)]
    assert sandbox.faults.rules == ()
    assert sandbox.faults.total_injected == 0
    assert sandbox.api_key == first_key
    with pytest.raises(ValueError, match="no account"):
        sandbox.add_creditor("Gone AB", account_id=other.id)


async def test_request_log_records_method_path_status(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        await http.get("/cases")
        await http.post("/case--registrations", json={})
    assert sandbox.request_log == [
        LoggedRequest("GET", "/cases", 200),
        LoggedRequest("POST", "/case--registrations", 422),
    ]


async def test_moving_the_clock_directly_is_caught_up_on_the_next_request(
    sandbox: Sandbox,
) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        sandbox.clock.advance(hours=3)
        case = (await http.get(f"/cases/{case_id}")).json()
    assert case["status"] == "debt_collection"
    assert case["status_history"][1]["status_date"] == "Wed, 03 Sep 2025 08:00:11 GMT"


def test_inspection_returns_copies(sandbox: Sandbox) -> None:
    sandbox.advance(seconds=1)
    assert sandbox.cases() == []
    with pytest.raises(KeyError):
        sandbox.case("0" * 24)


def test_accounts_and_creditors_are_validated(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="24"):
        sandbox.add_account("not-an-id")
    with pytest.raises(ValueError, match="already exists"):
        sandbox.add_account(sandbox.account_id)
    creditor = sandbox.add_creditor("Second AB")
    assert creditor.account_id == sandbox.account_id
    assert sandbox.issue_token(1)[0] != sandbox.issue_token(1)[0]
    with pytest.raises(ValueError, match="positive"):
        sandbox.issue_token(0)


def test_realtime_clock_follows_its_source_and_still_jumps() -> None:
    source = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock = RealtimeClock(source=source)
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)
    source.advance(10)
    clock.advance(hours=1)
    assert clock.now() == datetime(2030, 1, 1, 1, 0, 10, tzinfo=UTC)
    assert clock.monotonic() == 3610
