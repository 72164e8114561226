"""The one request pipeline every call goes through.

A service describes a request (:class:`RequestSpec`); :meth:`Pipeline.request`
runs it: rate limiter -> token -> httpx -> classify -> retry / refresh /
reconcile -> typed error. What follows a failure is looked up in one decision
table (:func:`._decision.decide`). Nothing else in the SDK speaks HTTP.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from typing import IO, Any

import httpx
import tenacity
from attrs import frozen

from ._api_code import LOGIN_PATH
from ._auth import TokenProvider
from ._clock import Clock
from ._decision import Decision, decide
from ._ratelimit import RateLimiter
from ._responses import decode_error_body, decode_json, unreadable
from ._retry import RetryPolicy, make_retrying, parse_retry_after
from ._serde import dumps
from ._version import __version__
from .errors import (
    APIStatusError,
    ConnectError,
    OutcomeUnknownError,
    RequestTimeoutError,
    ResponseValidationError,
    TransportError,
    error_class_for_status,
)

__all__ = ["ApiResult", "FilePart", "Pipeline", "RequestSpec"]

logger = logging.getLogger("amili_async")


@frozen
class FilePart:
    """A file for a multipart form. ``open`` gives a binary stream at its start for each attempt;
    ``owned`` streams are closed after the attempt (a caller's own file object is not)."""

    filename: str
    content_type: str
    open: Callable[[], IO[bytes]]
    owned: bool = True


@frozen
class RequestSpec:
    """What a service asks for: no HTTP machinery, just the facts of one request.

    ``replay_safe`` says the request may be sent twice with no harm (reads).
    ``reconcile``, for a write, looks on the server for what the write would
    have made; the pipeline calls it when an attempt's outcome is unknown and
    returns what it finds instead of sending the write again.
    ``login`` marks the token request itself: it carries its own ``headers``
    instead of a token, is never refreshed after a 401, and takes no
    concurrency slot (the requests waiting for its token hold them all).
    """

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    files: Mapping[str, FilePart] | None = None
    replay_safe: bool = False
    reconcile: Callable[[], Awaitable[Any | None]] | None = None
    expected_status: tuple[int, ...] = (200, 201)
    login: bool = False
    headers: Mapping[str, str] | None = None


@frozen
class ApiResult:
    """A successful answer: parsed JSON ``data``; or, after reconciliation, ``existing``."""

    status_code: int
    data: Any
    headers: httpx.Headers
    existing: Any = None


class _NotLandedError(Exception):
    """Reconciliation showed the write did not land: safe to send again."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(str(cause))


def _outcome_unknown(
    spec: RequestSpec, error: BaseException, why_not_resent: str
) -> OutcomeUnknownError:
    """The one way an :class:`OutcomeUnknownError` is made: ``why_not_resent`` ends the message."""
    return OutcomeUnknownError(
        f"the request was sent but no usable answer came back, and {why_not_resent}",
        method=spec.method,
        path=spec.path,
        request_body=spec.json,
        reason=str(error),
    )


def _error_from_response(
    response: httpx.Response, method: str, path: str, retry_after: float | None
) -> APIStatusError:
    message = response.reason_phrase or "error"
    issues: Mapping[str, Any] | None = None
    body: Any = None
    body = decode_error_body(response.content) if response.content else None
    if isinstance(body, Mapping):
        error = body.get("_error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            message = error["message"]
        elif isinstance(error, str):
            message = error
        raw_issues = body.get("_issues")
        if isinstance(raw_issues, Mapping):
            issues = raw_issues
    cls = error_class_for_status(response.status_code)
    return cls(
        message,
        status_code=response.status_code,
        method=method,
        path=path,
        issues=issues,
        body=body,
        retry_after=retry_after,
    )


def _decode_answer(spec: RequestSpec, response: httpx.Response, token: str | None) -> Any:
    """The JSON of a successful answer, or :class:`ResponseValidationError`. A login
    answer is never quoted in the error: its body is the new token."""
    try:
        return decode_json(
            response.content,
            status_code=response.status_code,
            method=spec.method,
            path=spec.path,
            content_type=response.headers.get("Content-Type"),
            secrets=(token,) if token is not None else (),
        )
    except ResponseValidationError as error:
        if not spec.login:
            raise
        raise unreadable(
            error.reason,
            b"",
            status_code=response.status_code,
            method=spec.method,
            path=spec.path,
            landed=False,
        ) from None


async def look_up_landed(spec: RequestSpec, error: ResponseValidationError) -> Any:
    """A write landed but its answer cannot be read: what ``spec.reconcile`` finds.

    Never sent again. With no lookup, or one that fails or finds nothing, ``error``
    (``landed=True``) is raised.
    """
    if not error.landed or spec.reconcile is None:
        raise error
    try:
        existing = await spec.reconcile()
    except Exception:
        raise error from None
    if existing is None:
        raise error
    logger.warning(
        "%s %s: the answer could not be read (%s), but the write landed; using what a lookup found",
        spec.method,
        spec.path,
        error.reason,
    )
    return existing


class Pipeline:
    """Runs :class:`RequestSpec` s for one client. Shared by ``with_options`` copies."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        auth: TokenProvider,
        limiter: RateLimiter,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.auth = auth
        self.limiter = limiter
        self.clock = clock
        self._rng = rng or random.Random()
        #: The retry policy of the token request (the client's own, as it was built).
        self.login_retry = RetryPolicy()
        #: 429s in a row without a success between them (client-wide).
        self._rate_limited_streak = 0
        # Set once on the httpx client, not merged into every request.
        http.headers.update(
            {"Accept": "application/json", "User-Agent": f"amili-async/{__version__}"}
        )

    async def request(
        self, spec: RequestSpec, *, retry: RetryPolicy, timeout: httpx.Timeout | None = None
    ) -> ApiResult:
        """Send ``spec`` under ``retry``; return the result or raise a typed error."""
        # The first attempt runs directly: most requests succeed at once and need
        # none of tenacity's bookkeeping. If it fails, its error is replayed as
        # tenacity's first attempt below, so every decision after it (retry or
        # not, the jittered wait, the log line, the attempt numbers) is exactly
        # what tenacity would have made.
        try:
            return await self._attempt(spec, 1, retry, timeout)
        except Exception as error:
            first_error: Exception | None = error

        def log_retry(state: tenacity.RetryCallState) -> None:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            logger.info(
                "retrying %s %s after attempt %d failed (%s); waiting %.3fs",
                spec.method,
                spec.path,
                state.attempt_number,
                type(error.cause if isinstance(error, _NotLandedError) else error).__name__,
                wait,
            )

        def should_retry(error: BaseException) -> bool:
            if isinstance(error, _NotLandedError):
                return True  # RECONCILE found the write absent: sending it again is safe
            return decide(error, replay_safe=spec.replay_safe).retries

        retrying = make_retrying(
            retry,
            should_retry=should_retry,
            clock=self.clock,
            rng=self._rng,
            before_sleep=log_retry,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if first_error is not None:
                        replayed, first_error = first_error, None
                        raise replayed
                    return await self._attempt(
                        spec, attempt.retry_state.attempt_number, retry, timeout
                    )
        except _NotLandedError as not_landed:
            # The last re-send was shown not to have landed: the outcome is known.
            raise not_landed.cause from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _attempt(
        self,
        spec: RequestSpec,
        attempt_number: int,
        retry: RetryPolicy,
        timeout: httpx.Timeout | None,
    ) -> ApiResult:
        try:
            response, token = await self._send_authenticated(spec, attempt_number, timeout)
        except TransportError as error:
            return await self._after_failure(spec, error, retry)
        if response.status_code in spec.expected_status:
            self._rate_limited_streak = 0
            try:
                data = _decode_answer(spec, response, token)
            except ResponseValidationError as error:
                existing = await look_up_landed(spec, error)
                return ApiResult(response.status_code, None, response.headers, existing=existing)
            return ApiResult(response.status_code, data, response.headers)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
        status_error = _error_from_response(response, spec.method, spec.path, retry_after)
        return await self._after_failure(spec, status_error, retry)

    async def _after_failure(
        self, spec: RequestSpec, error: APIStatusError | TransportError, retry: RetryPolicy
    ) -> ApiResult:
        """Act on the decision table for a failed attempt; whatever is raised, tenacity
        retries or not by the same table. (A 401 was refreshed and replayed as it was sent.)"""
        decision = decide(error, replay_safe=spec.replay_safe)
        if decision is Decision.RECONCILE:
            return await self._reconcile(spec, error, retry)
        if decision is Decision.PAUSE_AND_RETRY and isinstance(error, APIStatusError):
            self._pause_client(error, retry)
        raise error

    def _pause_client(self, error: APIStatusError, retry: RetryPolicy) -> None:
        """A 429: the whole client pauses, and this task's retry waits in the limiter with it.

        For as long as ``Retry-After`` says; else until the server's last known
        ``X-RateLimit-Reset``; else an exponential pause per 429 in a row. The
        answers to requests already in flight when the pause began extend nothing.
        ``error.retry_after`` stays what the server said: ``None`` from Eve.
        """
        if self.limiter.is_paused():
            return
        self._rate_limited_streak += 1
        pause = error.retry_after
        if pause is None:
            pause = self.limiter.server_budget.seconds_to_reset()
        if pause is None:
            pause = retry.rate_limit_pause(self._rate_limited_streak, self._rng)
        self.limiter.pause(min(pause, retry.max_retry_after))

    async def _reconcile(
        self, spec: RequestSpec, error: BaseException, retry: RetryPolicy
    ) -> ApiResult:
        """A write was sent and its outcome is unknown: find out before anything is re-sent."""
        if spec.reconcile is None:
            raise _outcome_unknown(
                spec,
                error,
                "this request cannot be looked up, so it was not sent again; check before retrying",
            ) from error
        # Give a write that is still being processed a moment to land before looking.
        await self.clock.sleep(retry.backoff(1, self._rng))
        try:
            existing = await spec.reconcile()
        except Exception as lookup_error:
            raise _outcome_unknown(
                spec,
                error,
                f"looking it up failed too ({type(lookup_error).__name__}); it was not sent again",
            ) from lookup_error
        if existing is not None:
            logger.info(
                "%s %s: answer lost (%s) but the write had landed; using the stored result",
                spec.method,
                spec.path,
                type(error).__name__,
            )
            return ApiResult(200, None, httpx.Headers(), existing=existing)
        raise _NotLandedError(error)

    async def _send_authenticated(
        self, spec: RequestSpec, attempt_number: int, timeout: httpx.Timeout | None
    ) -> tuple[httpx.Response, str | None]:
        """Send one attempt with a token (refreshed and replayed once after a 401);
        the answer and the token it was sent with."""
        if spec.login:
            await self.limiter.wait_for_server_budget()
            return await self._send_once(spec, None, attempt_number, timeout), None
        async with self.limiter.slot():
            token = await self.auth.get_token()
            response = await self._send_once(spec, token, attempt_number, timeout)
            if (
                response.status_code in spec.expected_status
                or decide(response.status_code, replay_safe=spec.replay_safe)
                is not Decision.REFRESH
            ):
                return response, token
            fresh = await self.auth.refresh(token)
            if fresh is None or fresh == token:
                return response, token
            logger.info(
                "%s %s: token rejected, refreshed it; replaying once", spec.method, spec.path
            )
            return await self._send_once(spec, fresh, attempt_number, timeout), fresh

    async def _send_once(
        self,
        spec: RequestSpec,
        token: str | None,
        attempt_number: int,
        timeout: httpx.Timeout | None,
    ) -> httpx.Response:
        headers = dict(spec.headers or {})
        if token is not None:
            headers["X-API-Key"] = token
        started = self.clock.monotonic()
        with ExitStack() as stack:
            content: bytes | None = None
            files: dict[str, tuple[str, IO[bytes], str]] | None = None
            if spec.files is not None:
                files = {}
                for name, part in spec.files.items():
                    stream = part.open()
                    if part.owned:
                        stack.enter_context(stream)
                    files[name] = (part.filename, stream, part.content_type)
            elif spec.json is not None:
                content = dumps(spec.json)
                headers["Content-Type"] = "application/json"
            request = self.http.build_request(
                spec.method,
                spec.path,
                params=spec.params,
                content=content,
                data=spec.form,
                files=files,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            try:
                response = await self.http.send(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                self._log(spec, attempt_number, started, None, type(error).__name__)
                raise ConnectError(
                    f"could not connect: {type(error).__name__}", method=spec.method, path=spec.path
                ) from None
            except httpx.TimeoutException as error:
                self._log(spec, attempt_number, started, None, type(error).__name__)
                raise RequestTimeoutError(
                    f"no answer in time: {type(error).__name__}", method=spec.method, path=spec.path
                ) from None
            except httpx.DecodingError:
                # The body's compression is broken. A write's outcome is then unknown
                # (reconciled like a lost answer); a read's answer cannot be used.
                self._log(spec, attempt_number, started, None, "DecodingError")
                reason = "the answer's compressed body is broken"
                if not spec.replay_safe:
                    raise TransportError(reason, method=spec.method, path=spec.path) from None
                raise unreadable(
                    reason, b"", status_code=None, method=spec.method, path=spec.path
                ) from None
            except httpx.TransportError as error:
                self._log(spec, attempt_number, started, None, type(error).__name__)
                raise TransportError(
                    f"connection failed after sending: {type(error).__name__}",
                    method=spec.method,
                    path=spec.path,
                ) from None
        self._log(spec, attempt_number, started, response.status_code, None)
        self.limiter.observe_server_budget(response.headers)
        return response

    async def login(self, method: str, *, headers: Mapping[str, str], json: Any) -> Any:
        """Send the token request (see :class:`~amili_async._api_code.LoginChannel`)."""
        spec = RequestSpec(
            method, LOGIN_PATH, json=json, headers=headers, replay_safe=True, login=True
        )
        result = await self.request(spec, retry=self.login_retry, timeout=None)
        return result.data

    def _log(
        self,
        spec: RequestSpec,
        attempt_number: int,
        started: float,
        status: int | None,
        failure: str | None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (self.clock.monotonic() - started) * 1000.0
        logger.debug(
            "%s %s -> %s (attempt %d, %.1f ms)",
            spec.method,
            spec.path,
            status if status is not None else failure,
            attempt_number,
            elapsed_ms,
        )
