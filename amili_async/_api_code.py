"""Amili's own login: an API code, proven with a signed JWT, swapped for an access token.

What Amili documents (``amili-api-facts.md`` §2): the client signs a JWT
``{"api_code": ..., "exp": now + 10 min}`` with its private key (ES256, ES384,
ES512, RS256, RS384 or RS512), sends the JWT itself in ``X-API-Key`` to
``GET /authenticates/api-code``, and gets an access token that then goes in
``X-API-Key`` on every call. "Refresh" means logging in again. Production also
offers ``POST /authenticates/api-code`` with the API code in a JSON body, from a
static IP address registered with Amili.

What the docs do not pin down, and how this module reads it (easy to change):

* **The token answer's shape.** A JSON string body is the token; in a JSON
  object the token is the value of ``token_field`` if given, else of the first
  of :data:`TOKEN_FIELDS` present.
* **The token's lifetime.** The token's own ``exp`` claim when it is a JWT;
  else an ``expires_in`` (seconds) or ``expires``/``expires_at`` (RFC 1123,
  ISO 8601 or epoch seconds) field of the answer; else ``token_lifetime``.
* **The POST body's field name.** ``{"api_code": ...}``, like the JWT claim.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from ._auth import AccessToken, RefreshingTokenProvider
from ._clock import Clock, SystemClock
from ._serde import parse_http_date
from .errors import AuthenticationError, ConfigurationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

# PyJWT and cryptography are imported where they are used: together they cost
# about 90 ms and 10 MB at import, which a client with a fixed key never needs.

__all__ = ["LOGIN_PATH", "TOKEN_FIELDS", "ApiCodeAuth", "JwtAlgorithm", "LoginChannel"]

#: The documented login endpoint (GET with a signed JWT, or POST from a static IP).
LOGIN_PATH = "/authenticates/api-code"

#: Keys tried, in order, for the access token in a JSON object answer.
TOKEN_FIELDS = ("token", "access_token", "accessToken", "api_key", "x-api-key", "key")

JwtAlgorithm = Literal["ES256", "ES384", "ES512", "RS256", "RS384", "RS512"]

#: The EC curve each ES algorithm signs on.
_CURVE_NAMES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


class LoginChannel(Protocol):
    """How a login reaches the API: the client that the provider is attached to.

    ``login`` sends one request to :data:`LOGIN_PATH` with the given headers and
    JSON body (no access token is added) and returns the parsed JSON answer, or
    raises the SDK's typed errors.
    """

    async def login(self, method: str, *, headers: Mapping[str, str], json: Any) -> Any:
        """Send the login request and return the parsed JSON answer."""
        ...


def _read_key_text(private_key: str | bytes | os.PathLike[str]) -> bytes:
    if isinstance(private_key, bytes):
        return private_key
    if isinstance(private_key, str) and "-----BEGIN" in private_key:
        return private_key.encode()
    path = Path(private_key)
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigurationError(
            f"private_key: cannot read the key file {str(path)!r} ({error.strerror or error})"
        ) from None


def load_private_key(
    private_key: str | bytes | os.PathLike[str],
    algorithm: str,
    password: bytes | None = None,
) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """Load a PEM private key (text, bytes or a file path) and check it suits ``algorithm``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if algorithm not in get_args(JwtAlgorithm):
        allowed = ", ".join(get_args(JwtAlgorithm))
        raise ConfigurationError(f"algorithm must be one of {allowed}, got {algorithm!r}")
    try:
        key = serialization.load_pem_private_key(_read_key_text(private_key), password=password)
    except (ValueError, TypeError) as error:
        # The library's message never quotes the key material.
        raise ConfigurationError(f"private_key is not a usable PEM private key: {error}") from None
    if algorithm.startswith("RS"):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError(f"{algorithm} needs an RSA private key")
        if key.key_size < 2048:
            raise ConfigurationError(f"{algorithm} needs an RSA key of at least 2048 bits")
        return key
    curve = _CURVE_NAMES[algorithm]
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve:
        raise ConfigurationError(f"{algorithm} needs an EC private key on the {curve} curve")
    return key


def _from_epoch(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _expiry_from_field(value: object, now: datetime) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        for parse in (parse_http_date, datetime.fromisoformat):
            try:
                parsed = parse(text)
            except ValueError:
                continue
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def _jwt_expiry(token: str) -> datetime | None:
    if token.count(".") != 2:
        return None
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return _from_epoch(exp)
    return None


def read_token_answer(
    answer: Any, *, token_field: str | None, token_lifetime: timedelta, now: datetime
) -> AccessToken:
    """The access token and its expiry in a login answer (see the module docstring)."""
    token: object = None
    if isinstance(answer, str):
        token = answer
    elif isinstance(answer, Mapping):
        names = (token_field,) if token_field is not None else TOKEN_FIELDS
        token = next((answer[name] for name in names if name in answer), None)
    if not isinstance(token, str) or not token.strip():
        where = f"the {token_field!r} field" if token_field else "any of " + ", ".join(TOKEN_FIELDS)
        keys = sorted(answer) if isinstance(answer, Mapping) else type(answer).__name__
        # Field names only: the answer's values may hold the token itself.
        raise AuthenticationError(
            f"the login answered but no access token was found in {where} (answer keys: {keys});"
            " name the right key with token_field=",
            status_code=200,
            method="GET",
            path=LOGIN_PATH,
        )
    expires_at = _jwt_expiry(token)
    if expires_at is None and isinstance(answer, Mapping):
        expires_in = answer.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            try:
                expires_at = now + timedelta(seconds=float(expires_in))
            except (OverflowError, ValueError):
                expires_at = None
        else:
            for name in ("expires", "expires_at"):
                expires_at = expires_at or _expiry_from_field(answer.get(name), now)
    if expires_at is None or expires_at <= now:
        # Unknown, or already past by our clock (skew): live by the configured lifetime;
        # a 401 still triggers a new login.
        expires_at = now + token_lifetime
    return AccessToken(token, expires_at)


class ApiCodeAuth:
    """Amili's login, built in: ``AmiliClient(token_provider=ApiCodeAuth(...))``.

    ``api_code`` is the code Amili issued; ``private_key`` the PEM private key
    (text, bytes or a file path) whose public half is registered with Amili;
    ``algorithm`` one of ES256, ES384, ES512 (EC keys on P-256, P-384, P-521) or
    RS256, RS384, RS512 (RSA keys of 2048 bits or more). Each login signs a
    fresh JWT ``{"api_code": ..., "exp": now + jwt_lifetime}`` and sends it in
    ``X-API-Key`` to ``GET /authenticates/api-code``.
    :meth:`static_ip` builds the production-only variant that POSTs the code
    from a registered static IP address instead.

    The access token is cached and shared by every task of the client; a new
    login happens when there is none, ``refresh_margin`` before it expires, and
    once after the API rejects it with a 401. Logins never overlap.

    Not documented by Amili, read as the module docstring says: where the
    token is in the answer (``token_field=`` names it when the defaults miss)
    and how long it lives (its JWT ``exp``, an ``expires``/``expires_in`` field,
    else ``token_lifetime``).
    """

    def __init__(
        self,
        api_code: str,
        private_key: str | bytes | os.PathLike[str],
        *,
        algorithm: JwtAlgorithm = "ES256",
        password: bytes | None = None,
        token_field: str | None = None,
        token_lifetime: timedelta = timedelta(minutes=10),
        refresh_margin: timedelta = timedelta(seconds=60),
        jwt_lifetime: timedelta = timedelta(minutes=10),
    ) -> None:
        self._setup(api_code, token_field, token_lifetime, refresh_margin)
        if jwt_lifetime <= timedelta(0):
            raise ConfigurationError("jwt_lifetime must be positive")
        self._key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = load_private_key(
            private_key, algorithm, password
        )
        self._algorithm: str = algorithm
        self._jwt_lifetime = jwt_lifetime

    @classmethod
    def static_ip(
        cls,
        api_code: str,
        *,
        token_field: str | None = None,
        token_lifetime: timedelta = timedelta(minutes=10),
        refresh_margin: timedelta = timedelta(seconds=60),
    ) -> ApiCodeAuth:
        """The "Simple API Code Authentication": ``POST /authenticates/api-code``
        with ``{"api_code": ...}``, allowed only from a static IP registered with
        Amili (production only, per the docs). No key is needed."""
        self = cls.__new__(cls)
        self._setup(api_code, token_field, token_lifetime, refresh_margin)
        self._key = None
        self._algorithm = "static-ip"
        self._jwt_lifetime = timedelta(0)
        return self

    def _setup(
        self,
        api_code: str,
        token_field: str | None,
        token_lifetime: timedelta,
        refresh_margin: timedelta,
    ) -> None:
        if not isinstance(api_code, str) or not api_code.strip():
            raise ConfigurationError("api_code is empty")
        if token_lifetime <= timedelta(0):
            raise ConfigurationError("token_lifetime must be positive")
        if token_field is not None and not token_field:
            raise ConfigurationError("token_field must not be empty")
        self._api_code = api_code.strip()
        self._token_field = token_field
        self._token_lifetime = token_lifetime
        self._channel: LoginChannel | None = None
        self._clock: Clock = SystemClock()
        self._tokens = RefreshingTokenProvider(
            self._login, refresh_margin=refresh_margin, clock=_ClockProxy(self)
        )

    @property
    def algorithm(self) -> str:
        """The JWT algorithm, or ``"static-ip"`` for the POST variant."""
        return self._algorithm

    @property
    def login_count(self) -> int:
        """How many logins this provider has made (for monitoring and tests)."""
        return self._tokens.refresh_count

    def attach(self, channel: LoginChannel, clock: Clock) -> None:
        """Called by :class:`~amili_async.AmiliClient`: where to log in and what time it is."""
        self._channel = channel
        self._clock = clock

    def signed_jwt(self) -> str:
        """A freshly signed login JWT (what goes in ``X-API-Key`` of the login)."""
        if self._key is None:
            raise ConfigurationError("a static-IP ApiCodeAuth signs no JWT")
        expires = self._clock.now() + self._jwt_lifetime
        claims = {"api_code": self._api_code, "exp": int(expires.timestamp())}
        import jwt

        return jwt.encode(claims, self._key, algorithm=self._algorithm)

    async def _login(self) -> AccessToken:
        if self._channel is None:
            raise ConfigurationError(
                "ApiCodeAuth is not attached to a client: "
                "pass it as AmiliClient(token_provider=...)"
            )
        if self._key is None:
            answer = await self._channel.login(
                "POST", headers={}, json={"api_code": self._api_code}
            )
        else:
            answer = await self._channel.login(
                "GET", headers={"X-API-Key": self.signed_jwt()}, json=None
            )
        return read_token_answer(
            answer,
            token_field=self._token_field,
            token_lifetime=self._token_lifetime,
            now=self._clock.now(),
        )

    async def get_token(self) -> str:
        """A valid access token, logging in first when needed."""
        return await self._tokens.get_token()

    async def refresh(self, rejected: str) -> str | None:
        """Log in again after ``rejected`` got a 401 (once, shared by every task)."""
        return await self._tokens.refresh(rejected)

    def __repr__(self) -> str:
        return f"ApiCodeAuth(api_code='***', algorithm={self._algorithm!r})"


class _ClockProxy:
    """The attached client's clock, read at call time (attach comes after construction)."""

    def __init__(self, owner: ApiCodeAuth) -> None:
        self._owner = owner

    def now(self) -> datetime:
        return self._owner._clock.now()

    def monotonic(self) -> float:
        return self._owner._clock.monotonic()

    async def sleep(self, seconds: float) -> None:
        await self._owner._clock.sleep(seconds)
