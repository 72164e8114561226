"""The request bodies as ``TypedDict``s: the mapping form of every request model, typed.

Every method that takes a request model also takes its mapping form, shaped
like the API's JSON; these types let a type checker check that mapping the
way the model's signature is checked (a misspelt key, ``"debts": 5``, an
unknown ``first_action``). Values take what the SDK reads at runtime:

* dates: an aware ``datetime``, a ``date`` (midnight UTC) or an RFC 1123
  string (``"Mon, 07 Jul 2025 00:00:00 GMT"``);
* amounts: a ``Decimal``, an ``int`` or the number's text (``"2000.00"``);
  a ``float`` is accepted at runtime but refused here, as money is never a float;
* enums: the member or its string value (``"debt_collection"``).

Nested parts are mappings too (the model classes go in the model form).
The runtime still checks everything the models check, before anything is sent.

:class:`Where` types the common filters of ``list(where=...)``: annotate a
filter with it to have its keys and values checked.
"""

# No ``from __future__ import annotations``: with it, Python 3.11 cannot see
# ``Required``/``NotRequired`` and reports every key as required at runtime.
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NotRequired, Required, TypedDict

from ._base import OriginValue
from .case_registration import FirstAction, FirstActionValue
from .invoice_registration import InvoiceType, InvoiceTypeValue

__all__ = [
    "AddressDict",
    "CreditorCaseConfigDict",
    "CreditorChangesDict",
    "CustomerDict",
    "DateRange",
    "DebtDict",
    "FeesAlreadyClaimedDict",
    "FeesIncludedInCapitalDict",
    "InvoiceCustomerDict",
    "InvoiceRowDict",
    "NewCaseRegistrationDict",
    "NewCreditorCancellationDict",
    "NewCreditorCreditingDict",
    "NewCreditorDict",
    "NewCreditorPaymentDict",
    "NewInvoiceRegistrationDict",
    "ReminderFeeDict",
    "TextFilter",
    "Where",
]

#: A date in a mapping body: aware ``datetime``, ``date`` (midnight UTC) or RFC 1123 text.
_Date = datetime | date | str
#: An amount in a mapping body: ``Decimal``, ``int`` or the number's text.
_Amount = Decimal | int | str


class AddressDict(TypedDict):
    """A postal address (:class:`~amili_async.Address`); ``country`` defaults to ``"SE"``."""

    address_line_1: str
    zip_code: str
    city: str
    country: NotRequired[str]


class CustomerDict(TypedDict):
    """The customer of a case registration (:class:`~amili_async.Customer`)."""

    name: str
    id_number: str
    is_company: bool
    address: AddressDict
    mobile_number: NotRequired[str | None]
    email: NotRequired[str | None]


class FeesIncludedInCapitalDict(TypedDict):
    """Fees already inside ``capital_to_claim`` (:class:`~amili_async.FeesIncludedInCapital`)."""

    invoice_fee: _Amount


class ReminderFeeDict(TypedDict):
    """A reminder fee already claimed (:class:`~amili_async.ReminderFee`)."""

    amount: _Amount
    fee_registration_date: _Date


class FeesAlreadyClaimedDict(TypedDict, total=False):
    """Fees claimed before the hand-over (:class:`~amili_async.FeesAlreadyClaimed`)."""

    reminder: ReminderFeeDict | None


class DebtDict(TypedDict):
    """One unpaid invoice of a case registration (:class:`~amili_async.Debt`)."""

    invoice_number: str
    debt_description: str
    invoice_date: _Date
    capital_to_claim: _Amount
    invoice_due_days_after_invoice_date: int
    fees_included_in_capital_to_claim: NotRequired[FeesIncludedInCapitalDict | None]
    fees_already_claimed: NotRequired[FeesAlreadyClaimedDict | None]


class NewCaseRegistrationDict(TypedDict):
    """The body of ``POST /case--registrations`` (:class:`~amili_async.NewCaseRegistration`).

    ``first_action`` defaults to ``"debt_collection"``, ``currency`` to ``"SEK"``.
    """

    account: str
    creditor: str
    customer: CustomerDict
    debts: Sequence[DebtDict]
    first_action: NotRequired[FirstAction | FirstActionValue]
    currency: NotRequired[str]


class InvoiceCustomerDict(TypedDict):
    """Who an invoice is for (:class:`~amili_async.InvoiceCustomer`).

    Set exactly one of ``is_person``, ``is_company`` and ``is_foreign`` to ``True``.
    """

    name: str
    address: AddressDict
    id_number: NotRequired[str | None]
    is_person: NotRequired[bool]
    is_company: NotRequired[bool]
    is_foreign: NotRequired[bool]
    customer_number: NotRequired[str | None]
    mobile_number: NotRequired[str | None]
    email: NotRequired[str | None]


class InvoiceRowDict(TypedDict):
    """One row of an invoice's ``matrix`` (:class:`~amili_async.InvoiceRow`)."""

    article_description: str
    unit_price: _Amount
    total_price_excluding_vat: _Amount
    unit_vat_percent: str
    number_of_units: NotRequired[_Amount | None]


class NewInvoiceRegistrationDict(TypedDict):
    """The body of ``POST /invoice--registrations``.

    The mapping form of :class:`~amili_async.NewInvoiceRegistration`.
    """

    account: str
    creditor: str
    customer: InvoiceCustomerDict
    invoice_number: str
    invoice_date: _Date
    invoice_due_date: _Date
    debt_description: str
    matrix: Sequence[InvoiceRowDict]
    invoice_type: NotRequired[InvoiceType | InvoiceTypeValue]
    currency: NotRequired[str]
    invoice_delivery_date: NotRequired[_Date | None]
    reference_number: NotRequired[str | None]
    payout_reference: NotRequired[str | None]
    invoice_headline: NotRequired[str | None]
    invoice_body_text: NotRequired[str | None]
    your_contact: NotRequired[str | None]
    your_reference: NotRequired[str | None]
    our_reference: NotRequired[str | None]


class _CaseActionDict(TypedDict):
    """What every creditor action names: the creditor, and the case by id or invoice number.

    Give exactly one of ``case`` and ``invoice_number``.
    """

    creditor: str
    case: NotRequired[str | None]
    invoice_number: NotRequired[str | None]
    origin: NotRequired[OriginValue]


class _MoneyActionDict(_CaseActionDict):
    """A creditor action that moves money: a payment or a crediting."""

    account: str
    amount: _Amount
    currency: NotRequired[str]
    client_registration_date: NotRequired[_Date | None]


class NewCreditorPaymentDict(_MoneyActionDict):
    """The body of ``POST /creditor--payments`` (:class:`~amili_async.NewCreditorPayment`).

    Give exactly one of ``case`` and ``invoice_number``.
    """

    bank_transaction_date: _Date
    creditor_payment_reference: NotRequired[str | None]


class NewCreditorCreditingDict(_MoneyActionDict):
    """The body of ``POST /creditor--creditings`` (:class:`~amili_async.NewCreditorCrediting`).

    Give exactly one of ``case`` and ``invoice_number``.
    """

    credit_invoice: NotRequired[str | None]
    creditor_reference: NotRequired[str | None]


class NewCreditorCancellationDict(_CaseActionDict):
    """The body of ``POST /creditor--cancellations``.

    The mapping form of :class:`~amili_async.NewCreditorCancellation`. Give
    exactly one of ``case`` and ``invoice_number``; ``account`` only if your
    API asks for it.
    """

    account: NotRequired[str | None]


class CreditorCaseConfigDict(TypedDict, total=False):
    """How a creditor's cases are run (:class:`~amili_async.CreditorCaseConfig`)."""

    vat_area: str | None
    commission_excluded_vat: bool | None
    payout_capital_by_invoice: bool | None
    payout_interest_by_invoice: bool | None


class _CreditorFields(TypedDict, total=False):
    """What a creditor's creation and its changes share (all but ``name``)."""

    organization_no: str | None
    non_swedish_organization_no: str | None
    is_active: bool
    description: str | None
    standard_debt_description: str | None
    always_use_standard_debt_description: bool | None
    default_letter_locale: str | None
    agreement_address: AddressDict | None
    sender_address: AddressDict | None
    invoice_address: AddressDict | None
    case_config: CreditorCaseConfigDict | None
    payout_details: Mapping[str, Mapping[str, str]] | None


class CreditorChangesDict(_CreditorFields, total=False):
    """The fields a creditor ``PATCH`` may change (``client.creditors.update``).

    ``payout_details`` maps a currency to its accounts:
    ``{"sek": {"bankgiro": "12312312"}}``. ``account`` and
    ``agreement_template`` are set only when the creditor is created.
    """

    name: str


class NewCreditorDict(_CreditorFields, total=False):
    """The body of ``POST /creditors`` (:class:`~amili_async.NewCreditor`).

    ``account`` and ``name`` are required; ``is_active`` defaults to ``False``.
    """

    account: Required[str]
    name: Required[str]
    agreement_template: str | None


_TextOperators = TypedDict(
    "_TextOperators",
    {"$eq": str, "$ne": str, "$in": Sequence[str], "$nin": Sequence[str], "$exists": bool},
    total=False,
)


class TextFilter(_TextOperators, total=False):
    """Mongo operators on a text field of a ``where``: ``{"$in": ["INV-1", "INV-2"]}``."""


_DateOperators = TypedDict(
    "_DateOperators",
    {"$gt": datetime | str, "$gte": datetime | str, "$lt": datetime | str, "$lte": datetime | str},
    total=False,
)


class DateRange(_DateOperators, total=False):
    """A date range in a ``where``: ``{"$gte": datetime(2025, 7, 1, tzinfo=UTC)}``.

    An aware ``datetime`` is sent in RFC 1123 form, which is what the API
    compares dates by; text must be RFC 1123 already
    (``"Tue, 01 Jul 2025 00:00:00 GMT"``): an ISO date is compared as text
    and silently matches nothing.
    """


#: A text field's filter: its value, or operators on it.
_Text = str | TextFilter
#: A date field's filter: its value, or a range.
_DateFilter = datetime | str | DateRange

_DottedAndMeta = TypedDict(
    "_DottedAndMeta",
    {
        "_id": _Text,
        "_created": _DateFilter,
        "_updated": _DateFilter,
        "debt.invoice_number": _Text,
        "debts.invoice_number": _Text,
        "closed.reason": _Text,
        "closed.close_date": _DateFilter,
        "$or": Sequence["Where"],
        "$and": Sequence["Where"],
    },
    total=False,
)


class Where(_DottedAndMeta, total=False):
    """The common filters of ``list(where=...)``, typed; every key is optional.

    The API silently returns nothing for a filter on a field it does not
    have, so a misspelt key costs a wrong answer, not an error: annotate a
    filter as ``Where`` and the type checker names the typo::

        where: Where = {
            "status": "debt_collection",
            "_created": {"$gte": datetime(2025, 7, 1, tzinfo=UTC)},
        }
        async for case in client.cases.list(where=where):
            ...

    ``list`` also takes any other mapping (every filter the API knows, with
    dot notation and Mongo operators) or the filter's JSON text.
    """

    account: _Text
    creditor: _Text
    case: _Text
    customer: _Text
    payout: _Text
    status: _Text
    state: _Text
    invoice_number: _Text
    reference_number: _Text
    customer_number: _Text
    id_number: _Text
    creditor_payment_reference: _Text
    creditor_reference: _Text
    is_active: bool
