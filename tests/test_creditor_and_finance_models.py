"""The new request and response models: creditors, customers, accounts, finance (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_response_properties import json_values, paths, read, replaced

from amili_async import (
    Account,
    ConflictError,
    Creditor,
    CustomerRecord,
    FinanceArticle,
    FinanceCategory,
    FinancePayout,
    FinancePayoutSpecification,
    NewCreditor,
    RequestValidationError,
)
from amili_async._serde import converter
from amili_async.models._base import parse_request
from amili_async.models.creditor import (
    CREATION_ONLY_CREDITOR_FIELDS,
    READ_ONLY_CREDITOR_FIELDS,
    creditor_changes,
)

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ADDRESS = {"address_line_1": "Sveavägen 1", "zip_code": "111 57", "city": "Stockholm"}
CREDITOR = {
    "_id": "674dbeb208847b9501cc9138",
    "_etag": "7b074c6f2e95447ca16ecea01a3cc307",
    "_created": "Mon, 07 Jul 2025 00:00:00 GMT",
    "account": "674dbeaf08847b9501cc9132",
    "name": "Amili Integration Team",
    "organization_no": "5560269986",
    "is_active": True,
    "standard_debt_description": "Unpaid invoice",
    "agreement_address": ADDRESS,
    "case_config": {
        "vat_area": "sweden",
        "commission_excluded_vat": False,
        "payout_capital_by_invoice": True,
        "payout_interest_by_invoice": False,
        "letter_config": {},
    },
    "default_letter_locale": "sv",
    "payout_details": {"sek": {"bankgiro": "12312312"}},
    "sender_address": ADDRESS,
    "invoice_address": ADDRESS,
    "always_use_standard_debt_description": False,
    "added_to_erp_system": False,
    "creditor_number": 2000037,
}
SPECIFICATION = {
    "_id": "507f1f77bcf86cd799439011",
    "_created": "Wed, 11 Jun 2025 14:00:18 GMT",
    "creditor": "686e6ed854377058c2dd10bd",
    "creditor_name": "Example Creditor AB",
    "currency": "SEK",
    "amount": 60.0,
    "vat_amount": 15.0,
    "total_amount": 75.0,
    "article": "reminder",
    "state": "reminder",
    "booking_date": "Wed, 11 Jun 2025 00:00:00 GMT",
    "finance_category": "creditor_commission",
    "invoice_number": "INV-2025-020",
    "reference_number": "25020",
    "payout_reference": "Creditor Commission",
    "payout_date": "Fri, 13 Jun 2025 00:00:00 GMT",
    "payout": "507f1f77bcf86cd799439099",
}
MODELS: list[tuple[type[Any], dict[str, Any]]] = [
    (Creditor, CREDITOR),
    (FinancePayoutSpecification, SPECIFICATION),
    (
        FinancePayout,
        {**SPECIFICATION, "payout_status": "pending", "_id": "507f1f77bcf86cd799439099"},
    ),
    (
        CustomerRecord,
        {"_id": "cust_1", "name": "ACME AB", "id_number": "5560269986", "is_person": False},
    ),
    (Account, {"_id": "674dbeaf08847b9501cc9132", "agreement_address": ADDRESS}),
]


def test_the_documented_examples_read() -> None:
    creditor = converter.structure(CREDITOR, Creditor)
    assert creditor.case_config is not None
    assert creditor.case_config.payout_capital_by_invoice is True
    line = converter.structure(SPECIFICATION, FinancePayoutSpecification)
    assert (line.finance_category, line.article) == (
        FinanceCategory.CREDITOR_COMMISSION,
        FinanceArticle.REMINDER,
    )
    unknown = converter.structure({**SPECIFICATION, "finance_category": "bonus"}, FinancePayout)
    assert unknown.finance_category == "bonus"
    assert not unknown.finance_category.is_known()


@pytest.mark.parametrize(("model", "document"), MODELS, ids=lambda v: getattr(v, "__name__", ""))
@PROPERTY
@given(data=st.data())
def test_any_json_reads_as_the_model_or_a_response_validation_error(
    model: type[Any], document: dict[str, Any], data: st.DataObject
) -> None:
    read(data.draw(json_values), model)
    place = data.draw(st.sampled_from(paths(document)))
    read(replaced(document, place, data.draw(json_values)), model)


def test_only_the_id_is_required() -> None:
    for model, _ in MODELS:
        assert converter.structure({"_id": "x"}, model).id == "x"


# --- NewCreditor and creditor_changes ----------------------------------------------------------

texts = st.text(min_size=1, max_size=20).filter(str.strip)
addresses = st.fixed_dictionaries(
    {"address_line_1": texts, "zip_code": texts, "city": texts},
    optional={"country": st.sampled_from(["SE", "NO", "DK"])},
)
payout_details = st.dictionaries(
    st.sampled_from(["sek", "eur"]),
    st.dictionaries(st.sampled_from(["bankgiro", "plusgiro"]), texts, min_size=1),
    min_size=1,
)
new_creditors = st.fixed_dictionaries(
    {"account": texts, "name": texts},
    optional={
        "organization_no": st.sampled_from(["5560269986", "556026-9986"]),
        "description": texts,
        "default_letter_locale": st.sampled_from(["sv", "en"]),
        "agreement_address": addresses,
        "case_config": st.fixed_dictionaries(
            {}, optional={"vat_area": texts, "commission_excluded_vat": st.booleans()}
        ),
        "payout_details": payout_details,
    },
)


@PROPERTY
@given(body=new_creditors)
def test_valid_new_creditors_round_trip(body: dict[str, Any]) -> None:
    model = parse_request(NewCreditor, body)
    sent = converter.unstructure(model)
    assert parse_request(NewCreditor, sent) == model
    assert sent["is_active"] is False
    assert set(sent) - {"is_active"} == set(body) | ({"case_config"} & set(body))


REFUSED: dict[str, tuple[Any, ...]] = {
    "name": (None, "", "  ", 5, []),
    "account": (None, "", 5, {}),
    "payout_details": ("", 5, [], {}, {"sek": {}}, {"": {"x": "1"}}, {"sek": {"bankgiro": 1}}),
    "organization_no": ("5560269987", "12", 5),
}


@PROPERTY
@given(body=new_creditors, data=st.data())
def test_bad_fields_of_new_creditors_are_named(body: dict[str, Any], data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(REFUSED)))
    value = data.draw(st.sampled_from(REFUSED[field]))
    with pytest.raises(RequestValidationError) as refused:
        parse_request(NewCreditor, {**body, field: value})
    assert any(key.split(".")[0] == field for key in refused.value.issues)


@PROPERTY
@given(body=new_creditors, missing=st.sampled_from(["sender_address", "payout_details"]))
def test_an_active_creditor_needs_what_activation_needs(body: dict[str, Any], missing: str) -> None:
    full = {
        **body,
        "is_active": True,
        "standard_debt_description": "Services",
        "sender_address": ADDRESS,
        "invoice_address": ADDRESS,
        "payout_details": {"sek": {"bankgiro": "1"}},
    }
    assert parse_request(NewCreditor, full).is_active is True
    with pytest.raises(RequestValidationError) as refused:
        parse_request(NewCreditor, {**full, missing: None})
    assert missing in refused.value.issues


@PROPERTY
@given(
    changes=st.dictionaries(
        st.sampled_from(
            sorted({"name", "is_active", "sender_address", "nickname", "case_config"})
            + sorted(READ_ONLY_CREDITOR_FIELDS | CREATION_ONLY_CREDITOR_FIELDS)
        ),
        json_values,
        max_size=4,
    )
)
def test_creditor_changes_are_a_body_or_a_typed_error(changes: dict[str, Any]) -> None:
    locked = set(changes) & (READ_ONLY_CREDITOR_FIELDS | CREATION_ONLY_CREDITOR_FIELDS)
    body: dict[str, Any] | None = None
    issues: dict[str, str] = {}
    try:
        body = creditor_changes(changes)
    except RequestValidationError as error:
        issues = error.issues
    if body is None:
        assert locked <= set(issues)
        assert issues
    else:
        assert not locked
        assert set(body) == set(changes)


def test_conflict_errors_say_what_to_do() -> None:
    def conflict(status: int) -> str:
        return str(ConflictError("m", status_code=status, method="PATCH", path="/creditors/x"))

    assert "changed since it was read" in conflict(412)
    assert "ETag is missing" in conflict(428)
    assert conflict(409) == "409 from PATCH /creditors/x: m"
