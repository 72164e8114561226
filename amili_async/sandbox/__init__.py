"""An offline, in-memory Amili API for tests, demos and local development.

Run it in process (no socket)::

    sandbox = Sandbox()
    async with httpx.AsyncClient(transport=sandbox.transport(),
                                 base_url="https://api-sandbox.amili.se") as http:
        await http.get("/cases", headers={"X-API-Key": sandbox.api_key})

or serve it on a loopback port with :class:`SandboxServer` (or
``amili-async sandbox serve``). Move its clock with :meth:`Sandbox.advance`,
inject faults through :attr:`Sandbox.faults`, and look inside with
:meth:`Sandbox.cases`, :meth:`Sandbox.payments` and :attr:`Sandbox.request_log`
(plain JSON-ready dicts, typed as :class:`CaseDocument`, :class:`PaymentDocument`, ...).

In pytest, the ``amili_sandbox`` fixture (installed with the package) yields a
:class:`SandboxFixture`: a fresh sandbox and an ``AmiliClient`` wired to it.

It answers the way an Eve 2.3 server configured like Amili does (checked
against one in ``tests/contract``); Eve's settings that Amili may have changed
are keywords of :class:`Sandbox` (see :class:`ApiSettings`): ``hateoas``
(off), ``optimize_pagination_for_speed`` (off), ``max_results_cap`` (100) and
``rate_limit`` (none).

Amili's login, ``GET|POST /authenticates/api-code``, works for API codes
registered with :meth:`Sandbox.add_api_user` (a public key for the JWT login,
static IPs for the POST one).

Sandbox-only HTTP endpoints (authenticated with the static API key):
``POST /_sandbox/tokens``, ``GET /_sandbox/clock``,
``POST /_sandbox/clock/advance``, ``GET|POST|DELETE /_sandbox/faults``,
``DELETE /_sandbox/faults/{id}``, ``POST /_sandbox/reset``.
"""

from ._accounts import SandboxAccount, SandboxCreditor
from ._api_users import SandboxApiUser
from ._documents import (
    Amount,
    CaseDocument,
    ClosedDocument,
    PaymentDocument,
    RegistrationDocument,
    ServiceDocument,
    StateChangeDocument,
    StatusChangeDocument,
    TransactionDocument,
)
from ._faults import FaultInjector, FaultKind, FaultRule
from ._fixture import SandboxFixture
from ._realtime import RealtimeClock
from ._sandbox import Sandbox
from ._server import SandboxServer, check_loopback, serve
from ._settings import ApiSettings
from ._state import LoggedRequest
from ._transport import SandboxTransport

__all__ = [
    "Amount",
    "ApiSettings",
    "CaseDocument",
    "ClosedDocument",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "LoggedRequest",
    "PaymentDocument",
    "RealtimeClock",
    "RegistrationDocument",
    "Sandbox",
    "SandboxAccount",
    "SandboxApiUser",
    "SandboxCreditor",
    "SandboxFixture",
    "SandboxServer",
    "SandboxTransport",
    "ServiceDocument",
    "StateChangeDocument",
    "StatusChangeDocument",
    "TransactionDocument",
    "check_loopback",
    "serve",
]
