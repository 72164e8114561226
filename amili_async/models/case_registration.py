"""Case registrations: the request that hands debts to Amili, and what the API answers.

The request models (:class:`NewCaseRegistration`, :class:`Customer`,
:class:`Debt`, ...) check everything before it is sent. The response models
(:class:`CaseRegistration` and its ``Registered*`` parts) check nothing: they
read whatever the API stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Literal

from attrs import field, frozen

from .._validation import (
    check_country,
    check_due_days,
    check_e164,
    check_email,
    check_swedish_id_number,
    mask_id_number,
)
from ._base import EveDocument, Issues, OpenStrEnum, api_field, as_enum, as_tuple, mask_optional

__all__ = [
    "Address",
    "CaseRegistration",
    "Customer",
    "Debt",
    "FeesAlreadyClaimed",
    "FeesIncludedInCapital",
    "FirstAction",
    "FirstActionValue",
    "NewCaseRegistration",
    "RegisteredAddress",
    "RegisteredCustomer",
    "RegisteredDebt",
    "RegisteredFeesAlreadyClaimed",
    "RegisteredFeesIncludedInCapital",
    "RegisteredReminderFee",
    "ReminderFee",
]


class FirstAction(OpenStrEnum):
    """What Amili does first with a registered case."""

    REMINDER = "reminder"
    DEBT_COLLECTION = "debt_collection"


#: The string values of :class:`FirstAction`, as a request's signature takes them.
FirstActionValue = Literal["reminder", "debt_collection"]
FirstActionValue.__doc__ = "The values of FirstAction as strings: 'reminder', 'debt_collection'."


def _first_action(value: FirstAction | FirstActionValue) -> FirstAction:
    """``first_action`` as the enum: ``"reminder"`` or a member both work."""
    return as_enum(FirstAction, value)


def _debts(debts: Iterable[Debt]) -> tuple[Debt, ...]:
    """The debts as a tuple: a list, a tuple or any other iterable of them."""
    return as_tuple(debts)  # type: ignore[no-any-return]


@frozen
class Address:
    """A postal address. ``country`` is ISO 3166-1 alpha-2 (``SE``)."""

    address_line_1: str
    zip_code: str
    city: str
    country: str = "SE"

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        for name in ("address_line_1", "zip_code", "city"):
            issues.require_text(name, getattr(self, name))
        issues.require_text("country", self.country)
        if isinstance(self.country, str) and self.country:
            issues.add("country", check_country(self.country))
        issues.check_strings(self)
        issues.raise_if_any("Address")


@frozen
class Customer:
    """The person or company that owes the debt.

    ``id_number`` is a Swedish personal number (10 or 12 digits) or
    organisation number (10 digits) when the address is in Sweden; its check
    digit is verified. It is masked in ``repr``.
    """

    name: str
    id_number: str = field(repr=lambda value: repr(mask_id_number(value)))
    is_company: bool
    address: Address
    mobile_number: str | None = None
    email: str | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("name", self.name)
        issues.require_text("id_number", self.id_number)
        if not isinstance(self.is_company, bool):
            issues.add("is_company", "must be true or false")
        if (
            isinstance(self.id_number, str)
            and self.id_number
            and isinstance(self.address, Address)
            and self.address.country == "SE"
        ):
            issues.add(
                "id_number",
                check_swedish_id_number(self.id_number, is_company=self.is_company is True),
            )
        issues.require_instance("address", self.address, Address, optional=False)
        issues.optional_text("mobile_number", self.mobile_number, check_e164)
        issues.optional_text("email", self.email, check_email)
        issues.check_strings(self)
        issues.raise_if_any("Customer")


@frozen
class FeesIncludedInCapital:
    """Fees already inside ``capital_to_claim``."""

    invoice_fee: Decimal

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_amount("invoice_fee", self.invoice_fee)
        issues.raise_if_any("FeesIncludedInCapital")


@frozen
class ReminderFee:
    """A reminder fee the creditor already claimed, and when."""

    amount: Decimal
    fee_registration_date: datetime

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_amount("amount", self.amount)
        issues.require_datetime("fee_registration_date", self.fee_registration_date)
        issues.raise_if_any("ReminderFee")


@frozen
class FeesAlreadyClaimed:
    """Fees the creditor claimed before handing the debt over."""

    reminder: ReminderFee | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_instance("reminder", self.reminder, ReminderFee, optional=True)
        issues.raise_if_any("FeesAlreadyClaimed")


@frozen
class Debt:
    """One unpaid invoice. Each debt of a registration becomes its own case.

    ``invoice_date`` is an aware datetime from 1900 to 2100; the due days run
    from 0 to 3650; an invoice fee included in the capital cannot exceed it.
    """

    invoice_number: str
    debt_description: str
    invoice_date: datetime
    capital_to_claim: Decimal
    invoice_due_days_after_invoice_date: int
    fees_included_in_capital_to_claim: FeesIncludedInCapital | None = None
    fees_already_claimed: FeesAlreadyClaimed | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("invoice_number", self.invoice_number)
        issues.require_text("debt_description", self.debt_description)
        issues.require_datetime("invoice_date", self.invoice_date)
        issues.require_amount("capital_to_claim", self.capital_to_claim)
        issues.add(
            "invoice_due_days_after_invoice_date",
            check_due_days(self.invoice_due_days_after_invoice_date),
        )
        fees = self.fees_included_in_capital_to_claim
        issues.require_instance(
            "fees_included_in_capital_to_claim", fees, FeesIncludedInCapital, optional=True
        )
        issues.require_instance(
            "fees_already_claimed", self.fees_already_claimed, FeesAlreadyClaimed, optional=True
        )
        if (
            isinstance(fees, FeesIncludedInCapital)
            and isinstance(self.capital_to_claim, Decimal)
            and self.capital_to_claim.is_finite()
            and fees.invoice_fee > self.capital_to_claim
        ):
            issues.add(
                "fees_included_in_capital_to_claim.invoice_fee",
                "cannot exceed capital_to_claim, which includes it",
            )
        issues.check_strings(self)
        issues.raise_if_any("Debt")


@frozen
class NewCaseRegistration:
    """The body of ``POST /case--registrations``: a customer and one or more debts.

    Validated when built: required fields, ISO codes, the Swedish ID checksum,
    amounts (above 0, below 10**12, at most two decimals), dates (aware, 1900
    to 2100), strings that can be sent as UTF-8 (no lone surrogate) and at
    least one debt, with every problem named at once.
    """

    account: str
    creditor: str
    customer: Customer
    debts: tuple[Debt, ...] = field(converter=_debts)
    first_action: FirstAction = field(default=FirstAction.DEBT_COLLECTION, converter=_first_action)
    currency: str = "SEK"

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("account", self.account)
        issues.require_text("creditor", self.creditor)
        issues.require_currency("currency", self.currency)
        issues.require_instance("customer", self.customer, Customer, optional=False)
        if not isinstance(self.debts, tuple):
            issues.add("debts", f"must be a list of debts, got {type(self.debts).__name__}")
        elif not self.debts:
            issues.add("debts", "at least one debt is required")
        seen: set[str] = set()
        for index, debt in enumerate(self.debts if isinstance(self.debts, tuple) else ()):
            if not isinstance(debt, Debt):
                issues.add(f"debts.{index}", "must be a Debt")
            elif debt.invoice_number in seen:
                issues.add(f"debts.{index}.invoice_number", "appears twice in this registration")
            else:
                seen.add(debt.invoice_number)
        if not isinstance(self.first_action, FirstAction) or not self.first_action.is_known():
            issues.add("first_action", "must be 'reminder' or 'debt_collection'")
        issues.check_strings(self)
        issues.raise_if_any("NewCaseRegistration")

    @property
    def invoice_numbers(self) -> tuple[str, ...]:
        """The invoice numbers of the debts, in order."""
        return tuple(debt.invoice_number for debt in self.debts)


@frozen
class RegisteredAddress:
    """A postal address as the API stores it. No field is required."""

    address_line_1: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country: str | None = None


@frozen
class RegisteredCustomer:
    """The customer of a stored registration, as the API answers it.

    Read as sent, without the request's rules: the docs' own person example
    has no ``is_company``, and other records (and invoice registrations) say
    ``is_person`` or ``is_foreign`` instead. No
    field is required. ``id_number`` is masked in ``repr``.
    """

    name: str | None = None
    id_number: str | None = field(default=None, repr=mask_optional)
    is_company: bool | None = None
    is_person: bool | None = None
    is_foreign: bool | None = None
    customer_number: str | None = None
    address: RegisteredAddress | None = None
    mobile_number: str | None = None
    email: str | None = None


@frozen
class RegisteredFeesIncludedInCapital:
    """Fees already inside ``capital_to_claim``, as stored."""

    invoice_fee: Decimal | None = None


@frozen
class RegisteredReminderFee:
    """A reminder fee the creditor already claimed, as stored."""

    amount: Decimal | None = None
    fee_registration_date: datetime | None = None


@frozen
class RegisteredFeesAlreadyClaimed:
    """Fees the creditor claimed before handing the debt over, as stored."""

    reminder: RegisteredReminderFee | None = None


@frozen
class RegisteredDebt:
    """One debt of a stored registration, as the API answers it; no field is required."""

    invoice_number: str | None = None
    debt_description: str | None = None
    invoice_date: datetime | None = None
    capital_to_claim: Decimal | None = None
    invoice_due_days_after_invoice_date: int | None = None
    fees_included_in_capital_to_claim: RegisteredFeesIncludedInCapital | None = None
    fees_already_claimed: RegisteredFeesAlreadyClaimed | None = None


@frozen
class CaseRegistration(EveDocument):
    """A stored case registration: what ``POST`` answers and ``GET`` reads.

    ``cases`` holds one case id per debt, ``ocr_numbers_ocr`` the OCR payment
    references in the same order. The request's own fields are filled when
    the registration is read back (``GET``); the ``POST`` answer leaves them
    ``None``.

    Tolerant of what the API sends: ``customer`` and ``debts`` are read into
    :class:`RegisteredCustomer` and :class:`RegisteredDebt`, which keep none
    of the request's checks (a registration stored from an older or looser
    form reads back fine). Only ``id`` is required (Eve always sends ``_id``,
    even under a ``projection``); any other field the answer leaves out (a
    projection, an older record) is ``None``, and the id lists are ``()``.
    Unknown fields are ignored.
    """

    api_status: str | None = api_field("_status", default=None)
    cases: tuple[str, ...] = api_field("_cases", default=())
    ocr_numbers: tuple[str, ...] = api_field("_ocr_numbers", default=())
    ocr_numbers_ocr: tuple[str, ...] = api_field("_ocr_numbers_ocr", default=())
    account: str | None = None
    creditor: str | None = None
    first_action: FirstAction | None = None
    currency: str | None = None
    customer: RegisteredCustomer | None = None
    debts: tuple[RegisteredDebt, ...] | None = None

    @property
    def invoice_numbers(self) -> tuple[str, ...]:
        """The invoice numbers of the debts, when the registration was read back."""
        return tuple(
            debt.invoice_number for debt in self.debts or () if debt.invoice_number is not None
        )
