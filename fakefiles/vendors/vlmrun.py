"""VLM Run Files API (``/vlmrun/v1``). Placeholder: being written."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..errors import FakeFilesError
from ..store import FileRecord
from .base import Vendor


class VlmRun(Vendor):
    name: ClassVar[str] = "vlmrun"
    title: ClassVar[str] = "VLM Run"

    def routes(self) -> list[BaseRoute]:
        return []

    def render_error(self, err: FakeFilesError) -> Response:
        return JSONResponse({"detail": err.message}, status_code=err.status, headers=err.headers)

    def record_json(self, record: FileRecord, request: Request) -> dict[str, Any]:
        return {}
