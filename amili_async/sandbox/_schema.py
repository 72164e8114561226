"""Request-body validation in the style of Eve's Cerberus: every problem, keyed by dotted path.

The functions here check shape and values only; whether an account, creditor
or case exists is the sandbox's business (it knows the state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._serde import parse_http_date
from .._validation import (
    check_country,
    check_currency,
    check_e164,
    check_email,
    check_positive_amount,
    check_swedish_id_number,
)

__all__ = [
    "FIRST_ACTIONS",
    "INVOICE_TYPES",
    "PAYMENT_ORIGINS",
    "Issues",
    "validate_cancellation",
    "validate_crediting",
    "validate_invoice_registration",
    "validate_payment",
    "validate_registration",
]

FIRST_ACTIONS = ("reminder", "debt_collection")
PAYMENT_ORIGINS = ("creditor_system",)
INVOICE_TYPES = ("invoice",)

Issues = dict[str, str]


class _Checker:
    """Collects Cerberus-style messages ("required field", "must be of string type", ...)."""

    def __init__(self) -> None:
        self.issues: Issues = {}

    def add(self, path: str, message: str | None) -> None:
        if message and path not in self.issues:
            self.issues[path] = message

    def unknown(self, doc: Mapping[str, Any], known: frozenset[str], prefix: str) -> None:
        for key in doc:
            if key not in known:
                self.add(f"{prefix}{key}", "unknown field")

    def present(self, doc: Mapping[str, Any], key: str, path: str, required: bool) -> bool:
        if key not in doc or doc[key] is None:
            if required:
                self.add(path, "required field" if key not in doc else "null value not allowed")
            return False
        return True

    def string(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        check: Callable[[str], str | None] | None = None,
        allowed: tuple[str, ...] | None = None,
    ) -> str | None:
        if not self.present(doc, key, path, required):
            return None
        value = doc[key]
        if not isinstance(value, str):
            self.add(path, "must be of string type")
            return None
        if not value.strip():
            self.add(path, "empty values not allowed")
            return None
        if allowed is not None and value not in allowed:
            self.add(path, f"unallowed value {value}")
            return None
        if check is not None:
            problem = check(value)
            if problem:
                self.add(path, problem)
                return None
        return value

    def boolean(
        self, doc: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> bool | None:
        if not self.present(doc, key, path, required):
            return None
        value = doc[key]
        if not isinstance(value, bool):
            self.add(path, "must be of boolean type")
            return None
        return value

    def integer(self, doc: Mapping[str, Any], key: str, path: str, *, minimum: int) -> int | None:
        if not self.present(doc, key, path, True):
            return None
        value = doc[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "must be of integer type")
            return None
        if value < minimum:
            self.add(path, f"min value is {minimum}")
            return None
        return value

    def amount(
        self, doc: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> Decimal | None:
        if not self.present(doc, key, path, required):
            return None
        value = doc[key]
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            self.add(path, "must be of number type")
            return None
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        problem = check_positive_amount(amount)
        if problem:
            self.add(path, problem)
            return None
        return amount

    def price(self, doc: Mapping[str, Any], key: str, path: str) -> Decimal | None:
        """A required amount of zero or more (an invoice row may be free)."""
        value = doc.get(key)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value == 0:
            return Decimal(0)
        return self.amount(doc, key, path)

    def date(
        self, doc: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> datetime | None:
        if not self.present(doc, key, path, required):
            return None
        value = doc[key]
        if not isinstance(value, str):
            self.add(path, "must be of datetime type")
            return None
        try:
            return parse_http_date(value)
        except ValueError:
            self.add(
                path,
                "must be of datetime type (RFC 1123, like 'Mon, 07 Jul 2025 00:00:00 GMT')",
            )
            return None

    def dicts(
        self,
        doc: Mapping[str, Any],
        key: str,
        check_item: Callable[[_Checker, Mapping[str, Any], str], None],
    ) -> None:
        """A required, non-empty list of objects, each checked by ``check_item`` at ``key.N``."""
        if not self.present(doc, key, key, True):
            return
        items = doc[key]
        if not isinstance(items, list):
            self.add(key, "must be of list type")
        elif not items:
            self.add(key, "min length is 1")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                check_item(self, item, f"{key}.{index}")
            else:
                self.add(f"{key}.{index}", "must be of dict type")

    def mapping(
        self, doc: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> Mapping[str, Any] | None:
        if not self.present(doc, key, path, required):
            return None
        value = doc[key]
        if not isinstance(value, dict):
            self.add(path, "must be of dict type")
            return None
        return value


_REGISTRATION_FIELDS = frozenset(
    {"account", "creditor", "first_action", "currency", "customer", "debts"}
)
_CUSTOMER_FIELDS = frozenset(
    {"name", "id_number", "is_company", "address", "mobile_number", "email", "customer_number"}
)
_ADDRESS_FIELDS = frozenset(
    {"address_line_1", "address_line_2", "care_of", "zip_code", "city", "country"}
)
_DEBT_FIELDS = frozenset(
    {
        "invoice_number",
        "debt_description",
        "invoice_date",
        "capital_to_claim",
        "invoice_due_days_after_invoice_date",
        "fees_included_in_capital_to_claim",
        "fees_already_claimed",
        "debt_reference",
        "payout_reference",
        "initial_capital",
    }
)
_PAYMENT_FIELDS = frozenset(
    {
        "account",
        "creditor",
        "case",
        "invoice_number",
        "currency",
        "amount",
        "bank_transaction_date",
        "creditor_payment_reference",
        "origin",
        "client_registration_date",
    }
)


_CREDITING_FIELDS = frozenset(
    {
        "account",
        "creditor",
        "case",
        "invoice_number",
        "currency",
        "amount",
        "origin",
        "credit_invoice",
        "client_registration_date",
        "creditor_reference",
    }
)


def validate_registration(doc: Mapping[str, Any]) -> Issues:
    """Check a case-registration body; an empty result means it is well formed.

    Accepted optional fields beyond the required ones: ``customer.mobile_number``
    (E.164), ``customer.email``, ``customer.customer_number``,
    ``customer.address.address_line_2`` / ``care_of``, and per debt
    ``fees_included_in_capital_to_claim``, ``fees_already_claimed``,
    ``debt_reference``, ``payout_reference``, ``initial_capital``. Anything else
    is an "unknown field", as Eve answers by default.
    """
    check = _Checker()
    check.unknown(doc, _REGISTRATION_FIELDS, "")
    check.string(doc, "account", "account")
    check.string(doc, "creditor", "creditor")
    check.string(doc, "first_action", "first_action", allowed=FIRST_ACTIONS)
    check.string(doc, "currency", "currency", check=check_currency)
    customer = check.mapping(doc, "customer", "customer")
    if customer is not None:
        _check_customer(check, customer)
    check.dicts(doc, "debts", _check_debt)
    return check.issues


def _check_customer(check: _Checker, customer: Mapping[str, Any]) -> None:
    check.unknown(customer, _CUSTOMER_FIELDS, "customer.")
    check.string(customer, "name", "customer.name")
    # The docs' person example leaves is_company out, and their oldest example the
    # country: both optional here (a person, and Sweden, when absent).
    is_company = check.boolean(customer, "is_company", "customer.is_company", required=False)
    check.string(
        customer, "mobile_number", "customer.mobile_number", required=False, check=check_e164
    )
    check.string(customer, "email", "customer.email", required=False, check=check_email)
    check.string(customer, "customer_number", "customer.customer_number", required=False)
    country = _check_address(check, customer)
    id_number = check.string(customer, "id_number", "customer.id_number")
    if id_number is not None and country == "SE":
        check.add(
            "customer.id_number", check_swedish_id_number(id_number, is_company=is_company is True)
        )


def _check_address(check: _Checker, customer: Mapping[str, Any]) -> str | None:
    """Check ``customer.address``; its country (``SE`` when left out, ``None`` when bad)."""
    address = check.mapping(customer, "address", "customer.address")
    if address is None:
        return None
    check.unknown(address, _ADDRESS_FIELDS, "customer.address.")
    for key in ("address_line_1", "zip_code", "city"):
        check.string(address, key, f"customer.address.{key}")
    for key in ("address_line_2", "care_of"):
        check.string(address, key, f"customer.address.{key}", required=False)
    if "country" not in address:
        return "SE"
    return check.string(
        address, "country", "customer.address.country", required=False, check=check_country
    )


def _check_debt(check: _Checker, debt: Mapping[str, Any], path: str) -> None:
    check.unknown(debt, _DEBT_FIELDS, f"{path}.")
    check.string(debt, "invoice_number", f"{path}.invoice_number")
    check.string(debt, "debt_description", f"{path}.debt_description")
    check.date(debt, "invoice_date", f"{path}.invoice_date")
    capital = check.amount(debt, "capital_to_claim", f"{path}.capital_to_claim")
    check.integer(
        debt,
        "invoice_due_days_after_invoice_date",
        f"{path}.invoice_due_days_after_invoice_date",
        minimum=0,
    )
    check.string(debt, "debt_reference", f"{path}.debt_reference", required=False)
    check.string(debt, "payout_reference", f"{path}.payout_reference", required=False)
    check.amount(debt, "initial_capital", f"{path}.initial_capital", required=False)
    included = check.mapping(
        debt,
        "fees_included_in_capital_to_claim",
        f"{path}.fees_included_in_capital_to_claim",
        required=False,
    )
    if included is not None:
        prefix = f"{path}.fees_included_in_capital_to_claim"
        check.unknown(included, frozenset({"invoice_fee"}), f"{prefix}.")
        fee = check.amount(included, "invoice_fee", f"{prefix}.invoice_fee")
        if fee is not None and capital is not None and fee > capital:
            check.add(f"{prefix}.invoice_fee", "must not exceed capital_to_claim")
    claimed = check.mapping(
        debt, "fees_already_claimed", f"{path}.fees_already_claimed", required=False
    )
    if claimed is not None:
        prefix = f"{path}.fees_already_claimed"
        check.unknown(claimed, frozenset({"reminder"}), f"{prefix}.")
        reminder = check.mapping(claimed, "reminder", f"{prefix}.reminder", required=False)
        if reminder is not None:
            check.unknown(
                reminder, frozenset({"amount", "fee_registration_date"}), f"{prefix}.reminder."
            )
            check.amount(reminder, "amount", f"{prefix}.reminder.amount")
            check.date(
                reminder, "fee_registration_date", f"{prefix}.reminder.fee_registration_date"
            )


def _case_target(check: _Checker, doc: Mapping[str, Any]) -> None:
    """``creditor`` and exactly one of ``case`` and ``invoice_number``, and ``origin``."""
    check.string(doc, "creditor", "creditor")
    has_case = doc.get("case") is not None
    has_invoice = doc.get("invoice_number") is not None
    if has_case and has_invoice:
        check.add("invoice_number", "field 'case' must not be present with 'invoice_number'")
    elif not has_case and not has_invoice:
        check.add("case", "required field (or give 'invoice_number' instead)")
    check.string(doc, "case", "case", required=False)
    check.string(doc, "invoice_number", "invoice_number", required=False)
    check.string(doc, "origin", "origin", allowed=PAYMENT_ORIGINS)


def validate_payment(doc: Mapping[str, Any]) -> Issues:
    """Check a creditor-payment body; an empty result means it is well formed."""
    check = _Checker()
    check.unknown(doc, _PAYMENT_FIELDS, "")
    check.string(doc, "account", "account")
    _case_target(check, doc)
    check.string(doc, "currency", "currency", check=check_currency)
    check.amount(doc, "amount", "amount")
    check.date(doc, "bank_transaction_date", "bank_transaction_date")
    check.string(doc, "creditor_payment_reference", "creditor_payment_reference", required=False)
    check.date(doc, "client_registration_date", "client_registration_date", required=False)
    return check.issues


def validate_crediting(doc: Mapping[str, Any]) -> Issues:
    """Check a creditor-crediting body (``account`` required, as production documents it)."""
    check = _Checker()
    check.unknown(doc, _CREDITING_FIELDS, "")
    check.string(doc, "account", "account")
    _case_target(check, doc)
    check.string(doc, "currency", "currency", check=check_currency)
    check.amount(doc, "amount", "amount")
    check.string(doc, "credit_invoice", "credit_invoice", required=False)
    check.string(doc, "creditor_reference", "creditor_reference", required=False)
    check.date(doc, "client_registration_date", "client_registration_date", required=False)
    return check.issues


def validate_cancellation(doc: Mapping[str, Any]) -> Issues:
    """Check a creditor-cancellation body (``account`` optional: the documented body has none)."""
    check = _Checker()
    check.unknown(doc, frozenset({"account", "creditor", "case", "invoice_number", "origin"}), "")
    check.string(doc, "account", "account", required=False)
    _case_target(check, doc)
    return check.issues


_INVOICE_FIELDS = frozenset(
    {
        "account",
        "creditor",
        "customer",
        "invoice_type",
        "invoice_number",
        "reference_number",
        "payout_reference",
        "invoice_date",
        "invoice_delivery_date",
        "invoice_due_date",
        "invoice_headline",
        "invoice_body_text",
        "currency",
        "your_contact",
        "your_reference",
        "our_reference",
        "debt_description",
        "matrix",
    }
)
_INVOICE_TEXT = (
    "reference_number",
    "payout_reference",
    "invoice_headline",
    "invoice_body_text",
    "your_contact",
    "your_reference",
    "our_reference",
)
_INVOICE_CUSTOMER_FIELDS = (_CUSTOMER_FIELDS - {"is_company"}) | {
    "is_person",
    "is_company",
    "is_foreign",
}
_ROW_FIELDS = frozenset(
    {
        "article_description",
        "unit_price",
        "number_of_units",
        "total_price_excluding_vat",
        "unit_vat_percent",
    }
)
_CUSTOMER_FLAGS = ("is_person", "is_company", "is_foreign")


def validate_invoice_registration(doc: Mapping[str, Any]) -> Issues:
    """Check an invoice-registration body; an empty result means it is well formed.

    Dates are RFC 1123, as the endpoint page shows them (an older example
    sends ISO dates; the sandbox follows the endpoint page). The customer
    sets exactly one of ``is_person``, ``is_company`` and ``is_foreign``;
    each ``matrix`` row's ``unit_vat_percent`` is a string like ``"25%"``.
    """
    check = _Checker()
    check.unknown(doc, _INVOICE_FIELDS, "")
    for key in ("account", "creditor", "invoice_number", "debt_description"):
        check.string(doc, key, key)
    check.string(doc, "invoice_type", "invoice_type", allowed=INVOICE_TYPES)
    check.string(doc, "currency", "currency", check=check_currency)
    for key in _INVOICE_TEXT:
        check.string(doc, key, key, required=False)
    invoice_date = check.date(doc, "invoice_date", "invoice_date")
    due_date = check.date(doc, "invoice_due_date", "invoice_due_date")
    check.date(doc, "invoice_delivery_date", "invoice_delivery_date", required=False)
    if invoice_date is not None and due_date is not None and due_date < invoice_date:
        check.add("invoice_due_date", "must not be before invoice_date")
    customer = check.mapping(doc, "customer", "customer")
    if customer is not None:
        _check_invoice_customer(check, customer)
    check.dicts(doc, "matrix", _check_row)
    return check.issues


def _check_invoice_customer(check: _Checker, customer: Mapping[str, Any]) -> None:
    check.unknown(customer, _INVOICE_CUSTOMER_FIELDS, "customer.")
    check.string(customer, "name", "customer.name")
    flags = [
        check.boolean(customer, key, f"customer.{key}", required=False) for key in _CUSTOMER_FLAGS
    ]
    if sum(flag is True for flag in flags) != 1:
        check.add("customer.is_person", "set exactly one of is_person, is_company, is_foreign")
    is_company, is_foreign = flags[1] is True, flags[2] is True
    for key in ("customer_number", "mobile_number", "email"):
        check.string(customer, key, f"customer.{key}", required=False)
    country = _check_address(check, customer)
    id_number = check.string(customer, "id_number", "customer.id_number", required=not is_foreign)
    if id_number is not None and country == "SE" and not is_foreign:
        check.add("customer.id_number", check_swedish_id_number(id_number, is_company=is_company))


def _check_row(check: _Checker, row: Mapping[str, Any], path: str) -> None:
    check.unknown(row, _ROW_FIELDS, f"{path}.")
    check.string(row, "article_description", f"{path}.article_description")
    for key in ("unit_price", "total_price_excluding_vat"):
        check.price(row, key, f"{path}.{key}")
    check.amount(row, "number_of_units", f"{path}.number_of_units", required=False)
    check.string(row, "unit_vat_percent", f"{path}.unit_vat_percent", check=_check_vat_percent)


def _check_vat_percent(value: str) -> str | None:
    number = value.removesuffix("%")
    try:
        rate = Decimal(number)
    except ArithmeticError:
        rate = Decimal(-1)
    if not value.endswith("%") or not rate.is_finite() or not 0 <= rate <= 100:
        return "must be a percentage like '25%'"
    return None
