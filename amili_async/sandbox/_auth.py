"""The ``X-API-Key`` check, as a Starlette authentication backend."""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import Response

from .._api_code import LOGIN_PATH
from ._errors import ApiError
from ._files import FILES_PATH
from ._state import SandboxState

__all__ = ["REJECT_CREDENTIALS", "ApiKeyBackend", "Principal", "on_auth_error"]

#: Scope key set by the fault layer: refuse this request's credentials once.
REJECT_CREDENTIALS = "amili_sandbox.reject_credentials"

_PUBLIC_PATHS = ("/", LOGIN_PATH)
_PUBLIC_PREFIXES = (FILES_PATH,)


class Principal(BaseUser):
    """Who a request acts for: an account, through its static key or an issued token."""

    def __init__(self, account_id: str, *, static: bool) -> None:
        self.account_id = account_id
        self.static = static

    @property
    def is_authenticated(self) -> bool:
        """Always true: unauthenticated requests never get this far."""
        return True

    @property
    def display_name(self) -> str:
        """The account id."""
        return self.account_id

    def __repr__(self) -> str:
        return f"Principal(account_id={self.account_id!r}, static={self.static})"


class ApiKeyBackend(AuthenticationBackend):
    """Accept a valid key or token in ``X-API-Key``.

    Public: ``GET /``, the login (``/authenticates/api-code`` checks its own
    credentials) and signed file links.
    """

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """Return the principal, ``None`` for a public path, or raise ``AuthenticationError``."""
        path = conn.url.path
        if path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES):
            return None
        if conn.scope.get(REJECT_CREDENTIALS):
            raise AuthenticationError("credentials refused by an injected fault")
        record = self._state.authenticate(conn.headers.get("x-api-key"))
        if record is None:
            raise AuthenticationError("missing, unknown or expired key")
        return AuthCredentials(["authenticated"]), Principal(
            record.account_id, static=record.static
        )


def on_auth_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """Eve's 401 body."""
    return ApiError(401).response()
