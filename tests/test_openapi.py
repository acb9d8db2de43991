"""The OpenAPI documents in fakefiles/specs/: served per vendor, valid, and exactly the routes.

The fuzzing against them is in test_fuzz.py; here: the documents list every route the app
serves and nothing else, reuse the seeds' component schemas as they are, give every error
response the vendor's envelope, and their links point at real operations and parameters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from starlette.routing import Mount, Route

from fakefiles import Settings, create_app, specs
from fakefiles.inprocess import transport_for
from tests.contracts import seed_document

VENDORS = ["openai", "impala", "vlmrun", "orq", "anthropic", "gemini"]
SEEDS = Path(__file__).parent / "seeds"
SEED_OF_VENDOR = {"impala": "001", "vlmrun": "000", "orq": "002"}
METHODS = {"get", "put", "post", "patch", "delete"}
# The schemas a vendor's 4xx bodies use: (for 422, for every other status).
ERROR_SCHEMAS = {
    "openai": ("Error", "Error"),
    "impala": ("HTTPValidationError", "ErrorResponseModel"),
    "vlmrun": ("HTTPValidationError", "HTTPError"),
    "orq": ("Status", "Status"),
    "anthropic": ("ErrorResponse", "ErrorResponse"),
    "gemini": ("Status", "Status"),
}


def served_operations() -> dict[str, tuple[str, set[tuple[str, str]]]]:
    """prefix -> (vendor, {(method, path)}) walked from the app's own routing table."""
    app = create_app(Settings())
    vendor_of = {prefix: vendor.name for prefix, vendor in app.state.mounts}
    served: dict[str, tuple[str, set[tuple[str, str]]]] = {}
    for mount in app.routes:
        if not isinstance(mount, Mount) or mount.path not in vendor_of:
            continue
        operations = set()
        for route in mount.routes:
            assert isinstance(route, Route)
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {file_id:path} -> {file_id}
            # Starlette answers HEAD wherever it answers GET; the documents leave it implicit.
            operations |= {(method.lower(), path) for method in route.methods or ()
                           if method != "HEAD"}
        served[mount.path] = (vendor_of[mount.path], operations)
    return served


def documented_operations(vendor: str) -> set[tuple[str, str]]:
    return {(method, path) for path, item in specs.document(vendor)["paths"].items()
            for method in item if method in METHODS}


def operations_of(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS]


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_every_mount_serves_exactly_its_documented_routes() -> None:
    served = served_operations()
    assert set(served) == {"/openai/v1", "/v1", "/impala/v1", "/vlmrun/v1", "/orq/v2", "/v2",
                           "/anthropic/v1", "/gemini"}
    for prefix, (vendor, operations) in served.items():
        documented = documented_operations(vendor)
        assert operations - documented == set(), f"{prefix}: served but not documented"
        assert documented - operations == set(), f"{prefix}: documented but not served"


@pytest.mark.parametrize("prefix", ["/openai/v1", "/v1", "/impala/v1", "/vlmrun/v1", "/orq/v2",
                                    "/v2", "/anthropic/v1", "/gemini"])
def test_document_is_served_under_its_prefix_without_a_key(prefix: str) -> None:
    app = create_app(Settings(auth="strict"))  # every other route wants a known key
    with httpx.Client(transport=transport_for(httpx, app), base_url="http://t") as client:
        response = client.get(f"{prefix}/openapi.json")
        # Gemini refuses a missing key with 403 PERMISSION_DENIED, as the real service does.
        files = f"{prefix}/v1beta/files" if prefix == "/gemini" else f"{prefix}/files"
        assert client.get(files).status_code == (403 if prefix == "/gemini" else 401)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": prefix}]  # schemathesis and Swagger UI call this mount
    vendor = {"/v1": "openai", "/v2": "orq"}.get(prefix, prefix.split("/")[1])
    assert doc["paths"] == specs.document(vendor)["paths"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_document_is_valid_openapi_31(vendor: str) -> None:
    doc = specs.document(vendor)
    schemathesis.openapi.from_dict(doc).validate()  # raises on any violation of the spec
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc))
    assert refs, "the documents share their schemas through components"
    for ref in refs:
        assert resolve(doc, {"$ref": ref}), ref


@pytest.mark.parametrize("vendor", ["impala", "vlmrun", "orq"])
def test_seed_component_schemas_are_reused_verbatim(vendor: str) -> None:
    seed = seed_document(SEED_OF_VENDOR[vendor])["components"]["schemas"]
    ours = specs.document(vendor)["components"]["schemas"]
    for name, schema in seed.items():
        if vendor == "orq" and name == "FilePurpose":
            # The one widening, marked in the document: the SDK's CODE_INTERPRETER purpose.
            assert ours[name]["enum"] == [*schema["enum"], "FILE_PURPOSE_CODE_INTERPRETER"]
            assert "x-fakefiles-note" in ours[name]
            continue
        assert ours[name] == schema, name


def test_openai_file_is_the_seed_004_schema() -> None:
    seed = json.loads((SEEDS / "openai_file.schema.json").read_text())
    assert specs.document("openai")["components"]["schemas"]["OpenAIFile"] == seed


@pytest.mark.parametrize("vendor", VENDORS)
def test_error_responses_use_the_vendor_envelope(vendor: str) -> None:
    doc = specs.document(vendor)
    for method, path, op in operations_of(doc):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            schema = resolve(doc, response)["content"]["application/json"]["schema"]
            expected = ERROR_SCHEMAS[vendor][0 if status == "422" else 1]
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)


@pytest.mark.parametrize("vendor", VENDORS)
def test_operation_ids_are_unique_and_links_point_at_real_parameters(vendor: str) -> None:
    doc = specs.document(vendor)
    by_id: dict[str, tuple[str, dict[str, Any]]] = {}
    for _, path, op in operations_of(doc):
        assert op["operationId"] not in by_id
        by_id[op["operationId"]] = (path, op)
    links = 0
    for _, _, op in operations_of(doc):
        for response in op["responses"].values():
            for link in resolve(doc, response).get("links", {}).values():
                path, target = by_id[link["operationId"]]
                names = {p["name"] for p in [*doc["paths"][path].get("parameters", []),
                                             *target.get("parameters", [])]}
                assert set(link["parameters"]) <= names, link
                links += 1
    if vendor == "gemini":
        # Its create is two requests (start, then bytes to the session URL) and answers
        # "files/<id>" where the paths take "<id>": no link can carry that.
        assert links == 0
    else:
        assert links >= 2  # at least create -> retrieve and create -> delete


@pytest.mark.parametrize("vendor", VENDORS)
def test_authenticated_operations_document_401_and_public_ones_do_not(vendor: str) -> None:
    # Gemini never answers 401: no key is 403, a bad key 400 (API_KEY_INVALID).
    refusal = {"400", "403"} if vendor == "gemini" else {"401"}
    for method, path, op in operations_of(specs.document(vendor)):
        public = op.get("security") == []
        assert (refusal <= set(op["responses"])) is not public, (method, path)
