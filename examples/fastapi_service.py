"""A FastAPI service that hands unpaid invoices to Amili and reports on their cases.

One ``AmiliClient`` is made when the app starts (in its lifespan), shared by
every request (it is safe for any number of concurrent tasks: they share its
connection pool, rate limit and token), and closed when the app shuts down.

* ``POST /cases`` takes an invoice and registers it as a case.
* ``GET /cases/{case_id}`` tells where a case stands.

Where the client points:

* ``AMILI_SANDBOX=1``: an offline, in-memory sandbox, in process.
* otherwise the real API: ``AMILI_API_KEY`` (required), ``AMILI_BASE_URL``
  (default Amili's sandbox host), ``AMILI_ACCOUNT`` and ``AMILI_CREDITOR``
  (the ids your cases are registered under).

Run it::

    python examples/fastapi_service.py          # a demo: a few requests in process, offline
    AMILI_SANDBOX=1 uvicorn fastapi_service:app --app-dir examples   # serve it

Needs ``fastapi`` and ``amili-async[sandbox]`` (``pip install -e '.[examples]'``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

import anyio
import httpx
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from amili_async import DEFAULT_BASE_URL, AmiliClient, NewCaseRegistrationDict, errors
from amili_async.sandbox import Sandbox

# --- the client, made once per app ----------------------------------------------------


@dataclass(frozen=True)
class Amili:
    """The client and the ids our cases are registered under."""

    client: AmiliClient
    account: str
    creditor: str
    sandbox: Sandbox | None = None  # set in sandbox mode, so a demo can move its clock


def connect() -> Amili:
    """A client on the sandbox (``AMILI_SANDBOX=1``) or on the API named by the environment."""
    if os.environ.get("AMILI_SANDBOX") == "1":
        sandbox = Sandbox()
        client = AmiliClient(
            api_key=sandbox.api_key,
            transport=sandbox.transport(),  # in process: no socket
            clock=sandbox.clock,  # time moves when the sandbox is told to
        )
        return Amili(client, sandbox.account_id, sandbox.creditor_id, sandbox)
    client = AmiliClient(
        api_key=os.environ["AMILI_API_KEY"],
        base_url=os.environ.get("AMILI_BASE_URL", DEFAULT_BASE_URL),
    )
    return Amili(client, os.environ["AMILI_ACCOUNT"], os.environ["AMILI_CREDITOR"])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the client when the app starts; close it (and its connections) on shutdown."""
    amili = connect()
    async with amili.client:
        app.state.amili = amili
        yield
    del app.state.amili


app = FastAPI(title="Invoices to Amili", lifespan=lifespan)


def get_amili(request: Request) -> Amili:
    """The app's :class:`Amili`, typed (``app.state`` itself is untyped)."""
    amili: Amili = request.app.state.amili
    return amili


AmiliDep = Annotated[Amili, Depends(get_amili)]

# --- the API of this service -----------------------------------------------------------


class Invoice(BaseModel):
    """An unpaid invoice, as this service's callers post it."""

    customer_name: str
    customer_id_number: str
    is_company: bool = False
    address_line_1: str
    zip_code: str
    city: str
    country: str = "SE"
    invoice_number: str
    description: str
    invoice_date: date
    amount: Decimal
    due_days: int = 30


class RegisteredCase(BaseModel):
    """What ``POST /cases`` answers."""

    registration_id: str
    case_id: str
    ocr_number: str | None


class CaseStatusOut(BaseModel):
    """What ``GET /cases/{case_id}`` answers."""

    case_id: str
    status: str | None
    remaining: Decimal | None
    currency: str | None
    closed_reason: str | None


@app.post("/cases", status_code=201)
async def register_case(invoice: Invoice, amili: AmiliDep, response: Response) -> RegisteredCase:
    """Register the invoice's debt with Amili (one case); an invoice posted again is found.

    Amili itself would register the same invoice number twice, so the service
    looks it up first and answers 200 with the stored case instead of 201.
    """
    body = registration_body(invoice, amili)
    registration = await amili.client.case_registrations.find(body)
    if registration is not None:
        response.status_code = 200
    else:
        # If the answer is lost on the way back, the SDK looks the registration
        # up before sending it again: one POST here never makes two cases.
        registration = await amili.client.case_registrations.create(body)
    ocr_numbers = registration.ocr_numbers_ocr
    return RegisteredCase(
        registration_id=registration.id,
        case_id=registration.cases[0],
        ocr_number=ocr_numbers[0] if ocr_numbers else None,
    )


def registration_body(invoice: Invoice, amili: Amili) -> NewCaseRegistrationDict:
    """The invoice as a case registration, in the API's JSON shape."""
    return {
        "account": amili.account,
        "creditor": amili.creditor,
        "customer": {
            "name": invoice.customer_name,
            "id_number": invoice.customer_id_number,
            "is_company": invoice.is_company,
            "address": {
                "address_line_1": invoice.address_line_1,
                "zip_code": invoice.zip_code,
                "city": invoice.city,
                "country": invoice.country,
            },
        },
        "debts": [
            {
                "invoice_number": invoice.invoice_number,
                "debt_description": invoice.description,
                # The SDK wants timezone-aware datetimes: the invoice date at midnight UTC.
                "invoice_date": datetime.combine(invoice.invoice_date, time(), UTC),
                "capital_to_claim": invoice.amount,
                "invoice_due_days_after_invoice_date": invoice.due_days,
            }
        ],
    }


@app.get("/cases/{case_id}")
async def case_status(case_id: str, amili: AmiliDep) -> CaseStatusOut:
    """Where the case stands: status, remaining amount, and why it closed if it did."""
    case = await amili.client.cases.get(case_id)
    return CaseStatusOut(
        case_id=case.id,
        status=case.status,  # a StrEnum: its value is the API's string
        remaining=case.total_remaining_transaction_amount,
        currency=case.currency,
        closed_reason=case.closed.reason if case.closed else None,
    )


# --- the SDK's typed errors, as HTTP answers of this service -----------------------------


@app.exception_handler(errors.RequestValidationError)
async def refused_input(request: Request, error: errors.RequestValidationError) -> JSONResponse:
    """The SDK refused the invoice before sending it: the caller's fault, field by field."""
    return JSONResponse({"detail": "invalid invoice", "issues": error.issues}, status_code=422)


@app.exception_handler(errors.UnprocessableEntityError)
async def refused_by_amili(
    request: Request, error: errors.UnprocessableEntityError
) -> JSONResponse:
    """Amili refused the registration (a 422 of its own, e.g. a duplicate invoice number)."""
    return JSONResponse({"detail": error.message, "issues": error.issues}, status_code=422)


@app.exception_handler(errors.NotFoundError)
async def not_found(request: Request, error: errors.NotFoundError) -> JSONResponse:
    """No such case (for the account of our key)."""
    return JSONResponse({"detail": "no such case"}, status_code=404)


@app.exception_handler(errors.AmiliError)
async def amili_failed(request: Request, error: errors.AmiliError) -> JSONResponse:
    """Anything else (Amili down after the SDK's retries, a timeout, ...): a bad gateway."""
    return JSONResponse({"detail": f"Amili: {type(error).__name__}"}, status_code=502)


# --- a demo: the service in process, on the sandbox --------------------------------------

DEMO_INVOICE: dict[str, Any] = {
    "customer_name": "ACME Inc.",
    "customer_id_number": "5560269986",
    "is_company": True,
    "address_line_1": "Storgatan 42",
    "zip_code": "12345",
    "city": "Stockholm",
    "invoice_number": "INV-2025-003",
    "description": "Services",
    "invoice_date": "2025-07-07",
    "amount": "2000.00",
    "due_days": 31,
}


async def main() -> None:
    """Start the app on the sandbox, post invoices, follow a case, then shut down."""
    os.environ["AMILI_SANDBOX"] = "1"
    # What a server does at startup and shutdown; requests then go to the app in process.
    async with (
        lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as http,
    ):
        created = await http.post("/cases", json=DEMO_INVOICE)
        print("POST /cases ->", created.status_code, created.json())
        case_id = created.json()["case_id"]
        print(f"GET /cases/{case_id} ->", (await http.get(f"/cases/{case_id}")).json())

        sandbox = get_sandbox()
        sandbox.advance(hours=2)  # two hours later, on the sandbox's clock
        print("two hours later ->", (await http.get(f"/cases/{case_id}")).json())

        again = await http.post("/cases", json=DEMO_INVOICE)
        print("POST the same invoice again ->", again.status_code, again.json())
        bad = await http.post("/cases", json={**DEMO_INVOICE, "amount": "-5"})
        print("POST a negative amount ->", bad.status_code, bad.json())
        missing = await http.get("/cases/000000000000000000000000")
        print("GET an unknown case ->", missing.status_code, missing.json())
        print(f"registrations stored: {len(sandbox.registrations())}")


def get_sandbox() -> Sandbox:
    """The running app's sandbox (sandbox mode only)."""
    amili: Amili = app.state.amili
    if amili.sandbox is None:
        raise RuntimeError("not in sandbox mode (AMILI_SANDBOX=1)")
    return amili.sandbox


if __name__ == "__main__":
    anyio.run(main)
