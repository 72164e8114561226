"""Checks on values the API accepts, shared by the request models and the sandbox.

Each check returns ``None`` when the value is fine, or a short sentence saying
what is wrong, so that callers can collect every problem at once.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

__all__ = [
    "ISO_3166_ALPHA_2",
    "ISO_4217",
    "check_country",
    "check_currency",
    "check_e164",
    "check_email",
    "check_positive_amount",
    "check_swedish_id_number",
    "compact_id_number",
    "luhn_check_digit",
    "mask_id_number",
]

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
        return f"{currency!r} is not an ISO 4217 currency code (for example 'SEK')"
    return None


def check_country(country: str) -> str | None:
    """Check an ISO 3166-1 alpha-2 country code."""
    if country not in ISO_3166_ALPHA_2:
        return f"{country!r} is not an ISO 3166-1 alpha-2 country code (for example 'SE')"
    return None


def check_positive_amount(amount: Decimal) -> str | None:
    """Check that an amount is above zero with at most two decimals."""
    if not amount.is_finite() or amount <= 0:
        return f"must be greater than 0, got {amount}"
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return f"must have at most two decimals, got {amount}"
    return None


def check_e164(number: str) -> str | None:
    """Check a phone number in E.164 form (``+46709876543``)."""
    if not _E164.match(number):
        return f"{number!r} is not an E.164 phone number (for example '+46709876543')"
    return None


def check_email(email: str) -> str | None:
    """A light sanity check of an e-mail address."""
    if not _EMAIL.match(email):
        return f"{email!r} is not an e-mail address"
    return None
