"""What the typed signatures promise holds at runtime.

A model built with an enum's string value, or with its list as a list, a
tuple or a generator, is the model built from the member and a tuple; a
value the types refuse is still refused by name at runtime. Each request
``TypedDict`` has exactly its model's fields, required where the model has
no default, and a typed body and a typed ``Where`` go through a client.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, get_type_hints

import attrs
import pytest

from amili_async import (
    Address,
    AddressDict,
    CreditorCaseConfig,
    CreditorCaseConfigDict,
    CreditorChangesDict,
    Customer,
    CustomerDict,
    Debt,
    DebtDict,
    FeesAlreadyClaimed,
    FeesAlreadyClaimedDict,
    FeesIncludedInCapital,
    FeesIncludedInCapitalDict,
    FirstAction,
    InvoiceCustomer,
    InvoiceCustomerDict,
    InvoiceRow,
    InvoiceRowDict,
    InvoiceType,
    NewCaseRegistration,
    NewCaseRegistrationDict,
    NewCreditor,
    NewCreditorCancellation,
    NewCreditorCancellationDict,
    NewCreditorCrediting,
    NewCreditorCreditingDict,
    NewCreditorDict,
    NewCreditorPayment,
    NewCreditorPaymentDict,
    NewInvoiceRegistration,
    NewInvoiceRegistrationDict,
    ReminderFee,
    ReminderFeeDict,
    RequestValidationError,
    Where,
)
from amili_async.models.creditor import CREATION_ONLY_CREDITOR_FIELDS
from amili_async.sandbox import SandboxFixture

WHEN = datetime(2025, 7, 7, tzinfo=UTC)
ADDRESS = Address(address_line_1="Storgatan 42", zip_code="12345", city="Stockholm")
CUSTOMER = Customer(name="ACME Inc.", id_number="5560269986", is_company=True, address=ADDRESS)
DEBT = Debt(
    invoice_number="INV-1",
    debt_description="Consulting",
    invoice_date=WHEN,
    capital_to_claim=Decimal("2000.00"),
    invoice_due_days_after_invoice_date=30,
)
ROW = InvoiceRow(
    article_description="Consulting",
    unit_price=Decimal(1000),
    total_price_excluding_vat=Decimal(1000),
    unit_vat_percent="25%",
)

PAIRS: list[tuple[type[Any], Any]] = [
    (Address, AddressDict),
    (Customer, CustomerDict),
    (Debt, DebtDict),
    (FeesIncludedInCapital, FeesIncludedInCapitalDict),
    (ReminderFee, ReminderFeeDict),
    (FeesAlreadyClaimed, FeesAlreadyClaimedDict),
    (NewCaseRegistration, NewCaseRegistrationDict),
    (InvoiceCustomer, InvoiceCustomerDict),
    (InvoiceRow, InvoiceRowDict),
    (NewInvoiceRegistration, NewInvoiceRegistrationDict),
    (NewCreditorPayment, NewCreditorPaymentDict),
    (NewCreditorCrediting, NewCreditorCreditingDict),
    (NewCreditorCancellation, NewCreditorCancellationDict),
    (NewCreditor, NewCreditorDict),
    (CreditorCaseConfig, CreditorCaseConfigDict),
]


def registration(**changes: Any) -> NewCaseRegistration:
    fields: dict[str, Any] = {
        "account": "a",
        "creditor": "c",
        "customer": CUSTOMER,
        "debts": [DEBT],
    }
    return NewCaseRegistration(**(fields | changes))


def invoice(**changes: Any) -> NewInvoiceRegistration:
    fields: dict[str, Any] = {
        "account": "a",
        "creditor": "c",
        "customer": InvoiceCustomer(
            name="Anna", address=ADDRESS, id_number="8112189876", is_person=True
        ),
        "invoice_number": "INV-2",
        "invoice_date": WHEN,
        "invoice_due_date": WHEN,
        "debt_description": "Consulting",
        "matrix": [ROW],
    }
    return NewInvoiceRegistration(**(fields | changes))


@pytest.mark.parametrize(("model", "shape"), PAIRS, ids=[model.__name__ for model, _ in PAIRS])
def test_each_typed_dict_has_its_models_fields_required_where_they_have_no_default(
    model: type[Any], shape: Any
) -> None:
    fields = attrs.fields(model)
    assert set(get_type_hints(shape)) == {field.name for field in fields}
    required = {field.name for field in fields if field.default is attrs.NOTHING}
    assert shape.__required_keys__ == required


def test_the_creditor_changes_are_the_creditors_fields_but_the_creation_only_ones() -> None:
    names = {field.name for field in attrs.fields(NewCreditor)}
    assert set(CreditorChangesDict.__optional_keys__) == names - CREATION_ONLY_CREDITOR_FIELDS
    assert CreditorChangesDict.__required_keys__ == frozenset()


def test_an_enum_field_takes_its_string_value_and_is_the_member_afterwards() -> None:
    assert registration(first_action="reminder") == registration(first_action=FirstAction.REMINDER)
    assert registration(first_action="reminder").first_action is FirstAction.REMINDER
    assert registration().first_action is FirstAction.DEBT_COLLECTION
    assert invoice(invoice_type="invoice").invoice_type is InvoiceType.INVOICE


@pytest.mark.parametrize("value", ["debt_colection", "", 5, None, ["reminder"]])
def test_an_enum_value_the_types_refuse_is_refused_by_name_at_runtime(value: Any) -> None:
    with pytest.raises(RequestValidationError) as error:
        registration(first_action=value)
    assert set(error.value.issues) == {"first_action"}
    with pytest.raises(RequestValidationError) as error:
        invoice(invoice_type=value)
    assert set(error.value.issues) == {"invoice_type"}


def test_a_list_field_takes_a_list_a_tuple_or_a_generator_and_is_a_tuple_afterwards() -> None:
    assert registration(debts=[DEBT]) == registration(debts=(DEBT,))
    assert registration(debts=(debt for debt in [DEBT])).debts == (DEBT,)
    assert invoice(matrix=[ROW]) == invoice(matrix=(ROW,))
    assert invoice(matrix=iter([ROW])).matrix == (ROW,)


@pytest.mark.parametrize("value", [5, "INV-1", {"0": "x"}, b"x", DEBT, ROW, None])
def test_a_list_field_given_something_else_is_refused_by_name(value: Any) -> None:
    with pytest.raises(RequestValidationError) as error:
        registration(debts=value)
    assert set(error.value.issues) == {"debts"}
    with pytest.raises(RequestValidationError) as error:
        invoice(matrix=value)
    assert set(error.value.issues) == {"matrix"}
    assert "must be a list" in error.value.issues["matrix"]


def test_an_origin_the_types_refuse_is_refused_at_runtime() -> None:
    with pytest.raises(RequestValidationError) as error:
        NewCreditorCancellation(creditor="c", case="x", origin="bank")  # type: ignore[arg-type]
    assert error.value.issues == {"origin": "must be 'creditor_system'"}


@pytest.mark.anyio
async def test_a_typed_body_registers_and_a_typed_where_finds_it(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox, client = amili_sandbox.sandbox, amili_sandbox.client
    debt: DebtDict = {
        "invoice_number": "EARLY-1",
        "debt_description": "Consulting",
        "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
        "capital_to_claim": "2000.00",
        "invoice_due_days_after_invoice_date": 30,
    }
    body: NewCaseRegistrationDict = {
        "account": sandbox.account_id,
        "creditor": sandbox.creditor_id,
        "first_action": "reminder",
        "customer": {
            "name": "ACME Inc.",
            "id_number": "5560269986",
            "is_company": True,
            "address": {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Sthlm"},
        },
        "debts": [debt],
    }
    early = await client.case_registrations.create(body)
    amili_sandbox.advance(days=2)
    since = sandbox.now - timedelta(hours=1)
    late = await client.case_registrations.create(
        {**body, "debts": [{**debt, "invoice_number": "LATE-1"}]}
    )
    recent: Where = {"creditor": sandbox.creditor_id, "_created": {"$gte": since}}
    found = [stored.id async for stored in client.case_registrations.list(where=recent)]
    assert found == [late.id]
    by_number: Where = {"debts.invoice_number": {"$in": ["EARLY-1", "NONE"]}}
    found = [stored.id async for stored in client.case_registrations.list(where=by_number)]
    assert found == [early.id]
    stored = await client.case_registrations.get(early.id)
    assert stored.first_action is FirstAction.REMINDER
