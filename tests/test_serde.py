"""Dates and amounts: RFC 1123 <-> aware UTC datetimes, JSON numbers <-> exact Decimals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amili_async._serde import dumps, format_http_date, loads, parse_http_date, to_decimal

aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
).map(lambda value: value.replace(microsecond=0))


def test_documented_date_parses_to_aware_utc() -> None:
    parsed = parse_http_date("Mon, 07 Jul 2025 00:00:00 GMT")
    assert parsed == datetime(2025, 7, 7, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_other_zones_are_written_in_gmt() -> None:
    stockholm_summer = timezone(timedelta(hours=2))
    value = datetime(2025, 9, 3, 10, 0, 0, tzinfo=stockholm_summer)
    assert format_http_date(value) == "Wed, 03 Sep 2025 08:00:00 GMT"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_http_date(datetime(2025, 7, 7))


@pytest.mark.parametrize(
    "text", ["2025-07-07", "Mon, 07 Jul 2025 00:00:00", "Mon, 07 Foo 2025 00:00:00 GMT", ""]
)
def test_malformed_dates_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 1123"):
        parse_http_date(text)


@given(aware_datetimes)
def test_rfc1123_round_trip(value: datetime) -> None:
    text = format_http_date(value)
    assert text.endswith(" GMT")
    assert parse_http_date(text) == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2000", Decimal("2000")), ("14.0", Decimal("14.0")), ("0.1", Decimal("0.1")), ("0", 0)],
)
def test_json_amounts_parse_exactly(raw: str, expected: Decimal) -> None:
    value = loads(f'{{"amount": {raw}}}')["amount"]
    assert to_decimal(value) == expected
    assert str(to_decimal(value)) == raw
    assert dumps({"amount": to_decimal(value)}) == f'{{"amount":{raw}}}'.encode()


def test_float_input_goes_through_its_shortest_repr() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(0.1) + to_decimal(0.2) == Decimal("0.3")
    assert to_decimal(2050.0) == Decimal("2050.0")


@pytest.mark.parametrize("bad", [True, None, "abc", float("nan"), [1]])
def test_non_amounts_are_refused(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        to_decimal(bad)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12
    )
)
def test_decimal_json_round_trip(amount: Decimal) -> None:
    written = dumps({"amount": amount})
    assert "e" not in written.decode().lower()
    read = loads(written)["amount"]
    assert to_decimal(read) == amount
    assert not isinstance(read, float)


def test_dumps_writes_text_and_nesting() -> None:
    assert dumps({"a": ["x", 1, None, True, {"b": Decimal("1.50")}]}) == (
        b'{"a":["x",1,null,true,{"b":1.50}]}'
    )
    assert dumps({"name": 'Åsa "q"'}) == '{"name":"Åsa \\"q\\""}'.encode()
