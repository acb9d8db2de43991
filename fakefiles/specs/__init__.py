"""Each vendor's OpenAPI 3.1 document, served at ``<prefix>/openapi.json``.

The documents (``openai.json``, ``impala.json``, ``vlmrun.json``, ``orq.json`` beside this
module) describe exactly the routes, parameters, bodies and responses the vendor module
implements, reusing the seeds' component schemas; ``tests/test_openapi.py`` keeps them in step
with the routes and ``tests/test_fuzz.py`` fuzzes the fake against them with schemathesis.

``servers`` is the prefix the document was fetched under (``/openai/v1`` or the bare
``/v1``), so a tool that loads it calls the same mount.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from ..vendors.base import Vendor


@cache
def _load(vendor: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(f"{vendor}.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def document(vendor: str, server_url: str | None = None) -> dict[str, Any]:
    """A copy of the vendor's document; ``server_url`` replaces its default server."""
    doc = copy.deepcopy(_load(vendor))
    if server_url is not None:
        doc["servers"] = [{"url": server_url}]
    return doc


def route(vendor: Vendor) -> Route:
    """``GET /openapi.json`` under the vendor's mount; no API key needed."""

    async def openapi(request: Request) -> dict[str, Any]:
        # root_path is the mount prefix the request came through (/openai/v1 or /v1).
        return document(vendor.name, request.scope.get("root_path", ""))

    return vendor.route("/openapi.json", openapi, "GET", public=True)
