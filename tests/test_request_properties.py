"""Whatever a caller hands the SDK, it builds the request or raises RequestValidationError.

Hypothesis hunts over every request model (from mappings and built
directly), the media upload's arguments, ids and the list parameters, with
the values careless or hostile input brings: lone surrogates, control
characters, huge and tiny numbers, NaN, dates at the ends of time, naive
datetimes, thousands-deep nesting and wrong types. Two properties hold:

* only the model (or the request) or a :class:`RequestValidationError` naming
  fields comes out, never another exception;
* what is accepted can be sent (it encodes, small, and parses back the same),
  and what is refused is never sent (a respx route stays uncalled).
"""

from __future__ import annotations

import copy
import io
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASE_URL, example, example_bytes, paths

from amili_async import (
    Address,
    AmiliClient,
    Customer,
    Debt,
    FeesAlreadyClaimed,
    FeesIncludedInCapital,
    ManualClock,
    NewCaseRegistration,
    NewCreditorPayment,
    ReminderFee,
    RequestValidationError,
    RetryPolicy,
)
from amili_async._pagination import list_params
from amili_async._serde import converter, dumps, loads
from amili_async._validation import MAX_QUERY_LENGTH
from amili_async.models._base import parse_request
from amili_async.services._base import check_id

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLIENT_PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# -- values careless or hostile input brings ----------------------------------------------

surrogates = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
texts = (
    st.text(max_size=12)
    | st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), surrogates, st.text(max_size=4))
    | st.sampled_from(["", " ", "\r\n", "a\x00b", "..", "x" * 5000, "SEK", "SE", "reminder"])
)
numbers = (
    st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        [
            10**4000,  # as large as Hypothesis can still print
            10**300,
            2**63,
            Decimal("1E-1000030"),
            Decimal("1E+999999"),
            Decimal("sNaN"),
            Decimal("-0"),
            Decimal("0.001"),
            Decimal("999999999999.99"),
            1e308,
            "1E+999999",
            "12.50",
        ]
    )
)
offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
moments = (
    st.datetimes(timezones=st.none() | st.just(UTC) | offsets)
    | st.dates()
    | st.sampled_from(
        [
            "Mon, 07 Jul 2025 00:00:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            "Mon, 99 Jul 2025 00:00:00 GMT",
            "2025-07-07T00:00:00Z",
        ]
    )
)


def deep(depth: int, in_list: bool) -> Any:
    """A value nested ``depth`` deep, built without recursion."""
    value: Any = 1
    for _ in range(depth):
        value = [value] if in_list else {"a": value}
    return value


deep_values = st.builds(deep, st.integers(min_value=30, max_value=1500), st.booleans())
scalars = st.none() | st.booleans() | texts | numbers | moments
values = (
    st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3)
        ),
        max_leaves=10,
    )
    | deep_values
    | st.builds(object)
)

# -- every request model, with a valid document of it ---------------------------------------

REGISTRATION = example("01-case-registration.request.json")
DEBT = REGISTRATION["debts"][0] | {
    "fees_included_in_capital_to_claim": {"invoice_fee": 50.0},
    "fees_already_claimed": {
        "reminder": {"amount": 60.0, "fee_registration_date": "Mon, 11 Aug 2025 00:00:00 GMT"}
    },
}
PAYMENT = example("04-creditor-payment.request.json") | {
    "client_registration_date": "Wed, 03 Sep 2025 09:00:00 GMT"
}
MODELS: list[tuple[type[Any], dict[str, Any]]] = [
    (NewCaseRegistration, REGISTRATION | {"debts": [DEBT]}),
    (Customer, REGISTRATION["customer"] | {"mobile_number": "+46709876543", "email": "a@b.se"}),
    (Address, REGISTRATION["customer"]["address"]),
    (Debt, DEBT),
    (FeesIncludedInCapital, DEBT["fees_included_in_capital_to_claim"]),
    (FeesAlreadyClaimed, DEBT["fees_already_claimed"]),
    (ReminderFee, DEBT["fees_already_claimed"]["reminder"]),
    (NewCreditorPayment, PAYMENT),
]
MODEL_IDS = [model.__name__ for model, _ in MODELS]


def _change(body: Any, place: tuple[Any, ...], value: Any, *, delete: bool) -> None:
    """Set (or delete) the value at ``place`` in ``body``, if the place still exists."""
    parent = body
    for step in place[:-1]:
        if not isinstance(parent, dict | list):
            return
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(parent, dict) and delete:
        parent.pop(place[-1], None)
    elif isinstance(parent, dict) or (
        isinstance(parent, list) and isinstance(place[-1], int) and place[-1] < len(parent)
    ):
        parent[place[-1]] = value


@st.composite
def bodies(draw: st.DrawFn, document: dict[str, Any]) -> Any:
    """``document`` with a few places replaced, removed or added, or something else entirely."""
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        return draw(values)
    body = copy.deepcopy(document)
    places = paths(document)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "add":
            body[draw(texts)] = draw(values)
        else:
            place = draw(st.sampled_from(places))
            _change(body, place, draw(values), delete=action == "delete")
    return body


def refused_by_name(error: RequestValidationError, data: Any) -> None:
    """A refusal names fields (when there are any to name) with readable reasons."""
    assert error.issues
    assert all(isinstance(reason, str) and reason for reason in error.issues.values())
    if isinstance(data, dict):
        assert all(field for field in error.issues), error.issues


def sendable(model: Any) -> bytes:
    """The body the SDK would send for ``model``: it encodes, it is small, and it reads back."""
    body = dumps(converter.unstructure(model))
    assert len(body) < 64_000
    assert dumps(converter.unstructure(parse_request(type(model), loads(body)))) == body
    return body


@pytest.mark.parametrize(("model", "document"), MODELS, ids=MODEL_IDS)
@PROPERTY
@given(data=st.data())
def test_any_mapping_gives_a_sendable_model_or_names_the_fields(
    model: type[Any], document: dict[str, Any], data: st.DataObject
) -> None:
    body = data.draw(bodies(document))
    try:
        built = parse_request(model, body)
    except RequestValidationError as error:
        refused_by_name(error, body)
    else:
        sendable(built)


@pytest.mark.parametrize(("model", "document"), MODELS, ids=MODEL_IDS)
@PROPERTY
@given(data=st.data())
def test_any_arguments_build_a_sendable_model_or_name_the_fields(
    model: type[Any], document: dict[str, Any], data: st.DataObject
) -> None:
    valid = attrs.asdict(parse_request(model, document), recurse=False)
    changes = data.draw(st.dictionaries(st.sampled_from(sorted(valid)), values, max_size=3))
    try:
        built = model(**(valid | changes))
    except RequestValidationError as error:
        refused_by_name(error, {})
    else:
        sendable(built)


def test_the_documents_are_valid_and_the_mutations_reach_deep_places() -> None:
    for model, document in MODELS:
        sendable(parse_request(model, document))
    assert (
        "debts",
        0,
        "fees_already_claimed",
        "reminder",
        "fee_registration_date",
    ) in paths(MODELS[0][1])


# -- through a client: what is refused is never sent ----------------------------------------


def run_with_routes(
    use: Callable[[AmiliClient, respx.MockRouter], Awaitable[None]],
) -> None:
    """Run ``use`` against a client whose every request lands on respx routes."""

    async def main() -> None:
        with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
            async with AmiliClient(
                api_key="sk_test_KEY", clock=ManualClock(), retry=RetryPolicy.none()
            ) as client:
                await use(client, router)

    anyio.run(main)


@CLIENT_PROPERTY
@given(
    registration=bodies(MODELS[0][1]),
    payment=bodies(PAYMENT),
)
def test_a_client_sends_a_write_only_when_its_body_is_valid(
    registration: Any, payment: Any
) -> None:
    async def use(client: AmiliClient, router: respx.MockRouter) -> None:
        registrations = router.post("/case--registrations").respond(
            201, content=example_bytes("01-case-registration.response.json")
        )
        payments = router.post("/creditor--payments").respond(
            201, content=example_bytes("04-creditor-payment.response.json")
        )
        for create, body, route in (
            (client.case_registrations.create, registration, registrations),
            (client.creditor_payments.create, payment, payments),
        ):
            try:
                await create(body)
            except RequestValidationError as error:
                refused_by_name(error, body)
                assert not route.called
            else:
                assert route.call_count == 1
                loads(route.calls.last.request.content)

    run_with_routes(use)


files = (
    st.binary(max_size=40)
    | st.sampled_from([b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\nrest", b"GIF89a", b"BM"])
    | st.builds(io.BytesIO, st.binary(max_size=40))
    | st.builds(io.StringIO, st.text(max_size=10))
    | st.sampled_from(["path", "text-mode", "closed", "missing", "directory"])
    | values
)


def _open(kind: Any, folder: Path, content: bytes) -> Any:
    """Turn a named kind of file into the thing itself (other values pass unchanged)."""
    target = folder / "invoice.pdf"
    target.write_bytes(content)
    if kind == "path":
        return target
    if kind == "text-mode":
        return target.open("r", encoding="latin-1")
    if kind == "closed":
        handle = target.open("rb")
        handle.close()
        return handle
    if kind == "missing":
        return folder / "missing.pdf"
    if kind == "directory":
        return folder
    return kind


@CLIENT_PROPERTY
@given(
    reference_id=st.just("68b7f49c7b02934caddab092") | texts,
    file=files,
    content=st.binary(max_size=20),
    filename=st.none() | texts | st.sampled_from(["a.pdf", "a.txt", "a.exe", "a"]),
    content_type=st.none()
    | texts
    | st.sampled_from(["application/pdf", "image/PNG", "text/html", "image/png\r\nX: y"]),
    domain=st.just("cases") | texts | values,
    dotted_path=st.just("original_invoice") | texts,
)
def test_media_upload_sends_only_what_it_accepts(
    reference_id: str,
    file: Any,
    content: bytes,
    filename: Any,
    content_type: Any,
    domain: Any,
    dotted_path: Any,
) -> None:
    async def use(client: AmiliClient, router: respx.MockRouter) -> None:
        route = router.route().respond(201, content=example_bytes("02-media-upload.response.json"))
        with tempfile.TemporaryDirectory() as folder:
            given_file = _open(file, Path(folder), content)
            try:
                await client.media.upload(
                    reference_id,
                    given_file,
                    filename=filename,
                    content_type=content_type,
                    domain=domain,
                    dotted_path=dotted_path,
                )
            except RequestValidationError as error:
                refused_by_name(error, {})
                assert not route.called
            else:
                assert route.call_count == 1
                sent = route.calls.last.request
                assert sent.url.path == f"/media--upload/{reference_id}"
            finally:
                if hasattr(given_file, "close"):
                    given_file.close()

    run_with_routes(use)


@PROPERTY
@given(resource_id=texts | values)
def test_an_accepted_id_never_changes_the_endpoint(resource_id: Any) -> None:
    try:
        check_id(resource_id)
    except RequestValidationError as error:
        refused = error
    else:
        url = httpx.URL(f"{BASE_URL}/cases/{resource_id}")
        assert url.path == f"/cases/{resource_id}"
        assert not url.query
        assert not url.fragment
        return
    assert set(refused.issues) == {"id"}


query_values = values | st.dictionaries(texts, values, max_size=3)


@PROPERTY
@given(
    where=st.none() | query_values | texts.map(lambda text: '{"a": "' + text + '"}'),
    sort=st.none() | texts | values,
    max_results=st.none() | st.integers() | values,
    projection=st.none() | st.dictionaries(texts, st.sampled_from([0, 1, 2, True]) | values),
)
def test_list_parameters_are_sendable_or_refused_by_name(
    where: Any, sort: Any, max_results: Any, projection: Any
) -> None:
    try:
        params = list_params(where=where, sort=sort, max_results=max_results, projection=projection)
    except RequestValidationError as error:
        refused = error
    else:
        refused = None
    if refused is not None:
        named = {key.split(".")[0] for key in refused.issues}
        assert named <= {"where", "sort", "max_results", "projection"}
        return
    for value in params.values():
        assert len(value.encode()) <= MAX_QUERY_LENGTH * 4
    httpx.Request("GET", f"{BASE_URL}/cases", params=params)


@CLIENT_PROPERTY
@given(where=st.none() | query_values, sort=st.none() | texts)
def test_a_list_is_fetched_only_with_valid_parameters(where: Any, sort: Any) -> None:
    async def use(client: AmiliClient, router: respx.MockRouter) -> None:
        route = router.get("/cases").respond(200, json={"_items": []})
        try:
            pager = client.cases.list(where=where, sort=sort)
        except RequestValidationError:
            assert not route.called
        else:
            assert await pager.collect() == []
            assert route.call_count == 1

    run_with_routes(use)
