"""Customers: the debtors a creditor's registrations name, as ``/customers`` answers them.

Customers are never created directly: a case or invoice registration creates
its customer (one per identity number per account) or finds the existing one.
This is a response model only, so it refuses nothing the API sends: apart
from ``id`` every field may be missing (a ``projection``, an older record)
and then reads as ``None``. Unknown fields are ignored.
"""

from __future__ import annotations

from attrs import field, frozen

from ._base import EveDocument, mask_optional
from .case_registration import RegisteredAddress

__all__ = ["CustomerRecord"]


@frozen
class CustomerRecord(EveDocument):
    """A stored customer (``GET /customers``, ``GET /customers/{id}``).

    Named ``CustomerRecord`` because :class:`~amili_async.Customer` is the
    customer *sent* in a registration. ``id_number`` is the Swedish personal
    or organisation number, masked in ``repr``; ``is_person`` tells the two
    apart.
    """

    account: str | None = None
    name: str | None = None
    id_number: str | None = field(default=None, repr=mask_optional)
    is_person: bool | None = None
    customer_number: str | None = None
    address: RegisteredAddress | None = None
    mobile_number: str | None = None
    email: str | None = None
    is_active: bool | None = None
