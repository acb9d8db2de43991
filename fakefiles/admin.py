"""The control API under ``/_fakefiles/`` (fake-gcs-server's ``/_internal``, WireMock's
``/__admin``): health, reset, state, faults, the request journal, the clock, fixtures, and the
signed download links. JSON in and out; a bad request gets 400/422 naming the field.

    GET    /health                 {"status": "ok"} (docker HEALTHCHECK)
    POST   /reset                  back to the loaded fixtures; faults, journal, clock cleared
    GET    /state                  file counts and bytes per vendor (orq: per project)
    GET    /faults                 rules with how often each matched and fired
    POST   /faults                 one rule or a list → 201 {"faults": [...]}
    DELETE /faults[/{id}]          remove all rules, or one
    GET    /requests               the journal (?vendor=&method=&path=glob)
    DELETE /requests               empty the journal
    GET    /clock                  the fake's time
    POST   /clock                  {"advance_seconds": N} | {"set": "2027-01-01T00:00:00Z"}
                                   | {"freeze": true | "<time>"}
    DELETE /clock                  back to real time
    POST   /fixtures               YAML or JSON body: load more data, validated like files
    GET    /download/{file_id}     signed link (?ns=&expires=&signature=): the bytes, no auth

Every call but /health and /download passes :func:`fakefiles.security.control_refusal` first
(Host, Origin, admin token, a JSON or YAML Content-Type on every POST/DELETE). Fixtures sent
here cannot read the server's files or add keys (unless --allow-fixture-keys).

Read-only views for the web console (console.py serves it at ``/_fakefiles/ui/``):

    GET    /vendors                each vendor: prefixes, SDK base URL, upload and rename hints,
                                   its namespaces (orq: one per project) with the key to use
    GET    /files?namespace=       one namespace's files, newest first (?limit=, default 1000);
                                   ?expiring=true: every namespace's expiring files, soonest first
    GET    /files/content?namespace=&id=   a file's bytes, inline (sandboxed: never a page)
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .bodies import BodyLimits, read_body
from .console import console_routes
from .errors import FakeFilesError
from .fake import Fake
from .faults import FaultSpec
from .links import verify
from .security import JSON_TYPES, YAML_TYPES, control_refusal
from .store import DuplicateId, FileRecord
from .vendors.base import download_response
from .vendors.registry import VENDORS

CONTROL_BODY_LIMIT = BodyLimits(max_bytes=64 * 1024 * 1024, read_timeout=30.0)


class ControlError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class ClockChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance_seconds: float | None = None
    set: datetime | float | None = None
    freeze: bool | datetime | float | None = None

    @model_validator(mode="after")
    def _one_change(self) -> ClockChange:
        given = [n for n in ("advance_seconds", "set", "freeze") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of advance_seconds, set, freeze")
        return self


def _validation_error(exc: ValidationError) -> ControlError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    where = f"{field}: " if field else ""
    return ControlError(422, f"{where}{first['msg']}", field)


async def _json_body(request: Request) -> Any:
    raw = await read_body(request, CONTROL_BODY_LIMIT)
    if not raw.strip():
        raise ControlError(400, "The request needs a JSON body.", "body")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(400, f"The body is not valid JSON: {exc}", "body") from None


def fake_of(request: Request) -> Fake:
    fake: Fake = request.app.state.fake
    return fake


async def health(request: Request) -> Any:
    return {"status": "ok"}


async def reset(request: Request) -> Any:
    fake = fake_of(request)
    fake.reset()
    return {"status": "ok", "files": sum(1 for _ in fake.store.records())}


async def state(request: Request) -> Any:
    fake = fake_of(request)
    return {
        "vendors": {name: info.state(fake.store) for name, info in VENDORS.items()},
        "faults": len(fake.faults.rules()),
        "journal": len(fake.journal.entries()),
        "clock": clock_json(fake),
    }


async def list_faults(request: Request) -> Any:
    return {"faults": [rule.to_json() for rule in fake_of(request).faults.rules()]}


async def add_faults(request: Request) -> Any:
    body = await _json_body(request)
    items = body if isinstance(body, list) else [body]
    try:
        specs = [FaultSpec.model_validate(item) for item in items]
    except ValidationError as exc:
        raise _validation_error(exc) from None
    rules = [fake_of(request).faults.add(spec) for spec in specs]
    return JSONResponse({"faults": [r.to_json() for r in rules],
                         "ids": [r.id for r in rules]}, status_code=201)


async def clear_faults(request: Request) -> Any:
    faults = fake_of(request).faults
    count = len(faults.rules())
    faults.clear()
    return {"deleted": count}


async def delete_fault(request: Request) -> Any:
    fault_id = request.path_params["fault_id"]
    if not fake_of(request).faults.remove(fault_id):
        raise ControlError(404, f"No fault rule with id '{fault_id}'.", "fault_id")
    return {"deleted": 1}


async def requests(request: Request) -> Any:
    query = request.query_params
    unknown = set(query) - {"vendor", "method", "path"}
    if unknown:
        raise ControlError(400, f"Unknown filter '{sorted(unknown)[0]}'; use vendor, "
                           "method or path.", sorted(unknown)[0])
    entries = fake_of(request).journal.entries(
        vendor=query.get("vendor"), method=query.get("method"), path=query.get("path")
    )
    return {"requests": [entry.to_json() for entry in entries]}


async def clear_requests(request: Request) -> Any:
    fake_of(request).journal.clear()
    return {"status": "ok"}


def clock_json(fake: Fake) -> dict[str, Any]:
    return {"now": fake.clock.isoformat(), "epoch": fake.clock.now(),
            "real": fake.clock.is_real, "frozen": fake.clock.is_frozen}


async def get_clock(request: Request) -> Any:
    return clock_json(fake_of(request))


async def change_clock(request: Request) -> Any:
    try:
        change = ClockChange.model_validate(await _json_body(request))
    except ValidationError as exc:
        raise _validation_error(exc) from None
    clock = fake_of(request).clock
    if change.advance_seconds is not None:
        clock.advance(change.advance_seconds)
    elif change.set is not None:
        clock.set(change.set)
    elif change.freeze is not None:
        clock.freeze(None if change.freeze is True else change.freeze)
    return clock_json(fake_of(request))


async def real_clock(request: Request) -> Any:
    fake_of(request).clock.real()
    return clock_json(fake_of(request))


async def load_fixtures(request: Request) -> Any:
    from .fixtures import FixtureError, FixtureRefused, load_fixture_text

    fake = fake_of(request)
    raw = await read_body(request, CONTROL_BODY_LIMIT)
    try:
        # Whoever can reach this port may post fixtures: they never read the server's files,
        # and grant keys only when the operator started the fake to allow it.
        seed = load_fixture_text(raw.decode("utf-8", "replace"), source="<request body>",
                                 content_paths=False, keys=fake.settings.allow_fixture_keys)
        fake.load(seed)
    except FixtureRefused as exc:
        raise ControlError(403, str(exc), exc.field) from None
    except FixtureError as exc:
        raise ControlError(422, str(exc), exc.field) from None
    except DuplicateId as exc:
        raise ControlError(409, f"Duplicate file id {exc}.", "id") from None
    loaded = {"files": len(seed.records), "faults": len(seed.faults)}
    for name, info in VENDORS.items():  # orq: "orq_projects"
        if info.seed_kind is not None:
            loaded[f"{name}_{info.seed_kind}"] = len(seed.vendor_data.get(name, []))
    return JSONResponse({"loaded": loaded}, status_code=201)


async def download(request: Request) -> Any:
    fake = fake_of(request)
    query = request.query_params
    file_id = request.path_params["file_id"]
    namespace = query.get("ns", "")
    try:
        expires = int(query.get("expires", ""))
    except ValueError:
        raise ControlError(403, "The link has no valid 'expires'.", "expires") from None
    problem = verify(fake.settings.signing_key, namespace, file_id, expires,
                     query.get("signature", ""), fake.clock.now())
    if problem:
        raise ControlError(403, problem, "signature")
    record = fake.store.get(namespace, file_id)
    if record is None:
        raise ControlError(404, f"File {file_id} no longer exists.", "file_id")
    return download_response(record.blob, record.filename, record.content_type)


def admin_routes() -> list[BaseRoute]:
    """The control API's routes; each handler finds the fake in ``request.app.state``."""
    return [
        route("/health", health, "GET", guarded=False),  # docker's HEALTHCHECK; says nothing
        route("/reset", reset, "POST"),
        route("/state", state, "GET"),
        route("/faults", list_faults, "GET"),
        route("/faults", add_faults, "POST"),
        route("/faults", clear_faults, "DELETE"),
        route("/faults/{fault_id}", delete_fault, "DELETE"),
        route("/requests", requests, "GET"),
        route("/requests", clear_requests, "DELETE"),
        route("/clock", get_clock, "GET"),
        route("/clock", change_clock, "POST"),
        route("/clock", real_clock, "DELETE"),
        route("/fixtures", load_fixtures, "POST", body_types=JSON_TYPES + YAML_TYPES),
        # Signed links, fetched by pages on any origin (an <img src>): the signature is the key.
        route("/download/{file_id:path}", download, "GET", guarded=False),
        # The web console's read-only views, and the console itself.
        route("/vendors", console_vendors, "GET"),
        route("/files", console_files, "GET"),
        route("/files/content", console_file_content, "GET"),
        *console_routes(),
    ]


# -- read-only views for the web console ---------------------------------------------------

CONSOLE_KEY = "fakefiles-console"  # the console's key where no configured one is needed
CONSOLE_LIST_LIMIT = 10_000


def _console_key(fake: Fake) -> str:
    """The key the console sends: under --auth strict it must be one the fake knows."""
    known = [*fake.settings.api_keys, *(key for seed in fake.seeds for key in seed.api_keys)]
    return known[0] if known else CONSOLE_KEY


async def console_vendors(request: Request) -> Any:
    from .app import sdk_base_url

    fake = fake_of(request)
    origin = str(request.base_url).rstrip("/")
    console_key = _console_key(fake)
    vendors = []
    for name, vendor in fake.vendors.items():
        prefixes = [prefix for prefix, mounted in request.app.state.mounts if mounted is vendor]
        if not prefixes:
            continue
        namespaces = []
        for namespace, key in vendor.console_namespaces(console_key):
            files, size = fake.store.count(namespace)
            project = namespace.partition("/")[2] or None
            namespaces.append({
                "namespace": namespace, "project": project, "files": files, "bytes": size,
                "api_key": key,  # None: no key known for it, view only
                "console": project is not None and key == console_key,  # the console's own
            })
        vendors.append({
            "name": name, "title": vendor.title, "prefix": prefixes[0], "prefixes": prefixes,
            "base_url": sdk_base_url(origin, prefixes[0], vendor),
            "upload_purposes": list(vendor.upload_purposes),
            "purpose_in_query": vendor.purpose_in_query, "rename_field": vendor.rename_field,
            "console_upload": vendor.console_upload,
            "namespaces": namespaces,
        })
    return {"vendors": vendors}


def _console_record(record: FileRecord) -> dict[str, Any]:
    return {
        "id": record.id, "namespace": record.namespace, "filename": record.filename,
        "bytes": record.size, "purpose": record.purpose, "content_type": record.content_type,
        "created_at": record.created_at, "expires_at": record.expires_at, "md5": record.md5,
    }


async def console_files(request: Request) -> Any:
    fake = fake_of(request)
    query = request.query_params
    namespace = query.get("namespace") or None
    expiring = query.get("expiring", "").lower() in ("1", "true")
    if namespace is None and not expiring:
        raise ControlError(400, "Name a namespace (?namespace=openai, or orq/<project>), or "
                           "ask for ?expiring=true.", "namespace")
    try:
        limit = int(query.get("limit", "1000"))
    except ValueError:
        raise ControlError(400, "'limit' must be an integer.", "limit") from None
    if not 1 <= limit <= CONSOLE_LIST_LIMIT:
        raise ControlError(400, f"'limit' must be between 1 and {CONSOLE_LIST_LIMIT}.", "limit")
    records = list(fake.store.records(namespace))
    if expiring:
        records = sorted((r for r in records if r.expires_at is not None),
                         key=lambda r: (r.expires_at, r.namespace, r.id))
    else:
        records.sort(key=lambda r: (r.created_at, r.seq), reverse=True)
    return {"namespace": namespace, "total": len(records),
            "files": [_console_record(record) for record in records[:limit]]}


async def console_file_content(request: Request) -> Any:
    fake = fake_of(request)
    namespace = request.query_params.get("namespace", "")
    file_id = request.query_params.get("id", "")
    record = fake.store.get(namespace, file_id)
    if record is None:
        raise ControlError(404, f"No file '{file_id}' in namespace '{namespace}'.", "id")
    response = download_response(record.blob, record.filename, record.content_type,
                                 inline=True)
    # Stored bytes are anyone's upload: never let them run as a page on the fake's origin.
    response.headers["content-security-policy"] = "sandbox"
    response.headers["x-content-type-options"] = "nosniff"
    # ... nor be embedded by another site (<script src>, <img src>): only the console reads it.
    response.headers["cross-origin-resource-policy"] = "same-origin"
    return response


def route(path: str, handler: Any, method: str, *, guarded: bool = True,
          body_types: tuple[str, ...] = JSON_TYPES) -> Route:
    """``guarded``: the call passes security.control_refusal (with ``body_types``) first."""

    async def endpoint(request: Request) -> Response:
        try:
            if guarded:
                refusal = control_refusal(request, fake_of(request).settings, body_types)
                if refusal is not None:
                    raise ControlError(*refusal)
            result = await handler(request)
        except ControlError as err:
            return JSONResponse({"error": {"message": err.message, "field": err.field}},
                                status_code=err.status)
        except FakeFilesError as err:
            return JSONResponse({"error": {"message": err.message, "field": err.param}},
                                status_code=err.status)
        return result if isinstance(result, Response) else JSONResponse(result)

    endpoint.__name__ = handler.__name__
    return Route(path, endpoint, methods=[method], name=f"control.{handler.__name__}")
