"""The columns of the files the commands read: each row (or group of rows) becomes a body.

``register``: one customer's rows become one registration; ``credit`` and
``cancel``: one row, one crediting or cancellation; ``invoices register``: one
row, one invoice (or a JSON line that is already an invoice body).

Values are converted only where the file's spelling differs from the API's
(``2025-07-07``, a decimal comma, ``yes``/``no``); anything that does not
convert is passed on as it is, so that the SDK's request validation names the
problem with the field it belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from amili_async import compact_id_number

__all__ = ["cancellation", "column", "crediting", "invoice", "registration"]

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


def _case_target(row: Mapping[str, Any], creditor: str | None) -> dict[str, Any]:
    """``creditor`` and the case: by ``case`` id, else by ``invoice_number``."""
    target: dict[str, Any] = {"creditor": column(row, "creditor") or creditor or ""}
    for key in ("case", "invoice_number"):
        if row.get(key) is not None:
            target[key] = str(column(row, key))
    return target


def crediting(row: Mapping[str, Any], account: str | None, creditor: str | None) -> dict[str, Any]:
    """The crediting of one ``credit`` row."""
    body = {
        "account": column(row, "account") or account or "",
        **_case_target(row, creditor),
        "amount": _amount(row.get("amount")),
        "currency": column(row, "currency") or "SEK",
        "creditor_reference": column(row, "creditor_reference"),
        "credit_invoice": column(row, "credit_invoice"),
        "client_registration_date": _date(column(row, "client_registration_date")),
    }
    return {key: value for key, value in body.items() if value is not None}


def cancellation(row: Mapping[str, Any], creditor: str | None) -> dict[str, Any]:
    """The cancellation of one ``cancel`` row."""
    return _case_target(row, creditor)


def invoice(row: Mapping[str, Any], account: str | None, creditor: str | None) -> dict[str, Any]:
    """The invoice of one ``invoices register`` row (a JSON line with ``matrix`` is the body)."""
    scope = {
        "account": column(row, "account") or account or "",
        "creditor": column(row, "creditor") or creditor or "",
    }
    if isinstance(row.get("matrix"), list):
        body = {**scope, **row}
        for key in ("invoice_date", "invoice_delivery_date", "invoice_due_date"):
            if key in body:
                body[key] = _date(body[key])
        return body
    invoice_date = _date(column(row, "invoice_date"))
    due = _date(column(row, "due_date"))
    days = _whole(row.get("due_days"), 30)
    if due is None and isinstance(invoice_date, datetime) and isinstance(days, int):
        due = invoice_date + timedelta(days=days)
    body = {
        **scope,
        "customer": _invoice_customer(row),
        "invoice_type": "invoice",
        "invoice_number": column(row, "invoice_number"),
        "invoice_date": invoice_date,
        "invoice_due_date": due,
        "debt_description": column(row, "debt_description"),
        "currency": column(row, "currency") or "SEK",
        "matrix": [_invoice_row(row)],
    }
    for optional in _INVOICE_OPTIONAL:
        if row.get(optional) is not None:
            body[optional] = column(row, optional)
    return {key: value for key, value in body.items() if value is not None}


_INVOICE_OPTIONAL = (
    "reference_number",
    "payout_reference",
    "invoice_headline",
    "invoice_body_text",
    "your_contact",
    "your_reference",
    "our_reference",
)


def _invoice_customer(row: Mapping[str, Any]) -> dict[str, Any]:
    customer = _customer(row)
    is_company = customer.pop("is_company", False)
    kind = str(column(row, "customer_type") or ("company" if is_company is True else "person"))
    for flag in ("person", "company", "foreign"):
        customer[f"is_{flag}"] = kind.lower() == flag
    if kind.lower() == "foreign" and not customer.get("id_number"):
        customer.pop("id_number", None)
    if row.get("customer_number") is not None:
        customer["customer_number"] = str(column(row, "customer_number"))
    return customer


def _invoice_row(row: Mapping[str, Any]) -> dict[str, Any]:
    price = _amount(row.get("unit_price"))
    units = _amount(row.get("number_of_units"))
    total = _amount(row.get("total_price_excluding_vat"))
    if total is None and isinstance(price, Decimal):
        count = units if isinstance(units, Decimal) else Decimal(1)
        total = (price * count).quantize(Decimal("0.01"), ROUND_HALF_UP)
    vat = column(row, "unit_vat_percent") or "25%"
    body = {
        "article_description": column(row, "article_description"),
        "unit_price": price,
        "number_of_units": units,
        "total_price_excluding_vat": total,
        "unit_vat_percent": vat if str(vat).endswith("%") else f"{vat}%",
    }
    return {key: value for key, value in body.items() if value is not None}
