"""Uploading the original invoice: paths, bytes and file objects, streamed."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
import respx
from support import example_bytes

from amili_async import AmiliClient, RequestValidationError

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
UPLOAD = f"/media--upload/{CASE_ID}"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


@pytest.fixture
def upload_route(api: respx.MockRouter) -> respx.Route:
    return api.post(UPLOAD).respond(201, content=example_bytes("02-media-upload.response.json"))


async def test_bytes_with_sniffed_type(upload_route: respx.Route) -> None:
    client = AmiliClient(api_key="k")
    await client.media.upload(CASE_ID, PDF)
    body = upload_route.calls.last.request.content
    assert b'filename="upload"' in body
    assert b"Content-Type: application/pdf" in body
    assert PDF in body


async def test_file_object_is_streamed_in_chunks_and_left_open(upload_route: respx.Route) -> None:
    reads: list[int] = []

    class CountingFile(io.BytesIO):
        name = "scan.png"

        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024)
    handle = CountingFile(big)
    client = AmiliClient(api_key="k")
    await client.media.upload(CASE_ID, handle, domain="cases", dotted_path="original_invoice")
    body = upload_route.calls.last.request.content
    assert b'filename="scan.png"' in body
    assert b"Content-Type: image/png" in body
    assert big in body
    assert not handle.closed
    assert max(reads) < len(big), "read in chunks, never whole"


async def test_path_upload_is_replayed_after_a_transient_failure(
    api: respx.MockRouter, tmp_path: Path
) -> None:
    invoice = tmp_path / "faktura.pdf"
    invoice.write_bytes(PDF)
    route = api.post(UPLOAD).mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(201, content=example_bytes("02-media-upload.response.json")),
        ]
    )
    client = AmiliClient(api_key="k", clock=__import__("amili_async").ManualClock())
    await client.media.upload(CASE_ID, invoice, filename="original_invoice.pdf")
    assert route.call_count == 2
    for call in route.calls:
        assert PDF in call.request.content
        assert b'filename="original_invoice.pdf"' in call.request.content


async def test_bad_upload_input_is_refused_before_sending(
    upload_route: respx.Route, tmp_path: Path
) -> None:
    client = AmiliClient(api_key="k")
    with pytest.raises(RequestValidationError, match="no such file"):
        await client.media.upload(CASE_ID, tmp_path / "missing.pdf")
    with pytest.raises(RequestValidationError, match="empty"):
        await client.media.upload(CASE_ID, b"")
    with pytest.raises(RequestValidationError, match="content_type"):
        await client.media.upload(CASE_ID, b"plain words")
    with pytest.raises(RequestValidationError) as caught:
        await client.media.upload("", PDF, domain="", dotted_path=" ")
    assert set(caught.value.issues) == {"reference_id", "domain", "dotted_path"}
    assert not upload_route.called


async def test_explicit_content_type_wins(upload_route: respx.Route) -> None:
    client = AmiliClient(api_key="k")
    await client.media.upload(CASE_ID, b"raw", filename="x.bin", content_type="image/bmp")
    assert b"Content-Type: image/bmp" in upload_route.calls.last.request.content
