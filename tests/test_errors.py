"""Every error status becomes its own typed exception with the API's message and issues."""

from __future__ import annotations

import httpx
import pytest
import respx

from amili_async import (
    AmiliClient,
    AmiliError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    UnprocessableEntityError,
)

pytestmark = pytest.mark.anyio

CASE = "/cases/68b7f49c7b02934caddab092"


def eve_error(code: int, message: str, **extra: object) -> dict[str, object]:
    return {"_status": "ERR", "_error": {"code": code, "message": message}, **extra}


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (412, ConflictError),
        (428, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, APIStatusError),
    ],
)
async def test_status_classes(
    api: respx.MockRouter, clock: object, status: int, error_class: type[APIStatusError]
) -> None:
    api.get(CASE).respond(status, json=eve_error(status, f"message for {status}"))
    client = AmiliClient(api_key="sk_test_SECRET", retry=RetryPolicy.none())
    with pytest.raises(error_class) as caught:
        await client.cases.get("68b7f49c7b02934caddab092")
    error = caught.value
    assert isinstance(error, AmiliError)
    assert error.status_code == status
    assert error.message == f"message for {status}"
    assert error.method == "GET"
    assert error.path == CASE
    assert "sk_test_SECRET" not in str(error)
    assert f"{status} from GET {CASE}" in str(error)


async def test_validation_error_carries_the_apis_issues(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    issues = {"debts.0.capital_to_claim": "must be positive", "customer.name": "required field"}
    api.post("/case--registrations").respond(
        422,
        json=eve_error(422, "Insertion failure: 1 document(s) contain(s) error(s)", _issues=issues),
    )
    from support import example

    with pytest.raises(UnprocessableEntityError) as caught:
        await respx_client.case_registrations.create(example("01-case-registration.request.json"))
    assert caught.value.issues == {field: (reason,) for field, reason in issues.items()}
    assert "debts.0.capital_to_claim: must be positive." in str(caught.value)


async def test_documented_401_shape(api: respx.MockRouter, respx_client: AmiliClient) -> None:
    api.get(CASE).respond(401, json=eve_error(401, "Please provide proper credentials"))
    with pytest.raises(AuthenticationError, match="Please provide proper credentials"):
        await respx_client.cases.get("68b7f49c7b02934caddab092")


async def test_non_json_error_body_still_gives_a_typed_error(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(CASE).respond(404, text="<html>not here</html>")
    with pytest.raises(NotFoundError) as caught:
        await respx_client.cases.get("68b7f49c7b02934caddab092")
    assert caught.value.message == "Not Found"


async def test_rate_limit_error_carries_retry_after(api: respx.MockRouter) -> None:
    api.get(CASE).respond(429, headers={"Retry-After": "7"}, json=eve_error(429, "slow down"))
    client = AmiliClient(api_key="k", retry=RetryPolicy.none())
    with pytest.raises(RateLimitError) as caught:
        await client.cases.get("68b7f49c7b02934caddab092")
    assert caught.value.retry_after == 7.0


async def test_connection_errors_are_typed(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    from amili_async import ConnectError, RequestTimeoutError

    api.get(CASE).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectError, match="could not connect"):
        await respx_client.cases.get("68b7f49c7b02934caddab092")
    api.get(CASE).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RequestTimeoutError, match="no answer in time"):
        await respx_client.cases.get("68b7f49c7b02934caddab092")
