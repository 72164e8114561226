"""Every error the SDK raises, in one tree.

::

    AmiliError
    ├── ConfigurationError            the client was set up wrongly (also a ValueError)
    ├── RequestValidationError        input refused before anything was sent (also a ValueError)
    ├── PreviouslyFailedError         a bulk job's journal says this item failed in an earlier run
    ├── WaitTimeoutError              ``cases.wait_for`` gave up (also a builtin TimeoutError)
    ├── TransportError                no usable HTTP answer
    │   ├── ConnectError              could not connect: the request was never sent
    │   ├── RequestTimeoutError       no answer in time
    │   └── OutcomeUnknownError       a write was sent, and whether it landed cannot be established
    └── APIStatusError                the API answered with an error status
        ├── BadRequestError           400
        ├── AuthenticationError       401
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        ├── ConflictError             409, 412, 428 (ETag / precondition)
        ├── UnprocessableEntityError  422, with the API's per-field ``issues``
        ├── RateLimitError            429, with ``retry_after``
        └── ServerError               5xx, with ``retry_after`` when the API gave one

Each error says what happened and, where it can, what to do. None of them ever
carries an API key or token: requests are described by method and path only.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIStatusError",
    "AmiliError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PreviouslyFailedError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ServerError",
    "TransportError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
]


class AmiliError(Exception):
    """Base class of every error raised by amili-async."""


class ConfigurationError(AmiliError, ValueError):
    """The client was configured in a way that cannot work (for example ``http://`` to a remote
    host)."""


class RequestValidationError(AmiliError, ValueError):
    """Input was refused before anything was sent.

    ``issues`` maps each bad field, as a dotted path in the API's own style
    (``customer.id_number``, ``debts.0.capital_to_claim``), to the reason.
    """

    def __init__(self, issues: Mapping[str, str], model: str | None = None) -> None:
        self.issues: dict[str, str] = dict(issues)
        self.model = model
        where = f" in {model}" if model else ""
        details = "; ".join(f"{field}: {reason}" for field, reason in self.issues.items())
        super().__init__(f"invalid input{where}: {details}")


class PreviouslyFailedError(AmiliError):
    """A bulk job's journal says this item failed in an earlier run, so it was not sent again.

    ``error_type`` and ``reason`` are what the earlier run recorded. Rerun with
    ``retry_failed=True`` (``--retry-failed`` on the command line) to try it
    again; the SDK then looks it up before re-sending it.
    """

    def __init__(self, error_type: str, reason: str) -> None:
        self.error_type = error_type
        self.reason = reason
        super().__init__(
            f"failed in an earlier run ({error_type}: {reason}); "
            "pass retry_failed=True to try it again"
        )


class WaitTimeoutError(AmiliError, builtins.TimeoutError):
    """``cases.wait_for`` gave up: the case did not get where it was awaited in time.

    ``case_id`` names the case and ``last`` is the case as last seen (``None``
    if it could never be read).
    """

    def __init__(self, message: str, *, case_id: str, last: Any = None) -> None:
        self.case_id = case_id
        self.last = last
        super().__init__(message)


class TransportError(AmiliError):
    """No usable HTTP answer came back. ``method`` and ``path`` name the request."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{message} ({method} {path})")


class ConnectError(TransportError):
    """The connection could not be made, so the request was never sent."""


class RequestTimeoutError(TransportError):
    """No answer arrived within the configured timeout."""


class OutcomeUnknownError(TransportError):
    """A write was sent and no answer came, and the SDK could not find out whether it landed.

    The request was *not* sent again, so nothing was duplicated; but it may or
    may not exist on the server. ``request_body`` holds what was sent so that
    the caller can look it up or retry deliberately. ``reason`` says what went
    wrong on the wire.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request_body: Any = None,
        reason: str = "",
    ) -> None:
        self.request_body = request_body
        self.reason = reason
        super().__init__(message, method=method, path=path)


class APIStatusError(AmiliError):
    """The API answered with an error status.

    ``status_code`` is the HTTP status, ``message`` the API's own message,
    ``issues`` its per-field issues (for 422), ``method`` and ``path`` the
    request, ``body`` the parsed error body.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str,
        path: str,
        issues: Mapping[str, Any] | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.method = method
        self.path = path
        self.issues: dict[str, Any] = dict(issues or {})
        self.body = body
        self.retry_after = retry_after
        text = f"{status_code} from {method} {path}: {message}"
        if self.issues:
            text += " — " + "; ".join(f"{field}: {reason}" for field, reason in self.issues.items())
        super().__init__(text)


class BadRequestError(APIStatusError):
    """400: the API could not understand the request (a malformed query, a bad upload form)."""


class AuthenticationError(APIStatusError):
    """401: the API key or token is missing, wrong or expired, even after one refresh."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials are valid but not for this account or creditor."""


class NotFoundError(APIStatusError):
    """404: no resource with that id."""


class ConflictError(APIStatusError):
    """409, 412 or 428: the resource changed (ETag mismatch) or a precondition is missing."""


class UnprocessableEntityError(APIStatusError):
    """422: the API refused the content; ``issues`` says which fields and why."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the advised wait in seconds, if given."""


class ServerError(APIStatusError):
    """5xx: the API failed; retried for reads, and for writes only when provably not processed."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    428: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status."""
    if status_code >= 500:
        return ServerError
    return _STATUS_ERRORS.get(status_code, APIStatusError)
