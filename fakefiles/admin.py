"""Control API under ``/_fakefiles/``. Placeholder: being written."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .fake import Fake


def admin_routes(fake: Fake) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return [Route("/health", health, methods=["GET"])]
