"""The :class:`Sandbox`: an in-memory Amili API, its clock, its faults and its inspection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import anyio
from starlette.applications import Starlette

from .._clock import ManualClock
from ._accounts import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CREDITOR_ID,
    DEFAULT_CREDITOR_NAME,
    SandboxAccount,
    SandboxCreditor,
)
from ._api_users import MAX_JWT_LIFETIME, PublicKeyInput, SandboxApiUser
from ._app import build_app
from ._controls import MAX_TOKEN_LIFETIME, check_advance, check_seconds
from ._directory import INACTIVE_CREDITOR_ID
from ._documents import CaseDocument, PaymentDocument, RegistrationDocument
from ._faults import FaultInjector
from ._query import DEFAULT_MAX_RESULTS_CAP
from ._settings import ApiSettings
from ._state import LoggedRequest, SandboxState
from ._transport import SandboxTransport

__all__ = ["Sandbox"]


class Sandbox:
    """A faithful in-memory simulator of the Amili API, as an ASGI app.

    * ``clock``: the sandbox's time (a :class:`~amili_async.ManualClock`; a
      fresh one starting ``Wed, 03 Sep 2025 07:56:11 GMT`` by default). Cases
      move through their life cycle as it advances (:meth:`advance`).
    * ``seed``: every id, key, token and random fault decision follows from it.
    * ``reference_rate``: the Riksbank reference rate in percent; late-payment
      interest is this plus 8 percentage points a year.
    * ``keep_state``: ``False`` answers every write but stores nothing (for
      memory benchmarks); later reads and payments then find nothing.
    * ``max_results_cap``: the largest page size a list answers (Eve's
      ``PAGINATION_LIMIT``); 100, as Amili documents. A larger ``max_results``
      is cut to it silently (``_meta.max_results`` tells).
    * ``hateoas``: answer Eve's ``_links`` (lists, items, writes, ``GET /``).
      Off by default: Amili's examples show none.
    * ``optimize_pagination_for_speed``: Eve's setting of that name: lists do
      not count, so they have no ``_meta.total`` and no ``X-Total-Count``
      (and, with ``hateoas``, always link ``next``).
    * ``rate_limit``: ``(requests, seconds)``: Eve's rate limit, on the sandbox
      clock. Every request to an API route counts, refused ones and 401s
      included, and moves the window's end to now + ``seconds``; answers
      carry ``X-RateLimit-Limit/Remaining/Reset`` (Reset in epoch seconds);
      past the limit, a bare 429. Counted per client IP, as Eve does for
      ``X-API-Key`` auth, so all in-process clients share one budget.
    * ``sleep``: how injected latency waits; ``anyio.sleep`` (real time) by
      default. Pass ``clock.sleep`` to make latency move the sandbox clock
      instead of waiting.
    * ``request_log_limit``: keep only the last N entries of :attr:`request_log`.
    * ``api_token_lifetime``: seconds of sandbox time an access token from
      ``/authenticates/api-code`` lives (10 minutes by default; simulated, Amili
      does not document it). See :meth:`add_api_user`.
    * ``max_jwt_lifetime``: how far ahead of the sandbox clock a login JWT's
      ``exp`` may be, in seconds (an hour by default; simulated); ``None`` only
      requires it to be in the future, for clients whose clock is not the sandbox's.

    Use it in process with ``httpx.AsyncClient(transport=sandbox.transport())``
    or serve it on a loopback port with :class:`~amili_async.sandbox.SandboxServer`.
    """

    def __init__(
        self,
        clock: ManualClock | None = None,
        seed: int = 0,
        reference_rate: Decimal = Decimal("2.0"),
        *,
        keep_state: bool = True,
        max_results_cap: int = DEFAULT_MAX_RESULTS_CAP,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        api_token_lifetime: float = 600.0,
        max_jwt_lifetime: float | None = MAX_JWT_LIFETIME,
        request_log_limit: int | None = None,
        hateoas: bool = False,
        optimize_pagination_for_speed: bool = False,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        #: The Eve settings the answers follow (raises ``ValueError`` for a bad one).
        self.settings = ApiSettings(
            hateoas=hateoas,
            optimize_pagination_for_speed=optimize_pagination_for_speed,
            max_results_cap=max_results_cap,
            rate_limit=rate_limit,
        )
        self.clock: ManualClock = clock if clock is not None else ManualClock()
        self.seed = seed
        self.max_results_cap = max_results_cap
        self.api_token_lifetime = api_token_lifetime
        self.max_jwt_lifetime = max_jwt_lifetime
        self._sleep: Callable[[float], Awaitable[None]] = (
            sleep if sleep is not None else anyio.sleep
        )
        self._state = SandboxState(
            self.clock,
            seed,
            Decimal(reference_rate),
            keep_state=keep_state,
            request_log_limit=request_log_limit,
            settings=self.settings,
        )
        #: The fault rules and their counters; see :class:`~amili_async.sandbox.FaultInjector`.
        self.faults = FaultInjector(seed)
        #: The Starlette ASGI application.
        self.app: Starlette = build_app(self, self._state, sleep=self._sleep)

    # --- settings -----------------------------------------------------------------

    @property
    def api_token_lifetime(self) -> float:
        """Seconds an access token from the login lives (sandbox time).

        Setting it to anything but a finite number of seconds above 0 and at most
        ten years raises ``ValueError``.
        """
        return self._api_token_lifetime

    @api_token_lifetime.setter
    def api_token_lifetime(self, seconds: float) -> None:
        self._api_token_lifetime = check_seconds(
            "api_token_lifetime", seconds, maximum=MAX_TOKEN_LIFETIME, positive=True
        )

    @property
    def max_jwt_lifetime(self) -> float | None:
        """Seconds a login JWT's ``exp`` may lie ahead of the sandbox clock (``None``: any).

        Checked like :attr:`api_token_lifetime`.
        """
        return self._max_jwt_lifetime

    @max_jwt_lifetime.setter
    def max_jwt_lifetime(self, seconds: float | None) -> None:
        self._max_jwt_lifetime = (
            None
            if seconds is None
            else check_seconds(
                "max_jwt_lifetime", seconds, maximum=MAX_TOKEN_LIFETIME, positive=True
            )
        )

    # --- identity -----------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The default account's static API key (it never expires)."""
        return self._state.static_key(DEFAULT_ACCOUNT_ID)

    @property
    def account_id(self) -> str:
        """The default account: ``674dbeaf08847b9501cc9132``, as in Amili's examples."""
        return DEFAULT_ACCOUNT_ID

    @property
    def creditor_id(self) -> str:
        """The default creditor: ``674dbeb208847b9501cc9138``."""
        return DEFAULT_CREDITOR_ID

    @property
    def inactive_creditor_id(self) -> str:
        """The seeded inactive creditor ``674dbeb208847b9501cc9139``: it takes no registrations."""
        return INACTIVE_CREDITOR_ID

    @property
    def creditor_name(self) -> str:
        """The default creditor's name: ``Amili Integration Team``."""
        return DEFAULT_CREDITOR_NAME

    @property
    def reference_rate(self) -> Decimal:
        """The reference rate in percent (interest is this plus 8 percentage points)."""
        return self._state.reference_rate

    @property
    def keep_state(self) -> bool:
        """Whether writes are stored (``False`` for memory benchmarks)."""
        return self._state.keep_state

    @keep_state.setter
    def keep_state(self, value: bool) -> None:
        self._state.keep_state = value

    def add_account(
        self, account_id: str | None = None, *, name: str | None = None
    ) -> SandboxAccount:
        """Add an account; its ``api_key`` only reaches its own resources (403 elsewhere)."""
        return self._state.add_account(account_id, name=name)

    def add_creditor(
        self,
        name: str,
        *,
        account_id: str | None = None,
        creditor_id: str | None = None,
        currencies: tuple[str, ...] = ("SEK",),
        active: bool = True,
    ) -> SandboxCreditor:
        """Add a creditor under ``account_id`` (the default account when omitted).

        An inactive one (``active=False``) takes no case registrations (a 422 on ``creditor``).
        """
        return self._state.add_creditor(
            name,
            account_id=account_id,
            creditor_id=creditor_id,
            currencies=currencies,
            active=active,
        )

    def add_api_user(
        self,
        api_code: str,
        public_key: PublicKeyInput | None = None,
        *,
        account_id: str | None = None,
        static_ips: Iterable[str] = (),
    ) -> SandboxApiUser:
        """Register an API code for Amili's login, ``/authenticates/api-code``.

        ``public_key`` (PEM text or bytes, or a ``cryptography`` EC P-256/P-384/P-521
        or RSA 2048+ public key) enables the documented JWT login: ``GET`` with a
        JWT ``{"api_code", "exp"}`` signed by the matching private key (ES256/384/512
        for the EC curves, RS256/384/512 for RSA) in ``X-API-Key``. ``static_ips``
        enables the ``POST`` login with ``{"api_code": ...}`` from those addresses.
        In process the caller's address is the one the transport puts in the ASGI
        scope (httpx says ``127.0.0.1``; none at all also counts as ``127.0.0.1``);
        served, it is the peer address uvicorn reports (uvicorn trusts
        ``X-Forwarded-For`` from loopback peers by default).

        Both logins answer 200 with ``{"token": ..., "expires": <RFC 1123>}``
        (simulated: Amili does not show its answer), a token for ``account_id``
        (the default account when omitted) living :attr:`api_token_lifetime`
        seconds of sandbox time. A bad, expired or wrongly signed JWT, an unknown
        code or another address gets Eve's 401. ``reset()`` forgets API users.
        """
        return self._state.add_api_user(
            api_code,
            public_key,
            account_id=account_id or DEFAULT_ACCOUNT_ID,
            static_ips=static_ips,
        )

    def issue_token(
        self, lifetime_seconds: float, *, account_id: str | None = None
    ) -> tuple[str, datetime]:
        """A new token and its expiry, valid for ``lifetime_seconds`` of sandbox time.

        The HTTP equivalent is ``POST /_sandbox/tokens`` with ``{"lifetime": seconds}``.
        A lifetime that is not a finite number of seconds above 0 and at most ten
        years raises ``ValueError``.
        """
        return self._state.issue_token(lifetime_seconds, account_id or DEFAULT_ACCOUNT_ID)

    def expire_token(self, token: str) -> bool:
        """Expire an issued token now; returns whether it was one (static keys never expire)."""
        return self._state.expire_token(token)

    # --- time -----------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The sandbox clock's time."""
        return self._state.now()

    def advance(self, days: float = 0, hours: float = 0, seconds: float = 0) -> datetime:
        """Move the sandbox clock forward and run every case's life cycle up to then.

        Returns the new time. (Moving ``clock`` directly also works: the life
        cycle catches up on the next request or inspection.) A step that is
        negative, not a finite number, or would take the clock past
        ``Wed, 01 Jan 9000 00:00:00 GMT`` raises ``ValueError`` and moves nothing.
        """
        step = check_advance(self.now, days=days, hours=hours, seconds=seconds)
        return self._state.advance(days=0, hours=0, seconds=step)

    # --- transport ------------------------------------------------------------------

    def transport(self) -> SandboxTransport:
        """An ``httpx`` transport that runs this sandbox in process (no socket)."""
        return SandboxTransport(self.app)

    # --- inspection -----------------------------------------------------------------

    def cases(self) -> list[CaseDocument]:
        """Every stored case as the API would return it (JSON-ready copies, oldest first).

        Plain ``dict``s, typed as :class:`~amili_async.sandbox.CaseDocument` so
        that a type checker knows the fields (dates are RFC 1123 strings, amounts
        ``Decimal`` or ``int``). Changing a copy changes nothing in the sandbox.
        """
        return cast("list[CaseDocument]", self._state.snapshot("cases"))

    def registrations(self) -> list[RegistrationDocument]:
        """Every stored case registration (JSON-ready copies, typed like :meth:`cases`)."""
        return cast("list[RegistrationDocument]", self._state.snapshot("case--registrations"))

    def creditings(self) -> list[dict[str, Any]]:
        """Every stored creditor crediting (JSON-ready copies)."""
        return self._state.snapshot("creditor--creditings")

    def cancellations(self) -> list[dict[str, Any]]:
        """Every stored creditor cancellation (JSON-ready copies)."""
        return self._state.snapshot("creditor--cancellations")

    def invoice_registrations(self) -> list[dict[str, Any]]:
        """Every stored invoice registration (JSON-ready copies)."""
        return self._state.snapshot("invoice--registrations")

    def payments(self) -> list[PaymentDocument]:
        """Every stored creditor payment (JSON-ready copies, typed like :meth:`cases`)."""
        return cast("list[PaymentDocument]", self._state.snapshot("creditor--payments"))

    def case(self, case_id: str) -> CaseDocument:
        """One case as the API would return it (a JSON-ready copy); ``KeyError`` if unknown."""
        return cast(CaseDocument, self._state.case(case_id))

    def file(self, case_id: str) -> bytes:
        """The bytes of the invoice last uploaded for a case; ``KeyError`` if none."""
        return self._state.case_file(case_id).data

    @property
    def request_log(self) -> list[LoggedRequest]:
        """Every request received so far (method, path, status, injected fault), oldest first."""
        return self._state.logged_requests()

    @property
    def created(self) -> dict[str, int]:
        """How many registrations, cases and payments were created (stored or not)."""
        return self._state.created_counts()

    def reset(self) -> None:
        """Back to a fresh sandbox: default account and creditor only, no faults, empty log.

        The clock keeps its time (it cannot go back); keys and ids restart from the
        seed; rate-limit windows start afresh. API users are forgotten too: register
        them again with :meth:`add_api_user`.
        """
        self._state.reset()
        self.faults.reset()

    def discard_cases(self) -> None:
        """Forget every registration, case, payment and file (accounts and tokens stay)."""
        self._state.discard()

    def __repr__(self) -> str:
        stored = self._state.counts()
        counts = f"cases={stored['cases']}, payments={stored['creditor--payments']}"
        return f"Sandbox(now={self.now.isoformat()}, {counts}, seed={self.seed})"
