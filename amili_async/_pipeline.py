"""The one request pipeline every call goes through.

A service describes a request (:class:`RequestSpec`); :meth:`Pipeline.request`
runs it: deadline -> rate limiter -> token -> httpx -> classify -> retry /
refresh / reconcile -> typed error. What follows a failure is looked up in one
decision table (:func:`._decision.decide`). Nothing else in the SDK speaks HTTP.

No error leaving the pipeline holds the key: httpx's own exceptions (whose
``request`` carries the ``X-API-Key`` header) are turned into the SDK's before
anything is raised, outside their ``except`` blocks, so none is chained as a
cause or context; tokens sit in frames only inside :class:`_Secret`, whose
``repr`` hides them from ``capture_locals`` tracebacks.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack
from datetime import timedelta
from functools import lru_cache
from typing import IO, Any

import anyio
import httpx
import tenacity
from attrs import field, frozen

from ._api_code import LOGIN_PATH
from ._auth import ForeignFetchError, TokenProvider
from ._clock import Clock
from ._deadline import CallDeadline, DeadlineClock, current_deadline
from ._decision import Decision, decide
from ._failures import transport_failure
from ._ratelimit import RateLimiter
from ._responses import decode_error_body, decode_json, unreadable
from ._retry import RetryPolicy, make_retrying, parse_retry_after
from ._serde import dumps
from ._version import __version__
from .errors import (
    AmiliError,
    APIStatusError,
    ConfigurationError,
    ConnectError,
    OutcomeUnknownError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ResponseValidationError,
    TransportError,
    error_class_for_status,
)

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "ApiResult", "FilePart", "Pipeline", "RequestSpec"]

logger = logging.getLogger("amili_async")

#: The largest answer body read by default: 50 MiB, far above any JSON the API sends.
DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024

#: At most this many chunks already buffered are dropped when a body is abandoned.
_MAX_DROPPED_CHUNKS = 1000


@frozen
class FilePart:
    """A file for a multipart form. ``open`` gives a binary stream at its start for each attempt;
    ``owned`` streams are closed after the attempt (a caller's own file object is not)."""

    filename: str
    content_type: str
    open: Callable[[], IO[bytes]]
    owned: bool = True


@frozen(repr=False)
class RequestSpec:
    """What a service asks for: no HTTP machinery, just the facts of one request.

    ``replay_safe`` says the request may be sent twice with no harm (reads).
    ``reconcile``, for a write, looks on the server for what the write would
    have made; the pipeline calls it when an attempt's outcome is unknown and
    returns what it finds instead of sending the write again.
    ``login`` marks the token request itself: it carries its own ``headers``
    instead of a token, is never refreshed after a 401, and takes no
    concurrency slot (the requests waiting for its token hold them all).
    Its ``repr`` names the method and path only: the body and headers may
    hold personal data or login credentials.

    ``keep_response`` keeps the httpx response of a successful answer in the
    result (for ``with_raw_response``; its request's ``X-API-Key`` is masked);
    ``max_response_bytes`` overrides the pipeline's limit for this request.
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
    keep_response: bool = False
    max_response_bytes: int | None = None

    def __repr__(self) -> str:
        return f"RequestSpec({self.method} {self.path}{', login' if self.login else ''})"


@frozen
class ApiResult:
    """A successful answer: parsed JSON ``data``; or, after reconciliation, ``existing``.

    ``http_response`` is the httpx response, kept only when the spec asked for it.
    """

    status_code: int
    data: Any
    headers: httpx.Headers
    existing: Any = None
    http_response: httpx.Response | None = field(default=None, repr=False, eq=False)


@frozen
class _Answer:
    """An HTTP answer as the pipeline keeps it: no httpx response, so no request and no key.
    Its ``repr`` leaves the body out (a login's body is the token)."""

    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    content: bytes = field(repr=lambda content: f"<{len(content)} bytes>")
    http_response: httpx.Response | None = field(default=None, repr=False, eq=False)


class _Secret:
    """A token held in a local variable: ``repr`` and ``str`` hide it, so a traceback
    that shows locals (``rich``, ``capture_locals``) cannot. Iterating gives the one
    value (it is what ``decode_json(secrets=...)`` masks)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __iter__(self) -> Iterator[str]:
        return iter((self.value,))

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


class _NotLandedError(Exception):
    """Reconciliation showed the write did not land: safe to send again."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(str(cause))


def _outcome_unknown(spec: RequestSpec, reason: str, why_not_resent: str) -> OutcomeUnknownError:
    """The one way an :class:`OutcomeUnknownError` is made: ``why_not_resent`` ends the message."""
    return OutcomeUnknownError(
        f"the request was sent but no usable answer came back, and {why_not_resent}",
        method=spec.method,
        path=spec.path,
        request_body=spec.json,
        reason=reason,
    )


def _deadline_error(spec: RequestSpec, limit: CallDeadline) -> TransportError:
    """What a call cut by its deadline raises.

    A write sent with no answer yet may have landed: it is not sent again, and
    there is no time left to look it up, so its outcome is unknown.
    """
    deadline = f"the {limit.seconds:g} s deadline"
    if limit.write_in_doubt:
        return _outcome_unknown(
            spec,
            f"{deadline} passed",
            f"{deadline} passed before it could be looked up; it was not sent again",
        )
    message = f"no answer within {deadline}"
    if not spec.replay_safe:
        message += "; the write did not land, so it can be sent again"
    return RequestTimeoutError(message, method=spec.method, path=spec.path)


def _mark_write_in_doubt(spec: RequestSpec, in_doubt: bool) -> None:
    """Record for the call's deadline whether a write is out with its outcome unknown."""
    deadline = current_deadline()
    if deadline is not None and not spec.replay_safe:
        deadline.write_in_doubt = in_doubt


def _scrub_chain(error: BaseException) -> None:
    """Cut every ``__cause__`` / ``__context__`` link in ``error``'s chain that leads to an
    exception not made by the SDK (an httpx error holds the request and its key)."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for name in ("__cause__", "__context__"):
            linked = getattr(current, name)
            if isinstance(linked, AmiliError | ForeignFetchError):
                stack.append(linked)
            elif linked is not None:
                setattr(current, name, None)


def _error_from_response(
    answer: _Answer, method: str, path: str, retry_after: float | None
) -> APIStatusError:
    message = answer.reason_phrase or "error"
    issues: Mapping[str, Any] | None = None
    body: Any = decode_error_body(answer.content) if answer.content else None
    if isinstance(body, Mapping):
        error = body.get("_error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            message = error["message"]
        elif isinstance(error, str):
            message = error
        raw_issues = body.get("_issues")
        if isinstance(raw_issues, Mapping):
            issues = raw_issues
    cls = error_class_for_status(answer.status_code)
    return cls(
        message,
        status_code=answer.status_code,
        method=method,
        path=path,
        issues=issues,
        body=body,
        retry_after=retry_after,
        headers=httpx.Headers(answer.headers),
    )


def _decode_answer(spec: RequestSpec, answer: _Answer, token: _Secret | None) -> Any:
    """The JSON of a successful answer, or :class:`ResponseValidationError`. A login
    answer is never quoted in the error: its body is the new token."""
    error: ResponseValidationError | None = None
    try:
        return decode_json(
            answer.content,
            status_code=answer.status_code,
            method=spec.method,
            path=spec.path,
            content_type=answer.headers.get("Content-Type"),
            secrets=token if token is not None else (),
        )
    except ResponseValidationError as unusable:
        error = unusable
    if not spec.login:
        # Raised afresh, without the frames that read the body: it may echo the key
        # (a debug page that shows the request's headers), and tracebacks show locals.
        raise error.with_traceback(None)
    raise unreadable(
        error.reason,
        b"",
        status_code=answer.status_code,
        method=spec.method,
        path=spec.path,
        landed=False,
    )


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@lru_cache(maxsize=1024)
def _url(url: str) -> httpx.URL:
    """``url`` parsed, the same few paths (a case polled again, ``/case_registrations``)
    parsed once: an ``httpx.URL`` is immutable, so one serves every request to it."""
    return httpx.URL(url)


async def _abandon(chunks: AsyncIterator[bytes]) -> None:
    """Stop reading a body part-way, ending every generator under httpx's stream now.

    Left suspended, each would be collected later unclosed (a ``ResourceWarning``
    on trio), and nothing outside httpx can close them. A cancellation raised at
    the read they wait on ends them all, and closes the connection, as a deadline
    does. Chunks already buffered are read and dropped on the way (a bounded few).
    """
    with anyio.CancelScope() as scope:
        scope.cancel()
        for _ in range(_MAX_DROPPED_CHUNKS):
            try:
                await chunks.__anext__()
            except (StopAsyncIteration, httpx.HTTPError):
                return


def _kept_response(response: httpx.Response, content: bytes) -> httpx.Response:
    """``response`` as a caller asked to keep it: its body readable (``.content``,
    ``.json()``), and its request's ``X-API-Key`` masked, so that the kept
    response holds no key (the request is finished; a retry builds its own)."""
    # httpx keeps a body read in chunks nowhere; ``aread`` sets this same attribute.
    response._content = content
    if "X-API-Key" in response.request.headers:
        response.request.headers["X-API-Key"] = "***"
    return response


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
    """Runs :class:`RequestSpec` s for one client. Shared by ``with_options`` copies.

    ``http`` sends every request; ``base_url`` is where (each request's URL is
    built here, so a caller's own httpx client keeps its own ``base_url`` for
    its own use). ``headers`` go on every request, the token request included:
    set once on ``http`` when the SDK made it (``own_http``), else merged into
    each request so that a caller's client is never changed.

    ``transport``, when given, is ``http``'s one transport, and requests are
    handed to it directly: the pipeline already does everything
    ``AsyncClient.send`` would add (headers, timeouts, no redirects), and what
    it would add beyond that (cookies, event hooks, auth flows, its log line)
    the SDK does not use. Pass it only when ``http`` has no proxy, mount,
    hook, auth or cookie that would then be skipped. ``timeout`` is then the
    default of a request sent with none (``http``'s own).
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        auth: TokenProvider,
        limiter: RateLimiter,
        clock: Clock,
        rng: random.Random | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        own_http: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = http
        self.own_http = own_http
        #: Where requests go straight to, skipping ``AsyncClient.send`` (see above).
        self.direct_transport = transport
        self._default_timeout = http.timeout
        self._timeout_extension: tuple[httpx.Timeout, dict[str, float | None]] | None = None
        self._base = (base_url if base_url is not None else str(http.base_url)).rstrip("/")
        self.auth = auth
        self.limiter = limiter
        # Every wait of a call goes through this clock, so none outlasts the call's deadline.
        self.clock = clock if isinstance(clock, DeadlineClock) else DeadlineClock(clock)
        self.max_response_bytes = max_response_bytes
        self._rng = rng or random.Random()
        #: The retry policy of the token request (the client's own, as it was built).
        self.login_retry = RetryPolicy()
        #: The deadline of the token request (the client's own), in seconds.
        self.login_deadline: float | None = None
        #: 429s in a row without a success between them (client-wide).
        self._rate_limited_streak = 0
        #: The caller's own headers for every request (``AmiliClient(default_headers=)``).
        self.default_headers: dict[str, str] = dict(headers or {})
        every = {
            "Accept": "application/json",
            "User-Agent": f"amili-async/{__version__}",
            **(headers or {}),
        }
        #: What each request carries besides its own headers; names in lower case, so
        #: that a request's header replaces one of these of any case.
        self._headers: dict[str, str]
        if transport is not None:
            # Sent past the client: its own headers (Accept-Encoding...) go on each request.
            self._headers = {**http.headers, **_lowered(every)}
        elif own_http:
            # Set once on the SDK's own httpx client, which merges them into every request.
            http.headers.update(every)
            self._headers = {}
        else:
            self._headers = _lowered(every)  # a caller's client is never changed

    async def request(
        self,
        spec: RequestSpec,
        *,
        retry: RetryPolicy,
        timeout: httpx.Timeout | None = None,
        deadline: float | None = None,
    ) -> ApiResult:
        """Send ``spec`` under ``retry``; return the result or raise a typed error.

        ``deadline`` (seconds) bounds the whole call: every attempt, backoff,
        rate-limit wait and token fetch. When it passes the call ends with
        :class:`~amili_async.RequestTimeoutError`, or, for a write that was
        sent and not answered, :class:`~amili_async.OutcomeUnknownError` (it
        is never sent again).
        """
        if self.http.is_closed:
            raise ConfigurationError("the client is closed: make a new AmiliClient")
        with CallDeadline(deadline, self.clock) as limit:
            try:
                return await self._run(spec, retry, timeout)
            except AmiliError as error:
                _scrub_chain(error)
                raise
        # Only a call cut by its deadline gets here, outside any except block.
        raise _deadline_error(spec, limit)

    async def _run(
        self, spec: RequestSpec, retry: RetryPolicy, timeout: httpx.Timeout | None
    ) -> ApiResult:
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
        not_landed: _NotLandedError | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    if first_error is not None:
                        replayed, first_error = first_error, None
                        raise replayed
                    return await self._attempt(
                        spec, attempt.retry_state.attempt_number, retry, timeout
                    )
        except _NotLandedError as error:
            not_landed = error
        if not_landed is not None:
            # The last re-send was shown not to have landed: the outcome is known.
            raise not_landed.cause
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _attempt(
        self,
        spec: RequestSpec,
        attempt_number: int,
        retry: RetryPolicy,
        timeout: httpx.Timeout | None,
    ) -> ApiResult:
        failure: TransportError | None = None
        try:
            answer, token = await self._send_authenticated(spec, attempt_number, timeout)
        except TransportError as error:
            failure = error
        if failure is not None:
            return await self._after_failure(spec, failure, retry)
        if answer.status_code in spec.expected_status:
            self._rate_limited_streak = 0
            try:
                data = _decode_answer(spec, answer, token)
            except ResponseValidationError as error:
                existing = await look_up_landed(spec, error)
                return ApiResult(
                    answer.status_code,
                    None,
                    answer.headers,
                    existing=existing,
                    http_response=answer.http_response,
                )
            return ApiResult(
                answer.status_code, data, answer.headers, http_response=answer.http_response
            )
        retry_after = parse_retry_after(answer.headers.get("Retry-After"), self.clock.now())
        status_error = _error_from_response(answer, spec.method, spec.path, retry_after)
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
                str(error),
                "this request cannot be looked up, so it was not sent again; check before retrying",
            ) from error
        # Give a write that is still being processed a moment to land before looking.
        await self.clock.sleep(retry.backoff(1, self._rng))
        lookup_error: Exception | None = None
        try:
            existing = await spec.reconcile()
        except Exception as failed:
            lookup_error = failed
        if lookup_error is not None:
            raise _outcome_unknown(
                spec,
                str(error),
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
        _mark_write_in_doubt(spec, False)
        raise _NotLandedError(error)

    async def _send_authenticated(
        self, spec: RequestSpec, attempt_number: int, timeout: httpx.Timeout | None
    ) -> tuple[_Answer, _Secret | None]:
        """Send one attempt with a token (refreshed and replayed once after a 401);
        the answer and the token it was sent with."""
        if spec.login:
            await self.limiter.wait_for_server_budget()
            return await self._send_once(spec, None, attempt_number, timeout), None
        async with self.limiter.slot():
            token = _Secret(await self.auth.get_token())
            answer = await self._send_once(spec, token, attempt_number, timeout)
            if (
                answer.status_code in spec.expected_status
                or decide(answer.status_code, replay_safe=spec.replay_safe) is not Decision.REFRESH
            ):
                return answer, token
            fresh = _Secret(await self.auth.refresh(token.value) or token.value)
            if fresh.value == token.value:
                return answer, token
            logger.info(
                "%s %s: token rejected, refreshed it; replaying once", spec.method, spec.path
            )
            return await self._send_once(spec, fresh, attempt_number, timeout), fresh

    async def _send_once(
        self,
        spec: RequestSpec,
        token: _Secret | None,
        attempt_number: int,
        timeout: httpx.Timeout | None,
    ) -> _Answer:
        started = self.clock.monotonic()
        _mark_write_in_doubt(spec, True)
        outcome = await self._exchange(spec, token, timeout)
        if isinstance(outcome, tuple):
            error, failure = outcome
            lost = isinstance(error, TransportError) and not isinstance(error, ConnectError)
            _mark_write_in_doubt(spec, lost)
            self._log(spec, attempt_number, started, None, failure)
            raise error
        _mark_write_in_doubt(
            spec, decide(outcome.status_code, replay_safe=False) is Decision.RECONCILE
        )
        self._log(spec, attempt_number, started, outcome.status_code, None)
        self.limiter.observe_server_budget(outcome.headers)
        return outcome

    async def _exchange(
        self, spec: RequestSpec, token: _Secret | None, timeout: httpx.Timeout | None
    ) -> _Answer | tuple[AmiliError, str]:
        """Send ``spec`` and read the answer; a failure is returned (the SDK's error and
        what httpx called it), never raised, so that no httpx error is chained to it."""
        limit = spec.max_response_bytes or self.max_response_bytes
        with ExitStack() as files:
            request = self._build_request(spec, token, timeout, files)
            try:
                response = await self._send_request(request, spec.keep_response)
                try:
                    content = await self._read_body(response, limit)
                finally:
                    await response.aclose()
            except (httpx.TransportError, httpx.DecodingError) as error:
                failure = transport_failure(
                    spec.method,
                    spec.path,
                    error,
                    request=request,
                    replay_safe=spec.replay_safe,
                    secrets=token if token is not None else (),
                )
                return failure, type(error).__name__
        if content is None:
            if response.status_code not in spec.expected_status:
                content = b""  # an error answer is judged by its status; its body only adds words
            else:
                landed = not spec.replay_safe and 200 <= response.status_code < 300
                too_large = ResponseTooLargeError(
                    limit,
                    status_code=response.status_code,
                    method=spec.method,
                    path=spec.path,
                    landed=landed,
                )
                return too_large, "ResponseTooLarge"
        kept = _kept_response(response, content) if spec.keep_response else None
        return _Answer(
            response.status_code, response.reason_phrase, response.headers, content, kept
        )

    def _build_request(
        self,
        spec: RequestSpec,
        token: _Secret | None,
        timeout: httpx.Timeout | None,
        files_stack: ExitStack,
    ) -> httpx.Request:
        """The httpx request for one attempt; the files it opens close with ``files_stack``."""
        headers = dict(self._headers)
        if spec.headers:
            headers.update((name.lower(), value) for name, value in spec.headers.items())
        if token is not None:
            headers["x-api-key"] = token.value
        content: bytes | None = None
        files: dict[str, tuple[str, IO[bytes], str]] | None = None
        if spec.files is not None:
            files = {}
            for name, part in spec.files.items():
                stream = part.open()
                if part.owned:
                    files_stack.enter_context(stream)
                files[name] = (part.filename, stream, part.content_type)
        elif spec.json is not None:
            content = dumps(spec.json)
            headers["Content-Type"] = "application/json"
        if self.direct_transport is None:
            return self.http.build_request(
                spec.method,
                self._base + spec.path,
                params=spec.params,
                content=content,
                data=spec.form,
                files=files,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        return httpx.Request(
            spec.method,
            _url(self._base + spec.path),
            params=spec.params,
            content=content,
            data=spec.form,
            files=files,
            headers=headers,
            extensions={"timeout": self._timeout_dict(timeout)},
        )

    def _timeout_dict(self, timeout: httpx.Timeout | None) -> dict[str, float | None]:
        """``timeout`` (else the client's) as httpx's transports read it; the last one kept."""
        timeout = timeout if timeout is not None else self._default_timeout
        cached = self._timeout_extension
        if cached is None or cached[0] is not timeout:
            cached = self._timeout_extension = (timeout, timeout.as_dict())
        return cached[1]

    async def _send_request(self, request: httpx.Request, timed: bool) -> httpx.Response:
        """Send one request, never following a redirect (it would carry the key along).

        Straight to the transport when there is one (the answer then gets its
        ``request``, and, when ``timed``, its ``elapsed`` set here, as the client
        would); else through ``AsyncClient.send``.
        """
        transport = self.direct_transport
        if transport is None:
            return await self.http.send(request, stream=True, follow_redirects=False)
        started = time.perf_counter() if timed else 0.0
        response = await transport.handle_async_request(request)
        response.request = request
        if timed:
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
        return response

    @staticmethod
    async def _read_body(response: httpx.Response, limit: int) -> bytes | None:
        """The answer's (decompressed) body, or ``None`` when it is longer than
        ``limit`` bytes: then reading stops there."""
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and response.headers.get("Content-Encoding", "identity") == "identity":
            # The usual case: the size is known before reading and nothing is compressed.
            return await response.aread() if int(length) <= limit else None
        body: list[bytes] = []
        size = 0
        chunks = response.aiter_bytes()
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                await _abandon(chunks)
                return None
            body.append(chunk)
        return b"".join(body)

    async def login(self, method: str, *, headers: Mapping[str, str], json: Any) -> Any:
        """Send the token request (see :class:`~amili_async._api_code.LoginChannel`)."""
        spec = RequestSpec(
            method, LOGIN_PATH, json=json, headers=headers, replay_safe=True, login=True
        )
        del headers, json  # the login credentials stay out of this frame's locals
        result = await self.request(
            spec, retry=self.login_retry, timeout=None, deadline=self.login_deadline
        )
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
