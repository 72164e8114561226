# pyright: strict
"""Caller code that MUST NOT type-check: each line marked ``# E: <mypy code>`` is an error.

``tests/test_typing.py`` runs the type checkers over it and expects errors on
exactly the marked lines (mypy: with exactly those error codes), and nowhere else.
Never imported or run.
"""

from __future__ import annotations

from decimal import Decimal

from models_ok import WHEN, address, customer, debt

from amili_async import (
    Debt,
    InvoiceCustomer,
    NewCaseRegistration,
    NewCreditorPayment,
    NewInvoiceRegistration,
)

Debt(
    invoice_number="INV-1",
    debt_description="Consulting",
    invoice_date="2025-07-07",  # E: arg-type
    capital_to_claim=2000.0,  # E: arg-type
    invoice_due_days_after_invoice_date=30,
)
NewCaseRegistration(
    account="a",
    creditor="c",
    customer=customer,
    debts=[debt],
    first_action="debt_colection",  # E: arg-type
)
NewCaseRegistration(account="a", creditor="c", customer=customer, debts=debt)  # E: arg-type
NewCaseRegistration(account="a", creditor="c", customer=customer, debts=["INV-1"])  # E: list-item
NewCaseRegistration(
    account="a",
    creditor="c",
    customer=customer,
    debts=[debt],
    currency=None,  # E: arg-type
)
NewInvoiceRegistration(
    account="a",
    creditor="c",
    customer=InvoiceCustomer(name="A", address=address, id_number="8112189876", is_person=True),
    invoice_number="INV-2",
    invoice_date=WHEN,
    invoice_due_date=WHEN,
    debt_description="Consulting",
    matrix=[debt],  # E: list-item
    invoice_type="credit_note",  # E: arg-type
)
NewCreditorPayment(
    account="a",
    creditor="c",
    case="case-1",
    amount=Decimal(1),
    bank_transaction_date=WHEN,
    origin="bank",  # E: arg-type
)
