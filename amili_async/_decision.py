"""What the pipeline does after a failed attempt: the one decision table.

Every failure of an attempt (an error status, or no usable answer at all) is
looked up here, once, by :func:`decide`; the pipeline acts on the
:class:`Decision`, and tenacity retries exactly the attempts whose decision
retries. How *long* to wait is :mod:`._retry`'s business, not this table's.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, auto
from typing import Final

from .errors import (
    APIStatusError,
    ConnectError,
    OutcomeUnknownError,
    TokenFetchError,
    TransportError,
)

__all__ = ["Decision", "decide"]


class Decision(Enum):
    """What happens after a failed attempt."""

    #: Send it again after the backoff (or what ``Retry-After`` says).
    RETRY = auto()
    #: Hold every task of the client (429), then send it again after the same wait.
    PAUSE_AND_RETRY = auto()
    #: A write was sent and its outcome is unknown: look it up on the server
    #: first. Found: that is the answer. Absent: send it again (as RETRY). No way
    #: to look, or the lookup failed: :class:`~amili_async.OutcomeUnknownError`.
    RECONCILE = auto()
    #: Get a fresh token and replay once, in the same rate-limiter slot, as the
    #: request is sent; a 401 that survives the replay is raised.
    REFRESH = auto()
    #: Give the error to the caller.
    RAISE = auto()

    @property
    def retries(self) -> bool:
        """Whether the request is sent again (tenacity asks this)."""
        return self is Decision.RETRY or self is Decision.PAUSE_AND_RETRY


class _Failure(Enum):
    """The rows of the decision table: the kinds of failure that are told apart."""

    NOT_SENT = auto()  # ConnectError: the connection was never made
    LOST_AFTER_SENDING = auto()  # a timeout, or the connection broke once the request was out
    UNAUTHORIZED = auto()  # 401
    TOO_MANY_REQUESTS = auto()  # 429
    UNAVAILABLE_WITH_RETRY_AFTER = auto()  # 503 with Retry-After: provably not processed
    SERVER_ERROR = auto()  # 500, 502, 504, and 503 without Retry-After
    REQUEST_TIMEOUT = auto()  # 408
    OTHER = auto()  # any other status or error, OutcomeUnknownError included


#: failure -> (decision for a read (replay-safe), decision for a write)
_TABLE: Final[Mapping[_Failure, tuple[Decision, Decision]]] = {
    _Failure.NOT_SENT: (Decision.RETRY, Decision.RETRY),
    _Failure.LOST_AFTER_SENDING: (Decision.RETRY, Decision.RECONCILE),
    _Failure.UNAUTHORIZED: (Decision.REFRESH, Decision.REFRESH),
    _Failure.TOO_MANY_REQUESTS: (Decision.PAUSE_AND_RETRY, Decision.PAUSE_AND_RETRY),
    _Failure.UNAVAILABLE_WITH_RETRY_AFTER: (Decision.RETRY, Decision.RETRY),
    _Failure.SERVER_ERROR: (Decision.RETRY, Decision.RECONCILE),
    _Failure.REQUEST_TIMEOUT: (Decision.RETRY, Decision.RAISE),
    _Failure.OTHER: (Decision.RAISE, Decision.RAISE),
}

_STATUS_FAILURES: Final[Mapping[int, _Failure]] = {
    401: _Failure.UNAUTHORIZED,
    408: _Failure.REQUEST_TIMEOUT,
    429: _Failure.TOO_MANY_REQUESTS,
    500: _Failure.SERVER_ERROR,
    502: _Failure.SERVER_ERROR,
    504: _Failure.SERVER_ERROR,
}


def decide(failure: BaseException | int, *, replay_safe: bool) -> Decision:
    """What to do after ``failure``: an error an attempt raised, or an error status.

    ``replay_safe`` requests (reads) may be sent twice with no harm; writes
    are sent again only when the server provably did not process them.

    ========================================  ===============  ===============
    failure                                   read             write
    ========================================  ===============  ===============
    ConnectError (never sent)                 RETRY            RETRY
    timeout or connection lost after sending  RETRY            RECONCILE
    401                                       REFRESH          REFRESH
    429                                       PAUSE_AND_RETRY  PAUSE_AND_RETRY
    503 with ``Retry-After``                  RETRY            RETRY
    500, 502, 504, 503 without Retry-After    RETRY            RECONCILE
    408                                       RETRY            RAISE
    TokenFetchError (no token to send)        RAISE            RAISE
    anything else                             RAISE            RAISE
    ========================================  ===============  ===============

    A bare status (an ``int``) is taken as an answer without ``Retry-After``.
    """
    read, write = _TABLE[_classify(failure)]
    return read if replay_safe else write


def _classify(failure: BaseException | int) -> _Failure:
    if isinstance(failure, int):
        return _classify_status(failure, retry_after_given=False)
    if isinstance(failure, TokenFetchError):
        return _Failure.OTHER  # the token provider backs off itself, for every task at once
    if isinstance(failure, APIStatusError):
        return _classify_status(failure.status_code, failure.retry_after is not None)
    if isinstance(failure, ConnectError):
        return _Failure.NOT_SENT
    if isinstance(failure, TransportError) and not isinstance(failure, OutcomeUnknownError):
        return _Failure.LOST_AFTER_SENDING
    return _Failure.OTHER


def _classify_status(status_code: int, retry_after_given: bool) -> _Failure:
    if status_code == 503:
        return _Failure.UNAVAILABLE_WITH_RETRY_AFTER if retry_after_given else _Failure.SERVER_ERROR
    return _STATUS_FAILURES.get(status_code, _Failure.OTHER)
