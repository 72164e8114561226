"""Where the ``X-API-Key`` value comes from.

A :class:`TokenProvider` hands the transport a token for each request and a
fresh one after a 401. Two ship with the SDK:

* :class:`StaticKey`: a fixed API key (``AmiliClient(api_key=...)``).
* :class:`RefreshingTokenProvider`: calls your async function for a new token
  when there is none, ahead of its expiry, and once after a 401. Refresh is
  single-flight: any number of concurrent requests that find the token stale
  cause exactly one call. A failed call is remembered for a while (1 s, 2 s,
  4 s, ... at most 60 s, on the client's clock): every request until then gets
  the same :class:`~amili_async.TokenFetchError` without another call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import anyio
from attrs import field, frozen

from ._clock import Clock, SystemClock
from .errors import AmiliError, APIStatusError, ConfigurationError, TokenFetchError

__all__ = [
    "AccessToken",
    "ForeignFetchError",
    "RefreshingTokenProvider",
    "StaticKey",
    "TokenProvider",
]

#: How long a failed token fetch is remembered: doubling from the first, up to the last.
FIRST_FETCH_BACKOFF = 1.0
MAX_FETCH_BACKOFF = 60.0


def _redact(_: str) -> str:
    return "'***'"


@frozen
class AccessToken:
    """A token and when it stops working (aware ``datetime``). Its value never shows in ``repr``."""

    value: str = field(repr=_redact)
    expires_at: datetime


@runtime_checkable
class TokenProvider(Protocol):
    """Supplies the value of the ``X-API-Key`` header."""

    async def get_token(self) -> str:
        """A token valid for the next request."""
        ...

    async def refresh(self, rejected: str) -> str | None:
        """A new token after ``rejected`` got a 401, or ``None`` if none can be had."""
        ...


class StaticKey:
    """A fixed API key. It cannot be refreshed, so a 401 is final.

    A key that is not a non-empty string of visible ASCII characters (it
    travels in a header) raises :class:`~amili_async.ConfigurationError`,
    which never shows the key.
    """

    def __init__(self, api_key: str) -> None:
        if not isinstance(api_key, str):
            raise ConfigurationError(f"api_key must be a string, got {type(api_key).__name__}")
        if not api_key.strip():
            raise ConfigurationError("api_key is empty")
        if not (api_key.isascii() and api_key.isprintable()) or api_key != api_key.strip():
            raise ConfigurationError(
                "api_key holds whitespace, control or non-ASCII characters (a line break "
                "read from a file?); it must be the key exactly, e.g. api_key=key.strip()"
            )
        self._api_key = api_key

    async def get_token(self) -> str:
        """The key."""
        return self._api_key

    async def refresh(self, rejected: str) -> str | None:
        """A static key has no successor."""
        return None

    def __repr__(self) -> str:
        return "StaticKey('***')"


class ForeignFetchError(Exception):
    """What a token fetch raised, by type and message only.

    The ``__cause__`` of a :class:`~amili_async.TokenFetchError` when the fetch
    raised something other than the SDK's own errors: the original may hold
    objects with credentials (an httpx error holds its request, headers and
    all), so it is not kept. ``error_type`` is its qualified type name.
    """

    def __init__(self, error: BaseException) -> None:
        kind = type(error)
        self.error_type = f"{kind.__module__}.{kind.__qualname__}"
        super().__init__(f"{self.error_type}: {error}")


@frozen
class _FailedFetch:
    """A failed fetch, remembered until ``until`` (the provider's monotonic clock)."""

    cause: BaseException
    status_code: int
    until: float
    backoff: float

    def error(self, now: float) -> TokenFetchError:
        """A fresh error for one caller (one exception object is never raised by many tasks)."""
        if isinstance(self.cause, AmiliError):
            reason = f"{type(self.cause).__name__}: {self.cause}"
        else:
            reason = f"the token fetch raised {self.cause}"
        failure = TokenFetchError(
            reason, retry_in=max(0.0, self.until - now), status_code=self.status_code
        )
        failure.__cause__ = self.cause
        return failure


def _remember(error: Exception, previous: _FailedFetch | None, now: float) -> _FailedFetch:
    backoff = FIRST_FETCH_BACKOFF
    if previous is not None:
        backoff = min(MAX_FETCH_BACKOFF, previous.backoff * 2)
    status = error.status_code if isinstance(error, APIStatusError) else 401
    cause = error if isinstance(error, AmiliError) else ForeignFetchError(error)
    return _FailedFetch(cause, status, now + backoff, backoff)


class RefreshingTokenProvider:
    """Fetches tokens with ``fetch_token`` and keeps a valid one cached.

    ``fetch_token`` is your async function that obtains a token through
    Amili's authentication flow and returns an :class:`AccessToken`. It is
    called when there is no token, when the cached one expires within
    ``refresh_margin``, and once when the API rejects the current one. Calls
    never overlap: concurrent requests share the one refresh in progress.

    When ``fetch_token`` raises, the provider raises
    :class:`~amili_async.TokenFetchError` (an ``AuthenticationError``; the
    original is its ``__cause__``, see there) and remembers the failure for
    1 s, then 2 s, 4 s, ... up to 60 s after failures in a row, on ``clock``:
    until then every caller, including those already waiting for the failed
    call, gets the same failure without a new call. A success forgets it. A
    :class:`~amili_async.ConfigurationError` is raised as it is.
    """

    def __init__(
        self,
        fetch_token: Callable[[], Awaitable[AccessToken]],
        *,
        refresh_margin: timedelta = timedelta(seconds=60),
        clock: Clock | None = None,
    ) -> None:
        self._fetch_token = fetch_token
        self._refresh_margin = refresh_margin
        self._clock: Clock = clock or SystemClock()
        self._token: AccessToken | None = None
        self._lock = anyio.Lock()
        self._failed: _FailedFetch | None = None
        #: How many times ``fetch_token`` was called (for monitoring and tests).
        self.refresh_count = 0

    def _fresh(self, token: AccessToken | None) -> bool:
        return token is not None and token.expires_at - self._refresh_margin > self._clock.now()

    async def _fetch(self) -> str:
        now = self._clock.monotonic()
        if self._failed is not None and now < self._failed.until:
            raise self._failed.error(now)
        failed: Exception | None = None
        try:
            token = await self._fetch_token()
        except ConfigurationError:
            raise
        except Exception as error:
            failed = error
        if failed is not None:
            # Raised here, outside the except block, so that the original is not chained;
            # and dropped from the locals, which a traceback may show.
            now = self._clock.monotonic()
            self._failed, failed = _remember(failed, self._failed, now), None
            raise self._failed.error(now)
        self._failed = None
        if not isinstance(token, AccessToken):
            raise TypeError("fetch_token must return an AccessToken")
        if token.expires_at.tzinfo is None:
            raise ConfigurationError("AccessToken.expires_at must be timezone-aware")
        self.refresh_count += 1
        self._token = token
        return token.value

    async def get_token(self) -> str:
        """The cached token, or a new one if it is missing or about to expire."""
        token = self._token
        if token is not None and self._fresh(token):
            return token.value
        async with self._lock:
            token = self._token
            if token is not None and self._fresh(token):
                return token.value
            return await self._fetch()

    async def refresh(self, rejected: str) -> str | None:
        """Replace ``rejected``; if another task already did, reuse its token."""
        async with self._lock:
            token = self._token
            if token is not None and token.value != rejected and self._fresh(token):
                return token.value
            return await self._fetch()

    def __repr__(self) -> str:
        return f"RefreshingTokenProvider(refresh_count={self.refresh_count})"
