# pyright: strict
"""Caller code that MUST type-check (``mypy --strict``): mapping bodies and ``where`` filters.

Never imported or run: ``tests/test_typing.py`` hands it to the type checkers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from amili_async import (
    AmiliClient,
    DebtDict,
    FirstAction,
    NewCaseRegistration,
    NewCaseRegistrationDict,
    NewCreditorPaymentDict,
    Where,
)

WHEN = datetime(2025, 7, 7, tzinfo=UTC)


def registration(invoice_number: str, amount: Decimal) -> NewCaseRegistrationDict:
    """A body built by a helper: its return type checks every key and value."""
    return {
        "account": "a",
        "creditor": "c",
        "first_action": "debt_collection",
        "customer": {
            "name": "ACME Inc.",
            "id_number": "5560269986",
            "is_company": True,
            "address": {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Stockholm"},
        },
        "debts": [
            {
                "invoice_number": invoice_number,
                "debt_description": "Consulting",
                "invoice_date": WHEN,
                "capital_to_claim": amount,
                "invoice_due_days_after_invoice_date": 30,
            }
        ],
    }


async def write(client: AmiliClient, model: NewCaseRegistration) -> None:
    """Every write takes the model or its mapping form, written inline."""
    await client.case_registrations.create(model)
    await client.case_registrations.create(registration("INV-1", Decimal("2000.00")))
    await client.case_registrations.create(
        {
            "account": "a",
            "creditor": "c",
            "first_action": FirstAction.REMINDER,
            "currency": "SEK",
            "customer": {
                "name": "Anna Andersson",
                "id_number": "8112189876",
                "is_company": False,
                "address": {
                    "address_line_1": "Storgatan 42",
                    "zip_code": "12345",
                    "city": "Stockholm",
                    "country": "SE",
                },
                "email": None,
            },
            "debts": (
                {
                    "invoice_number": "INV-2",
                    "debt_description": "Consulting",
                    "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",  # RFC 1123 text
                    "capital_to_claim": "1250.50",  # an amount's text
                    "invoice_due_days_after_invoice_date": 30,
                    "fees_included_in_capital_to_claim": {"invoice_fee": 60},
                    "fees_already_claimed": {
                        "reminder": {
                            "amount": Decimal(60),
                            "fee_registration_date": date(2025, 7, 1),
                        }
                    },
                },
            ),
        }
    )
    found, _ = await client.case_registrations.create_or_find(registration("I", Decimal(1)))
    await client.case_registrations.find(registration("INV-1", Decimal(1)))
    payment: NewCreditorPaymentDict = {
        "account": "a",
        "creditor": "c",
        "case": found.cases[0],
        "amount": Decimal("2000.00"),
        "bank_transaction_date": WHEN,
        "creditor_payment_reference": "PAY-1",
    }
    await client.creditor_payments.create(payment)
    await client.creditor_creditings.create(
        {"account": "a", "creditor": "c", "case": "x", "amount": 5, "creditor_reference": "C-1"}
    )
    await client.creditor_cancellations.create(
        {"creditor": "c", "invoice_number": "INV-1", "origin": "creditor_system"}
    )
    await client.invoice_registrations.create(
        {
            "account": "a",
            "creditor": "c",
            "customer": {
                "name": "Anna Andersson",
                "address": {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Sthlm"},
                "id_number": "8112189876",
                "is_person": True,
            },
            "invoice_number": "INV-9",
            "invoice_date": WHEN,
            "invoice_due_date": WHEN,
            "debt_description": "Consulting",
            "matrix": [
                {
                    "article_description": "Consulting",
                    "unit_price": Decimal("1000"),
                    "total_price_excluding_vat": Decimal("1000"),
                    "unit_vat_percent": "25%",
                }
            ],
            "invoice_type": "invoice",
        }
    )
    creditor = await client.creditors.create(
        {"account": "a", "name": "Example AB", "organization_no": "5560269986"}
    )
    await client.creditors.update(creditor, {"is_active": True, "case_config": {"vat_area": "se"}})


def rows(data: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows read from a file: untyped mappings, as bulk jobs take them."""
    return data


async def bulk(client: AmiliClient, data: Iterator[dict[str, Any]]) -> None:
    """``create_many`` also takes untyped rows: each bad one becomes a failed outcome."""
    async with client.case_registrations.create_many(rows(data)) as outcomes:
        async for outcome in outcomes:
            print(outcome.status)
    mixed = [registration("INV-1", Decimal(1)), {"account": "a"}]
    async with client.case_registrations.create_many(mixed) as outcomes:
        async for outcome in outcomes:
            print(outcome.status)


async def read(client: AmiliClient, loose: Mapping[str, Any]) -> None:
    """``where``: annotated as ``Where`` it is checked; any mapping or JSON text also goes."""
    recent: Where = {
        "status": "debt_collection",
        "creditor": {"$in": ["c1", "c2"]},
        "debt.invoice_number": "INV-1",
        "_created": {
            "$gte": datetime(2025, 7, 1, tzinfo=UTC),
            "$lt": "Fri, 01 Aug 2025 00:00:00 GMT",
        },
        "$or": [{"state": "reminder"}, {"state": {"$ne": "closed"}}],
    }
    async for case in client.cases.list(where=recent, sort="-_created"):
        print(case.id)
    async for case in client.cases.list(where={"status": "closed"}):
        print(case.id)
    async for case in client.cases.list(where=loose):
        print(case.id)
    async for case in client.cases.list(where='{"status": "closed"}'):
        print(case.id)
    debt: DebtDict = {
        "invoice_number": "INV-1",
        "debt_description": "Consulting",
        "invoice_date": WHEN,
        "capital_to_claim": Decimal(1),
        "invoice_due_days_after_invoice_date": 30,
    }
    print(debt)
