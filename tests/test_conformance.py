"""The fake against the vendors' *published* definitions (tests/vendor-specs/), not the seeds.

OpenAI and orq publish OpenAPI documents; excerpts of their Files paths are copied into
``tests/vendor-specs/`` with source and commit. Three checks, so that drift between the fake
and a vendor's definition fails the build:

1. **Routes**: every published operation is served, and the fake serves no other (its own
   ``/openapi.json`` aside); path parameter names may differ, positions may not.
2. **Parameters and bodies**: per operation, the query parameters, the request body's fields,
   which of them are required, their enums, and whether the body is closed
   (``additionalProperties: false``) match between the published document and the fake's own
   (``fakefiles/specs/*.json``, which test_openapi.py holds to the routes).
3. **Responses**: every published operation is called on the live app, and each 200 body
   validates against the published response schema (OpenAI's refusals against its published
   ``ErrorResponse`` too).

Where the real service itself departs from its published definition, the fake follows the
service: those places are listed in ``DEVIATIONS`` with their evidence, applied to the
published document before comparing, and each must still be needed (a stale entry fails).
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from fakefiles import Settings, create_app, specs
from fakefiles.inprocess import transport_for

SPECS = Path(__file__).parent / "vendor-specs"
PUBLISHED = {"openai": "openai-files-uploads.openapi.yaml", "orq": "orq-files.openapi.yaml"}
# Where each vendor's published paths live on the fake, and the prefix the paths carry.
PREFIXES = {"openai": ("/openai/v1", ""), "orq": ("/orq/v2", "/v2")}
METHODS = ("get", "post", "put", "patch", "delete")

Document = dict[str, Any]


def _schema(doc: Document, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


def _purpose_evals(doc: Document) -> None:
    _schema(doc, "OpenAIFile")["properties"]["purpose"]["enum"].append("evals")


def _nullable_cursors(doc: Document) -> None:
    for name in ("first_id", "last_id"):
        _schema(doc, "ListFilesResponse")["properties"][name] = {"type": ["string", "null"]}


# (vendor, what, evidence, patch to the published document)
DEVIATIONS: list[tuple[str, str, str, Callable[[Document], None]]] = [
    ("openai", "OpenAIFile.purpose also takes 'evals'",
     "a file uploaded with purpose=evals comes back with purpose 'evals' (shared/vendors/"
     "openai.md §2.1; the SDK's FilePurpose uploads it), though the published response enum "
     "stops at user_data", _purpose_evals),
    ("openai", "ListFilesResponse.first_id / last_id are null on an empty page",
     "the service sends null there (openai-php/client PR #687 made both nullable from real "
     "responses); the definition types them string", _nullable_cursors),
]


@pytest.fixture(scope="module")
def published() -> dict[str, Document]:
    return {vendor: yaml.safe_load((SPECS / name).read_text()) for vendor, name in
            PUBLISHED.items()}


def with_deviations(vendor: str, doc: Document) -> Document:
    patched = copy.deepcopy(doc)
    for deviation_vendor, _, _, patch in DEVIATIONS:
        if deviation_vendor == vendor:
            patch(patched)
    return patched


def resolve(doc: Document, node: Any) -> Any:
    """``node`` with every ``$ref`` into ``doc`` replaced, and ``allOf`` of one merged."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return resolve(doc, {**target, **rest})
        return {key: resolve(doc, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(doc, item) for item in node]
    return node


def normal_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(doc: Document, strip: str = "") -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, normal_path(path.removeprefix(strip))): resolve(doc, op)
            for path, item in doc["paths"].items() for method, op in item.items()
            if method in METHODS and not path.endswith("/openapi.json")}


def fake_operations(vendor: str) -> dict[tuple[str, str], dict[str, Any]]:
    return operations(specs.document(vendor))


# -- 1. routes -------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", list(PUBLISHED))
def test_the_fake_serves_exactly_the_published_operations(
    vendor: str, published: dict[str, Document],
) -> None:
    ours = set(fake_operations(vendor))
    theirs = set(operations(published[vendor], PREFIXES[vendor][1]))
    assert theirs - ours == set(), f"{vendor}: published but not served"
    assert ours - theirs == set(), f"{vendor}: served but not published"


# -- 2. parameters and bodies ----------------------------------------------------------------


def query_parameters(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p.get("schema", {}) for p in op.get("parameters", [])
            if p.get("in") == "query"}


def body_fields(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """content type -> the body schema as its fields go on the wire: a multipart object
    field becomes bracketed fields (``expires_after[anchor]``), as the SDKs send it."""
    out: dict[str, dict[str, Any]] = {}
    for content_type, media in op.get("requestBody", {}).get("content", {}).items():
        schema = media["schema"]
        properties = dict(schema.get("properties", {}))
        if content_type == "multipart/form-data":
            for name, field in list(properties.items()):
                if field.get("type") == "object" and "properties" in field:
                    del properties[name]
                    for sub, sub_schema in field["properties"].items():
                        properties[f"{name}[{sub}]"] = sub_schema
        out[content_type] = {
            "properties": properties,
            "required": set(schema.get("required", [])),
            "closed": schema.get("additionalProperties") is False,
        }
    return out


def enum_of(schema: dict[str, Any]) -> set[Any] | None:
    """The values an enum schema (or an anyOf of them) names; None for an open schema."""
    if "anyOf" in schema:
        enums = [enum_of(branch) for branch in schema["anyOf"]]
        named = [e for e in enums if e is not None]
        return set().union(*named) if named else None
    values = schema.get("enum")
    return None if values is None else set(values)


def parameter_drift(vendor: str, published_doc: Document) -> list[str]:
    theirs = operations(with_deviations(vendor, published_doc), PREFIXES[vendor][1])
    ours = fake_operations(vendor)
    drift: list[str] = []
    for key, their_op in sorted(theirs.items()):
        our_op = ours.get(key)
        if our_op is None:
            continue  # reported by the route test
        where = f"{key[0].upper()} {key[1]}"
        their_query, our_query = query_parameters(their_op), query_parameters(our_op)
        if set(their_query) != set(our_query):
            drift.append(f"{where}: query parameters {sorted(their_query)} published, "
                         f"{sorted(our_query)} served")
        for name in set(their_query) & set(our_query):
            their_enum = enum_of(their_query[name])
            if their_enum is not None and their_enum != enum_of(our_query[name]):
                drift.append(f"{where}: query {name} enum {their_query[name].get('enum')} "
                             f"published, {our_query[name].get('enum')} served")
        their_bodies, our_bodies = body_fields(their_op), body_fields(our_op)
        for content_type, theirs_body in their_bodies.items():
            ours_body = our_bodies.get(content_type)
            if ours_body is None:
                drift.append(f"{where}: published body {content_type} not taken")
                continue
            if set(theirs_body["properties"]) != set(ours_body["properties"]):
                drift.append(f"{where}: body fields {sorted(theirs_body['properties'])} "
                             f"published, {sorted(ours_body['properties'])} taken")
            if theirs_body["required"] != ours_body["required"]:
                drift.append(f"{where}: required {sorted(theirs_body['required'])} "
                             f"published, {sorted(ours_body['required'])} enforced")
            if theirs_body["closed"] != ours_body["closed"]:
                drift.append(f"{where}: published body closed={theirs_body['closed']}, "
                             f"the fake's closed={ours_body['closed']}")
            for name in set(theirs_body["properties"]) & set(ours_body["properties"]):
                their_enum = enum_of(theirs_body["properties"][name])
                our_enum = enum_of(ours_body["properties"][name])
                # The fake must take every value the vendor publishes (it may also take
                # aliases the vendor's parser does, e.g. orq's lowercase purposes).
                if their_enum is not None and not their_enum <= (our_enum or set()):
                    drift.append(f"{where}: body {name} takes {sorted(their_enum)} published, "
                                 f"the fake only {sorted(map(str, our_enum or []))}")
    return drift


# orq's published bodies carry no `required` for purpose etc. and are open (protobuf JSON
# ignores unknown fields); the fake takes multipart too, beyond the published JSON body.
@pytest.mark.parametrize("vendor", list(PUBLISHED))
def test_parameters_and_bodies_match_the_published_definition(
    vendor: str, published: dict[str, Document],
) -> None:
    assert parameter_drift(vendor, published[vendor]) == []


@pytest.mark.parametrize("index", range(len(DEVIATIONS)))
def test_every_listed_deviation_is_still_needed(
    index: int, published: dict[str, Document],
) -> None:
    """Without any one listed deviation, the live check must fail: no stale entries."""
    vendor, what, _, _ = DEVIATIONS[index]
    doc = copy.deepcopy(published[vendor])
    for other, (other_vendor, _, _, patch) in enumerate(DEVIATIONS):
        if other != index and other_vendor == vendor:
            patch(doc)
    assert list(LIVE_WORKFLOWS[vendor](doc)) != [], f"no longer needed: {what}"


# -- 3. responses, live ----------------------------------------------------------------------


def json_schema(doc: Document, node: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI schema as JSON Schema 2020-12: ``nullable: true`` becomes a null branch
    (the published Upload.file uses it inside allOf)."""
    schema = resolve(doc, node)

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            value = {k: convert(v) for k, v in value.items()
                     if k not in ("x-oaiMeta", "x-stainless-const", "example", "deprecated")}
            if "allOf" in value:
                parts = value.pop("allOf")
                if any(isinstance(p, dict) and p.get("nullable") for p in parts):
                    kept = [{k: v for k, v in p.items() if k not in ("nullable", "description")}
                            for p in parts]
                    kept = [p for p in kept if p]
                    return {**value, "anyOf": [{"type": "null"}, {"allOf": kept}]}
                value["allOf"] = parts
            if value.get("format") == "bytes":
                del value["format"]
            return value
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    converted: dict[str, Any] = convert(schema)
    return converted


class Recorder:
    """Calls the in-process app and keeps, per published operation, the 200 bodies."""

    def __init__(self, vendor: str, doc: Document, **client_args: Any) -> None:
        self.vendor, self.doc = vendor, doc
        prefix, strip = PREFIXES[vendor]
        self.app = create_app(Settings())
        self.client = httpx.Client(transport=transport_for(httpx, self.app),
                                   base_url="http://fake" + prefix, **client_args)
        self.bodies: dict[tuple[str, str], list[Any]] = {}
        self.errors: list[tuple[str, Any]] = []  # (request, body) of every 4xx
        self.published = operations(doc, strip)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        key = (method.lower(), normal_path_of(self.published, method.lower(), path))
        if response.status_code == 200 and response.headers.get(
                "content-type", "").startswith("application/json"):
            self.bodies.setdefault(key, []).append(response.json())
        elif 400 <= response.status_code < 500:
            self.errors.append((f"{method} {path} -> {response.status_code}", response.json()))
        return response

    def problems(self) -> Iterator[str]:
        error_schema = self.doc["components"]["schemas"].get("ErrorResponse")
        if error_schema is not None:  # OpenAI publishes its error envelope; orq does not
            validator = Draft202012Validator(json_schema(self.doc, error_schema))
            for request, body in self.errors:
                for error in validator.iter_errors(body):
                    yield f"{request}: {'/'.join(map(str, error.path))}: {error.message}"
        for key, op in self.published.items():
            if key not in self.bodies:
                yield f"{key[0].upper()} {key[1]}: not exercised"
                continue
            media = op["responses"]["200"]["content"]["application/json"]
            validator = Draft202012Validator(json_schema(self.doc, media["schema"]))
            for body in self.bodies[key]:
                for error in validator.iter_errors(body):
                    yield (f"{key[0].upper()} {key[1]}: {'/'.join(map(str, error.path))}: "
                           f"{error.message}")


def normal_path_of(published: dict[tuple[str, str], Any], method: str, path: str) -> str:
    """The published path template a concrete path matches (``/files/file-1`` → ``/files/{}``)."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    for candidate_method, template in published:
        parts = template.strip("/").split("/")
        if candidate_method == method and len(parts) == len(segments) and all(
                p == "{}" or p == s for p, s in zip(parts, segments, strict=True)):
            return template
    return path


def openai_problems(doc: Document) -> list[str]:
    """Every published OpenAI operation, called; what does not validate against ``doc``."""
    rec = Recorder("openai", doc, headers={"Authorization": "Bearer sk-conformance"})
    made = rec.call("POST", "/files", files={"file": ("a.jsonl", b'{"a": 1}\n')},
                    data={"purpose": "batch"}).json()
    rec.call("POST", "/files", files={"file": ("e.jsonl", b'{"a": 1}\n')},
             data={"purpose": "evals"})
    rec.call("GET", "/files")
    rec.call("GET", "/files", params={"purpose": "nothing-has-this"})  # an empty page
    rec.call("GET", f"/files/{made['id']}")
    assert rec.call("GET", f"/files/{made['id']}/content").content == b'{"a": 1}\n'
    rec.call("DELETE", f"/files/{made['id']}")
    upload = rec.call("POST", "/uploads", json={
        "bytes": 3, "filename": "p.jsonl", "mime_type": "application/jsonl",
        "purpose": "fine-tune"}).json()
    part = rec.call("POST", f"/uploads/{upload['id']}/parts",
                    files={"data": ("blob", b"abc")}).json()
    rec.call("POST", f"/uploads/{upload['id']}/complete", json={"part_ids": [part["id"]]})
    other = rec.call("POST", "/uploads", json={
        "bytes": 1, "filename": "x.txt", "mime_type": "text/plain",
        "purpose": "assistants"}).json()
    rec.call("POST", f"/uploads/{other['id']}/cancel")
    # Refusals, in the published error envelope.
    assert rec.call("GET", "/files/file-unknown").status_code == 404
    assert rec.call("POST", "/files", data={"purpose": "nope"},
                    files={"file": ("a.txt", b"a")}).status_code == 400
    assert rec.call("POST", "/uploads", json={"colour": "blue"}).status_code == 400
    assert rec.errors
    # The download route answers bytes, which the published document types as a JSON
    # string; its body is checked above, not by schema.
    rec.bodies.setdefault(("get", "/files/{}/content"), [])
    return list(rec.problems())


def orq_problems(doc: Document) -> list[str]:
    rec = Recorder("orq", doc, headers={"Authorization": "Bearer orq-conformance"})
    content = base64.b64encode(b"# FAQ").decode()
    made = rec.call("POST", "/files", json={"filename": "faq.md", "content": content}).json()
    file_id = made["file"]["file_id"]
    rec.call("GET", "/files")
    rec.call("GET", f"/files/{file_id}")
    rec.call("PATCH", f"/files/{file_id}", json={"file_name": "faq-2.md"})
    rec.call("GET", f"/files/{file_id}/content")
    rec.call("DELETE", f"/files/{file_id}")
    return list(rec.problems())


LIVE_WORKFLOWS: dict[str, Callable[[Document], list[str]]] = {
    "openai": openai_problems, "orq": orq_problems,
}


@pytest.mark.parametrize("vendor", list(PUBLISHED))
def test_responses_validate_against_the_published_schemas(
    vendor: str, published: dict[str, Document],
) -> None:
    assert LIVE_WORKFLOWS[vendor](with_deviations(vendor, published[vendor])) == []


@pytest.mark.parametrize(("path", "body"), [
    ("/uploads", {"bytes": 1, "filename": "a.txt", "mime_type": "text/plain",
                  "purpose": "assistants", "colour": "blue"}),
    ("/uploads/upload_x/complete", {"part_ids": [], "colour": "blue"}),
])
def test_closed_json_bodies_refuse_unknown_fields(path: str, body: dict[str, Any]) -> None:
    """additionalProperties: false in the published request schemas, live."""
    app = create_app(Settings())
    with httpx.Client(transport=transport_for(httpx, app),
                      base_url="http://fake/openai/v1",
                      headers={"Authorization": "Bearer sk-x"}) as client:
        if path.startswith("/uploads/upload_x"):
            upload = client.post("/uploads", json={
                "bytes": 1, "filename": "a.txt", "mime_type": "text/plain",
                "purpose": "assistants"}).json()
            path = path.replace("upload_x", upload["id"])
        response = client.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Unrecognized request argument supplied: colour")
