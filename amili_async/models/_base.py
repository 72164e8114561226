"""Shared pieces of the models: open enums, Eve meta fields, request validation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, TypeVar

import attrs
from cattrs.errors import ClassValidationError, IterableValidationError

from .._serde import API_NAME, converter
from .._validation import (
    check_currency,
    check_positive_amount,
    check_request_datetime,
    check_text,
    mask_id_number,
)
from ..errors import RequestValidationError

T = TypeVar("T")


class OpenStrEnum(StrEnum):
    """A ``StrEnum`` that accepts values it does not know.

    The API may add a status or a transaction type at any time; parsing must
    not break when it does. An unknown value becomes a pseudo-member that
    compares equal to its string and is not listed among the members.
    """

    @classmethod
    def _missing_(cls, value: object) -> OpenStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member

    def is_known(self) -> bool:
        """Whether this value is one the SDK was built to know."""
        return self._value_ in type(self)._value2member_map_


E = TypeVar("E", bound=OpenStrEnum)


def as_enum(cls: type[E], value: object) -> E:
    """A request field's enum converter: a string becomes a member of ``cls``.

    The model's signature takes the member or its string value (a ``Literal``);
    an unknown string becomes a pseudo-member and anything else is kept as it
    is, for the model's own check to name.
    """
    return cls(value) if isinstance(value, str) else value  # type: ignore[return-value]


def as_tuple(value: object) -> Any:
    """A request field's list converter: any iterable of items becomes a tuple.

    A string, bytes, a mapping or a value that is not iterable is kept as it
    is, for the model's own check to name ("must be a list of ...").
    """
    if isinstance(value, tuple | str | bytes | Mapping) or not isinstance(value, Iterable):
        return value
    return tuple(value)


#: The one documented ``origin`` of a creditor action.
OriginValue = Literal["creditor_system"]


def as_origin(value: OriginValue) -> str:
    """A creditor action's ``origin``; typed so that a checker refuses any other value.

    The model checks it too (``must be 'creditor_system'``).
    """
    return value


def mask_optional(value: str | None) -> str:
    """``repr`` of an optional identity number, masked (for ``field(repr=...)``)."""
    return "None" if value is None else repr(mask_id_number(value))


def api_field(name: str, **kwargs: Any) -> Any:
    """An attrs field named differently in the API's JSON (Eve's ``_id`` is our ``id``)."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata[API_NAME] = name
    return attrs.field(metadata=metadata, **kwargs)


def issue_paths(error: BaseException, prefix: str, issues: dict[str, str]) -> None:
    """Add to ``issues`` each field a (cattrs) structuring error names, as a dotted path.

    Paths use the API's names (``_id``, not ``id``) and start with ``prefix``;
    an error that names no field is recorded under ``prefix`` (or ``?``).
    """
    if isinstance(error, RequestValidationError):
        for field, reason in error.issues.items():
            issues[f"{prefix}.{field}" if prefix else field] = reason
        return
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without_notes = error.group_exceptions()
        for inner, note in with_notes:
            step = getattr(note, "name", None)
            step = str(getattr(note, "index", "?")) if step is None else _api_name(error, step)
            issue_paths(inner, f"{prefix}.{step}" if prefix else step, issues)
        for inner in without_notes:
            issue_paths(inner, prefix, issues)
        return
    if isinstance(error, KeyError):
        issues[prefix or "?"] = "required field is missing"
        return
    reason = str(error) or type(error).__name__
    if isinstance(error, TypeError) and "argument" in reason:
        reason = "required field is missing"
    issues[prefix or "?"] = reason


def _api_name(error: BaseException, attribute: str) -> str:
    cls = getattr(error, "cl", None)
    if cls is not None and attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == attribute:
                return str(field.metadata.get(API_NAME, attribute))
    return attribute


def parse_request(cls: type[T], data: object) -> T:
    """Turn a request model or a plain mapping into a validated request model.

    Every problem is raised as one :class:`~amili_async.errors.RequestValidationError`
    whose ``issues`` name the fields, before anything is sent.
    """
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise RequestValidationError(
            {"": f"expected {cls.__name__} or a mapping, got {type(data).__name__}"},
            model=cls.__name__,
        )
    try:
        return converter.structure(data, cls)
    except RequestValidationError as error:
        raise RequestValidationError(error.issues, model=cls.__name__) from None
    except (ClassValidationError, IterableValidationError) as error:
        issues: dict[str, str] = {}
        issue_paths(error, "", issues)
        raise RequestValidationError(issues, model=cls.__name__) from None
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise RequestValidationError({"": str(error)}, model=cls.__name__) from None


class Issues:
    """Collects per-field problems in a request model's ``__attrs_post_init__``."""

    def __init__(self) -> None:
        self._issues: dict[str, str] = {}

    def add(self, field: str, reason: str | None) -> None:
        """Record ``reason`` for ``field`` unless it is ``None``."""
        if reason is not None:
            self._issues.setdefault(field, reason)

    def has(self, field: str) -> bool:
        """Whether a problem was recorded for ``field``."""
        return field in self._issues

    def any(self) -> bool:
        """Whether any problem was recorded."""
        return bool(self._issues)

    def raise_if_any(self, model: str) -> None:
        """Raise :class:`RequestValidationError` when anything was recorded."""
        if self._issues:
            raise RequestValidationError(self._issues, model=model)

    def require_text(self, field: str, value: object) -> None:
        """A required, non-blank string."""
        if not isinstance(value, str):
            self.add(field, f"must be a string, got {type(value).__name__}")
        elif not value.strip():
            self.add(field, "must not be empty")

    def optional_text(
        self, field: str, value: object, check: Callable[[str], str | None] | None = None
    ) -> None:
        """``None``, or a non-blank string that passes ``check``."""
        if value is None:
            return
        self.require_text(field, value)
        if check is not None and isinstance(value, str) and value.strip():
            self.add(field, check(value))

    def require_amount(self, field: str, value: object) -> None:
        """A ``Decimal`` amount: positive, sane, at most two decimals."""
        if not isinstance(value, Decimal):
            self.add(field, f"must be a Decimal amount, got {type(value).__name__}")
        else:
            self.add(field, check_positive_amount(value))

    def require_datetime(self, field: str, value: object) -> None:
        """A timezone-aware ``datetime`` the API can hold."""
        if not isinstance(value, datetime):
            self.add(field, f"must be a datetime, got {type(value).__name__}")
        else:
            self.add(field, check_request_datetime(value))

    def require_instance(self, field: str, value: object, cls: type, *, optional: bool) -> None:
        """An instance of ``cls`` (a nested part of the model), or ``None`` when optional."""
        if not (isinstance(value, cls) or (optional and value is None)):
            self.add(field, f"must be a {cls.__name__}, got {type(value).__name__}")

    def check_strings(self, model: attrs.AttrsInstance) -> None:
        """Every string field of ``model`` can be sent (no lone surrogate)."""
        for attribute in attrs.fields(type(model)):
            value = getattr(model, attribute.name)
            if isinstance(value, str):
                self.add(attribute.name, check_text(value))

    def require_currency(self, field: str, value: object) -> None:
        """An ISO 4217 currency code (``SEK``)."""
        self.require_text(field, value)
        if isinstance(value, str) and value:
            self.add(field, check_currency(value))

    def case_or_invoice_number(self, case: object, invoice_number: object) -> None:
        """Exactly one of ``case`` and ``invoice_number``, each a non-blank string when given."""
        if (case is None) == (invoice_number is None):
            self.add("case", "give exactly one of 'case' and 'invoice_number'")
        self.optional_text("case", case)
        self.optional_text("invoice_number", invoice_number)

    def require_origin(self, value: object) -> None:
        """``origin``: the only documented value is ``creditor_system``."""
        if value != "creditor_system":
            self.add("origin", "must be 'creditor_system'")


@attrs.frozen
class EveDocument:
    """Eve's meta fields, which every stored resource carries.

    ``id`` (``_id``) is always sent, even under a ``projection``; ``etag``
    (``_etag``, for ``If-Match``), ``created`` and ``updated`` (``_created``,
    ``_updated``, aware UTC) read as ``None`` when an answer leaves them out.
    """

    id: str = api_field("_id")
    etag: str | None = api_field("_etag", default=None)
    created: datetime | None = api_field("_created", default=None)
    updated: datetime | None = api_field("_updated", default=None)
