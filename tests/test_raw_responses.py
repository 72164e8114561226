"""Escape hatches: raw responses, the generic request, and the answer's headers on errors."""

from __future__ import annotations

import gzip
import json
import pickle
import traceback
from decimal import Decimal

import httpx
import pytest
import respx
from support import example, example_bytes

from amili_async import (
    AmiliClient,
    Case,
    CaseRegistration,
    ManualClock,
    MediaUpload,
    NotFoundError,
    OutcomeUnknownError,
    Page,
    RawResponse,
    RequestValidationError,
    RetryPolicy,
    ServerError,
)
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")
KEY = "sk_test_SECRET_KEY_123"


def page_of(*items: bytes, total: int | None = None) -> bytes:
    """An Eve list answer holding ``items``."""
    loaded = [json.loads(item) for item in items]
    meta = {"page": 1, "max_results": 25, "total": len(loaded) if total is None else total}
    return json.dumps({"_items": loaded, "_meta": meta, "_links": {}}).encode()


async def test_raw_get_has_the_answer_and_the_typed_case(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(f"/cases/{CASE_ID}").respond(
        200, content=CASE_JSON, headers={"X-RateLimit-Remaining": "99", "ETag": '"abc"'}
    )

    raw = await respx_client.cases.with_raw_response.get(CASE_ID)

    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["X-RateLimit-Remaining"] == "99"
    assert raw.headers["etag"] == '"abc"'
    case = raw.parse()
    assert isinstance(case, Case)
    assert case.id == CASE_ID
    assert raw.http_response is not None
    assert raw.http_response.json()["_id"] == CASE_ID
    assert raw.content == CASE_JSON
    assert raw.reconciled is False
    assert repr(raw) == f"<RawResponse [200] GET /cases/{CASE_ID}>"


async def test_a_raw_response_never_holds_the_key(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.get(f"/cases/{CASE_ID}").respond(200, content=CASE_JSON)

    raw = await respx_client.cases.with_raw_response.get(CASE_ID)

    assert raw.http_response is not None
    sent = raw.http_response.request
    assert sent.headers["X-API-Key"] == "***", "the kept request's key is masked"
    assert sent.url == f"https://api-sandbox.amili.se/cases/{CASE_ID}"
    for text in (repr(raw), str(raw), repr(raw.http_response), repr(sent.headers)):
        assert KEY not in text
    assert KEY not in pickle.dumps(raw.headers).decode("latin-1")
    assert route.call_count == 1


async def test_a_compressed_body_read_in_chunks_is_readable_from_the_raw_response(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(f"/cases/{CASE_ID}").respond(
        200, content=gzip.compress(CASE_JSON), headers={"Content-Encoding": "gzip"}
    )

    raw = await respx_client.cases.with_raw_response.get(CASE_ID)

    assert raw.content == CASE_JSON
    assert raw.parse().id == CASE_ID


async def test_raw_list_gives_one_page_and_its_answer(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.get("/cases").respond(
        200, content=page_of(CASE_JSON, total=30), headers={"X-Total": "30"}
    )

    raw = await respx_client.cases.with_raw_response.list(page=2, where={"closed": False})

    page = raw.parse()
    assert isinstance(page, Page)
    assert [case.id for case in page.items] == [CASE_ID]
    assert page.total == 30
    assert raw.headers["X-Total"] == "30"
    assert route.calls.last.request.url.params["page"] == "2"
    assert route.calls.last.request.url.params["where"] == '{"closed":false}'
    with pytest.raises(RequestValidationError, match="page"):
        await respx_client.cases.with_raw_response.list(page=0)


async def test_raw_create_with_a_lost_answer_is_reconciled_and_says_so(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    request = example("01-case-registration.request.json")
    stored = json.dumps({**request, **example("01-case-registration.response.json")}).encode()
    post = api.post("/case--registrations").mock(side_effect=httpx.ReadError("reset"))
    api.get("/case--registrations").respond(200, content=page_of(stored))

    raw = await respx_client.case_registrations.with_raw_response.create(request)

    assert post.call_count == 1, "never sent twice"
    assert raw.reconciled is True
    assert raw.status_code is None
    assert raw.http_response is None
    assert len(raw.headers) == 0
    registration = raw.parse()
    assert isinstance(registration, CaseRegistration)
    assert registration.id == "68b7f49cb8903ae30ebb85ec"
    assert "no answer, reconciled" in repr(raw)


async def test_raw_update_keeps_the_patch_answer_not_the_lookup(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    creditor_id = "5f0c3f2a9d1e8b0012345678"
    answer = {"_id": creditor_id, "_etag": "new", "_status": "OK"}
    api.patch(f"/creditors/{creditor_id}").respond(200, json=answer, headers={"ETag": '"new"'})

    raw = await respx_client.creditors.with_raw_response.update(
        creditor_id, {"name": "ACME AB"}, etag="old"
    )

    assert (raw.status_code, raw.headers["ETag"], raw.parse().etag) == (200, '"new"', "new")
    assert raw.method == "PATCH"


async def test_raw_delete_answers_204_and_parses_to_none(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    creditor_id = "5f0c3f2a9d1e8b0012345678"
    api.delete(f"/creditors/{creditor_id}").respond(204)

    raw = await respx_client.creditors.with_raw_response.delete(creditor_id, etag="e1")

    assert raw.status_code == 204
    assert raw.parse() is None


async def test_bulk_methods_and_find_have_no_raw_form(respx_client: AmiliClient) -> None:
    raw = respx_client.case_registrations.with_raw_response
    for name in ("create_many", "find", "no_such_method"):
        with pytest.raises(AttributeError, match="one request"):
            getattr(raw, name)
    with pytest.raises(AttributeError, match="get"):
        _ = respx_client.media.with_raw_response.get
    assert repr(raw) == "<CaseRegistrations.with_raw_response>"


async def test_raw_calls_on_the_sandbox_from_registration_to_upload() -> None:
    sandbox = Sandbox()
    async with AmiliClient(
        api_key=sandbox.api_key, transport=sandbox.transport(), clock=sandbox.clock
    ) as client:
        created = await client.case_registrations.with_raw_response.create(
            example("01-case-registration.request.json")
        )
        assert created.status_code == 201
        case_id = created.parse().cases[0]
        upload = await client.media.with_raw_response.upload(case_id, b"%PDF-1.4\n%%EOF\n")
        assert upload.status_code in (200, 201)
        assert isinstance(upload.parse(), MediaUpload)
        read = await client.cases.with_raw_response.get(case_id, projection={"status": 1})
        assert read.parse().id == case_id
        assert read.headers["Content-Type"].startswith("application/json")


# The generic request


async def test_request_goes_through_the_pipeline_with_retries_and_decimals(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    route = api.get("/finance--payouts").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json={"_items": [{"amount": 12.5}], "_meta": {"total": 1}}),
        ]
    )

    data = await respx_client.request("get", "/finance--payouts", params={"max_results": 5})

    assert data["_items"][0]["amount"] == Decimal("12.5")
    assert route.call_count == 2, "a GET is retried"
    sent = route.calls.last.request
    assert sent.headers["X-API-Key"] == KEY
    assert sent.headers["Accept"] == "application/json"
    assert sent.url.params["max_results"] == "5"


async def test_request_sends_json_and_extra_headers_and_gives_none_for_204(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.put("/something/else").respond(204)

    data = await respx_client.request(
        "PUT", "/something/else", json={"amount": Decimal("1.10")}, headers={"If-Match": '"e"'}
    )

    assert data is None
    assert route.calls.last.request.content == b'{"amount":1.10}'
    assert route.calls.last.request.headers["If-Match"] == '"e"'


async def test_request_never_resends_a_write_whose_answer_was_lost(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/custom--things").mock(side_effect=httpx.ReadError("reset"))

    with pytest.raises(OutcomeUnknownError):
        await respx_client.request("POST", "/custom--things", json={"a": 1})
    assert route.call_count == 1

    route.mock(side_effect=[httpx.ReadError("reset"), httpx.Response(201, json={"ok": True})])
    assert await respx_client.request(
        "POST", "/custom--things", json={"a": 1}, replay_safe=True
    ) == {"ok": True}


async def test_request_raw_form_and_expected_status(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get("/status").respond(202, json={"state": "queued"}, headers={"Location": "/q/1"})

    raw = await respx_client.with_raw_response.request("GET", "/status", expected_status=202)
    assert (raw.status_code, raw.headers["Location"], raw.parse()) == (
        202,
        "/q/1",
        {"state": "queued"},
    )
    assert repr(respx_client.with_raw_response) == "<AmiliClient.with_raw_response>"

    with pytest.raises(Exception, match="202"):
        await respx_client.request("GET", "/status", expected_status=(200,))


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("https://evil.example/cases", "path"),
        ("//evil.example/cases", "path"),
        ("cases", "path"),
        ("/cases/../accounts", "path"),
        ("/cases/%2e%2e/accounts", "path"),
        ("/cases/%2F..%2Faccounts", "path"),
        ("/cases//x", "path"),
        ("/cases?where={}", "path"),
        ("/cases#x", "path"),
        ("/ca ses", "path"),
        ("/cases\\x", "path"),
        ("/cases/\n", "path"),
        (b"/cases", "path"),
    ],
)
async def test_request_refuses_a_path_that_is_not_one_relative_path(
    respx_client: AmiliClient, path: object, field: str
) -> None:
    with pytest.raises(RequestValidationError) as refused:
        await respx_client.request("GET", path)  # type: ignore[arg-type]
    assert field in refused.value.issues


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "TRACE"}, "method"),
        ({"params": {"where": {"a": 1}}}, "params.where"),
        ({"params": {"flag": True}}, "params.flag"),
        ({"json": {"a": object()}}, "json"),
        ({"expected_status": 700}, "expected_status"),
        ({"expected_status": ()}, "expected_status"),
        ({"headers": {"x-api-key": "other"}}, "headers.x-api-key"),
        ({"headers": {"X-Note": "a\r\nb"}}, "headers.X-Note"),
        ({"replay_safe": "yes"}, "replay_safe"),
    ],
)
async def test_request_refuses_bad_input_before_sending(
    api: respx.MockRouter, respx_client: AmiliClient, kwargs: dict[str, object], field: str
) -> None:
    route = api.route().respond(200, json={})
    arguments: dict[str, object] = {"method": "GET", "path": "/cases", **kwargs}
    with pytest.raises(RequestValidationError) as refused:
        await respx_client.request(**arguments)  # type: ignore[arg-type]
    assert field in refused.value.issues
    assert route.call_count == 0


# Errors carry the answer's headers


async def test_status_errors_carry_the_answers_headers_and_no_request_header(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(f"/cases/{CASE_ID}").respond(
        404, json={"_error": {"message": "nope"}}, headers={"X-Request-Id": "r-1"}
    )

    with pytest.raises(NotFoundError) as caught:
        await respx_client.cases.get(CASE_ID)

    headers = caught.value.headers
    assert isinstance(headers, httpx.Headers)
    assert headers["X-Request-Id"] == "r-1"
    assert "X-API-Key" not in headers
    assert "User-Agent" not in headers
    rendered = "".join(traceback.format_exception(caught.value)) + repr(headers)
    assert KEY not in rendered


async def test_a_retried_server_error_carries_the_last_answers_headers(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    api.get(f"/cases/{CASE_ID}").respond(503, headers={"X-Served-By": "node-7"})
    client = AmiliClient(api_key=KEY, clock=clock, retry=RetryPolicy(max_attempts=2))

    with pytest.raises(ServerError) as caught:
        await client.cases.get(CASE_ID)

    assert caught.value.headers["X-Served-By"] == "node-7"
    await client.aclose()
