"""Amili's login on the sandbox, with real EC and RSA keys: GET with a signed JWT, POST by IP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sandbox_support import BASE_URL, client

from amili_async import ManualClock
from amili_async._serde import format_http_date
from amili_async.sandbox import Sandbox, SandboxApiUser, SandboxServer
from amili_async.sandbox._api_users import LoginRefusedError, client_ip, verify_login_jwt

LOGIN = "/authenticates/api-code"
CODE = "api-code-4711"
UNAUTHORIZED = {
    "_status": "ERR",
    "_error": {"code": 401, "message": "Please provide proper credentials"},
}

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
P256 = ec.generate_private_key(ec.SECP256R1())
OTHER_P256 = ec.generate_private_key(ec.SECP256R1())
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEYS: dict[str, PrivateKey] = {
    "ES256": P256,
    "ES384": ec.generate_private_key(ec.SECP384R1()),
    "ES512": ec.generate_private_key(ec.SECP521R1()),
    "RS256": RSA,
    "RS384": RSA,
    "RS512": RSA,
}


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def signed(
    sandbox: Sandbox,
    key: PrivateKey = P256,
    algorithm: str = "ES256",
    *,
    api_code: str = CODE,
    ahead: float = 600,
    **claims: Any,
) -> str:
    """A login JWT, ``exp`` ``ahead`` seconds past the sandbox clock (as Amili advises)."""
    body: dict[str, Any] = {"api_code": api_code, "exp": epoch(sandbox.now) + int(ahead)}
    body.update(claims)
    return jwt.encode(body, key, algorithm=algorithm)


def _segment(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(sandbox: Sandbox) -> str:
    """``alg: none``: claims with no signature."""
    claims = {"api_code": CODE, "exp": epoch(sandbox.now) + 600}
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


def hmac_with_public_key(sandbox: Sandbox) -> str:
    """The classic confusion attack: HS256 keyed with the registered public key's PEM."""
    claims = {"api_code": CODE, "exp": epoch(sandbox.now) + 600}
    head = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    mac = hmac.new(public_pem(P256), head.encode(), hashlib.sha256).digest()
    return f"{head}.{_segment(mac)}"


async def login(sandbox: Sandbox, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"X-API-Key": token}
    async with client(sandbox, key="") as http:
        return await http.get(LOGIN, headers=headers)


def assert_unauthorized(response: httpx.Response) -> None:
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def assert_refused(response: httpx.Response) -> None:
    """A refused login: Eve's 401, with its ``WWW-Authenticate``."""
    assert_unauthorized(response)
    assert response.headers["www-authenticate"] == 'Basic realm="eve"'


@pytest.fixture
def api_user(sandbox: Sandbox) -> SandboxApiUser:
    return sandbox.add_api_user(CODE, public_pem(P256).decode())


# --- the JWT login ----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("algorithm", sorted(KEYS))
@pytest.mark.parametrize("form", ["pem text", "pem bytes", "key object"])
async def test_login_with_each_algorithm_and_key_form(
    sandbox: Sandbox, algorithm: str, form: str
) -> None:
    key = KEYS[algorithm]
    public: Any = {
        "pem text": public_pem(key).decode(),
        "pem bytes": public_pem(key),
        "key object": key.public_key(),
    }[form]
    sandbox.add_api_user(CODE, public)

    response = await login(sandbox, signed(sandbox, key, algorithm))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"token", "expires"}
    assert answer["expires"] == format_http_date(sandbox.now + timedelta(minutes=10))


@pytest.mark.anyio
async def test_the_token_works_and_expires_on_the_sandbox_clock(
    sandbox: Sandbox, api_user: SandboxApiUser
) -> None:
    token = (await login(sandbox, signed(sandbox))).json()["token"]
    async with client(sandbox, key=token) as http:
        assert (await http.get("/cases")).status_code == 200
        sandbox.advance(seconds=599)
        assert (await http.get("/cases")).status_code == 200
        sandbox.advance(seconds=1)
        assert_unauthorized(await http.get("/cases"))
    # A login token is not the static key: the sandbox controls stay closed to it.
    fresh = (await login(sandbox, signed(sandbox))).json()["token"]
    async with client(sandbox, key=fresh) as http:
        assert (await http.post("/_sandbox/tokens", json={})).status_code == 403


@pytest.mark.anyio
async def test_token_lifetime_is_configurable() -> None:
    sandbox = Sandbox(clock=ManualClock(), api_token_lifetime=30)
    sandbox.add_api_user(CODE, P256.public_key())
    answer = (await login(sandbox, signed(sandbox))).json()
    assert answer["expires"] == format_http_date(sandbox.now + timedelta(seconds=30))
    sandbox.advance(seconds=30)
    async with client(sandbox, key=answer["token"]) as http:
        assert_unauthorized(await http.get("/cases"))


def _exp_missing(sandbox: Sandbox) -> str:
    return jwt.encode({"api_code": CODE}, P256, algorithm="ES256")


#: Each bad login, and the reason the sandbox gives itself (the answer is the same 401).
BAD_LOGINS: dict[str, tuple[Callable[[Sandbox], str], str]] = {
    "expired": (lambda s: signed(s, ahead=-1), "expired"),
    "expiring now": (lambda s: signed(s, ahead=0), "expired"),
    "exp an hour and a second ahead": (lambda s: signed(s, ahead=3601), "exp too far ahead"),
    "exp missing": (_exp_missing, "signature or claims do not verify"),
    "exp not a number": (
        lambda s: jwt.encode({"api_code": CODE, "exp": "soon"}, P256, algorithm="ES256"),
        "exp is not a number",
    ),
    "signed with another key": (
        lambda s: signed(s, OTHER_P256),
        "signature or claims do not verify",
    ),
    "alg none": (unsigned, "algorithm not allowed"),
    "HS256 keyed with the public key": (hmac_with_public_key, "algorithm not allowed"),
    "RSA key for the registered EC key": (
        lambda s: signed(s, RSA, "RS256"),
        "algorithm does not suit the registered key",
    ),
    "ES384 claimed for a P-256 key": (
        lambda s: _relabelled(signed(s), "ES384"),
        "algorithm does not suit the registered key",
    ),
    "unknown api code": (
        lambda s: signed(s, api_code="someone-else"),
        "unknown API code, or no public key registered for it",
    ),
    "api code not a string": (
        lambda s: signed(s, api_code=4711),  # type: ignore[arg-type]
        "unknown API code, or no public key registered for it",
    ),
    "not a JWT": (lambda s: "not-a-jwt", "not a JWT"),
    "the static API key": (lambda s: s.api_key, "not a JWT"),
}


def _relabelled(token: str, algorithm: str) -> str:
    _, claims, signature = token.split(".")
    return f"{_segment({'alg': algorithm, 'typ': 'JWT'})}.{claims}.{signature}"


@pytest.mark.anyio
@pytest.mark.parametrize("case", sorted(BAD_LOGINS))
async def test_bad_logins_get_eves_401(
    sandbox: Sandbox, api_user: SandboxApiUser, case: str
) -> None:
    make, reason = BAD_LOGINS[case]
    token = make(sandbox)

    response = await login(sandbox, token)

    assert_refused(response)
    assert token not in response.text
    with pytest.raises(LoginRefusedError) as refused:
        verify_login_jwt(token, {CODE: api_user}, sandbox.now)
    assert refused.value.reason == reason
    assert token not in str(refused.value)


@pytest.mark.anyio
async def test_no_jwt_at_all(sandbox: Sandbox, api_user: SandboxApiUser) -> None:
    assert_refused(await login(sandbox, None))
    assert_refused(await login(sandbox, ""))


@pytest.mark.anyio
async def test_far_exp_is_accepted_when_the_limit_is_off() -> None:
    sandbox = Sandbox(clock=ManualClock(), max_jwt_lifetime=None)
    sandbox.add_api_user(CODE, P256.public_key())
    assert (await login(sandbox, signed(sandbox, ahead=365 * 86400))).status_code == 200
    assert_refused(await login(sandbox, signed(sandbox, ahead=-1)))


@pytest.mark.anyio
async def test_a_user_of_another_account_gets_that_accounts_token(sandbox: Sandbox) -> None:
    other = sandbox.add_account()
    user = sandbox.add_api_user(CODE, P256.public_key(), account_id=other.id)
    assert user.account_id == other.id
    token = (await login(sandbox, signed(sandbox))).json()["token"]
    async with client(sandbox, key=token) as http:
        refused = await http.post("/case--registrations", json={"account": sandbox.account_id})
        assert refused.status_code == 403


@pytest.mark.anyio
async def test_neither_the_jwt_nor_the_token_is_logged(
    sandbox: Sandbox, api_user: SandboxApiUser
) -> None:
    token = signed(sandbox)
    answer = (await login(sandbox, token)).json()
    logged = repr(sandbox.request_log) + repr(sandbox) + repr(api_user)
    assert token not in logged
    assert answer["token"] not in logged
    assert CODE not in repr(api_user)
    assert sandbox.request_log[-1].path == LOGIN


# --- the static-IP login (POST) ---------------------------------------------------------------


async def post_login(sandbox: Sandbox, body: Any, *, ip: str | None = None) -> httpx.Response:
    """``POST /authenticates/api-code`` in process, from ``ip`` (httpx's 127.0.0.1 by default)."""
    transport: httpx.AsyncBaseTransport = (
        sandbox.transport() if ip is None else httpx.ASGITransport(sandbox.app, client=(ip, 5555))
    )
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        return await http.post(LOGIN, json=body)


@pytest.mark.anyio
async def test_post_login_from_a_registered_ip(sandbox: Sandbox) -> None:
    sandbox.add_api_user(CODE, static_ips=["127.0.0.1", "192.0.2.10"])
    for ip in (None, "192.0.2.10", "::ffff:192.0.2.10"):
        response = await post_login(sandbox, {"api_code": CODE}, ip=ip)
        assert response.status_code == 200, response.text
        token = response.json()["token"]
    async with client(sandbox, key=token) as http:
        assert (await http.get("/cases")).status_code == 200


@pytest.mark.anyio
async def test_post_login_refusals(sandbox: Sandbox) -> None:
    sandbox.add_api_user(CODE, static_ips=("192.0.2.10",))
    sandbox.add_api_user("jwt-only", P256.public_key())
    assert_refused(await post_login(sandbox, {"api_code": CODE}))  # from 127.0.0.1
    assert_refused(await post_login(sandbox, {"api_code": CODE}, ip="192.0.2.11"))
    assert_refused(await post_login(sandbox, {"api_code": "jwt-only"}))
    assert_refused(await post_login(sandbox, {"api_code": "unknown"}, ip="192.0.2.10"))
    assert_refused(await post_login(sandbox, {"code": CODE}, ip="192.0.2.10"))
    assert_refused(await post_login(sandbox, [CODE], ip="192.0.2.10"))


def test_the_callers_address() -> None:
    assert client_ip(None) == "127.0.0.1"
    assert client_ip(("::ffff:10.0.0.1", 1)) == "10.0.0.1"
    assert client_ip(("::1", 1)) == "::1"
    assert client_ip(("testclient", 1)) == "testclient"


# --- registering API users --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"api_code": " "}, "non-empty"),
        ({"public_key": None}, "public_key .* or static_ips"),
        ({"public_key": b"-----BEGIN PUBLIC KEY-----\nnope\n"}, "not a usable PEM"),
        ({"public_key": "not pem"}, "not a usable PEM"),
        (
            {"public_key": ec.generate_private_key(ec.SECP192R1()).public_key()},
            "P-256, P-384 or P-521",
        ),
        (
            {"public_key": rsa.generate_private_key(65537, 1024).public_key()},
            "at least 2048",
        ),
        ({"public_key": P256}, "RSA key or an EC key"),
        ({"static_ips": ["not-an-ip"]}, "does not appear to be an IPv4 or IPv6"),
        ({"account_id": "0" * 24}, "no account"),
    ],
)
def test_bad_api_users_are_refused(
    sandbox: Sandbox, arguments: dict[str, Any], message: str
) -> None:
    options: dict[str, Any] = {"api_code": CODE, "public_key": P256.public_key(), **arguments}
    with pytest.raises(ValueError, match=message):
        sandbox.add_api_user(**options)


def test_an_api_code_is_registered_once_and_reset_forgets_it(sandbox: Sandbox) -> None:
    user = sandbox.add_api_user(CODE, P256.public_key(), static_ips="127.0.0.1")
    assert user.static_ips == frozenset({"127.0.0.1"})
    assert user.account_id == sandbox.account_id
    with pytest.raises(ValueError, match="already registered"):
        sandbox.add_api_user(CODE, OTHER_P256.public_key())
    sandbox.reset()
    sandbox.add_api_user(CODE, OTHER_P256.public_key())


def test_lifetimes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Sandbox(api_token_lifetime=0)
    with pytest.raises(ValueError, match="positive"):
        Sandbox(max_jwt_lifetime=-1)


# --- the served sandbox -----------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, httpx.Client]]:
    sandbox = Sandbox(clock=ManualClock(), seed=5)
    with (
        SandboxServer(sandbox, port=0) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as http,
    ):
        yield sandbox, http


@pytest.mark.network(
    httpx_only="a sync httpx.Client checks the served sandbox itself; aiohttp has no sync client"
)
def test_served_logins(served: tuple[Sandbox, httpx.Client]) -> None:
    sandbox, http = served
    sandbox.add_api_user(CODE, RSA.public_key(), static_ips=["127.0.0.1"])
    sandbox.add_api_user("elsewhere", static_ips=["192.0.2.10"])

    answer = http.get(LOGIN, headers={"x-api-key": signed(sandbox, RSA, "RS512")})
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    assert http.get("/cases", headers={"X-API-Key": token}).status_code == 200
    sandbox.advance(seconds=600)
    assert_unauthorized(http.get("/cases", headers={"X-API-Key": token}))

    assert_refused(http.get(LOGIN, headers={"x-api-key": signed(sandbox, RSA, "RS256", ahead=-5)}))
    assert_refused(http.get(LOGIN, headers={"x-api-key": signed(sandbox, OTHER_P256)}))

    posted = http.post(LOGIN, json={"api_code": CODE})
    assert posted.status_code == 200, posted.text
    assert http.get("/cases", headers={"X-API-Key": posted.json()["token"]}).status_code == 200
    assert_refused(http.post(LOGIN, json={"api_code": "elsewhere"}))
    # uvicorn takes X-Forwarded-For from a loopback peer as the caller's address.
    forwarded = {"X-Forwarded-For": "192.0.2.10"}
    assert http.post(LOGIN, json={"api_code": "elsewhere"}, headers=forwarded).status_code == 200
