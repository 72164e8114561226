"""Fault injection: make chosen requests slow, fail, or lose their answer, reproducibly.

A :class:`FaultRule` names a kind of fault, which requests it applies to
(HTTP method and a glob over the path, like ``/cases/*``), how often (``rate``,
drawn from a random generator seeded by the sandbox seed) and how many times
(``times``; ``None`` for no limit). Rules are checked in the order they were
added; every matching latency rule adds its delay, and the first other rule
that fires decides the request's fate. Control endpoints (``/_sandbox/...``)
and ``GET /`` are never faulted.
"""

from __future__ import annotations

import enum
import fnmatch
import math
import random
import threading
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ._controls import MAX_FAULT_SECONDS, check_seconds

__all__ = [
    "ConnectionDropped",
    "FaultDecision",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "ResponseDropped",
]


class FaultKind(enum.StrEnum):
    """What a fault does to a request."""

    #: Wait ``seconds`` before handling the request (through the sandbox's sleep).
    LATENCY = "latency"
    #: Answer ``status`` (500, 502, 503 or 504) without handling the request;
    #: 503 carries ``Retry-After`` when ``retry_after`` is set.
    ERROR = "error"
    #: Answer Eve's bare 429 without handling the request; with ``retry_after``
    #: set it also carries ``Retry-After`` (which Eve never sends).
    RATE_LIMIT = "rate_limit"
    #: Drop the connection before the request is handled: nothing is written.
    #: In process the client sees ``httpx.ConnectError``.
    DROP_CONNECTION = "drop_connection"
    #: Handle the request (the write happens), then drop the connection instead
    #: of answering: the client sees ``httpx.RemoteProtocolError``.
    DROP_AFTER_COMMIT = "drop_after_commit"
    #: Handle the request (the write happens), then answer a gateway error
    #: (``status`` 502 or 504) instead of the real response.
    ERROR_AFTER_COMMIT = "error_after_commit"
    #: Expire the presented token now: this request and every later one with
    #: that token get 401 until the client uses a new token. The static API
    #: key never expires; a request with it gets one 401 instead.
    EXPIRE_TOKEN = "expire_token"


#: The most rules at once, and the longest path glob.
_MAX_RULES = 1000
_MAX_PATH = 1000
_ERROR_STATUSES = frozenset({500, 502, 503, 504})
_GATEWAY_STATUSES = frozenset({502, 504})
_DEFAULT_STATUS = {
    FaultKind.ERROR: 503,
    FaultKind.ERROR_AFTER_COMMIT: 502,
    FaultKind.RATE_LIMIT: 429,
}


class ConnectionDropped(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside the in-process transport: the connection broke before handling."""


class ResponseDropped(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside the in-process transport: the request was handled, the answer lost."""


@attrs.define(eq=False)
class FaultRule:
    """One configured fault. ``injected`` counts how often it has fired."""

    id: int
    kind: FaultKind
    method: str = "*"
    path: str = "*"
    rate: float = 1.0
    times: int | None = None
    status: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    injected: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether ``times`` is used up."""
        return self.times is not None and self.injected >= self.times

    def matches(self, method: str, path: str) -> bool:
        """Whether the rule applies to a request (ignoring rate and count)."""
        return (self.method == "*" or self.method == method.upper()) and fnmatch.fnmatchcase(
            path, self.path
        )

    def to_json(self) -> dict[str, Any]:
        """The rule as the control endpoint shows it."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "method": self.method,
            "path": self.path,
            "rate": self.rate,
            "times": self.times,
            "status": self.status,
            "retry_after": self.retry_after,
            "seconds": self.seconds,
            "injected": self.injected,
        }


@attrs.frozen
class FaultDecision:
    """What to do to one request: wait ``latency`` seconds, then apply ``rule`` (if any)."""

    latency: float = 0.0
    rule: FaultRule | None = None


def _check_scope(path: str, rate: float, times: int | None) -> None:
    """Refuse a path glob, rate or count that makes no sense (``ValueError``)."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times must be at least 1 (or None for no limit), got {times}")
    if (not path.startswith("/") and path != "*") or len(path) > _MAX_PATH:
        raise ValueError(
            f"path must be a glob starting with '/' (or '*'), at most {_MAX_PATH} "
            f"characters, got {path[:40]!r}"
        )


def _checked_status(kind: FaultKind, status: int | None) -> int | None:
    """The status a fault of ``kind`` answers (its default when ``None``), or ``ValueError``."""
    status = status if status is not None else _DEFAULT_STATUS.get(kind)
    if kind is FaultKind.ERROR and status not in _ERROR_STATUSES:
        raise ValueError(f"an error fault answers 500, 502, 503 or 504, not {status}")
    if kind is FaultKind.ERROR_AFTER_COMMIT and status not in _GATEWAY_STATUSES:
        raise ValueError(f"an error-after-commit fault answers 502 or 504, not {status}")
    return 429 if kind is FaultKind.RATE_LIMIT else status


class FaultInjector:
    """The sandbox's fault rules (``sandbox.faults``).

    Use the helpers (:meth:`latency`, :meth:`error`, :meth:`rate_limit`,
    :meth:`drop_connection`, :meth:`drop_after_commit`,
    :meth:`error_after_commit`, :meth:`expire_token`) or :meth:`add` with a
    :class:`FaultKind`. Each returns the :class:`FaultRule`, which can be passed
    to :meth:`remove`. Every helper takes ``method`` (``"*"`` for any),
    ``path`` (a glob, ``"*"`` for any), ``rate`` (0..1) and ``times``.
    """

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._rng = random.Random(seed)
        self._injected: Counter[str] = Counter()

    def add(
        self,
        kind: FaultKind | str,
        *,
        method: str = "*",
        path: str = "*",
        rate: float = 1.0,
        times: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> FaultRule:
        """Add a rule; raises ``ValueError`` for a setting that makes no sense.

        ``rate`` must be from 0 to 1, ``times`` a whole number >= 1 (or ``None``),
        ``seconds`` and ``retry_after`` finite and at most an hour, ``path`` at most
        1,000 characters, and there may be at most 1,000 rules.
        """
        kind = FaultKind(kind)
        _check_scope(path, rate, times)
        status = _checked_status(kind, status)
        seconds = check_seconds("seconds", seconds, maximum=MAX_FAULT_SECONDS)
        if retry_after is not None:
            retry_after = check_seconds("retry_after", retry_after, maximum=MAX_FAULT_SECONDS)
        if kind is FaultKind.LATENCY and seconds <= 0:
            raise ValueError("a latency fault needs seconds > 0")
        with self._lock:
            if len(self._rules) >= _MAX_RULES:
                raise ValueError(f"there are {_MAX_RULES} fault rules already: remove some first")
            rule = FaultRule(
                id=self._next_id,
                kind=kind,
                method=method.upper() if method != "*" else "*",
                path=path,
                rate=rate,
                times=times,
                status=status,
                retry_after=retry_after,
                seconds=seconds,
            )
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def latency(
        self,
        seconds: float,
        *,
        method: str = "*",
        path: str = "*",
        rate: float = 1.0,
        times: int | None = None,
    ) -> FaultRule:
        """Delay matching requests by ``seconds``."""
        return self.add(
            FaultKind.LATENCY, seconds=seconds, method=method, path=path, rate=rate, times=times
        )

    def error(
        self,
        status: int = 503,
        *,
        retry_after: float | None = None,
        method: str = "*",
        path: str = "*",
        rate: float = 1.0,
        times: int | None = None,
    ) -> FaultRule:
        """Answer ``status`` (500/502/503/504) instead of handling matching requests."""
        return self.add(
            FaultKind.ERROR,
            status=status,
            retry_after=retry_after,
            method=method,
            path=path,
            rate=rate,
            times=times,
        )

    def rate_limit(
        self,
        retry_after: float | None = None,
        *,
        method: str = "*",
        path: str = "*",
        rate: float = 1.0,
        times: int | None = None,
    ) -> FaultRule:
        """Answer 429 instead of handling matching requests.

        The 429 is bare, like Eve's (no ``Retry-After``, no ``X-RateLimit-*``),
        unless ``retry_after`` is given: then it carries ``Retry-After``.
        """
        return self.add(
            FaultKind.RATE_LIMIT,
            retry_after=retry_after,
            method=method,
            path=path,
            rate=rate,
            times=times,
        )

    def drop_connection(
        self, *, method: str = "*", path: str = "*", rate: float = 1.0, times: int | None = None
    ) -> FaultRule:
        """Break the connection before matching requests are handled."""
        return self.add(FaultKind.DROP_CONNECTION, method=method, path=path, rate=rate, times=times)

    def drop_after_commit(
        self, *, method: str = "*", path: str = "*", rate: float = 1.0, times: int | None = None
    ) -> FaultRule:
        """Handle matching requests, then break the connection instead of answering."""
        return self.add(
            FaultKind.DROP_AFTER_COMMIT, method=method, path=path, rate=rate, times=times
        )

    def error_after_commit(
        self,
        status: int = 502,
        *,
        method: str = "*",
        path: str = "*",
        rate: float = 1.0,
        times: int | None = None,
    ) -> FaultRule:
        """Handle matching requests, then answer a gateway error (502 or 504)."""
        return self.add(
            FaultKind.ERROR_AFTER_COMMIT,
            status=status,
            method=method,
            path=path,
            rate=rate,
            times=times,
        )

    def expire_token(
        self, *, method: str = "*", path: str = "*", rate: float = 1.0, times: int | None = 1
    ) -> FaultRule:
        """Expire the token of a matching request early (once, unless ``times`` says more)."""
        return self.add(FaultKind.EXPIRE_TOKEN, method=method, path=path, rate=rate, times=times)

    def add_from_json(self, body: Mapping[str, Any]) -> FaultRule:
        """Add a rule from the control endpoint's JSON body (``kind`` plus the keywords)."""
        allowed = {"kind", "method", "path", "rate", "times", "status", "retry_after", "seconds"}
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        if "kind" not in body:
            raise ValueError("'kind' is required, one of: " + ", ".join(k.value for k in FaultKind))
        kinds = ", ".join(k.value for k in FaultKind)
        try:
            kind = FaultKind(body["kind"])
        except ValueError:
            raise ValueError(f"unknown fault kind {body['kind']!r}; one of: {kinds}") from None

        def number(name: str) -> float | None:
            value = body.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise ValueError(f"{name} must be a number, got {value!r}")
            try:
                return float(value)
            except OverflowError:
                return math.inf

        def whole(name: str) -> int | None:
            value = number(name)
            if value is None:
                return None
            if not math.isfinite(value) or value != int(value):
                raise ValueError(f"{name} must be a whole number, got {body[name]!r}")
            return int(value)

        rate, seconds = number("rate"), number("seconds")
        return self.add(
            kind,
            method=str(body.get("method", "*")),
            path=str(body.get("path", "*")),
            rate=1.0 if rate is None else rate,
            times=whole("times"),
            status=whole("status"),
            retry_after=number("retry_after"),
            seconds=0.0 if seconds is None else seconds,
        )

    def remove(self, rule: FaultRule | int) -> bool:
        """Remove one rule (or its id); returns whether it was there."""
        rule_id = rule.id if isinstance(rule, FaultRule) else rule
        with self._lock:
            for index, existing in enumerate(self._rules):
                if existing.id == rule_id:
                    del self._rules[index]
                    return True
        return False

    def clear(self) -> None:
        """Remove every rule (the ``injected`` counters stay)."""
        with self._lock:
            self._rules.clear()

    def reset(self) -> None:
        """Remove every rule, zero the counters and reseed the random generator."""
        with self._lock:
            self._rules.clear()
            self._injected.clear()
            self._rng = random.Random(self._seed)
            self._next_id = 1

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        """The current rules, in the order they are checked."""
        with self._lock:
            return tuple(self._rules)

    @property
    def injected(self) -> dict[str, int]:
        """How many faults of each kind (``FaultKind`` value) were injected so far."""
        with self._lock:
            return {kind.value: self._injected[kind.value] for kind in FaultKind}

    @property
    def total_injected(self) -> int:
        """How many faults were injected so far, of any kind."""
        with self._lock:
            return sum(self._injected.values())

    def decide(self, method: str, path: str) -> FaultDecision:
        """Draw the faults for one request (counting the ones that fire)."""
        latency = 0.0
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                if rule.kind is not FaultKind.LATENCY and chosen is not None:
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                rule.injected += 1
                self._injected[rule.kind.value] += 1
                if rule.kind is FaultKind.LATENCY:
                    latency += rule.seconds
                else:
                    chosen = rule
        return FaultDecision(latency=latency, rule=chosen)

    def __repr__(self) -> str:
        return f"FaultInjector(rules={len(self._rules)}, injected={self.total_injected})"
