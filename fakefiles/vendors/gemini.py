"""Google Gemini Files API, as ``google-genai``'s ``client.files`` speaks it (``/gemini``).

Both API versions are served under the mount, ``/{v1,v1beta}/files…`` and
``/upload/{v}/files`` (3.x defaults to v1, 2.x and the JS SDK to v1beta). The wire is
described, with its evidence, in ``docs/vendors/gemini.md``; the points where the real
service, not a guess, decided the behaviour:

* A missing, deleted or expired file is **403 PERMISSION_DENIED** "You do not have permission
  to access the File … or it may not exist." (public threads; no 404 for ``files/…``).
* A missing key is 403 "Method doesn't allow unregistered callers…"; an unknown one 400
  ``INVALID_ARGUMENT`` "API key not valid…" with the ``API_KEY_INVALID`` ErrorInfo detail.
* The resumable upload: the start request answers an absolute ``x-goog-upload-url`` back to
  this server (the Python SDK posts the bytes to it verbatim); the bytes requests carry no
  key (the upload id is the credential); **every** reply to them, errors included, carries
  ``x-goog-upload-status`` — without it the SDK re-sends the chunk with 1, 2 and 4 s sleeps.
* Only 200 is success to the SDK, so no 201 or 204 anywhere; delete answers ``{}``.
* Uploaded files cannot be downloaded (400 ``INVALID_ARGUMENT``; the exact real answer is
  undocumented); ``GENERATED`` files from fixtures can, and have a ``downloadUri``.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .. import links
from ..blobs import BlobWriter
from ..bodies import read_json, stream_body
from ..errors import FakeFilesError, InvalidParam, NotFound, Unauthorized
from ..mediatypes import guess_content_type
from ..store import DuplicateId, FileRecord
from .base import DataResponse, Vendor, bearer_key, download_response
from .gemini_info import INFO, TTL, GeminiOptions
from .info import VendorInfo

VERSIONS = ("v1", "v1beta")
MAX_FILE_BYTES = 2 * 1024**3  # "each file not exceeding 2 GB in size" (Files API guide)
CHUNK_GRANULARITY = 8 * 1024 * 1024  # the SDK's CHUNK_SIZE; the real start reply says so too
SESSION_TTL = 7 * 24 * 3600  # resumable sessions last a week on Google's upload service
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 10, 100  # API reference, "Method: files.list"
NAME_RULE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")  # types.File.name's rule
UPLOAD_STATUS = "x-goog-upload-status"

# google.rpc codes by HTTP status (the ``status`` string of the error envelope).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
    404: "NOT_FOUND", 408: "DEADLINE_EXCEEDED", 409: "ALREADY_EXISTS", 413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
NO_KEY = ("Method doesn't allow unregistered callers (callers without established identity). "
          "Please use API Key or other form of API consumer identity to call this API.")
BAD_KEY = "API key not valid. Please pass a valid API key."
KEY_INVALID_DETAILS = [
    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
     "domain": "googleapis.com",
     "metadata": {"service": "generativelanguage.googleapis.com"}},
    {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
     "message": BAD_KEY},
]


class Gemini(Vendor):
    info: ClassVar[VendorInfo] = INFO
    console_upload: ClassVar[bool] = False  # the resumable upload is two requests

    def __init__(self, fake: Any) -> None:
        super().__init__(fake)
        self.sessions = UploadSessions()
        self.processing_seconds = 0.0

    def routes(self) -> list[BaseRoute]:
        return [
            self.route("/upload/{version}/files", self.upload, "POST"),
            self.route("/{version}/files", self.list_files, "GET"),
            self.route("/{version}/files/{file_id}:download", self.download, "GET"),
            self.route("/download/{version}/files/{file_id}:download", self.download, "GET"),
            self.route("/{version}/files/{file_id}", self.get_file, "GET"),
            self.route("/{version}/files/{file_id}", self.delete_file, "DELETE"),
        ]

    def reset(self) -> None:
        self.sessions = UploadSessions()
        self.processing_seconds = 0.0

    def load(self, data: list[Any]) -> tuple[str, ...]:
        for options in data:
            if isinstance(options, GeminiOptions):
                self.processing_seconds = options.processing_seconds
        return ()

    # -- keys ----------------------------------------------------------------------------

    @staticmethod
    def api_key(request: Request) -> str | None:
        """``x-goog-api-key``, else ``?key=`` (REST users and browser links use the latter),
        else a bearer token: Google APIs take an OAuth access token as ``Authorization:
        Bearer``, and that is how the plugin's ``http()`` and the web console send a key."""
        return (request.headers.get("x-goog-api-key") or request.query_params.get("key")
                or bearer_key(request))

    def authenticate(self, request: Request) -> None:
        # The bytes of a resumable upload come without a key: the upload id is the
        # credential, checked by the handler against the open sessions.
        if "upload_id" in request.query_params:
            return
        super().authenticate(request)

    def unauthorized(self, key: str | None) -> Unauthorized:
        if key is None:
            return Unauthorized(NO_KEY, status=403, kind="missing")
        return Unauthorized(BAD_KEY, status=400, kind="api_key_invalid")

    def not_found(self, file_id: str) -> NotFound:
        # The real service answers 403, not 404, for a file that is missing, deleted or past
        # its 48 hours (docs/vendors/gemini.md §6).
        return NotFound(
            f"You do not have permission to access the File {file_id} or it may not exist.",
            status=403, param="name", location="path",
        )

    # -- wire shapes ---------------------------------------------------------------------

    def render_error(self, err: FakeFilesError) -> Response:
        error: dict[str, Any] = {
            "code": err.status, "message": err.message,
            "status": STATUS_NAMES.get(err.status, "UNKNOWN"),
        }
        if err.kind == "api_key_invalid":
            error["details"] = KEY_INVALID_DETAILS
        # Every error carries the upload status: on the upload URL the SDK re-sends a chunk
        # for ~7 s when it is missing; elsewhere the SDK ignores it.
        headers = {UPLOAD_STATUS: "final", **err.headers}
        return JSONResponse({"error": error}, status_code=err.status, headers=headers,
                            media_type="application/json; charset=UTF-8")

    def record_json(self, record: FileRecord, request: Request | None = None) -> dict[str, Any]:
        version = "v1beta"
        base = ""
        if request is not None:
            version = request.path_params.get("version", version)
            base = links.origin(request) + request.scope.get("root_path", "")
        extra = record.extra
        now = self.now()
        state = extra.get("state", "ACTIVE")
        ready_at = extra.get("ready_at")
        updated = record.created_at
        if state == "PROCESSING" and ready_at is not None and now >= ready_at:
            state, updated = "ACTIVE", ready_at
        body: dict[str, Any] = {"name": "files/" + record.id}
        if "display_name" in extra:
            body["displayName"] = extra["display_name"]
        body |= {
            "mimeType": record.content_type,
            "sizeBytes": str(record.size),  # int64: a string in proto JSON
            "createTime": timestamp(record.created_at),
            "updateTime": timestamp(updated),
            "expirationTime": timestamp(record.expires_at if record.expires_at is not None
                                        else record.created_at + TTL),
            "sha256Hash": base64.b64encode(bytes.fromhex(record.sha256)).decode(),
            "uri": f"{base}/{version}/files/{record.id}",
        }
        if record.purpose == "GENERATED":
            body["downloadUri"] = f"{base}/{version}/files/{record.id}:download?alt=media"
        body["state"] = state
        body["source"] = record.purpose
        if state == "FAILED":
            body["error"] = {"code": 13, "message": extra.get("error_message",
                                                               "The file could not be processed.")}
        return body

    # -- files ---------------------------------------------------------------------------

    async def get_file(self, request: Request) -> dict[str, Any]:
        check_version(request)
        return self.record_json(self.get_record(request), request)

    async def delete_file(self, request: Request) -> dict[str, Any]:
        check_version(request)
        file_id = request.path_params["file_id"]
        if self.store.delete(self.namespace(request), file_id) is None:
            raise self.not_found(file_id)
        return {}

    async def list_files(self, request: Request) -> dict[str, Any]:
        check_version(request)
        query = request.query_params
        page_size = parse_page_size(query.get("pageSize"))
        namespace = self.namespace(request)
        after = None
        token = query.get("pageToken")
        if token:
            after = decode_token(token)
            if after is None or not self.store.cursor_known(namespace, after):
                raise InvalidParam("Invalid page token.", param="pageToken", location="query")
        page = self.store.page(namespace, limit=page_size, order="desc", after=after)
        body: dict[str, Any] = {}
        if page.records:  # proto JSON leaves out an empty list
            body["files"] = [self.record_json(record, request) for record in page.records]
        if page.has_more:
            body["nextPageToken"] = encode_token(page.records[-1].id)
        return body

    async def download(self, request: Request) -> Response:
        check_version(request)
        record = self.get_record(request)
        if record.purpose != "GENERATED":
            raise InvalidParam("Only generated files can be downloaded; uploaded files can't "
                               "be downloaded.", param="name", location="path")
        return download_response(record.blob, record.filename, record.content_type)

    # -- the resumable upload ------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        check_version(request)
        upload_id = request.query_params.get("upload_id")
        if upload_id is None:
            return await self.start_upload(request)
        return await self.upload_bytes(request, upload_id)

    def max_bytes(self) -> int:
        return min(MAX_FILE_BYTES, self.fake.settings.max_upload_bytes)

    async def start_upload(self, request: Request) -> Response:
        headers = request.headers
        protocol = headers.get("x-goog-upload-protocol", "").strip().lower()
        if protocol != "resumable":
            raise InvalidParam(
                "fakefiles serves the resumable upload protocol only: send "
                "'X-Goog-Upload-Protocol: resumable' and 'X-Goog-Upload-Command: start'.",
                param="X-Goog-Upload-Protocol", location="header")
        if "start" not in upload_commands(headers.get("x-goog-upload-command")):
            raise InvalidParam("The first request of a resumable upload must send "
                               "'X-Goog-Upload-Command: start'.",
                               param="X-Goog-Upload-Command", location="header")
        body = await read_json(request, self.limits)
        if body is None:
            body = {}
        if not isinstance(body, dict) or not isinstance(body.get("file", {}), dict):
            raise InvalidParam("The request body must be a JSON object {\"file\": {...}}.",
                               param="file")
        meta: dict[str, Any] = body.get("file") or {}
        # Protobuf JSON reads the proto field name and its lowerCamelCase alike: the Python
        # SDK sends snake_case, the JS SDK camelCase with sizeBytes as a string.
        size = parse_size(headers.get("x-goog-upload-header-content-length"),
                          pick(meta, "size_bytes", "sizeBytes"))
        if size is not None and size > self.max_bytes():
            raise InvalidParam(f"The file is {size} bytes; the limit is {self.max_bytes()} "
                               "bytes.", param="file.size_bytes")
        display_name = pick(meta, "display_name", "displayName")
        if display_name is not None and (not isinstance(display_name, str)
                                         or len(display_name) > 512):
            raise InvalidParam("file.display_name must be a string of at most 512 characters.",
                               param="file.display_name")
        file_id = self.requested_id(request, pick(meta, "name"))
        mime_type = headers.get("x-goog-upload-header-content-type") or pick(
            meta, "mime_type", "mimeType")
        if mime_type is not None and not isinstance(mime_type, str):
            raise InvalidParam("file.mime_type must be a string.", param="file.mime_type")
        filename = display_name or headers.get("x-goog-upload-file-name") or file_id or "file"
        session = UploadSession(
            id=secrets.token_urlsafe(32), namespace=self.namespace(request), file_id=file_id,
            display_name=display_name, filename=filename,
            mime_type=mime_type or guess_content_type(filename, None),
            size=size, created_at=self.now(),
            writer=BlobWriter(self.limits.spool_threshold),
        )
        self.sessions.add(session)
        version = request.path_params["version"]
        url = (f"{links.origin(request)}{request.scope.get('root_path', '')}/upload/{version}"
               f"/files?upload_id={session.id}&upload_protocol=resumable")
        return Response(headers={
            "x-goog-upload-url": url, UPLOAD_STATUS: "active",
            "x-goog-upload-chunk-granularity": str(CHUNK_GRANULARITY),
        })

    def requested_id(self, request: Request, name: Any) -> str | None:
        """The id a client chose (``files/<id>`` or ``<id>``), checked; None: we pick."""
        if name is None or name == "":
            return None
        if not isinstance(name, str):
            raise InvalidParam("file.name must be a string.", param="file.name")
        file_id = name.removeprefix("files/")
        if not NAME_RULE.fullmatch(file_id):
            raise InvalidParam(
                f"Invalid file name '{name[:100]}': the id after 'files/' is 1 to 40 "
                "characters of lowercase letters, digits and dashes, not starting or ending "
                "with a dash.", param="file.name")
        if self.store.get(self.namespace(request), file_id) is not None:
            raise FakeFilesError(f"File files/{file_id} already exists.", status=409,
                                 param="file.name")
        return file_id

    async def upload_bytes(self, request: Request, upload_id: str) -> Response:
        session = self.sessions.get(upload_id, self.now())
        if session is None:
            raise NotFound("No such upload session: it was finalized, cancelled or never "
                           "started.", param="upload_id", location="query")
        commands = upload_commands(request.headers.get("x-goog-upload-command"))
        if "cancel" in commands:
            self.sessions.drop(session)
            return Response(headers={UPLOAD_STATUS: "cancelled"})
        if "query" in commands:
            return Response(headers={UPLOAD_STATUS: "active",
                                     "x-goog-upload-size-received": str(session.received)})
        if not commands & {"upload", "finalize"}:
            raise InvalidParam("X-Goog-Upload-Command must be 'upload', 'upload, finalize', "
                               "'finalize', 'query' or 'cancel'.",
                               param="X-Goog-Upload-Command", location="header")
        try:
            await self.receive_chunk(request, session, commands)
        except FakeFilesError:
            self.sessions.drop(session)  # the reply says "final": the session is over
            raise
        if "finalize" not in commands:
            return Response(headers={UPLOAD_STATUS: "active"})
        record = self.finish(session)
        return DataResponse({"file": self.record_json(record, request)},
                            headers={UPLOAD_STATUS: "final"})

    async def receive_chunk(self, request: Request, session: UploadSession,
                            commands: set[str]) -> None:
        offset = request.headers.get("x-goog-upload-offset")
        if offset is not None and offset.strip() != str(session.received):
            raise InvalidParam(f"X-Goog-Upload-Offset is {offset[:30]!r} but "
                               f"{session.received} bytes were received so far.",
                               param="X-Goog-Upload-Offset", location="header")
        limit = session.size if session.size is not None else self.max_bytes()
        if "upload" in commands:
            async for chunk in stream_body(request, self.limits):
                if session.received + len(chunk) > limit:
                    raise InvalidParam(f"The upload is larger than its {limit} bytes.",
                                       param="file")
                session.writer.write(chunk)
                session.received += len(chunk)

    def finish(self, session: UploadSession) -> FileRecord:
        if session.size is not None and session.received != session.size:
            self.sessions.drop(session)
            raise InvalidParam(f"The upload was finalized after {session.received} bytes but "
                               f"declared {session.size}.", param="file")
        self.sessions.drop(session, discard=False)
        blob = session.writer.finish()
        now = self.now()
        extra: dict[str, Any] = {"state": "ACTIVE"}
        if self.processing_seconds > 0:
            extra = {"state": "PROCESSING", "ready_at": now + self.processing_seconds}
        if session.display_name is not None:
            extra["display_name"] = session.display_name
        while True:
            record = FileRecord(
                id=session.file_id or INFO.new_id(_random, now), namespace=session.namespace,
                filename=session.filename, purpose="UPLOADED", created_at=now, blob=blob,
                content_type=session.mime_type, expires_at=now + TTL, extra=extra,
            )
            try:
                return self.store.put(record)
            except DuplicateId:
                if session.file_id is not None:  # taken between start and finalize
                    raise FakeFilesError(f"File files/{session.file_id} already exists.",
                                         status=409, param="file.name") from None


@dataclass
class UploadSession:
    id: str
    namespace: str
    file_id: str | None
    display_name: str | None
    filename: str
    mime_type: str
    size: int | None  # declared; None: whatever arrives before finalize
    created_at: float
    writer: BlobWriter
    received: int = 0
    done: bool = False


class UploadSessions:
    """Resumable upload sessions in progress, by upload id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, UploadSession] = {}

    def add(self, session: UploadSession) -> None:
        with self._lock:
            self._sessions[session.id] = session

    def get(self, upload_id: str, now: float) -> UploadSession | None:
        with self._lock:
            session = self._sessions.get(upload_id)
            if session is not None and now - session.created_at > SESSION_TTL:
                self._drop(session, discard=True)
                return None
            return session

    def drop(self, session: UploadSession, discard: bool = True) -> None:
        with self._lock:
            self._drop(session, discard)

    def _drop(self, session: UploadSession, discard: bool) -> None:
        self._sessions.pop(session.id, None)
        if discard and not session.done:
            session.done = True
            session.writer.discard()


_random = random.Random()  # ids need not be secret; the upload id is (secrets)


def timestamp(epoch: float) -> str:
    """RFC 3339 in UTC with microseconds and ``Z``, as proto JSON's Timestamp."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_version(request: Request) -> None:
    version = request.path_params.get("version")
    if version not in VERSIONS:
        raise NotFound(f"Invalid URL ({request.method} {request.url.path}): the API version is "
                       f"one of {', '.join(VERSIONS)}.")


def upload_commands(header: str | None) -> set[str]:
    """``"upload, finalize"`` → ``{"upload", "finalize"}``."""
    return {part.strip().lower() for part in (header or "").split(",") if part.strip()}


def pick(meta: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in meta:
            return meta[name]
    return None


def parse_size(header: str | None, body_size: Any) -> int | None:
    """The declared size: the header, else the body's size_bytes (a number, or a string as
    proto JSON writes int64); None when neither says."""
    raw = header if header is not None else body_size
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise InvalidParam("file.size_bytes must be an integer.", param="file.size_bytes")
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise InvalidParam(f"Invalid file size {text[:30]!r}: expected a non-negative integer.",
                           param="file.size_bytes")
    return int(text)


def parse_page_size(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    text = raw.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 20:
        raise InvalidParam(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw[:50]}\"",
                           param="pageSize", location="query")
    value = int(text)
    # Google's list methods clamp: <= 0 means the default, more than the maximum the maximum.
    return DEFAULT_PAGE_SIZE if value <= 0 else min(value, MAX_PAGE_SIZE)


def encode_token(file_id: str) -> str:
    return base64.urlsafe_b64encode(file_id.encode()).decode().rstrip("=")


def decode_token(token: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
