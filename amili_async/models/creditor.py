"""Creditors: who claims the debts (``/creditors``), read by everyone, written by partners.

:class:`Creditor` is what the API answers, tolerant of anything it sends.
:class:`NewCreditor` is the Partner API's ``POST /creditors`` body, checked
before anything is sent; :func:`creditor_changes` checks the fields of a
``PATCH``. ``account`` and ``agreement_template`` can only be set when the
creditor is created; ``partner``, ``creditor_number`` and
``added_to_erp_system`` are set by Amili and never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from attrs import frozen
from cattrs.errors import BaseValidationError

from .._serde import converter
from .._validation import check_swedish_id_number
from ..errors import RequestValidationError
from ._base import EveDocument, Issues, api_field, issue_paths
from .case_registration import Address, RegisteredAddress

__all__ = [
    "CREATION_ONLY_CREDITOR_FIELDS",
    "READ_ONLY_CREDITOR_FIELDS",
    "Creditor",
    "CreditorCaseConfig",
    "NewCreditor",
    "creditor_changes",
]

#: Set by Amili; a write that changes them is refused.
READ_ONLY_CREDITOR_FIELDS = frozenset({"partner", "creditor_number", "added_to_erp_system"})
#: Set only by ``POST /creditors``; a ``PATCH`` that sends them is refused.
CREATION_ONLY_CREDITOR_FIELDS = frozenset({"account", "agreement_template"})
#: What an active creditor must have (the docs' activation rule).
_NEEDED_TO_BE_ACTIVE = (
    "standard_debt_description",
    "sender_address",
    "invoice_address",
    "payout_details",
)

#: A creditor's payout accounts: currency (``sek``) to account type (``bankgiro``) to number.
PayoutDetails = Mapping[str, Mapping[str, str]]


@frozen
class CreditorCaseConfig:
    """How a creditor's cases are run (``case_config``); any field may be ``None``."""

    vat_area: str | None = None
    commission_excluded_vat: bool | None = None
    payout_capital_by_invoice: bool | None = None
    payout_interest_by_invoice: bool | None = None


@frozen
class Creditor(EveDocument):
    """A stored creditor (``GET /creditors``, ``GET /creditors/{id}``; the write answers).

    ``etag`` is what :meth:`~amili_async.services.Creditors.update` and
    ``delete`` send as ``If-Match``: pass the creditor itself as ``etag=``.
    An inactive creditor (``is_active`` false) takes no case registrations.
    Only ``id`` is required; anything the answer leaves out (the write
    answers hold only the meta fields, a ``projection``) is ``None``, and
    unknown fields are ignored.
    """

    api_status: str | None = api_field("_status", default=None)
    account: str | None = None
    partner: str | None = None
    name: str | None = None
    creditor_number: int | None = None
    organization_no: str | None = None
    non_swedish_organization_no: str | None = None
    is_active: bool | None = None
    description: str | None = None
    standard_debt_description: str | None = None
    always_use_standard_debt_description: bool | None = None
    default_letter_locale: str | None = None
    agreement_template: str | None = None
    agreement_address: RegisteredAddress | None = None
    sender_address: RegisteredAddress | None = None
    invoice_address: RegisteredAddress | None = None
    case_config: CreditorCaseConfig | None = None
    payout_details: PayoutDetails | None = None
    added_to_erp_system: bool | None = None


@frozen
class NewCreditor:
    """The body of ``POST /creditors`` (Partner API).

    ``account`` and ``name`` are required. Give ``organization_no`` (a
    Swedish organisation number, checked) or ``non_swedish_organization_no``,
    not both. A creditor created with ``is_active=True`` must also have
    ``standard_debt_description``, ``sender_address``, ``invoice_address``
    and ``payout_details`` (at least one currency with one account, e.g.
    ``{"sek": {"bankgiro": "12312312"}}``); without them create it inactive
    and activate it later with ``update``.
    """

    account: str
    name: str
    organization_no: str | None = None
    non_swedish_organization_no: str | None = None
    is_active: bool = False
    description: str | None = None
    standard_debt_description: str | None = None
    always_use_standard_debt_description: bool | None = None
    default_letter_locale: str | None = None
    agreement_template: str | None = None
    agreement_address: Address | None = None
    sender_address: Address | None = None
    invoice_address: Address | None = None
    case_config: CreditorCaseConfig | None = None
    payout_details: PayoutDetails | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("account", self.account)
        present = {
            field.name: getattr(self, field.name)
            for field in attrs.fields(NewCreditor)
            if getattr(self, field.name) is not None
        }
        _check_values(issues, present)
        if self.is_active is True:
            for name in _NEEDED_TO_BE_ACTIVE:
                if getattr(self, name) is None:
                    issues.add(name, "required to create an active creditor")
        issues.check_strings(self)
        issues.raise_if_any("NewCreditor")


def _check_values(issues: Issues, values: Mapping[str, Any]) -> None:
    """Check the fields of a creditor present in ``values`` (already of their types)."""
    for name in ("name", "description", "standard_debt_description", "default_letter_locale"):
        if name in values:
            issues.require_text(name, values[name])
    for name in ("is_active", "always_use_standard_debt_description"):
        if name in values and not isinstance(values[name], bool):
            issues.add(name, "must be true or false")
    number = values.get("organization_no")
    if number is not None:
        issues.require_text("organization_no", number)
        if isinstance(number, str) and number.strip():
            issues.add("organization_no", check_swedish_id_number(number, is_company=True))
    if number is not None and values.get("non_swedish_organization_no") is not None:
        issues.add(
            "organization_no", "give organization_no or non_swedish_organization_no, not both"
        )
    if values.get("payout_details") is not None:
        issues.add("payout_details", _payout_details_problem(values["payout_details"]))


def _payout_details_problem(details: object) -> str | None:
    if not isinstance(details, Mapping) or not details:
        return "must map a currency to its accounts, e.g. {'sek': {'bankgiro': '12312312'}}"
    for currency, accounts in details.items():
        if not isinstance(currency, str) or not currency.strip():
            return "currency keys must be non-empty strings"
        if not isinstance(accounts, Mapping) or not accounts:
            return f"{currency}: must map an account type to its number"
        for kind, number in accounts.items():
            if not isinstance(kind, str) or not isinstance(number, str) or not number.strip():
                return f"{currency}: account types and numbers must be non-empty strings"
    return None


#: The type of each field a ``PATCH`` may change, read from :class:`NewCreditor`.
_CHANGEABLE: dict[str, Any] = {
    field.name: field.type
    for field in attrs.fields(attrs.resolve_types(NewCreditor))
    if field.name not in CREATION_ONLY_CREDITOR_FIELDS
}


def creditor_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a creditor ``PATCH``, or :class:`RequestValidationError`.

    Known fields are checked like :class:`NewCreditor`'s (addresses may be
    :class:`~amili_async.Address` objects or mappings). Read-only fields
    (``partner``, ``creditor_number``, ``added_to_erp_system``), creation-only
    ones (``account``, ``agreement_template``) and Eve's meta fields (``_id``,
    ``_etag``...) are refused. Fields the SDK does not know are sent as they
    are, for the API to judge. Nested objects are merged by the API: sending
    ``{"case_config": {"vat_area": "sweden"}}`` keeps the other settings.
    """
    if not isinstance(changes, Mapping) or not changes:
        raise RequestValidationError(
            {"": "give the fields to change, as a non-empty mapping"}, model="CreditorChanges"
        )
    issues = Issues()
    body: dict[str, Any] = {}
    for name, value in changes.items():
        problem = _unchangeable(name)
        if problem is not None:
            issues.add(str(name), problem)
        elif name in _CHANGEABLE and value is not None:
            body[name] = _converted(name, value, issues)
        else:
            body[name] = value
    _check_values(issues, {name: value for name, value in body.items() if value is not None})
    issues.raise_if_any("CreditorChanges")
    return body


def _unchangeable(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "field names must be non-empty strings"
    if name in READ_ONLY_CREDITOR_FIELDS:
        return "field is read-only"
    if name in CREATION_ONLY_CREDITOR_FIELDS:
        return "can only be set when the creditor is created"
    if name.startswith("_"):
        return "meta fields are set by the API"
    return None


def _converted(name: str, value: Any, issues: Issues) -> Any:
    """``value`` checked as the field's type, in its JSON form (``None`` after an issue)."""
    try:
        typed = converter.structure(value, _CHANGEABLE[name])
    except RequestValidationError as error:
        for field, reason in error.issues.items():
            issues.add(f"{name}.{field}" if field else name, reason)
        return None
    except (BaseValidationError, TypeError, ValueError, KeyError, AttributeError) as error:
        found: dict[str, str] = {}
        issue_paths(error, name, found)
        for field, reason in found.items():
            issues.add(field, reason)
        return None
    return converter.unstructure(typed)
