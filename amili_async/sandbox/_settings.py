"""The Eve settings a sandbox copies, which change what its answers look like."""

from __future__ import annotations

import attrs

from ._query import DEFAULT_MAX_RESULTS_CAP

__all__ = ["ApiSettings"]


def _at_least_one(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value}")


def _check_rate_limit(
    instance: object,
    attribute: attrs.Attribute[tuple[int, float] | None],
    value: tuple[int, float] | None,
) -> None:
    if value is None:
        return
    try:
        requests, seconds = value
    except (TypeError, ValueError):
        raise ValueError(f"rate_limit must be (requests, seconds) or None, got {value!r}") from None
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise ValueError(f"rate_limit needs a whole number of requests >= 1, got {requests!r}")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 1:
        raise ValueError(f"rate_limit needs a window of at least 1 second, got {seconds!r}")


@attrs.frozen
class ApiSettings:
    """Eve's settings as the sandbox plays them (the defaults are Amili's, where known).

    * ``hateoas``: Eve's ``HATEOAS``; off, as Amili's examples show no ``_links``.
    * ``optimize_pagination_for_speed``: Eve's setting of that name; lists skip
      the count (no ``_meta.total``, no ``X-Total-Count``).
    * ``max_results_cap``: Eve's ``PAGINATION_LIMIT``; 100, Amili's documented limit.
    * ``rate_limit``: ``(requests, seconds)`` for Eve's ``RATE_LIMIT_*``, or ``None``.
    """

    hateoas: bool = False
    optimize_pagination_for_speed: bool = False
    max_results_cap: int = attrs.field(default=DEFAULT_MAX_RESULTS_CAP, validator=_at_least_one)
    rate_limit: tuple[int, float] | None = attrs.field(default=None, validator=_check_rate_limit)

    @property
    def counts_total(self) -> bool:
        """Whether a list counts its matches (``_meta.total``, ``X-Total-Count``)."""
        return not self.optimize_pagination_for_speed
