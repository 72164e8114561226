"""``amili-async invoices register FILE``: register every invoice of a CSV or JSONL file.

Full service: Amili sends each invoice and, if it goes unpaid, reminds and
collects. Each invoice opens one case; the results file names it.

The file
--------
A CSV file (with a header row) or a JSONL file has **one invoice per row**,
with one article:

===========================  ========  ================================================
column                       required  meaning
===========================  ========  ================================================
``invoice_number``           yes       unique per creditor
``invoice_date``             yes       ``2025-07-07`` or ``Mon, 07 Jul 2025 00:00:00 GMT``
``due_date``                 no        the due date; default ``invoice_date`` + ``due_days``
``due_days``                 no        default 30
``debt_description``         yes       what the invoice is for
``customer_name``            yes       the person's or company's name
``customer_id_number``       yes*      personal or organisation number (*not for foreign)
``customer_type``            no        ``person``, ``company`` or ``foreign``; default
                                       inferred from the number
``address_line_1``           yes       street address
``zip_code``, ``city``       yes       postal code and city
``country``                  no        ISO 3166 alpha-2, default ``SE``
``customer_number``          no        your customer number
``mobile_number``, ``email`` no        E.164 phone number, e-mail address
``article_description``      yes       the article or service
``unit_price``               yes       price per unit without VAT, e.g. ``500``
``number_of_units``          no        default 1
``unit_vat_percent``         no        ``25%`` (default), ``12%``, ``6%`` or ``0%``
``total_price_excluding_vat``  no      default ``unit_price`` × ``number_of_units``
``reference_number``, ``payout_reference``, ``invoice_headline``, ``invoice_body_text``,
``your_contact``, ``your_reference``, ``our_reference``, ``currency``: optional.
``account``, ``creditor``: ids; default ``--account``/``--creditor`` (or the
embedded sandbox's with ``--sandbox``).
===========================  ========  ================================================

An invoice of several articles is one JSONL line shaped like the API's body:
a ``customer`` object and a ``matrix`` list of rows (``article_description``,
``unit_price``, ``number_of_units``, ``total_price_excluding_vat``,
``unit_vat_percent``). ``--journal``, ``--results``, ``--retry-failed`` and
the exit status work as for ``register``; an invoice number is registered
once per creditor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._columns import invoice
from ._common import SubParsers
from ._connect import connect
from ._jobs import ActionCommand, add_job_arguments, row_source, run, run_job
from ._report import Wording

__all__ = ["register"]

_INVOICES = ActionCommand(
    service=lambda client: client.invoice_registrations,
    body=invoice,
    verb="invoicing",
    wording=Wording("Invoice summary", "invoices", "already registered"),
)


def register(subparsers: SubParsers) -> None:
    """Add the ``invoices`` command and its ``register`` subcommand."""
    group = subparsers.add_parser(
        "invoices",
        help="register invoices Amili sends (full service)",
        description="Invoices Amili sends and follows up (full service).",
    )
    commands = group.add_subparsers(title="commands", metavar="COMMAND", dest="invoices_command")
    parser = commands.add_parser(
        "register",
        help="register every invoice of a CSV or JSONL file, resumably",
        description=(
            "Register the invoices of a CSV or JSONL file (one invoice per row; a JSONL line "
            "may be a whole invoice body with several rows). Columns: see "
            "`pydoc amili_async.cli._invoices`."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a .csv or .jsonl file")
    add_job_arguments(parser)
    parser.set_defaults(handler=lambda args: run(_register, args))


async def _register(args: argparse.Namespace) -> int:
    read, total = row_source(args.file, args.format)
    async with connect(args, concurrency=args.concurrency) as connection:
        return await run_job(args, _INVOICES, connection, read(), total)
