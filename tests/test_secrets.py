"""No key or token in any log line, error or repr; identity numbers masked."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
import respx
from support import example, example_bytes

from amili_async import (
    AccessToken,
    AmiliClient,
    Case,
    ManualClock,
    NewCaseRegistration,
    NotFoundError,
    OutcomeUnknownError,
    RefreshingTokenProvider,
    RequestValidationError,
    RetryPolicy,
    StaticKey,
)
from amili_async._serde import converter, loads
from amili_async.models._base import parse_request

pytestmark = pytest.mark.anyio

KEY = "sk_live_TOPSECRET_0123456789"
TOKEN = "tok_REFRESHED_SECRET_987"
PERSONAL_NUMBER = "198112189876"


async def test_logs_errors_and_reprs_never_show_secrets(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    case_path = "/cases/68b7f49c7b02934caddab092"
    api.get(case_path).mock(
        side_effect=[
            httpx.Response(401),
            httpx.Response(503),
            httpx.Response(200, content=example_bytes("03-case.debt_collection.response.json")),
            httpx.Response(404, json={"_error": {"code": 404, "message": "nope"}}),
        ]
    )
    api.post("/case--registrations").mock(side_effect=[httpx.ReadTimeout("lost")])
    api.get("/case--registrations").respond(500)

    issued: list[str] = []

    async def fetch_token() -> AccessToken:
        issued.append(f"{TOKEN}{len(issued)}")
        return AccessToken(issued[-1], clock.now() + timedelta(hours=1))

    provider = RefreshingTokenProvider(fetch_token, clock=clock)
    await provider.get_token()
    client = AmiliClient(token_provider=provider, clock=clock, retry=RetryPolicy(max_attempts=2))
    texts: list[str] = [repr(client), repr(provider), repr(StaticKey(KEY))]
    with caplog.at_level(logging.DEBUG, logger="amili_async"):
        case = await client.cases.get("68b7f49c7b02934caddab092")
        texts.append(repr(case))
        with pytest.raises(NotFoundError) as not_found:
            await client.cases.get("68b7f49c7b02934caddab092")
        texts.append(str(not_found.value))
        body = example("01-case-registration.request.json")
        body["customer"]["id_number"] = PERSONAL_NUMBER
        body["customer"]["is_company"] = False
        with pytest.raises(OutcomeUnknownError) as unknown:
            await client.case_registrations.create(body)
        texts.append(str(unknown.value))
    texts.extend(record.getMessage() for record in caplog.records)
    assert any("GET /cases/68b7f49c7b02934caddab092 -> 200" in text for text in texts)
    everything = "\n".join(texts)
    assert len(issued) == 2
    for secret in (KEY, TOKEN, PERSONAL_NUMBER, "5560269986"):
        assert secret not in everything


def test_identity_numbers_are_masked_in_model_reprs() -> None:
    body = example("01-case-registration.request.json")
    body["customer"]["id_number"] = PERSONAL_NUMBER
    body["customer"]["is_company"] = False
    registration = parse_request(NewCaseRegistration, body)
    assert PERSONAL_NUMBER not in repr(registration)
    assert "19811218****" in repr(registration)
    case = converter.structure(loads(example_bytes("03-case.debt_collection.response.json")), Case)
    assert "5560269986" not in repr(case)
    assert case.customer_id_number == "5560269986", "the value itself is intact"


def test_validation_errors_do_not_echo_identity_numbers() -> None:
    body = example("01-case-registration.request.json")
    body["customer"]["id_number"] = "198112189875"
    body["customer"]["is_company"] = False
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, body)
    assert "198112189875" not in str(caught.value)
