"""The multipart form of ``POST /media--upload/{id}``: its fields, domains and file types."""

from __future__ import annotations

import attrs
from starlette.datastructures import FormData, UploadFile

from ._errors import ApiError

__all__ = [
    "ALLOWED_UPLOAD_TYPES",
    "MAX_UPLOAD_BYTES",
    "UPLOAD_DOMAINS",
    "Upload",
    "read_upload",
    "upload_target",
]

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
ALLOWED_UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/gif", "image/bmp")
#: The document fields a file may be attached to, by domain.
UPLOAD_DOMAINS = {"cases": ("original_invoice",)}


@attrs.frozen
class Upload:
    """The file of an upload form."""

    filename: str
    content_type: str
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")


def upload_target(form: FormData) -> str:
    """The form's ``dotted_path``, once it and ``domain`` are checked (else a 400 ``ApiError``)."""
    domain = form.get("domain")
    if not isinstance(domain, str) or domain not in UPLOAD_DOMAINS:
        raise ApiError(
            400,
            f"Domain {domain if isinstance(domain, str) else ''!r} is not valid; "
            f"valid domains: {', '.join(UPLOAD_DOMAINS)}",
        )
    dotted_path = form.get("dotted_path")
    if dotted_path is None:
        raise ApiError(400, "Field 'dotted_path' is missing from the form data")
    valid_paths = UPLOAD_DOMAINS[domain]
    if not isinstance(dotted_path, str) or dotted_path not in valid_paths:
        shown = dotted_path if isinstance(dotted_path, str) else "<file>"
        raise ApiError(
            400,
            f"Dotted path {shown!r} is not valid for domain {domain!r}; "
            f"valid: {', '.join(valid_paths)}",
        )
    return dotted_path


async def read_upload(form: FormData, dotted_path: str) -> Upload:
    """The form's ``file`` (named ``dotted_path`` when it has no name), or a 400 ``ApiError``."""
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ApiError(400, "Field 'file' is missing from the form data (send it as a file)")
    content_type = (file.content_type or "application/octet-stream").split(";")[0]
    content_type = content_type.strip().lower()
    if content_type not in ALLOWED_UPLOAD_TYPES:
        raise ApiError(
            400,
            f"Content type not allowed: expected one of {', '.join(ALLOWED_UPLOAD_TYPES)}, "
            f"got {content_type}",
        )
    data = await file.read()
    return Upload(file.filename or dotted_path, content_type, data)
