"""The bare reference: a plain Starlette app serving the same Files APIs from dicts.

What a hand-written stub of these APIs costs on the same server settings: the same paths and
wire shapes as fakefiles (records kept as ready-made JSON dicts, per vendor, in creation
order), but no store, no middleware, no journal, no faults, no validation beyond what the
shape needs. Per-request work that the wire shape demands stays per request (VLM Run's
signed ``public_url``, orq's ``download_url``). Uploads go through ``request.form()``, which
spools parts over 1 MiB to disk: the "disk-spooled upload" reference.

``BENCH_REFERENCE_FILES=N uvicorn bench.reference_app:create_app --factory`` holds N files per
vendor (``BENCH_REFERENCE_CONTENT_BYTES`` each), made at start; ``python -m bench.serve_seeded
--app reference`` seeds it the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import random
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

KEY = os.urandom(32)
LINK_TTL = 3600


class Files:
    """One vendor's files: JSON-ready dicts and bytes by id, ids in creation order."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.records: dict[str, dict[str, Any]] = {}
        self.content: dict[str, bytes] = {}
        self.order: list[str] = []
        self.position: dict[str, int] = {}

    def add(self, filename: str, purpose: str, data: bytes, size: int | None = None,
            created_at: float | None = None) -> dict[str, Any]:
        now = time.time() if created_at is None else created_at
        size = len(data) if size is None else size
        iso = datetime.fromtimestamp(now, tz=timezone.utc).isoformat()
        if self.vendor == "vlmrun":
            file_id = str(uuid.uuid4())
            record = {"id": file_id, "filename": filename, "bytes": size, "purpose": purpose,
                      "created_at": iso, "object": "file"}
        elif self.vendor == "anthropic":
            file_id = "file_011C" + os.urandom(10).hex()
            record = {"id": file_id, "type": "file", "filename": filename,
                      "mime_type": "application/octet-stream", "size_bytes": size,
                      "created_at": iso.replace("+00:00", "Z"), "downloadable": False,
                      "expires_at": None}
        elif self.vendor == "orq":
            file_id = "file_" + os.urandom(13).hex().upper()[:26]
            record = {"file_id": file_id, "purpose": purpose, "file_name": filename,
                      "bytes": str(size), "created_at": iso[:23] + "Z", "project_id": "proj_ref"}
        else:
            file_id = "file-" + os.urandom(12).hex()
            record = {"id": file_id, "object": "file", "bytes": size, "created_at": int(now),
                      "filename": filename, "purpose": purpose, "status": "processed"}
        self.records[file_id] = record
        self.content[file_id] = data
        self.position[file_id] = len(self.order)
        self.order.append(file_id)
        return record

    def newest(self, end: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` records before position ``end``, newest first; and whether more."""
        start = max(0, end - limit)
        return [self.records[i] for i in reversed(self.order[start:end])], start > 0


def link(request: Request, vendor: str, file_id: str) -> str:
    expires = int(time.time()) + LINK_TTL
    sig = hmac.new(KEY, f"{vendor}\n{file_id}\n{expires}".encode(), hashlib.sha256).hexdigest()
    origin = f"{request.url.scheme}://{request.headers.get('host')}"
    return f"{origin}/_fakefiles/download/{file_id}?ns={vendor}&expires={expires}&signature={sig}"


def not_found() -> Response:
    return JSONResponse({"error": {"message": "not found"}}, status_code=404)


def vendor_routes(files: Files) -> list[BaseRoute]:
    vendor = files.vendor

    def shaped(request: Request, record: dict[str, Any]) -> dict[str, Any]:
        if vendor == "vlmrun":
            return {**record, "public_url": link(request, vendor, record["id"])}
        return record

    async def retrieve(request: Request) -> Response:
        record = files.records.get(request.path_params["file_id"])
        if record is None:
            return not_found()
        body = shaped(request, record)
        return JSONResponse({"file": body} if vendor == "orq" else body)

    async def list_files(request: Request) -> Response:
        query = request.query_params
        limit = int(query.get("limit", "20"))
        end = len(files.order) - int(query.get("skip", "0"))
        cursor = query.get(CURSORS.get(vendor, "after"))
        if vendor == "gemini":  # pageSize, and the fake's token: the cursor id in base64url
            limit = int(query.get("pageSize", "20"))
            token = query.get("pageToken")
            if token is not None:
                cursor = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if cursor is not None:
            end = files.position[cursor]
        data, has_more = files.newest(end, limit)
        if vendor == "vlmrun":
            return JSONResponse([shaped(request, r) for r in data])
        if vendor == "anthropic":
            return JSONResponse({"data": data, "first_id": data[0]["id"] if data else None,
                                 "last_id": data[-1]["id"] if data else None,
                                 "has_more": has_more, "next_page": None})
        body: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more}
        if vendor != "orq":
            body["first_id"] = data[0]["id"] if data else None
            body["last_id"] = data[-1]["id"] if data else None
        return JSONResponse(body)

    async def content(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        if file_id not in files.records:
            return not_found()
        if vendor == "orq":
            return JSONResponse({"download_url": link(request, vendor, file_id)})
        return Response(files.content[file_id], media_type="application/octet-stream",
                        headers={"content-disposition": 'attachment; filename="file.bin"'})

    async def upload(request: Request) -> Response:
        if vendor == "orq":
            body = await request.json()
            data = base64.b64decode(body["content"])
            record = files.add(body["filename"], body.get("purpose", "retrieval"), data)
            return JSONResponse({"file": record})
        async with request.form(max_part_size=1024 * 1024) as form:
            part = form.get("file")
            purpose = request.query_params.get("purpose") or form.get("purpose")
            if vendor == "anthropic":  # Anthropic files have no purpose
                purpose = "file"
            if not isinstance(part, UploadFile) or not isinstance(purpose, str):
                return JSONResponse({"error": {"message": "file and purpose"}}, status_code=400)
            if part.size is not None and part.size > 1024 * 1024:
                # Large: the part stays in its spooled temp file; only its size is kept.
                record = files.add(part.filename or "upload", purpose, b"", size=part.size)
            else:
                record = files.add(part.filename or "upload", purpose, await part.read())
        return JSONResponse(shaped(request, record), status_code=201 if vendor == "vlmrun" else 200)

    return [
        Route("/files", list_files, methods=["GET"]),
        Route("/files", upload, methods=["POST"]),
        Route("/files/{file_id}", retrieve, methods=["GET"]),
        Route("/files/{file_id}/content", content, methods=["GET"]),
    ]


PREFIXES = {"openai": "/openai/v1", "impala": "/impala/v1", "vlmrun": "/vlmrun/v1",
            "orq": "/orq/v2", "anthropic": "/anthropic/v1", "gemini": "/gemini"}
CURSORS = {"orq": "starting_after", "anthropic": "after_id"}  # list cursor parameter
# Gemini's paths carry the API version after the prefix (the bench drives v1beta).
SUBPATHS = {"gemini": "/v1beta"}


def seed(files: Files, count: int, content_bytes: int, rng: random.Random,
         distinct: bool = False) -> tuple[str, str]:
    """``count`` files of ``content_bytes`` each; (newest id, id at the middle position)."""
    shared = rng.randbytes(content_bytes)
    start = 1_700_000_000.0
    for i in range(count):
        data = rng.randbytes(content_bytes) if distinct else shared
        files.add(f"file-{i}.bin", "vision", data, created_at=start + i)
    order = files.order
    return order[-1], order[len(order) - 1 - min(count // 2, max(count - 1, 0))]


def create_app() -> Starlette:
    vendors = {name: Files(name) for name in PREFIXES}
    count = int(os.environ.get("BENCH_REFERENCE_FILES") or 0)
    rng = random.Random(1234)
    for files in vendors.values() if count else ():
        seed(files, count, int(os.environ.get("BENCH_REFERENCE_CONTENT_BYTES") or 1024), rng)

    async def download(request: Request) -> Response:
        query = request.query_params
        files = vendors.get(query.get("ns", ""))
        file_id = request.path_params["file_id"]
        message = f"{query.get('ns')}\n{file_id}\n{query.get('expires')}".encode()
        expected = hmac.new(KEY, message, hashlib.sha256).hexdigest()
        if files is None or not hmac.compare_digest(expected, query.get("signature", "")):
            return JSONResponse({"detail": "bad link"}, status_code=403)
        if file_id not in files.content:
            return not_found()
        return Response(files.content[file_id], media_type="application/octet-stream")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [
        Route("/", health), Route("/health", health),
        Route("/_fakefiles/download/{file_id}", download),
    ]
    routes += [Mount(PREFIXES[name] + SUBPATHS.get(name, ""), routes=vendor_routes(f))
               for name, f in vendors.items()]
    app = Starlette(routes=routes)
    app.state.vendors = vendors
    return app
