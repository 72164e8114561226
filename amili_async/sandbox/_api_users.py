"""API users and the checks of Amili's login (``/authenticates/api-code``), simulated.

An API user is an API code registered with a public key (for the JWT login,
``GET``) and/or static IP addresses (for the "Simple API Code Authentication",
``POST``). What Amili documents is followed (the claims ``{"api_code", "exp"}``,
the algorithms ES256/384/512 and RS256/384/512, the header ``X-API-Key``); what
it does not document is the sandbox's own choice, marked *simulated* below.

Every refusal is a :class:`LoginRefusedError`: Eve's 401, the same for every reason,
whose :attr:`~LoginRefusedError.reason` (never the JWT, never a key) is for tests
and debugging only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ._errors import ApiError

__all__ = [
    "JWT_ALGORITHMS",
    "MAX_JWT_LIFETIME",
    "LoginRefusedError",
    "PublicKey",
    "PublicKeyInput",
    "SandboxApiUser",
    "client_ip",
    "make_api_user",
    "verify_login_jwt",
]

#: The algorithms Amili lists; ``none`` and the HMAC family are refused.
JWT_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512")

#: How far ahead of the sandbox clock a login JWT's ``exp`` may be, in seconds
#: (simulated: Amili advises 10 minutes and documents no limit).
MAX_JWT_LIFETIME = 3600.0

#: The address an in-process request counts as coming from when its ASGI scope names none.
IN_PROCESS_IP = "127.0.0.1"

PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
#: A public key as :meth:`~amili_async.sandbox.Sandbox.add_api_user` takes it: PEM or a key object.
PublicKeyInput: TypeAlias = str | bytes | PublicKey

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}
_MIN_RSA_BITS = 2048
#: PyJWT checks the signature and that ``exp`` is present; its time checks read the
#: real clock, so the sandbox checks time itself.
_SIGNATURE_ONLY: jwt.types.Options = {
    "require": ["exp"],
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
}


class LoginRefusedError(ApiError):
    """Eve's 401 for a failed login (``WWW-Authenticate: Basic realm="eve"``).

    ``reason`` says why, in fixed words that never quote the JWT or a key; the
    answer does not carry it (Eve answers every bad credential alike).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(401, headers={"WWW-Authenticate": 'Basic realm="eve"'})
        self.reason = reason


def _hidden(_: object) -> str:
    return "'***'"


@attrs.frozen
class SandboxApiUser:
    """An API code registered for an account.

    ``public_key`` verifies the JWT login (``GET /authenticates/api-code``);
    ``static_ips`` are the addresses the code may log in from without a JWT
    (``POST``). Either may be empty, not both.
    """

    api_code: str = attrs.field(repr=_hidden)
    account_id: str
    public_key: PublicKey | None = attrs.field(repr=False, eq=False)
    static_ips: frozenset[str] = frozenset()

    def fits(self, algorithm: str) -> bool:
        """Whether ``algorithm`` is one Amili allows and suits the registered key."""
        key = self.public_key
        if algorithm.startswith("RS"):
            return algorithm in JWT_ALGORITHMS and isinstance(key, rsa.RSAPublicKey)
        curve = _CURVES.get(algorithm)
        return (
            curve is not None
            and isinstance(key, ec.EllipticCurvePublicKey)
            and isinstance(key.curve, curve)
        )


def _public_key(value: PublicKeyInput) -> PublicKey:
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        try:
            loaded = serialization.load_pem_public_key(value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"public_key is not a usable PEM public key: {error}") from None
    else:
        loaded = value
    if isinstance(loaded, rsa.RSAPublicKey):
        if loaded.key_size < _MIN_RSA_BITS:
            raise ValueError(f"an RSA public key needs at least {_MIN_RSA_BITS} bits")
        return loaded
    if isinstance(loaded, ec.EllipticCurvePublicKey) and any(
        isinstance(loaded.curve, curve) for curve in _CURVES.values()
    ):
        return loaded
    raise ValueError("public_key must be an RSA key or an EC key on P-256, P-384 or P-521")


def _address(text: str) -> str:
    """An IP address in canonical form (IPv4-mapped IPv6 as IPv4); ``ValueError`` if none."""
    address = ipaddress.ip_address(text.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def make_api_user(
    api_code: str,
    public_key: PublicKeyInput | None,
    *,
    account_id: str,
    static_ips: Iterable[str],
) -> SandboxApiUser:
    """A checked :class:`SandboxApiUser` (``ValueError`` on a bad code, key or address)."""
    if not isinstance(api_code, str) or not api_code.strip():
        raise ValueError("an API code must be a non-empty string")
    if isinstance(static_ips, str):
        static_ips = (static_ips,)
    ips = frozenset(_address(ip) for ip in static_ips)
    if public_key is None and not ips:
        raise ValueError("an API user needs a public_key (JWT login) or static_ips (POST login)")
    key = None if public_key is None else _public_key(public_key)
    return SandboxApiUser(api_code.strip(), account_id, key, ips)


def client_ip(scope_client: tuple[str, int] | None) -> str:
    """The caller's address: the ASGI scope's client, else :data:`IN_PROCESS_IP`."""
    if scope_client is None:
        return IN_PROCESS_IP
    try:
        return _address(scope_client[0])
    except ValueError:
        return scope_client[0]


def _unverified(token: str) -> tuple[str, Mapping[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LoginRefusedError("not a JWT") from None
    return str(header.get("alg")), claims


def verify_login_jwt(
    token: str,
    users: Mapping[str, SandboxApiUser],
    now: datetime,
    *,
    max_lifetime: float | None = MAX_JWT_LIFETIME,
) -> SandboxApiUser:
    """The API user a login JWT proves, or :class:`LoginRefusedError`.

    The header's ``alg`` must be one of :data:`JWT_ALGORITHMS` and suit the key
    registered for the ``api_code`` claim; the signature must verify with that
    key; ``exp`` is required and must lie after ``now`` (the sandbox clock) and,
    unless ``max_lifetime`` is ``None``, at most that many seconds after it.
    PyJWT's own time checks are off: they read the real clock, not the sandbox's.
    """
    algorithm, claims = _unverified(token)
    if algorithm not in JWT_ALGORITHMS:
        raise LoginRefusedError("algorithm not allowed")
    api_code = claims.get("api_code")
    user = users.get(api_code) if isinstance(api_code, str) else None
    if user is None or user.public_key is None:
        raise LoginRefusedError("unknown API code, or no public key registered for it")
    if not user.fits(algorithm):
        raise LoginRefusedError("algorithm does not suit the registered key")
    try:
        jwt.decode(
            token,
            user.public_key,
            algorithms=[algorithm],
            options=_SIGNATURE_ONLY,
        )
    except jwt.PyJWTError:
        raise LoginRefusedError("signature or claims do not verify") from None
    _check_expiry(claims.get("exp"), now, max_lifetime)
    return user


def _check_expiry(exp: object, now: datetime, max_lifetime: float | None) -> None:
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise LoginRefusedError("exp is not a number")
    seconds_left = float(exp) - now.timestamp()
    if seconds_left <= 0:
        raise LoginRefusedError("expired")
    if max_lifetime is not None and seconds_left > max_lifetime:
        raise LoginRefusedError("exp too far ahead")
