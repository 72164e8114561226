"""``/customers``: the debtors registrations created, to look up and search."""

from __future__ import annotations

from ..models.customer import CustomerRecord
from ._base import ReadableResource

__all__ = ["Customers"]


class Customers(ReadableResource[CustomerRecord]):
    """Read customers. Registrations create them: one per identity number per account.

    Search with ``where``: ``client.customers.list(where={"id_number": "5560269986"})``,
    or by ``name`` or ``email``.
    """

    path = "/customers"
    model = CustomerRecord
