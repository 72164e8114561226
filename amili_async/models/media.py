"""Media uploads: the original invoice file of a case."""

from __future__ import annotations

from attrs import frozen

from ._base import api_field

__all__ = ["MediaUpload"]


@frozen
class MediaUpload:
    """What ``POST /media--upload/{id}`` answers: a temporary signed ``url`` (about an hour)."""

    url: str
    api_status: str | None = api_field("_status", default=None)
