"""``/accounts``: the accounts the credentials reach."""

from __future__ import annotations

from ..models.account import Account
from ._base import ReadableResource

__all__ = ["Accounts"]


class Accounts(ReadableResource[Account]):
    """Read accounts (a creditor system sees its own; partners create them in Amili)."""

    path = "/accounts"
    model = Account
