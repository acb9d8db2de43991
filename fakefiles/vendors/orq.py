"""orq.ai Files API v2, as ``orq-ai-sdk`` 4.17.13 speaks it (``/orq/v2``, bare ``/v2``).

The SDK appends ``/v2`` itself, so its ``server_url`` is ``{origin}/orq`` (or the bare origin).
Shapes follow seed 002 (``File``) and ``shared/vendors/orq.md``:

* uploads are JSON with base64 ``content`` (multipart also works, for curl and browsers), and
  answer **200** ``{"file": File}`` — the SDK refuses 201;
* ``bytes`` is a decimal string and ``created_at`` RFC 3339 with milliseconds and ``Z``;
* delete answers 200 ``{}`` (the SDK refuses 204 and empty bodies);
* content is a signed ``download_url`` on this server, never the bytes;
* errors are gRPC-status bodies ``{"message", "code", "details": []}``.

Projects: every API key maps to one or more projects (``Orq.projects_for``; the first is its
default) and each project is its own store namespace, ``orq/{project_id}``. A file is only
visible through a key of its project; to any other key it does not exist (404). Fixtures
declare projects (``orq_info.OrqProject``); a key no fixture names gets a project derived
from the key.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import random
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .. import ids, links
from ..blobs import Blob, BlobWriter
from ..bodies import BodyLimits, read_json, read_multipart
from ..errors import (
    FakeFilesError,
    Forbidden,
    InvalidParam,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from ..mediatypes import guess_content_type, is_media_type
from ..store import FileRecord
from .base import Vendor, check_filename, parse_int
from .info import VendorInfo
from .orq_info import DEFAULT_PURPOSE, INFO, PURPOSES, OrqProject, canonical_purpose, namespace_for

# The enum's numbers, in the published FilePurpose order (orq-files.openapi.yaml): 0 is
# FILE_PURPOSE_UNSPECIFIED.
PURPOSE_NUMBERS = dict(enumerate(("FILE_PURPOSE_UNSPECIFIED", *PURPOSES)))
DEFAULT_LIMIT, MAX_LIMIT = 10, 200
JSON_SLACK = 64 * 1024  # room in a JSON upload for everything but the base64 content

# HTTP status -> gRPC status code, as a grpc-gateway in front of orq's services maps them.
# Every 5xx is INTERNAL (13); a status not listed here is UNKNOWN (2).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 408: 4, 409: 6, 413: 8, 415: 3,
              422: 3, 429: 8}
UNKNOWN, INTERNAL = 2, 13


@functools.lru_cache(maxsize=8192)
def iso_ms(epoch: float) -> str:
    """``2025-01-02T03:04:05.123Z`` (cached: every list renders the same files again)."""
    created = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return created.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=4096)
def derived_project(key: str) -> str:
    """The project of a key no fixture names (cached: seeding a Random costs ~10 µs a request)."""
    digest = hashlib.sha256(key.encode()).digest()
    return "proj_" + ids.ulid(1_700_000_000 + digest[0], random.Random(digest))


class Orq(Vendor):
    info: ClassVar[VendorInfo] = INFO
    upload_purposes: ClassVar[tuple[str, ...]] = PURPOSES
    rename_field: ClassVar[str | None] = "file_name"

    def __init__(self, fake: Any) -> None:
        super().__init__(fake)
        self._lock = threading.Lock()
        self._keys: dict[str, list[str]] = {}  # api key -> project ids, from seeds

    def routes(self) -> list[BaseRoute]:
        return [
            self.route("/files", self.create_file, "POST"),
            self.route("/files", self.list_files, "GET"),
            # get_content takes a "File ID or path used to locate the file content" (published
            # FileContent, path parameter file_id_or_path); the SDK does not escape "/".
            self.route("/files/{file_id:path}/content", self.file_content, "GET"),
            self.route("/files/{file_id:path}", self.get_file, "GET"),
            self.route("/files/{file_id:path}", self.update_file, "PATCH"),
            self.route("/files/{file_id:path}", self.delete_file, "DELETE"),
        ]

    # -- wire shapes ---------------------------------------------------------------------

    def record_json(self, record: FileRecord, request: Request | None = None) -> dict[str, Any]:
        return {
            "file_id": record.id,
            "purpose": record.purpose,
            "file_name": record.filename,
            "bytes": str(record.size),  # proto int64 as protobuf-JSON renders it
            "created_at": iso_ms(record.created_at),
            "project_id": record.owner or record.namespace.removeprefix("orq/"),
        }

    def render_error(self, err: FakeFilesError) -> Response:
        code = INTERNAL if err.status >= 500 else GRPC_CODES.get(err.status, UNKNOWN)
        body = {"message": err.message, "code": code, "details": []}
        return JSONResponse(body, status_code=err.status, headers=err.headers)

    def not_found(self, file_id: str) -> NotFound:
        return NotFound(f"file not found: {file_id}", param="file_id", location="path")

    def unauthorized(self, key: str | None) -> Unauthorized:
        if key is None:
            return Unauthorized("Unauthorized: missing bearer token in the Authorization header.")
        return Unauthorized("Unauthorized: invalid API key.")

    # -- projects ------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._keys.clear()

    def load(self, data: list[Any]) -> Iterable[str]:
        """The fixtures' projects: each key reaches its projects, in the order given."""
        keys: list[str] = []
        with self._lock:
            for project in data:
                assert isinstance(project, OrqProject)
                for key in project.api_keys:
                    projects = self._keys.setdefault(key, [])
                    if project.project_id not in projects:
                        projects.append(project.project_id)
                    keys.append(key)
        return keys

    def projects_for(self, key: str | None) -> list[str]:
        """The orq projects a key may use; the first is its default.

        A key no fixture names gets one project derived from the key, so the same key
        always lands in the same project and two keys never share files by accident.
        """
        with self._lock:
            configured = self._keys.get(key or "")
            if configured:
                return list(configured)
        return [derived_project(key or "")]

    def console_namespaces(self, console_key: str) -> list[tuple[str, str | None]]:
        """Every project: the fixtures' in their order, each with a key whose default it is;
        the one the console's own key lands in (an upload target); then any other stored
        one (a key no fixture names made it: view only)."""
        reach: dict[str, str | None] = {}
        for seed in self.fake.seeds:
            for project in seed.vendor_data.get(self.name, []):
                assert isinstance(project, OrqProject)
                keys = [k for k in project.api_keys
                        if self.projects_for(k)[0] == project.project_id]
                if reach.get(namespace_for(project.project_id)) is None:
                    reach[namespace_for(project.project_id)] = keys[0] if keys else None
        reach.setdefault(namespace_for(self.projects_for(console_key)[0]), console_key)
        for namespace in sorted(self.store.namespaces()):
            if namespace.startswith(namespace_for("")):
                reach.setdefault(namespace, None)
        return list(reach.items())

    def projects(self, request: Request) -> list[str]:
        """The request key's projects, its default first."""
        return self.projects_for(self.api_key(request))

    def namespace(self, request: Request) -> str:
        return namespace_for(self.projects(request)[0])

    def chosen_project(self, request: Request, given: Any, location: str) -> str:
        """``project_id`` from a body or query, or the key's default; 403 if not the key's."""
        projects = self.projects(request)
        if given is None or given == "":
            return projects[0]
        if not isinstance(given, str):
            raise InvalidParam("'project_id' must be a string.", param="project_id",
                               location=location)
        if given not in projects:
            raise Forbidden(
                f"permission denied: this API key has no access to project {given!r}.",
                param="project_id", location=location,
            )
        return given

    def find(self, request: Request) -> FileRecord:
        """The file named in the path, searched in the key's projects only."""
        file_id = request.path_params["file_id"]
        for project in self.projects(request):
            record: FileRecord | None = self.store.get(namespace_for(project), file_id)
            if record is not None:
                return record
        raise self.not_found(file_id)

    def find_by_id_or_path(self, request: Request) -> FileRecord:
        """The content route's ``file_id_or_path``: a file id, a path ending in one
        (``proj_…/file_…``), or the path a file was stored under (its ``file_name``)."""
        value = request.path_params["file_id"]
        projects = [namespace_for(p) for p in self.projects(request)]
        candidates = [value, value.rstrip("/").rsplit("/", 1)[-1]]
        for namespace in projects:
            for candidate in candidates:
                record: FileRecord | None = self.store.get(namespace, candidate)
                if record is not None:
                    return record
        for namespace in projects:
            for record in self.store.records(namespace):
                if record.filename == value:
                    return record
        raise self.not_found(value)

    # -- handlers ------------------------------------------------------------------------

    async def create_file(self, request: Request) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "")
        if content_type.lower().startswith("multipart/form-data"):
            upload = await self.read_form(request)
        else:
            upload = await self.read_upload_json(request)
        if upload.blob.size == 0:
            raise InvalidParam("'content' must not be empty.", param="content")
        blob = await self.on_disk(upload.blob)
        now = self.now()
        record = self.store.put(FileRecord(
            id="file_" + ids.ulid(now), namespace=namespace_for(upload.project),
            filename=upload.filename, purpose=upload.purpose, created_at=now, blob=blob,
            content_type=guess_content_type(upload.filename, upload.content_type),
            owner=upload.project,
        ))
        return {"file": self.record_json(record, request)}

    async def list_files(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        limit = parse_int(query.get("limit"), "limit", 1, MAX_LIMIT, DEFAULT_LIMIT) or DEFAULT_LIMIT
        after = query.get("starting_after") or None
        before = query.get("ending_before") or None
        if after is not None and before is not None:
            raise InvalidParam(
                "'starting_after' and 'ending_before' are mutually exclusive; send one.",
                param="starting_after", location="query",
            )
        raw_purpose = query.get("purpose") or None
        purpose = None if raw_purpose is None else parse_purpose(raw_purpose, "query")
        namespace = namespace_for(self.chosen_project(request, query.get("project_id"), "query"))
        for param, cursor in (("starting_after", after), ("ending_before", before)):
            if cursor is not None and not self.store.cursor_known(namespace, cursor):
                raise InvalidParam(
                    f"invalid '{param}': no file '{cursor}' in this project to page from.",
                    param=param, location="query", input=cursor,
                )
        page = self.store.page(namespace, limit=limit, order="desc", after=after,
                               before=before, purpose=purpose)
        return {
            "object": "list",
            "data": [self.record_json(record, request) for record in page.records],
            "has_more": page.has_more,
        }

    async def get_file(self, request: Request) -> dict[str, Any]:
        return {"file": self.record_json(self.find(request), request)}

    async def update_file(self, request: Request) -> dict[str, Any]:
        record = self.find(request)
        body = await read_json(request, self.limits)
        if not isinstance(body, dict):
            raise InvalidParam("The request body must be a JSON object.", param="body")
        new_name = body.get("file_name")
        if new_name is not None and not isinstance(new_name, str):
            raise InvalidParam("'file_name' must be a string.", param="file_name")
        new_name = check_filename(new_name, "file_name")
        try:
            record = self.store.replace(dataclasses.replace(record, filename=new_name))
        except KeyError:  # deleted while we read the body
            raise self.not_found(record.id) from None
        return {"file": self.record_json(record, request)}

    async def delete_file(self, request: Request) -> dict[str, Any]:
        record = self.find(request)
        if self.store.delete(record.namespace, record.id) is None:
            raise self.not_found(record.id)
        return {}

    async def file_content(self, request: Request) -> dict[str, Any]:
        record = self.find_by_id_or_path(request)
        settings = self.fake.settings
        expires = int(self.now()) + settings.link_ttl
        url = links.signed_url(request, settings.signing_key, record.namespace, record.id,
                               expires)
        return {"download_url": url}

    # -- reading uploads -----------------------------------------------------------------

    async def read_upload_json(self, request: Request) -> Upload:
        """The SDK's upload: ``{filename, content (base64), purpose?, content_type?,
        project_id?}``."""
        limits = self.limits
        max_content = self.fake.settings.max_upload_bytes
        # base64 is 4/3 the size of what it encodes; the other fields get JSON_SLACK.
        json_limits = BodyLimits(
            max_bytes=(max_content + 2) // 3 * 4 + JSON_SLACK,
            spool_threshold=limits.spool_threshold, read_timeout=limits.read_timeout,
            spool_dir=limits.spool_dir,
        )
        try:
            body = await read_json(request, json_limits)
        except PayloadTooLarge:
            raise too_large(max_content) from None
        if not isinstance(body, dict):
            raise InvalidParam("The request body must be a JSON object.", param="body")
        filename = body.get("filename")
        if filename is not None and not isinstance(filename, str):
            raise InvalidParam("'filename' must be a string.", param="filename")
        filename = check_filename(filename)
        content = body.get("content")
        if content is None or content == "":
            raise InvalidParam("'content' is required: the file's bytes, base64-encoded.",
                               param="content", kind="missing")
        if not isinstance(content, str):
            raise InvalidParam("'content' must be a base64 string.", param="content")
        mime = body.get("content_type")
        if mime not in (None, "") and not (isinstance(mime, str) and is_media_type(mime)):
            # it becomes the Content-Type of downloads: no line breaks, no Unicode
            raise InvalidParam("'content_type' must be a MIME type such as 'text/plain'.",
                               param="content_type")
        # Everything cheap is checked before the (possibly large) content is decoded.
        purpose = parse_purpose(body.get("purpose"))
        project = self.chosen_project(request, body.get("project_id"), "body")
        if len(content) // 4 * 3 - 2 > max_content:
            raise too_large(max_content)
        blob = decode_base64(content, limits.spool_threshold, limits.spool_dir)
        if blob.size > max_content:
            raise too_large(max_content)
        return Upload(filename, purpose, project, blob, mime)

    async def read_form(self, request: Request) -> Upload:
        """Raw clients: multipart with a ``file`` part plus ``purpose`` and ``project_id``."""
        form = await read_multipart(request, self.limits)
        files = form.files.get("file", [])
        if len(files) != 1:
            raise InvalidParam(
                "Expected exactly one 'file' part." if files else "'file' is required.",
                param="file", kind="value_error" if files else "missing",
            )
        part = files[0]
        return Upload(
            filename=check_filename(part.filename, "file"),
            purpose=parse_purpose(form.field("purpose") or None),
            project=self.chosen_project(request, form.field("project_id"), "body"),
            blob=part.blob,
            content_type=part.content_type,
        )


@dataclasses.dataclass
class Upload:
    """An upload request, checked and decoded, whichever encoding it came in."""

    filename: str
    purpose: str
    project: str
    blob: Blob
    content_type: str | None


def parse_purpose(raw: Any, location: str = "body") -> str:
    """``FILE_PURPOSE_*`` or its alias (``retrieval``…), any case, or the enum's number.

    protobuf's JSON mapping ("ProtoJSON Format", protobuf.dev) lets parsers take an enum's
    integer value as well as its name; 0 is FILE_PURPOSE_UNSPECIFIED, which proto3 cannot tell
    from an absent field, so it means "omitted": retrieval. We never emit UNSPECIFIED.
    """
    if raw is None:
        return DEFAULT_PURPOSE
    number = raw if isinstance(raw, int) and not isinstance(raw, bool) else (
        int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() else None)
    if number is not None:
        if number == 0:
            return DEFAULT_PURPOSE
        if 1 <= number <= len(PURPOSES):
            return PURPOSE_NUMBERS[number]
    elif isinstance(raw, str):
        if raw.strip().upper() in ("FILE_PURPOSE_UNSPECIFIED", "UNSPECIFIED"):
            return DEFAULT_PURPOSE
        canonical = canonical_purpose(raw)
        if canonical is not None:
            return canonical
    aliases = [p.removeprefix("FILE_PURPOSE_").lower() for p in PURPOSES]
    raise InvalidParam(
        f"invalid 'purpose' {raw!r}: expected one of {', '.join(PURPOSES)} "
        f"(or {', '.join(aliases)}).",
        param="purpose", location=location, kind="enum", input=raw,
    )


def decode_base64(text: str, spool_threshold: int, spool_dir: str | None = None) -> Blob:
    """protobuf ``bytes`` from JSON into a blob, a slice at a time.

    ``content`` is a protobuf ``bytes`` field, and the JSON mapping ("ProtoJSON Format",
    protobuf.dev) accepts "either standard or URL-safe base64 encoding with/without paddings".
    Line breaks are dropped too (``base64`` on the command line wraps at 76 columns; Go's
    decoder behind the gateway ignores CR/LF). Anything else is refused.
    """
    text = text.replace("\r", "").replace("\n", "")
    body = text.rstrip("=")
    padding = len(text) - len(body)
    if padding > 2 or (padding and len(text) % 4) or "=" in body or len(body) % 4 == 1:
        raise bad_base64()
    if "-" in body or "_" in body:
        if "+" in body or "/" in body:  # one alphabet or the other, not both
            raise bad_base64()
        body = body.translate(URL_SAFE_TO_STANDARD)
    body += "=" * (-len(body) % 4)
    writer = BlobWriter(spool_threshold, spool_dir)
    step = 4 * 64 * 1024
    try:
        for start in range(0, len(body), step):
            writer.write(_b64(body[start:start + step]))
    except FakeFilesError:
        writer.discard()
        raise
    return writer.finish()


URL_SAFE_TO_STANDARD = str.maketrans("-_", "+/")


def _b64(chunk: str) -> bytes:
    try:
        return base64.b64decode(chunk, validate=True)
    except (binascii.Error, ValueError):
        raise bad_base64() from None


def bad_base64() -> InvalidParam:
    return InvalidParam("'content' is not valid base64 (standard or URL-safe alphabet).",
                        param="content", kind="value_error")


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file content exceeds the limit of {limit} bytes.",
                           param="content")
