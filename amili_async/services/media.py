"""``/media--upload``: attach the original invoice file to a case."""

from __future__ import annotations

import io
import mimetypes
import os
from pathlib import Path
from typing import IO, BinaryIO

from .._pipeline import FilePart, RequestSpec
from ..errors import RequestValidationError
from ..models.media import MediaUpload
from ._base import Resource, TimeoutArg

__all__ = ["Media"]

#: What the API accepts by default.
ALLOWED_CONTENT_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/gif", "image/bmp"}
)

_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)

FileInput = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


def _sniff(head: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


class Media(Resource[MediaUpload]):
    """Upload files to a resource (by default a case's original invoice)."""

    path = "/media--upload"
    model = MediaUpload

    async def upload(
        self,
        reference_id: str,
        file: FileInput,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        domain: str = "cases",
        dotted_path: str = "original_invoice",
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> MediaUpload:
        """Upload ``file`` to the resource ``reference_id`` (a case id by default).

        ``file`` is a path, the bytes themselves, or a binary file object; it
        is streamed, not read into memory. ``filename`` defaults to the path's
        name, and ``content_type`` to what the name or the first bytes say.
        The upload replaces the stored file, so it is retried like a read when
        the file can be read again (a path, bytes or a seekable file).
        """
        issues: dict[str, str] = {}
        if not isinstance(reference_id, str) or not reference_id.strip() or "/" in reference_id:
            issues["reference_id"] = "must be a resource id"
        for name, value in (("domain", domain), ("dotted_path", dotted_path)):
            if not isinstance(value, str) or not value.strip():
                issues[name] = "must not be empty"
        part, replayable = self._file_part(file, filename, content_type, issues)
        if issues or part is None:
            raise RequestValidationError(issues, model="media upload")
        spec = RequestSpec(
            "POST",
            f"{self.path}/{reference_id}",
            form={"domain": domain, "dotted_path": dotted_path},
            files={"file": part},
            replay_safe=replayable,
        )
        upload, _ = await self._parse_answer(spec, await self._send(spec, timeout, deadline))
        return upload

    def _file_part(
        self,
        file: FileInput,
        filename: str | None,
        content_type: str | None,
        issues: dict[str, str],
    ) -> tuple[FilePart | None, bool]:
        opener: object
        if isinstance(file, str | os.PathLike):
            path = Path(file)
            if not path.is_file():
                issues["file"] = f"no such file: {path}"
                return None, False
            if path.stat().st_size == 0:
                issues["file"] = f"file is empty: {path}"
                return None, False
            filename = filename or path.name
            with path.open("rb") as handle:
                head = handle.read(16)

            def open_path() -> IO[bytes]:
                return path.open("rb")

            opener, replayable, owned = open_path, True, True
        elif isinstance(file, bytes | bytearray | memoryview):
            data = bytes(file)
            if not data:
                issues["file"] = "file is empty"
                return None, False
            head = data[:16]

            def open_bytes() -> IO[bytes]:
                return io.BytesIO(data)

            opener, replayable, owned = open_bytes, True, True
        elif hasattr(file, "read"):
            filename = filename or Path(str(getattr(file, "name", "") or "upload")).name
            replayable = bool(getattr(file, "seekable", lambda: False)())
            start = file.tell() if replayable else 0
            head = b""
            if replayable:
                head = file.read(16)
                file.seek(start)

            def open_file() -> IO[bytes]:
                if replayable:
                    file.seek(start)
                return file

            opener = open_file
            owned = False
        else:
            issues["file"] = f"expected a path, bytes or a binary file, got {type(file).__name__}"
            return None, False
        filename = filename or "upload"
        if content_type is None:
            content_type = mimetypes.guess_type(filename)[0] or _sniff(head)
        if content_type is None:
            issues["content_type"] = (
                f"cannot tell the type of {filename!r}; pass content_type= (the API accepts "
                + ", ".join(sorted(ALLOWED_CONTENT_TYPES))
                + ")"
            )
            return None, False
        return FilePart(filename, content_type, opener, owned=owned), replayable
