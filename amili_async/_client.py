"""``AmiliClient``: configuration, lifecycle, and one attribute per service."""

from __future__ import annotations

import copy
import ipaddress
import random
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import attrs
import httpx

from ._aiohttp import DefaultAioHttpClient
from ._api_code import ApiCodeAuth
from ._auth import TokenProvider
from ._clock import Clock, SystemClock
from ._deadline import DeadlineClock, check_deadline
from ._environment import base_url_from, token_provider_from
from ._pipeline import DEFAULT_MAX_RESPONSE_BYTES, ApiResult, Pipeline, RequestSpec
from ._pool import ShardedPoolTransport, environment_proxies
from ._ratelimit import RateLimit, RateLimiter
from ._raw import ClientRawResponses, send_captured
from ._request import check_headers, generic_spec
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


ProxyArg = str | httpx.URL | httpx.Proxy


def _check_proxy(proxy: ProxyArg) -> httpx.Proxy:
    try:
        return proxy if isinstance(proxy, httpx.Proxy) else httpx.Proxy(proxy)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(f"proxy: {error}") from None


def _own_http(
    url: httpx.URL,
    timeout: httpx.Timeout,
    limits: httpx.Limits,
    transport: httpx.AsyncBaseTransport | None,
    proxy: ProxyArg | None,
) -> tuple[httpx.AsyncClient, httpx.AsyncBaseTransport | None]:
    """The SDK's own httpx client, and the one transport it sends through (``None`` with a
    proxy: httpx picks the transport per URL then). By default, sharded pools."""
    if proxy is not None and transport is not None:
        raise ConfigurationError("proxy= cannot go with transport=: the transport sends alone")
    if transport is None and proxy is None and not environment_proxies():
        # httpx's own transport, spread over several small connection pools
        # (one large pool costs milliseconds of CPU per request under load).
        # With a proxy httpx's default stays, as it alone applies it.
        transport = ShardedPoolTransport(limits)
    http = httpx.AsyncClient(
        base_url=url,
        timeout=timeout,
        limits=limits,
        transport=transport,
        proxy=_check_proxy(proxy) if proxy is not None else None,
        follow_redirects=False,
    )
    return http, transport


def _check_http_client(http_client: object, **others: object) -> httpx.AsyncClient:
    if not isinstance(http_client, httpx.AsyncClient):
        raise ConfigurationError(
            f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
        )
    if http_client.is_closed:
        raise ConfigurationError("http_client is closed")
    given = sorted(name for name, value in others.items() if value is not None)
    if given:
        raise ConfigurationError(
            f"{', '.join(given)} cannot go with http_client=: configure them on that client"
        )
    return http_client


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

    Give it ``api_key`` (a fixed key) or ``token_provider`` (for example
    :class:`~amili_async.ApiCodeAuth`, Amili's login), or neither: then it
    reads ``AMILI_API_KEY``, or ``AMILI_API_CODE`` with ``AMILI_PRIVATE_KEY``
    (and ``AMILI_JWT_ALGORITHM``), from the environment, and ``base_url``
    from ``AMILI_BASE_URL`` (read only with the environment's credentials: a
    key and its server go together), else Amili's sandbox. Arguments always win; both
    kinds of credentials in the environment is a
    :class:`~amili_async.ConfigurationError`. Use it as ``async with
    AmiliClient() as client:``, or call :meth:`aclose` when done. One client
    is safe to share between any number of tasks: they share its connection
    pool, its rate limit and its token.

    ``timeout`` is seconds or an ``httpx.Timeout``, httpx's limit on each
    connect, read and write; ``deadline`` (seconds, default none) bounds a
    whole call: every attempt, backoff, rate-limit wait and token fetch, on
    the client's clock and in real time; past it the call raises
    :class:`~amili_async.RequestTimeoutError` (a write that was sent and not
    answered: :class:`~amili_async.OutcomeUnknownError`, never sent again).
    ``max_response_bytes`` (default 50 MiB) is the longest answer read:
    a longer one is :class:`~amili_async.ResponseTooLargeError`. ``retry`` a
    :class:`~amili_async.RetryPolicy`; ``rate_limit`` a
    :class:`~amili_async.RateLimit`; ``default_headers`` go on every request
    (they cannot set ``X-API-Key``: the key comes from the credentials);
    ``clock`` the time source (tests pass a :class:`~amili_async.ManualClock`).

    Connections: by default the SDK makes its own httpx client, with
    ``limits``, ``proxy`` (else the environment's ``HTTPS_PROXY``...) or
    ``transport`` (any httpx async transport: the sandbox plugs in here).
    ``http_client`` is your own ``httpx.AsyncClient`` instead: the SDK sends
    through it (its transport, proxies, TLS settings, event hooks and cookies
    apply; its request hooks see the ``X-API-Key`` header), builds every URL
    from ``base_url`` (not the client's), sets ``Accept``, ``User-Agent``,
    the key and its ``timeout`` on each request, never follows redirects,
    and never closes it: :meth:`aclose` leaves it open for you to close.
    The exception is a :class:`~amili_async.DefaultAioHttpClient` (the aiohttp
    backend, meant to be passed inline: ``http_client=DefaultAioHttpClient()``),
    which this client owns and closes when it closes.
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
        base_url: str | None = None,
        timeout: float | httpx.Timeout = _DEFAULT_TIMEOUT,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimit | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        default_headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
        proxy: ProxyArg | None = None,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        auth = token_provider_from(api_key, token_provider)
        given = api_key is not None or token_provider is not None
        url = _check_base_url(base_url_from(base_url, DEFAULT_BASE_URL, credentials_given=given))
        self._base_url = str(url)
        self._timeout = _as_timeout(timeout) or _DEFAULT_TIMEOUT
        self._deadline = check_deadline(deadline)
        self._retry = retry or RetryPolicy()
        self._rate_limit = rate_limit or RateLimit()
        self._clock: Clock = clock or SystemClock()
        self._is_view = False
        self._call_headers: dict[str, str] = {}
        self._max_response_bytes: int | None = None
        headers = check_headers(default_headers, what="default_headers", config=True)
        direct: httpx.AsyncBaseTransport | None = None
        if http_client is not None:
            http = _check_http_client(http_client, transport=transport, limits=limits, proxy=proxy)
            if isinstance(http, DefaultAioHttpClient):
                direct = http.direct_transport
        else:
            http, direct = _own_http(
                url, self._timeout, limits or self._default_limits(), transport, proxy
            )
        self._connection_pool = direct if isinstance(direct, ShardedPoolTransport) else None
        self._pipeline = Pipeline(
            http=http,
            auth=auth,
            limiter=RateLimiter(self._rate_limit, DeadlineClock(self._clock)),
            clock=self._clock,
            rng=random.Random(seed),
            max_response_bytes=_check_max_response_bytes(max_response_bytes),
            base_url=self._base_url,
            headers=headers,
            own_http=http_client is None,
            transport=direct,
        )
        self._pipeline.login_retry = self._retry
        self._pipeline.login_deadline = self._deadline
        if isinstance(auth, ApiCodeAuth):
            auth.attach(self._pipeline, self._clock)
        self._bind_services()

    def _default_limits(self) -> httpx.Limits:
        return httpx.Limits(
            max_connections=self._rate_limit.max_concurrency,
            max_keepalive_connections=min(self._rate_limit.max_concurrency, 50),
        )

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
    def max_response_bytes(self) -> int:
        """The longest answer read, in bytes, by this client (or view)."""
        return self._max_response_bytes or self._pipeline.max_response_bytes

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers this client (or view) adds to every request, besides the SDK's own."""
        return {**self._pipeline.default_headers, **self._call_headers}

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
        ``transport=``, ``proxy=`` or ``http_client=`` was given, or a proxy is
        configured in the environment. ``with_options`` views share their
        client's pools.
        """
        return self._connection_pool

    @property
    def with_raw_response(self) -> ClientRawResponses:
        """:meth:`request` in its raw form: ``await client.with_raw_response.request(...)``."""
        return ClientRawResponses(self)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> AmiliClient:
        """A view of this client with other defaults for the calls made through it.

        ``client.with_options(deadline=5).cases.get(case_id)``. Every option
        that can differ per call can be set here (those left out stay this
        client's); ``default_headers`` are added to this client's. The view
        shares the connection pool, rate limit, token and clock of this
        client: a different key, server or pool is another client (pass
        ``http_client=`` to share connections). Closing a view, or leaving
        ``async with client.with_options(...) as view:``, closes nothing.
        """
        view = copy.copy(self)
        view._is_view = True
        if timeout is not None:
            view._timeout = _as_timeout(timeout) or self._timeout
        if deadline is not None:
            view._deadline = check_deadline(deadline)
        if retry is not None:
            view._retry = retry
        if max_response_bytes is not None:
            view._max_response_bytes = _check_max_response_bytes(max_response_bytes)
        if default_headers is not None:
            added = check_headers(default_headers, what="default_headers", config=True)
            view._call_headers = {**self._call_headers, **added}
        view._bind_services()
        return view

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        replay_safe: bool | None = None,
        expected_status: int | Iterable[int] | None = None,
        timeout: float | httpx.Timeout | None = None,
        deadline: float | None = None,
    ) -> Any:
        """Send a request the SDK has no method for; return the answer's JSON.

        ``await client.request("GET", "/cases", params={"max_results": 5})``.
        It goes through the same pipeline as every service call: the key, the
        rate limit, retries, 429 pauses, token refresh, ``timeout``,
        ``deadline``, ``max_response_bytes`` and typed errors. ``path`` is
        relative to the base URL (``/cases/<id>``; no host, no ``..``, no
        query: pass ``params=``, JSON-valued ones such as ``where`` as JSON
        text); ``json`` the body; ``headers`` extra headers (not the key);
        ``expected_status`` the success statuses (default: any 2xx; ``204``
        gives ``None``). Numbers with a fraction read as ``Decimal``.

        ``replay_safe`` says whether sending it twice does no harm (default:
        only for ``GET``). A request that is not replay-safe is never sent
        again once it may have reached the server: a lost answer raises
        :class:`~amili_async.OutcomeUnknownError`, as the SDK cannot look an
        arbitrary write up. Checked before anything is sent
        (:class:`~amili_async.RequestValidationError`).
        """
        spec = generic_spec(
            method,
            path,
            params=params,
            json=json,
            headers=headers,
            replay_safe=replay_safe,
            expected_status=expected_status,
        )
        del json, headers  # the body and headers stay out of this frame's locals
        result = await self._send(spec, timeout, deadline)
        return result.data

    async def _send(
        self,
        spec: RequestSpec,
        timeout: float | httpx.Timeout | None,
        deadline: float | None = None,
    ) -> ApiResult:
        if self._call_headers:
            spec = attrs.evolve(spec, headers={**self._call_headers, **(spec.headers or {})})
        if self._max_response_bytes is not None:
            spec = attrs.evolve(spec, max_response_bytes=self._max_response_bytes)
        call_timeout = _as_timeout(timeout) or self._timeout
        call_deadline = check_deadline(deadline) or self._deadline

        async def send(sent: RequestSpec) -> ApiResult:
            return await self._pipeline.request(
                sent, retry=self._retry, timeout=call_timeout, deadline=call_deadline
            )

        return await send_captured(spec, send)

    async def aclose(self) -> None:
        """Close the SDK's connections. The client cannot be used afterwards.

        A ``with_options`` view closes nothing (its client owns the
        connections). An ``http_client=`` of yours is left open, except a
        :class:`~amili_async.DefaultAioHttpClient`, which is closed with this
        client. Closing again does nothing.
        """
        http = self._pipeline.http
        if not self._is_view and (
            self._pipeline.own_http or isinstance(http, DefaultAioHttpClient)
        ):
            await http.aclose()

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
