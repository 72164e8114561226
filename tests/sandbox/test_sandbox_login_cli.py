"""The CLI and Amili's login: the credentials it reads, and what ``sandbox serve`` prints."""

from __future__ import annotations

import shlex
import signal
import stat
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sandbox_support import registration, start_serve
from support import cli_on_backend

from amili_async import AmiliClient, ApiCodeAuth, ConfigurationError, ManualClock
from amili_async.cli import main
from amili_async.cli._sandbox_login import SANDBOX_API_CODE, prepare_login
from amili_async.sandbox import Sandbox, SandboxServer

LOGIN = "/authenticates/api-code"
CREDENTIAL_VARIABLES = (
    "AMILI_API_KEY",
    "AMILI_API_CODE",
    "AMILI_PRIVATE_KEY",
    "AMILI_JWT_ALGORITHM",
    "AMILI_BASE_URL",
)


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def write_key(path: Path, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(curve)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def exported(lines: list[str]) -> dict[str, str]:
    """The variables of the printed ``export`` line."""
    [line] = [line for line in lines if line.strip().startswith("export ")]
    pairs = shlex.split(line.strip().removeprefix("export "))
    return dict(pair.split("=", 1) for pair in pairs)


def login_jwt(key_file: Path, algorithm: str = "ES256") -> str:
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    exp = int((datetime.now(UTC) + timedelta(minutes=10)).timestamp())
    return jwt.encode({"api_code": SANDBOX_API_CODE, "exp": exp}, key, algorithm=algorithm)  # type: ignore[arg-type]


# --- which credentials the commands read ------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, ["no credentials", "AMILI_API_CODE", "AMILI_PRIVATE_KEY", "AMILI_API_KEY"]),
        ({"AMILI_API_KEY": "k", "AMILI_API_CODE": "c"}, ["both AMILI_API_KEY and AMILI_API_CODE"]),
        ({"AMILI_API_KEY": "k", "AMILI_PRIVATE_KEY": "/x"}, ["both"]),
        ({"AMILI_API_CODE": "c"}, ["set AMILI_PRIVATE_KEY"]),
        ({"AMILI_PRIVATE_KEY": "/x"}, ["set AMILI_API_CODE"]),
        ({"AMILI_API_CODE": "c", "AMILI_PRIVATE_KEY": "/nowhere/k.pem"}, ["cannot read the key"]),
    ],
)
def test_missing_or_conflicting_credentials_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    expected: list[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["status", "674dbeaf08847b9501cc9999"]) == 2
    error = capsys.readouterr().err
    for words in expected:
        assert words in error
    assert "k.pem" not in error or "/nowhere/k.pem" in error  # a path, never key material


def test_the_algorithm_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "jwt.private.ec.key"
    write_key(key_file, ec.SECP384R1())
    monkeypatch.setenv("AMILI_API_CODE", "c")
    monkeypatch.setenv("AMILI_PRIVATE_KEY", str(key_file))
    monkeypatch.setenv("AMILI_JWT_ALGORITHM", "es384")
    provider = AmiliClient().token_provider
    assert isinstance(provider, ApiCodeAuth)
    assert provider.algorithm == "ES384"
    monkeypatch.delenv("AMILI_JWT_ALGORITHM")
    with pytest.raises(ConfigurationError, match="secp256r1"):
        AmiliClient()  # ES256 by default: a P-384 key does not fit
    monkeypatch.setenv("AMILI_JWT_ALGORITHM", "HS256")
    with pytest.raises(ConfigurationError, match="algorithm must be one of"):
        AmiliClient()


def test_a_key_from_the_environment_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMILI_API_KEY", " key ")
    assert repr(AmiliClient().token_provider) == "StaticKey('***')"


def test_help_names_the_login_variables(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "AMILI_API_CODE and AMILI_PRIVATE_KEY" in text
    assert "Setting both is refused" in text


# --- the API user sandbox serve sets up -------------------------------------------------------


def test_a_temporary_key_file_is_private_and_removed(tmp_path: Path) -> None:
    sandbox = Sandbox()
    login = prepare_login(sandbox, None, realtime=False)
    try:
        assert stat.S_IMODE(login.key_file.stat().st_mode) == 0o600
        assert login.algorithm == "ES256"
        variables = exported(login.lines("http://127.0.0.1:8400"))
        assert variables == {
            "AMILI_BASE_URL": "http://127.0.0.1:8400",
            "AMILI_API_CODE": SANDBOX_API_CODE,
            "AMILI_PRIVATE_KEY": str(login.key_file),
        }
        assert sandbox.max_jwt_lifetime is None  # a stopped clock is far from a client's
    finally:
        login.remove()
    assert not login.key_file.exists()


def test_a_key_file_is_written_once_then_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "my key.pem"
    first = prepare_login(Sandbox(), key_file, realtime=True)
    first.remove()
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    written = key_file.read_bytes()
    realtime = Sandbox()
    second = prepare_login(realtime, key_file, realtime=True)
    assert key_file.read_bytes() == written
    assert realtime.max_jwt_lifetime == 3600
    assert exported(second.lines("http://x"))["AMILI_PRIVATE_KEY"] == str(key_file.resolve())


def test_an_existing_p384_key_says_its_algorithm(tmp_path: Path) -> None:
    key_file = tmp_path / "p384.pem"
    write_key(key_file, ec.SECP384R1())
    login = prepare_login(Sandbox(), key_file, realtime=False)
    assert exported(login.lines("http://x"))["AMILI_JWT_ALGORITHM"] == "ES384"


def test_an_unusable_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "broken.pem"
    key_file.write_text("not a key")
    with pytest.raises(ValueError, match="not a readable, unencrypted PEM key"):
        prepare_login(Sandbox(), key_file, realtime=False)
    write_key(key_file, ec.SECP192R1())
    with pytest.raises(ValueError, match="P-256, P-384 or P-521"):
        prepare_login(Sandbox(), key_file, realtime=False)


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, SandboxServer]]:
    sandbox = Sandbox(clock=ManualClock(), seed=6)
    with SandboxServer(sandbox, port=0) as server:
        yield sandbox, server


@pytest.mark.network
def test_status_logs_in_with_the_printed_api_code(
    served: tuple[Sandbox, SandboxServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, server = served
    login = prepare_login(sandbox, None, realtime=False)
    try:
        case = httpx.post(
            server.base_url + "/case--registrations",
            json=registration(),
            headers={"X-API-Key": sandbox.api_key},
        ).json()["_cases"][0]
        for name, value in exported(login.lines(server.base_url)).items():
            monkeypatch.setenv(name, value)

        cli_on_backend(monkeypatch)
        status = main(["status", case, "--plain"])

        output = capsys.readouterr()
        assert status == 0, output.err + output.out
        assert case in output.out
        assert any(entry.path == LOGIN and entry.status == 200 for entry in sandbox.request_log)
    finally:
        login.remove()


@pytest.mark.network(httpx_only="the command runs in a child process, on its default backend")
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_sandbox_serve_prints_a_working_api_code() -> None:
    process = start_serve("--port", "0", "--log-level", "warning")
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            lines.append(process.stdout.readline().strip())
        variables = exported(lines)
        key_file = Path(variables["AMILI_PRIVATE_KEY"])
        assert variables["AMILI_API_CODE"] == SANDBOX_API_CODE
        assert f"API code: {SANDBOX_API_CODE}" in lines
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        with httpx.Client(base_url=variables["AMILI_BASE_URL"], timeout=5) as http:
            answer = _when_up(lambda: http.get(LOGIN, headers={"X-API-Key": login_jwt(key_file)}))
            assert answer.status_code == 200, answer.text
            token = answer.json()["token"]
            assert http.get("/cases", headers={"X-API-Key": token}).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)  # also closes the pipes
    assert not key_file.exists()


def _when_up(request: object) -> httpx.Response:
    assert callable(request)
    for _ in range(200):
        try:
            response: httpx.Response = request()
            return response
        except httpx.TransportError:
            time.sleep(0.01)
    raise AssertionError("the served sandbox never answered")
