"""The Anthropic persona through the real ``anthropic`` SDK: ``client.beta.files`` (and the GA
``client.files``), sync and async, in-process and on a live server, plus raw-HTTP bad input.

The main venv pins the last 0.x line (0.125.0: X-Api-Key, ?beta=true, after_id/before_id);
``make test-openai-latest`` runs the ``anthropic_sdk`` tests again with 2.x (Bearer, page /
next_page, on httpx2). The SDK validates no response, so every JSON body here is also checked
against tests/contracts.py's Anthropic schemas by the ContractRecorder around the app.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.inprocess import async_transport_for, transport_for
from fakefiles.vendors.anthropic_info import anthropic_httpx_module
from tests.conftest import IN_PROCESS, Live
from tests.contracts import ContractRecorder

pytestmark = pytest.mark.anthropic_sdk

V2 = int(anthropic.__version__.split(".")[0]) >= 2
KEY = "sk-ant-test-0123456789"
FILE_ID = re.compile(r"^file_011C[1-9A-HJ-NP-Za-km-z]{20}$")
CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
REQUEST_ID = re.compile(r"^req_[0-9a-f]{24}$")


def sdk(base_url: str, app: Any | None = None, **kwargs: Any) -> anthropic.Anthropic:
    if app is not None:
        module = anthropic_httpx_module()
        kwargs["http_client"] = module.Client(transport=transport_for(module, app))
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", KEY)
    return anthropic.Anthropic(base_url=base_url, **kwargs)


def async_sdk(base_url: str, app: Any | None = None, **kwargs: Any) -> anthropic.AsyncAnthropic:
    if app is not None:
        module = anthropic_httpx_module()
        kwargs["http_client"] = module.AsyncClient(transport=async_transport_for(module, app))
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", KEY)
    return anthropic.AsyncAnthropic(base_url=base_url, **kwargs)


@pytest.fixture(params=["in-process", "live"])
def where(request: pytest.FixtureRequest, app: ContractRecorder, fake: Fake,
          ) -> Iterator[tuple[str, Any, Fake]]:
    """(base URL, app or None, fake) for the in-process app and the session's live server."""
    if request.param == "in-process":
        yield f"{IN_PROCESS}/anthropic", app, fake
    else:
        live: Live = request.getfixturevalue("live")
        yield f"{live.url}/anthropic", None, live.fake


@pytest.fixture
def client(app: ContractRecorder) -> anthropic.Anthropic:
    return sdk(f"{IN_PROCESS}/anthropic", app)


@pytest.fixture
def raw(app: ContractRecorder) -> Iterator[httpx.Client]:
    with httpx.Client(transport=transport_for(httpx, app), base_url=f"{IN_PROCESS}/anthropic/v1",
                      headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"}) as client:
        yield client


def seed_generated(fake: Fake, **entry: Any) -> str:
    """A downloadable file, as if code execution had made it; returns its id."""
    from fakefiles.fixtures import load_fixture_text

    entry = {"filename": "chart.png", "content": "PNGDATA", "content_type": "image/png",
             "downloadable": True, **entry}
    import json

    seed = load_fixture_text(json.dumps({"anthropic": {"files": [entry]}}), source="test")
    fake.load(seed, keep=False)
    return seed.records[0].id


def assert_metadata(meta: Any, filename: str, mime_type: str, size: int) -> None:
    assert FILE_ID.match(meta.id), meta.id
    assert meta.type == "file"
    assert (meta.filename, meta.mime_type, meta.size_bytes) == (filename, mime_type, size)
    assert meta.downloadable is False
    assert meta.created_at.tzinfo is not None  # parsed from RFC 3339 with Z


# -- the whole workflow through the SDK ---------------------------------------------------


def test_whole_workflow_sync(where: tuple[str, Any, Fake]) -> None:
    base_url, app, fake = where
    client = sdk(base_url, app)
    uploaded = client.beta.files.upload(file=("notes.txt", b"hello anthropic", "text/plain"))
    assert_metadata(uploaded, "notes.txt", "text/plain", 15)
    assert REQUEST_ID.match(uploaded._request_id or "")

    meta = client.beta.files.retrieve_metadata(uploaded.id)
    assert meta.model_dump() == uploaded.model_dump()
    assert [f.id for f in client.beta.files.list()] == [uploaded.id]

    # An upload is not downloadable: 400 with error_code file_not_downloadable.
    with pytest.raises(anthropic.BadRequestError) as not_downloadable:
        client.beta.files.download(uploaded.id)
    assert not_downloadable.value.status_code == 400
    body: Any = not_downloadable.value.body
    assert body["error"]["details"] == {"error_code": "file_not_downloadable"}
    if V2:  # 2.x has its own class for it
        assert type(not_downloadable.value).__name__ == "FileNotDownloadableError"
        assert not_downloadable.value.error_code == "file_not_downloadable"  # type: ignore[attr-defined]

    generated = seed_generated(fake)
    content = client.beta.files.download(generated)
    assert content.read() == b"PNGDATA"
    assert content.headers["content-type"] == "image/png"
    assert client.beta.files.retrieve_metadata(generated).downloadable is True

    deleted = client.beta.files.delete(uploaded.id)
    assert (deleted.id, deleted.type) == (uploaded.id, "file_deleted")
    with pytest.raises(anthropic.NotFoundError) as gone:
        client.beta.files.retrieve_metadata(uploaded.id)
    assert gone.value.body == {"type": "error", "error": {
        "type": "not_found_error", "message": f"File `{uploaded.id}` not found."}}
    assert REQUEST_ID.match(gone.value.request_id or "")
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.delete(uploaded.id)
    assert [f.id for f in client.beta.files.list()] == [generated]


def test_whole_workflow_async(where: tuple[str, Any, Fake]) -> None:
    base_url, app, fake = where
    generated = seed_generated(fake, filename="out.csv", content="a,b\n1,2\n",
                               content_type="text/csv")

    async def workflow() -> None:
        async with async_sdk(base_url, app) as client:
            await steps(client)

    async def steps(client: anthropic.AsyncAnthropic) -> None:
        uploaded = await client.beta.files.upload(file=("a.json", b'{"a": 1}',
                                                        "application/json"))
        assert_metadata(uploaded, "a.json", "application/json", 8)
        assert (await client.beta.files.retrieve_metadata(uploaded.id)).id == uploaded.id
        ids = [f.id async for f in client.beta.files.list(limit=1)]  # pages of one
        assert ids == [uploaded.id, generated]
        with pytest.raises(anthropic.BadRequestError):
            await client.beta.files.download(uploaded.id)
        assert await (await client.beta.files.download(generated)).read() == b"a,b\n1,2\n"
        assert (await client.beta.files.delete(uploaded.id)).type == "file_deleted"
        with pytest.raises(anthropic.NotFoundError):
            await client.beta.files.retrieve_metadata(uploaded.id)

    asyncio.run(workflow())


def test_ga_files_resource_is_the_same_api(client: anthropic.Anthropic) -> None:
    """Both lines also have client.files (no ?beta=true, page/next_page paging)."""
    files = client.files  # type: ignore[attr-defined]
    made = [files.upload(file=(f"ga{i}.txt", b"x" * i, "text/plain")) for i in range(3)]
    assert [f.id for f in files.list(limit=2)] == [m.id for m in reversed(made)]
    assert files.retrieve_metadata(made[0].id).filename == "ga0.txt"
    assert client.beta.files.retrieve_metadata(made[1].id).size_bytes == 1
    assert files.delete(made[0].id).type == "file_deleted"


def test_what_each_sdk_line_sends(client: anthropic.Anthropic, fake: Fake) -> None:
    client.beta.files.upload(file=("a.txt", b"a", "text/plain"))
    entry = fake.journal.entries(vendor="anthropic")[-1]
    headers = {k.lower(): v for k, v in entry.headers.items()}
    if V2:
        assert headers["authorization"] != f"Bearer {KEY}"  # masked
        assert "x-api-key" not in headers and "anthropic-beta" not in headers
        assert "beta=true" not in entry.query
    else:
        assert headers["anthropic-beta"] == "files-api-2025-04-14"
        assert "beta=true" in entry.query
    assert KEY not in repr(entry)  # either header, masked in the journal


# -- listing ------------------------------------------------------------------------------


def test_auto_pagination_newest_first_with_each_lines_cursor(
        client: anthropic.Anthropic, fake: Fake) -> None:
    made = [client.beta.files.upload(file=(f"f{i}.txt", b"x", "text/plain")).id
            for i in range(5)]
    fake.journal.clear()
    assert [f.id for f in client.beta.files.list(limit=2)] == made[::-1]
    queries = [e.query for e in fake.journal.entries(vendor="anthropic", method="GET")]
    assert len(queries) == 3
    cursor = "page=page_" if V2 else f"after_id={made[3]}"
    assert cursor in queries[1], queries

    first = client.beta.files.list(limit=2)
    assert [f.id for f in first.data] == made[:2:-1]
    assert first.has_more is True
    last = client.beta.files.list(limit=10)
    assert last.has_more is False and last.first_id == made[-1] and last.last_id == made[0]


def test_before_id_pages_towards_newer_files(raw: httpx.Client) -> None:
    made = [raw.post("/files", files={"file": (f"{i}.txt", b"x", "text/plain")}).json()["id"]
            for i in range(4)]
    page = raw.get("/files", params={"before_id": made[0], "limit": 2}).json()
    assert [f["id"] for f in page["data"]] == [made[2], made[1]]
    assert page["has_more"] is True and page["next_page"] is None


def test_empty_page_has_null_cursors(raw: httpx.Client) -> None:
    """0.x loops unless an empty page has has_more false and null ids."""
    assert raw.get("/files").json() == {"data": [], "first_id": None, "last_id": None,
                                        "has_more": False, "next_page": None}


def test_list_by_ids(raw: httpx.Client) -> None:
    made = [raw.post("/files", files={"file": (f"{i}.txt", b"x", "text/plain")}).json()["id"]
            for i in range(3)]
    page = raw.get("/files", params=[("ids[]", made[2]), ("ids[]", "file_gone"),
                                     ("ids[]", made[0])]).json()
    assert [f["id"] for f in page["data"]] == [made[2], made[0]]
    assert raw.get("/files", params={"ids[]": made[0], "limit": 2}).status_code == 400


# -- uploads ------------------------------------------------------------------------------


def test_bytes_without_a_name(client: anthropic.Anthropic) -> None:
    """0.x names raw bytes "upload"; 2.x sends no filename, which the service names."""
    meta = client.beta.files.upload(file=b"raw bytes")
    assert meta.filename == ("unnamed" if V2 else "upload")
    assert meta.mime_type == "application/octet-stream"


def test_path_components_are_dropped_and_types_guessed(raw: httpx.Client) -> None:
    made = raw.post("/files", files={"file": ("dir/sub/report.pdf", b"%PDF-1.4", "")}).json()
    assert (made["filename"], made["mime_type"]) == ("report.pdf", "application/pdf")


@pytest.mark.skipif(not V2, reason="expires_in_seconds is 2.x only")
def test_expires_in_seconds(client: anthropic.Anthropic) -> None:
    meta = client.beta.files.upload(file=("e.txt", b"e", "text/plain"),
                                    expires_in_seconds=3600)  # type: ignore[call-arg]
    assert meta.expires_at is not None  # type: ignore[attr-defined]
    assert (meta.expires_at - meta.created_at).total_seconds() == 3600  # type: ignore[attr-defined]


def test_too_large_is_413_request_too_large() -> None:
    fake = Fake(Settings(max_upload_bytes=1000))
    app = ContractRecorder(create_app(fake=fake))
    client = sdk(f"{IN_PROCESS}/anthropic", app)
    with pytest.raises(anthropic.APIStatusError) as refused:
        client.beta.files.upload(file=("big.bin", b"x" * 1001, "application/octet-stream"))
    assert refused.value.status_code == 413
    assert type(refused.value).__name__ in ("RequestTooLargeError", "ContentTooLargeError")
    body: Any = refused.value.body
    assert body["error"]["type"] == "request_too_large"
    assert list(fake.store.records()) == []
    # Refused from Content-Length, before the body is read.
    with httpx.Client(transport=transport_for(httpx, app), base_url=IN_PROCESS) as http:
        response = http.post("/anthropic/v1/files", content=b"--b\r\n" * 10,
                             headers={"content-type": "multipart/form-data; boundary=b",
                                      "content-length": str(10**9), "x-api-key": KEY})
    assert response.status_code == 413
    assert not app.failures


# -- errors, auth, faults -----------------------------------------------------------------


@pytest.mark.parametrize(("status", "kind", "sdk_class"), [
    (400, "invalid_request_error", "BadRequestError"),
    (401, "authentication_error", "AuthenticationError"),
    (403, "permission_error", "PermissionDeniedError"),
    (404, "not_found_error", "NotFoundError"),
    (413, "request_too_large", "RequestTooLargeError"),
    (429, "rate_limit_error", "RateLimitError"),
    (500, "api_error", "InternalServerError"),
    (529, "overloaded_error", "OverloadedError"),
])
def test_injected_faults_in_anthropics_envelope(client: anthropic.Anthropic, fake: Fake,
                                                status: int, kind: str, sdk_class: str) -> None:
    from fakefiles.faults import FaultSpec

    fake.faults.add(FaultSpec(vendor="anthropic", status=status, times=1))
    with pytest.raises(anthropic.APIStatusError) as failed:
        client.beta.files.list()
    assert failed.value.status_code == status
    # 2.x renamed RequestTooLargeError ContentTooLargeError and keeps the old name as an alias.
    assert isinstance(failed.value, getattr(anthropic, sdk_class))
    body: Any = failed.value.body
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert REQUEST_ID.match(failed.value.request_id or "")


def test_sdk_retries_past_a_one_shot_500(app: ContractRecorder, fake: Fake) -> None:
    from fakefiles.faults import FaultSpec

    client = sdk(f"{IN_PROCESS}/anthropic", app, max_retries=2)
    # retry-after-ms keeps the SDK's back-off short (both lines honour it).
    fake.faults.add(FaultSpec(vendor="anthropic", method="POST", status=500, times=1,
                              headers={"retry-after-ms": "10"}))
    meta = client.beta.files.upload(file=("r.txt", b"retry", "text/plain"))
    assert meta.size_bytes == 5
    posts = fake.journal.entries(vendor="anthropic", method="POST")
    assert [e.status for e in posts] == [500, 200]
    assert len(list(fake.store.records("anthropic"))) == 1  # the failed try stored nothing


def test_injected_404_names_the_file(client: anthropic.Anthropic, fake: Fake) -> None:
    from fakefiles.faults import FaultSpec

    made = client.beta.files.upload(file=("x.txt", b"x", "text/plain"))
    fake.faults.add(FaultSpec(vendor="anthropic", file_id=made.id, status=404))
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.beta.files.retrieve_metadata(made.id)
    assert made.id in str(missing.value)


def test_strict_auth_takes_either_header() -> None:
    fake = Fake(Settings(auth="strict", api_keys=[KEY]))
    app = ContractRecorder(create_app(fake=fake))
    with httpx.Client(transport=transport_for(httpx, app),
                      base_url=f"{IN_PROCESS}/anthropic/v1") as http:
        assert http.get("/files", headers={"x-api-key": KEY}).status_code == 200
        assert http.get("/files", headers={"authorization": f"Bearer {KEY}"}).status_code == 200
        for headers in ({}, {"x-api-key": "sk-ant-wrong"}, {"authorization": "Bearer nope"}):
            refused = http.get("/files", headers=headers)
            assert refused.status_code == 401
            message = "invalid x-api-key" if headers else "x-api-key header is required"
            assert refused.json() == {"type": "error", "error": {
                "type": "authentication_error", "message": message}}
            assert REQUEST_ID.match(refused.headers["request-id"])
    with pytest.raises(anthropic.AuthenticationError):
        sdk(f"{IN_PROCESS}/anthropic", app, api_key="sk-ant-wrong").beta.files.list()
    assert sdk(f"{IN_PROCESS}/anthropic", app).beta.files.list().data == []
    assert not app.failures


# -- raw HTTP: bad input gets a clear 400/404 in the envelope, nothing stored ---------------


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("POST", "/files", {"files": {"other": ("a.txt", b"a")}}, 400),
    ("POST", "/files", {"files": {"file": ("a:b.txt", b"a")}}, 400),
    ("POST", "/files", {"files": {"file": ("x" * 256, b"a")}}, 400),
    ("POST", "/files", {"files": {"file": ("a.txt", b"a")},
                        "data": {"expires_in_seconds": "60"}}, 400),
    ("POST", "/files", {"content": b"not multipart",
                        "headers": {"content-type": "text/plain"}}, 400),
    ("GET", "/files?limit=0", {}, 400),
    ("GET", "/files?limit=1001", {}, 400),
    ("GET", "/files?limit=ten", {}, 400),
    ("GET", "/files?page=nonsense", {}, 400),
    ("GET", "/files?after_id=file_unknown", {}, 400),
    ("GET", "/files/weird%2Fid%20with%20space", {}, 404),
    ("GET", "/files/file_nope/content", {}, 404),
    ("DELETE", "/files/file_nope", {}, 404),
    ("GET", "/nothing/here", {}, 404),
])
def test_bad_input(raw: httpx.Client, fake: Fake, method: str, path: str,
                   kwargs: dict[str, Any], status: int) -> None:
    response = raw.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == ("invalid_request_error" if status == 400
                                     else "not_found_error")
    assert body["error"]["message"]
    assert REQUEST_ID.match(response.headers["request-id"])
    assert list(fake.store.records()) == []


def test_beta_header_version_and_query_are_accepted_whatever_they_say(raw: httpx.Client) -> None:
    response = raw.get("/files?beta=true", headers={
        "anthropic-beta": "files-api-2025-04-14,files-api-2025-04-14",
        "anthropic-version": "2026-10-21"})
    assert response.status_code == 200


# -- the pytest plugin, control API, CORS --------------------------------------------------


def test_plugin_clients_in_process(fakefiles: Any) -> None:
    client = fakefiles.client("anthropic")
    made = client.beta.files.upload(file=("p.txt", b"plugin", "text/plain"))
    assert [f.id for f in client.beta.files.list()] == [made.id]
    assert fakefiles.files("anthropic")[0].id == made.id

    async def listed() -> list[str]:
        async with fakefiles.async_client("anthropic") as async_client:
            return [f.id async for f in async_client.beta.files.list()]

    assert asyncio.run(listed()) == [made.id]


def test_plugin_clients_live(fakefiles_server: Any) -> None:
    fakefiles_server.seed(anthropic={"files": [
        {"filename": "gen.txt", "content": "made by code", "downloadable": True}]})
    client = fakefiles_server.client("anthropic")
    with client:
        (generated,) = client.beta.files.list().data
        assert client.beta.files.download(generated.id).read() == b"made by code"

    async def download() -> bytes:
        async with fakefiles_server.async_client("anthropic") as async_client:
            return await (await async_client.beta.files.download(generated.id)).read()

    assert asyncio.run(download()) == b"made by code"


def test_state_and_cors(http: httpx.Client) -> None:
    http.post("/anthropic/v1/files", files={"file": ("s.txt", b"four")},
              headers={"x-api-key": KEY})
    assert http.get("/_fakefiles/state").json()["vendors"]["anthropic"] == {"files": 1,
                                                                            "bytes": 4}
    response = http.get("/anthropic/v1/files", headers={"origin": "http://localhost:5173",
                                                         "x-api-key": KEY})
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "request-id" in exposed.split(", ")


def test_a_file_part_without_filename_keeps_its_bytes(raw: httpx.Client) -> None:
    """What 2.x sends for upload(file=b"..."): no filename, so not a text field."""
    data = bytes(range(256)) * 4  # not UTF-8
    body = (b'--b\r\nContent-Disposition: form-data; name="file"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--b--\r\n")
    made = raw.post("/files", content=body,
                    headers={"content-type": "multipart/form-data; boundary=b"}).json()
    assert (made["filename"], made["size_bytes"]) == ("unnamed", len(data))


def test_preflight_allows_what_the_js_sdk_sends_in_a_browser(http: httpx.Client) -> None:
    """@anthropic-ai/sdk with dangerouslyAllowBrowser sends these (docs/vendors/anthropic.md
    §7); the response's request-id must be readable."""
    asked = ("x-api-key,anthropic-version,anthropic-beta,"
             "anthropic-dangerous-direct-browser-access,x-stainless-retry-count")
    response = http.options("/anthropic/v1/files", headers={
        "Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": asked})
    assert response.status_code == 200
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert set(asked.split(",")) <= allowed
