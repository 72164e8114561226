"""Errors that say why: a refused port, a host that does not exist, a timeout, a pool
that stays full; never a header value, never the key."""

from __future__ import annotations

import socket
import traceback

import anyio
import httpx
import pytest
from support import loopback_client

from amili_async import AmiliClient, ConnectError, ManualClock, RetryPolicy, TransportError
from amili_async._failures import failure_reason

pytestmark = pytest.mark.anyio


CASE_ID = "68b7f49c7b02934caddab092"
KEY = "sk_test_SECRET_KEY_123"


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def failing(error: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return httpx.MockTransport(handler)


def rendered(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


@pytest.mark.network
async def test_a_refused_port_says_connection_refused() -> None:
    port = free_port()
    client = loopback_client(f"http://127.0.0.1:{port}", KEY, retry=RetryPolicy.none())
    async with client:
        with pytest.raises(ConnectError) as caught:
            await client.cases.get(CASE_ID)
    message = str(caught.value)
    assert message == (
        f"could not connect to 127.0.0.1:{port}: Connection refused (GET /cases/{CASE_ID})"
    )
    assert KEY not in rendered(caught.value)


@pytest.mark.network
async def test_a_host_that_does_not_exist_says_so() -> None:
    client = loopback_client("https://nonexistent.invalid", KEY, retry=RetryPolicy.none())
    async with client:
        with anyio.fail_after(30), pytest.raises(ConnectError) as caught:
            await client.cases.get(CASE_ID)
    message = str(caught.value)
    assert message.startswith("could not connect to nonexistent.invalid: ")
    assert "the host name could not be resolved" in message
    assert KEY not in rendered(caught.value)


async def test_the_os_reason_under_httpx_is_used_on_every_backend(clock: ManualClock) -> None:
    # What httpx raises when resolution fails: its text is the OS error's.
    unresolved = httpx.ConnectError("[Errno -2] Name or service not known")
    unresolved.__cause__ = socket.gaierror(-2, "Name or service not known")
    client = AmiliClient(KEY, transport=failing(unresolved), clock=clock)
    with pytest.raises(ConnectError) as caught:
        await client.cases.get(CASE_ID)
    assert str(caught.value) == (
        "could not connect to api-sandbox.amili.se: Name or service not known "
        f"(the host name could not be resolved) (GET /cases/{CASE_ID})"
    )


def test_the_deepest_os_error_wins_even_inside_an_exception_group() -> None:
    # trio reports a refused connection as an exception group of OS errors.
    refused = ConnectionRefusedError(111, "Connect call failed")
    group = ExceptionGroup("all attempts to connect to 127.0.0.1:1 failed", [refused])
    error = httpx.ConnectError("all attempts to connect to 127.0.0.1:1 failed")
    error.__cause__ = OSError("all attempts to connect to 127.0.0.1:1 failed")
    error.__cause__.__cause__ = group
    assert failure_reason(error) == "Connection refused"


def test_without_an_os_error_httpx_text_is_quoted_on_one_line_with_secrets_masked() -> None:
    error = httpx.ConnectError(f"odd failure\nwith {KEY} inside " + "x" * 300)
    reason = failure_reason(error, secrets=[KEY])
    assert KEY not in reason
    assert "***" in reason
    assert "\n" not in reason
    assert len(reason) <= 200
    assert failure_reason(httpx.ConnectError("")) == "ConnectError"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectTimeout("timed out"), "could not connect to api-sandbox.amili.se: timed out"),
        (httpx.PoolTimeout("pool"), "no free connection in the pool in time"),
        (httpx.ReadTimeout("slow"), "no answer in time: ReadTimeout"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "connection failed after sending: RemoteProtocolError (Server disconnected",
        ),
    ],
)
async def test_every_transport_failure_names_its_reason(
    clock: ManualClock, error: Exception, expected: str
) -> None:
    client = AmiliClient(KEY, transport=failing(error), clock=clock)
    with pytest.raises(TransportError) as caught:
        await client.cases.get(CASE_ID)
    assert str(caught.value).startswith(expected)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
