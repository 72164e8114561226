"""Checks for the settings classes (``RetryPolicy``, ``RateLimit``).

A value that cannot work is a set-up mistake, so it is reported as a
:class:`~amili_async.ConfigurationError` (which is also a ``ValueError``).
"""

from __future__ import annotations

from typing import Any

import attrs

from .errors import ConfigurationError

__all__ = ["setting"]


def setting(check: Any) -> Any:
    """An attrs validator that runs the attrs validator ``check`` and turns its
    ``ValueError`` into a :class:`~amili_async.ConfigurationError` with the same message."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        try:
            check(instance, attribute, value)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None

    return validate
