"""orq.ai Files API (``/orq/v2``). Placeholder: being written."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..errors import FakeFilesError
from ..store import FileRecord
from .base import Vendor


class Orq(Vendor):
    name: ClassVar[str] = "orq"
    title: ClassVar[str] = "orq.ai"

    def routes(self) -> list[BaseRoute]:
        return []

    def render_error(self, err: FakeFilesError) -> Response:
        return JSONResponse({"message": err.message, "code": 2, "details": []}, status_code=err.status, headers=err.headers)

    def record_json(self, record: FileRecord, request: Request) -> dict[str, Any]:
        return {}
