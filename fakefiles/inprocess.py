"""Drive the app in-process from a *sync* httpx client: no port, no thread.

``InProcessTransport(app)`` runs each request to completion on a private event loop in the
calling thread, so an SDK built on httpx (``openai``, ``orq-ai-sdk``) talks to the fake with
nothing but ``http_client=httpx.Client(transport=...)``. A fault that drops the connection
surfaces as the same ``httpx.RemoteProtocolError`` a real socket would give.

openai 3.x ships on ``httpx2``; :func:`transport_for` builds the same transport on whichever
httpx module the client uses.
"""

from __future__ import annotations

import asyncio
import threading
from types import ModuleType
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

_CLASSES: dict[str, type] = {}
_LOOPS = threading.local()  # one private loop per calling thread, reused by every transport


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = _LOOPS.loop = asyncio.new_event_loop()
    return loop


def transport_for(httpx_module: ModuleType, app: ASGIApp) -> Any:
    """An instance of a ``httpx_module.BaseTransport`` subclass that calls ``app``."""
    name = httpx_module.__name__
    if name not in _CLASSES:
        _CLASSES[name] = type(
            "InProcessTransport", (_InProcessMixin, httpx_module.BaseTransport),
            {"_httpx": httpx_module},
        )
    return _CLASSES[name](app)


class _InProcessMixin:
    _httpx: ModuleType

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handle_request(self, request: Any) -> Any:
        from .app import ConnectionDropped

        httpx = self._httpx
        body = request.read()
        url = request.url
        raw_path = url.raw_path.split(b"?", 1)[0]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "root_path": "",
            "query_string": url.query,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        }
        request_messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        started = False

        async def receive() -> Message:
            if request_messages:
                return request_messages.pop(0)
            await asyncio.sleep(3600)  # nothing more to read: behave like an idle socket
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            _thread_loop().run_until_complete(self.app(scope, receive, send))
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        if not started:
            raise httpx.RemoteProtocolError("The app sent no response.", request=request)
        return httpx.Response(
            status, headers=headers, content=b"".join(chunks), request=request
        )
