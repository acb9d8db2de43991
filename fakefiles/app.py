"""``create_app(settings)``: the Starlette app that mounts every vendor and the control API.

Request path::

    FakeMiddleware ─► the vendor's Mount (or the Router, for / and /_fakefiles/)
      │ CORS (Starlette's, for requests with an Origin; the control API's own origins, none
      │ by default, for /_fakefiles/ but its download links), which vendor (by prefix), then
      │ per vendor request (a RequestContext): fault, journal, x-request-id and Vary, failures
      │ rendered in the vendor's envelope
      ▼
    each registered vendor at its prefix (vendors/registry.py): /openai/v1, /impala/v1,
    /vlmrun/v1, /orq/v2; the bare /v1 and /v2 as the settings choose; /_fakefiles/… →
    control API (admin.py)
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import specs
from .errors import FakeFilesError, InjectedFault, InvalidParam, MethodNotAllowed, NotFound
from .fake import Fake
from .faults import HEADER, FaultRule, parse_header
from .journal import RawRequest
from .settings import Settings
from .store import StaleWrite
from .vendors.base import Vendor
from .vendors.registry import VENDORS, expose_headers

logger = logging.getLogger("fakefiles")

FAULT_HEADER = HEADER.encode()
VARY_ORIGIN = (b"vary", b"Origin")
# Request ids only need to be unique, not secret: a Mersenne draw, not a syscall per request.
_request_ids = random.Random()


class ConnectionDropped(Exception):
    """A ``reset`` fault on a server whose socket the app cannot reach (the in-process
    transport turns it into the ``httpx.RemoteProtocolError`` a dropped socket gives)."""


def drop_connection() -> bool:
    """Close the client's connection with nothing written; False when the server is not one
    whose connection we can reach.

    ASGI has no message for "abort": an app that raises unanswered gets a 500 from the
    server. uvicorn runs each request in a task whose coroutine is its request cycle's
    ``run_asgi``, and the cycle holds the connection's transport; found through the task, it
    works whatever middleware wraps this app. The cycle is marked disconnected first, so
    uvicorn neither answers 500 nor logs a missing response.
    """
    task = asyncio.current_task()
    frame = getattr(task.get_coro(), "cr_frame", None) if task is not None else None
    cycle: Any = frame.f_locals.get("self") if frame is not None else None
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        return False
    cycle.disconnected = True
    transport.abort()
    return True


def vendor_mounts(fake: Fake) -> list[tuple[str, Vendor]]:
    """(prefix, vendor) pairs: each vendor at its prefix, then the bare /v1 and /v2 as the
    settings choose."""
    mounts = [(info.prefix, fake.vendors[name]) for name, info in VENDORS.items()]
    for bare, chosen in (("/v1", fake.settings.v1), ("/v2", fake.settings.v2)):
        if chosen:
            mounts.append((bare, fake.vendors[chosen]))
    return mounts


def create_app(settings: Settings | None = None, *, fake: Fake | None = None) -> Starlette:
    """The app for ``settings`` (its fixtures loaded; by default ``Settings.from_env()``, the
    ``FAKEFILES_*`` variables ``fakefiles serve`` reads), or around an existing ``fake``."""
    from .admin import admin_routes

    if fake is None:
        fake = Fake(settings if settings is not None else Settings.from_env())
    mounts = vendor_mounts(fake)
    routes: list[BaseRoute] = [Route("/", index, methods=["GET"])]
    # Each vendor also serves its OpenAPI document at <prefix>/openapi.json (specs/).
    vendor_routes = {prefix: Mount(prefix, routes=[*vendor.routes(), specs.route(vendor)])
                     for prefix, vendor in mounts}
    routes += vendor_routes.values()
    routes.append(Mount("/_fakefiles", routes=admin_routes()))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                FakeMiddleware, fake=fake, mounts=mounts, vendor_routes=vendor_routes,
                cors_origins=fake.settings.cors_origins,
                control_origins=fake.settings.control_origins,
                expose_headers=expose_headers(),
            ),
        ],
        exception_handlers={HTTPException: http_exception},  # type: ignore[dict-item]
    )
    app.state.fake = fake
    app.state.mounts = mounts
    return app


def sdk_base_url(origin: str, prefix: str, vendor: Vendor) -> str:
    """Where to point a vendor's SDK: its prefix, less what the SDK appends (orq's /v2)."""
    return vendor.info.sdk_base_url(origin, prefix)


async def index(request: Request) -> Response:
    """Where to point each SDK."""
    origin = str(request.base_url).rstrip("/")
    base_urls = {prefix: sdk_base_url(origin, prefix, vendor)
                 for prefix, vendor in request.app.state.mounts}
    return JSONResponse({
        "name": "fakefiles",
        "vendors": {prefix: vendor.name for prefix, vendor in request.app.state.mounts},
        "base_urls": base_urls,
        "control": origin + "/_fakefiles/",
    })


async def http_exception(request: Request, exc: HTTPException) -> Response:
    """Unknown route or wrong method under a vendor prefix: the vendor's own envelope."""
    vendor: Vendor | None = request.scope.get("fakefiles.vendor")
    if exc.status_code == 405:
        err: FakeFilesError = MethodNotAllowed(
            f"Method {request.method} is not allowed for {request.url.path}.",
            headers=dict(exc.headers or {}),
        )
    elif exc.status_code == 404:
        err = NotFound(f"Invalid URL ({request.method} {request.url.path})")
    else:
        err = FakeFilesError(str(exc.detail), status=exc.status_code)
    if vendor is None:
        prefixes = ", ".join(prefix for prefix, _ in request.app.state.mounts)
        return JSONResponse(
            {"detail": err.message, "hint": f"fakefiles serves {prefixes} and /_fakefiles/"},
            status_code=err.status, headers=err.headers,
        )
    return vendor.render_error(err)


def is_control(path: str) -> bool:
    """The control API, but not its signed download links (pages on any origin fetch those,
    e.g. VLM Run's ``public_url`` in an ``<img>``)."""
    return path.startswith("/_fakefiles") and not path.startswith("/_fakefiles/download/")


def allowed_methods(mount: Mount, scope: Scope) -> str:
    """Every method some route of the mount answers for this path, not only the first
    route's (Starlette's ``Allow`` names one route's)."""
    methods: set[str] = set()
    for route in mount.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE and isinstance(route, Route):
            methods |= route.methods or set()
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    return ", ".join(sorted(methods, key=lambda m: (order.index(m) if m in order else 99, m)))


def fault_response(vendor: Vendor, rule: FaultRule, file_id: str | None) -> Response:
    spec = rule.spec
    assert spec.status is not None
    headers = dict(spec.headers)
    if spec.body is not None:
        if isinstance(spec.body, str):
            return Response(spec.body, status_code=spec.status, headers=headers,
                            media_type="text/plain")
        return JSONResponse(spec.body, status_code=spec.status, headers=headers)
    err: FakeFilesError
    if spec.status == 404 and file_id is not None:
        err = vendor.not_found(file_id)
    else:
        err = InjectedFault(
            f"Injected fault {rule.id}: HTTP {spec.status}.", status=spec.status,
            param=None, location="body", kind="value_error",
        )
    err.headers.update(headers)
    return vendor.render_error(err)


class RequestContext:
    """One request to a vendor prefix on its way through :class:`FakeMiddleware`: what the
    steps share (the vendor, the request id, the status and body size the journal keeps).

    ``receive`` counts the body's bytes; ``send`` adds ``x-request-id`` (and ``Vary: Origin``
    when no CORSMiddleware wraps the request) and journals the request before its last byte
    leaves, so a client that has its answer can already read it in the journal.
    """

    __slots__ = (
        "scope", "vendor", "prefix", "subpath", "request_id", "started", "when", "declared",
        "status", "counted", "fault_id", "response_started", "recorded", "vary", "journal",
        "journal_generation", "raw_receive", "body_receive", "_send",
    )

    def __init__(self, fake: Fake, prefix: str, vendor: Vendor, scope: Scope,
                 receive: Receive, send: Send, vary: bool) -> None:
        self.scope, self.vendor, self.vary, self.prefix = scope, vendor, vary, prefix
        self.subpath: str = scope["path"][len(prefix):] or "/"
        self.request_id = f"req_{_request_ids.getrandbits(96):024x}"
        self.started = time.perf_counter()
        self.when = fake.clock.now()
        # Content-Length (or 0) and whether the body is chunked, in one pass (inline: this
        # runs on every request).
        declared, chunked = 0, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
            elif name == b"transfer-encoding":
                chunked = True
        self.declared = declared
        self.status, self.counted = 0, 0
        self.fault_id: str | None = None
        self.response_started = self.recorded = False
        self.journal = fake.journal
        self.journal_generation = fake.journal.generation  # cleared after this: not journaled
        self.raw_receive, self._send = receive, send
        # What the vendor reads the body through: counted only when the request declares a
        # body (HTTP/1.1), so a GET pays nothing.
        self.body_receive: Receive = self.receive if declared or chunked else receive

    async def receive(self) -> Message:
        message = await self.raw_receive()
        self.counted += len(message.get("body", b""))
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
            self.status = message["status"]
            headers = list(message.get("headers") or ())
            if self.vary:
                headers = with_vary_origin(headers)
            request_id = self.request_id.encode()
            for name in self.vendor.id_headers:
                headers.append((name, request_id))
            message["headers"] = headers
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            self.record()
        await self._send(message)

    def record(self) -> None:
        """Journal the request, once (the response's last byte, or the end of dispatch)."""
        if not self.recorded:
            self.recorded = True
            scope = self.scope
            self.journal.record_raw(RawRequest(
                self.request_id, self.when, self.vendor.name, scope["method"], scope["path"],
                scope.get("query_string", b""), tuple(scope["headers"]),
                self.counted or self.declared, self.status, time.perf_counter() - self.started,
                self.fault_id,
            ), self.journal_generation)


class FakeMiddleware:
    """The one middleware every request passes: CORS, and on the vendor prefixes faults, the
    journal, ``x-request-id`` and vendor-shaped failures.

    It is a single layer because it runs on every request. A request with an ``Origin``
    header (a browser) goes through Starlette's CORSMiddleware wrapped around the rest; the
    others (SDKs, curl) only ever get the ``Vary: Origin`` that middleware adds, and get it
    here, in the same pass over the response headers as ``x-request-id``. A vendor request
    goes through :meth:`dispatch`'s named steps over one :class:`RequestContext`.
    """

    def __init__(self, app: ASGIApp, fake: Fake, mounts: list[tuple[str, Vendor]],
                 vendor_routes: dict[str, Mount], cors_origins: list[str],
                 control_origins: list[str], expose_headers: list[str]) -> None:
        self.app = app
        self.fake = fake
        self.vendor_routes = vendor_routes
        self.prefixes = {prefix: (prefix, vendor) for prefix, vendor in mounts}
        self.cors = CORSMiddleware(self.dispatch, allow_origins=cors_origins,
                                   allow_methods=["*"], allow_headers=["*"],
                                   expose_headers=expose_headers)
        # The control API is no CORS target unless its origins are named (security.py).
        self.control_cors = CORSMiddleware(self.dispatch, allow_origins=control_origins,
                                           allow_methods=["*"], allow_headers=["*"])

    def resolve(self, path: str) -> tuple[str, Vendor] | None:
        """The vendor mount of a path: its first two segments (/openai/v1) win over its first
        one (/v1), so the longest prefix wins."""
        first = path.find("/", 1)
        if first == -1:
            return self.prefixes.get(path)
        second = path.find("/", first + 1)
        two = path if second == -1 else path[:second]
        return self.prefixes.get(two) or self.prefixes.get(path[:first])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, _ in scope["headers"]:
                if name == b"origin":
                    cors = self.control_cors if is_control(scope["path"]) else self.cors
                    await cors(scope, receive, send)
                    return
        await self.dispatch(scope, receive, send, vary=True)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send,
                       vary: bool = False) -> None:
        """``vary``: add ``Vary: Origin`` (no CORSMiddleware around this request)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mount = self.resolve(scope["path"])
        if mount is None or scope["method"] == "OPTIONS":
            await self.app(scope, receive, _varying(send) if vary else send)
            return
        prefix, vendor = mount
        scope["fakefiles.vendor"] = vendor
        ctx = RequestContext(self.fake, prefix, vendor, scope, receive, send, vary)
        pin = self.fake.store.pin()  # a reset after this: the request's writes are refused
        try:
            rule = self.pick_fault(ctx)
            if rule is None or not await self.apply_fault(ctx, rule):
                await self.call_vendor(ctx, prefix)
        except ConnectionDropped:
            raise
        except Exception as exc:
            await self.render_failure(ctx, exc)
        finally:
            self.fake.store.unpin(pin)
            ctx.record()  # no-op when the response already recorded it

    async def apply_fault(self, ctx: RequestContext, rule: FaultRule) -> bool:
        """Delay, drop or answer for the vendor as the rule says; True if it answered (or
        the client left during the delay: the request is abandoned)."""
        ctx.fault_id = rule.id
        if rule.spec.delay_ms:
            waited = await wait_unless_gone(rule.spec.delay_ms / 1000, ctx.raw_receive)
            if waited is None:
                ctx.status = 499
                return True
            if ctx.body_receive is ctx.raw_receive:
                ctx.body_receive = waited
            ctx.raw_receive = waited
        if rule.spec.reset:
            # Dropped before any byte: a fetch() rejects (and may retry) instead of resolving
            # ok and failing on the body. The journal keeps status 0.
            if not drop_connection():
                raise ConnectionDropped(f"fault {rule.id}: connection reset")
            return True
        if rule.spec.status is None:
            return False
        response = fault_response(ctx.vendor, rule, ctx.vendor.info.file_id(ctx.subpath))
        await response(ctx.scope, ctx.raw_receive, ctx.send)
        return True

    def pick_fault(self, ctx: RequestContext) -> FaultRule | None:
        """The header's fault (``X-Fakefiles-Fault``), else the first rule that fires."""
        for name, value in ctx.scope["headers"]:
            if name == FAULT_HEADER:
                try:
                    spec = parse_header(value.decode("latin-1"))
                except ValueError as exc:
                    raise InvalidParam(
                        f"Invalid X-Fakefiles-Fault header: {exc}".replace("\n", " "),
                        param=HEADER, location="header",
                    ) from None
                return FaultRule(id="header", spec=spec, matched=1, fired=1)
        if self.fake.faults.empty:
            return None
        return self.fake.faults.pick(ctx.vendor.name, ctx.scope["method"], ctx.subpath,
                                     ctx.vendor.info.file_id(ctx.subpath))

    async def call_vendor(self, ctx: RequestContext, prefix: str) -> None:
        """Straight to the vendor's Mount: the prefix is known, so the top-level router's
        scan and the exception middleware are skipped (``render_failure`` does its work)."""
        scope = ctx.scope
        mount_route = self.vendor_routes[prefix]
        match, child_scope = mount_route.matches(scope)
        if match is Match.FULL:
            scope.update(child_scope)
            scope.setdefault("router", scope["app"].router)
            await mount_route.handle(scope, ctx.body_receive, ctx.send)
        else:  # the bare prefix: the app redirects it
            await self.app(scope, ctx.body_receive, ctx.send)

    async def render_failure(self, ctx: RequestContext, exc: Exception) -> None:
        """An exception out of a vendor request, in the vendor's envelope: never a
        traceback, and nothing once the response has started."""
        scope, vendor = ctx.scope, ctx.vendor
        if isinstance(exc, ClientDisconnect):
            ctx.status = ctx.status or 499
            return
        response: Response
        if isinstance(exc, HTTPException):  # no such route or method: the vendor's 404 or 405
            if exc.status_code == 405:  # RFC 9110: Allow names every method of the path
                exc.headers = {"Allow": allowed_methods(self.vendor_routes[ctx.prefix], scope)}
            response = await http_exception(Request(scope, ctx.raw_receive), exc)
        elif isinstance(exc, FakeFilesError):
            response = vendor.render_error(exc)
        elif isinstance(exc, StaleWrite):  # a reset came while this request ran
            response = vendor.render_error(FakeFilesError(
                "The fake was reset while this request ran; it changed nothing.", status=409))
        else:
            logger.exception("fakefiles: unexpected error on %s %s", scope["method"],
                             scope["path"], exc_info=exc)
            response = vendor.render_error(FakeFilesError(
                f"Internal error in fakefiles: {type(exc).__name__}: {exc}", status=500))
        if not ctx.response_started:
            await response(scope, ctx.raw_receive, ctx.send)


# While a delay fault waits, up to this much of the body is read ahead (and replayed) to
# notice a client that goes away; past it, a gone client is noticed when the body is read.
WATCH_BODY_BYTES = 1024 * 1024


async def wait_unless_gone(seconds: float, receive: Receive) -> Receive | None:
    """Wait ``seconds`` (a delay fault) while watching ``receive`` for ``http.disconnect``.

    A plain sleep would let a request whose client timed out carry on later and change the
    store under the next test. Returns the receive to go on with (it replays what was read
    meanwhile), or None when the client has gone.
    """
    read: list[Message] = []

    async def watch() -> bool:
        size = 0
        while size <= WATCH_BODY_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return True
            read.append(message)
            size += len(message.get("body", b""))
        return False

    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait({watcher}, timeout=seconds)
        if watcher.done() and watcher.result():
            return None
        if deadline > loop.time():  # stopped watching early: the rest of the delay
            await asyncio.sleep(deadline - loop.time())
    finally:
        if not watcher.done():
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def replaying_receive() -> Message:
        if read:
            return read.pop(0)
        return await receive()

    return replaying_receive


def with_vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Origin`` added to ``Vary`` exactly as CORSMiddleware does it."""
    varies = [value for name, value in headers if name == b"vary"]
    if not varies:
        return [*headers, VARY_ORIGIN]
    merged = b", ".join([*varies, b"Origin"])
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name != b"vary":
            out.append((name, value))
        elif merged:  # the first Vary takes the merged value, the others go
            out.append((name, merged))
            merged = b""
    return out


def _varying(send: Send) -> Send:
    """``send`` adding ``Vary: Origin`` to the response (what CORSMiddleware would do)."""

    async def varying_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = with_vary_origin(list(message.get("headers") or ()))
        await send(message)

    return varying_send


class _DroppedConnectionFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_DROPPED_CONNECTION_FILTER = _DroppedConnectionFilter()


def quiet_dropped_connections() -> None:
    """Keep uvicorn from logging a traceback for connections a fault dropped on purpose
    (``serve`` and ``LiveServer`` both call it; the filter is added once)."""
    logging.getLogger("uvicorn.error").addFilter(_DROPPED_CONNECTION_FILTER)
