"""``/customers``: the debtors registrations create, one per identity number per account.

A registration finds its customer by account and identity number, compacted
(``556026-9986`` and ``5560269986`` are one customer), or creates it.
Simulated: the first registration's details are kept (a later one with a new
address does not change them); the identity number is stored compacted; a
customer is always ``is_active``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._validation import compact_id_number
from ._collections import Documents
from ._ids import IdFactory
from ._lifecycle import stamp

__all__ = ["CustomerBook"]

_CONTACT_FIELDS = ("customer_number", "mobile_number", "email")


class CustomerBook:
    """The customers of every account; the caller holds the state's lock."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        #: The ``/customers`` collection.
        self.docs = Documents("customers")
        self._by_number: dict[tuple[str, str], str] = {}

    def clear(self) -> None:
        """Forget every customer."""
        self.docs.clear()
        self._by_number.clear()

    def customer_id(
        self, account_id: str, customer: Mapping[str, Any], now: datetime, *, keep: bool
    ) -> str:
        """The id of the account's customer with this identity number, created if new.

        ``keep=False`` hands out an id without storing anything.
        """
        key = (account_id, compact_id_number(customer["id_number"]))
        known = self._by_number.get(key)
        if known is not None:
            return known
        customer_id = self._ids.object_id(now)
        if keep:
            self._by_number[key] = customer_id
            self.docs.add(_document(customer_id, account_id, customer, key[1], now))
        return customer_id


def _document(
    customer_id: str, account_id: str, customer: Mapping[str, Any], id_number: str, now: datetime
) -> dict[str, Any]:
    address = customer.get("address", {})
    doc: dict[str, Any] = {
        "_id": customer_id,
        "account": account_id,
        "name": customer["name"],
        "id_number": id_number,
        "is_person": customer.get("is_person", not customer.get("is_company", False)),
        "address": {key: address[key] for key in address},
        "is_active": True,
        "_created": now,
    }
    doc["address"].setdefault("country", "SE")
    doc.update({key: customer[key] for key in _CONTACT_FIELDS if key in customer})
    stamp(doc, now, algorithm="sha1")
    return doc
