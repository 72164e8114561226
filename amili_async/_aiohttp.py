"""The aiohttp backend: ``AmiliClient(http_client=DefaultAioHttpClient())``.

``pip install 'amili-async[aiohttp]'`` brings aiohttp and ``httpx-aiohttp``,
whose transport hands httpx's requests to an aiohttp session. It costs less
CPU per request than httpx's own stack (httpcore, h11), which matters in bulk
jobs. It runs on asyncio only (aiohttp is an asyncio library); on trio the
first request raises :class:`~amili_async.ConfigurationError`.

aiohttp is imported only when one is made (``_aiohttp_transport``), so that
``import amili_async`` never pays for it; what its failures mean is told there.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpx

from .errors import ConfigurationError

__all__ = ["DefaultAioHttpClient", "aiohttp_available"]

#: httpx's own default pool limits.
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

#: What the ``aiohttp`` extra installs (the top-level modules imported from it).
_EXTRA_MODULES = frozenset({"aiohttp", "httpx_aiohttp"})

_INSTALL_HINT = "the aiohttp backend needs its extra: pip install 'amili-async[aiohttp]'"


def _transport_class() -> Callable[..., httpx.AsyncBaseTransport]:
    """The aiohttp transport, imported on first use; ``ConfigurationError`` without the extra."""
    try:
        from ._aiohttp_transport import AioHttpTransport
    except ImportError as error:
        if error.name not in _EXTRA_MODULES:
            raise  # a bug of ours, not a missing extra: never hidden behind the hint
        missing = error.name
    else:
        return AioHttpTransport
    raise ConfigurationError(f"{_INSTALL_HINT} ({missing} is not installed)")


def aiohttp_available() -> bool:
    """Whether the ``aiohttp`` extra is installed."""
    try:
        _transport_class()
    except ConfigurationError:
        return False
    return True


class DefaultAioHttpClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that sends through aiohttp, for ``AmiliClient(http_client=...)``.

    ``AmiliClient(http_client=DefaultAioHttpClient())``: less client CPU per
    request than httpx's own stack. Needs ``pip install 'amili-async[aiohttp]'``
    (else :class:`~amili_async.ConfigurationError`) and runs on asyncio only
    (on trio the first request raises ``ConfigurationError``). Takes
    ``httpx.AsyncClient``'s arguments (``limits``, ``timeout``, ``verify``,
    ``cert``, ``proxy``, ``trust_env``...) except ``transport=`` (it brings its
    own) and HTTP/2 (aiohttp speaks HTTP/1.1).

    Connection failures are read by when they happened (see the module), so a
    write whose answer was lost is looked up, never sent again blindly.

    It is meant to be passed inline: the :class:`~amili_async.AmiliClient`
    it is given to closes it when that client closes (a ``with_options``
    view does not; closing twice is harmless). To share connections between
    several AmiliClients, give them a plain ``httpx.AsyncClient`` instead.

    When nothing is configured that httpx applies per request (a proxy, from
    ``proxy=`` or the environment; ``mounts``, ``event_hooks``, ``auth``,
    ``cookies``), the SDK hands each request straight to its transport
    (:attr:`direct_transport`), skipping httpx's client machinery: then
    cookies the server sets are not kept (``response.elapsed`` of a raw
    response is still set, by the SDK).
    """

    def __init__(self, **kwargs: Any) -> None:
        self._make_transport = _transport_class()
        if kwargs.get("transport") is not None:
            raise ConfigurationError(
                "DefaultAioHttpClient brings its own transport; for another one use "
                "httpx.AsyncClient(transport=...)"
            )
        if kwargs.get("http2") or kwargs.get("http1") is False:
            raise ConfigurationError("DefaultAioHttpClient speaks HTTP/1.1 only (as aiohttp does)")
        super().__init__(**kwargs)

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **_: Any,
    ) -> httpx.AsyncBaseTransport:
        return self._make_transport(verify=verify, cert=cert, trust_env=trust_env, limits=limits)

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        **_: Any,
    ) -> httpx.AsyncBaseTransport:
        return self._make_transport(
            verify=verify, cert=cert, trust_env=trust_env, limits=limits, proxy=proxy
        )

    @property
    def direct_transport(self) -> httpx.AsyncBaseTransport | None:
        """The transport the SDK may hand requests to directly, or ``None``: then it sends
        through this client (``send``), which applies what is configured on it.

        ``None`` once closed, and whenever httpx would do something per request
        that the transport alone would not: a proxy (``proxy=`` or the
        environment's), ``mounts``, ``event_hooks``, ``auth`` or ``cookies``.
        The :class:`~amili_async.AmiliClient` reads it once, when it is made:
        configure this client before passing it.
        """
        if self.is_closed:
            return None
        # httpx keeps the proxies (given or from the environment) among the mounts.
        if any(mounted is not None for mounted in self._mounts.values()):
            return None
        hooks = self.event_hooks
        if hooks["request"] or hooks["response"] or self.auth is not None or self.cookies:
            return None
        return self._transport
