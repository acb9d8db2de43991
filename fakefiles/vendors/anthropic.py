"""Anthropic Files API, as the ``anthropic`` SDK speaks it (``/anthropic/v1``; the SDK appends
``/v1/files…`` to ``{origin}/anthropic``). Wire note: ``docs/vendors/anthropic.md``.

One surface serves every SDK line: ``client.beta.files`` of 0.x (``X-Api-Key``,
``?beta=true``, ``anthropic-beta: files-api-2025-04-14``, ``after_id``/``before_id`` paging)
and of 2.x (``Authorization: Bearer``, ``page``/``next_page`` paging), and the GA
``client.files`` of both. ``?beta=true``, ``anthropic-beta`` and ``anthropic-version`` are
accepted whatever they say and never required.

* objects: ``{id, type: "file", filename, mime_type, size_bytes, created_at (RFC 3339, µs,
  Z), downloadable, expires_at}``;
* list pages carry both cursor styles (``first_id``/``last_id``/``has_more`` and
  ``next_page``), newest first;
* uploads are not downloadable (400, ``error.details.error_code: "file_not_downloadable"``,
  which 2.x raises as ``FileNotDownloadableError``); fixture files marked ``downloadable``
  (as if code execution made them) are;
* errors ``{"type": "error", "error": {"type", "message"}}``, the type from the status as
  Anthropic's "Errors" page maps it; the request id goes out in ``request-id``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import mimetypes
from datetime import datetime, timezone
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..bodies import read_multipart
from ..errors import FakeFilesError, InvalidParam, NotFound, PayloadTooLarge, Unauthorized
from ..mediatypes import guess_content_type
from ..store import FileRecord
from .anthropic_info import INFO, PURPOSE, new_file_id
from .base import Vendor, download_response, parse_int
from .info import VendorInfo

# Docs, files guide: "File exceeds the 500 MB limit" (413). The settings' limit wins if lower.
FILE_LIMIT = 500 * 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # room in the body for the part headers and boundaries
DEFAULT_LIMIT, MAX_LIMIT = 20, 1000  # SDK docstrings, both lines
MAX_IDS = 100  # 2.x list(ids=[...])
EXPIRES_MIN, EXPIRES_MAX = 3600, 7_776_000  # 2.x upload(expires_in_seconds=): 1 h .. 90 days
FILENAME_MAX = 255
FORBIDDEN = set('<>:"|?*\\/') | {chr(c) for c in range(0x20)}  # docs, files guide
PAGE_PREFIX = "page_"

# Status -> error.type, from the docs' "Errors" page; any other 4xx is an invalid request,
# any other 5xx an api_error.
ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
    403: "permission_error", 404: "not_found_error", 409: "conflict_error",
    413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
    504: "timeout_error", 529: "overloaded_error",
}
# error.details.error_code values the 2.x SDK maps to their own exception classes.
ERROR_CODES = ("file_not_downloadable", "file_expired", "storage_quota_exceeded")
NOT_DOWNLOADABLE = "file_not_downloadable"


@functools.lru_cache(maxsize=8192)
def rfc3339(epoch: float) -> str:
    """``2025-04-15T18:37:24.100435Z``, as the docs' examples show it."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def error_type(status: int) -> str:
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


def page_token(file_id: str) -> str:
    """2.x's opaque ``next_page``: ``page_`` + the last id of the page, base64url."""
    return PAGE_PREFIX + base64.urlsafe_b64encode(file_id.encode()).decode().rstrip("=")


def page_cursor(token: str) -> str:
    """The id a ``page`` token resumes after; 400 if it is not one of ours."""
    body = token.removeprefix(PAGE_PREFIX)
    try:
        if not token.startswith(PAGE_PREFIX) or not body:
            raise ValueError(token)
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParam(f"page: invalid page token '{token[:100]}'", param="page",
                           location="query", input=token) from None


class Anthropic(Vendor):
    info: ClassVar[VendorInfo] = INFO

    def routes(self) -> list[BaseRoute]:
        return [
            self.route("/files", self.upload_file, "POST"),
            self.route("/files", self.list_files, "GET"),
            # file_id:path: the SDK escapes "/" as %2F, which the server decodes, so an odd id
            # still reaches the handler (and gets a 404) instead of falling off the routes.
            self.route("/files/{file_id:path}/content", self.download_file, "GET"),
            self.route("/files/{file_id:path}", self.retrieve_file, "GET"),
            self.route("/files/{file_id:path}", self.delete_file, "DELETE"),
        ]

    # -- wire shapes ---------------------------------------------------------------------

    def record_json(self, record: FileRecord, request: Request | None = None) -> dict[str, Any]:
        return {
            "id": record.id,
            "type": "file",
            "filename": record.filename,
            "mime_type": record.content_type,
            "size_bytes": record.size,
            "created_at": rfc3339(record.created_at),
            "downloadable": bool(record.extra.get("downloadable", False)),
            # 2.x's model has it (null unless uploaded with expires_in_seconds); 0.x keeps it
            # as an extra key.
            "expires_at": None if record.expires_at is None else rfc3339(record.expires_at),
        }

    def render_error(self, err: FakeFilesError) -> Response:
        error: dict[str, Any] = {"type": error_type(err.status), "message": err.message}
        if err.kind in ERROR_CODES:
            error["details"] = {"error_code": err.kind}
        return JSONResponse({"type": "error", "error": error}, status_code=err.status,
                            headers=err.headers)

    def api_key(self, request: Request) -> str | None:
        """``X-Api-Key`` (0.x, 1.x) or ``Authorization: Bearer`` (2.x, and ``auth_token=``)."""
        key = request.headers.get("x-api-key")
        if key:
            return key
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None

    def not_found(self, file_id: str) -> NotFound:
        return NotFound(f"File `{file_id}` not found.", param="file_id", location="path")

    def unauthorized(self, key: str | None) -> Unauthorized:
        """The real service's wording (both seen in public issue threads and emulators), which
        names x-api-key whichever header the SDK used."""
        if key is None:
            return Unauthorized("x-api-key header is required", kind="missing")
        return Unauthorized("invalid x-api-key")

    # -- handlers ------------------------------------------------------------------------

    async def upload_file(self, request: Request) -> dict[str, Any]:
        file_limit = min(FILE_LIMIT, self.fake.settings.max_upload_bytes)
        body_limits = dataclasses.replace(self.limits, max_bytes=file_limit + MULTIPART_SLACK)
        try:
            # 2.x sends raw bytes as a "file" part with no filename: still a file.
            form = await read_multipart(request, body_limits, file_fields=("file",))
        except PayloadTooLarge:
            raise too_large(file_limit) from None
        files = form.files.get("file", [])
        if len(files) != 1:
            raise InvalidParam("file: Field required" if not files
                               else "file: expected exactly one file part", param="file")
        part = files[0]
        if part.blob.size > file_limit:
            raise too_large(file_limit)
        now = self.now()
        expires_at = expires_in(form.field("expires_in_seconds"), now)
        mime_type = guess_content_type(part.filename or "", part.content_type)
        filename = stored_filename(part.filename, mime_type)
        record = self.store.put(FileRecord(
            id=new_file_id(), namespace=self.name, filename=filename, purpose=PURPOSE,
            created_at=now, blob=part.blob, content_type=mime_type, expires_at=expires_at,
        ))
        return self.record_json(record, request)

    async def list_files(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        ids = query.getlist("ids[]") or query.getlist("ids")
        if ids:
            return self.list_by_ids(request, ids)
        limit = parse_int(query.get("limit"), "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
        assert limit is not None
        after = query.get("after_id") or None
        before = query.get("before_id") or None
        token = query.get("page") or None
        if token is not None:
            after = page_cursor(token)
        if after is not None and before is not None:
            raise InvalidParam("Only one of after_id (or page) and before_id may be given.",
                               param="before_id", location="query")
        if query.get("scope_id"):
            # Session-scoped files come from sessions, which the fake does not have.
            return page_json([], False)
        for param, cursor in (("after_id", after), ("before_id", before)):
            if cursor is not None and not self.store.cursor_known(self.name, cursor):
                raise InvalidParam(f"{param}: no file `{cursor}` to page from", param=param,
                                   location="query", input=cursor)
        # Newest first, as Anthropic's other list endpoints (the files docs do not say).
        page = self.store.page(self.name, limit=limit, order="desc", after=after,
                               before=before)
        return page_json([self.record_json(r, request) for r in page.records], page.has_more,
                         backward=before is not None)

    def list_by_ids(self, request: Request, ids: list[str]) -> dict[str, Any]:
        """2.x ``list(ids=[...])``: one page of the named files, unknown ones left out."""
        query = request.query_params
        if query.get("page") or query.get("limit"):
            raise InvalidParam("ids: cannot be combined with page or limit", param="ids",
                               location="query")
        if len(ids) > MAX_IDS:
            raise InvalidParam(f"ids: at most {MAX_IDS} ids may be given", param="ids",
                               location="query")
        records = [self.store.get(self.name, file_id) for file_id in dict.fromkeys(ids)]
        return page_json([self.record_json(r, request) for r in records if r is not None],
                         False)

    async def retrieve_file(self, request: Request) -> dict[str, Any]:
        return self.record_json(self.get_record(request), request)

    async def download_file(self, request: Request) -> Response:
        record = self.get_record(request)
        if not record.extra.get("downloadable", False):
            # Docs, files guide: "Downloading a file you uploaded returns a 400 error."
            raise InvalidParam(f"File {record.id} is not downloadable", param="file_id",
                               location="path", kind=NOT_DOWNLOADABLE)
        return download_response(record.blob, record.filename, record.content_type)

    async def delete_file(self, request: Request) -> dict[str, Any]:
        file_id = request.path_params["file_id"]
        if self.store.delete(self.name, file_id) is None:
            raise self.not_found(file_id)
        return {"id": file_id, "type": "file_deleted"}


def page_json(data: list[dict[str, Any]], has_more: bool, *, backward: bool = False
              ) -> dict[str, Any]:
    """A list page with both cursor styles: 0.x pages on ``has_more`` and ``first_id`` /
    ``last_id`` (both null on an empty page, or it loops), 2.x on ``next_page`` alone."""
    last_id = data[-1]["id"] if data else None
    return {
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": last_id,
        "has_more": has_more,
        # next_page continues towards older files; a backward (before_id) page offers none.
        "next_page": page_token(last_id) if has_more and last_id and not backward else None,
    }


def expires_in(raw: str | None, now: float) -> float | None:
    """2.x ``expires_in_seconds``: when the file expires, or None."""
    seconds = parse_int(raw, "expires_in_seconds", EXPIRES_MIN, EXPIRES_MAX, None)
    return None if seconds is None else now + seconds


def stored_filename(given: str | None, mime_type: str) -> str:
    """The part's filename as the service keeps it (2.x docstring of ``upload``): its last
    path component; none or empty becomes ``unnamed`` plus the extension of its type."""
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not name:
        # application/octet-stream says the type is not known: no extension (not ".bin").
        known = mime_type != "application/octet-stream"
        return "unnamed" + (known and mimetypes.guess_extension(mime_type, strict=False) or "")
    if len(name) > FILENAME_MAX:
        raise InvalidParam(f"filename: must be at most {FILENAME_MAX} characters",
                           param="filename", input=name[:64] + "…")
    bad = sorted(FORBIDDEN.intersection(name))
    if bad:
        raise InvalidParam("filename: must not contain any of " + " ".join(
            repr(ch) for ch in bad), param="filename")
    return name


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"File exceeds the {limit // (1024 * 1024)} MB limit"
                           if limit >= 1024 * 1024 else
                           f"File exceeds the {limit} byte limit", param="file")
