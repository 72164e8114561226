"""What ``register``, ``status`` and ``watch`` share: where the API is, and demo cases.

Credentials come from the environment (see :data:`CREDENTIALS_HELP`): a static
``AMILI_API_KEY``, or Amili's login with ``AMILI_API_CODE`` and
``AMILI_PRIVATE_KEY``; ``AMILI_BASE_URL`` is optional (Amili's sandbox host by
default). ``--sandbox``
runs the command against an embedded, in-process sandbox instead: no key, no
network, nothing kept after the command ends. The sandbox and the client then
share one simulated clock, so back-offs and polling intervals cost no real time.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import frozen

from amili_async import (
    AmiliClient,
    ConfigurationError,
    RateLimit,
    RetryPolicy,
    mask_id_number,
)

from ._common import UsageError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "Connection",
    "add_connection_arguments",
    "connect",
    "console",
    "masked",
    "register_demo_cases",
]

#: Environment variables the commands read.
API_KEY_ENV = "AMILI_API_KEY"
BASE_URL_ENV = "AMILI_BASE_URL"
API_CODE_ENV = "AMILI_API_CODE"
PRIVATE_KEY_ENV = "AMILI_PRIVATE_KEY"
JWT_ALGORITHM_ENV = "AMILI_JWT_ALGORITHM"

#: The credentials paragraph of each connecting command's ``--help``.
CREDENTIALS_HELP = (
    f"Credentials come from the environment: either {API_CODE_ENV} and {PRIVATE_KEY_ENV} "
    "(the path of the PEM private key whose public key is registered with Amili; "
    f"{JWT_ALGORITHM_ENV}: ES256 (default), ES384, ES512, RS256, RS384 or RS512) for "
    f"Amili's login, or a static {API_KEY_ENV}. Setting both is refused. "
    f"{BASE_URL_ENV} names another host than Amili's sandbox."
)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--sandbox`` and ``--rate``, and the credentials paragraph at the end of ``--help``."""
    parser.epilog = f"{parser.epilog}\n\n{CREDENTIALS_HELP}" if parser.epilog else CREDENTIALS_HELP
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against an embedded in-process sandbox (no credentials, no network)",
    )
    parser.add_argument(
        "--rate",
        type=_positive_float,
        default=None,
        metavar="R",
        help="at most R requests per second (default: no client-side pacing)",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return value


@frozen
class Connection:
    """A client, and the embedded sandbox behind it when ``--sandbox`` was given."""

    client: AmiliClient
    sandbox: object | None  # amili_async.sandbox.Sandbox, imported only when used

    @property
    def account_id(self) -> str | None:
        """The sandbox's account, when running on one."""
        return getattr(self.sandbox, "account_id", None)

    @property
    def creditor_id(self) -> str | None:
        """The sandbox's creditor, when running on one."""
        return getattr(self.sandbox, "creditor_id", None)


@asynccontextmanager
async def connect(args: argparse.Namespace, *, concurrency: int = 10) -> AsyncIterator[Connection]:
    """Open a client as the arguments say; raises :class:`UsageError` without credentials."""
    rate = getattr(args, "rate", None)
    limit = RateLimit(
        requests_per_second=rate,
        burst=max(1, int(rate)) if rate else 10,
        max_concurrency=max(concurrency, 10),
    )
    if args.sandbox:
        from amili_async.sandbox import Sandbox

        sandbox = Sandbox()
        client = AmiliClient(
            api_key=sandbox.api_key,
            transport=sandbox.transport(),
            clock=sandbox.clock,
            rate_limit=limit,
            retry=RetryPolicy(max_attempts=5, initial_backoff=0.2, max_backoff=5.0),
        )
        async with client:
            yield Connection(client, sandbox)
        return
    try:
        # The library reads the AMILI_* variables, with the same rules as everywhere.
        client = AmiliClient(rate_limit=limit)
    except ConfigurationError as error:
        raise UsageError(_usage_text(error)) from None
    async with client:
        yield Connection(client, None)


def _usage_text(error: ConfigurationError) -> str:
    """The library's set-up error in a command line's words."""
    text = str(error)
    if text.startswith("no credentials"):
        return (
            f"no credentials: set {API_CODE_ENV} and {PRIVATE_KEY_ENV} (Amili's login) or "
            f"{API_KEY_ENV}, and {BASE_URL_ENV} for another host; "
            "or pass --sandbox to use an embedded sandbox"
        )
    return text.replace(", or pass api_key= or token_provider=", "")


def console(plain: bool, *, stderr: bool = False) -> Console:
    """A rich console; ``plain`` means no colours and wide lines (for files and pipes)."""
    from rich.console import Console

    if plain:
        return Console(stderr=stderr, highlight=False, no_color=True, width=200)
    return Console(stderr=stderr, highlight=False)


def masked(id_number: str | None) -> str:
    """A personal or organisation number for display: never the last four digits."""
    return "" if not id_number else mask_id_number(id_number)


#: Demo customers for ``status --sandbox`` and ``watch --sandbox`` without ids.
_DEMO = (
    ("ACME Inc.", "5560269986", True, Decimal("2000")),
    ("Anna Andersson", "8112189876", False, Decimal("1250.50")),
    ("Bo Berg", "7503150000", False, Decimal("640")),
)


async def register_demo_cases(connection: Connection) -> list[str]:
    """Register a few demo debts on the embedded sandbox; return their case ids."""
    client = connection.client
    case_ids: list[str] = []
    for number, (name, id_number, is_company, amount) in enumerate(_DEMO, start=1):
        registration = await client.case_registrations.create(
            {
                "account": connection.account_id or "",  # both set: this runs on the sandbox
                "creditor": connection.creditor_id or "",
                "first_action": "debt_collection",
                "currency": "SEK",
                "customer": {
                    "name": name,
                    "id_number": id_number,
                    "is_company": is_company,
                    "address": {
                        "address_line_1": "Storgatan 42",
                        "zip_code": "12345",
                        "city": "Stockholm",
                        "country": "SE",
                    },
                },
                "debts": [
                    {
                        "invoice_number": f"DEMO-{number:03d}",
                        "debt_description": "Services",
                        "invoice_date": client.clock.now(),
                        "capital_to_claim": amount,
                        "invoice_due_days_after_invoice_date": 30,
                    }
                ],
            }
        )
        case_ids.extend(registration.cases)
    return case_ids
