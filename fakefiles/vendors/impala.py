"""impala.ai: the OpenAI Files API in a FastAPI dialect (``/impala/v1``).

Shapes follow seed 001 (``FileObjectModel``, ``ErrorResponseModel``, ``HTTPValidationError``):
``expires_at`` is always present (``null`` when none), there is no ``status``, the list
``purpose`` filter is an enum, and request validation errors are
FastAPI 422 bodies whose items carry exactly ``loc``, ``msg`` and ``type``. There is no
Uploads API. Where impala's published API reference (docs.getimpala.ai) differs from the seed
we follow the reference: ``evals`` is an upload purpose, batch files expire after 30 days, and
the 422 ``msg`` texts are FastAPI's (pydantic v2: ``Field required``, ``Input should be …``).
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
    # "By default, files with purpose=batch expire after 30 days" (docs.getimpala.ai, "Upload
    # File"), as on OpenAI; seed 001 said never.
    default_expiry: ClassVar[dict[str, int]] = {"batch": 30 * 24 * 3600}
    undownloadable_purposes: ClassVar[tuple[str, ...]] = ()
    closed_request_bodies: ClassVar[bool] = False  # FastAPI forms ignore extra fields
    batch_max_bytes: ClassVar[int | None] = None
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
            item = {"loc": loc, "msg": pydantic_message(err), "type": err.kind}
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


def pydantic_message(err: FakeFilesError) -> str:
    """The ``msg`` pydantic v2 writes for ``err.kind``; impala is FastAPI, so its 422 items read
    ``Field required`` / ``Input should be …``, not OpenAI's sentences. A kind pydantic has no
    fixed text for (a custom check) keeps the handler's message, as ``Value error, …``."""
    ctx = err.ctx or {}
    if err.kind == "missing":
        return "Field required"
    if err.kind in ("enum", "literal_error") and "expected" in ctx:
        return f"Input should be {_either(str(ctx['expected']))}"
    if err.kind == "int_parsing":
        return "Input should be a valid integer, unable to parse string as an integer"
    if err.kind == "greater_than_equal" and "ge" in ctx:
        return f"Input should be greater than or equal to {ctx['ge']}"
    if err.kind == "less_than_equal" and "le" in ctx:
        return f"Input should be less than or equal to {ctx['le']}"
    if err.kind == "string_too_long" and "max_length" in ctx:
        return f"String should have at most {ctx['max_length']} characters"
    return f"Value error, {err.message}"


def _either(expected: str) -> str:
    """pydantic's enum wording, ``'a', 'b' or 'c'``, from a list written either way."""
    items = [item.strip() for item in expected.replace(" or ", ", ").split(", ")]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
