"""Every fault kind, in process: what the client sees and whether the write happened."""

from __future__ import annotations

import httpx
import pytest
from sandbox_support import SleepRecorder, client, payment, register, registration

from amili_async import ManualClock
from amili_async.sandbox import FaultKind, Sandbox

pytestmark = pytest.mark.anyio

REGISTRATIONS = "/case--registrations"


async def test_latency_uses_the_sandbox_sleep(sandbox: Sandbox, slept: SleepRecorder) -> None:
    sandbox.faults.latency(0.25, path="/cases*")
    sandbox.faults.latency(0.5, method="GET", path="/cases", times=1)
    async with client(sandbox) as http:
        await http.get("/cases")
        await http.get("/cases")
        await register(http)
    assert slept.calls == [0.75, 0.25]
    assert sandbox.faults.injected["latency"] == 3


async def test_latency_can_move_the_sandbox_clock_instead() -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    sandbox.faults.latency(30)
    before = sandbox.now
    async with client(sandbox) as http:
        assert (await http.get("/cases")).status_code == 200
    assert (sandbox.now - before).total_seconds() == 30


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_not_processed(sandbox: Sandbox, status: int) -> None:
    sandbox.faults.error(status, retry_after=2 if status == 503 else None, times=1)
    async with client(sandbox) as http:
        response = await http.post(REGISTRATIONS, json=registration())
        assert response.status_code == status
        if status in (500, 503):
            assert response.json()["_error"]["code"] == status
        else:
            assert response.headers["content-type"].startswith("text/html")
        assert ("retry-after" in response.headers) == (status == 503)
        assert sandbox.registrations() == []
        assert (await http.post(REGISTRATIONS, json=registration())).status_code == 201
    assert sandbox.faults.injected["error"] == 1


async def test_rate_limit_with_retry_after(sandbox: Sandbox) -> None:
    rule = sandbox.faults.rate_limit(retry_after=7, path="/cases", times=2)
    async with client(sandbox) as http:
        statuses = [(await http.get("/cases")).status_code for _ in range(3)]
        limited = await http.get("/case--registrations")
    assert statuses == [429, 429, 200]
    assert limited.status_code == 200
    assert rule.injected == 2
    assert rule.exhausted


async def test_rate_limit_fault_is_bare_unless_asked_for_retry_after(sandbox: Sandbox) -> None:
    sandbox.faults.rate_limit(times=1)
    sandbox.faults.rate_limit(retry_after=1.5, times=1)
    async with client(sandbox) as http:
        bare = await http.get("/cases")
        told = await http.get("/cases")
    assert (bare.status_code, told.status_code) == (429, 429)
    assert bare.json() == {
        "_status": "ERR",
        "_error": {"code": 429, "message": "Rate limit exceeded"},
    }
    assert "retry-after" not in bare.headers
    assert told.headers["retry-after"] == "2"
    for response in (bare, told):
        assert not [name for name in response.headers if name.startswith("x-ratelimit-")]


async def test_dropped_connection_is_provably_not_processed(sandbox: Sandbox) -> None:
    sandbox.faults.drop_connection(method="POST", path=REGISTRATIONS, times=1)
    async with client(sandbox) as http:
        with pytest.raises(httpx.ConnectError):
            await http.post(REGISTRATIONS, json=registration())
        assert sandbox.registrations() == []
        assert sandbox.cases() == []
        await register(http)
    assert len(sandbox.registrations()) == 1
    assert sandbox.request_log[0].status is None
    assert sandbox.request_log[0].fault == FaultKind.DROP_CONNECTION


async def test_drop_after_commit_writes_but_loses_the_answer(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        sandbox.faults.drop_after_commit(method="POST", path="/creditor--payments", times=1)
        body = payment(case_id, 100, creditor_payment_reference="PAY-LOST")
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/creditor--payments", json=body)
        found = await http.get(
            "/creditor--payments", params={"where": '{"creditor_payment_reference": "PAY-LOST"}'}
        )
        assert found.json()["_meta"]["total"] == 1
    assert sandbox.case(case_id)["total_remaining_capital_amount"] == 1900
    assert sandbox.faults.injected["drop_after_commit"] == 1


@pytest.mark.parametrize("status", [502, 504])
async def test_gateway_error_after_commit(sandbox: Sandbox, status: int) -> None:
    sandbox.faults.error_after_commit(status, method="POST", path=REGISTRATIONS, times=1)
    async with client(sandbox) as http:
        response = await http.post(REGISTRATIONS, json=registration())
    assert response.status_code == status
    assert len(sandbox.registrations()) == 1
    assert sandbox.request_log[-1].status == status


async def test_token_expires_early_until_refreshed(sandbox: Sandbox) -> None:
    token, _ = sandbox.issue_token(3600)
    sandbox.faults.expire_token(path="/cases")
    async with client(sandbox, key=token) as http:
        assert (await http.get("/cases")).status_code == 401
        assert (await http.get("/case--registrations")).status_code == 401
    fresh, _ = sandbox.issue_token(3600)
    async with client(sandbox, key=fresh) as http:
        assert (await http.get("/cases")).status_code == 200
    assert sandbox.faults.injected["expire_token"] == 1


async def test_static_key_gets_one_401_from_an_expire_token_fault(sandbox: Sandbox) -> None:
    sandbox.faults.expire_token()
    async with client(sandbox) as http:
        assert (await http.get("/cases")).status_code == 401
        assert (await http.get("/cases")).status_code == 200


async def test_rates_are_deterministic_with_the_seed() -> None:
    outcomes = []
    for _ in range(2):
        sandbox = Sandbox(seed=5)
        sandbox.faults.error(500, rate=0.3)
        async with client(sandbox) as http:
            outcomes.append([(await http.get("/cases")).status_code for _ in range(40)])
        assert sandbox.faults.injected["error"] == outcomes[-1].count(500)
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count(500) < 40


async def test_rules_apply_by_method_and_path(sandbox: Sandbox) -> None:
    sandbox.faults.error(503, method="POST", path="/creditor--payments")
    sandbox.faults.error(500, method="GET", path="/cases/*")
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        assert (await http.get("/cases")).status_code == 200
        assert (await http.get(f"/cases/{case_id}")).status_code == 500
        assert (await http.post("/creditor--payments", json=payment(case_id))).status_code == 503
        assert (await http.get("/_sandbox/clock")).status_code == 200
        assert (await http.get("/")).status_code == 200


async def test_fault_control_endpoints(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        added = await http.post(
            "/_sandbox/faults",
            json={"kind": "error", "status": 502, "path": "/cases", "times": 2},
        )
        assert added.status_code == 201
        rule = added.json()
        assert (rule["kind"], rule["status"], rule["times"], rule["injected"]) == (
            "error",
            502,
            2,
            0,
        )
        assert [(await http.get("/cases")).status_code for _ in range(3)] == [502, 502, 200]
        listed = (await http.get("/_sandbox/faults")).json()
        assert listed["rules"][0]["injected"] == 2
        assert listed["injected"]["error"] == 2
        assert (await http.delete(f"/_sandbox/faults/{rule['id']}")).status_code == 204
        assert (await http.delete(f"/_sandbox/faults/{rule['id']}")).status_code == 404
        for bad in (
            {"kind": "meteor"},
            {"kind": "error", "status": 404},
            {"rate": 2},
            {"kind": "latency"},
            {"kind": "error", "colour": "red"},
        ):
            response = await http.post("/_sandbox/faults", json=bad)
            assert response.status_code == 400, bad
        await http.post("/_sandbox/faults", json={"kind": "drop_connection"})
        assert (await http.delete("/_sandbox/faults")).status_code == 204
        assert sandbox.faults.rules == ()


def test_invalid_rules_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="rate"):
        sandbox.faults.error(rate=1.5)
    with pytest.raises(ValueError, match="502 or 504"):
        sandbox.faults.error_after_commit(500)
    with pytest.raises(ValueError, match="times"):
        sandbox.faults.drop_connection(times=0)
    with pytest.raises(ValueError, match="path"):
        sandbox.faults.error(path="cases")
