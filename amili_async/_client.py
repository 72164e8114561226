"""``AmiliClient``: configuration, lifecycle, and one attribute per service."""

from __future__ import annotations

import copy
import ipaddress
import random
from types import TracebackType

import httpx

from ._api_code import ApiCodeAuth
from ._auth import StaticKey, TokenProvider
from ._clock import Clock, SystemClock
from ._deadline import DeadlineClock, check_deadline
from ._pipeline import DEFAULT_MAX_RESPONSE_BYTES, ApiResult, Pipeline, RequestSpec
from ._pool import ShardedPoolTransport, environment_proxies
from ._ratelimit import RateLimit, RateLimiter
from ._retry import RetryPolicy
from .errors import ConfigurationError
from .services import (
    Accounts,
    CaseRegistrations,
    Cases,
    CreditorCancellations,
    CreditorCreditings,
    CreditorPayments,
    Creditors,
    Customers,
    FinancePayouts,
    FinancePayoutSpecifications,
    InvoiceRegistrations,
    Media,
)

__all__ = ["DEFAULT_BASE_URL", "AmiliClient"]

#: Amili's sandbox environment. Production is a separate host.
DEFAULT_BASE_URL = "https://api-sandbox.amili.se"

_DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return httpx.Timeout(float(timeout))


def _check_max_response_bytes(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ConfigurationError(
            f"max_response_bytes must be a positive whole number of bytes, got {limit!r}"
        )
    return limit


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str) -> httpx.URL:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ConfigurationError(
            f"refusing plain http:// to {url.host}: the API key would travel unencrypted. "
            "Use https://, or http:// only to a loopback address such as a local sandbox."
        )
    return url


class AmiliClient:
    """An async client for the Amili API.

    Give it either ``api_key`` (a fixed key) or ``token_provider`` (for
    example a :class:`~amili_async.RefreshingTokenProvider`). Use it as
    ``async with AmiliClient(...) as client:``, or call :meth:`aclose` when
    done. One client is safe to share between any number of tasks: they share
    its connection pool, its rate limit and its token.

    ``timeout`` is seconds or an ``httpx.Timeout``, httpx's limit on each
    connect, read and write; ``deadline`` (seconds, default none) bounds a
    whole call: every attempt, backoff, rate-limit wait and token fetch, on
    the client's clock and in real time; past it the call raises
    :class:`~amili_async.RequestTimeoutError` (a write that was sent and not
    answered: :class:`~amili_async.OutcomeUnknownError`, never sent again).
    ``max_response_bytes`` (default 50 MiB) is the longest answer read:
    a longer one is :class:`~amili_async.ResponseTooLargeError`. ``retry`` a
    :class:`~amili_async.RetryPolicy`; ``rate_limit`` a
    :class:`~amili_async.RateLimit`; ``transport`` any httpx async transport
    (the sandbox plugs in here); ``clock`` the time source (tests pass a
    :class:`~amili_async.ManualClock`).
    """

    case_registrations: CaseRegistrations
    cases: Cases
    media: Media
    creditor_payments: CreditorPayments
    customers: Customers
    accounts: Accounts
    creditors: Creditors
    finance_payouts: FinancePayouts
    finance_payout_specifications: FinancePayoutSpecifications
    creditor_creditings: CreditorCreditings
    creditor_cancellations: CreditorCancellations
    invoice_registrations: InvoiceRegistrations

    def __init__(
        self,
        api_key: str | None = None,
        *,
        token_provider: TokenProvider | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout = _DEFAULT_TIMEOUT,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimit | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        if (api_key is None) == (token_provider is None):
            raise ConfigurationError("give exactly one of api_key= and token_provider=")
        auth: TokenProvider = token_provider if token_provider is not None else StaticKey(api_key)  # type: ignore[arg-type]
        url = _check_base_url(base_url)
        self._base_url = str(url)
        self._timeout = _as_timeout(timeout) or _DEFAULT_TIMEOUT
        self._deadline = check_deadline(deadline)
        self._retry = retry or RetryPolicy()
        self._rate_limit = rate_limit or RateLimit()
        self._clock: Clock = clock or SystemClock()
        if limits is None:
            limits = httpx.Limits(
                max_connections=self._rate_limit.max_concurrency,
                max_keepalive_connections=min(self._rate_limit.max_concurrency, 50),
            )
        self._connection_pool: ShardedPoolTransport | None = None
        if transport is None and not environment_proxies():
            # httpx's own transport, spread over several small connection pools
            # (one large pool costs milliseconds of CPU per request under load).
            # With a proxy configured httpx's default stays, as it alone applies it.
            transport = self._connection_pool = ShardedPoolTransport(limits)
        http = httpx.AsyncClient(
            base_url=url,
            timeout=self._timeout,
            limits=limits,
            transport=transport,
            follow_redirects=False,
        )
        self._pipeline = Pipeline(
            http=http,
            auth=auth,
            limiter=RateLimiter(self._rate_limit, DeadlineClock(self._clock)),
            clock=self._clock,
            rng=random.Random(seed),
            max_response_bytes=_check_max_response_bytes(max_response_bytes),
        )
        self._pipeline.login_retry = self._retry
        self._pipeline.login_deadline = self._deadline
        if isinstance(auth, ApiCodeAuth):
            auth.attach(self._pipeline, self._clock)
        self._bind_services()

    def _bind_services(self) -> None:
        self.case_registrations = CaseRegistrations(self)
        self.cases = Cases(self)
        self.media = Media(self)
        self.creditor_payments = CreditorPayments(self)
        self.customers = Customers(self)
        self.accounts = Accounts(self)
        self.creditors = Creditors(self)
        self.finance_payouts = FinancePayouts(self)
        self.finance_payout_specifications = FinancePayoutSpecifications(self)
        self.creditor_creditings = CreditorCreditings(self)
        self.creditor_cancellations = CreditorCancellations(self)
        self.invoice_registrations = InvoiceRegistrations(self)

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._base_url

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this client (or of this ``with_options`` view)."""
        return self._retry

    @property
    def timeout(self) -> httpx.Timeout:
        """The default timeout of this client (or of this ``with_options`` view)."""
        return self._timeout

    @property
    def deadline(self) -> float | None:
        """The whole-call deadline in seconds of this client (or view), or ``None``."""
        return self._deadline

    @property
    def clock(self) -> Clock:
        """The clock the client paces, backs off and expires tokens by."""
        return self._clock

    @property
    def token_provider(self) -> TokenProvider:
        """Where the client's token comes from."""
        return self._pipeline.auth

    @property
    def connection_pool(self) -> ShardedPoolTransport | None:
        """The client's own connection pools, for monitoring (``in_flight``, ``pool_count``).

        ``None`` when httpx's transport carries the requests instead: a
        ``transport=`` was given, or a proxy is configured in the environment.
        ``with_options`` views share their client's pools.
        """
        return self._connection_pool

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
    ) -> AmiliClient:
        """A view of this client with other defaults for the calls made through it.

        The view shares the connection pool, rate limit and token of this
        client: ``client.with_options(deadline=5).cases.get(case_id)``.
        """
        view = copy.copy(self)
        if timeout is not None:
            view._timeout = _as_timeout(timeout) or self._timeout
        if deadline is not None:
            view._deadline = check_deadline(deadline)
        if retry is not None:
            view._retry = retry
        view._bind_services()
        return view

    async def _send(
        self,
        spec: RequestSpec,
        timeout: float | httpx.Timeout | None,
        deadline: float | None = None,
    ) -> ApiResult:
        return await self._pipeline.request(
            spec,
            retry=self._retry,
            timeout=_as_timeout(timeout) or self._timeout,
            deadline=check_deadline(deadline) or self._deadline,
        )

    async def aclose(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        await self._pipeline.http.aclose()

    async def __aenter__(self) -> AmiliClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AmiliClient(base_url={self._base_url!r}, auth={self._pipeline.auth!r})"
