"""``amili-async sandbox serve``: run the offline Amili API on a loopback port."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

from ._common import SubParsers
from ._sandbox_login import add_login_arguments, prepare_login

__all__ = ["register"]


#: The largest ``--rate-limit`` window: a day.
_MAX_WINDOW = 86_400


def _rate(text: str) -> Decimal:
    """A reference rate in percent: a finite number from -100 to 100."""
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not rate.is_finite() or abs(rate) > 100:
        raise argparse.ArgumentTypeError(f"must be a percentage from -100 to 100, got {text}")
    return rate


def _port(text: str) -> int:
    """A TCP port: a whole number from 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 (any free port) to 65535, got {text}")
    return port


def _rate_limit(text: str) -> tuple[int, int]:
    """``REQUESTS/SECONDS`` (``300/60``): Eve's rate limit, both whole numbers >= 1."""
    requests, slash, seconds = text.partition("/")
    try:
        limit = (int(requests), int(seconds)) if slash else None
    except ValueError:
        limit = None
    if limit is None or min(limit) < 1 or limit[1] > _MAX_WINDOW:
        raise argparse.ArgumentTypeError(
            "expected REQUESTS/SECONDS, two whole numbers >= 1 (like 300/60), at most "
            f"{_MAX_WINDOW} seconds, got {text!r}"
        )
    return limit


def register(subparsers: SubParsers) -> None:
    """Add the ``sandbox`` command and its ``serve`` subcommand."""
    sandbox = subparsers.add_parser(
        "sandbox",
        help="sandbox serve: run the offline Amili API locally",
        description="The offline Amili sandbox.",
    )
    actions = sandbox.add_subparsers(title="actions", metavar="ACTION")
    serve = actions.add_parser(
        "serve",
        help="serve the sandbox over HTTP until Ctrl-C",
        description=(
            "Serve the in-memory Amili API on a loopback port. It prints the base URL, a "
            "static API key, and an API code with its private key file for Amili's login "
            "(the export line sets what the other commands read); move its clock with "
            "POST /_sandbox/clock/advance."
        ),
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=_port, default=8400, help="port, 0 for any free one (default: %(default)s)"
    )
    serve.add_argument(
        "--seed", type=int, default=0, help="seed for ids, keys and faults (default: %(default)s)"
    )
    serve.add_argument(
        "--reference-rate",
        type=_rate,
        default=Decimal("2.0"),
        help="Riksbank reference rate in percent (default: %(default)s)",
    )
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="REQUESTS/SECONDS",
        help=(
            "Eve's rate limit, like 300/60: X-RateLimit-* headers on every answer and a bare "
            "429 past the limit (default: none)"
        ),
    )
    serve.add_argument(
        "--realtime",
        action="store_true",
        help="let the sandbox clock follow real time (it still jumps on /_sandbox/clock/advance)",
    )
    serve.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow a non-loopback --host (the sandbox has no real security)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    add_login_arguments(serve)
    serve.set_defaults(handler=_serve)
    sandbox.set_defaults(handler=lambda _args: _usage(sandbox))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _serve(args: argparse.Namespace) -> int:
    from amili_async.sandbox import RealtimeClock, Sandbox, SandboxServer

    clock = RealtimeClock() if args.realtime else None
    sandbox = Sandbox(
        clock=clock, seed=args.seed, reference_rate=args.reference_rate, rate_limit=args.rate_limit
    )
    try:
        server = SandboxServer(
            sandbox,
            args.host,
            args.port,
            allow_non_loopback=args.allow_non_loopback,
            log_level=args.log_level,
            access_log=True,
        )
        server.bind()
        login = prepare_login(sandbox, args.key_file, realtime=args.realtime)
    except (ValueError, OSError) as exc:
        print(f"amili-async sandbox serve: {exc}", file=sys.stderr)
        return 1
    print(f"Base URL: {server.base_url}")
    print(f"API key: {sandbox.api_key}")
    print(f"Account: {sandbox.account_id}  Creditor: {sandbox.creditor_id}")
    print(*login.lines(server.base_url), sep="\n")
    if args.rate_limit is not None:
        requests, seconds = args.rate_limit
        print(f"Rate limit: {requests} requests per {seconds} s per client IP")
    print("Press Ctrl-C to stop.", flush=True)
    with login.removed_on_exit():
        server.run()
    return 0
