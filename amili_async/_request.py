"""The generic request (``client.request``) and header checks: input refused before sending.

``client.request(method, path, ...)`` reaches an endpoint the SDK does not
cover, through the same pipeline as every service call. What it is given is
checked here first: a path relative to the client's base URL (no scheme, no
host, no ``..``, no query: use ``params=``), a known method, text parameters,
a JSON-able body, and headers that do not touch the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from ._pipeline import RequestSpec
from ._serde import dumps
from ._validation import shown
from .errors import ConfigurationError, RequestValidationError

__all__ = ["ANY_SUCCESS", "METHODS", "check_headers", "generic_spec"]

#: The methods ``client.request`` sends.
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

#: Methods replayed after a lost answer unless ``replay_safe=`` says otherwise.
_REPLAY_SAFE = frozenset({"GET"})

#: Every 2xx status.
ANY_SUCCESS = tuple(range(200, 300))

#: The header that carries the key: set by the SDK alone.
_KEY_HEADER = "x-api-key"

_MAX_PATH = 2000
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\?#]")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _path_problem(path: object) -> str | None:
    if not isinstance(path, str):
        return f"must be a string, got {type(path).__name__}"
    if not path.startswith("/") or path.startswith("//"):
        return "must be a path relative to the base URL, starting with one '/', e.g. '/cases'"
    if len(path) > _MAX_PATH:
        return f"must be at most {_MAX_PATH} characters"
    if _UNSAFE_IN_PATH.search(path) or "://" in path:
        return (
            "must not hold spaces, control characters, '\\', '?' or '#', or name a host "
            "(pass query parameters as params=)"
        )
    # Decoded first: '%2e%2e' is '..' to many servers, and '%2f' a '/'.
    segments = unquote(path).split("/")[1:]
    if any(segment in (".", "..") for segment in segments) or "" in segments[:-1]:
        return "must not hold '.', '..' or empty segments"
    return None


def _params(params: Mapping[str, Any] | None, issues: dict[str, str]) -> dict[str, str] | None:
    if params is None:
        return None
    if not isinstance(params, Mapping):
        issues["params"] = f"must be a mapping of names to values, got {type(params).__name__}"
        return None
    checked: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            issues["params"] = f"parameter names must be non-empty strings, got {shown(name)}"
        elif isinstance(value, bool) or not isinstance(value, str | int):
            issues[f"params.{name}"] = (
                f"must be a string or a whole number, got {type(value).__name__} "
                "(send JSON values such as where= as JSON text)"
            )
        else:
            checked[name] = str(value)
    return checked


def _expected(expected_status: int | Iterable[int]) -> tuple[int, ...] | None:
    statuses = (expected_status,) if isinstance(expected_status, int) else expected_status
    try:
        checked = tuple(statuses)
    except TypeError:
        return None
    if not checked or any(
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
        for status in checked
    ):
        return None
    return checked


def check_headers(
    headers: Mapping[str, str] | None, *, what: str, config: bool = False
) -> dict[str, str]:
    """``headers`` as a dict, each a valid name and a one-line text value, none the key's.

    Refused with :class:`~amili_async.ConfigurationError` when ``config`` (a
    client option), else with :class:`~amili_async.RequestValidationError`.
    """
    problems: dict[str, str] = {}
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        problems[what] = f"must be a mapping of header names to values, got {type(headers)}"
        headers = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            problems[what] = f"{shown(name)} is not a header name"
        elif name.lower() == _KEY_HEADER:
            problems[f"{what}.{name}"] = (
                "the SDK sets the key itself: pass api_key= or token_provider= instead"
            )
        elif not isinstance(value, str) or "\r" in value or "\n" in value:
            problems[f"{what}.{name}"] = "must be a one-line string"
    if problems and config:
        raise ConfigurationError("; ".join(f"{key}: {text}" for key, text in problems.items()))
    if problems:
        raise RequestValidationError(problems)
    return dict(headers)


def generic_spec(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None,
    json: Any,
    headers: Mapping[str, str] | None,
    replay_safe: bool | None,
    expected_status: int | Iterable[int] | None,
) -> RequestSpec:
    """The :class:`RequestSpec` of ``client.request``, or :class:`RequestValidationError`."""
    issues: dict[str, str] = {}
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        issues["method"] = f"must be one of {', '.join(sorted(METHODS))}, got {shown(method)}"
    problem = _path_problem(path)
    if problem is not None:
        issues["path"] = problem
    query = _params(params, issues)
    statuses = ANY_SUCCESS if expected_status is None else _expected(expected_status)
    if statuses is None:
        issues["expected_status"] = "must be an HTTP status (100-599) or a non-empty list of them"
    if json is not None:
        try:
            dumps(json)
        except (TypeError, ValueError, RecursionError) as error:
            issues["json"] = f"cannot be sent as JSON: {error}"
    if replay_safe is not None and not isinstance(replay_safe, bool):
        issues["replay_safe"] = "must be True, False or None"
    if issues:
        raise RequestValidationError(issues, model="request")
    return RequestSpec(
        verb,
        path,
        params=query or None,
        json=json,
        headers=check_headers(headers, what="headers") or None,
        replay_safe=verb in _REPLAY_SAFE if replay_safe is None else replay_safe,
        expected_status=statuses or ANY_SUCCESS,
    )
