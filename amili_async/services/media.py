"""``/media--upload``: attach the original invoice file to a case."""

from __future__ import annotations

import io
import mimetypes
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

from attrs import frozen

from .._pipeline import FilePart, RequestSpec
from .._validation import check_resource_id, check_text, shown
from ..errors import RequestValidationError
from ..models.media import MediaUpload
from ._base import Resource, TimeoutArg

__all__ = ["Media"]

#: What the API accepts by default (the docs: "PDF, JPEG, PNG, GIF, BMP"); the
#: sandbox refuses anything else, as the API's upload error does.
ALLOWED_CONTENT_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/gif", "image/bmp"}
)

#: Other spellings of the accepted types, as some systems name them.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp",
    "image/x-bmp": "image/bmp",
    "application/x-pdf": "application/pdf",
}

_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)

#: The longest file name sent (most file systems stop at 255).
_MAX_FILENAME = 255

_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")

FileInput = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


def _sniff(head: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def _accepted(content_type: str | None) -> str | None:
    """``content_type`` as the API names it when the API accepts it, else ``None``."""
    if content_type is None:
        return None
    base = content_type.split(";")[0].strip().lower()
    base = _ALIASES.get(base, base)
    return base if base in ALLOWED_CONTENT_TYPES else None


def _accepted_list() -> str:
    return ", ".join(sorted(ALLOWED_CONTENT_TYPES))


def _check_name(value: object, *, what: str) -> str | None:
    """A form value or file name: a non-blank string, sendable, with no control character."""
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if not value.strip():
        return "must not be empty"
    if _CONTROL.search(value):
        return f"{what} must not contain control characters (such as a line break)"
    if len(value) > _MAX_FILENAME:
        return f"must be at most {_MAX_FILENAME} characters"
    return check_text(value)


class _RefusedFileError(Exception):
    """The file cannot be uploaded; the message says why."""


@frozen
class _Source:
    """Where the file's bytes come from, and what is known before sending."""

    open: Callable[[], IO[bytes]]
    replayable: bool
    owned: bool
    head: bytes
    name: str | None


def _from_path(file: str | os.PathLike[str]) -> _Source:
    try:
        path = Path(file)
        if not path.is_file():
            raise _RefusedFileError(f"no such file: {path}")
        if path.stat().st_size == 0:
            raise _RefusedFileError(f"file is empty: {path}")
        with path.open("rb") as handle:
            head = handle.read(16)
    except (OSError, TypeError, ValueError) as error:
        raise _RefusedFileError(f"cannot read {shown(file)}: {error}") from None

    def open_path() -> IO[bytes]:
        return path.open("rb")

    return _Source(open_path, replayable=True, owned=True, head=head, name=path.name)


def _from_bytes(file: bytes | bytearray | memoryview) -> _Source:
    data = bytes(file)
    if not data:
        raise _RefusedFileError("file is empty")

    def open_bytes() -> IO[bytes]:
        return io.BytesIO(data)

    return _Source(open_bytes, replayable=True, owned=True, head=data[:16], name=None)


def _from_file(file: Any) -> _Source:
    """A caller's open file: binary, readable, streamed from where it stands."""
    if getattr(file, "closed", False) is True:
        raise _RefusedFileError("the file is closed")
    mode = getattr(file, "mode", "b")
    if isinstance(file, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        raise _RefusedFileError("the file is open in text mode; open it with 'rb'")
    try:
        if not getattr(file, "readable", lambda: True)():
            raise _RefusedFileError("the file is not open for reading")
        replayable = bool(getattr(file, "seekable", lambda: False)())
        start = file.tell() if replayable else 0
        head = file.read(16) if replayable else b""
        if replayable:
            file.seek(start)
    except (OSError, ValueError) as error:
        raise _RefusedFileError(f"the file cannot be read: {error}") from None
    if not isinstance(head, bytes):
        raise _RefusedFileError("the file gives text, not bytes; open it with 'rb'")

    def open_file() -> IO[bytes]:
        if replayable:
            file.seek(start)
        return file  # type: ignore[no-any-return]

    name = getattr(file, "name", None)
    return _Source(
        open_file,
        replayable=replayable,
        owned=False,
        head=head,
        name=Path(name).name if isinstance(name, str) and name else None,
    )


def _source(file: object) -> _Source:
    if isinstance(file, str | os.PathLike):
        return _from_path(file)
    if isinstance(file, bytes | bytearray | memoryview):
        return _from_bytes(file)
    if hasattr(file, "read"):
        return _from_file(file)
    raise _RefusedFileError(f"expected a path, bytes or a binary file, got {type(file).__name__}")


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

        ``file`` is a path, the bytes themselves, or a binary file object (open
        with ``"rb"``; a text-mode file is refused); it is streamed, not read
        into memory. ``filename`` defaults to the path's name, and
        ``content_type`` to what the name or the first bytes say. Only the
        types the API accepts are sent: PDF, JPEG, PNG, GIF and BMP.
        Everything is checked before anything is sent. The upload replaces the
        stored file, so it is retried like a read when the file can be read
        again (a path, bytes or a seekable file).
        """
        issues: dict[str, str] = {}
        problem = check_resource_id(reference_id)
        if problem is not None:
            issues["reference_id"] = problem
        for name, value in (("domain", domain), ("dotted_path", dotted_path)):
            problem = _check_name(value, what=name)
            if problem is not None:
                issues[name] = problem
        part = _file_part(file, filename, content_type, issues)
        if issues or part is None:
            raise RequestValidationError(issues, model="media upload")
        spec = RequestSpec(
            "POST",
            f"{self.path}/{reference_id}",
            form={"domain": domain, "dotted_path": dotted_path},
            files={"file": part[0]},
            replay_safe=part[1],
        )
        upload, _ = await self._parse_answer(spec, await self._send(spec, timeout, deadline))
        return upload


def _file_part(
    file: object, filename: object, content_type: object, issues: dict[str, str]
) -> tuple[FilePart, bool] | None:
    """The multipart file and whether it can be sent again, or ``None`` with ``issues`` set."""
    try:
        source = _source(file)
    except _RefusedFileError as refused:
        issues["file"] = str(refused)
        return None
    name = filename if filename is not None else source.name or "upload"
    problem = _check_name(name, what="a file name")
    if problem is not None:
        issues["filename"] = problem if filename is not None else f"{problem}; pass filename="
        return None
    assert isinstance(name, str)
    chosen = _content_type(name, source.head, content_type, issues)
    if chosen is None:
        return None
    return FilePart(name, chosen, source.open, owned=source.owned), source.replayable


def _content_type(filename: str, head: bytes, given: object, issues: dict[str, str]) -> str | None:
    """The type to send: ``given``, else the name's, else the first bytes'; accepted ones only."""
    if given is not None:
        accepted = _accepted(given) if isinstance(given, str) else None
        if accepted is None:
            issues["content_type"] = (
                f"{shown(given)} is not a type the API accepts; use one of {_accepted_list()}"
            )
        return accepted
    guessed = mimetypes.guess_type(filename)[0]
    chosen = _accepted(guessed) or _sniff(head)
    if chosen is None and guessed:
        issues["content_type"] = (
            f"cannot send {shown(filename)}: the API does not accept {guessed} (only "
            f"{_accepted_list()}); convert it, or pass content_type= if the name is wrong"
        )
    elif chosen is None:
        issues["content_type"] = (
            f"cannot tell the type of {shown(filename)} from its name or its first bytes; "
            f"pass content_type= (the API accepts {_accepted_list()})"
        )
    return chosen
