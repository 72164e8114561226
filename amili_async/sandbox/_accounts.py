"""Accounts, their creditors, API users, and the keys and tokens that act for them.

:class:`Accounts` holds no lock and reads no clock: :class:`~._state.SandboxState`
calls it under its lock and passes the time in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from ._api_users import (
    LoginRefusedError,
    PublicKeyInput,
    SandboxApiUser,
    make_api_user,
    verify_login_jwt,
)
from ._collections import Documents
from ._controls import MAX_TOKEN_LIFETIME, check_seconds
from ._directory import (
    FIRST_CREDITOR_NUMBER,
    AccountDocuments,
    account_document,
    creditor_document,
)
from ._errors import ApiError, missing_relation
from ._ids import IdFactory, is_object_id
from ._schema import Issues

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_AGREEMENT_VERSION",
    "DEFAULT_CREDITOR_ID",
    "DEFAULT_CREDITOR_NAME",
    "Accounts",
    "SandboxAccount",
    "SandboxCreditor",
    "TokenRecord",
]

DEFAULT_ACCOUNT_ID = "674dbeaf08847b9501cc9132"
DEFAULT_CREDITOR_ID = "674dbeb208847b9501cc9138"
DEFAULT_CREDITOR_NAME = "Amili Integration Team"
DEFAULT_AGREEMENT_VERSION = "6790c2ec38ebf4814061f0b5"


def _hidden(_: object) -> str:
    return "'***'"


@attrs.frozen
class SandboxAccount:
    """An account the sandbox knows, with its static API key (never expires)."""

    id: str
    name: str
    api_key: str = attrs.field(repr=_hidden)


@attrs.frozen
class SandboxCreditor:
    """A creditor under an account; ``currencies`` are the ones it may register debts in."""

    id: str
    account_id: str
    name: str
    currencies: tuple[str, ...] = ("SEK",)
    agreement_version: str = DEFAULT_AGREEMENT_VERSION


@attrs.define
class TokenRecord:
    """What the sandbox knows about a key or token (never printed with the token itself)."""

    account_id: str
    static: bool
    expires_at: datetime | None = None


class Accounts:
    """The accounts, creditors, static keys, API users and issued tokens of one sandbox."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._accounts: dict[str, SandboxAccount] = {}
        self._creditors: dict[str, SandboxCreditor] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._api_users: dict[str, SandboxApiUser] = {}
        #: ``/accounts`` and ``/creditors``, as the API answers them.
        self.account_docs = AccountDocuments("accounts")
        self.creditor_docs = Documents("creditors")
        self._next_creditor_number = FIRST_CREDITOR_NUMBER

    def add_account(
        self, account_id: str | None, name: str | None, now: datetime
    ) -> SandboxAccount:
        """Create an account with its own static API key."""
        account_id = account_id or self._ids.object_id(now)
        if not is_object_id(account_id):
            raise ValueError(f"an account id is 24 lower-case hex digits, got {account_id!r}")
        if account_id in self._accounts:
            raise ValueError(f"account {account_id} already exists")
        key = f"sbx_key_{self._ids.hex_token(20)}"
        account = SandboxAccount(account_id, name or f"Account {account_id[-6:]}", key)
        self._accounts[account_id] = account
        self._tokens[key] = TokenRecord(account_id, static=True)
        self.account_docs.add(account_document(account_id, account.name, now))
        return account

    def add_creditor(
        self,
        name: str,
        *,
        account_id: str,
        creditor_id: str | None,
        currencies: tuple[str, ...],
        agreement_version: str | None,
        now: datetime,
        active: bool = True,
    ) -> SandboxCreditor:
        """Create a creditor under an existing account (its ``/creditors`` document too)."""
        if account_id not in self._accounts:
            raise ValueError(f"no account {account_id}; add it with add_account() first")
        creditor_id = creditor_id or self._ids.object_id(now)
        if not is_object_id(creditor_id):
            raise ValueError(f"a creditor id is 24 lower-case hex digits, got {creditor_id!r}")
        if creditor_id in self._creditors:
            raise ValueError(f"creditor {creditor_id} already exists")
        creditor = SandboxCreditor(
            creditor_id,
            account_id,
            name,
            tuple(currencies),
            agreement_version or self._ids.object_id(now),
        )
        self._creditors[creditor_id] = creditor
        number = self.next_creditor_number()
        self.creditor_docs.add(
            creditor_document(creditor_id, account_id, name, number=number, active=active, now=now)
        )
        return creditor

    def next_creditor_number(self) -> int:
        """The next free ``creditor_number`` (simulated: counting on from the docs' example)."""
        number = self._next_creditor_number
        self._next_creditor_number += 1
        return number

    def register_creditor(self, creditor: SandboxCreditor) -> None:
        """Know a creditor created through ``POST /creditors`` (its document is stored there)."""
        self._creditors[creditor.id] = creditor

    def forget_creditor(self, creditor_id: str) -> None:
        """Forget a deleted creditor: later writes naming it are refused."""
        self._creditors.pop(creditor_id, None)

    def creditor_name(self, creditor_id: str) -> str:
        """A creditor's name as it is now (a ``PATCH`` may have changed it)."""
        doc = self.creditor_docs.stored_by_id(creditor_id)
        return str(doc["name"]) if doc is not None else self._creditors[creditor_id].name

    def is_active(self, creditor_id: str) -> bool:
        """Whether a creditor is active; an inactive one takes no case registrations."""
        doc = self.creditor_docs.stored_by_id(creditor_id)
        return doc is None or doc.get("is_active") is not False

    def creditor(self, creditor_id: str) -> SandboxCreditor:
        """A creditor known to exist (``KeyError`` otherwise)."""
        return self._creditors[creditor_id]

    def static_key(self, account_id: str) -> str:
        """The static API key of an account."""
        return self._accounts[account_id].api_key

    # --- tokens ---------------------------------------------------------------------

    def issue_token(
        self, lifetime_seconds: float, account_id: str, now: datetime
    ) -> tuple[str, datetime]:
        """A new token for ``account_id`` valid for ``lifetime_seconds`` from ``now``."""
        lifetime_seconds = check_seconds(
            "a token lifetime", lifetime_seconds, maximum=MAX_TOKEN_LIFETIME, positive=True
        )
        if account_id not in self._accounts:
            raise ValueError(f"no account {account_id}")
        token = f"sbx_tok_{self._ids.hex_token(20)}"
        expires = now + timedelta(seconds=lifetime_seconds)
        self._tokens[token] = TokenRecord(account_id, static=False, expires_at=expires)
        return token, expires

    def expire_token(self, token: str, now: datetime) -> bool:
        """Make an issued token expire at ``now``; returns whether it was an issued token."""
        record = self._tokens.get(token)
        if record is None or record.static:
            return False
        record.expires_at = now
        return True

    def authenticate(self, token: str, now: datetime) -> TokenRecord | None:
        """The record of a key or token still valid at ``now``, or ``None``."""
        record = self._tokens.get(token)
        if record is None:
            return None
        if record.expires_at is not None and now >= record.expires_at:
            return None
        return record

    # --- API users and their logins (``/authenticates/api-code``) -----------------------

    def add_api_user(
        self,
        api_code: str,
        public_key: PublicKeyInput | None,
        *,
        account_id: str,
        static_ips: Iterable[str],
    ) -> SandboxApiUser:
        """Register an API code for an existing account (see :func:`make_api_user`)."""
        if account_id not in self._accounts:
            raise ValueError(f"no account {account_id}; add it with add_account() first")
        user = make_api_user(api_code, public_key, account_id=account_id, static_ips=static_ips)
        if user.api_code in self._api_users:
            raise ValueError("that API code is already registered")
        self._api_users[user.api_code] = user
        return user

    def login_with_jwt(
        self, token: str, now: datetime, *, token_lifetime: float, max_jwt_lifetime: float | None
    ) -> tuple[str, datetime]:
        """A token for the API user a login JWT proves, or :class:`LoginRefusedError`."""
        user = verify_login_jwt(token, self._api_users, now, max_lifetime=max_jwt_lifetime)
        return self.issue_token(token_lifetime, user.account_id, now)

    def login_from_ip(
        self, api_code: str, ip: str, now: datetime, *, token_lifetime: float
    ) -> tuple[str, datetime]:
        """A token for an API code sent from one of its static IPs; else LoginRefusedError."""
        user = self._api_users.get(api_code)
        if user is None or ip not in user.static_ips:
            raise LoginRefusedError("unknown API code, or not from one of its static IPs")
        return self.issue_token(token_lifetime, user.account_id, now)

    # --- the account and creditor a written document names ----------------------------

    def check_account(self, account_id: str, doc: Mapping[str, Any], issues: Issues) -> None:
        """Add an issue when ``doc["account"]`` is unknown; 403 when it is someone else's."""
        account = doc.get("account")
        if isinstance(account, str) and account and "account" not in issues:
            if account not in self._accounts:
                issues["account"] = missing_relation(account, "accounts")
            elif account != account_id:
                raise ApiError(403)

    def check_creditor(self, doc: Mapping[str, Any], issues: Issues) -> SandboxCreditor | None:
        """The creditor ``doc`` names, or ``None`` after adding an issue when it cannot be used."""
        creditor_id = doc.get("creditor")
        if not isinstance(creditor_id, str) or not creditor_id or "creditor" in issues:
            return None
        creditor = self._creditors.get(creditor_id)
        if creditor is None:
            issues["creditor"] = missing_relation(creditor_id, "creditors")
            return None
        if "account" not in issues and creditor.account_id != doc.get("account"):
            issues["creditor"] = (
                f"creditor '{creditor_id}' does not belong to account '{doc.get('account')}'"
            )
            return None
        return creditor
