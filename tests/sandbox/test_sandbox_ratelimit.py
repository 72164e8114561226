"""Eve's rate limit in the sandbox, on its manual clock: the window, what counts, the CLI flag.

What a real Eve server answers is checked in ``tests/contract`` (the headers,
the bare 429, 401s counting); these are the parts only the sandbox's clock
can show without waiting.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_support import client

from amili_async import ManualClock
from amili_async.cli import build_parser, main
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

RATE_LIMITED = {"_status": "ERR", "_error": {"code": 429, "message": "Rate limit exceeded"}}


def limited(requests: int, seconds: int) -> Sandbox:
    """A sandbox on a manual clock (whole seconds) with ``rate_limit=(requests, seconds)``."""
    return Sandbox(clock=ManualClock(), rate_limit=(requests, seconds))


def window(response: httpx.Response) -> tuple[int, int]:
    """``(X-RateLimit-Remaining, X-RateLimit-Reset)`` of an answer."""
    headers = response.headers
    return int(headers["x-ratelimit-remaining"]), int(headers["x-ratelimit-reset"])


async def test_the_window_ends_window_seconds_after_the_last_request() -> None:
    sandbox = limited(2, 10)
    start = int(sandbox.now.timestamp())
    async with client(sandbox) as http:
        first = await http.get("/cases")
        sandbox.advance(seconds=4)
        second = await http.get("/cases")  # the budget is spent until start + 14
        sandbox.advance(seconds=5)
        refused = await http.get("/cases")  # counts, and moves the end to start + 19
        sandbox.advance(seconds=6)
        still = await http.get("/cases")  # past start + 14, yet refused: now until start + 25
        sandbox.advance(seconds=11)
        fresh = await http.get("/cases")  # quiet past the end: a fresh window
    assert first.headers["x-ratelimit-limit"] == "2"
    assert window(first) == (1, start + 10)
    assert window(second) == (0, start + 14)
    assert (refused.status_code, refused.json()) == (429, RATE_LIMITED)
    assert still.status_code == 429
    assert fresh.status_code == 200
    assert window(fresh) == (1, start + 36)


async def test_every_client_of_one_sandbox_shares_the_budget() -> None:
    # Keyed by client IP, as Eve keys X-API-Key traffic: other accounts, no key, same budget.
    sandbox = limited(3, 60)
    other = sandbox.add_account(name="Other AB")
    async with client(sandbox) as mine, client(sandbox, key=other.api_key) as theirs:
        answers = [await mine.get("/cases"), await theirs.get("/cases")]
    async with client(sandbox, key="") as anonymous:
        answers.append(await anonymous.get("/cases"))
    assert [response.status_code for response in answers] == [200, 200, 401]
    assert [window(response)[0] for response in answers] == [2, 1, 0]


async def test_sandbox_controls_and_signed_files_never_count() -> None:
    sandbox = limited(1, 60)
    async with client(sandbox) as http:
        for _ in range(3):
            control = await http.get("/_sandbox/clock")
            assert control.status_code == 200
            assert "x-ratelimit-remaining" not in control.headers
        assert window(await http.get("/cases"))[0] == 0


async def test_reset_opens_a_fresh_window() -> None:
    sandbox = limited(1, 60)
    async with client(sandbox) as http:
        await http.get("/cases")
        assert (await http.get("/cases")).status_code == 429
        sandbox.reset()
        assert (await http.get("/cases")).status_code == 200


async def test_an_injected_fault_answers_before_the_limit_counts() -> None:
    # Faults stand for the network and proxies in front of the API: the API never saw it.
    sandbox = limited(2, 60)
    sandbox.faults.error(503, times=1)
    async with client(sandbox) as http:
        faulted = await http.get("/cases")
        counted = await http.get("/cases")
    assert faulted.status_code == 503
    assert window(counted)[0] == 1


async def test_without_a_rate_limit_there_are_no_headers() -> None:
    async with client(Sandbox()) as http:
        response = await http.get("/cases")
    assert not [name for name in response.headers if name.startswith("x-ratelimit-")]


@pytest.mark.parametrize("rate_limit", [(0, 60), (5, 0), (True, 60), (5,), "300/60", (1.5, 60)])
def test_a_bad_rate_limit_is_refused(rate_limit: Any) -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Sandbox(rate_limit=rate_limit)


# --- amili-async sandbox serve --rate-limit -------------------------------------------------


def test_the_serve_flag_reads_requests_per_seconds() -> None:
    args = build_parser().parse_args(["sandbox", "serve", "--rate-limit", "300/60"])
    assert args.rate_limit == (300, 60)
    assert build_parser().parse_args(["sandbox", "serve"]).rate_limit is None


@pytest.mark.parametrize("value", ["300", "300/", "/60", "0/60", "300/0", "-1/60", "a/b", "3/1.5"])
def test_a_bad_serve_flag_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "serve", "--rate-limit", value])
    assert exit_info.value.code == 2
    assert "REQUESTS/SECONDS" in capsys.readouterr().err


def test_serve_hands_the_rate_limit_to_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[Sandbox] = []

    class FakeServer:
        base_url = "http://127.0.0.1:1"

        def __init__(self, sandbox: Sandbox, *args: Any, **kwargs: Any) -> None:
            served.append(sandbox)

        def bind(self) -> None:
            """Bind nothing."""

        def run(self) -> None:
            """Serve nothing."""

    monkeypatch.setattr("amili_async.sandbox.SandboxServer", FakeServer)
    assert main(["sandbox", "serve", "--rate-limit", "300/60"]) == 0
    [sandbox] = served
    assert sandbox.settings.rate_limit == (300, 60)
    assert "Rate limit: 300 requests per 60 s" in capsys.readouterr().out
