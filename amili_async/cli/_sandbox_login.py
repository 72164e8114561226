"""The API user ``sandbox serve`` sets up, so that Amili's login can be tried by hand.

The served sandbox gets an API code whose public key is registered with it;
the matching private key is written to a file (mode 0600) that the other
commands read through ``AMILI_PRIVATE_KEY``. A temporary key file is removed
when the server stops; a ``--key-file`` is kept, and reused when it exists
(it is never overwritten: it may be a key that matters elsewhere).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from attrs import frozen
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ._connect import API_CODE_ENV, BASE_URL_ENV, JWT_ALGORITHM_ENV, PRIVATE_KEY_ENV

if TYPE_CHECKING:
    from amili_async.sandbox import Sandbox

__all__ = ["SANDBOX_API_CODE", "SandboxLogin", "add_login_arguments", "prepare_login"]

#: The API code ``sandbox serve`` registers.
SANDBOX_API_CODE = "sbx_api_code"

_ALGORITHMS_BY_CURVE = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def add_login_arguments(parser: argparse.ArgumentParser) -> None:
    """``--key-file``."""
    parser.add_argument(
        "--key-file",
        type=Path,
        default=None,
        metavar="PATH",
        help=(
            "private key for the printed API code: reused when PATH exists (EC or RSA PEM), "
            "else a new EC P-256 key is written there with mode 0600 "
            "(default: a temporary file, removed on exit)"
        ),
    )


@frozen
class SandboxLogin:
    """The API code, its private key file and JWT algorithm, as ``sandbox serve`` prints them."""

    api_code: str
    key_file: Path
    algorithm: str
    temporary_dir: Path | None

    def lines(self, base_url: str) -> list[str]:
        """What to print: the code, the key file, and the ``export`` line to copy."""
        variables = {
            BASE_URL_ENV: base_url,
            API_CODE_ENV: self.api_code,
            PRIVATE_KEY_ENV: str(self.key_file),
        }
        if self.algorithm != "ES256":
            variables[JWT_ALGORITHM_ENV] = self.algorithm
        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items())
        return [
            f"API code: {self.api_code}",
            f"Private key ({self.algorithm}): {self.key_file}",
            "Log in with it (GET /authenticates/api-code) from another shell:",
            f"  export {exports}",
        ]

    def remove(self) -> None:
        """Delete a temporary key file (a ``--key-file`` stays)."""
        if self.temporary_dir is not None:
            shutil.rmtree(self.temporary_dir, ignore_errors=True)

    @contextmanager
    def removed_on_exit(self) -> Iterator[None]:
        """:meth:`remove` when the block ends, also when ``SIGTERM`` ends the process.

        (uvicorn re-raises the signal after its graceful shutdown; without a
        handler of ours, ``SIGTERM`` would kill the process before any cleanup.)
        """
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if main_thread else None
        try:
            yield
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)
            self.remove()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def prepare_login(sandbox: Sandbox, key_file: Path | None, *, realtime: bool) -> SandboxLogin:
    """Register :data:`SANDBOX_API_CODE` on ``sandbox`` with a key from or for ``key_file``.

    Raises ``ValueError`` when an existing ``key_file`` is not a usable private key.
    Unless the sandbox clock follows real time, the JWT's ``exp`` is only checked
    to be ahead of it: a client signs with real time, which is far from a stopped clock.
    """
    temporary_dir = None
    if key_file is None:
        temporary_dir = Path(tempfile.mkdtemp(prefix="amili-sandbox-"))
        key_file = temporary_dir / "sandbox.ec.key"
    if key_file.exists():
        key = _read_key(key_file)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        _write_key(key_file, key)
    algorithm = _algorithm(key)
    sandbox.add_api_user(SANDBOX_API_CODE, key.public_key())
    if not realtime:
        sandbox.max_jwt_lifetime = None
    return SandboxLogin(SANDBOX_API_CODE, key_file.resolve(), algorithm, temporary_dir)


def _read_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        reason = getattr(error, "strerror", None) or error
        message = f"--key-file {path}: not a readable, unencrypted PEM key ({reason})"
        raise ValueError(message) from None
    if isinstance(key, rsa.RSAPrivateKey) or (
        isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _ALGORITHMS_BY_CURVE
    ):
        return key
    raise ValueError(f"--key-file {path}: needs an RSA key or an EC key on P-256, P-384 or P-521")


def _write_key(path: Path, key: PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


def _algorithm(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    return _ALGORITHMS_BY_CURVE[key.curve.name]
