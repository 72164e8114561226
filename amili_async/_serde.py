"""Everything between Python values and the API's JSON, in one place.

* RFC 1123 dates (``Mon, 07 Jul 2025 00:00:00 GMT``) <-> timezone-aware UTC
  :class:`~datetime.datetime`.
* JSON numbers <-> :class:`~decimal.Decimal`, exactly: responses are parsed with
  ``parse_float=Decimal`` and requests are written by :func:`dumps`, which
  prints a ``Decimal`` as the number it is (never through ``float``).
* The cattrs :data:`converter` that turns JSON into the attrs models and back,
  renaming Eve's meta fields (``_id`` <-> ``id``) and tolerating unknown keys.

The sandbox uses the same functions, so both sides agree by construction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from json.encoder import encode_basestring as _quote
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._validation import shown

__all__ = [
    "API_NAME",
    "converter",
    "dumps",
    "format_http_date",
    "loads",
    "parse_http_date",
    "to_decimal",
]

T = TypeVar("T")

#: attrs field metadata key: the field's name in the API's JSON when it differs.
API_NAME = "amili_api_name"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name: number for number, name in enumerate(_MONTHS, start=1)}
_MONTH_DIGITS = {name: f"{number:02d}" for name, number in _MONTH_NUMBER.items()}
#: The most digits before or after the point :func:`dumps` writes for a ``Decimal``.
_MAX_DIGITS = 100

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_http_date(value: datetime | date) -> str:
    """Format as RFC 1123 in GMT: ``Mon, 07 Jul 2025 00:00:00 GMT``.

    A naive ``datetime`` is refused (its zone would be a guess); a ``date`` means
    midnight UTC of that day.
    """
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone; use an aware one")
    else:
        value = value.astimezone(UTC)
    return (
        f"{_WEEKDAYS[value.weekday()]}, {value.day:02d} {_MONTHS[value.month - 1]} "
        f"{value.year:04d} {value.hour:02d}:{value.minute:02d}:{value.second:02d} GMT"
    )


def parse_http_date(text: str) -> datetime:
    """Parse an RFC 1123 date in GMT into an aware UTC ``datetime``.

    Strict on shape (the API always sends this one form) but lenient on the
    weekday name, which carries no information. The same few dates repeat
    within a case and across a page, so parsed dates are kept in a bounded
    cache (``datetime`` is immutable; a refused text is never cached).
    """
    if type(text) is not str:
        raise ValueError(f"not an RFC 1123 date: {shown(text)}")
    return _parse_http_date_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_http_date_cached(text: str) -> datetime:
    parts = text.split()
    # Fast path for the form the API sends ("Mon, 07 Jul 2025 00:00:00 GMT"), handed
    # to the C ISO parser; anything else, or an impossible date, takes the general
    # path below, which gives the same result or the friendly error.
    if len(parts) == 6 and parts[5] == "GMT":
        _, day_text, month_name, year_text, clock, _ = parts
        month_digits = _MONTH_DIGITS.get(month_name)
        if (
            month_digits is not None
            and len(day_text) == 2
            and len(year_text) == 4
            and len(clock) == 8
            and clock[2] == clock[5] == ":"
            and clock < "24"
        ):
            try:
                return datetime.fromisoformat(
                    f"{year_text}-{month_digits}-{day_text}T{clock}+00:00"
                )
            except ValueError:
                pass
    try:
        if len(parts) != 6 or parts[5] not in ("GMT", "UTC", "+0000"):
            raise ValueError
        day, month, year = int(parts[1]), _MONTH_NUMBER[parts[2].title()], int(parts[3])
        hour_text, minute_text, second_text = parts[4].split(":")
        return datetime(
            year, month, day, int(hour_text), int(minute_text), int(second_text), tzinfo=UTC
        )
    except (ValueError, KeyError, OverflowError):
        raise ValueError(
            f"not an RFC 1123 date: {shown(text)} (expected like 'Mon, 07 Jul 2025 00:00:00 GMT')"
        ) from None


def to_decimal(value: object) -> Decimal:
    """Turn a JSON number (or its text) into an exact ``Decimal``.

    A ``float`` goes through its shortest ``repr``, so ``0.1`` becomes
    ``Decimal('0.1')``, not the binary artefact. ``bool`` is refused: ``True`` is
    not an amount.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {shown(value)}") from None
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"amount must be finite, got {shown(value)}")
    return result


def loads(data: str | bytes) -> Any:
    """Parse JSON with every fractional number as an exact ``Decimal``."""
    return json.loads(data, parse_float=Decimal)


def _encode(value: Any, out: list[str]) -> None:
    # Strings go straight to the C function ``json.dumps(value, ensure_ascii=False)``
    # ends up calling (json.dumps would build a new encoder for every one of them).
    if isinstance(value, str):
        out.append(_quote(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))  # what json.dumps writes, for int subclasses too
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite amount: {value}")
        if value.adjusted() > _MAX_DIGITS or value.as_tuple().exponent < -_MAX_DIGITS:  # type: ignore[operator]
            # The request models never get here; this keeps anything else from
            # writing a number millions of digits long.
            raise ValueError(f"cannot send a number this long: {shown(value)}")
        # Positional notation, never exponent: the API expects plain numbers.
        out.append(format(value, "f"))
    elif isinstance(value, float):
        out.append(repr(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_quote(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """Write JSON, printing each ``Decimal`` exactly as a JSON number."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode()


def _structure_datetime(value: Any, _: type) -> datetime:
    if type(value) is str:  # what the API sends; checked first because it is the usual case
        return parse_http_date(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime has no time zone; use an aware one")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise TypeError(f"expected an RFC 1123 date string, got {type(value).__name__}")
    return parse_http_date(value)


def _structure_decimal(value: Any, _: type) -> Decimal:
    # What ``loads`` produces (a Decimal or a plain int) skips the general checks.
    kind = type(value)
    if kind is Decimal and value.is_finite():
        return value  # type: ignore[no-any-return]
    if kind is int:
        return Decimal(value)
    return to_decimal(value)


def _structure_enum(value: Any, cls: type[Enum]) -> Enum:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return cls(value)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, Decimal | float) and _is_whole(value):
            return int(value)
        raise TypeError(f"expected a whole number, got {shown(value)}")
    return value


def _is_whole(value: Decimal | float) -> bool:
    """Whether ``value`` is a whole number of sane size, checked without ``int()``.

    ``int(Decimal("1E+999999999"))`` would build a number of a billion digits;
    no count or size the API sends comes near 10**20.
    """
    if isinstance(value, float):
        return value.is_integer() and abs(value) < 1e20
    return value.is_finite() and value.adjusted() < 20 and value == value.to_integral_value()


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {shown(value)}")
    return value


def _optional_inner(cls: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``); ``None`` for any other type."""
    if get_origin(cls) not in (Union, UnionType):
        return None
    args = get_args(cls)
    if len(args) != 2 or NoneType not in args:
        return None
    return args[0] if args[1] is NoneType else args[1]


def _homogeneous_item(cls: Any) -> Any:
    """``X`` for ``tuple[X, ...]`` with a concrete ``X``; ``None`` for any other type."""
    if get_origin(cls) is not tuple:
        return None
    args = get_args(cls)
    if len(args) != 2 or args[1] is not Ellipsis or args[0] is Any:
        return None
    return args[0]


def _optional_structure_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[..., Any]]:
    """``X | None`` with ``X``'s hook looked up once, not dispatched again for every value.

    Same result as cattrs' generic optional handling, which resolves the hook
    of ``X`` on each call.
    """

    def factory(union: Any) -> Callable[..., Any]:
        inner = _optional_inner(union)
        hook = conv.get_structure_hook(inner)
        # The leaf types models are full of skip the second call for the values
        # the API sends (returning what the hook would return for them anyway).
        if inner is str:

            def structure_optional_str(value: Any, _: Any) -> Any:
                if value is None or type(value) is str:
                    return value
                return hook(value, inner)

            return structure_optional_str
        if inner is Decimal and hook is _structure_decimal:

            def structure_optional_decimal(value: Any, _: Any) -> Any:
                if value is None:
                    return None
                if type(value) is Decimal and value.is_finite():
                    return value
                return _structure_decimal(value, inner)

            return structure_optional_decimal
        if inner is datetime and hook is _structure_datetime:

            def structure_optional_datetime(value: Any, _: Any) -> Any:
                if value is None:
                    return None
                if type(value) is str:
                    return parse_http_date(value)
                return _structure_datetime(value, inner)

            return structure_optional_datetime
        if isinstance(inner, type) and issubclass(inner, Enum):
            members = inner._value2member_map_

            def structure_optional_enum(value: Any, _: Any) -> Any:
                # A known value is the member ``inner(value)`` would look up; anything
                # else (unknown values of open enums, wrong types) goes to the hook.
                if value is None:
                    return None
                if type(value) is str:
                    member = members.get(value)
                    if member is not None:
                        return member
                return hook(value, inner)

            return structure_optional_enum

        def structure_optional(value: Any, _: Any) -> Any:
            if value is None:
                return None
            return hook(value, inner)

        return structure_optional

    return factory


def _tuple_structure_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[..., Any]]:
    """``tuple[X, ...]`` with ``X``'s hook looked up once.

    A JSON list whose items all convert takes the fast path; anything else
    (another iterable, or an item that fails) goes through cattrs' own tuple
    handling, so errors carry exactly the same per-index detail as before.
    A string or an object is refused rather than read as the sequence of its
    characters or keys.
    """
    general = conv.get_structure_hook(tuple[object, ...])

    def factory(tup: Any) -> Callable[..., Any]:
        item = _homogeneous_item(tup)
        hook = conv.get_structure_hook(item)

        def structure_tuple(value: Any, _: Any) -> Any:
            if type(value) is list or type(value) is tuple:
                try:
                    return tuple([hook(element, item) for element in value])
                except Exception:  # redone below, for cattrs' detailed error
                    pass
            elif isinstance(value, str | bytes | Mapping):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            return general(value, tup)

        return structure_tuple

    return factory


def _attrs_structure_factory(conv: cattrs.Converter) -> Callable[[type[Any]], Callable[..., Any]]:
    def factory(cls: type[Any]) -> Callable[..., Any]:
        overrides = {
            field.name: override(rename=field.metadata[API_NAME])
            for field in attrs.fields(cls)
            if API_NAME in field.metadata
        }
        structure = make_dict_structure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

        def structure_object(value: Any, target: Any) -> Any:
            # cattrs would look keys up with ``in``, reading a list or a string as an
            # object with every field missing.
            if type(value) is not dict and not isinstance(value, Mapping):
                raise TypeError(f"expected a JSON object, got {type(value).__name__}")
            return structure(value, target)

        return structure_object

    return factory


def _attrs_unstructure_factory(conv: cattrs.Converter) -> Callable[[type[Any]], Callable[..., Any]]:
    def factory(cls: type[Any]) -> Callable[..., Any]:
        overrides = {
            field.name: override(rename=field.metadata[API_NAME], omit_if_default=True)
            if API_NAME in field.metadata
            else override(omit_if_default=field.default is None)
            for field in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)  # type: ignore[arg-type]

    return factory


def make_converter() -> cattrs.Converter:
    """Build the converter used for every model (one per process is enough)."""
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, format_http_date)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, lambda value: value)
    # A StrEnum is also a str: registering the enum hook on StrEnum, which comes before
    # str in every StrEnum's MRO, keeps enums out of the strict str hook.
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(StrEnum, _structure_enum)
    conv.register_structure_hook(Enum, _structure_enum)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_unstructure_hook_func(
        lambda cls: isinstance(cls, type) and issubclass(cls, Enum), lambda member: member.value
    )
    # Pre-resolved hooks for the two generic shapes every model is full of.
    conv.register_structure_hook_factory(
        lambda cls: _optional_inner(cls) is not None, _optional_structure_factory(conv)
    )
    conv.register_structure_hook_factory(
        lambda cls: _homogeneous_item(cls) is not None, _tuple_structure_factory(conv)
    )
    conv.register_structure_hook_factory(attrs.has, _attrs_structure_factory(conv))
    conv.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_factory(conv))
    return conv


#: The one converter the SDK and the sandbox share.
converter = make_converter()
