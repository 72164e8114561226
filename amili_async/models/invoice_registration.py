"""Invoice registrations (full service): Amili sends the invoice, and collects if it goes unpaid.

The request models (:class:`NewInvoiceRegistration`, :class:`InvoiceCustomer`,
:class:`InvoiceRow`) check everything before it is sent; the response models
(:class:`InvoiceRegistration`, :class:`RegisteredInvoiceRow`) read whatever
the API stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from attrs import field, frozen

from .._validation import check_e164, check_email, check_swedish_id_number
from ._base import EveDocument, Issues, OpenStrEnum, api_field, as_enum, as_tuple, mask_optional
from .case_registration import Address, RegisteredCustomer

__all__ = [
    "InvoiceCustomer",
    "InvoiceRegistration",
    "InvoiceRow",
    "InvoiceType",
    "InvoiceTypeValue",
    "NewInvoiceRegistration",
    "RegisteredInvoiceRow",
]

_VAT_PERCENT = re.compile(r"(100|\d{1,2})(\.\d{1,2})?%")
_CENT = Decimal("0.01")


class InvoiceType(OpenStrEnum):
    """What kind of invoice is registered (only ``invoice`` is documented)."""

    INVOICE = "invoice"


#: The string values of :class:`InvoiceType`, as a request's signature takes them.
InvoiceTypeValue = Literal["invoice"]
InvoiceTypeValue.__doc__ = "The values of InvoiceType as strings: 'invoice'."


def _invoice_type(value: InvoiceType | InvoiceTypeValue) -> InvoiceType:
    """``invoice_type`` as the enum: ``"invoice"`` or the member both work."""
    return as_enum(InvoiceType, value)


@frozen
class InvoiceCustomer:
    """Who the invoice is for: exactly one of ``is_person``, ``is_company``, ``is_foreign``.

    ``id_number`` is the Swedish personal number of a person or the
    organisation number of a company (check digit verified); a foreign
    customer may leave it out and needs an address outside Sweden. It is
    masked in ``repr``.
    """

    name: str
    address: Address
    id_number: str | None = field(default=None, repr=mask_optional)
    is_person: bool = False
    is_company: bool = False
    is_foreign: bool = False
    customer_number: str | None = None
    mobile_number: str | None = None
    email: str | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("name", self.name)
        flags = (self.is_person, self.is_company, self.is_foreign)
        if not all(isinstance(flag, bool) for flag in flags) or sum(flags) != 1:
            issues.add("is_person", "set exactly one of is_person, is_company, is_foreign to true")
        if not isinstance(self.address, Address):
            issues.add("address", "must be an Address")
        elif self.is_foreign is True and self.address.country == "SE":
            issues.add("address.country", "a foreign customer's address is outside Sweden")
        if self.is_foreign is not True:
            issues.require_text("id_number", self.id_number)
        issues.optional_text("id_number", self.id_number)
        if isinstance(self.id_number, str) and self.id_number and self.is_foreign is not True:
            issues.add(
                "id_number",
                check_swedish_id_number(self.id_number, is_company=self.is_company is True),
            )
        issues.optional_text("customer_number", self.customer_number)
        if self.mobile_number is not None:
            issues.add("mobile_number", check_e164(self.mobile_number))
        if self.email is not None:
            issues.add("email", check_email(self.email))
        issues.check_strings(self)
        issues.raise_if_any("InvoiceCustomer")


def _check_price(issues: Issues, name: str, value: object) -> None:
    """A ``Decimal`` of zero or more with at most two decimals."""
    if not isinstance(value, Decimal):
        issues.add(name, f"must be a Decimal amount, got {type(value).__name__}")
    elif value.is_zero() and value.is_finite():
        return
    else:
        issues.require_amount(name, value)


@frozen
class InvoiceRow:
    """One row of the invoice's ``matrix``: an article, its price and VAT.

    ``total_price_excluding_vat`` must equal ``unit_price`` times
    ``number_of_units`` (one when left out), to the öre. ``unit_vat_percent``
    is written as the API writes it: ``"25%"``, ``"12%"``, ``"6%"``, ``"0%"``.
    """

    article_description: str
    unit_price: Decimal
    total_price_excluding_vat: Decimal
    unit_vat_percent: str
    number_of_units: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("article_description", self.article_description)
        _check_price(issues, "unit_price", self.unit_price)
        _check_price(issues, "total_price_excluding_vat", self.total_price_excluding_vat)
        if self.number_of_units is not None:
            issues.require_amount("number_of_units", self.number_of_units)
        if not isinstance(self.unit_vat_percent, str) or not _VAT_PERCENT.fullmatch(
            self.unit_vat_percent
        ):
            issues.add("unit_vat_percent", "must be a percentage like '25%' (0% to 100%)")
        if not issues.any():
            expected = (self.unit_price * self.units).quantize(_CENT, ROUND_HALF_UP)
            if expected != self.total_price_excluding_vat:
                issues.add(
                    "total_price_excluding_vat",
                    f"must be unit_price × number_of_units = {expected}",
                )
        issues.check_strings(self)
        issues.raise_if_any("InvoiceRow")

    @property
    def units(self) -> Decimal:
        """``number_of_units``, one when left out."""
        return self.number_of_units if self.number_of_units is not None else Decimal(1)

    @property
    def vat_rate(self) -> Decimal:
        """``unit_vat_percent`` as a number: ``Decimal("25")`` for ``"25%"``."""
        return Decimal(self.unit_vat_percent.rstrip("%"))

    @property
    def total_including_vat(self) -> Decimal:
        """The row's total with VAT, to the öre."""
        vat = self.total_price_excluding_vat * self.vat_rate / Decimal(100)
        return (self.total_price_excluding_vat + vat).quantize(_CENT, ROUND_HALF_UP)


def _rows(rows: Iterable[InvoiceRow]) -> tuple[InvoiceRow, ...]:
    """The ``matrix`` as a tuple: a list, a tuple or any other iterable of rows."""
    return as_tuple(rows)  # type: ignore[no-any-return]


@frozen
class NewInvoiceRegistration:
    """The body of ``POST /invoice--registrations``: one invoice Amili sends and follows up.

    Dates are aware datetimes, sent as RFC 1123 (the endpoint page's form;
    an older example uses ISO dates); ``invoice_due_date`` may not come before
    ``invoice_date``. ``matrix`` holds at least one :class:`InvoiceRow`. The
    answer's ``case`` is the case the invoice opens: use it for every later
    action (crediting, cancelling, reading its status).

    The invoice number is also how the SDK finds the registration again when
    a send's answer is lost, so it must be unique per creditor.
    """

    account: str
    creditor: str
    customer: InvoiceCustomer
    invoice_number: str
    invoice_date: datetime
    invoice_due_date: datetime
    debt_description: str
    matrix: tuple[InvoiceRow, ...] = field(converter=_rows)
    invoice_type: InvoiceType = field(default=InvoiceType.INVOICE, converter=_invoice_type)
    currency: str = "SEK"
    invoice_delivery_date: datetime | None = None
    reference_number: str | None = None
    payout_reference: str | None = None
    invoice_headline: str | None = None
    invoice_body_text: str | None = None
    your_contact: str | None = None
    your_reference: str | None = None
    our_reference: str | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        for name in ("account", "creditor", "invoice_number", "debt_description"):
            issues.require_text(name, getattr(self, name))
        if not isinstance(self.customer, InvoiceCustomer):
            issues.add("customer", "must be an InvoiceCustomer")
        if not isinstance(self.invoice_type, InvoiceType) or not self.invoice_type.is_known():
            issues.add("invoice_type", "must be 'invoice' (the only documented type)")
        issues.require_currency("currency", self.currency)
        issues.require_datetime("invoice_date", self.invoice_date)
        issues.require_datetime("invoice_due_date", self.invoice_due_date)
        if self.invoice_delivery_date is not None:
            issues.require_datetime("invoice_delivery_date", self.invoice_delivery_date)
        if (
            not issues.has("invoice_date")
            and not issues.has("invoice_due_date")
            and self.invoice_due_date < self.invoice_date
        ):
            issues.add("invoice_due_date", "must not be before invoice_date")
        for name in _OPTIONAL_TEXT:
            issues.optional_text(name, getattr(self, name))
        if not isinstance(self.matrix, tuple):
            issues.add("matrix", f"must be a list of rows, got {type(self.matrix).__name__}")
        elif not self.matrix:
            issues.add("matrix", "at least one row is required")
        for index, row in enumerate(self.matrix if isinstance(self.matrix, tuple) else ()):
            if not isinstance(row, InvoiceRow):
                issues.add(f"matrix.{index}", "must be an InvoiceRow")
        issues.check_strings(self)
        issues.raise_if_any("NewInvoiceRegistration")

    @property
    def total_including_vat(self) -> Decimal:
        """What the invoice asks for: the rows' totals with VAT."""
        return sum((row.total_including_vat for row in self.matrix), Decimal(0))


_OPTIONAL_TEXT = (
    "reference_number",
    "payout_reference",
    "invoice_headline",
    "invoice_body_text",
    "your_contact",
    "your_reference",
    "our_reference",
)


@frozen
class RegisteredInvoiceRow:
    """One row of a stored invoice's ``matrix``; no field is required."""

    article_description: str | None = None
    unit_price: Decimal | None = None
    number_of_units: Decimal | None = None
    total_price_excluding_vat: Decimal | None = None
    unit_vat_percent: str | None = None


@frozen
class InvoiceRegistration(EveDocument):
    """A stored invoice registration: what ``POST`` answers and ``GET`` reads.

    ``case`` (the API's ``_case``) is the case the invoice opened. The
    request's own fields are filled when the registration is read back; the
    ``POST`` answer leaves them ``None``. Only ``id`` is required, unknown
    fields are ignored, and ``customer`` reads without the request's checks.
    """

    api_status: str | None = api_field("_status", default=None)
    case: str | None = api_field("_case", default=None)
    account: str | None = None
    creditor: str | None = None
    customer: RegisteredCustomer | None = None
    invoice_type: InvoiceType | None = None
    invoice_number: str | None = None
    reference_number: str | None = None
    payout_reference: str | None = None
    invoice_date: datetime | None = None
    invoice_delivery_date: datetime | None = None
    invoice_due_date: datetime | None = None
    invoice_headline: str | None = None
    invoice_body_text: str | None = None
    currency: str | None = None
    your_contact: str | None = None
    your_reference: str | None = None
    our_reference: str | None = None
    debt_description: str | None = None
    matrix: tuple[RegisteredInvoiceRow, ...] | None = None
