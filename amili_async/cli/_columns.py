"""The columns of ``register``'s file: one customer's rows become one registration body.

Values are converted only where the file's spelling differs from the API's
(``2025-07-07``, a decimal comma, ``yes``/``no``); anything that does not
convert is passed on as it is, so that the SDK's request validation names the
problem with the field it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from amili_async import compact_id_number

__all__ = ["column", "registration"]

_TRUE = {"true", "yes", "y", "1", "ja", "t"}
_FALSE = {"false", "no", "n", "0", "nej", "f"}


def column(row: Mapping[str, Any], name: str) -> Any:
    """The value of a column, stripped when it is text."""
    value = row.get(name)
    return value.strip() if isinstance(value, str) else value


def registration(
    rows: list[dict[str, Any]], account: str | None, creditor: str | None
) -> dict[str, Any]:
    """The registration of one customer's rows (customer columns from the first row)."""
    first = rows[0]
    return {
        "account": column(first, "account") or account or "",
        "creditor": column(first, "creditor") or creditor or "",
        "first_action": column(first, "first_action") or "debt_collection",
        "currency": column(first, "currency") or "SEK",
        "customer": _customer(first),
        "debts": [_debt(row) for row in rows],
    }


def _customer(row: Mapping[str, Any]) -> dict[str, Any]:
    id_number = str(column(row, "customer_id_number") or "")
    address = {
        "address_line_1": column(row, "address_line_1"),
        "zip_code": column(row, "zip_code"),
        "city": column(row, "city"),
        "country": column(row, "country") or "SE",
    }
    customer: dict[str, Any] = {
        "name": column(row, "customer_name"),
        "id_number": id_number,
        "is_company": _flag(row.get("is_company"), id_number),
        "address": {key: value for key, value in address.items() if value is not None},
    }
    for optional in ("mobile_number", "email"):
        if row.get(optional) is not None:
            customer[optional] = column(row, optional)
    return {key: value for key, value in customer.items() if value is not None}


def _debt(row: Mapping[str, Any]) -> dict[str, Any]:
    debt: dict[str, Any] = {
        "invoice_number": column(row, "invoice_number"),
        "debt_description": column(row, "debt_description"),
        "invoice_date": _date(column(row, "invoice_date")),
        "capital_to_claim": _amount(row.get("capital_to_claim")),
        "invoice_due_days_after_invoice_date": _whole(row.get("due_days"), 30),
    }
    fee = row.get("invoice_fee")
    if fee is not None:
        debt["fees_included_in_capital_to_claim"] = {"invoice_fee": _amount(fee)}
    return {key: value for key, value in debt.items() if value is not None}


def _amount(value: Any) -> Any:
    if isinstance(value, str):
        text = value.replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            return Decimal(text)
        except InvalidOperation:
            return value  # the SDK names the problem
    return value


def _whole(value: Any, default: int) -> Any:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value  # RFC 1123, or a problem the SDK names
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return value


def _flag(value: Any, id_number: str) -> Any:
    if value is None:  # inferred: organisation numbers have 20 or more in digits 3-4
        compact = compact_id_number(id_number)
        return len(compact) == 10 and compact.isdigit() and int(compact[2:4]) >= 20
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value
