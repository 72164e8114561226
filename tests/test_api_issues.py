"""422: Eve's nested ``_issues`` read as flat dotted keys, one sentence per field."""

from __future__ import annotations

import pytest
import respx
from support import example

from amili_async import AmiliClient, APIStatusError, BadRequestError, UnprocessableEntityError
from amili_async.errors import flatten_issues

pytestmark = pytest.mark.anyio

INSERTION_FAILURE = "Insertion failure: 1 document(s) contain(s) error(s)"


def test_eve_shapes_flatten_to_the_keys_local_validation_uses() -> None:
    nested = {
        "amount": "min value is 0",
        "debtor": {"email": "required field"},
        "code": ["min length is 5", "value does not match regex '^[A-Z]+$'"],
        "tags": {"1": "min value is 1", "2": "must be of integer type"},
        "debts": {"0": {"invoice_number": ["max length is 20", "must be of string type"]}},
        "customer": ["must be of dict type", {"name": "required field"}],
        "customer.address.city": "required field",
    }
    assert flatten_issues(nested) == {
        "amount": ("min value is 0",),
        "debtor.email": ("required field",),
        "code": ("min length is 5", "value does not match regex '^[A-Z]+$'"),
        "tags.1": ("min value is 1",),
        "tags.2": ("must be of integer type",),
        "debts.0.invoice_number": ("max length is 20", "must be of string type"),
        "customer": ("must be of dict type",),
        "customer.name": ("required field",),
        "customer.address.city": ("required field",),
    }


def test_odd_values_flatten_without_error() -> None:
    assert flatten_issues(None) == {}
    assert flatten_issues("'a' is not a document, must be a dict") == {
        "": ("'a' is not a document, must be a dict",)
    }
    assert flatten_issues({"n": 3, "x": None, "e": [], "d": {}}) == {"n": ("3",)}
    deep: object = "too deep"
    for _ in range(5_000):
        deep = {"a": deep}
    assert flatten_issues(deep) == {".".join(["a"] * 5_000): ("too deep",)}


async def test_a_nested_422_reads_as_one_sentence_per_field(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.post("/case--registrations").respond(
        422,
        json={
            "_status": "ERR",
            "_issues": {
                "debts": {"0": {"invoice_number": ["max length is 20", "must be of string type"]}}
            },
            "_error": {"code": 422, "message": INSERTION_FAILURE},
        },
    )
    with pytest.raises(UnprocessableEntityError) as caught:
        await respx_client.case_registrations.create(example("01-case-registration.request.json"))
    error = caught.value
    assert error.issues == {
        "debts.0.invoice_number": ("max length is 20", "must be of string type")
    }
    assert str(error) == (
        f"422 from POST /case--registrations: {INSERTION_FAILURE}. "
        "debts.0.invoice_number: max length is 20; must be of string type."
    )


def test_a_patch_422_without_an_error_message() -> None:
    error = UnprocessableEntityError(
        "Unprocessable Entity",
        status_code=422,
        method="PATCH",
        path="/cases/x",
        issues={"amount": "min value is 0", "ref": "value 'r1' is not unique."},
        body={"_status": "ERR", "_issues": {"amount": "min value is 0"}},
    )
    assert str(error) == (
        "422 from PATCH /cases/x: Unprocessable Entity. amount: min value is 0. "
        "ref: value 'r1' is not unique."
    )


def test_a_list_post_422_names_each_failed_item_by_its_index() -> None:
    body = {
        "_status": "ERR",
        "_items": [
            {"_status": "OK"},
            {
                "_status": "ERR",
                "_issues": {"amount": "min value is 0", "debtor": {"email": "required field"}},
            },
        ],
        "_error": {"code": 422, "message": INSERTION_FAILURE},
    }
    error = UnprocessableEntityError(
        INSERTION_FAILURE, status_code=422, method="POST", path="/case--registrations", body=body
    )
    assert error.issues == {"1.amount": ("min value is 0",), "1.debtor.email": ("required field",)}
    assert "1.debtor.email: required field." in str(error)


def test_other_statuses_keep_their_issues_as_sent() -> None:
    error = BadRequestError(
        "bad", status_code=400, method="GET", path="/cases", issues={"where": {"a": "b"}}
    )
    assert error.issues == {"where": {"a": "b"}}
    assert isinstance(error, APIStatusError)
