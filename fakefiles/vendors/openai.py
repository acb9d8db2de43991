"""OpenAI Files and Uploads API, as the ``openai`` SDK speaks it (``/openai/v1``, bare ``/v1``).

Shapes follow seed 004 (``OpenAIFile``) and ``shared/vendors/openai.md``. Where they
disagree we follow the seed for the schema and the note for behaviour: ``expires_at`` is
left out when a file has none (004 types it ``integer``, not nullable), and ``status`` is
always ``"processed"`` so ``wait_for_processing`` ends at once. ``status_details`` is omitted
(004 types it a string; the SDK treats it as optional).

Where the real service differs from the seeds we follow the real service (issue 14). The
published definition is openai/openai-openapi ``openapi.json`` at commit f85dbe2
(``tests/vendor-specs/openai-files-uploads.openapi.yaml``); ``tests/test_conformance.py``
holds the fake to it and lists, with their evidence, the places where the service itself
departs from it.

impala.ai is a dialect of this module (see ``impala.py``): the class attributes below are
the knobs it turns.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .. import ids
from ..blobs import Blob, BlobWriter, blob_from_bytes
from ..bodies import read_json, read_multipart
from ..clock import Clock
from ..errors import (
    FakeFilesError,
    InvalidParam,
    NotFound,
    Unauthorized,
    missing,
)
from ..mediatypes import guess_content_type, is_media_type
from ..store import FileRecord
from .base import (
    Vendor,
    check_filename,
    check_purpose,
    download_response,
    masked_key,
    parse_int,
)
from .info import VendorInfo
from .openai_info import INFO, UPLOAD_PURPOSES, UPLOAD_TTL, SeededUpload

EXPIRES_MIN, EXPIRES_MAX = 3600, 2_592_000  # 1 hour .. 30 days
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_UPLOAD_BYTES = 8 * 1024**3

# The Batch API only takes .jsonl files up to 200 MB (the published createFile description).
BATCH_MAX_BYTES = 200 * 1024 * 1024
# Purposes whose content the real API refuses to return: 400 "Not allowed to download files of
# purpose: assistants" is what every client that tried reports; user_data and evals share it
# (OpenAI community thread "File uploads error: why can't I download files with
# purpose="user_data"?" (its upload/download table: batch and vision download, assistants,
# user_data and evals do not), and a relay's integration notes that record the same 400 for
# user_data). Batch and vision files and every *_output / *-results file download. The thread's
# table marks fine-tune inputs as not downloadable either; the issue that brought this in
# reports they download, and with no more evidence we keep them downloadable: `fakefiles
# verify` asks the real API ("download a fine-tune file").
UNDOWNLOADABLE_PURPOSES = ("assistants", "user_data", "evals")
# Uploads: "For certain purpose values, the correct mime_type must be specified" (published
# createUpload). The MIME types of the platform guide "File search - supported files" for
# assistants, of its vision guide for vision, and JSON lines for batch / fine-tune / evals.
# user_data is "flexible file type for any purpose": no check.
JSONL_MIME_TYPES = frozenset({
    "application/jsonl", "application/json", "application/x-ndjson", "application/x-jsonlines",
    "text/jsonl", "application/jsonlines",
})
ASSISTANTS_MIME_TYPES = frozenset({
    "text/x-c", "text/x-c++", "text/x-csharp", "text/css", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/x-golang",
    "text/html", "text/x-java", "text/javascript", "application/json", "text/markdown",
    "application/pdf", "text/x-php",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text/x-python", "text/x-script.python", "text/x-ruby", "application/x-sh", "text/x-tex",
    "application/typescript", "text/plain",
})
UPLOAD_MIME_TYPES: dict[str, frozenset[str]] = {
    "assistants": ASSISTANTS_MIME_TYPES,
    "vision": frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"}),
    "batch": JSONL_MIME_TYPES,
    "fine-tune": JSONL_MIME_TYPES,
    "evals": JSONL_MIME_TYPES,
}
# The request bodies the published definition closes with additionalProperties: false; the
# real API answers any other field with 400 "Unrecognized request argument supplied: <name>".
CREATE_FILE_FIELDS = frozenset({"file", "purpose", "expires_after[anchor]",
                                "expires_after[seconds]"})
CREATE_UPLOAD_FIELDS = frozenset({"bytes", "filename", "mime_type", "purpose", "expires_after"})
COMPLETE_UPLOAD_FIELDS = frozenset({"part_ids", "md5"})
ADD_PART_FIELDS = frozenset({"data"})

ERROR_TYPES = {401: "invalid_request_error", 429: "rate_limit_error"}
NO_KEY = ("You didn't provide an API key. You need to provide your API key in an Authorization "
          "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)")


class OpenAI(Vendor):
    info: ClassVar[VendorInfo] = INFO
    upload_purposes: ClassVar[tuple[str, ...]] = UPLOAD_PURPOSES
    # None: the list filter takes any string, as OpenAI's does.
    list_purposes: ClassVar[tuple[str, ...] | None] = None
    jsonl_only_purposes: ClassVar[tuple[str, ...]] = ("batch", "fine-tune")
    default_expiry: ClassVar[dict[str, int]] = {"batch": 30 * 24 * 3600}
    max_list_limit: ClassVar[int] = 10_000
    undownloadable_purposes: ClassVar[tuple[str, ...]] = UNDOWNLOADABLE_PURPOSES
    # OpenAI closes its request bodies; impala (FastAPI forms) ignores extra fields.
    closed_request_bodies: ClassVar[bool] = True
    batch_max_bytes: ClassVar[int | None] = BATCH_MAX_BYTES
    keys_page: ClassVar[str | None] = "https://platform.openai.com/account/api-keys"

    def __init__(self, fake: Any) -> None:
        super().__init__(fake)
        self.uploads = Uploads(fake.clock)

    def routes(self) -> list[BaseRoute]:
        return self.file_routes() + self.upload_routes()

    def file_routes(self) -> list[BaseRoute]:
        return [
            self.route("/files", self.create_file, "POST"),
            self.route("/files", self.list_files, "GET"),
            self.route("/files/{file_id:path}/content", self.file_content, "GET"),
            self.route("/files/{file_id:path}", self.retrieve_file, "GET"),
            self.route("/files/{file_id:path}", self.delete_file, "DELETE"),
        ]

    def upload_routes(self) -> list[BaseRoute]:
        return [
            self.route("/uploads", self.create_upload, "POST"),
            self.route("/uploads/{upload_id}/parts", self.add_part, "POST"),
            self.route("/uploads/{upload_id}/complete", self.complete_upload, "POST"),
            self.route("/uploads/{upload_id}/cancel", self.cancel_upload, "POST"),
        ]

    def reset(self) -> None:
        self.uploads = Uploads(self.fake.clock)

    def load(self, data: list[Any]) -> Iterable[str]:
        """The fixtures' Uploads (``SeededUpload``), as new objects on every reset."""
        for seeded in data:
            assert isinstance(seeded, SeededUpload)
            upload = Upload(
                id=seeded.id, filename=seeded.filename, purpose=seeded.purpose,
                bytes=seeded.size, mime_type=seeded.mime_type, created_at=seeded.created_at,
                expires_at=seeded.expires_at, file_expires_after=None, status=seeded.status,
                file_id=seeded.file_id,
            )
            for part_id, data_bytes in seeded.parts:
                upload.parts[part_id] = Part(part_id, upload.id, seeded.created_at,
                                             blob_from_bytes(data_bytes))
            self.uploads.add(upload)
        return ()

    # -- wire shapes ---------------------------------------------------------------------

    def record_json(self, record: FileRecord, request: Request | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": record.id,
            "object": "file",
            "bytes": record.size,
            "created_at": int(record.created_at),
        }
        if record.expires_at is not None:
            body["expires_at"] = int(record.expires_at)
        body["filename"] = record.filename
        body["purpose"] = record.purpose
        body["status"] = record.extra.get("status", "processed")
        return body

    def render_error(self, err: FakeFilesError) -> Response:
        code: str | None = None
        if isinstance(err, Unauthorized) and err.kind != "missing":
            code = "invalid_api_key"  # a missing key has code null
        elif err.status == 429:
            code = "rate_limit_exceeded"
        kind = "server_error" if err.status >= 500 else ERROR_TYPES.get(
            err.status, "invalid_request_error"
        )
        body = {"error": {"message": err.message, "type": kind, "param": err.param, "code": code}}
        return JSONResponse(body, status_code=err.status, headers=err.headers)

    def not_found(self, file_id: str) -> NotFound:
        return NotFound(f"No such File object: {file_id}", param="id", location="path")

    def unauthorized(self, key: str | None) -> Unauthorized:
        """OpenAI's own 401 wording (shared/vendors/openai.md); the key is never echoed whole."""
        if key is None:
            if self.keys_page is None:
                return Unauthorized(NO_KEY + ".", kind="missing")
            return Unauthorized(
                f"{NO_KEY}, or as the password field (with blank username) if you're accessing "
                "the API from your browser and are prompted for a username and password. You "
                f"can obtain an API key from {self.keys_page}.", kind="missing",
            )
        where = f" You can find your API key at {self.keys_page}." if self.keys_page else ""
        return Unauthorized(f"Incorrect API key provided: {masked_key(key)}.{where}",
                            kind="invalid_api_key")

    # -- files ---------------------------------------------------------------------------

    async def create_file(self, request: Request) -> dict[str, Any]:
        form = await read_multipart(request, self.limits)
        if self.closed_request_bodies and "expires_after" in form.fields:
            # One JSON form field instead of the bracketed pair the SDKs send: the API reads
            # form fields as strings, so it is a string where an object belongs.
            raise InvalidParam(
                "Invalid type for 'expires_after': expected an object, but got a string "
                "instead.", param="expires_after", kind="model_attributes_type",
                input=_single(form.fields, "expires_after"),
            )
        self.refuse_unknown([*form.fields, *form.files], CREATE_FILE_FIELDS)
        purpose = check_purpose(_single(form.fields, "purpose"), self.upload_purposes)
        files = form.files.get("file", [])
        if not files:
            raise missing("file")
        if len(files) > 1:
            raise InvalidParam(f"Expected one 'file' part, got {len(files)}.", param="file")
        upload = files[0]
        filename = check_filename(upload.filename, "file")
        self.check_content(filename, purpose, upload.blob)
        expires_after = self.parse_expires_after(
            _single(form.fields, "expires_after[anchor]"),
            _single(form.fields, "expires_after[seconds]"),
        )
        record = await self.store_file(
            request, filename, purpose, upload.blob,
            guess_content_type(filename, upload.content_type), expires_after,
        )
        return self.record_json(record, request)

    async def list_files(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        limit = parse_int(
            query.get("limit"), "limit", 1, self.max_list_limit, self.max_list_limit
        ) or self.max_list_limit
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidParam(
                f"Invalid value for 'order': expected 'asc' or 'desc', got '{order}'.",
                param="order", location="query", kind="literal_error", input=order,
                ctx={"expected": "'asc' or 'desc'"},
            )
        purpose = query.get("purpose")
        if purpose is not None and self.list_purposes is not None:
            if purpose not in self.list_purposes:
                raise InvalidParam(
                    f"Invalid value for 'purpose': '{purpose}' is not one of "
                    f"{list(self.list_purposes)}.",
                    param="purpose", location="query", kind="enum", input=purpose,
                    ctx={"expected": ", ".join(f"'{p}'" for p in self.list_purposes)},
                )
        after = query.get("after") or None
        namespace = self.namespace(request)
        if after is not None and not self.store.cursor_known(namespace, after):
            # An id that is not (or no longer) there ends the listing: an empty page. The
            # definition leaves it open and we found no report of the service's answer, so we
            # keep the cursor's own contract (the objects after it: none) rather than invent a
            # 400 that breaks an SDK paging while another process deletes its cursor file.
            # `fakefiles verify` asks the real API ("list after an unknown id").
            return self.list_json([], has_more=False)
        page = self.store.page(
            namespace, limit=limit, order="asc" if order == "asc" else "desc", after=after,
            purpose=purpose,
        )
        return self.list_json([self.record_json(r, request) for r in page.records],
                              has_more=page.has_more)

    def list_json(self, data: list[dict[str, Any]], *, has_more: bool) -> dict[str, Any]:
        # first_id / last_id are null on an empty page although the definition types them
        # string: the service sends null (openai-php/client PR #687 made them nullable from
        # real responses), and the SDK's SyncCursorPage reads neither.
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }

    async def retrieve_file(self, request: Request) -> dict[str, Any]:
        return self.record_json(self.get_record(request), request)

    async def delete_file(self, request: Request) -> dict[str, Any]:
        file_id = request.path_params["file_id"]
        if self.store.delete(self.namespace(request), file_id) is None:
            raise self.not_found(file_id)
        return {"id": file_id, "object": "file", "deleted": True}

    async def file_content(self, request: Request) -> Response:
        record = self.get_record(request)
        if record.purpose in self.undownloadable_purposes:
            raise InvalidParam(f"Not allowed to download files of purpose: {record.purpose}")
        # OpenAI serves file bytes as a binary download; the SDK ignores the type.
        return download_response(record.blob, record.filename, "application/octet-stream")

    # -- uploads -------------------------------------------------------------------------

    async def create_upload(self, request: Request) -> dict[str, Any]:
        body = await read_json(request, self.limits)
        if not isinstance(body, dict):
            raise InvalidParam("The request body must be a JSON object.", param="body")
        self.refuse_unknown(body, CREATE_UPLOAD_FIELDS)
        size = body.get("bytes")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_UPLOAD_BYTES:
            raise InvalidParam(
                f"'bytes' must be an integer between 1 and {MAX_UPLOAD_BYTES}.", param="bytes"
            )
        filename = body.get("filename")
        if not isinstance(filename, str):
            raise missing("filename")
        check_filename(filename)
        mime_type = body.get("mime_type")
        if not isinstance(mime_type, str) or not mime_type:
            raise missing("mime_type")
        if not is_media_type(mime_type):  # it becomes the Content-Type of downloads
            raise InvalidParam("'mime_type' must be a MIME type such as 'text/plain'.",
                               param="mime_type")
        purpose = check_purpose(body.get("purpose"), self.upload_purposes)
        self.check_mime_type(mime_type, purpose)
        if purpose in self.jsonl_only_purposes and not filename.lower().endswith(".jsonl"):
            raise invalid_format(purpose)
        expires = body.get("expires_after")
        if expires is not None and not isinstance(expires, dict):
            raise InvalidParam("'expires_after' must be an object.", param="expires_after")
        expires_after = None if expires is None else self.parse_expires_after(
            expires.get("anchor"), expires.get("seconds")
        )
        now = self.now()
        upload = Upload(
            id=ids.openai_style("upload_"), filename=filename, purpose=purpose, bytes=size,
            mime_type=mime_type, created_at=now, expires_at=now + UPLOAD_TTL,
            file_expires_after=expires_after,
        )
        self.uploads.add(upload)
        return self.upload_json(upload, request)

    async def add_part(self, request: Request) -> dict[str, Any]:
        upload = self.pending_upload(request.path_params["upload_id"])
        form = await read_multipart(request, self.limits)
        self.refuse_unknown([*form.fields, *form.files], ADD_PART_FIELDS)
        parts = form.files.get("data", [])
        if len(parts) != 1:
            raise missing("data") if not parts else InvalidParam(
                "Expected one 'data' part.", param="data"
            )
        blob = parts[0].blob
        if blob.size > MAX_PART_BYTES:
            raise InvalidParam(f"A part may be at most {MAX_PART_BYTES} bytes.", param="data")
        part = Part(ids.openai_style("part_"), upload.id, self.now(), blob)
        with self.uploads.lock:
            self.pending_upload(upload.id)  # cancelled or completed meanwhile?
            upload.parts[part.id] = part
        return {"id": part.id, "object": "upload.part", "created_at": int(part.created_at),
                "upload_id": upload.id}

    async def complete_upload(self, request: Request) -> dict[str, Any]:
        upload = self.pending_upload(request.path_params["upload_id"])
        body = await read_json(request, self.limits)
        if not isinstance(body, dict):
            raise InvalidParam("The request body must be a JSON object.", param="body")
        self.refuse_unknown(body, COMPLETE_UPLOAD_FIELDS)
        part_ids = body.get("part_ids")
        if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids):
            raise InvalidParam("'part_ids' must be a list of part ids.", param="part_ids")
        md5 = body.get("md5")
        if md5 is not None and not isinstance(md5, str):
            raise InvalidParam("'md5' must be a string.", param="md5")
        with self.uploads.lock:
            self.pending_upload(upload.id)
            unknown = [p for p in part_ids if p not in upload.parts]
            if unknown:
                raise InvalidParam(
                    f"Part {unknown[0]} does not belong to upload {upload.id}.", param="part_ids"
                )
            if len(set(part_ids)) != len(part_ids):
                raise InvalidParam("'part_ids' lists a part more than once.", param="part_ids")
            blobs = [upload.parts[p].blob for p in part_ids]
        total = sum(blob.size for blob in blobs)
        if total != upload.bytes:
            raise InvalidParam(
                f"The parts add up to {total} bytes but the upload was created with "
                f"bytes={upload.bytes}.", param="bytes",
            )
        # Reassembly (up to 8 GiB) and, with a data directory, its fsync: on a worker thread.
        blob = await anyio.to_thread.run_sync(self.assemble, blobs)
        self.check_batch_size(upload.purpose, blob)
        if md5 is not None and md5.lower() != blob.md5:
            raise InvalidParam(
                f"The md5 checksum {md5} does not match the assembled content "
                f"({blob.md5}).", param="md5",
            )
        blob = await self.on_disk(blob)
        with self.uploads.lock:  # cancelled, expired or completed meanwhile: that one wins
            self.pending_upload(upload.id)
            record = self.store_file_now(
                request, upload.filename, upload.purpose, blob, upload.mime_type,
                upload.file_expires_after,
            )
            upload.status = "completed"
            upload.file_id = record.id
            upload.parts.clear()
        return self.upload_json(upload, request)

    def assemble(self, blobs: list[Blob]) -> Blob:
        limits = self.limits
        writer = BlobWriter(limits.spool_threshold, limits.spool_dir)
        try:
            for part in blobs:
                for chunk in part.chunks():
                    writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return writer.finish()

    async def cancel_upload(self, request: Request) -> dict[str, Any]:
        with self.uploads.lock:
            upload = self.pending_upload(request.path_params["upload_id"])
            upload.status = "cancelled"
            upload.parts.clear()
        return self.upload_json(upload, request)

    def upload_json(self, upload: Upload, request: Request) -> dict[str, Any]:
        record = None
        if upload.file_id is not None:
            record = self.store.get(self.namespace(request), upload.file_id)
        return {
            "id": upload.id,
            "object": "upload",
            "bytes": upload.bytes,
            "created_at": int(upload.created_at),
            "expires_at": int(upload.expires_at),
            "filename": upload.filename,
            "purpose": upload.purpose,
            "status": upload.state(self.now()),
            "file": None if record is None else self.record_json(record, request),
        }

    def pending_upload(self, upload_id: str) -> Upload:
        upload = self.uploads.get(upload_id)
        if upload is None:
            raise NotFound(f"No such Upload object: {upload_id}", param="upload_id",
                           location="path")
        state = upload.state(self.now())
        if state != "pending":
            raise InvalidParam(
                f"Upload {upload_id} is {state}; only pending uploads accept this.",
                param="upload_id", location="path",
            )
        return upload

    # -- helpers shared with the impala dialect ----------------------------------------------

    def check_content(self, filename: str, purpose: str, blob: Blob) -> None:
        if blob.size == 0:
            raise InvalidParam("The file is empty; upload at least one byte.", param="file")
        if purpose in self.jsonl_only_purposes and not filename.lower().endswith(".jsonl"):
            raise invalid_format(purpose)
        self.check_batch_size(purpose, blob)

    def check_batch_size(self, purpose: str, blob: Blob) -> None:
        limit = self.batch_max_bytes
        if purpose == "batch" and limit is not None and blob.size > limit:
            raise InvalidParam(
                f"File is too large for the Batch API: {blob.size} bytes; the limit is "
                f"{limit} bytes.", param="file",
            )

    def check_mime_type(self, mime_type: str, purpose: str) -> None:
        allowed = UPLOAD_MIME_TYPES.get(purpose)
        if allowed is None:
            return
        base = mime_type.split(";", 1)[0].strip().lower()
        if base not in allowed:
            raise InvalidParam(
                f"Invalid mime_type '{mime_type}' for purpose '{purpose}'. Supported: "
                f"{', '.join(sorted(allowed))}.", param="mime_type", input=mime_type,
            )

    def refuse_unknown(self, names: Any, allowed: frozenset[str]) -> None:
        """400 for the first field the published request schema does not define."""
        if not self.closed_request_bodies:
            return
        for name in names:
            if name not in allowed:
                raise InvalidParam(f"Unrecognized request argument supplied: {name}")

    def parse_expires_after(self, anchor: Any, seconds: Any) -> int | None:
        if anchor is None and seconds is None:
            return None
        if anchor != "created_at":
            raise InvalidParam(
                f"Invalid 'expires_after.anchor': expected 'created_at', got {anchor!r}.",
                param="expires_after.anchor",
            )
        value = parse_int(
            None if seconds is None else str(seconds), "expires_after.seconds",
            EXPIRES_MIN, EXPIRES_MAX, None, location="body",
        )
        if value is None:
            raise missing("expires_after.seconds")
        return value

    async def store_file(
        self, request: Request, filename: str, purpose: str, blob: Blob, content_type: str,
        expires_after: int | None,
    ) -> FileRecord:
        blob = await self.on_disk(blob)
        return self.store_file_now(request, filename, purpose, blob, content_type,
                                   expires_after)

    def store_file_now(
        self, request: Request, filename: str, purpose: str, blob: Blob, content_type: str,
        expires_after: int | None,
    ) -> FileRecord:
        now = self.now()
        if expires_after is None:
            expires_after = self.default_expiry.get(purpose)
        record = FileRecord(
            id=ids.openai_style("file-"), namespace=self.namespace(request), filename=filename,
            purpose=purpose, created_at=now, blob=blob, content_type=content_type,
            expires_at=None if expires_after is None else now + expires_after,
        )
        return self.store.put(record)


@dataclass
class Part:
    id: str
    upload_id: str
    created_at: float
    blob: Blob


@dataclass
class Upload:
    id: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: float
    expires_at: float
    file_expires_after: int | None
    status: str = "pending"
    file_id: str | None = None
    parts: dict[str, Part] = field(default_factory=dict)

    def state(self, now: float) -> str:
        if self.status == "pending" and now >= self.expires_at:
            return "expired"
        return self.status


class Uploads:
    """Upload sessions in progress; a lock keeps parts, complete and cancel consistent.

    An Upload that expires (by the fake's clock) drops its parts at the next access, so a
    long-running sidecar does not keep their content (temp files) for ever; the Upload itself
    stays, small, so that a late request still hears it expired.
    """

    def __init__(self, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._uploads: dict[str, Upload] = {}
        self._expiry: list[tuple[float, str]] = []  # heap of (expires_at, upload id)

    def add(self, upload: Upload) -> None:
        with self.lock:
            self._purge_expired()
            self._uploads[upload.id] = upload
            heapq.heappush(self._expiry, (upload.expires_at, upload.id))

    def get(self, upload_id: str) -> Upload | None:
        with self.lock:
            self._purge_expired()
            return self._uploads.get(upload_id)

    def _purge_expired(self) -> None:
        if not self._expiry or self._expiry[0][0] > (now := self.clock.now()):
            return
        while self._expiry and self._expiry[0][0] <= now:
            _, upload_id = heapq.heappop(self._expiry)
            upload = self._uploads.get(upload_id)
            if upload is not None and upload.state(now) == "expired":
                upload.status = "expired"
                upload.parts.clear()


def invalid_format(purpose: str) -> InvalidParam:
    api = "Batch API" if purpose == "batch" else "Fine-Tuning API"
    return InvalidParam(f"Invalid file format for {api}. Must be .jsonl", param="file")


def _single(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidParam(f"Expected one '{name}' field, got {len(values)}.", param=name)
    return values[0]

