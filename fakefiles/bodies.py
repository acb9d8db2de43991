"""Reading request bodies: streamed, and bounded in size and time.

File parts never sit whole in memory past the spool threshold; a JSON body (``read_json``,
orq's base64 uploads included) is read whole before it is parsed, within the vendor's limit.

``read_multipart`` feeds python-multipart's streaming parser chunk by chunk and writes each
file part straight into a :class:`~fakefiles.blobs.BlobWriter` (hashed on the way, spooled to
disk past a threshold). Starlette's own ``request.form()`` would spool to a temp file and then
need a second copy and a second hashing pass, so this module drives the parser itself.

Every refusal is a :mod:`fakefiles.errors` exception naming the problem; the vendor renders it.
A body over the limit is refused as soon as the limit is crossed (or at once when its
``Content-Length`` says so), and a client that stops sending is timed out.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote_to_bytes

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from .blobs import Blob, BlobWriter
from .errors import InvalidParam, PayloadTooLarge, RequestTimeout

MAX_FIELD_BYTES = 1024 * 1024  # a text form field larger than this is refused
MAX_PART_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int = 512 * 1024 * 1024
    spool_threshold: int = 1024 * 1024
    read_timeout: float = 30.0  # seconds to wait for the next chunk of a body
    spool_dir: str | None = None  # where large bodies spool (the data directory's tmp/)


@dataclass
class UploadedFile:
    filename: str
    content_type: str | None
    blob: Blob


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)

    def field(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def file(self, name: str) -> UploadedFile | None:
        values = self.files.get(name)
        return values[0] if values else None


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidParam("Invalid Content-Length header.", param="content-length",
                           location="header") from None


async def _receive_within(receive: Receive, seconds: float) -> Message:
    """``receive()``, or TimeoutError after ``seconds``. ``asyncio.timeout`` (3.11+) arms a
    timer; ``wait_for`` wraps every chunk of a 1 GiB upload in a new task."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await receive()
    return await asyncio.wait_for(receive(), timeout=seconds)


async def stream_body(request: Request, limits: BodyLimits) -> AsyncIterator[bytes]:
    """The body's chunks, refusing past ``max_bytes`` and timing out a stalled client."""
    declared = _declared_length(request)
    if declared is not None and declared > limits.max_bytes:
        raise PayloadTooLarge(
            f"Request body of {declared} bytes exceeds the limit of {limits.max_bytes} bytes.",
            param="file",
        )
    received = 0
    receive = request.receive
    while True:
        try:
            message = await _receive_within(receive, limits.read_timeout)
        except asyncio.TimeoutError:
            raise RequestTimeout(
                f"Timed out after {limits.read_timeout:g}s waiting for the request body.",
                param="body",
            ) from None
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        if chunk:
            received += len(chunk)
            if received > limits.max_bytes:
                raise PayloadTooLarge(
                    f"Request body exceeds the limit of {limits.max_bytes} bytes.", param="file"
                )
            yield chunk
        if not message.get("more_body", False):
            return


async def read_body(request: Request, limits: BodyLimits) -> bytes:
    parts = [chunk async for chunk in stream_body(request, limits)]
    return b"".join(parts)


async def read_json(request: Request, limits: BodyLimits) -> Any:
    """The body parsed as JSON; an empty body is ``None``."""
    raw = await read_body(request, limits)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser's stack ("[[[[…") is bad input too.
        raise InvalidParam(
            f"We could not parse the JSON body of your request: {exc}.",
            param="body", kind="json_invalid",
        ) from None


class _Parts:
    """python-multipart callbacks: collects text fields, streams file parts into blobs."""

    def __init__(self, limits: BodyLimits, file_fields: Collection[str] = ()) -> None:
        self.limits = limits
        self.file_fields = file_fields
        self.form = Form()
        self.ended = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._filename: str | None = None
        self._content_type: str | None = None
        self._text = bytearray()
        self._writer: BlobWriter | None = None
        self._open_writers: list[BlobWriter] = []

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self._headers = {}
        self._text = bytearray()
        self._writer = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(
            self._headers.get(b"content-disposition", b"")
        )
        if disposition != b"form-data" or b"name" not in options:
            raise InvalidParam(
                "Each multipart part needs a 'Content-Disposition: form-data; name=...' header.",
                param="body",
            )
        self._name = options[b"name"].decode("utf-8", "replace")
        extended = extended_filename(self._headers.get(b"content-disposition", b""))
        filename = options.get(b"filename")
        self._filename = extended if extended is not None else (
            None if filename is None else filename.decode("utf-8", "replace")
        )
        content_type = self._headers.get(b"content-type")
        self._content_type = content_type.decode("latin-1") if content_type else None
        if self._filename is not None or self._name in self.file_fields:
            self._writer = BlobWriter(self.limits.spool_threshold, self.limits.spool_dir)
            self._open_writers.append(self._writer)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writer is not None:
            self._writer.write(memoryview(data)[start:end])  # a view: no copy of the bytes
            return
        self._text += data[start:end]
        if len(self._text) > MAX_FIELD_BYTES:
            raise PayloadTooLarge(
                f"Form field '{self._name}' exceeds {MAX_FIELD_BYTES} bytes.", param=self._name
            )

    def on_part_end(self) -> None:
        if self._writer is not None:
            blob = self._writer.finish()
            self._open_writers.remove(self._writer)
            uploaded = UploadedFile(self._filename or "", self._content_type, blob)
            self.form.files.setdefault(self._name, []).append(uploaded)
        else:
            text = bytes(self._text).decode("utf-8", "replace")
            self.form.fields.setdefault(self._name, []).append(text)

    def on_end(self) -> None:
        self.ended = True

    def discard(self) -> None:
        for writer in self._open_writers:
            writer.discard()
        self._open_writers.clear()


_EXTENDED_FILENAME = re.compile(rb"""filename\*\s*=\s*([^;]+)""", re.IGNORECASE)


def extended_filename(disposition: bytes) -> str | None:
    """RFC 5987 ``filename*=UTF-8''na%C3%AFve.txt``, which python-multipart drops; it wins
    over a plain ``filename`` when both are sent (RFC 6266 §4.3)."""
    match = _EXTENDED_FILENAME.search(disposition)
    if match is None:
        return None
    charset, _, rest = match.group(1).strip().strip(b'"').partition(b"'")
    _, _, encoded = rest.partition(b"'")
    try:
        return unquote_to_bytes(encoded).decode(charset.decode("ascii") or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return unquote_to_bytes(encoded).decode("utf-8", "replace")


def multipart_boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise InvalidParam(
            "Expected a multipart/form-data body, got "
            f"'{request.headers.get('content-type', 'no Content-Type')}'.",
            param="file", kind="missing",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidParam("The multipart/form-data body has no boundary.", param="file")
    return boundary


async def read_multipart(request: Request, limits: BodyLimits,
                         file_fields: Collection[str] = ()) -> Form:
    """The form; ``file_fields`` are parts read as files even when they carry no filename
    (an SDK may send raw bytes so), instead of as text fields."""
    boundary = multipart_boundary(request)
    parts = _Parts(limits, file_fields)
    # Part headers may be long (a 10 000-character filename should get our own clear refusal,
    # not "Maximum header size exceeded"); still bounded.
    parser = MultipartParser(boundary, cast(Any, parts.callbacks()),
                             max_header_size=MAX_PART_HEADER_BYTES)
    try:
        async for chunk in stream_body(request, limits):
            parser.write(chunk)
        parser.finalize()
    except Exception as exc:
        parts.discard()
        if isinstance(exc, (InvalidParam, PayloadTooLarge, RequestTimeout, ClientDisconnect)):
            raise
        raise InvalidParam(f"Malformed multipart/form-data body: {exc}", param="file") from None
    if not parts.ended:
        parts.discard()
        raise InvalidParam(
            "Malformed multipart/form-data body: it ends before the closing boundary.",
            param="file",
        )
    return parts.form
