"""The SDK's ApiCodeAuth logging in to the sandbox, as a real integrator would start."""

from __future__ import annotations

import logging

import anyio
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sandbox_support import BASE_URL, registration

from amili_async import AmiliClient, ApiCodeAuth, AuthenticationError, RetryPolicy
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def sdk(sandbox: Sandbox, auth: ApiCodeAuth) -> AmiliClient:
    return AmiliClient(
        token_provider=auth,
        base_url=BASE_URL,
        transport=sandbox.transport(),
        clock=sandbox.clock,
        retry=RetryPolicy(max_attempts=2),
    )


@pytest.mark.parametrize(
    ("algorithm", "make_key"),
    [
        ("ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
        ("ES384", lambda: ec.generate_private_key(ec.SECP384R1())),
        ("ES512", lambda: ec.generate_private_key(ec.SECP521R1())),
        ("RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ],
)
async def test_the_documented_login_then_the_case_flow(algorithm: str, make_key: object) -> None:
    sandbox = Sandbox()
    key: PrivateKey = make_key()  # type: ignore[operator]
    sandbox.add_api_user("code-1", key.public_key())
    auth = ApiCodeAuth("code-1", pem(key), algorithm=algorithm)  # type: ignore[arg-type]
    async with sdk(sandbox, auth) as client:
        created = await client.case_registrations.create(registration())
        case = await client.cases.get(created.cases[0])
    assert case.id == created.cases[0]
    assert auth.login_count == 1


async def test_a_token_expiring_on_the_sandbox_clock_means_one_new_login() -> None:
    sandbox = Sandbox(api_token_lifetime=300)
    key = ec.generate_private_key(ec.SECP256R1())
    sandbox.add_api_user("code-1", key.public_key())
    auth = ApiCodeAuth("code-1", pem(key))
    async with sdk(sandbox, auth) as client:
        await client.cases.list().collect()
        sandbox.advance(seconds=250)  # inside the refresh margin: renewed ahead of expiry
        await client.cases.list().collect()
        assert auth.login_count == 2
        token = await auth.get_token()
        sandbox.expire_token(token)  # the server drops it early: one 401, one login, replayed
        await client.cases.list().collect()
        assert auth.login_count == 3


async def test_many_tasks_on_a_stale_token_cause_one_login() -> None:
    sandbox = Sandbox()
    key = ec.generate_private_key(ec.SECP256R1())
    sandbox.add_api_user("code-1", key.public_key())
    auth = ApiCodeAuth("code-1", pem(key))
    async with sdk(sandbox, auth) as client, anyio.create_task_group() as group:
        for _ in range(200):
            group.start_soon(client.cases.list().collect)
    assert auth.login_count == 1


async def test_a_key_amili_does_not_know_is_an_authentication_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = Sandbox()
    sandbox.add_api_user("code-1", ec.generate_private_key(ec.SECP256R1()).public_key())
    wrong = ec.generate_private_key(ec.SECP256R1())
    auth = ApiCodeAuth("code-1", pem(wrong))
    with caplog.at_level(logging.DEBUG, logger="amili_async"):
        async with sdk(sandbox, auth) as client:
            with pytest.raises(AuthenticationError, match="Please provide proper credentials"):
                await client.cases.list().collect()
    jwt_text = auth.signed_jwt()
    assert jwt_text.split(".")[0] not in caplog.text + repr(auth)
    assert "code-1" not in repr(auth)


async def test_an_unknown_api_code_is_an_authentication_error() -> None:
    sandbox = Sandbox()
    key = ec.generate_private_key(ec.SECP256R1())
    sandbox.add_api_user("code-1", key.public_key())
    async with sdk(sandbox, ApiCodeAuth("code-2", pem(key))) as client:
        with pytest.raises(AuthenticationError):
            await client.cases.list().collect()


async def test_the_static_ip_login() -> None:
    sandbox = Sandbox()
    sandbox.add_api_user("code-ip", static_ips=("127.0.0.1",))
    auth = ApiCodeAuth.static_ip("code-ip")
    async with sdk(sandbox, auth) as client:
        assert await client.cases.list().collect() == []
    assert auth.login_count == 1
