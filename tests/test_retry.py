"""Retries: what is retried, how long it waits, and writes that are never blindly re-sent."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx
from support import example, example_bytes

from amili_async import (
    AmiliClient,
    ConfigurationError,
    ConnectError,
    ManualClock,
    OutcomeUnknownError,
    RetryPolicy,
    ServerError,
)

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
OK_CASE = httpx.Response(200, content=example_bytes("03-case.debt_collection.response.json"))


def payment(reference: str | None = "PAY-REF-001") -> dict[str, Any]:
    body = example("04-creditor-payment.request.json")
    if reference is None:
        del body["creditor_payment_reference"]
    else:
        body["creditor_payment_reference"] = reference
    return body


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_reads_are_retried_on_transient_statuses(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock, status: int
) -> None:
    route = api.get(CASE).mock(
        side_effect=[httpx.Response(status), httpx.Response(status), OK_CASE]
    )
    case = await respx_client.cases.get(CASE_ID)
    assert case.id == CASE_ID
    assert route.call_count == 3
    assert len(clock.slept) == 2


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ReadError("reset")]
)
async def test_reads_are_retried_on_connection_errors(
    api: respx.MockRouter, respx_client: AmiliClient, failure: Exception
) -> None:
    route = api.get(CASE).mock(side_effect=[failure, OK_CASE])
    await respx_client.cases.get(CASE_ID)
    assert route.call_count == 2


async def test_backoff_is_exponential_with_full_jitter_and_capped(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    policy = RetryPolicy(max_attempts=6, initial_backoff=1.0, max_backoff=3.0)
    client = AmiliClient(api_key="k", clock=clock, retry=policy, seed=7)
    route = api.get(CASE).respond(500)
    with pytest.raises(ServerError):
        await client.cases.get(CASE_ID)
    assert route.call_count == 6
    ceilings = [1.0, 2.0, 3.0, 3.0, 3.0]
    assert len(clock.slept) == 5
    for waited, ceiling in zip(clock.slept, ceilings, strict=True):
        assert 0.0 <= waited <= ceiling
    assert len(set(clock.slept)) > 1, "full jitter draws a different wait each time"


async def test_no_jitter_gives_the_exact_exponential_sequence(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    policy = RetryPolicy(max_attempts=5, initial_backoff=0.25, max_backoff=1.0, jitter=False)
    client = AmiliClient(api_key="k", clock=clock, retry=policy)
    api.get(CASE).respond(503)
    with pytest.raises(ServerError):
        await client.cases.get(CASE_ID)
    assert clock.slept == [0.25, 0.5, 1.0, 1.0]


async def test_non_retryable_status_is_not_retried(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.get(CASE).respond(404)
    with pytest.raises(Exception, match="404"):
        await respx_client.cases.get(CASE_ID)
    assert route.call_count == 1


async def test_retry_after_seconds_is_honoured(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    api.get(CASE).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "12"}), OK_CASE])
    await respx_client.cases.get(CASE_ID)
    assert clock.slept == [12.0]


async def test_retry_after_http_date_is_honoured(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=30), usegmt=True)
    api.get(CASE).mock(side_effect=[httpx.Response(503, headers={"Retry-After": when}), OK_CASE])
    await respx_client.cases.get(CASE_ID)
    assert clock.slept == [30.0]


async def test_retry_after_is_capped(api: respx.MockRouter, clock: ManualClock) -> None:
    client = AmiliClient(api_key="k", clock=clock, retry=RetryPolicy(max_retry_after=5.0))
    api.get(CASE).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3600"}), OK_CASE])
    await client.cases.get(CASE_ID)
    assert clock.slept == [5.0]


async def test_retry_after_in_the_past_or_unreadable(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    past = format_datetime(clock.now() - timedelta(seconds=9), usegmt=True)
    api.get(CASE).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": past}),
            httpx.Response(503, headers={"Retry-After": "soon"}),
            OK_CASE,
        ]
    )
    await respx_client.cases.get(CASE_ID)
    # A date already past: no wait (no sleep at all); unreadable: the usual backoff
    # (2nd retry, at most 1 s).
    assert len(clock.slept) == 1
    assert 0.0 < clock.slept[0] <= 1.0


async def test_post_is_retried_when_provably_not_processed(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/creditor--payments").mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(503, headers={"Retry-After": "1"}),
            httpx.Response(201, content=example_bytes("04-creditor-payment.response.json")),
        ]
    )
    created = await respx_client.creditor_payments.create(payment())
    assert created.id == "68b82422d6fd1d378f18d2e9"
    assert route.call_count == 4


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("sent, no answer"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(500),
    ],
)
async def test_post_with_unknown_outcome_is_never_blindly_resent(
    api: respx.MockRouter, respx_client: AmiliClient, failure: Any
) -> None:
    route = api.post("/creditor--payments").mock(side_effect=[failure])
    with pytest.raises(OutcomeUnknownError) as caught:
        await respx_client.creditor_payments.create(payment(reference=None))
    assert route.call_count == 1
    assert caught.value.request_body["amount"] == 2000
    assert caught.value.path == "/creditor--payments"
    assert "not sent again" in str(caught.value)


async def test_lost_payment_answer_is_reconciled_by_reference(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    post = api.post("/creditor--payments").mock(side_effect=[httpx.ReadTimeout("lost")])
    stored = {
        "_id": "68b82422d6fd1d378f18d2e9",
        "_payment_status": "completed",
        "creditor_payment_reference": "PAY-REF-001",
        "amount": 2000.0,
    }
    lookup = api.get("/creditor--payments").respond(
        200, json={"_items": [stored], "_meta": {"total": 1, "page": 1, "max_results": 50}}
    )
    created = await respx_client.creditor_payments.create(payment())
    assert created.id == "68b82422d6fd1d378f18d2e9"
    assert post.call_count == 1
    where = lookup.calls.last.request.url.params["where"]
    assert '"creditor_payment_reference":"PAY-REF-001"' in where


async def test_lost_registration_answer_is_resent_only_after_lookup_says_absent(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    post = api.post("/case--registrations").mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(201, content=example_bytes("01-case-registration.response.json")),
        ]
    )
    empty = {"_items": [], "_meta": {"total": 0, "page": 1, "max_results": 50}}
    lookup = api.get("/case--registrations").respond(200, json=empty)
    registration, found = await respx_client.case_registrations.create_or_find(
        example("01-case-registration.request.json")
    )
    assert not found
    assert registration.cases == (CASE_ID,)
    assert post.call_count == 2
    assert lookup.call_count == 1
    assert (
        '"debts.invoice_number":{"$in":["INV-2025-003"]}'
        in lookup.calls.last.request.url.params["where"]
    )


async def test_lookup_failure_raises_outcome_unknown(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.post("/case--registrations").mock(side_effect=[httpx.ReadError("reset")])
    api.get("/case--registrations").respond(404)
    with pytest.raises(OutcomeUnknownError, match="looking it up failed"):
        await respx_client.case_registrations.create(example("01-case-registration.request.json"))


async def test_connect_error_on_write_exhausts_attempts(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    client = AmiliClient(api_key="k", clock=clock, retry=RetryPolicy(max_attempts=3))
    route = api.post("/creditor--payments").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectError):
        await client.creditor_payments.create(payment())
    assert route.call_count == 3


def test_retry_settings_that_cannot_work_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigurationError, match="initial_backoff"):
        RetryPolicy(initial_backoff=-1)
