"""``amili-async demo``: the five documented steps against an embedded, in-process sandbox.

Register a debt, upload its invoice, let two days pass, pay the capital, see
the case closed. No credentials, no network: the client talks to a
:class:`~amili_async.sandbox.Sandbox` through its in-process transport.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING

import anyio

from amili_async import AmiliClient

from ._common import Output, SubParsers
from ._format import money

if TYPE_CHECKING:
    from amili_async import Case
    from amili_async.sandbox import Sandbox

__all__ = ["invoice_pdf", "register", "run_demo"]

INVOICE_NUMBER = "INV-2025-003"
#: The debt's capital, and what the customer pays.
AMOUNT = Decimal("2000.0")


def register(subparsers: SubParsers) -> None:
    """Add the ``demo`` command."""
    demo = subparsers.add_parser(
        "demo",
        help="register, upload, collect, pay and close a case, offline",
        description=(
            "The five documented steps against an embedded, in-process sandbox: register "
            "a debt, upload its invoice, let two days pass, pay the capital, see the case "
            "closed. No credentials, no network."
        ),
    )
    demo.add_argument("--plain", action="store_true", help="plain text output (no colours)")
    demo.add_argument(
        "--backend", choices=["asyncio", "trio"], default="asyncio", help="async library to run on"
    )
    demo.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    out = Output(plain=args.plain)
    anyio.run(run_demo, out, backend=args.backend)
    return 0


def invoice_pdf(invoice_number: str, amount: str) -> bytes:
    """A small, valid one-page PDF invoice (for the upload step)."""
    text = f"Invoice {invoice_number} - amount due {amount} SEK"
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _history(case: Case) -> str:
    return " -> ".join(
        f"{entry.status} ({entry.status_date:%d %b %H:%M})" for entry in case.status_history
    )


async def run_demo(out: Output) -> None:
    """Run the five steps, printing each step's key facts."""
    from amili_async.sandbox import Sandbox  # the sandbox extra, needed only here

    sandbox = Sandbox()
    client = AmiliClient(
        api_key=sandbox.api_key,
        base_url="https://api-sandbox.amili.se",
        transport=sandbox.transport(),
        clock=sandbox.clock,
    )
    async with client:
        case_id = await _register_debt(client, sandbox, out)
        await _upload_invoice(client, case_id, out)
        sandbox.advance(days=2)
        await _show_collection(client, case_id, out)
        await _register_payment(client, sandbox, case_id, out)
        await _show_closed(client, case_id, out)
    out.line("Done: registered, uploaded, collected, paid and closed, all offline.")


async def _register_debt(client: AmiliClient, sandbox: Sandbox, out: Output) -> str:
    """Step 1; returns the case id."""
    out.title("1. Register a debt (POST /case--registrations)")
    registration = await client.case_registrations.create(
        {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "first_action": "debt_collection",
            "currency": "SEK",
            "customer": {
                "name": "ACME Inc.",
                "id_number": "5560269986",
                "is_company": True,
                "address": {
                    "address_line_1": "Storgatan 42",
                    "zip_code": "12345",
                    "city": "Stockholm",
                    "country": "SE",
                },
            },
            "debts": [
                {
                    "invoice_number": INVOICE_NUMBER,
                    "debt_description": "Services",
                    "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
                    "capital_to_claim": AMOUNT,
                    "invoice_due_days_after_invoice_date": 31,
                }
            ],
        }
    )
    case_id = registration.cases[0]
    out.facts(
        [
            ("Registration", registration.id),
            ("Case", case_id),
            ("OCR number", registration.ocr_numbers_ocr[0]),
        ]
    )
    return case_id


async def _upload_invoice(client: AmiliClient, case_id: str, out: Output) -> None:
    """Step 2."""
    out.title("2. Upload the original invoice (POST /media--upload/{case})")
    pdf = invoice_pdf(INVOICE_NUMBER, money(AMOUNT))
    upload = await client.media.upload(
        case_id, pdf, filename="original_invoice.pdf", content_type="application/pdf"
    )
    out.facts(
        [
            ("Uploaded", f"original_invoice.pdf ({len(pdf)} bytes)"),
            ("Signed URL", upload.url.split("?")[0] + "?..."),
        ]
    )


async def _show_collection(client: AmiliClient, case_id: str, out: Output) -> None:
    """Step 3 (once the sandbox's clock has moved on two days)."""
    out.title("3. Two days later: the case is in debt collection (GET /cases/{id})")
    case = await client.cases.get(case_id)
    out.facts(
        [
            ("Status", case.status),
            ("State", case.state),
            ("Status history", _history(case)),
            ("Remaining capital", money(case.total_remaining_capital_amount, case.currency)),
            ("Remaining interest", money(case.total_remaining_interest_amount, case.currency)),
            ("Remaining total", money(case.total_remaining_transaction_amount, case.currency)),
            (
                "Invoice on file",
                case.original_invoice.filename if case.original_invoice else "-",
            ),
        ]
    )


async def _register_payment(
    client: AmiliClient, sandbox: Sandbox, case_id: str, out: Output
) -> None:
    """Step 4."""
    out.title("4. The customer paid the creditor (POST /creditor--payments)")
    payment = await client.creditor_payments.create(
        {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "case": case_id,
            "currency": "SEK",
            "amount": AMOUNT,
            "bank_transaction_date": "Wed, 03 Sep 2025 08:00:00 GMT",
            "creditor_payment_reference": "PAY-REF-001",
            "origin": "creditor_system",
        }
    )
    out.facts(
        [
            ("Payment", payment.id),
            ("Amount", money(AMOUNT, "SEK")),
            ("Payment status", payment.payment_status),
        ]
    )


async def _show_closed(client: AmiliClient, case_id: str, out: Output) -> None:
    """Step 5."""
    out.title("5. The case is closed (GET /cases/{id})")
    case = await client.cases.get(case_id)
    closed = case.closed
    out.facts(
        [
            ("Status", case.status),
            ("Close reason", closed.reason if closed else "-"),
            ("Closed at", f"{closed.close_date:%a, %d %b %Y %H:%M:%S} GMT" if closed else "-"),
            ("Remaining total", money(case.total_remaining_transaction_amount, case.currency)),
            ("Transactions", len(case.transactions)),
        ]
    )
