"""Checks on values the API accepts, shared by the request models and the sandbox.

Each check returns ``None`` when the value is fine, or a short sentence saying
what is wrong, so that callers can collect every problem at once.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

__all__ = [
    "EARLIEST_DATE",
    "ISO_3166_ALPHA_2",
    "ISO_4217",
    "LATEST_DATE",
    "MAX_AMOUNT",
    "MAX_DUE_DAYS",
    "MAX_ID_LENGTH",
    "MAX_QUERY_DEPTH",
    "MAX_QUERY_LENGTH",
    "check_country",
    "check_currency",
    "check_due_days",
    "check_e164",
    "check_email",
    "check_positive_amount",
    "check_query_value",
    "check_request_datetime",
    "check_resource_id",
    "check_swedish_id_number",
    "check_text",
    "compact_id_number",
    "luhn_check_digit",
    "mask_id_number",
    "shown",
]

#: Amounts must stay below this (a trillion kronor): far above any real debt, and
#: small enough that every amount with two decimals is exact in the API's storage.
MAX_AMOUNT = Decimal(10) ** 12

#: The window of dates a request may carry (UTC, inclusive). RFC 1123 writes a
#: four-digit year, and a due date or an interest period counted from a date near
#: the ends of Python's range would overflow on the server.
EARLIEST_DATE = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)

#: The most days after the invoice date a debt may fall due (ten years).
MAX_DUE_DAYS = 3650

#: The longest resource id accepted in a path (Amili's ids are 24 hex digits).
MAX_ID_LENGTH = 128

#: How deep a ``where`` filter (or any JSON query value) may nest.
MAX_QUERY_DEPTH = 32

#: The most characters of JSON a ``where`` or ``projection`` may take: servers
#: commonly refuse a request line over 4 to 8 KB.
MAX_QUERY_LENGTH = 8192

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlevel = 3

_CENT = Decimal("0.01")
_ID = re.compile(r"[A-Za-z0-9._~-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")

ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWL",
    ]
)

ISO_3166_ALPHA_2 = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def shown(value: object) -> str:
    """``repr`` of a value for a message: cut short, and safe on anything.

    A value nested thousands deep, an int too long to print or an object whose
    ``repr`` fails still gives a short description, never an exception.
    """
    try:
        return _REPR.repr(value)
    except Exception:  # a message must not fail, whatever the value's repr does
        return f"a {type(value).__name__} that cannot be shown"


def luhn_check_digit(digits: str) -> int:
    """The Luhn (mod 10) check digit for ``digits``, as used by Swedish ID and OCR numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def compact_id_number(id_number: str) -> str:
    """A Swedish personal or organisation number without its separators.

    ``"811218-9876"`` becomes ``"8112189876"``: the ``-`` or ``+`` before the
    last four digits and any spaces are dropped, so that two spellings of one
    number compare equal. Checks nothing: the request models check the number.
    """
    return id_number.replace("-", "").replace("+", "").replace(" ", "")


def check_swedish_id_number(id_number: str, *, is_company: bool | None = None) -> str | None:
    """Check a Swedish personal number (10 or 12 digits) or organisation number (10 digits).

    Accepts the usual separators (``-`` or ``+`` before the last four digits).
    The last digit is a Luhn check digit over the ten-digit form. A personal
    number must carry a real date of birth (or a co-ordination number, day + 60).
    """
    compact = compact_id_number(id_number)
    if not compact.isdigit() or not compact.isascii():
        return "must contain only digits (and an optional - or + separator)"
    if len(compact) not in (10, 12):
        return f"must have 10 or 12 digits, got {len(compact)}"
    if len(compact) == 12 and is_company:
        return "an organisation number has 10 digits"
    ten = compact[-10:]
    if luhn_check_digit(ten[:9]) != int(ten[9]):
        return "check digit does not match (not a valid Swedish personal or organisation number)"
    month, day = int(ten[2:4]), int(ten[4:6])
    looks_like_organisation = month >= 20
    if is_company and not looks_like_organisation:
        return "an organisation number has 20 or more in its third and fourth digits"
    if not looks_like_organisation:
        if day > 60:
            day -= 60  # co-ordination number
        year = int(compact[:4]) if len(compact) == 12 else 2000 + int(ten[:2])
        try:
            date(year, month, day)
        except ValueError:
            return "does not contain a valid date of birth"
    return None


def mask_id_number(id_number: str) -> str:
    """Mask a personal identity number for logs and reprs: ``19811218****``.

    Only the date part stays (and only for personal numbers); the last four
    digits, which identify the person, never appear.
    """
    compact = compact_id_number(id_number)
    if len(compact) <= 4:
        return "*" * len(compact)
    return compact[:-4] + "****"


def check_currency(currency: str) -> str | None:
    """Check an ISO 4217 alphabetic currency code."""
    if currency not in ISO_4217:
        return f"{shown(currency)} is not an ISO 4217 currency code (for example 'SEK')"
    return None


def check_country(country: str) -> str | None:
    """Check an ISO 3166-1 alpha-2 country code."""
    if country not in ISO_3166_ALPHA_2:
        return f"{shown(country)} is not an ISO 3166-1 alpha-2 country code (for example 'SE')"
    return None


def check_positive_amount(amount: Decimal) -> str | None:
    """Check that an amount is above zero, below :data:`MAX_AMOUNT`, with at most two decimals.

    Works on the number's digits and exponent, never on its full expansion:
    ``Decimal("1E-1000030")`` and ``Decimal("1E+999999")`` are refused at once.
    """
    if not amount.is_finite() or amount <= 0:
        return f"must be greater than 0, got {_short(amount)}"
    if amount >= MAX_AMOUNT:
        return f"must be less than {MAX_AMOUNT:,}, got {_short(amount)}"
    if amount != amount.quantize(_CENT, rounding=ROUND_DOWN):
        return f"must have at most two decimals, got {_short(amount)}"
    return None


def _short(amount: Decimal) -> str:
    """An amount for a message: as written, unless it is too long to show."""
    text = str(amount)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def check_text(value: str) -> str | None:
    """Check that a string can be sent: no lone surrogate (it has no UTF-8 encoding)."""
    if not value.isascii() and _SURROGATE.search(value):
        return "contains a lone surrogate (U+D800 to U+DFFF), which cannot be sent as UTF-8"
    return None


def check_request_datetime(value: datetime) -> str | None:
    """A datetime to send: timezone-aware, from :data:`EARLIEST_DATE` to :data:`LATEST_DATE`."""
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError, OverflowError) as error:
        return f"has an unusable time zone: {error}"
    if offset is None:
        return "must be timezone-aware (a naive datetime's zone would be a guess)"
    window = f"must be between {EARLIEST_DATE:%Y-%m-%d} and {LATEST_DATE:%Y-%m-%d} (UTC)"
    if not EARLIEST_DATE.year - 1 <= value.year <= LATEST_DATE.year + 1:
        return f"{window}, got {value.isoformat()}"
    if not EARLIEST_DATE <= value.astimezone(UTC) <= LATEST_DATE:
        return f"{window}, got {value.isoformat()}"
    return None


def check_due_days(days: int) -> str | None:
    """Check a number of days until a debt falls due: 0 to :data:`MAX_DUE_DAYS`."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DUE_DAYS:
        return f"must be a whole number of days from 0 to {MAX_DUE_DAYS}"
    return None


def check_resource_id(value: object) -> str | None:
    """Check an id that goes into a URL path.

    Only letters, digits and ``- . _ ~`` (URL-safe without escaping), at most
    :data:`MAX_ID_LENGTH` characters, and not ``.`` or ``..``: an id can never
    change which endpoint a request reaches.
    """
    if not isinstance(value, str):
        return f"must be a string id, got {type(value).__name__}"
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters, got {len(value)}"
    if not _ID.fullmatch(value):
        return f"{shown(value)} is not an id: use only letters, digits and - . _ ~"
    if value.strip(".") == "":
        return f"{shown(value)} is not an id"
    return None


def check_query_value(value: Any, *, depth: int = 0) -> str | None:
    """Check a JSON value for a query parameter (``where``) before it is encoded.

    Nesting at most :data:`MAX_QUERY_DEPTH` deep (checked without recursing
    further, so a value nested a million deep or one that contains itself is
    refused quickly), keys and strings that can be sent, finite numbers of
    sane size. Returns the first problem, or ``None``.
    """
    if depth > MAX_QUERY_DEPTH:
        return f"nests deeper than {MAX_QUERY_DEPTH} levels"
    if isinstance(value, str):
        return check_text(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if abs(value) < 2**63 else "holds a whole number beyond 64 bits"
    if isinstance(value, float | Decimal):
        return _check_query_number(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has a key that is not a string: {type(key).__name__}"
            problem = check_text(key) or check_query_value(item, depth=depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for item in value:
            problem = check_query_value(item, depth=depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, datetime):
        return check_request_datetime(value)
    return f"holds a {type(value).__name__}, which is not JSON"


def _check_query_number(value: float | Decimal) -> str | None:
    if isinstance(value, float):
        finite = value == value and abs(value) != float("inf")
    else:
        finite = value.is_finite() and -20 <= value.adjusted() < 20
        finite = finite and value.as_tuple().exponent >= -20  # type: ignore[operator]
    return None if finite else "holds a number that is not finite, or too long to send"


def check_e164(number: str) -> str | None:
    """Check a phone number in E.164 form (``+46709876543``)."""
    if not _E164.match(number):
        return f"{shown(number)} is not an E.164 phone number (for example '+46709876543')"
    return None


def check_email(email: str) -> str | None:
    """A light sanity check of an e-mail address."""
    if not _EMAIL.match(email):
        return f"{shown(email)} is not an e-mail address"
    return None
