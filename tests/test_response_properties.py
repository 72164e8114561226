"""Whatever the server sends, reading it gives the model or ResponseValidationError only."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import example

from amili_async import (
    Case,
    CaseDebt,
    CaseRegistration,
    Closed,
    CreditorPayment,
    Limitation,
    MediaUpload,
    NextFlowItem,
    OriginalInvoice,
    RegisteredCustomer,
    RegisteredDebt,
    ResponseValidationError,
    ServiceEntry,
    StateChange,
    StatusChange,
    Transaction,
    UnprocessableEntityError,
)
from amili_async._pagination import parse_page
from amili_async._responses import decode_json, structure_response
from amili_async.errors import flatten_issues

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


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: each key of each object, each index of each list."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


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
