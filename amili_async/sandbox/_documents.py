"""The shapes of what :meth:`Sandbox.cases` and friends return, for type checkers.

They are ``TypedDict``s: at run time plain ``dict``s, JSON-ready copies of the
stored documents exactly as the API answers them (Eve's meta fields keep their
underscore, every date is an RFC 1123 string such as
``"Wed, 03 Sep 2025 07:56:11 GMT"``). Amounts are exact: a ``Decimal``, or an
``int`` for a whole number sent as one; never a ``float``. A type checker then
knows ``case["status"]`` is a ``str`` and refuses ``case["stauts"]``.

Nested parts that echo the request or are rarely inspected (the debt, the
customer, the flow items) are ``dict[str, Any]``.
"""

# No ``from __future__ import annotations`` here: ``NotRequired`` must be seen
# when the classes are made, or ``__optional_keys__`` would come out empty.
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

__all__ = [
    "Amount",
    "CaseDocument",
    "ClosedDocument",
    "PaymentDocument",
    "RegistrationDocument",
    "ServiceDocument",
    "StateChangeDocument",
    "StatusChangeDocument",
    "TransactionDocument",
]

#: An amount as the sandbox stores it: exact, never a float.
Amount = Decimal | int


class StatusChangeDocument(TypedDict):
    """One entry of a case's ``status_history``."""

    status: str
    status_date: str


class StateChangeDocument(TypedDict):
    """One entry of a case's ``state_history``."""

    state: str
    state_date: str


class ServiceDocument(TypedDict):
    """One entry of a case's ``services`` (``reminder``, ``debt_collection``)."""

    service: str
    service_date: str


class TransactionDocument(TypedDict):
    """One entry of a case's ``transactions``: capital, interest, costs, payments."""

    amount: Amount
    bank_transaction_date: str
    registration_date: str
    description_locale_tag: str
    origin: str
    type: str
    payment_method: NotRequired[str]
    creditor_payment: NotRequired[str]


class ClosedDocument(TypedDict):
    """A closed case's ``closed``: when and why."""

    close_date: str
    reason: str


class CaseDocument(TypedDict):
    """A case, as ``GET /cases/{id}`` answers it (:meth:`Sandbox.cases`, :meth:`Sandbox.case`)."""

    _id: str
    _created: str
    _updated: str
    _etag: str
    account: str
    creditor: str
    creditor_name: str
    agreement_version: str
    case_registration: str
    case_settings: dict[str, Any]
    currency: str
    customer: str
    customer_id_number: str
    customer_name: str
    customer_status: str
    customer_number: NotRequired[str]
    debtor: str
    debtor_id_number: str
    debtor_name: str
    debt: dict[str, Any]
    reference_number: str
    status: str
    status_history: list[StatusChangeDocument]
    state: str
    state_history: list[StateChangeDocument]
    latest_state_date: str
    services: list[ServiceDocument]
    transactions: list[TransactionDocument]
    local_added_capital_amount: Amount
    local_added_costs_amount: Amount
    local_added_interest_amount: Amount
    local_added_transaction_amount: Amount
    local_remaining_capital_amount: Amount
    local_remaining_costs_amount: Amount
    local_remaining_interest_amount: Amount
    local_remaining_transaction_amount: Amount
    total_added_capital_amount: Amount
    total_added_costs_amount: Amount
    total_added_interest_amount: Amount
    total_added_transaction_amount: Amount
    total_remaining_capital_amount: Amount
    total_remaining_costs_amount: Amount
    total_remaining_interest_amount: Amount
    total_remaining_transaction_amount: Amount
    debt_collection: NotRequired[str]
    limitation: NotRequired[dict[str, Any]]
    closed: NotRequired[ClosedDocument]
    next_flow_item: NotRequired[dict[str, Any]]
    next_flow_item_on_close: NotRequired[dict[str, Any]]
    event_listeners: NotRequired[dict[str, Any]]
    original_invoice: NotRequired[dict[str, Any]]


class RegistrationDocument(TypedDict):
    """A case registration, as ``GET /case--registrations/{id}`` answers it.

    ``customer`` and ``debts`` are as they were sent (optional fields included
    only when given); ``_cases``, ``_ocr_numbers`` and ``_ocr_numbers_ocr``
    hold one entry per debt, in order.
    """

    _id: str
    _created: str
    _updated: str
    _etag: str
    _cases: list[str]
    _ocr_numbers: list[str]
    _ocr_numbers_ocr: list[str]
    account: str
    creditor: str
    currency: str
    first_action: str
    customer: dict[str, Any]
    debts: list[dict[str, Any]]


class PaymentDocument(TypedDict):
    """A creditor payment, as ``GET /creditor--payments/{id}`` answers it."""

    _id: str
    _created: str
    _updated: str
    _etag: str
    _payment_status: str
    account: str
    creditor: str
    case: str
    amount: Amount
    settled_amount: Amount
    currency: str
    bank_transaction_date: str
    origin: str
    status: str
    status_reason_locale: str
    creditor_payment_reference: NotRequired[str]
    invoice_number: NotRequired[str]
