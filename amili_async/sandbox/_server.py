"""Serve a :class:`~amili_async.sandbox.Sandbox` over HTTP on a loopback port with uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
from types import TracebackType

import uvicorn

from ._sandbox import Sandbox

__all__ = ["SandboxServer", "check_loopback", "serve"]

_INCOMPLETE = "ASGI callable returned without completing response."
_SIGNATURE = re.compile(r"(Signature=)[^&\s]+")


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about a response the sandbox cut short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _INCOMPLETE


class _RedactSignatures(logging.Filter):
    """Keep signed file links out of the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SIGNATURE.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def _install_log_filters() -> None:
    error_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in error_logger.filters):
        error_logger.addFilter(_QuietDrops())
    access_logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _RedactSignatures) for f in access_logger.filters):
        access_logger.addFilter(_RedactSignatures())


def check_loopback(host: str, *, allow_non_loopback: bool = False) -> None:
    """Refuse to listen beyond this machine unless explicitly allowed.

    The sandbox has no real security: its keys are printed and predictable
    from the seed. Raises ``ValueError`` with what to do instead.
    """
    if allow_non_loopback or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"refusing to serve the sandbox on {host!r}: it is not a loopback address and the "
            "sandbox's keys are not secret. Use 127.0.0.1 (or pass allow_non_loopback=True / "
            "--allow-non-loopback if you really mean to expose it)."
        )


class SandboxServer:
    """A sandbox served by uvicorn on ``host:port`` (``port=0`` picks a free port).

    Use :meth:`run` to serve in the current thread until Ctrl-C, or
    :meth:`start` / :meth:`stop` (or ``with``) to serve from a background
    thread, as tests do::

        with SandboxServer(sandbox) as server:
            httpx.get(server.base_url + "/cases", headers={"X-API-Key": sandbox.api_key})

    Connection faults behave slightly differently from the in-process
    transport: the server sends a status line and then closes the connection,
    so both "drop before handling" and "drop after commit" reach the client as
    ``httpx.RemoteProtocolError`` (in process the former is ``ConnectError``).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_non_loopback: bool = False,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        check_loopback(host, allow_non_loopback=allow_non_loopback)
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._log_level = log_level
        self._access_log = access_log
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the bound socket."""
        if self._socket is None:
            raise RuntimeError("the server is not bound yet; call start() or run() first")
        port = self._socket.getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    def bind(self) -> socket.socket:
        """Bind the listening socket now (so :attr:`base_url` knows the port)."""
        if self._socket is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only
            # when the listening socket names its protocol, and without it every
            # request on a kept-alive connection waits ~40 ms for delayed ACKs.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                sock.close()
                raise
            sock.set_inheritable(True)
            self._socket = sock
        return self._socket

    def _make_server(self) -> uvicorn.Server:
        config = uvicorn.Config(
            self.sandbox.app,
            lifespan="off",
            log_level=self._log_level,
            access_log=self._access_log,
            timeout_graceful_shutdown=2,
        )
        _install_log_filters()
        server = uvicorn.Server(config)
        self._server = server
        return server

    def run(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C) or :meth:`stop` is called."""
        sock = self.bind()
        try:
            self._make_server().run(sockets=[sock])
        finally:
            self._close_socket()

    def start(self, timeout: float = 10.0) -> str:
        """Serve from a daemon thread; returns :attr:`base_url` once the server accepts."""
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        sock = self.bind()
        server = self._make_server()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="amili-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self.base_url

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._close_socket()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._socket is not None else f"{self.host}:{self.port}"
        return f"SandboxServer({where})"


def serve(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    port: int = 8400,
    *,
    allow_non_loopback: bool = False,
    log_level: str = "info",
) -> None:
    """Serve ``sandbox`` on ``host:port`` until interrupted (Ctrl-C)."""
    SandboxServer(
        sandbox,
        host,
        port,
        allow_non_loopback=allow_non_loopback,
        log_level=log_level,
        access_log=True,
    ).run()
