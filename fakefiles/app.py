"""``create_app(settings)``: the Starlette app that mounts every vendor and the control API.

Request path::

    FakeMiddleware ─► the vendor's Mount (or the Router, for / and /_fakefiles/)
      │ CORS (Starlette's, for requests with an Origin), which vendor (by prefix), faults,
      │ journal, x-request-id, unexpected exceptions → the vendor's 500 envelope
      ▼
    /openai/v1 · /v1 → OpenAI     /impala/v1 → impala     /vlmrun/v1 → VLM Run
    /orq/v2 · /v2 → orq           /_fakefiles/… → control API (admin.py)
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from urllib.parse import unquote

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
from .vendors.base import Vendor
from .vendors.registry import VENDORS

logger = logging.getLogger("fakefiles")

FAULT_HEADER = HEADER.encode()
VARY_ORIGIN = (b"vary", b"Origin")
# Request ids only need to be unique, not secret: a Mersenne draw, not a syscall per request.
_request_ids = random.Random()


class ConnectionDropped(Exception):
    """Raised after a response has started, so the server drops the connection mid-reply."""


def vendor_mounts(fake: Fake) -> list[tuple[str, Vendor]]:
    """(prefix, vendor) pairs: each vendor at its prefix, then the bare /v1 and /v2 as the
    settings choose."""
    mounts = [(info.prefix, fake.vendors[name]) for name, info in VENDORS.items()]
    for bare, chosen in (("/v1", fake.settings.v1), ("/v2", fake.settings.v2)):
        if chosen:
            mounts.append((bare, fake.vendors[chosen]))
    return mounts


def create_app(settings: Settings | None = None, *, fake: Fake | None = None) -> Starlette:
    from .admin import admin_routes

    if fake is None:
        fake = Fake(settings)
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
                expose_headers=["content-disposition", "x-request-id", "retry-after"],
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


def file_id_in(subpath: str, vendor: Vendor) -> str | None:
    """The file (or upload) id a vendor path names, for fault rules that match on it."""
    segments = subpath.strip("/").split("/")
    if len(segments) >= 2 and segments[0] in ("files", "uploads"):
        candidate = segments[1]
        if candidate in vendor.info.file_path_words and len(segments) >= 3:
            candidate = segments[2]
        return unquote(candidate)
    return None


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


class FakeMiddleware:
    """The one middleware every request passes: CORS, and on the vendor prefixes faults, the
    journal, ``x-request-id`` and vendor-shaped 500s.

    It is a single layer because it runs on every request. A request with an ``Origin``
    header (a browser) goes through Starlette's CORSMiddleware wrapped around the rest; the
    others (SDKs, curl) only ever get the ``Vary: Origin`` that middleware adds, and get it
    here, in the same pass over the response headers as ``x-request-id``.
    """

    def __init__(self, app: ASGIApp, fake: Fake, mounts: list[tuple[str, Vendor]],
                 vendor_routes: dict[str, Mount], cors_origins: list[str],
                 expose_headers: list[str]) -> None:
        self.app = app
        self.fake = fake
        self.vendor_routes = vendor_routes
        self.prefixes = {prefix: (prefix, vendor) for prefix, vendor in mounts}
        self.cors = CORSMiddleware(self.dispatch, allow_origins=cors_origins,
                                   allow_methods=["*"], allow_headers=["*"],
                                   expose_headers=expose_headers)

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
                    await self.cors(scope, receive, send)
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
        subpath = scope["path"][len(prefix):] or "/"
        started = time.perf_counter()
        when = self.fake.clock.now()
        request_id = f"req_{_request_ids.getrandbits(96):024x}"
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        declared, chunked = _body_headers(raw_headers)
        # What the journal keeps; the entry itself is built when the journal is read.
        status, counted, fault_id = 0, 0, None
        response_started = recorded = False
        method, path = scope["method"], scope["path"]

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.fake.journal.record_raw(RawRequest(
                    request_id, when, vendor.name, method, path,
                    scope.get("query_string", b""), tuple(raw_headers), counted or declared,
                    status, time.perf_counter() - started, fault_id,
                ))

        async def counting_receive() -> Message:
            nonlocal counted
            message = await receive()
            counted += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal response_started, status
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers") or ())
                if vary:
                    headers = with_vary_origin(headers)
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Journaled before the last byte leaves: a client that has its answer can
                # already read the request in the journal (no race in tests that assert on it).
                record()
            await send(message)

        try:
            rule = self.pick_fault(vendor, scope, subpath, raw_headers)
            if rule is not None:
                fault_id = rule.id
                if rule.spec.delay_ms:
                    await asyncio.sleep(rule.spec.delay_ms / 1000)
                if rule.spec.reset:
                    await tagging_send({"type": "http.response.start", "status": 200,
                                        "headers": [(b"content-length", b"1")]})
                    raise ConnectionDropped(f"fault {rule.id}: connection reset")
                if rule.spec.status is not None:
                    response = fault_response(vendor, rule, file_id_in(subpath, vendor))
                    await response(scope, receive, tagging_send)
                    return
            # Only a request that declares a body has one to count (HTTP/1.1).
            body_receive = counting_receive if declared or chunked else receive
            # Straight to the vendor's Mount: the prefix is known, so the top-level router's
            # scan and the exception middleware are skipped (its one handler is called below).
            mount_route = self.vendor_routes[prefix]
            match, child_scope = mount_route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                scope.setdefault("router", scope["app"].router)
                await mount_route.handle(scope, body_receive, tagging_send)
            else:  # the bare prefix: the app redirects it
                await self.app(scope, body_receive, tagging_send)
        except ConnectionDropped:
            raise
        except HTTPException as exc:  # no such route or method: the vendor's 404 or 405
            if not response_started:
                response = await http_exception(Request(scope, receive), exc)
                await response(scope, receive, tagging_send)
        except FakeFilesError as err:
            if not response_started:
                await vendor.render_error(err)(scope, receive, tagging_send)
        except ClientDisconnect:
            status = status or 499
        except Exception as exc:  # never a traceback to the client: the vendor's 500
            logger.exception("fakefiles: unexpected error on %s %s", scope["method"],
                             scope["path"])
            if not response_started:
                internal = FakeFilesError(
                    f"Internal error in fakefiles: {type(exc).__name__}: {exc}", status=500
                )
                await vendor.render_error(internal)(scope, receive, tagging_send)
        finally:
            record()  # no-op when the response already recorded it

    def pick_fault(
        self, vendor: Vendor, scope: Scope, subpath: str, raw_headers: list[tuple[bytes, bytes]]
    ) -> FaultRule | None:
        for name, value in raw_headers:
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
        return self.fake.faults.pick(vendor.name, scope["method"], subpath,
                                     file_id_in(subpath, vendor))


def _body_headers(headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
    """(Content-Length or 0, whether the body is chunked), in one pass."""
    length, chunked = 0, False
    for name, value in headers:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = 0
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


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


def quiet_dropped_connections() -> None:
    """Keep uvicorn from logging a traceback for connections a fault dropped on purpose."""

    class _Filter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            exc = record.exc_info[1] if record.exc_info else None
            return not isinstance(exc, ConnectionDropped)

    logging.getLogger("uvicorn.error").addFilter(_Filter())
