"""The web console: static files from ``fakefiles/console/`` at ``/_fakefiles/ui/``.

Plain HTML, JavaScript and CSS with no build step and nothing fetched from elsewhere, so it
works offline. The page itself holds no data: everything it shows comes from the control API
(admin.py) and the vendors' own routes, with the same rules as any other client (JSON
content type on every change, the admin token when one is set). ``/_fakefiles/`` sends a
browser to the console and tells other clients where things are, in JSON.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

STATIC = Path(__file__).parent / "console"
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
# Only the page's own files run; previews are blob: URLs; nobody may frame the console
# (it has buttons that delete and reset: no clickjacking).
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' blob: data:; frame-src blob:; object-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


@lru_cache(maxsize=16)
def static_file(name: str) -> bytes | None:
    """A file of the console by its plain name (no directories: nothing else is reachable)."""
    if "/" in name or "\\" in name or name.startswith(".") or Path(name).suffix not in MEDIA_TYPES:
        return None
    path = STATIC / name
    return path.read_bytes() if path.is_file() else None


async def console_file(request: Request) -> Response:
    name = request.path_params.get("name") or "index.html"
    body = static_file(name)
    if body is None:
        return JSONResponse({"error": {"message": f"The console has no file '{name}'.",
                                       "field": "name"}}, status_code=404)
    return Response(body, media_type=MEDIA_TYPES[Path(name).suffix], headers=SECURITY_HEADERS)


async def control_index(request: Request) -> Response:
    """A browser (Accept: text/html) goes to the console; a client gets JSON."""
    base = str(request.url_for("console.index"))
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(base, status_code=303)
    return JSONResponse({"name": "fakefiles control API", "console": base,
                         "see": "README.md, Control API"})


def console_routes() -> list[BaseRoute]:
    return [
        Route("/", control_index, methods=["GET"], name="control.index"),
        Route("/ui/", console_file, methods=["GET"], name="console.index"),
        Route("/ui/{name}", console_file, methods=["GET"], name="console.file"),
    ]
