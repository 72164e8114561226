"""ApiCodeAuth on its own: keys, the signed login JWT, and reading the token answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from amili_async import ApiCodeAuth, AuthenticationError, ConfigurationError, ManualClock
from amili_async._api_code import read_token_answer

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


KEYS: dict[str, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] = {
    "ES256": ec.generate_private_key(ec.SECP256R1()),
    "ES384": ec.generate_private_key(ec.SECP384R1()),
    "ES512": ec.generate_private_key(ec.SECP521R1()),
    "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
}
KEYS["RS384"] = KEYS["RS512"] = KEYS["RS256"]


class RecordingChannel:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[str, Mapping[str, str], Any]] = []

    async def login(self, method: str, *, headers: Mapping[str, str], json: Any) -> Any:
        self.calls.append((method, headers, json))
        return self.answer


@pytest.mark.parametrize("algorithm", sorted(KEYS))
def test_signed_jwt_verifies_with_the_public_key(algorithm: str) -> None:
    auth = ApiCodeAuth("code-1", pem(KEYS[algorithm]), algorithm=algorithm)  # type: ignore[arg-type]
    auth.attach(RecordingChannel({}), ManualClock(NOW))
    claims = jwt.decode(
        auth.signed_jwt(),
        public_pem(KEYS[algorithm]),
        algorithms=[algorithm],
        options={"verify_exp": False},
    )
    assert claims == {"api_code": "code-1", "exp": int((NOW + timedelta(minutes=10)).timestamp())}


def test_key_from_a_path_and_from_bytes(tmp_path: Path) -> None:
    key_file = tmp_path / "jwt.private.ec.key"
    key_file.write_text(pem(KEYS["ES256"]))
    assert ApiCodeAuth("c", key_file).algorithm == "ES256"
    assert ApiCodeAuth("c", str(key_file)).algorithm == "ES256"
    assert ApiCodeAuth("c", pem(KEYS["ES256"]).encode()).algorithm == "ES256"


@pytest.mark.parametrize(
    ("key", "algorithm", "message"),
    [
        ("ES384", "ES256", "secp256r1"),
        ("RS256", "ES256", "EC private key"),
        ("ES256", "RS256", "RSA private key"),
        ("ES256", "HS256", "algorithm must be one of"),
    ],
)
def test_a_key_that_does_not_fit_the_algorithm_is_refused(
    key: str, algorithm: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ApiCodeAuth("c", pem(KEYS[key]), algorithm=algorithm)  # type: ignore[arg-type]


def test_unreadable_keys_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the key file"):
        ApiCodeAuth("c", tmp_path / "missing.key")
    with pytest.raises(ConfigurationError, match="not a usable PEM private key"):
        ApiCodeAuth("c", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigurationError, match="api_code is empty"):
        ApiCodeAuth(" ", pem(KEYS["ES256"]))
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ConfigurationError, match="2048"):
        ApiCodeAuth("c", pem(small), algorithm="RS256")


def test_repr_shows_no_code_or_key() -> None:
    auth = ApiCodeAuth("secret-code", pem(KEYS["ES256"]))
    assert "secret-code" not in repr(auth)
    assert "PRIVATE" not in repr(auth)


@pytest.mark.anyio
async def test_get_login_sends_the_jwt_and_caches_the_token() -> None:
    channel = RecordingChannel({"token": "tok-1"})
    auth = ApiCodeAuth("code-1", pem(KEYS["ES256"]))
    auth.attach(channel, ManualClock(NOW))
    assert await auth.get_token() == "tok-1"
    assert await auth.get_token() == "tok-1"
    assert auth.login_count == 1
    method, headers, body = channel.calls[0]
    assert (method, body) == ("GET", None)
    assert (
        jwt.decode(
            headers["X-API-Key"],
            public_pem(KEYS["ES256"]),
            algorithms=["ES256"],
            options={"verify_exp": False},
        )["api_code"]
        == "code-1"
    )


@pytest.mark.anyio
async def test_static_ip_login_posts_the_code() -> None:
    channel = RecordingChannel("tok-2")
    auth = ApiCodeAuth.static_ip("code-2")
    auth.attach(channel, ManualClock(NOW))
    assert await auth.get_token() == "tok-2"
    assert channel.calls == [("POST", {}, {"api_code": "code-2"})]
    with pytest.raises(ConfigurationError):
        auth.signed_jwt()


@pytest.mark.anyio
async def test_token_is_renewed_ahead_of_its_expiry() -> None:
    clock = ManualClock(NOW)
    channel = RecordingChannel({"token": "tok", "expires_in": 300})
    auth = ApiCodeAuth("c", pem(KEYS["ES256"]), refresh_margin=timedelta(seconds=60))
    auth.attach(channel, clock)
    await auth.get_token()
    clock.advance(239)
    await auth.get_token()
    assert auth.login_count == 1
    clock.advance(2)
    await auth.get_token()
    assert auth.login_count == 2


@pytest.mark.anyio
async def test_unattached_provider_says_how_to_use_it() -> None:
    auth = ApiCodeAuth("c", pem(KEYS["ES256"]))
    with pytest.raises(ConfigurationError, match="token_provider"):
        await auth.get_token()


@pytest.mark.parametrize(
    ("answer", "field", "expected"),
    [
        ("plain", None, "plain"),
        ({"token": "a"}, None, "a"),
        ({"access_token": "b", "other": 1}, None, "b"),
        ({"api_key": "c"}, None, "c"),
        ({"_status": "OK", "session": "d"}, "session", "d"),
    ],
)
def test_token_is_found_in_the_usual_places(answer: Any, field: str | None, expected: str) -> None:
    token = read_token_answer(
        answer, token_field=field, token_lifetime=timedelta(minutes=5), now=NOW
    )
    assert token.value == expected
    assert token.expires_at == NOW + timedelta(minutes=5)


def test_expiry_comes_from_the_jwt_then_the_answer_then_the_default() -> None:
    inner = jwt.encode({"exp": int(NOW.timestamp()) + 3600}, "k" * 32, algorithm="HS256")
    lifetime = timedelta(minutes=5)
    assert read_token_answer(
        {"token": inner}, token_field=None, token_lifetime=lifetime, now=NOW
    ).expires_at == NOW + timedelta(hours=1)
    assert read_token_answer(
        {"token": "t", "expires": "Mon, 05 Jan 2026 13:00:00 GMT"},
        token_field=None,
        token_lifetime=lifetime,
        now=NOW,
    ).expires_at == NOW + timedelta(hours=1)
    assert read_token_answer(
        {"token": "t", "expires_at": "2026-01-05T12:30:00+00:00"},
        token_field=None,
        token_lifetime=lifetime,
        now=NOW,
    ).expires_at == NOW + timedelta(minutes=30)
    assert (
        read_token_answer(
            {"token": "t", "expires": "whenever"},
            token_field=None,
            token_lifetime=lifetime,
            now=NOW,
        ).expires_at
        == NOW + lifetime
    )


def test_an_answer_without_a_token_names_the_keys_but_never_the_values() -> None:
    with pytest.raises(AuthenticationError) as caught:
        read_token_answer(
            {"session": "very-secret"}, token_field=None, token_lifetime=timedelta(1), now=NOW
        )
    assert "session" in str(caught.value)
    assert "very-secret" not in str(caught.value)
    assert "token_field" in str(caught.value)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    )
)
def test_any_answer_gives_a_token_or_an_authentication_error(answer: Any) -> None:
    try:
        token = read_token_answer(answer, token_field=None, token_lifetime=timedelta(1), now=NOW)
    except AuthenticationError:
        return
    assert token.value.strip()
    assert token.expires_at.tzinfo is not None
