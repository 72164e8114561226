"""Every error the SDK raises, in one tree.

::

    AmiliError
    ├── ConfigurationError            the client was set up wrongly (also a ValueError)
    ├── RequestValidationError        input refused before anything was sent (also a ValueError)
    ├── PreviouslyFailedError         a bulk job's journal says this item failed in an earlier run
    ├── JournalError                  a bulk job's journal file cannot be used as it is
    │   ├── JournalLockedError        another job is using the journal
    │   └── JournalMismatchError      the journal belongs to another server or account
    ├── WaitTimeoutError              ``cases.wait_for`` gave up (also a builtin TimeoutError)
    ├── ResponseValidationError       the API answered, but its answer cannot be read
    │   └── ResponseTooLargeError     the answer is longer than ``max_response_bytes``
    ├── TransportError                no usable HTTP answer
    │   ├── ConnectError              could not connect: the request was never sent
    │   ├── RequestTimeoutError       no answer in time
    │   └── OutcomeUnknownError       a write was sent, and whether it landed cannot be established
    └── APIStatusError                the API answered with an error status
        ├── BadRequestError           400
        ├── AuthenticationError       401
        │   └── TokenFetchError       no token could be had: the token fetch (login) failed
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        ├── ConflictError             409, 412, 428 (ETag / precondition)
        ├── UnprocessableEntityError  422, with the API's per-field ``issues``, flattened
        ├── RateLimitError            429, with ``retry_after``
        └── ServerError               5xx, with ``retry_after`` when the API gave one

Each error says what happened and, where it can, what to do. None of them ever
carries an API key or token: requests are described by method and path only.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

__all__ = [
    "APIStatusError",
    "AmiliError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "JournalError",
    "JournalLockedError",
    "JournalMismatchError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PreviouslyFailedError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "TokenFetchError",
    "TransportError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "flatten_issues",
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


class JournalError(AmiliError):
    """A bulk job's journal file cannot be used as it is: nothing was sent.

    The file is corrupt, of a newer format, not a journal, or its records were
    lost (an emptied file, a lost ``-wal`` file). ``path`` names the file; the
    message says what to do (often: rerun with ``lookup_first=True``, or use
    another file).
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(message)


class JournalLockedError(JournalError):
    """Another job (in this process or another) is using the journal; this one sent nothing.

    A journal has one owner at a time, so that two jobs never send the same
    items. Wait for the other job to end, or use another journal file.
    """


class JournalMismatchError(JournalError):
    """The journal belongs to another server or account than this job; nothing was sent.

    ``recorded`` is what the journal holds and ``given`` what this job uses.
    """

    def __init__(self, message: str, *, path: str, recorded: str, given: str) -> None:
        self.recorded = recorded
        self.given = given
        super().__init__(message, path=path)


class WaitTimeoutError(AmiliError, builtins.TimeoutError):
    """``cases.wait_for`` gave up: the case did not get where it was awaited in time.

    ``case_id`` names the case and ``last`` is the case as last seen (``None``
    if it could never be read).
    """

    def __init__(self, message: str, *, case_id: str, last: Any = None) -> None:
        self.case_id = case_id
        self.last = last
        super().__init__(message)


class ResponseValidationError(AmiliError):
    """The API answered, but its answer cannot be read.

    HTML instead of JSON, broken or empty JSON, invalid UTF-8, absurd nesting,
    a broken compressed stream, or JSON of the wrong shape (a list where an
    object was expected, a string where a date was) all end here; no ``json``,
    ``cattrs`` or ``TypeError`` reaches the caller.

    ``status_code`` is the HTTP status (``None`` when the body could not even
    be received), ``method`` and ``path`` name the request, ``reason`` says
    what is wrong, ``issues`` maps the fields that did not fit (dotted paths
    such as ``debt.capital_to_claim``) to why, and ``body_start`` holds the
    first ~200 characters of the body for a human to look at (never a key).

    ``landed`` is ``True`` when the request was a write that the server
    answered with a success status: the write took effect. Do **not** send it
    again; look it up instead (the services do this themselves where they
    can, and return what the lookup finds).
    """

    def __init__(
        self,
        reason: str,
        *,
        status_code: int | None,
        method: str,
        path: str,
        body_start: str = "",
        landed: bool = False,
        issues: Mapping[str, str] | None = None,
    ) -> None:
        self.reason = reason
        self.status_code = status_code
        self.method = method
        self.path = path
        self.body_start = body_start
        self.landed = landed
        self.issues: dict[str, str] = dict(issues or {})
        answer = "the answer" if status_code is None else f"the {status_code} answer"
        text = f"cannot read {answer} to {method} {path}: {reason}"
        if body_start:
            text += f" (body starts {body_start!r})"
        if landed:
            text += (
                "; the write landed on the server, so do not send it again: "
                "look it up to see what it made"
            )
        super().__init__(text)


class ResponseTooLargeError(ResponseValidationError):
    """The answer's body is longer than the client's ``max_response_bytes``; it was not read.

    ``limit`` is that limit in bytes. As for any unreadable answer, ``landed``
    says whether a write took effect (a success status): then do not send it
    again.
    """

    def __init__(
        self, limit: int, *, status_code: int, method: str, path: str, landed: bool = False
    ) -> None:
        self.limit = limit
        super().__init__(
            f"the body is longer than the {limit:,} byte limit (max_response_bytes=)",
            status_code=status_code,
            method=method,
            path=path,
            landed=landed,
        )


class TransportError(AmiliError):
    """No usable HTTP answer came back. ``method`` and ``path`` name the request."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{message} ({method} {path})")


class ConnectError(TransportError):
    """The connection could not be made, so the request was never sent."""


class RequestTimeoutError(TransportError):
    """No answer arrived in time: within httpx's ``timeout`` for one read, or within the
    call's whole ``deadline`` (every attempt, wait and token fetch)."""


class OutcomeUnknownError(TransportError):
    """A write was sent and no answer came, and the SDK could not find out whether it landed.

    The request was *not* sent again, so nothing was duplicated; but it may or
    may not exist on the server. ``request_body`` holds what was sent so that
    the caller can look it up or retry deliberately. ``reason`` says what went
    wrong on the wire. A write still unanswered when its call's ``deadline``
    passes ends here too: there is no time left to look it up.
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
    request, ``body`` the parsed error body, ``headers`` the answer's headers
    (a copy, the answer's only: no request header, so never the key; empty
    when the error was not made from an answer).
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
        headers: httpx.Headers | None = None,
    ) -> None:
        self.message = message
        self.headers = httpx.Headers(headers) if headers is not None else httpx.Headers()
        self.status_code = status_code
        self.method = method
        self.path = path
        self.issues: dict[str, Any] = self._read_issues(issues, body)
        self.body = body
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _read_issues(self, issues: Mapping[str, Any] | None, body: Any) -> dict[str, Any]:
        return dict(issues or {})

    def _describe(self) -> str:
        text = f"{self.status_code} from {self.method} {self.path}: {self.message}"
        if self.issues:
            text += " — " + "; ".join(f"{field}: {reason}" for field, reason in self.issues.items())
        return text


class BadRequestError(APIStatusError):
    """400: the API could not understand the request (a malformed query, a bad upload form)."""


class AuthenticationError(APIStatusError):
    """401: the API key or token is missing, wrong or expired, even after one refresh."""


class TokenFetchError(AuthenticationError):
    """No access token could be had: the token provider's fetch (the login) failed.

    ``__cause__`` is what the fetch raised: the SDK's own error as it was (a
    refused login, a :class:`ConnectError`, ...), or else a stand-in holding
    only the type and message of the original (a foreign exception, such as
    an httpx error, can hold a request and its credentials). ``status_code``
    is the login's status when it answered, else 401. ``retry_in`` is how
    many seconds the provider waits before fetching again: every call until
    then gets this same failure at once, without a new fetch.
    """

    def __init__(self, reason: str, *, retry_in: float, status_code: int = 401) -> None:
        self.reason = reason
        self.retry_in = retry_in
        super().__init__(reason, status_code=status_code, method="GET", path="(access token)")

    def _describe(self) -> str:
        return (
            f"could not get an access token: {self.reason}; no new attempt for {self.retry_in:g} s"
        )


class PermissionDeniedError(APIStatusError):
    """403: the credentials are valid but not for this account or creditor."""


class NotFoundError(APIStatusError):
    """404: no resource with that id."""


class ConflictError(APIStatusError):
    """409, 412 or 428: the resource changed (ETag mismatch) or a precondition is missing.

    A 412 means the record changed since it was read (its ETag no longer
    matches ``If-Match``): read it again and retry on the fresh copy. A 428
    means the ETag is missing: pass ``etag=`` (the record as read, or its
    ``_etag``). The message says which.
    """

    def _describe(self) -> str:
        advice = _CONFLICT_ADVICE.get(self.status_code)
        text = super()._describe()
        return f"{text} ({advice})" if advice else text


_CONFLICT_ADVICE = {
    412: "the record changed since it was read: read it again and retry with its new etag",
    428: "the ETag is missing: pass etag= with the record as read (or its _etag)",
}


class UnprocessableEntityError(APIStatusError):
    """422: the API refused the content; ``issues`` says which fields and why.

    ``issues`` is flat, keyed like local validation: Eve's nested ``_issues``
    (``{"debts": {"0": {"invoice_number": "max length is 20"}}}``) becomes
    ``{"debts.0.invoice_number": ("max length is 20",)}``, each field with all
    its messages. For a list POST, whose 422 names the failing items in
    ``_items``, each key starts with the item's index (``1.debts.0.invoice_number``).
    ``str(e)`` reads as one sentence per field.
    """

    issues: dict[str, tuple[str, ...]]

    def _read_issues(
        self, issues: Mapping[str, Any] | None, body: Any
    ) -> dict[str, tuple[str, ...]]:
        return flatten_issues(issues if issues else _bulk_item_issues(body))

    def _describe(self) -> str:
        sentences = [
            f"{self.status_code} from {self.method} {self.path}: {_sentence(self.message)}"
        ]
        for field, messages in self.issues.items():
            text = "; ".join(message.rstrip(". ") for message in messages)
            sentences.append(_sentence(f"{field}: {text}" if field else text))
        return " ".join(sentences)


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


def flatten_issues(raw: Any) -> dict[str, tuple[str, ...]]:
    """Eve's nested ``_issues`` as flat dotted keys, each with its messages, in the API's order.

    A value may be a message, a list of messages, or a nested mapping keyed by
    field name or list index (as a string); lists may mix messages and
    mappings. ``{"debts": {"0": {"invoice_number": ["max length is 20",
    "must be of string type"]}}}`` becomes ``{"debts.0.invoice_number":
    ("max length is 20", "must be of string type")}``. Keys that are already
    dotted stay as they are. Anything that is not a mapping, a list or a
    string is written as text; nothing here raises.
    """
    flat: dict[str, list[str]] = {}
    # An explicit stack rather than recursion: however deep the server nests, this cannot fail.
    stack: list[tuple[str, Iterator[tuple[str, Any]]]] = [("", iter([("", raw)]))]
    while stack:
        prefix, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        key, value = entry
        path = f"{prefix}.{key}" if prefix and key else prefix or key
        if isinstance(value, Mapping):
            stack.append((path, ((str(name), item) for name, item in value.items())))
        elif isinstance(value, list | tuple):
            stack.append((path, (("", item) for item in value)))
        elif value is not None:
            flat.setdefault(path, []).append(value if isinstance(value, str) else str(value))
    return {path: tuple(messages) for path, messages in flat.items()}


def _bulk_item_issues(body: Any) -> dict[str, Any]:
    """The ``_issues`` of each failed item of a list POST's 422, keyed by the item's index."""
    items = body.get("_items") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        return {}
    return {
        str(index): item["_issues"]
        for index, item in enumerate(items)
        if isinstance(item, Mapping) and item.get("_issues")
    }


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."
