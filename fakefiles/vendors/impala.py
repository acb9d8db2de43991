"""impala.ai: the OpenAI Files API in a FastAPI dialect (``/impala/v1``).

Shapes follow seed 001 (``FileObjectModel``, ``ErrorResponseModel``, ``HTTPValidationError``):
``expires_at`` is always present (``null`` when none), there is no ``status``, upload purposes
have no ``evals``, the list ``purpose`` filter is an enum, and request validation errors are
FastAPI 422 bodies whose items carry exactly ``loc``, ``msg`` and ``type``. There is no
Uploads API and no 30-day default expiry for batch files.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..errors import FakeFilesError, InvalidParam, NotFound, Unauthorized
from ..store import FileRecord
from .impala_info import INFO, RESPONSE_PURPOSES, UPLOAD_PURPOSES
from .info import VendorInfo
from .openai import OpenAI


class Impala(OpenAI):
    info: ClassVar[VendorInfo] = INFO
    upload_purposes: ClassVar[tuple[str, ...]] = UPLOAD_PURPOSES
    list_purposes: ClassVar[tuple[str, ...] | None] = RESPONSE_PURPOSES
    jsonl_only_purposes: ClassVar[tuple[str, ...]] = ()
    default_expiry: ClassVar[dict[str, int]] = {}
    keys_page: ClassVar[str | None] = None  # its 401s: OpenAI's wording, no OpenAI link
    # impala's published OpenAPI document declares `security: []` and no per-route security,
    # and its docs' curl examples (docs.getimpala.ai "Run your first batch", "Upload File")
    # send no Authorization: the real service wants no key, so neither does --auth permissive.
    key_required: ClassVar[bool] = False

    def routes(self) -> list[BaseRoute]:
        return self.file_routes()  # OpenAI's /files routes; impala has no Uploads API

    def record_json(self, record: FileRecord, request: Request | None = None) -> dict[str, Any]:
        return {
            "id": record.id,
            "object": "file",
            "bytes": record.size,
            "created_at": int(record.created_at),
            "expires_at": None if record.expires_at is None else int(record.expires_at),
            "filename": record.filename,
            "purpose": record.purpose,
        }

    def render_error(self, err: FakeFilesError) -> Response:
        if err.status == 422 or (isinstance(err, InvalidParam) and err.status == 400):
            # FastAPI request validation: 422 with loc/msg/type only (seed 001 has no input/ctx).
            loc = [err.location] if err.param is None else [err.location, *err.param.split(".")]
            item = {"loc": loc, "msg": err.message, "type": err.kind}
            return JSONResponse({"detail": [item]}, status_code=422, headers=err.headers)
        kind = "not_found_error" if err.status == 404 else (
            "server_error" if err.status >= 500 else "invalid_request_error"
        )
        wrong_key = isinstance(err, Unauthorized) and err.kind != "missing"
        code = "invalid_api_key" if wrong_key else None
        body = {"error": {"message": err.message, "type": kind, "param": err.param, "code": code}}
        return JSONResponse(body, status_code=err.status, headers=err.headers)

    def not_found(self, file_id: str) -> NotFound:
        return NotFound(f"File not found: {file_id}", param="file_id", location="path")
