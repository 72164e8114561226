# pyright: strict
"""Caller code that MUST type-check (``mypy --strict``): the request models, as users build them.

Never imported or run: ``tests/test_typing.py`` hands it to the type checkers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import assert_type

from amili_async import (
    Address,
    Customer,
    Debt,
    FeesAlreadyClaimed,
    FeesIncludedInCapital,
    FirstAction,
    FirstActionValue,
    InvoiceCustomer,
    InvoiceRow,
    InvoiceType,
    NewCaseRegistration,
    NewCreditor,
    NewCreditorCancellation,
    NewCreditorCrediting,
    NewCreditorPayment,
    NewInvoiceRegistration,
    ReminderFee,
)

WHEN = datetime(2025, 7, 7, tzinfo=UTC)
address = Address(address_line_1="Storgatan 42", zip_code="12345", city="Stockholm")
customer = Customer(name="ACME Inc.", id_number="5560269986", is_company=True, address=address)
debt = Debt(
    invoice_number="INV-1",
    debt_description="Consulting",
    invoice_date=WHEN,
    capital_to_claim=Decimal("2000.00"),
    invoice_due_days_after_invoice_date=30,
    fees_included_in_capital_to_claim=FeesIncludedInCapital(invoice_fee=Decimal("60")),
    fees_already_claimed=FeesAlreadyClaimed(reminder=ReminderFee(Decimal("60"), WHEN)),
)

# `debts` takes a list, a tuple or any iterable of debts; it is a tuple afterwards.
in_a_list = NewCaseRegistration(account="a", creditor="c", customer=customer, debts=[debt])
in_a_tuple = NewCaseRegistration(account="a", creditor="c", customer=customer, debts=(debt,))
from_a_generator = NewCaseRegistration(
    account="a", creditor="c", customer=customer, debts=(d for d in [debt])
)
assert_type(in_a_list.debts, tuple[Debt, ...])

# An enum field takes the member or its string value; it is the enum afterwards.
reminder_first = NewCaseRegistration(
    account="a", creditor="c", customer=customer, debts=[debt], first_action="reminder"
)
collection_first = NewCaseRegistration(
    account="a",
    creditor="c",
    customer=customer,
    debts=[debt],
    first_action=FirstAction.DEBT_COLLECTION,
)
assert_type(reminder_first.first_action, FirstAction)


def registration_for(first_action: FirstActionValue) -> NewCaseRegistration:
    """A caller's own code passes the value along under its exported ``Literal`` type."""
    return NewCaseRegistration(
        account="a", creditor="c", customer=customer, debts=[debt], first_action=first_action
    )


row = InvoiceRow(
    article_description="Consulting",
    unit_price=Decimal("1000"),
    total_price_excluding_vat=Decimal("2000"),
    unit_vat_percent="25%",
    number_of_units=Decimal(2),
)
invoice_customer = InvoiceCustomer(
    name="Anna Andersson", address=address, id_number="8112189876", is_person=True
)
invoice = NewInvoiceRegistration(
    account="a",
    creditor="c",
    customer=invoice_customer,
    invoice_number="INV-2",
    invoice_date=WHEN,
    invoice_due_date=WHEN,
    debt_description="Consulting",
    matrix=[row],
    invoice_type="invoice",
)
invoice_from_tuple = NewInvoiceRegistration(
    account="a",
    creditor="c",
    customer=invoice_customer,
    invoice_number="INV-3",
    invoice_date=WHEN,
    invoice_due_date=WHEN,
    debt_description="Consulting",
    matrix=(row,),
    invoice_type=InvoiceType.INVOICE,
)
assert_type(invoice.matrix, tuple[InvoiceRow, ...])
assert_type(invoice.invoice_type, InvoiceType)

payment = NewCreditorPayment(
    account="a",
    creditor="c",
    case="case-1",
    amount=Decimal("100"),
    bank_transaction_date=WHEN,
    creditor_payment_reference="PAY-1",
    origin="creditor_system",
)
crediting = NewCreditorCrediting(
    account="a", creditor="c", invoice_number="INV-1", amount=Decimal("5"), creditor_reference="C"
)
cancellation = NewCreditorCancellation(creditor="c", case="case-1")
creditor = NewCreditor(
    account="a",
    name="Example AB",
    organization_no="5560269986",
    payout_details={"sek": {"bankgiro": "12312312"}},
)
assert_type(payment.origin, str)
