"""Contract checks: every JSON body the fake sends validates against the seeds' schemas.

The schemas come from the seed documents copied into ``tests/seeds/`` (the OpenAPI blocks of
000, 001 and 002, and 004's table written out as ``openai_file.schema.json``). Envelopes the
seeds do not show (OpenAI's list/delete/upload objects and error body, orq's list and error
body) are written here from the vendor notes, each marked as such.

``ContractRecorder`` is an ASGI wrapper: every test that drives a real SDK runs the app
through it, so each response is checked without the test having to ask.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SEEDS = Path(__file__).parent / "seeds"


@cache
def seed_document(prefix: str) -> dict[str, Any]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    match = re.search(r"````yaml[^\n]*\n(.*?)````", path.read_text(), re.S)
    assert match, f"no OpenAPI block in {path.name}"
    return yaml.safe_load(match.group(1))


def component(prefix: str, name: str) -> dict[str, Any]:
    """A reference into a seed's components; ``validator_for`` puts them at the root."""
    seed_document(prefix)  # fail early if the seed lacks its OpenAPI block
    return {"$ref": f"#/components/schemas/{name}"}


SEED_OF_VENDOR = {"impala": "001", "vlmrun": "000", "orq": "002"}


OPENAI_FILE = json.loads((SEEDS / "openai_file.schema.json").read_text())

# From shared/vendors/openai.md §2.2-2.5 and §7.1 (not in seed 004).
OPENAI_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["message", "type", "param", "code"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                       "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}},
    }},
}
OPENAI_DELETED = {
    "type": "object", "required": ["id", "object", "deleted"],
    "properties": {"id": {"type": "string"}, "object": {"const": "file"},
                   "deleted": {"const": True}},
}
OPENAI_UPLOAD = {
    "type": "object",
    "required": ["id", "object", "bytes", "created_at", "expires_at", "filename", "purpose",
                 "status", "file"],
    "properties": {
        "id": {"type": "string", "pattern": "^upload_"}, "object": {"const": "upload"},
        "bytes": {"type": "integer"}, "created_at": {"type": "integer"},
        "expires_at": {"type": "integer"}, "filename": {"type": "string"},
        "purpose": {"type": "string"},
        "status": {"enum": ["pending", "completed", "cancelled", "expired"]},
        "file": {"anyOf": [{"type": "null"}, OPENAI_FILE]},
    },
}
OPENAI_PART = {
    "type": "object", "required": ["id", "object", "created_at", "upload_id"],
    "properties": {"id": {"type": "string", "pattern": "^part_"},
                   "object": {"const": "upload.part"}, "created_at": {"type": "integer"},
                   "upload_id": {"type": "string"}},
}


def list_envelope(item: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object", "required": required,
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": item},
                       "first_id": {"type": ["string", "null"]},
                       "last_id": {"type": ["string", "null"]}, "has_more": {"type": "boolean"}},
    }


# impala's published "Upload File" page takes purpose=evals, while seed 001's (and the page's)
# response enum lacks it, as OpenAI's published one does: a file uploaded for evals comes back
# with purpose "evals"; every other field still has to match the seed.
IMPALA_FILE = {
    "if": {"required": ["purpose"], "properties": {"purpose": {"const": "evals"}}},
    "then": {"type": "object", "required": ["id", "object", "bytes", "created_at",
                                            "expires_at", "filename", "purpose"]},
    "else": component("001", "FileObjectModel"),
}
VLMRUN_FILE = component("000", "StoreFileResponse")
ORQ_FILE = component("002", "File")

# orq envelopes from shared/vendors/orq.md §2-§4 (seed 002 shows only GetFileResponse).
ORQ_ERROR = {
    "type": "object", "required": ["message"],
    "properties": {"message": {"type": "string"}, "code": {"type": "integer"},
                   "details": {"type": "array"}},
}

# Anthropic has no seed: its schemas are written from the SDK's models (``BetaFileMetadata``,
# ``DeletedFile``, ``SyncPage``/``SyncPageCursor`` in anthropic 0.125.0 and 2.14.0) and the
# docs' examples and "Errors" page (docs/vendors/anthropic.md §3, §5). The SDK validates
# nothing it receives, so these checks are the only ones the shapes get.
RFC3339_MICROS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"
ANTHROPIC_FILE = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "type", "filename", "mime_type", "size_bytes", "created_at",
                 "downloadable"],
    "properties": {
        "id": {"type": "string", "pattern": "^file_[A-Za-z0-9]+$"},
        "type": {"const": "file"},
        "filename": {"type": "string", "minLength": 1, "maxLength": 255},
        "mime_type": {"type": "string", "minLength": 1},
        "size_bytes": {"type": "integer", "minimum": 0},
        "created_at": {"type": "string", "pattern": RFC3339_MICROS},
        "downloadable": {"type": "boolean"},
        "expires_at": {"anyOf": [{"type": "null"},
                                 {"type": "string", "pattern": RFC3339_MICROS}]},
    },
}
ANTHROPIC_LIST = {
    "type": "object", "required": ["data", "first_id", "last_id", "has_more"],
    "properties": {"data": {"type": "array", "items": ANTHROPIC_FILE},
                   "first_id": {"type": ["string", "null"]},
                   "last_id": {"type": ["string", "null"]},
                   "has_more": {"type": "boolean"},
                   "next_page": {"anyOf": [{"type": "null"},
                                           {"type": "string", "pattern": "^page_"}]}},
}
ANTHROPIC_ERROR_TYPES = ["invalid_request_error", "authentication_error", "billing_error",
                         "permission_error", "not_found_error", "conflict_error",
                         "request_too_large", "rate_limit_error", "api_error", "timeout_error",
                         "overloaded_error"]
ANTHROPIC_ERROR = {
    "type": "object", "required": ["type", "error"],
    "properties": {
        "type": {"const": "error"},
        "error": {"type": "object", "required": ["type", "message"],
                  "properties": {"type": {"enum": ANTHROPIC_ERROR_TYPES},
                                 "message": {"type": "string"},
                                 "details": {"type": "object", "required": ["error_code"],
                                             "properties": {"error_code": {"type": "string"}}}}},
        "request_id": {"type": "string"},
    },
}
# Gemini: from the published reference (ai.google.dev/api/files) as fakefiles/specs/gemini.json
# writes it; tests/test_gemini.py checks each property against google-genai's types.File.
GEMINI_SPEC = json.loads((Path(__file__).parent.parent / "fakefiles" / "specs" / "gemini.json")
                         .read_text())
GEMINI_COMPONENTS = GEMINI_SPEC["components"]["schemas"]


def gemini_schema(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": {"schemas": GEMINI_COMPONENTS}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "openai.file": OPENAI_FILE,
    "openai.list": list_envelope(
        OPENAI_FILE, ["object", "data", "first_id", "last_id", "has_more"]
    ),
    "openai.deleted": OPENAI_DELETED,
    "openai.upload": OPENAI_UPLOAD,
    "openai.part": OPENAI_PART,
    "openai.error": OPENAI_ERROR,
    "impala.file": IMPALA_FILE,
    "impala.list": list_envelope(IMPALA_FILE, ["data", "first_id", "last_id", "has_more"]),
    "impala.deleted": OPENAI_DELETED,
    "impala.error": component("001", "ErrorResponseModel"),
    "impala.validation": component("001", "HTTPValidationError"),
    "vlmrun.file": VLMRUN_FILE,
    "vlmrun.list": {"type": "array", "items": VLMRUN_FILE},
    "vlmrun.validation": component("000", "HTTPValidationError"),
    "vlmrun.detail": {"type": "object", "required": ["detail"],
                      "properties": {"detail": {"type": "string"}}},
    "orq.file": component("002", "GetFileResponse"),
    "orq.list": {"type": "object", "required": ["object", "data", "has_more"],
                 "properties": {"object": {"const": "list"},
                                "data": {"type": "array", "items": ORQ_FILE},
                                "has_more": {"type": "boolean"}}},
    "orq.deleted": {"type": "object"},
    "orq.content": {"type": "object", "required": ["download_url"],
                    "properties": {"download_url": {"type": "string"}}},
    "orq.error": ORQ_ERROR,
    "anthropic.file": ANTHROPIC_FILE,
    "anthropic.list": ANTHROPIC_LIST,
    "anthropic.deleted": {"type": "object", "additionalProperties": False,
                          "required": ["id", "type"],
                          "properties": {"id": {"type": "string"},
                                         "type": {"const": "file_deleted"}}},
    "anthropic.error": ANTHROPIC_ERROR,
    "gemini.file": gemini_schema("File"),
    "gemini.upload": gemini_schema("CreateFileResponse"),
    "gemini.list": gemini_schema("ListFilesResponse"),
    "gemini.deleted": {"type": "object", "maxProperties": 0},
    "gemini.error": gemini_schema("Status"),
}

# orq: the SDK's purpose enum (4 values) is stricter than seed 002's in one way (no
# FILE_PURPOSE_UNSPECIFIED) and looser in another (adds CODE_INTERPRETER); we check both.
ORQ_SDK_PURPOSES = {"FILE_PURPOSE_RETRIEVAL", "FILE_PURPOSE_KNOWLEDGE_DATASOURCE",
                    "FILE_PURPOSE_BATCH", "FILE_PURPOSE_CODE_INTERPRETER"}

PREFIXES = [("/openai/v1", "openai"), ("/impala/v1", "impala"), ("/vlmrun/v1", "vlmrun"),
            ("/orq/v2", "orq"), ("/anthropic/v1", "anthropic"), ("/gemini", "gemini"),
            ("/v1", "openai"), ("/v2", "orq")]


def schema_name(method: str, path: str, status: int) -> str | None:
    """Which schema a response on this route must satisfy (None: not a JSON contract)."""
    for prefix, vendor in PREFIXES:  # noqa: B007 (vendor is used after the loop)
        if path == prefix or path.startswith(prefix + "/"):
            break
    else:
        return None
    sub = path[len(prefix):]
    if sub == "/openapi.json" and status < 400:  # the vendor's OpenAPI document (specs/)
        return None
    if status >= 400:
        if vendor == "impala":
            return "impala.validation" if status == 422 else "impala.error"
        if vendor == "vlmrun":
            return "vlmrun.validation" if status == 422 else "vlmrun.detail"
        return f"{vendor}.error"
    if vendor == "anthropic":
        if sub.endswith("/content"):  # a downloadable file's own bytes, whatever they are
            return None
        if sub == "/files":
            return "anthropic.list" if method == "GET" else "anthropic.file"
        return "anthropic.deleted" if method == "DELETE" else "anthropic.file"
    if vendor == "gemini":
        if sub.endswith(":download"):
            return None
        if sub.startswith("/upload/"):
            return "gemini.upload"
        if sub.endswith("/files"):
            return "gemini.list"
        return "gemini.deleted" if method == "DELETE" else "gemini.file"
    if vendor in ("openai", "impala"):
        if sub.endswith("/content"):
            return None
        if sub.startswith("/uploads"):
            return "openai.part" if sub.endswith("/parts") else "openai.upload"
        if sub == "/files":
            return f"{vendor}.list" if method == "GET" else f"{vendor}.file"
        return f"{vendor}.deleted" if method == "DELETE" else f"{vendor}.file"
    if vendor == "vlmrun":
        if sub == "/health" or sub.startswith("/files/presigned-url") or method == "PUT":
            return None
        return "vlmrun.list" if sub == "/files" and method == "GET" else "vlmrun.file"
    if sub.endswith("/content"):
        return "orq.content"
    if sub == "/files":
        return "orq.list" if method == "GET" else "orq.file"
    return "orq.deleted" if method == "DELETE" else "orq.file"


@cache
def validator_for(name: str) -> Draft202012Validator:
    schema = SCHEMAS[name]
    seed = SEED_OF_VENDOR.get(name.split(".")[0])
    if seed is not None:  # the seed's #/components refs resolve against the root
        components = seed_document(seed)["components"]
        if seed == "002":  # orq-ai-sdk knows FILE_PURPOSE_CODE_INTERPRETER, seed 002 does not;
            # the fake follows the SDK (UNSPECIFIED is still refused by ORQ_SDK_PURPOSES below).
            purpose = components["schemas"]["FilePurpose"]
            purpose = {**purpose, "enum": [*purpose["enum"], "FILE_PURPOSE_CODE_INTERPRETER"]}
            components = {**components,
                          "schemas": {**components["schemas"], "FilePurpose": purpose}}
        schema = {**schema, "components": components}
    return Draft202012Validator(schema)


def violations(method: str, path: str, status: int, body: Any) -> list[str]:
    name = schema_name(method, path, status)
    if name is None:
        return []
    validator = validator_for(name)
    found = [f"{method} {path} -> {status} ({name}): {e.message}"
             for e in validator.iter_errors(body)]
    if name in ("orq.file", "orq.list") and status < 400:  # content/deleted carry no file
        files = body.get("data", []) if name == "orq.list" else [body.get("file", {})]
        for item in files if isinstance(files, list) else []:
            if isinstance(item, dict) and item.get("purpose") not in ORQ_SDK_PURPOSES:
                found.append(f"{method} {path}: purpose {item.get('purpose')!r} breaks the SDK")
    return found


class ContractRecorder:
    """ASGI wrapper that validates each JSON response body and keeps what failed."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.failures: list[str] = []
        self.checked = 0

    def __getattr__(self, name: str) -> Any:  # app.state etc. pass through
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        is_json = False
        body = bytearray()

        async def capture(message: Any) -> None:
            nonlocal status, is_json
            if message["type"] == "http.response.start":
                status = message["status"]
                is_json = any(k.lower() == b"content-type" and v.startswith(b"application/json")
                              for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body" and is_json:
                body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if is_json and body:
            self.checked += 1
            try:
                self.failures += violations(scope["method"], scope["path"], status,
                                            json.loads(bytes(body)))
            except Exception as exc:  # a broken body or schema must fail the test, loudly
                self.failures.append(f"{scope['method']} {scope['path']}: {exc!r}")
