"""Drive the app in-process from an httpx client, sync or async: no port, no socket.

``transport_for(httpx, app)`` (sync) and ``async_transport_for(httpx, app)`` (async) run each
request on the app's own event loop, in one background thread per app. A caller therefore
never needs a loop of its own and never blocks one it has: a sync client works in a plain
test, inside an async test, and in the worker threads of an async app (where a private
``run_until_complete`` would fail, because a loop already runs there); an async client awaits
the answer without running the app on its own loop. The app sees what a socket would give
it: the body, then ``http.disconnect`` once the client has gone (a cancelled async request).

A fault that drops the connection surfaces as the same ``httpx.RemoteProtocolError`` a real
socket would give. openai 3.x ships on ``httpx2``; both functions build the transport on
whichever httpx module a client uses.

The loop thread starts with the app's first in-process request and ends with
:func:`close` (the pytest plugin calls it), when the app is garbage-collected, or at exit.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Coroutine
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

T = TypeVar("T")

_CLASSES: dict[tuple[str, bool], type] = {}
_RUNNERS: weakref.WeakKeyDictionary[Any, _LoopThread] = weakref.WeakKeyDictionary()
_RUNNERS_LOCK = threading.Lock()


class _LoopThread:
    """An event loop running forever in a daemon thread, for one app."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fakefiles-inprocess",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:  # leave nothing behind: no "Task was destroyed", no ResourceWarning
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    @property
    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> Any:
        """A concurrent future for ``coro`` run on this loop."""
        if self.in_loop_thread:  # would wait for itself for ever
            coro.close()
            raise RuntimeError("fakefiles: an in-process sync client was called from the "
                               "app's own loop; use the async client there")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # closed meanwhile
            return
        if not self.in_loop_thread:
            self._thread.join(timeout=10)


def _runner(app: Any) -> _LoopThread:
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(app)
        if runner is None or runner.loop.is_closed():
            runner = _RUNNERS[app] = _LoopThread()
            weakref.finalize(app, runner.close)  # also runs at exit
        return runner


def close(app: Any) -> None:
    """Stop the loop thread of ``app``'s in-process transports (a no-op when none runs)."""
    with _RUNNERS_LOCK:
        runner = _RUNNERS.pop(app, None)
    if runner is not None:
        runner.close()


def transport_for(httpx_module: ModuleType, app: ASGIApp) -> Any:
    """An instance of a ``httpx_module.BaseTransport`` subclass that calls ``app``."""
    return _transport_class(httpx_module, False)(app)


def async_transport_for(httpx_module: ModuleType, app: ASGIApp) -> Any:
    """An instance of a ``httpx_module.AsyncBaseTransport`` subclass that calls ``app``."""
    return _transport_class(httpx_module, True)(app)


def _transport_class(httpx_module: ModuleType, is_async: bool) -> type:
    key = (httpx_module.__name__, is_async)
    if key not in _CLASSES:
        base = httpx_module.AsyncBaseTransport if is_async else httpx_module.BaseTransport
        mixin = _AsyncTransport if is_async else _SyncTransport
        _CLASSES[key] = type("InProcessTransport", (mixin, base), {"_httpx": httpx_module})
    return _CLASSES[key]


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


class _Exchange:
    """One request through the app: its scope, its receive and send, what came back."""

    def __init__(self, httpx: ModuleType, request: Any, body: bytes) -> None:
        self.httpx = httpx
        self.request = request
        url = request.url
        raw_path = url.raw_path.split(b"?", 1)[0]
        self.scope = {
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
        self.body: bytes | None = body
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.started = False
        self.gone: asyncio.Event | None = None  # set when the client stops waiting

    async def receive(self) -> Message:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        assert self.gone is not None
        await self.gone.wait()  # nothing more to read: like an idle socket, until it closes
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    async def run(self, app: ASGIApp) -> None:
        """Run the app. If the client stops waiting (this coroutine is cancelled), the app
        runs on and reads ``http.disconnect``, as it would behind a closed socket."""
        self.gone = asyncio.Event()
        task = asyncio.ensure_future(app(self.scope, self.receive, self.send))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self.gone.set()
            task.add_done_callback(_retrieve)  # its outcome has no reader any more
            raise

    def response(self) -> Any:
        if not self.started:
            raise self.httpx.RemoteProtocolError("The app sent no response.",
                                                 request=self.request)
        return self.httpx.Response(self.status, headers=self.headers,
                                   content=b"".join(self.chunks), request=self.request)

    def dropped(self) -> Exception:
        return self.httpx.RemoteProtocolError(  # type: ignore[no-any-return]
            "Server disconnected without sending a response.", request=self.request
        )


class _SyncTransport:
    _httpx: ModuleType

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handle_request(self, request: Any) -> Any:
        from .app import ConnectionDropped

        exchange = _Exchange(self._httpx, request, request.read())
        future = _runner(self.app).submit(exchange.run(self.app))
        try:
            future.result()
        except ConnectionDropped:
            raise exchange.dropped() from None
        return exchange.response()


class _AsyncTransport:
    _httpx: ModuleType

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: Any) -> Any:
        from .app import ConnectionDropped

        exchange = _Exchange(self._httpx, request, await request.aread())
        future = _runner(self.app).submit(exchange.run(self.app))
        try:
            await asyncio.wrap_future(future)  # cancelling this cancels the app's task
        except ConnectionDropped:
            raise exchange.dropped() from None
        return exchange.response()
