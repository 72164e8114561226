"""Media uploads: the original invoice file of a case."""

from __future__ import annotations

from attrs import frozen

from ._base import api_field

__all__ = ["MediaUpload"]


@frozen
class MediaUpload:
    """What ``POST /media--upload/{id}`` answers: a temporary signed ``url`` (about an hour).

    ``url`` is required: it is the whole of the answer in every documented
    form, so an answer without one is a
    :class:`~amili_async.errors.ResponseValidationError` (whose ``landed``
    says the upload itself went through). ``api_status`` is ``None`` when the
    answer leaves it out, as the production docs' example does.
    """

    url: str
    api_status: str | None = api_field("_status", default=None)
