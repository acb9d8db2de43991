"""VLM Run Files API, as the ``vlmrun`` SDK 0.9.2 speaks it (``/vlmrun/v1``).

Shapes follow seed 000 (``StoreFileResponse``, FastAPI's ``HTTPValidationError``) and
``shared/vendors/vlmrun.md``. Where they disagree we follow what the SDK needs: ``id`` and
``created_at`` are always sent (000 does not require them, the SDK does), an upload answers
**201**, a list is a bare JSON array, and delete answers 200 with the deleted record.

Uploads are deduplicated by content: the SDK asks ``/files/hash/{md5}`` first, and the server
itself also answers an upload of bytes it already holds with the stored record, so the same
bytes always give the same id (whatever purpose or filename the second upload names). That is
the service's rule, not a shortcut: docs.vlm.run "client.files" ("File Caching: VLM Run
automatically detects duplicate files using content hashing") and the SDK itself
(vlmrun 0.9.2 ``Files.upload``: a hash hit returns the stored record, its old purpose and
filename included, unless ``force=True``) key files by content alone.

Large files go through a presigned URL on the fake itself: ``POST /files/presigned-url`` hands
out ``PUT /files/upload/{id}?expires=&signature=`` (signed, no Authorization needed, like a
cloud-storage URL), and ``GET /files/verify-upload/{id}`` returns the stored file.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .. import ids, links
from ..blobs import Blob, BlobWriter
from ..bodies import read_json, read_multipart, stream_body
from ..errors import (
    FakeFilesError,
    Forbidden,
    InvalidParam,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from ..mediatypes import guess_content_type
from ..store import FileRecord
from .base import Vendor, check_filename, check_purpose, parse_int
from .info import VendorInfo
from .vlmrun_info import DEFAULT_PURPOSE, INFO, UPLOAD_PURPOSES

MAX_LIST_LIMIT = 1000
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around a file part of the maximum size
EXPIRATION_MAX = 7 * 24 * 3600  # presigned URLs live at most a week, as cloud storage allows
BOOL_WORDS = {"true": True, "1": True, "yes": True, "on": True, "t": True, "y": True,
              "false": False, "0": False, "no": False, "off": False, "f": False, "n": False}


@dataclass
class PendingUpload:
    """A presigned upload handed out and not yet completed (``file_id`` set once PUT)."""

    id: str
    filename: str
    purpose: str
    content_type: str
    created_at: float
    expires: int
    file_id: str | None = None


class VlmRun(Vendor):
    info: ClassVar[VendorInfo] = INFO
    upload_purposes: ClassVar[tuple[str, ...]] = UPLOAD_PURPOSES
    purpose_in_query: ClassVar[bool] = True

    def __init__(self, fake: Any) -> None:
        super().__init__(fake)
        self.lock = threading.RLock()  # put_upload holds it around store_file
        self.pending: dict[str, PendingUpload] = {}

    def routes(self) -> list[BaseRoute]:
        # The fixed /files/... words come before /files/{file_id:path}, which would take them.
        return [
            self.route("/health", self.health, "GET"),
            self.route("/files/hash/{md5}", self.find_by_hash, "GET"),
            self.route("/files/presigned-url", self.create_presigned_url, "POST"),
            self.route("/files/upload/{upload_id}", self.put_upload, "PUT", public=True),
            self.route("/files/verify-upload/{upload_id}", self.verify_upload, "GET"),
            self.route("/files", self.upload_file, "POST", status=201),
            self.route("/files", self.list_files, "GET"),
            self.route("/files/{file_id:path}", self.get_file, "GET"),
            self.route("/files/{file_id:path}", self.delete_file, "DELETE"),
        ]

    def reset(self) -> None:
        with self.lock:
            self.pending.clear()

    def pending_upload(self, upload_id: str) -> PendingUpload | None:
        """A presigned session; expired ones (by the fake's clock) are forgotten first, so a
        long-running sidecar does not keep them for ever."""
        now = self.now()
        with self.lock:
            expired = [key for key, upload in self.pending.items() if upload.expires <= now]
            for key in expired:
                del self.pending[key]
            return self.pending.get(upload_id)

    # -- wire shapes ---------------------------------------------------------------------

    def record_json(
        self, record: FileRecord, request: Request, *, public_url: bool = True
    ) -> dict[str, Any]:
        url = None
        if public_url:
            settings = self.fake.settings
            url = links.signed_url(request, settings.signing_key, record.namespace, record.id,
                                   int(self.now()) + settings.link_ttl)
        return {
            "id": record.id,
            "filename": record.filename,
            "bytes": record.size,
            "purpose": record.purpose,
            "created_at": iso(record.created_at),
            "object": "file",
            "public_url": url,
        }

    def render_error(self, err: FakeFilesError) -> Response:
        if isinstance(err, InvalidParam) or err.status == 422:
            # FastAPI request validation: one pydantic-v2 item; ctx only when there is one.
            loc = [err.location] if err.param is None else [err.location, *err.param.split(".")]
            item: dict[str, Any] = {"type": err.kind, "loc": loc, "msg": err.message,
                                    "input": err.input}
            if err.ctx is not None:
                item["ctx"] = err.ctx
            return JSONResponse({"detail": [item]}, status_code=422, headers=err.headers)
        return JSONResponse({"detail": err.message}, status_code=err.status, headers=err.headers)

    def unauthorized(self, key: str | None) -> Unauthorized:
        """VLM Run's published definition guards its routes with FastAPI's ``HTTPBearer``,
        which refuses a missing bearer key with ``{"detail": "Not authenticated"}`` and a
        ``WWW-Authenticate: Bearer`` challenge (401, which the SDK reads as a bad key)."""
        if key is None:
            return Unauthorized("Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return Unauthorized("Invalid API key.")

    def not_found(self, file_id: str) -> NotFound:
        shown = file_id if len(file_id) <= 100 else file_id[:100] + "…"
        return NotFound(f"File not found: {shown}", param="file_id", location="path")

    # -- routes --------------------------------------------------------------------------

    async def health(self, request: Request) -> dict[str, Any]:
        return {"status": "ok"}

    async def find_by_hash(self, request: Request) -> dict[str, Any]:
        # A miss is a quick 404: the SDK retries 5xx for ~15 s before uploading anyway.
        md5 = request.path_params["md5"].lower()
        record = self.store.find_by_md5(self.namespace(request), md5)
        if record is None:
            raise NotFound("File not found", param="md5", location="path")
        return self.record_json(record, request)

    async def upload_file(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        purpose = check_purpose(query.get("purpose"), UPLOAD_PURPOSES, default=DEFAULT_PURPOSE,
                                location="query", fastapi=True)
        public_url = parse_bool(query.get("generate_public_url"), "generate_public_url")
        limits = replace(self.limits, max_bytes=self.limits.max_bytes + MULTIPART_OVERHEAD)
        form = await read_multipart(request, limits)
        files = form.files.get("file", [])
        if not files:
            if "file" in form.fields:
                raise InvalidParam("Expected UploadFile, received: <class 'str'>",
                                   param="file", kind="value_error", input=form.field("file"))
            raise InvalidParam("Field required", param="file", kind="missing")
        if len(files) > 1:
            raise InvalidParam(f"Expected one 'file' part, got {len(files)}.", param="file")
        upload = files[0]
        filename = check_filename(upload.filename, "file")
        content_type = guess_content_type(filename, upload.content_type)
        self.check_content(upload.blob, content_type)
        blob = await self.on_disk(upload.blob)
        record = self.store_file(request, filename, purpose, blob, content_type)
        return self.record_json(record, request, public_url=public_url)

    async def list_files(self, request: Request) -> list[dict[str, Any]]:
        # No purpose filter: the server has none (the docs' list(purpose=...) is a TypeError).
        query = request.query_params
        skip = parse_int(query.get("skip"), "skip", 0, None, 0, fastapi=True) or 0
        limit = parse_int(query.get("limit"), "limit", 1, MAX_LIST_LIMIT, 10, fastapi=True) or 10
        page = self.store.page(self.namespace(request), limit=limit, offset=skip, order="desc")
        return [self.record_json(record, request) for record in page.records]

    async def get_file(self, request: Request) -> dict[str, Any]:
        # The SDK sends no query string: skip parsing one (this is the hot read).
        raw = None
        if request.scope.get("query_string"):
            raw = request.query_params.get("generate_public_url")
        public_url = parse_bool(raw, "generate_public_url")
        return self.record_json(self.get_record(request), request, public_url=public_url)

    async def delete_file(self, request: Request) -> dict[str, Any]:
        file_id = request.path_params["file_id"]
        record = self.store.delete(self.namespace(request), file_id)
        if record is None:
            raise self.not_found(file_id)
        return self.record_json(record, request, public_url=False)  # no link to a gone file

    # -- presigned uploads ---------------------------------------------------------------

    async def create_presigned_url(self, request: Request) -> dict[str, Any]:
        body = await read_json(request, self.limits)
        if not isinstance(body, dict):
            raise InvalidParam("Input should be a valid dictionary or object to extract fields "
                               "from", kind="model_attributes_type", input=body)
        if "filename" not in body:
            raise InvalidParam("Field required", param="filename", kind="missing")
        filename = body["filename"]
        if not isinstance(filename, str):
            raise InvalidParam("Input should be a valid string", param="filename",
                               kind="string_type", input=filename)
        check_filename(filename)
        purpose = check_purpose(body.get("purpose"), UPLOAD_PURPOSES, default=DEFAULT_PURPOSE,
                                fastapi=True)
        expiration = body.get("expiration", 24 * 3600)
        if not isinstance(expiration, int) or isinstance(expiration, bool):
            raise InvalidParam("Input should be a valid integer", param="expiration",
                               kind="int_type", input=expiration)
        if not 1 <= expiration <= EXPIRATION_MAX:
            raise InvalidParam(f"Input should be between 1 and {EXPIRATION_MAX}",
                               param="expiration", kind="value_error", input=expiration)
        content_type = guess_content_type(filename)
        self.check_type(content_type)
        now = self.now()
        upload = PendingUpload(ids.uuid4(), filename, purpose, content_type, now,
                               int(now) + expiration)
        with self.lock:
            self.pending_upload(upload.id)  # forgets the expired ones
            self.pending[upload.id] = upload
        query = urlencode({"expires": upload.expires, "signature": self.sign(upload.id,
                                                                            upload.expires)})
        url = (f"{links.origin(request)}{request.scope.get('root_path', '')}/files/upload/"
               f"{quote(upload.id, safe='')}?{query}")
        return {
            "id": upload.id, "url": url, "filename": filename, "content_type": content_type,
            "upload_method": "put", "public_url": None, "created_at": iso(now),
            "expiration": expiration, "method": "PUT",
        }

    async def put_upload(self, request: Request) -> dict[str, Any]:
        upload_id = request.path_params["upload_id"]
        expires_raw = request.query_params.get("expires", "")
        given = request.query_params.get("signature", "")
        digits = expires_raw.isascii() and expires_raw.isdigit() and len(expires_raw) < 20
        if not digits:
            raise Forbidden("The upload URL's signature does not match (no valid 'expires').")
        problem = links.verify(self.fake.settings.signing_key, self.UPLOAD_SCOPE, upload_id,
                               int(expires_raw), given, self.now())
        if problem:
            raise Forbidden(problem)
        upload = self.pending_upload(upload_id)
        if upload is None:
            raise NotFound(f"Upload not found: {upload_id}")
        if upload.file_id is not None:
            raise FakeFilesError("This upload URL has already been used.", status=409)
        limits = self.limits
        writer = BlobWriter(limits.spool_threshold, limits.spool_dir)
        try:
            async for chunk in stream_body(request, limits):
                writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        blob = writer.finish()
        self.check_content(blob, upload.content_type)
        blob = await self.on_disk(blob)
        with self.lock:  # two PUTs racing: the first to finish wins
            if upload.file_id is not None:
                raise FakeFilesError("This upload URL has already been used.", status=409)
            record = self.store_file(request, upload.filename, upload.purpose, blob,
                                     upload.content_type, file_id=upload.id)
            upload.file_id = record.id
        return {"id": upload.id, "status": "uploaded"}  # the SDK only checks for 200

    async def verify_upload(self, request: Request) -> dict[str, Any]:
        upload_id = request.path_params["upload_id"]
        upload = self.pending_upload(upload_id)
        if upload is None:
            raise NotFound(f"Upload not found: {upload_id}", param="upload_id", location="path")
        if upload.file_id is None:
            raise NotFound(f"File not uploaded yet: {upload_id}", param="upload_id",
                           location="path")
        record = self.store.get(self.namespace(request), upload.file_id)
        if record is None:  # deleted since
            raise self.not_found(upload.file_id)
        return self.record_json(record, request)

    # -- helpers -------------------------------------------------------------------------

    def check_content(self, blob: Blob, content_type: str) -> None:
        if blob.size == 0:
            # Also what the SDK's retried upload sends (its file handle is at EOF): refuse it
            # rather than store an empty file.
            raise InvalidParam("The file is empty; upload at least one byte.", param="file")
        limit = self.fake.settings.max_upload_bytes
        if blob.size > limit:
            raise PayloadTooLarge(f"File too large: {blob.size} bytes; the limit is {limit}.")
        self.check_type(content_type)

    def check_type(self, content_type: str) -> None:
        allowed = self.fake.settings.vlmrun_allowed_types
        media = content_type.split(";")[0].strip().lower()
        if allowed and not any(type_matches(media, pattern) for pattern in allowed):
            raise UnsupportedMediaType(f"Unsupported file type: {media}.")

    def store_file(
        self, request: Request, filename: str, purpose: str, blob: Blob, content_type: str,
        file_id: str | None = None,
    ) -> FileRecord:
        namespace = self.namespace(request)
        with self.lock:  # check-then-put, so two uploads of the same bytes give one record
            existing: FileRecord | None = self.store.find_by_md5(namespace, blob.md5)
            if existing is not None and existing.sha256 == blob.sha256:
                return existing
            record = FileRecord(
                id=file_id or ids.uuid4(), namespace=namespace, filename=filename,
                purpose=purpose, created_at=self.now(), blob=blob, content_type=content_type,
            )
            stored: FileRecord = self.store.put(record)
            return stored

    # Upload URLs are signed like download links, in a scope of their own: a download
    # link's signature never opens an upload, nor the reverse.
    UPLOAD_SCOPE: ClassVar[str] = "vlmrun/upload"

    def sign(self, upload_id: str, expires: int) -> str:
        return links.signature(self.fake.settings.signing_key, self.UPLOAD_SCOPE, upload_id,
                               expires)


@functools.lru_cache(maxsize=8192)
def iso(epoch: float) -> str:
    """ISO-8601 with offset (cached: every list renders the same files again)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat()


def type_matches(media: str, pattern: str) -> bool:
    pattern = pattern.strip().lower()
    if pattern.endswith("/*"):
        return media.startswith(pattern[:-1])
    return media == pattern


def parse_bool(raw: str | None, param: str) -> bool:
    """A FastAPI boolean query parameter; absent means the server's default, true."""
    if raw is None:
        return True
    value = BOOL_WORDS.get(raw.lower())
    if value is None:
        raise InvalidParam("Input should be a valid boolean, unable to interpret input",
                           param=param, location="query", kind="bool_parsing", input=raw)
    return value

