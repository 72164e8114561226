"""httpx's failures as the SDK's errors, saying why in words a person can act on.

``could not connect to api.example.com: Name or service not known`` rather than
``ConnectError``. The reason comes from the operating system's error under
httpx's (``Connection refused``, a name that does not resolve, a timeout) and
never quotes a header: an httpx error's text holds no header values, and any
token value is masked all the same. Errors are built here, never raised, so
that no httpx exception (whose request carries the key) is chained to them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator

import httpx

from ._responses import unreadable
from .errors import AmiliError, ConnectError, RequestTimeoutError, TransportError

__all__ = ["failure_reason", "transport_failure"]

#: The longest reason quoted from an exception's text.
_MAX_REASON = 200


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, its causes and contexts, and the members of any exception group on the way."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(reversed(current.exceptions))
        for linked in (current.__context__, current.__cause__):
            if linked is not None:
                stack.append(linked)


def _os_reason(error: BaseException) -> str | None:
    """What the operating system said, deepest first: ``Connection refused``,
    ``Name or service not known``; ``None`` when no error in the chain has an errno."""
    found: str | None = None
    for linked in _chain(error):
        if not isinstance(linked, OSError) or not isinstance(linked.errno, int):
            continue
        if isinstance(linked, socket.gaierror) and linked.strerror:
            found = f"{linked.strerror} (the host name could not be resolved)"
        else:
            found = os.strerror(linked.errno)
    return found


def _clean(text: str, secrets: Iterable[str]) -> str:
    """One short line of ``text``, with every secret masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def failure_reason(error: httpx.HTTPError, secrets: Iterable[str] = ()) -> str:
    """Why ``error`` happened, for a message: the OS's reason, else httpx's text, else its type."""
    reason = _os_reason(error) or _clean(str(error), secrets)
    return reason or type(error).__name__


def _host(request: httpx.Request | None) -> str:
    if request is None:
        return "the API"
    url = request.url
    return f"{url.host}:{url.port}" if url.port is not None else url.host


def transport_failure(
    method: str,
    path: str,
    error: httpx.HTTPError,
    *,
    request: httpx.Request | None,
    replay_safe: bool,
    secrets: Iterable[str] = (),
) -> AmiliError:
    """The SDK's error for an httpx failure on ``method path`` (built, not raised)."""
    reason = failure_reason(error, secrets)
    if isinstance(error, httpx.PoolTimeout):
        return ConnectError(
            f"no free connection in the pool in time ({reason}); raise max_concurrency or limits=",
            method=method,
            path=path,
        )
    if isinstance(error, httpx.ConnectTimeout):
        return ConnectError(
            f"could not connect to {_host(request)}: timed out", method=method, path=path
        )
    if isinstance(error, httpx.ConnectError):
        return ConnectError(
            f"could not connect to {_host(request)}: {reason}", method=method, path=path
        )
    if isinstance(error, httpx.TimeoutException):
        name = type(error).__name__
        return RequestTimeoutError(f"no answer in time: {name}", method=method, path=path)
    if isinstance(error, httpx.DecodingError):
        # The body's compression is broken. A write's outcome is then unknown
        # (reconciled like a lost answer); a read's answer cannot be used.
        broken = "the answer's compressed body is broken"
        if not replay_safe:
            return TransportError(broken, method=method, path=path)
        return unreadable(broken, b"", status_code=None, method=method, path=path)
    return TransportError(
        f"connection failed after sending: {type(error).__name__} ({reason})",
        method=method,
        path=path,
    )
