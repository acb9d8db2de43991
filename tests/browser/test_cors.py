"""CORS for a frontend on another origin: preflights for an authorized multipart upload (and
the fault header) on every vendor prefix, none on the control API unless its origins are
named, and readable headers and error bodies on the actual responses. In-process, so it runs
without a browser."""

from __future__ import annotations

import httpx
import pytest

from fakefiles import Settings, create_app
from fakefiles.inprocess import transport_for
from tests.conftest import IN_PROCESS

ORIGIN = "http://127.0.0.1:5173"  # a dev server's origin, unlike the fake's
FILE_ROUTES = ["/openai/v1/files", "/v1/files", "/impala/v1/files", "/vlmrun/v1/files",
               "/orq/v2/files", "/v2/files", "/anthropic/v1/files"]
CONTROL_ROUTES = ["/_fakefiles/reset", "/_fakefiles/faults", "/_fakefiles/fixtures"]


@pytest.mark.parametrize("path", FILE_ROUTES)
def test_preflight_for_an_authorized_multipart_post(http: httpx.Client, path: str) -> None:
    response = http.options(path, headers={
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-fakefiles-fault",
    })
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"]
               .split(",")}
    assert {"authorization", "content-type", "x-fakefiles-fault"} <= allowed


@pytest.mark.parametrize("path", CONTROL_ROUTES)
def test_control_api_answers_no_preflight_unless_its_origins_are_named(path: str) -> None:
    """No web page may drive the control API by default (tests/test_security.py has the
    attacks); ``--control-origin`` names a frontend that may."""
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-fakefiles-admin-token"}
    for origins, allowed in (([], False), ([ORIGIN], True)):
        app = create_app(Settings(control_origins=origins))
        with httpx.Client(transport=transport_for(httpx, app), base_url=IN_PROCESS) as http:
            response = http.options(path, headers=preflight)
        assert (response.headers.get("access-control-allow-origin") == ORIGIN) is allowed
        if allowed:
            allowed_headers = response.headers["access-control-allow-headers"].lower()
            assert "x-fakefiles-admin-token" in allowed_headers


def upload(http: httpx.Client, path: str, headers: dict[str, str]) -> httpx.Response:
    """Each vendor's own upload: multipart for OpenAI/impala (purpose a form field) and VLM Run
    (purpose in the query); orq's SDK sends JSON with base64 content."""
    if path.startswith(("/orq", "/v2")):
        return http.post(path, headers=headers,
                         json={"filename": "a.txt", "content": "aGVsbG8=", "purpose": "retrieval"})
    if path.startswith("/vlmrun"):
        return http.post(path, headers=headers, params={"purpose": "assistants"},
                         files={"file": ("a.txt", b"hello")})
    return http.post(path, headers=headers, data={"purpose": "assistants"},
                     files={"file": ("a.txt", b"hello", "text/plain")})


@pytest.mark.parametrize("path", FILE_ROUTES)
def test_upload_response_is_readable_cross_origin(http: httpx.Client, path: str) -> None:
    response = upload(http, path, {"Origin": ORIGIN, "Authorization": "Bearer sk-browser"})
    assert response.status_code in (200, 201), response.text
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "content-disposition" in exposed
    assert response.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize("path", FILE_ROUTES)
def test_errors_and_faults_are_readable_cross_origin(http: httpx.Client, path: str) -> None:
    missing = http.get(f"{path}/file-missing", headers={"Origin": ORIGIN})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "*"
    assert missing.json()  # the vendor's envelope, not an opaque CORS failure

    fault = http.get(path, headers={"Origin": ORIGIN, "X-Fakefiles-Fault": "503;retry_after=2"})
    assert fault.status_code == 503
    assert fault.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in fault.headers["access-control-expose-headers"].lower()
    assert fault.headers["retry-after"] == "2"


def test_signed_download_needs_no_preflight_and_allows_any_origin(
    http: httpx.Client,
) -> None:
    upload = http.post("/vlmrun/v1/files", params={"purpose": "assistants"},
                       files={"file": ("a.bin", b"\x00\x01", "application/octet-stream")})
    link = http.get(f"/vlmrun/v1/files/{upload.json()['id']}").json()["public_url"]
    response = http.get(link, headers={"Origin": ORIGIN})  # no Authorization: a simple GET
    assert response.status_code == 200 and response.content == b"\x00\x01"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "attachment" in response.headers["content-disposition"]
