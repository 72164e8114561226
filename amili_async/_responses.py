"""Reading what the API answers: body bytes -> JSON -> model, or a typed error.

Strict on what the SDK sends, tolerant of what it receives: fields the API
adds, fields a projection leaves out and values the SDK does not know yet all
read fine. What cannot be read at all (HTML, broken or empty JSON, invalid
UTF-8, absurd nesting, JSON of the wrong shape) raises one error,
:class:`~amili_async.errors.ResponseValidationError`, and nothing else:

* :func:`decode_json` turns a body into JSON;
* :func:`structure_response` turns JSON into a response model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import msgspec
from cattrs.errors import BaseValidationError

from ._serde import converter
from .errors import ResponseValidationError
from .models._base import issue_paths

__all__ = [
    "BODY_START_LENGTH",
    "body_start",
    "decode_error_body",
    "decode_json",
    "structure_response",
    "unreadable",
]

T = TypeVar("T")

#: How many characters of an unreadable body an error shows.
BODY_START_LENGTH = 200

#: Methods whose success means something changed on the server.
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: The fast JSON reader: every fractional number an exact ``Decimal``, as
#: ``json.loads(parse_float=Decimal)`` gives it, at about half the cost.
_FAST_DECODER = msgspec.json.Decoder(float_hook=Decimal)

#: What the fast reader raises for a body it does not take: the standard reader
#: then reads it (a BOM, ``NaN``, a lone surrogate) or says exactly what is wrong.
_FAST_DECODER_REFUSALS = (msgspec.DecodeError, ValueError, RecursionError)

#: Statuses whose body is empty by definition.
_NO_CONTENT = frozenset({204, 304})

# Everything that turning data the server sent into a model can raise. A reply the
# server sent must never reach the caller as one of these, only as a typed error.
_STRUCTURE_ERRORS = (
    BaseValidationError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    ArithmeticError,
    RecursionError,
)


def decode_json(
    content: bytes,
    *,
    status_code: int,
    method: str,
    path: str,
    content_type: str | None = None,
    secrets: Iterable[str] = (),
    landed: bool | None = None,
) -> Any:
    """The JSON value of a response body; every fractional number an exact ``Decimal``.

    ``content`` is the (already decompressed) body; ``status_code``, ``method``
    and ``path`` describe the exchange for the error message, ``content_type``
    is the response's ``Content-Type`` header (used only to say what came
    instead of JSON). ``secrets`` are strings that must never appear in an
    error (pass the request's ``X-API-Key``); they are masked in the quoted
    body. ``landed`` says whether the request took effect; by default a
    success status to a write means it did.

    A 204 or 304 gives ``None``. Raises
    :class:`~amili_async.errors.ResponseValidationError` for an empty body
    where JSON is expected, invalid UTF-8, HTML or XML, broken JSON and
    absurd nesting. JSON's ``NaN`` and ``Infinity`` are read as the
    non-finite ``Decimal`` values, which every amount field then refuses:
    they fail the field that holds them, not the whole answer.
    """
    if status_code in _NO_CONTENT:
        return None
    try:
        return _FAST_DECODER.decode(content)
    except _FAST_DECODER_REFUSALS:
        pass
    reason: str
    try:
        text = content.decode("utf-8-sig")  # RFC 8259: UTF-8; a stray BOM is tolerated
    except UnicodeDecodeError as error:
        reason = f"the body is not valid UTF-8 ({error.reason} at byte {error.start})"
    else:
        if not text.strip():
            reason = "the body is empty where JSON was expected"
        else:
            try:
                return json.loads(text, parse_float=Decimal, parse_constant=Decimal)
            except RecursionError:
                reason = "the JSON is nested too deeply to read"
            except ValueError as error:
                reason = _not_json_reason(text, content_type, error)
    raise unreadable(
        reason,
        content,
        status_code=status_code,
        method=method,
        path=path,
        landed=landed,
        secrets=secrets,
    )


def decode_error_body(content: bytes) -> Any:
    """The JSON of an error answer, or ``None`` when it has none that can be read.

    For error statuses, where the status itself is the news and the body only
    adds the API's message: an HTML error page gives ``None``, never an error.
    """
    try:
        return json.loads(content.decode("utf-8-sig"), parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def structure_response(
    data: Any,
    model: type[T],
    *,
    status_code: int | None = 200,
    method: str = "GET",
    path: str = "",
    landed: bool | None = None,
    secrets: Iterable[str] = (),
    hook: Callable[[Any, Any], T] | None = None,
    at: str = "",
) -> T:
    """``data`` (parsed JSON) as a ``model`` instance, or a typed error.

    Unknown fields are ignored and missing optional fields read as ``None``.
    Anything the converter cannot turn into ``model`` (a list or a string
    where an object is expected, a text where a number is, a broken date)
    raises :class:`~amili_async.errors.ResponseValidationError` whose
    ``issues`` name the fields (dotted, in the API's names, prefixed by
    ``at``: where in the body ``data`` sits, e.g. ``_items.3``). ``hook`` is
    the model's structure function when the caller has looked it up already.
    The other arguments are as for :func:`decode_json`.
    """
    issues: dict[str, str] = {}
    if type(data) is not dict and attrs.has(model) and not isinstance(data, Mapping):
        issues[at] = f"expected a JSON object, got {_json_type(data)}"
    else:
        try:
            structure = hook if hook is not None else converter.get_structure_hook(model)
            return structure(data, model)
        except _STRUCTURE_ERRORS as error:
            issue_paths(error, at, issues)
    details = "; ".join(f"{field}: {why}" if field else why for field, why in issues.items())
    raise unreadable(
        f"the answer is not a {model.__name__} ({details})",
        data,
        status_code=status_code,
        method=method,
        path=path,
        landed=landed,
        secrets=secrets,
        issues=issues,
    )


def unreadable(
    reason: str,
    data: Any,
    *,
    status_code: int | None,
    method: str,
    path: str,
    landed: bool | None = None,
    secrets: Iterable[str] = (),
    issues: Mapping[str, str] | None = None,
) -> ResponseValidationError:
    """The error for an answer that cannot be used, quoting its start.

    ``data`` is the raw body (``bytes``) or the parsed JSON; the other
    arguments are as for :func:`structure_response`, and ``issues`` names
    the fields at fault, when known.
    """
    return ResponseValidationError(
        reason,
        status_code=status_code,
        method=method,
        path=path,
        body_start=_preview(data, secrets),
        landed=_landed(method, status_code) if landed is None else landed,
        issues=issues,
    )


def body_start(content: bytes, secrets: Iterable[str] = ()) -> str:
    """The first :data:`BODY_START_LENGTH` characters of ``content``, with ``secrets`` masked."""
    wanted = [secret for secret in secrets if secret]
    longest = max((len(secret) for secret in wanted), default=0)
    # Mask in a window long enough to hold any secret that starts inside the shown part.
    window = content[: 4 * (BODY_START_LENGTH + longest)].decode("utf-8", errors="replace")
    for secret in wanted:
        window = window.replace(secret, "***")
    return window[:BODY_START_LENGTH]


def _preview(data: Any, secrets: Iterable[str]) -> str:
    if isinstance(data, bytes):
        return body_start(data, secrets)
    try:
        text = json.dumps(data, default=str, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = f"<{_json_type(data)}>"
    return body_start(text.encode(), secrets)


def _not_json_reason(text: str, content_type: str | None, error: ValueError) -> str:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if "html" in media_type or text.lstrip()[:1] == "<":
        kind = "XML" if "xml" in media_type or text.lstrip().startswith("<?xml") else "HTML"
        return f"the body is {kind}, not JSON"
    return f"the body is not valid JSON ({error})"


def _landed(method: str, status_code: int | None) -> bool:
    success = status_code is not None and 200 <= status_code < 300
    return success and method.upper() in _WRITE_METHODS


def _json_type(value: Any) -> str:
    if value is None:
        return "nothing (null or an empty body)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__
