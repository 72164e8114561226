"""Uploaded files: where they are kept, and the signed links that serve them.

A file is kept under ``{case id}-{file id}`` (:func:`file_key`), which is
also the last part of its signed link ``/_sandbox/files/{key}?Expires=..&Signature=..``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlencode

import attrs

from ._errors import ApiError
from ._lifecycle import CaseRecord

__all__ = ["FILES_PATH", "SIGNED_URL_LIFETIME", "FileRecord", "Files", "file_key"]

#: Where signed file links point (public: the signature is the credential).
FILES_PATH = "/_sandbox/files/"
#: Seconds (of sandbox time) a signed link stays valid.
SIGNED_URL_LIFETIME = 3600


def file_key(case_id: str, file_id: str) -> str:
    """The name a file is kept and linked under."""
    return f"{case_id}-{file_id}"


@attrs.frozen
class FileRecord:
    """An uploaded file."""

    id: str
    case_id: str
    filename: str
    content_type: str
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")

    @property
    def key(self) -> str:
        """The name the file is kept and linked under (see :func:`file_key`)."""
        return file_key(self.case_id, self.id)


class Files:
    """Every uploaded file, and the key that signs links to them; the caller holds the lock."""

    def __init__(self, signing_key: bytes) -> None:
        self._signing_key = signing_key
        self._files: dict[str, FileRecord] = {}

    def attach(
        self,
        record: CaseRecord,
        file_id: str,
        filename: str,
        content_type: str,
        data: bytes,
        now: datetime,
    ) -> FileRecord:
        """Keep an uploaded original invoice and show it on the case."""
        file = FileRecord(file_id, record.id, filename, content_type, data)
        record.doc["original_invoice"] = {
            "id": file.id,
            "filename": filename,
            "content_type": content_type,
            "size": len(data),
        }
        record.touch(now)
        self._files[file.key] = file
        return file

    def of_case(self, record: CaseRecord) -> FileRecord | None:
        """The invoice last uploaded for a case, if any."""
        invoice = record.doc.get("original_invoice")
        if invoice is None:
            return None
        return self._files[file_key(record.id, invoice["id"])]

    def link(self, file: FileRecord, base_url: str, now: datetime) -> str:
        """A signed link to ``file`` under ``base_url``, valid for :data:`SIGNED_URL_LIFETIME`."""
        expires = int(now.timestamp()) + SIGNED_URL_LIFETIME
        query = urlencode({"Expires": expires, "Signature": self._sign(file.key, expires)})
        return f"{base_url.rstrip('/')}{FILES_PATH}{file.key}?{query}"

    def signed(self, key: str, expires: str, signature: str, now: datetime) -> FileRecord:
        """The file behind a signed link, or ``ApiError`` 403 / 404."""
        try:
            expires_at = int(expires)
        except ValueError:
            raise ApiError(403, "Invalid or missing Expires parameter") from None
        if not hmac.compare_digest(self._sign(key, expires_at), signature):
            raise ApiError(403, "The request signature does not match")
        if now.timestamp() > expires_at:
            raise ApiError(403, "The signed link has expired; upload again for a fresh link")
        file = self._files.get(key)
        if file is None:
            raise ApiError(404)
        return file

    def clear(self) -> None:
        """Forget every file (the signing key stays)."""
        self._files.clear()

    def _sign(self, key: str, expires: int) -> str:
        mac = hmac.new(self._signing_key, f"{key}\n{expires}".encode(), hashlib.sha256)
        return base64.b64encode(mac.digest()).decode()
