"""Configuration from the environment: what ``AmiliClient()`` reads when given no credentials.

* ``AMILI_API_KEY``: a static key; or
* ``AMILI_API_CODE`` with ``AMILI_PRIVATE_KEY`` (the path of the PEM private key)
  and optionally ``AMILI_JWT_ALGORITHM`` (``ES256`` by default): Amili's login,
  as :class:`~amili_async.ApiCodeAuth`;
* ``AMILI_BASE_URL``: another host than Amili's sandbox.

Arguments always win: with ``api_key=`` or ``token_provider=`` no variable is
read (``AMILI_BASE_URL`` neither: a key and its server go together, so an
explicit key never goes to a host named only in the environment), with
``base_url=`` no ``AMILI_BASE_URL``. Both kinds of
credentials set at once, or half of the login, is a
:class:`~amili_async.ConfigurationError`, as it is for the command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

from ._api_code import ApiCodeAuth
from ._auth import StaticKey, TokenProvider
from .errors import ConfigurationError

__all__ = [
    "API_CODE_ENV",
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "JWT_ALGORITHM_ENV",
    "PRIVATE_KEY_ENV",
    "base_url_from",
    "token_provider_from",
]

API_KEY_ENV = "AMILI_API_KEY"
API_CODE_ENV = "AMILI_API_CODE"
PRIVATE_KEY_ENV = "AMILI_PRIVATE_KEY"
JWT_ALGORITHM_ENV = "AMILI_JWT_ALGORITHM"
BASE_URL_ENV = "AMILI_BASE_URL"


def token_provider_from(
    api_key: str | None,
    token_provider: TokenProvider | None,
    environ: Mapping[str, str] | None = None,
) -> TokenProvider:
    """The client's token provider: the argument given, else the environment's credentials."""
    if api_key is not None and token_provider is not None:
        raise ConfigurationError("give exactly one of api_key= and token_provider=, not both")
    if token_provider is not None:
        return token_provider
    if api_key is not None:
        return StaticKey(api_key)
    return _from_environment(os.environ if environ is None else environ)


def _from_environment(environ: Mapping[str, str]) -> TokenProvider:
    api_key = environ.get(API_KEY_ENV, "").strip()
    api_code = environ.get(API_CODE_ENV, "").strip()
    key_path = environ.get(PRIVATE_KEY_ENV, "").strip()
    if api_key and (api_code or key_path):
        raise ConfigurationError(
            f"both {API_KEY_ENV} and {API_CODE_ENV}/{PRIVATE_KEY_ENV} are set: unset one of "
            "them, or pass api_key= or token_provider="
        )
    if api_key:
        return StaticKey(api_key)
    if api_code and key_path:
        # ApiCodeAuth checks the algorithm's name and that the key suits it.
        algorithm = cast(Any, environ.get(JWT_ALGORITHM_ENV, "").strip().upper() or "ES256")
        return ApiCodeAuth(api_code, key_path, algorithm=algorithm)
    if api_code or key_path:
        missing = PRIVATE_KEY_ENV + " (the private key's path)" if api_code else API_CODE_ENV
        raise ConfigurationError(
            f"Amili's login needs {API_CODE_ENV} and {PRIVATE_KEY_ENV}: set {missing}"
        )
    raise ConfigurationError(
        "no credentials: give exactly one of api_key= and token_provider=, or set "
        f"{API_KEY_ENV}, or {API_CODE_ENV} and {PRIVATE_KEY_ENV} (Amili's login)"
    )


def base_url_from(
    base_url: str | None,
    default: str,
    *,
    credentials_given: bool,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The base URL given, else ``AMILI_BASE_URL`` when the credentials came from the
    environment too, else ``default``."""
    if base_url is not None:
        return base_url
    if credentials_given:
        return default
    environ = os.environ if environ is None else environ
    return environ.get(BASE_URL_ENV, "").strip() or default
