"""The documented requests, sent with plain httpx to the sandbox served on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_support import PDF, example, payment, registration, shape
from support import loopback_http

from amili_async import ManualClock
from amili_async.sandbox import Sandbox, SandboxServer

NEWER_PAYMENT_FIELDS = {"settled_amount", "status", "status_reason_locale"}
SYNC_CLIENT = "a sync httpx.Client checks the served sandbox itself; aiohttp has no sync client"


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, httpx.Client]]:
    """A sandbox served by uvicorn on a free loopback port, and a plain httpx client on it."""
    sandbox = Sandbox(clock=ManualClock(), seed=3)
    with SandboxServer(sandbox, port=0) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with httpx.Client(
            base_url=server.base_url, headers={"x-api-key": sandbox.api_key}, timeout=5
        ) as http:
            yield sandbox, http


@pytest.mark.network(httpx_only=SYNC_CLIENT)
def test_documented_flow_has_the_documented_shapes(served: tuple[Sandbox, httpx.Client]) -> None:
    sandbox, http = served
    assert http.get("/", headers={"x-api-key": ""}).status_code == 200

    created = http.post("/case--registrations", json=example("01-case-registration.request.json"))
    assert created.status_code == 201
    documented = example("01-case-registration.response.json")
    assert shape(created.json()) == shape(documented)
    assert list(created.json()) == list(documented)
    case_id = created.json()["_cases"][0]

    uploaded = http.post(
        f"/media--upload/{case_id}",
        data={"domain": "cases", "dotted_path": "original_invoice"},
        files={"file": ("original_invoice.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 201
    assert shape(uploaded.json()) == shape(example("02-media-upload.response.json"))
    fetched = httpx.get(uploaded.json()["url"])
    assert fetched.status_code == 200
    assert fetched.content == PDF
    assert fetched.headers["content-type"] == "application/pdf"

    # The example case was read at 09:10:17, after the collection letter went out.
    http.post("/_sandbox/clock/advance", json={"hours": 1, "seconds": 900}).raise_for_status()
    case = http.get(f"/cases/{case_id}")
    assert case.status_code == 200
    assert case.headers["etag"] == f'"{case.json()["_etag"]}"'
    assert shape(case.json()) == shape(example("03-case.debt_collection.response.json"))

    body = payment(case_id)
    assert body == {**example("04-creditor-payment.request.json"), "case": case_id}
    paid = http.post("/creditor--payments", json=body)
    assert paid.status_code == 201
    documented_payment = example("04-creditor-payment.response.json")
    assert set(paid.json()) == set(documented_payment) | NEWER_PAYMENT_FIELDS
    assert shape({k: paid.json()[k] for k in documented_payment}) == shape(documented_payment)
    assert paid.json()["_payment_status"] == "completed"

    closed = http.get(f"/cases/{case_id}")
    assert shape(closed.json()) == shape(example("05-case.closed.response.json"))
    assert closed.json()["closed"]["reason"] == "fully_paid_depreciation"
    assert [entry.path for entry in sandbox.request_log][:2] == ["/", "/case--registrations"]


@pytest.mark.network(httpx_only=SYNC_CLIENT)
def test_served_values_match_the_documented_case(served: tuple[Sandbox, httpx.Client]) -> None:
    _, http = served
    case_id = http.post("/case--registrations", json=registration()).json()["_cases"][0]
    http.post("/_sandbox/clock/advance", json={"hours": 2}).raise_for_status()
    case = http.get(f"/cases/{case_id}").json()
    documented = example("03-case.debt_collection.response.json")
    for key in (
        "debt",
        "creditor",
        "account",
        "agreement_version",
        "case_settings",
        "creditor_name",
        "currency",
        "customer_id_number",
        "customer_name",
        "debtor_name",
        "state",
        "status",
        "local_added_interest_amount",
        "total_remaining_transaction_amount",
        "customer_status",
    ):
        assert case[key] == documented[key], key
    assert [t["amount"] for t in case["transactions"]] == [2000, 14.0]
    assert [s["status"] for s in case["status_history"]] == [
        "initializing",
        "initialized",
        "debt_collection",
    ]


#: A dropped connection reads as a closed one, or, when the close races the read, a reset.
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.mark.network(httpx_only=SYNC_CLIENT)
def test_served_faults(served: tuple[Sandbox, httpx.Client]) -> None:
    sandbox, http = served
    sandbox.faults.drop_connection(method="POST", path="/case--registrations", times=1)
    with pytest.raises(DROPPED):
        http.post("/case--registrations", json=registration())
    assert sandbox.registrations() == []

    sandbox.faults.drop_after_commit(method="POST", path="/case--registrations", times=1)
    with pytest.raises(DROPPED):
        http.post("/case--registrations", json=registration())
    assert len(sandbox.registrations()) == 1

    sandbox.faults.error(503, retry_after=2, path="/cases", times=1)
    unavailable = http.get("/cases")
    assert unavailable.status_code == 503
    assert unavailable.headers["retry-after"] == "2"
    assert unavailable.json()["_error"]["code"] == 503
    assert http.get("/cases").status_code == 200

    sandbox.faults.latency(0.05, path="/cases", times=1)
    assert http.get("/cases").status_code == 200
    assert sandbox.faults.injected["latency"] == 1

    added = http.post("/_sandbox/faults", json={"kind": "rate_limit", "retry_after": 3, "times": 1})
    assert added.status_code == 201
    limited = http.get("/cases")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert http.delete("/_sandbox/faults").status_code == 204
    assert sandbox.faults.rules == ()


@pytest.mark.network
@pytest.mark.anyio
async def test_served_faults_reach_an_async_client_on_the_backend_under_test() -> None:
    """The same faults as above, carried by httpx or aiohttp (``AMILI_TEST_BACKEND``)."""
    sandbox = Sandbox(clock=ManualClock(), seed=3)
    with SandboxServer(sandbox, port=0) as server:
        headers = {"x-api-key": sandbox.api_key}
        async with loopback_http(base_url=server.base_url, headers=headers, timeout=5) as http:
            sandbox.faults.drop_connection(method="POST", path="/case--registrations", times=1)
            with pytest.raises(DROPPED):
                await http.post("/case--registrations", json=registration())
            assert sandbox.registrations() == []

            sandbox.faults.drop_after_commit(method="POST", path="/case--registrations", times=1)
            with pytest.raises(DROPPED):
                await http.post("/case--registrations", json=registration())
            assert len(sandbox.registrations()) == 1

            sandbox.faults.error(503, retry_after=2, path="/cases", times=1)
            unavailable = await http.get("/cases")
            assert (unavailable.status_code, unavailable.headers["retry-after"]) == (503, "2")
            sandbox.faults.rate_limit(retry_after=3, times=1)
            limited = await http.get("/cases")
            assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
            assert (await http.get("/cases")).status_code == 200
    injected = {kind: count for kind, count in sandbox.faults.injected.items() if count}
    assert injected == {"drop_connection": 1, "drop_after_commit": 1, "error": 1, "rate_limit": 1}


def test_serving_beyond_loopback_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(Sandbox(), host="0.0.0.0")
    SandboxServer(Sandbox(), host="0.0.0.0", allow_non_loopback=True)
