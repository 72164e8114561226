# pyright: strict
"""Caller code that MUST NOT type-check: each line marked ``# E: <mypy code>`` is an error.

``tests/test_typing.py`` runs the type checkers over it and expects errors on
exactly the marked lines (mypy: with exactly those error codes), and nowhere else.
Never imported or run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from amili_async import (
    AddressDict,
    AmiliClient,
    CustomerDict,
    DebtDict,
    NewCaseRegistrationDict,
    NewCreditorPaymentDict,
    Where,
)

WHEN = datetime(2025, 7, 7, tzinfo=UTC)
ADDRESS: AddressDict = {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Sthlm"}
CUSTOMER: CustomerDict = {"name": "A", "id_number": "1", "is_company": False, "address": ADDRESS}
GOOD: NewCaseRegistrationDict = {"account": "a", "creditor": "c", "customer": CUSTOMER, "debts": []}
PAYMENT: NewCreditorPaymentDict = {
    "account": "a",
    "creditor": "c",
    "amount": "12.50",
    "bank_transaction_date": "Mon, 07 Jul 2025 00:00:00 GMT",
}


async def write(client: AmiliClient) -> None:
    """A bad mapping written inline fails as a whole, where the mapping starts."""
    await client.case_registrations.create(
        {  # E: arg-type
            "acount": "a",
            "creditor": "c",
            "customer": {"name": "A", "id_number": "1", "is_company": False, "address": ADDRESS},
            "debts": 5,
        }
    )
    await client.case_registrations.create({**GOOD, "first_action": "letter"})  # E: arg-type
    await client.creditor_payments.create({**PAYMENT, "amount": 12.5})  # E: arg-type
    await client.creditors.update("creditor-id", {"partner": "p"})  # E: typeddict-unknown-key
    untyped: dict[str, object] = {"creditor": "c", "case": "x"}
    await client.creditor_cancellations.create(untyped)  # E: arg-type


# Annotated, a mapping is checked key by key (one statement a line: mypy and
# pyright name the same line).
typo: NewCaseRegistrationDict = {**GOOD, "acount": "a"}  # E: typeddict-unknown-key
not_a_list: NewCaseRegistrationDict = {**GOOD, "debts": 5}  # E: typeddict-item
action: NewCaseRegistrationDict = {**GOOD, "first_action": "debt_colection"}  # E: typeddict-item
not_a_bool: CustomerDict = {**CUSTOMER, "is_company": "no"}  # E: typeddict-item
missing: NewCaseRegistrationDict = {"account": "a", "creditor": "c"}  # E: typeddict-item
misspelt_debt: DebtDict = {"invoice_numbr": "1"}  # E: typeddict-item typeddict-unknown-key
float_amount: NewCreditorPaymentDict = {**PAYMENT, "amount": 12.5}  # E: typeddict-item
int_date: NewCreditorPaymentDict = {**PAYMENT, "client_registration_date": 5}  # E: typeddict-item
other_origin: NewCreditorPaymentDict = {**PAYMENT, "origin": "bank"}  # E: typeddict-item
misspelt_filter: Where = {"stauts": "closed"}  # E: typeddict-unknown-key
not_a_date: Where = {"_created": {"$gte": 5}}  # E: typeddict-item
blocked_operator: Where = {"creditor": {"$regex": "^A"}}  # E: typeddict-item
