"""Creditor cancellations: the creditor stops all further processing of a case or invoice."""

from __future__ import annotations

from attrs import field, frozen

from ._base import EveDocument, Issues, OpenStrEnum, api_field, as_origin
from .creditor_payment import BusinessOutcome, BusinessStatus

__all__ = ["CancellationStatus", "CreditorCancellation", "NewCreditorCancellation"]


class CancellationStatus(OpenStrEnum):
    """How the API processed a cancellation (``_cancellation_status``; ``completed`` is seen)."""

    COMPLETED = "completed"


@frozen
class NewCreditorCancellation:
    """The body of ``POST /creditor--cancellations``.

    Name the case either by ``case`` (its id) or by ``invoice_number`` (with
    ``creditor``), not both. The documented body has no ``account`` (the API
    takes it from the creditor); give one only if your API asks for it.

    Cancelling is safe to repeat: a second cancellation of a cancelled case
    changes nothing (the API answers ``warning``). That is also how the SDK
    settles a lost answer: it looks for a cancellation of the same case
    before sending again.
    """

    creditor: str
    case: str | None = None
    invoice_number: str | None = None
    account: str | None = None
    origin: str = field(default="creditor_system", converter=as_origin)

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("creditor", self.creditor)
        issues.case_or_invoice_number(self.case, self.invoice_number)
        issues.optional_text("account", self.account)
        issues.require_origin(self.origin)
        issues.check_strings(self)
        issues.raise_if_any("NewCreditorCancellation")


@frozen
class CreditorCancellation(EveDocument, BusinessOutcome):
    """A stored cancellation: what ``POST`` answers and ``GET`` reads.

    ``status`` is ``completed`` or ``warning`` only: the docs say a
    cancellation has no ``error`` status. A ``warning`` (with the reason in
    ``status_reason_locale``) means the cancellation was recorded but changed
    nothing, typically because the case had already closed (paid, credited
    or cancelled before). It is not raised, because the cancellation exists;
    ``create`` logs a warning on the ``amili_async`` logger. What to do:
    read the case back and check why it closed; there is nothing to re-send.

    Only ``id`` is required; any other field the answer leaves out is ``None``.
    Unknown fields are ignored.
    """

    api_status: str | None = api_field("_status", default=None)
    cancellation_status: CancellationStatus | None = api_field("_cancellation_status", default=None)
    status: BusinessStatus | None = None
    status_reason_locale: str | None = None
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    account: str | None = None
    creditor: str | None = None
    case: str | None = None
    invoice_number: str | None = None
    origin: str | None = None
