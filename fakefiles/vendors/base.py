"""What every vendor module provides, and the one adapter between handlers and HTTP.

A vendor's HTTP side is a :class:`Vendor` subclass with

* ``info`` — its declaration (``<name>_info.INFO``: name, prefixes, purposes…; see
  :mod:`fakefiles.vendors.registry`), which also gives it ``name`` and ``title``;
* ``routes()`` — the whole wire surface, one declarative list;
* ``render_error(err)`` — the vendor's exact error envelope for any :class:`FakeFilesError`;
* ``record_json(record)`` — a stored record in the vendor's wire shape;
* optionally ``api_key(request)`` (its key header), ``namespace(request)``, ``not_found``,
  ``unauthorized``, ``reset()`` and ``load(data)`` (its seed data besides files).

Handlers are ``async def handler(request) -> data``: they return a dict, a list, or a
ready :class:`Response` (downloads), and raise :mod:`fakefiles.errors` exceptions.
:meth:`Vendor.route` wraps each one so that data becomes JSON with the route's status and
every error goes through ``render_error``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..blobs import Blob
from ..bodies import BodyLimits
from ..errors import FakeFilesError, InvalidParam, NotFound, Unauthorized, missing
from ..store import FileRecord, FileStore
from .info import VendorInfo

if TYPE_CHECKING:
    from ..fake import Fake

Handler = Callable[[Request], Awaitable[Any]]


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class DataResponse(JSONResponse):
    """Starlette's JSONResponse, byte for byte, with one shared encoder: ``json.dumps`` with
    these options builds a new encoder for every response a handler returns."""

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Vendor:
    info: ClassVar[VendorInfo]
    name: ClassVar[str]  # info.name
    title: ClassVar[str]  # info.title
    # What the web console needs to upload and rename through the vendor's own API.
    upload_purposes: ClassVar[tuple[str, ...]] = ()
    purpose_in_query: ClassVar[bool] = False  # multipart upload with ?purpose= (VLM Run)
    rename_field: ClassVar[str | None] = None  # PATCH /files/{id} {field: new name} (orq)
    # The console uploads with one multipart POST /files; a vendor whose upload is more than
    # that (Gemini's two-request resumable protocol) says False and the console offers none.
    console_upload: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "info" in cls.__dict__:
            cls.name, cls.title = cls.info.name, cls.info.title
    # Whether the real service refuses a request without a key (a 401 under --auth
    # permissive); --auth strict checks every vendor's keys regardless.
    key_required: ClassVar[bool] = True

    def __init__(self, fake: Fake) -> None:
        self.fake = fake
        # The response headers the middleware puts the request id in, ready to send.
        self.id_headers = tuple(name.lower().encode() for name in self.info.id_headers)

    # -- to provide ----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def render_error(self, err: FakeFilesError) -> Response:
        raise NotImplementedError

    def record_json(self, record: FileRecord, request: Request) -> dict[str, Any]:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget per-vendor state other than stored files (e.g. pending uploads)."""

    def load(self, data: list[Any]) -> Iterable[str]:
        """Apply its seed data besides files (``Seed.vendor_data[name]``, made by its
        ``info.build_section``); returns the API keys the data makes valid."""
        return ()

    # The request's API key: a bearer token unless the vendor says otherwise (a plain
    # function, not a method wrapping it: orq asks on every request).
    api_key: Callable[[Request], str | None] = staticmethod(bearer_key)

    def namespace(self, request: Request) -> str:
        return self.name

    def console_namespaces(self, console_key: str) -> list[tuple[str, str | None]]:
        """For the web console: each store namespace of this vendor and the API key that
        reaches it (None: no key known, view only). One, named after the vendor."""
        return [(self.name, console_key)]

    def not_found(self, file_id: str) -> NotFound:
        return NotFound(f"File not found: {file_id}", param="file_id", location="path")

    def unauthorized(self, key: str | None) -> Unauthorized:
        """The vendor's own 401 for a missing (``None``) or unknown key."""
        raise NotImplementedError

    # -- shared machinery ----------------------------------------------------------------

    @property
    def store(self) -> FileStore:
        return self.fake.store

    @property
    def limits(self) -> BodyLimits:
        settings = self.fake.settings
        data = self.fake.data
        return BodyLimits(
            max_bytes=settings.max_upload_bytes,
            spool_threshold=settings.spool_threshold,
            read_timeout=settings.body_timeout,
            # Spooled into the data directory, a large upload is renamed into place, not copied.
            spool_dir=None if data is None else str(data.tmp),
        )

    async def on_disk(self, blob: Blob) -> Blob:
        """With a data directory, a spooled (large) ``blob`` written to it durably on a worker
        thread (store.put then finds the work done): its fsync never holds the event loop.
        Content small enough to be in memory is left to store.put, inline: on a busy 2-core
        machine the thread hop cost more than its write (the kill -9 loop acknowledged 63
        uploads with it against 108 without)."""
        hook = self.store.hook
        if hook is None or blob.data is not None:
            return blob
        return await anyio.to_thread.run_sync(hook.prepare, blob)

    def now(self) -> float:
        return self.fake.clock.now()

    def get_record(self, request: Request) -> FileRecord:
        """The record the path's ``file_id`` names in this request's namespace, or 404."""
        file_id = request.path_params["file_id"]
        record = self.store.get(self.namespace(request), file_id)
        if record is None:
            raise self.not_found(file_id)
        return record

    def route(
        self,
        path: str,
        handler: Handler,
        method: str,
        *,
        status: int = 200,
        public: bool = False,
    ) -> Route:
        """A Starlette route whose handler returns data; ``public`` skips the key check."""

        async def endpoint(request: Request) -> Response:
            try:
                if not public:
                    self.authenticate(request)
                result = await handler(request)
            except FakeFilesError as err:
                return self.render_error(err)
            if isinstance(result, Response):
                return result
            return DataResponse(result, status_code=status)

        endpoint.__name__ = handler.__name__
        return Route(path, endpoint, methods=[method], name=f"{self.name}.{handler.__name__}")

    def authenticate(self, request: Request) -> None:
        """The key check of ``--auth``: none takes every request; permissive any non-empty
        key (where the vendor wants one at all); strict only keys the fake knows."""
        auth = self.fake.settings.auth
        if auth == "none" or (auth == "permissive" and not self.key_required):
            return
        key = self.api_key(request)
        if key is None or (auth == "strict" and not self.fake.key_is_valid(key)):
            raise self.unauthorized(key)


def masked_key(key: str) -> str:
    """``sk-...abcd``: enough to tell keys apart in an error body, never the whole key."""
    return f"{key[:3]}...{key[-4:]}" if len(key) >= 12 else "***"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 header that survives any filename (quotes, unicode, control characters)."""
    from urllib.parse import quote

    ascii_name = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename
    ) or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(
    blob: Blob, filename: str, media_type: str, *, inline: bool = False
) -> Response:
    """Stream a blob; small ones go out in one piece, without a thread hop per chunk."""
    headers = {
        "content-disposition": content_disposition(filename, "inline" if inline else "attachment"),
        "content-length": str(blob.size),
    }
    if blob.data is not None:
        return Response(blob.data, media_type=media_type, headers=headers)
    iterator: Iterator[bytes] = blob.chunks()
    return StreamingResponse(iterator, media_type=media_type, headers=headers)


def check_filename(filename: str | None, param: str = "filename") -> str:
    if filename is None or filename == "":
        raise InvalidParam("A filename is required.", param=param, kind="missing")
    if "\x00" in filename:
        raise InvalidParam("The filename must not contain NUL bytes.", param=param)
    if not filename.isascii() and not _is_utf8(filename):  # a lone surrogate from JSON "\ud800"
        raise InvalidParam("The filename is not valid Unicode text.", param=param)
    if len(filename) > 1024:
        raise InvalidParam(
            f"The filename is {len(filename)} characters long; the limit is 1024.",
            param=param, kind="string_too_long", input=filename[:64] + "…",
            ctx={"max_length": 1024},
        )
    return filename


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_int(
    raw: str | None, param: str, low: int, high: int | None, default: int | None,
    *, location: str = "query", fastapi: bool = False,
) -> int | None:
    """An integer parameter within [low, high] (``high`` None: no upper bound), naming the
    parameter when it is not one; ``fastapi``: pydantic's messages, as FastAPI servers send."""
    if raw is None or raw == "":
        return default
    try:
        # No sane parameter has more digits (spare int() the work), and int() would read
        # full-width digits such as "１".
        if len(raw) > 30 or not raw.isascii():
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        message = ("Input should be a valid integer, unable to parse string as an integer"
                   if fastapi else f"Invalid '{param}': expected an integer, got '{raw[:100]}'.")
        raise InvalidParam(message, param=param, location=location, kind="int_parsing",
                           input=raw) from None
    below = value < low
    if below or (high is not None and value > high):
        if fastapi:
            message = (f"Input should be greater than or equal to {low}" if below
                       else f"Input should be less than or equal to {high}")
        else:
            message = f"Invalid '{param}': {value} is not between {low} and {high}."
        raise InvalidParam(
            message, param=param, location=location,
            kind="greater_than_equal" if below else "less_than_equal", input=raw,
            ctx={"ge": low} if below else {"le": high},
        )
    return value


def check_purpose(
    purpose: Any, allowed: tuple[str, ...], *, default: str | None = None,
    location: str = "body", fastapi: bool = False,
) -> str:
    """``purpose`` if it is one of ``allowed``; when absent, ``default`` (None: required).
    ``fastapi``: pydantic's Literal message, as FastAPI servers send it."""
    if purpose is None or (purpose == "" and not fastapi):
        if default is not None:
            return default
        raise missing("purpose", location)
    if purpose not in allowed:
        if fastapi:
            expected = ", ".join(f"'{p}'" for p in allowed[:-1]) + f" or '{allowed[-1]}'"
            raise InvalidParam(
                f"Input should be {expected}", param="purpose", location=location,
                kind="literal_error", input=purpose, ctx={"expected": expected},
            )
        raise InvalidParam(
            f"'{purpose}' is not one of {list(allowed)} - 'purpose'",
            param="purpose", location=location, kind="enum", input=purpose,
            ctx={"expected": ", ".join(f"'{p}'" for p in allowed)},
        )
    return str(purpose)
