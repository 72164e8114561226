"""Whatever the server sends, reading it gives the model or a typed error only.

Parsing alone gives the model or ResponseValidationError; through a client,
any status, headers and body give the model or an AmiliError.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASE_URL, example, example_bytes, paths, replaced

from amili_async import (
    AmiliClient,
    AmiliError,
    Case,
    CaseDebt,
    CaseRegistration,
    Closed,
    CreditorPayment,
    Limitation,
    ManualClock,
    MediaUpload,
    NextFlowItem,
    OriginalInvoice,
    RegisteredCustomer,
    RegisteredDebt,
    ResponseValidationError,
    RetryPolicy,
    ServiceEntry,
    StateChange,
    StatusChange,
    Transaction,
    UnprocessableEntityError,
)
from amili_async._pagination import parse_page
from amili_async._responses import decode_json, structure_response
from amili_async.errors import flatten_issues

PAYMENT = example("04-creditor-payment.request.json")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Every response model, with a documented example of its JSON (``{}`` for the parts).
MODELS: list[tuple[type[Any], Any]] = [
    (Case, example("05-case.closed.response.json")),
    (Case, example("03-case.debt_collection.response.json")),
    (
        CaseRegistration,
        example("01-case-registration.request.json")
        | example("01-case-registration.response.json"),
    ),
    (
        CreditorPayment,
        example("04-creditor-payment.request.json") | example("04-creditor-payment.response.json"),
    ),
    (MediaUpload, example("02-media-upload.response.json")),
    *[
        (part, {})
        for part in (
            CaseDebt,
            StateChange,
            StatusChange,
            ServiceEntry,
            Transaction,
            Closed,
            OriginalInvoice,
            NextFlowItem,
            Limitation,
            RegisteredCustomer,
            RegisteredDebt,
        )
    ],
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["Mon, 07 Jul 2025 00:00:00 GMT", "Mon, 99 Jul 2025 00:00:00 GMT", "closed"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def read(data: Any, model: type[Any]) -> None:
    try:
        result = structure_response(data, model)
    except ResponseValidationError:
        return
    assert isinstance(result, model)


@pytest.mark.parametrize(
    ("model", "document"), MODELS, ids=lambda value: getattr(value, "__name__", "")
)
@PROPERTY
@given(data=st.data())
def test_any_json_reads_as_the_model_or_a_response_validation_error(
    model: type[Any], document: Any, data: st.DataObject
) -> None:
    read(data.draw(json_values), model)
    places = paths(document)
    if places:
        place = data.draw(st.sampled_from(places))
        read(replaced(document, place, data.draw(json_values)), model)


@PROPERTY
@given(
    content=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v, default=str).encode())
)
def test_decode_json_gives_json_or_a_response_validation_error(content: bytes) -> None:
    shown = ""
    try:
        decode_json(content, status_code=200, method="GET", path="/cases")
    except ResponseValidationError as error:
        shown = error.body_start
    assert len(shown) <= 200


def _standard_json(content: bytes) -> Any:
    return json.loads(content.decode("utf-8-sig"), parse_float=Decimal, parse_constant=Decimal)


#: JSON text as servers write it: any value, with fractions and exponents, spaced or not.
json_text = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
).flatmap(
    lambda value: st.sampled_from([None, 1]).map(
        lambda indent: json.dumps(value, indent=indent, default=str, ensure_ascii=False)
    )
)


@PROPERTY
@given(content=json_text.map(str.encode) | st.binary(max_size=100))
def test_the_fast_json_reader_reads_exactly_what_the_standard_one_reads(content: bytes) -> None:
    try:
        expected: Any = _standard_json(content)
    except (ValueError, RecursionError):
        expected = ResponseValidationError
    try:
        got: Any = decode_json(content, status_code=200, method="GET", path="/cases")
    except ResponseValidationError:
        got = ResponseValidationError
    # repr: the same types, and each Decimal with the same digits and exponent, nested too.
    assert repr(got) == repr(expected)


@pytest.mark.parametrize(
    "content",
    [b"\xef\xbb\xbf{}", b'{"a": NaN}', b"-Infinity", b'"\\ud800"', b'{"a": 1.50}', b"[1e400]"],
)
def test_what_the_fast_reader_refuses_the_standard_one_still_reads(content: bytes) -> None:
    got = decode_json(content, status_code=200, method="GET", path="/cases")
    assert repr(got) == repr(_standard_json(content))


@PROPERTY
@given(
    data=json_values,
    items=st.lists(json_values, max_size=3),
    meta=json_values,
    links=json_values,
    number=st.integers(min_value=1, max_value=10),
)
def test_parse_page_gives_a_page_or_a_response_validation_error(
    data: Any, items: list[Any], meta: Any, links: Any, number: int
) -> None:
    case = example("03-case.debt_collection.response.json")
    for answer in (data, {"_items": [case, *items], "_meta": meta, "_links": links}):
        try:
            page = parse_page(answer, Case, number)
        except ResponseValidationError:
            continue
        assert page.max_results >= 1
        assert not (page.has_next and not page.items)


issues = st.recursive(
    st.text(max_size=20) | st.none() | st.integers() | st.decimals(allow_nan=True),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers().map(str), children, max_size=4)
    ),
    max_leaves=25,
)


@PROPERTY
@given(raw=issues, items=st.lists(st.fixed_dictionaries({"_issues": issues}), max_size=3))
def test_any_issues_shape_flattens_and_reads_as_sentences(raw: Any, items: list[Any]) -> None:
    flat = flatten_issues(raw)
    assert all(isinstance(key, str) for key in flat)
    assert all(messages and all(isinstance(m, str) for m in messages) for messages in flat.values())
    for nested, body in ((raw, None), (None, {"_items": items})):
        error = UnprocessableEntityError(
            "Insertion failure",
            status_code=422,
            method="POST",
            path="/case--registrations",
            issues=nested if isinstance(nested, dict) else None,
            body=body,
        )
        assert str(error).startswith("422 from POST /case--registrations: Insertion failure.")


def test_the_strategies_reach_documented_fields() -> None:
    # The property above replaces values at real places, e.g. an amount deep in a list.
    assert ("transactions", 2, "amount") in paths(example("05-case.closed.response.json"))


REPLY_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Content-Type",
            "Content-Encoding",
            "Retry-After",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Location",
        ]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
    | st.sampled_from(["gzip", "application/json", "-1", "1e308", "nan", "99999999999999"]),
    max_size=4,
)
REPLY_BODIES = (
    st.binary(max_size=200)
    | json_values.map(lambda value: json.dumps(value, default=str).encode())
    | st.sampled_from(
        [
            example_bytes("03-case.debt_collection.response.json"),
            example_bytes("04-creditor-payment.response.json"),
            b'{"_items": [], "_links": {"next": {"href": "cases?page=2"}}}',
            b'{"_status": "ERR", "_issues": {"amount": "must be positive"}}',
        ]
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([200, 201, 204, 301, 400, 401, 404, 409, 422, 429, 500, 502, 503])
    | st.integers(min_value=100, max_value=599),
    headers=REPLY_HEADERS,
    body=REPLY_BODIES,
)
def test_any_server_reply_gives_the_model_or_a_typed_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    """A read, a write (with its reconciling lookup) and a list, each on the same random reply."""

    async def main() -> None:
        with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
            router.route().mock(
                side_effect=lambda request: httpx.Response(status, headers=headers, content=body)
            )
            async with AmiliClient(
                api_key="sk_test_KEY", clock=ManualClock(), retry=RetryPolicy(max_attempts=2)
            ) as client:
                calls = (
                    (lambda: client.cases.get("68b7f49c7b02934caddab092"), Case),
                    (lambda: client.creditor_payments.create(PAYMENT), CreditorPayment),
                    (lambda: client.cases.list().collect(limit=3), list),
                )
                for call, expected in calls:
                    try:
                        result = await call()
                    except AmiliError as error:
                        result = error
                    assert isinstance(result, expected | AmiliError)
                    assert "sk_test_KEY" not in str(result)

    anyio.run(main)
