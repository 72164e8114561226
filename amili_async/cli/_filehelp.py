"""The files the commands read, described once: the columns each knows, and the ``--help`` text.

Each command that reads a file has a :class:`FileFormat`: its columns (name,
whether required, meaning) and what else a user must know. The same object
tells the CSV reader which header names are known (a header that names none
of them is refused) and writes the plain-text help that ``--help`` prints.
"""

from __future__ import annotations

import itertools
import textwrap

from attrs import frozen

__all__ = [
    "CANCEL_FILE",
    "CREDIT_FILE",
    "INVOICE_FILE",
    "REGISTER_FILE",
    "FileColumn",
    "FileFormat",
]

#: How wide the column table of ``--help`` is drawn.
_WIDTH = 78
#: The widest the column-name column gets (longer names wrap at their commas).
_NAME_WIDTH = 26


@frozen
class FileColumn:
    """One column (or a few that go together, ``"zip_code, city"``) of a file."""

    name: str
    required: str
    meaning: str

    @property
    def names(self) -> tuple[str, ...]:
        """The column names this entry describes."""
        return tuple(name.strip() for name in self.name.split(","))


@frozen
class FileFormat:
    """A command's file: its columns, and paragraphs before and after their table."""

    columns: tuple[FileColumn, ...]
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every known column name, in the table's order."""
        return tuple(name for column in self.columns for name in column.names)

    def help(self) -> str:
        """The ``--help`` text: paragraphs, then the columns as an indented table."""
        return "\n\n".join([*self.before, self._table(), *self.after])

    def _table(self) -> str:
        name_width = min(_NAME_WIDTH, max(len(column.name) for column in self.columns)) + 2
        required_width = max(len("required"), *(len(c.required) for c in self.columns)) + 2
        meaning_width = _WIDTH - 2 - name_width - required_width
        lines = ["  " + "column".ljust(name_width) + "required".ljust(required_width) + "meaning"]
        for column in self.columns:
            names = textwrap.wrap(column.name, name_width - 2)
            meaning = textwrap.wrap(column.meaning, meaning_width)
            required = [column.required]
            for row in itertools.zip_longest(names, required, meaning, fillvalue=""):
                name, needed, text = row
                line = "  " + name.ljust(name_width) + needed.ljust(required_width) + text
                lines.append(line.rstrip())
        return "\n".join(lines)


_ENCODING = (
    "The file: CSV (.csv) or JSON lines (.jsonl, .ndjson; or --format). A CSV file's "
    "first line is the header naming the columns below, in any order; unknown columns "
    "are ignored and empty fields count as missing. Fields are separated by ',' or ';' "
    "(Swedish Excel's default) or a tab: the header tells which. A decimal comma "
    "('1250,50') is fine. The file must be UTF-8 (a byte-order mark is fine; in Excel "
    "save as 'CSV UTF-8'); a file in another encoding, or an Excel workbook, is refused "
    "whole before anything is sent. A JSONL file has one JSON object per line with the "
    "same keys; values may be JSON numbers and booleans."
)
_SCOPE = FileColumn(
    "account, creditor",
    "no",
    "ids; default --account/--creditor (the embedded sandbox's with --sandbox)",
)
_CASE = FileColumn("case", "one of", "the case id")
_INVOICE_OF_CASE = FileColumn(
    "invoice_number", "one of", "the creditor's invoice number of the case (not with case)"
)
_DATE = "2025-07-07 or Mon, 07 Jul 2025 00:00:00 GMT"
_NAME = FileColumn("customer_name", "yes", "the person's or company's name")
_STREET = FileColumn("address_line_1", "yes", "street address")
_ZIP_CITY = FileColumn("zip_code, city", "yes", "postal code and city")
_COUNTRY = FileColumn("country", "no", "ISO 3166 alpha-2, default SE")
_INVOICE_NUMBER = FileColumn("invoice_number", "yes", "unique per creditor")
_INVOICE_DATE = FileColumn("invoice_date", "yes", _DATE)
_CURRENCY = FileColumn("currency", "no", "default SEK")

#: ``register FILE``.
REGISTER_FILE = FileFormat(
    columns=(
        FileColumn(
            "customer_id_number",
            "yes",
            "Swedish personal (10 or 12 digits) or organisation number (10 digits)",
        ),
        _NAME,
        FileColumn(
            "is_company",
            "no",
            "true/false (also yes/no, 1/0); default: inferred from the number "
            "(organisation numbers have 20 or more in digits 3-4)",
        ),
        _STREET,
        _ZIP_CITY,
        _COUNTRY,
        FileColumn("mobile_number", "no", "E.164, e.g. +46709876543"),
        FileColumn("email", "no", "e-mail address"),
        _INVOICE_NUMBER,
        FileColumn("debt_description", "yes", "what the debt is for"),
        _INVOICE_DATE,
        FileColumn("capital_to_claim", "yes", "amount, e.g. 2000 or 1250.50 (or 1250,50)"),
        FileColumn("due_days", "no", "days from the invoice date to its due date, default 30"),
        FileColumn("invoice_fee", "no", "invoice fee already included in the capital"),
        FileColumn("first_action", "no", "debt_collection (default) or reminder"),
        _CURRENCY,
        _SCOPE,
    ),
    before=(
        _ENCODING,
        "One row per debt. Rows with the same customer_id_number (for the same account "
        "and creditor) become one registration: one customer, several debts, each debt "
        "its own case. The customer's columns (name, address, contact, first_action, "
        "currency) are read from their first row; their rows need not be next to each "
        "other.",
    ),
    after=(
        "For example:",
        "  customer_id_number;customer_name;address_line_1;zip_code;city;"
        "invoice_number;debt_description;invoice_date;capital_to_claim\n"
        "  5560269986;ACME Inc.;Storgatan 42;12345;Stockholm;INV-1001;Services;"
        "2025-07-07;2000,00",
        "A row that cannot be read, or a registration the SDK or the API refuses, is "
        "reported with its line number and reason and does not stop the job; when one row "
        "of a customer is invalid, none of that customer's debts are sent.",
    ),
)

#: ``credit --file FILE``.
CREDIT_FILE = FileFormat(
    columns=(
        _CASE,
        _INVOICE_OF_CASE,
        FileColumn("amount", "yes", "amount to credit, e.g. 500 or 1250,50"),
        FileColumn(
            "creditor_reference",
            "yes",
            "your unique reference of the crediting: how a lost answer or a rerun finds "
            "it, so it is never credited twice",
        ),
        FileColumn("credit_invoice", "no", "your credit invoice's id"),
        FileColumn("client_registration_date", "no", f"{_DATE} (default: now)"),
        _CURRENCY,
        _SCOPE,
    ),
    before=(_ENCODING, "One crediting per row; a row names its case by case or invoice_number."),
    after=(
        "A crediting of more than the case still owes is recorded with a warning "
        "(settled_amount in --results says what was credited).",
    ),
)

#: ``cancel --file FILE``.
CANCEL_FILE = FileFormat(
    columns=(_CASE, _INVOICE_OF_CASE, FileColumn("creditor", "no", _SCOPE.meaning)),
    before=(_ENCODING, "One cancellation per row; a row names its case by case or invoice_number."),
    after=("Cancelling a case that has closed already is a harmless warning.",),
)

#: ``invoices register FILE``.
INVOICE_FILE = FileFormat(
    columns=(
        _INVOICE_NUMBER,
        _INVOICE_DATE,
        FileColumn("due_date", "no", "the due date; default invoice_date + due_days"),
        FileColumn("due_days", "no", "default 30"),
        FileColumn("debt_description", "yes", "what the invoice is for"),
        _NAME,
        FileColumn("customer_id_number", "yes", "personal or organisation number (not foreign)"),
        FileColumn(
            "customer_type",
            "no",
            "person, company or foreign; default inferred from the number",
        ),
        _STREET,
        _ZIP_CITY,
        _COUNTRY,
        FileColumn("customer_number", "no", "your customer number"),
        FileColumn("mobile_number, email", "no", "E.164 phone number, e-mail address"),
        FileColumn("article_description", "yes", "the article or service"),
        FileColumn("unit_price", "yes", "price per unit without VAT, e.g. 500"),
        FileColumn("number_of_units", "no", "default 1"),
        FileColumn("unit_vat_percent", "no", "25% (default), 12%, 6% or 0%"),
        FileColumn("total_price_excluding_vat", "no", "default unit_price times number_of_units"),
        FileColumn(
            "reference_number, payout_reference, invoice_headline, invoice_body_text, "
            "your_contact, your_reference, our_reference",
            "no",
            "passed on as they are",
        ),
        _CURRENCY,
        _SCOPE,
    ),
    before=(
        _ENCODING,
        "One invoice per row, with one article. Amili sends each invoice and, if it goes "
        "unpaid, reminds and collects; each invoice opens one case.",
    ),
    after=(
        "An invoice of several articles is one JSONL line shaped like the API's body: a "
        "customer object and a matrix list of rows (article_description, unit_price, "
        "number_of_units, total_price_excluding_vat, unit_vat_percent).",
    ),
)
