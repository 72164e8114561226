"""The documents ``/accounts`` and ``/creditors`` answer with, and how they are seeded.

Simulated: Amili documents the fields (the account and creditor examples of
its docs) but not what a fresh account or creditor holds, so the seeded values
below are the docs' examples; the first creditor number is the docs'
``2000037``, and each new creditor takes the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ._collections import Documents
from ._errors import ApiError
from ._ids import is_object_id
from ._lifecycle import stamp

__all__ = [
    "DEFAULT_AGREEMENT_TEMPLATE",
    "FIRST_CREDITOR_NUMBER",
    "INACTIVE_CREDITOR_ID",
    "INACTIVE_CREDITOR_NAME",
    "AccountDocuments",
    "account_document",
    "creditor_document",
]

#: The seeded inactive creditor of the default account (simulated).
INACTIVE_CREDITOR_ID = "674dbeb208847b9501cc9139"
INACTIVE_CREDITOR_NAME = "Sandbox Inactive Creditor AB"
#: The agreement template of the docs' account example.
DEFAULT_AGREEMENT_TEMPLATE = "665d9246f611f5df88245746"
#: The docs' example creditor number; later creditors count on from it (simulated).
FIRST_CREDITOR_NUMBER = 2000037

_ADDRESS = {
    "address_line_1": "Sveavägen 1",
    "zip_code": "111 57",
    "city": "Stockholm",
    "country": "SE",
}


class AccountDocuments(Documents):
    """``/accounts``: each account is its own owner (it has no ``account`` field)."""

    def documents(self, account_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The account itself (or every account when none is named)."""
        for doc in self.stored():
            if account_id is None or doc["_id"] == account_id:
                yield doc

    def owned(self, account_id: str, item_id: str) -> dict[str, Any]:
        """The caller's own account, or a 404 (unknown) / 403 (another's) ``ApiError``."""
        doc = self.stored_by_id(item_id) if is_object_id(item_id) else None
        if doc is None:
            raise ApiError(404)
        if doc["_id"] != account_id:
            raise ApiError(403)
        return doc


def account_document(account_id: str, name: str, now: datetime) -> dict[str, Any]:
    """A seeded account, shaped like the docs' example (simulated values)."""
    doc: dict[str, Any] = {
        "_id": account_id,
        "name": name,
        "description": "Sandbox account",
        "organization_no": "5560269986",
        "standard_debt_description": "Unpaid invoice",
        "agreement_template": DEFAULT_AGREEMENT_TEMPLATE,
        "agreement_address": dict(_ADDRESS),
        "access_group_template": "65a961d89cbd399b9a0c7693",
        "case_settings": {"interest_rate": {"reference_rate": True}},
        "_created": now,
    }
    stamp(doc, now, algorithm="md5")
    return doc


def creditor_document(
    creditor_id: str,
    account_id: str,
    name: str,
    *,
    number: int,
    active: bool,
    now: datetime,
) -> dict[str, Any]:
    """A seeded creditor like the docs' example; an inactive one lacks what activation needs."""
    doc: dict[str, Any] = {
        "_id": creditor_id,
        "account": account_id,
        "name": name,
        "organization_no": "5560269986",
        "is_active": active,
        "description": f"{name} (sandbox)",
        "agreement_template": DEFAULT_AGREEMENT_TEMPLATE,
        "agreement_address": dict(_ADDRESS),
        "case_config": {
            "vat_area": "sweden",
            "commission_excluded_vat": False,
            "payout_capital_by_invoice": True,
            "payout_interest_by_invoice": False,
            "letter_config": {},
        },
        "default_letter_locale": "sv",
        "always_use_standard_debt_description": False,
        "added_to_erp_system": False,
        "creditor_number": number,
        "_created": now,
    }
    if active:
        doc.update(
            standard_debt_description="Unpaid invoice",
            payout_details={"sek": {"bankgiro": "12312312"}},
            sender_address=dict(_ADDRESS),
            invoice_address=dict(_ADDRESS),
        )
    stamp(doc, now, algorithm="sha1")
    return doc
