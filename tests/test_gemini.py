"""Google Gemini Files API through the real ``google-genai`` client (``client.files``).

The main venv runs google-genai 2.34.0 (v1beta by default, on httpx); ``make
test-openai-latest`` runs these tests again (marker ``gemini_sdk``) with 3.6.1 (v1 by default,
on httpx2). Both API versions are driven on both lines, in-process and on a live server, and
every JSON body the fake sends is checked against tests/contracts.py on the way.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import time
from typing import Any

import pytest

from fakefiles.inprocess import async_transport_for, transport_for
from fakefiles.vendors.gemini_info import genai_httpx_module
from tests.conftest import IN_PROCESS

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402

pytestmark = pytest.mark.gemini_sdk

KEY = "AIza-test-0123456789"
VERSIONS = ["v1", "v1beta"]
MISSING = "You do not have permission to access the File {} or it may not exist."


def gemini_client(base_url: str, app: Any | None = None, api_version: str | None = None,
                  api_key: str = KEY) -> Any:
    options: dict[str, Any] = {"base_url": base_url}
    if api_version is not None:
        options["api_version"] = api_version
    if app is not None:
        hx = genai_httpx_module()
        options["httpx_client"] = hx.Client(transport=transport_for(hx, app))
        options["httpx_async_client"] = hx.AsyncClient(transport=async_transport_for(hx, app))
    return genai.Client(api_key=api_key, http_options=options)


@pytest.fixture(params=["in-process", "live"])
def where(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(where: str, request: pytest.FixtureRequest) -> Any:
    """A factory of SDK clients on the contract-checked app, in-process or live."""
    if where == "in-process":
        app = request.getfixturevalue("app")
        return lambda **kw: gemini_client(f"{IN_PROCESS}/gemini", app, **kw)
    live = request.getfixturevalue("live")
    return lambda **kw: gemini_client(f"{live.url}/gemini", **kw)


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# -- the whole workflow ---------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_whole_workflow(make_client: Any, version: str, tmp_path: Any) -> None:
    client = make_client(api_version=version)
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 hello")
    from_path = client.files.upload(file=str(path))
    assert from_path.name.startswith("files/") and len(from_path.name) == len("files/") + 12
    assert from_path.mime_type == "application/pdf" and from_path.size_bytes == 14
    assert from_path.display_name is None  # the SDK sends none for a path; proto JSON omits it
    assert from_path.sha256_hash == b64_sha256(b"%PDF-1.4 hello")
    assert from_path.state == types.FileState.ACTIVE
    assert from_path.source == types.FileSource.UPLOADED
    assert from_path.expiration_time - from_path.create_time == __import__(
        "datetime").timedelta(hours=48)
    # 2.x (and the JS SDK) start every upload at upload/v1beta whatever api_version says.
    assert from_path.uri.startswith(IN_PROCESS if "fakefiles.test" in from_path.uri else "http")
    assert from_path.uri.endswith(f"/files/{from_path.name[6:]}")
    assert client.files.get(name=from_path.name).uri.endswith(
        f"/gemini/{version}/files/{from_path.name[6:]}")
    assert from_path.download_uri is None

    greeting = client.files.upload(file=io.BytesIO(b"hello"),
                                   config={"mime_type": "text/plain", "display_name": "greeting"})
    assert greeting.display_name == "greeting" and greeting.size_bytes == 5
    chosen = client.files.upload(file=io.BytesIO(b"hi"),
                                 config={"mime_type": "text/plain", "name": "my-id-1"})
    assert chosen.name == "files/my-id-1"

    for name in (greeting.name, greeting.name.removeprefix("files/")):
        got = client.files.get(name=name)
        assert got.model_dump(exclude={"uri"}) == greeting.model_dump(exclude={"uri"})

    first = client.files.list(config={"page_size": 2})
    assert [f.name for f in first.page] == [chosen.name, greeting.name]  # newest first
    listed = [f.name for f in client.files.list(config={"page_size": 2})]  # auto-pagination
    assert listed == [chosen.name, greeting.name, from_path.name]

    with pytest.raises(ValueError, match="Only generated files can be downloaded"):
        client.files.download(file=greeting)  # the SDK refuses before any request
    with pytest.raises(errors.ClientError) as refused:
        client.files.download(file=greeting.name)
    assert refused.value.code == 400 and refused.value.status == "INVALID_ARGUMENT"

    client.files.delete(name=greeting.name)
    for call in (client.files.get, client.files.delete):
        with pytest.raises(errors.ClientError) as gone:
            call(name=greeting.name)
        assert (gone.value.code, gone.value.status) == (403, "PERMISSION_DENIED")
        assert gone.value.message == MISSING.format(greeting.name.removeprefix("files/"))
    assert [f.name for f in client.files.list()] == [chosen.name, from_path.name]


@pytest.mark.parametrize("version", VERSIONS)
def test_async_workflow(make_client: Any, version: str) -> None:
    aio = make_client(api_version=version).aio

    async def workflow() -> None:
        uploaded = await aio.files.upload(file=io.BytesIO(b"hello"),
                                          config={"mime_type": "text/plain"})
        assert (await aio.files.get(name=uploaded.name)).sha256_hash == b64_sha256(b"hello")
        names = [f.name async for f in await aio.files.list(config={"page_size": 1})]
        assert names == [uploaded.name]
        await aio.files.delete(name=uploaded.name)
        with pytest.raises(errors.ClientError):
            await aio.files.get(name=uploaded.name)
        await aio.aclose()

    asyncio.run(workflow())


def test_sdk_default_version_is_served(make_client: Any) -> None:
    client = make_client()
    uploaded = client.files.upload(file=io.BytesIO(b"x"), config={"mime_type": "text/plain"})
    assert client.files.get(name=uploaded.name).name == uploaded.name


def test_chunked_upload_of_more_than_8_mib(app: Any) -> None:
    """The SDK sends 8 MiB chunks: ``upload`` answered ``active``, then ``upload, finalize``."""
    data = bytes(range(256)) * (9 * 4096) + b"0123456789"
    client = gemini_client(f"{IN_PROCESS}/gemini", app)
    uploaded = client.files.upload(file=io.BytesIO(data),
                                   config={"mime_type": "application/octet-stream"})
    assert uploaded.size_bytes == len(data) and uploaded.sha256_hash == b64_sha256(data)
    journal = app.state.fake.journal.entries(vendor="gemini", method="POST")
    commands = [e.headers.get("x-goog-upload-command") for e in journal]
    assert commands == ["start", "upload", "upload, finalize"]


# -- the pytest plugin's clients, as a user writes them -------------------------------------


def test_plugin_clients_in_process(fakefiles: Any) -> None:
    client = fakefiles.client("gemini")
    uploaded = client.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
    assert [r.id for r in fakefiles.files("gemini")] == [uploaded.name.removeprefix("files/")]

    async def use_async() -> list[str]:
        aio = fakefiles.async_client("gemini", api_version="v1beta")
        await aio.files.upload(file=io.BytesIO(b"x"), config={"mime_type": "text/plain"})
        names = [f.name async for f in await aio.files.list()]
        await aio.aclose()
        return names

    assert len(asyncio.run(use_async())) == 2


def test_plugin_clients_live(fakefiles_server: Any) -> None:
    client = fakefiles_server.client("gemini", api_version="v1")
    uploaded = client.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
    assert uploaded.uri.startswith(fakefiles_server.url)

    async def use_async() -> str:
        aio = fakefiles_server.async_client("gemini")
        name = str((await aio.files.get(name=uploaded.name)).name)
        await aio.aclose()
        return name

    assert asyncio.run(use_async()) == uploaded.name


# -- fixtures, clock, processing, download ------------------------------------------------


def test_generated_fixture_files_download(fakefiles: Any) -> None:
    fakefiles.seed(gemini={"files": [
        {"id": "gen1", "filename": "out.png", "content": b"PNGDATA", "source": "GENERATED",
         "display_name": "chart"},
        {"id": "slow1", "filename": "clip.mp4", "size": 10, "state": "PROCESSING"},
        {"id": "bad1", "filename": "broken.mp4", "size": 10, "state": "FAILED",
         "error_message": "Unsupported codec."},
    ]})
    client = fakefiles.client("gemini")
    generated = client.files.get(name="files/gen1")
    assert generated.source == types.FileSource.GENERATED and generated.download_uri
    assert generated.display_name == "chart"
    assert client.files.download(file=generated) == b"PNGDATA"
    assert client.files.download(file="files/gen1") == b"PNGDATA"
    assert client.files.get(name="slow1").state == types.FileState.PROCESSING
    failed = client.files.get(name="bad1")
    assert failed.state == types.FileState.FAILED and failed.error.message == "Unsupported codec."
    # The media download path batch clients use.
    with fakefiles.http() as http:
        response = http.get("/gemini/download/v1beta/files/gen1:download?alt=media",
                            headers={"x-goog-api-key": KEY})
    assert response.content == b"PNGDATA"


def test_files_expire_after_48_hours_on_the_fake_clock(fakefiles: Any) -> None:
    fakefiles.clock.freeze()
    client = fakefiles.client("gemini")
    uploaded = client.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
    fakefiles.clock.advance(48 * 3600 - 1)
    assert client.files.get(name=uploaded.name).name == uploaded.name
    fakefiles.clock.advance(1)
    with pytest.raises(errors.ClientError) as gone:
        client.files.get(name=uploaded.name)
    assert gone.value.code == 403
    assert list(client.files.list()) == []


def test_processing_then_active_on_the_fake_clock(fakefiles: Any) -> None:
    fakefiles.seed(gemini={"processing_seconds": 30})
    fakefiles.clock.freeze()
    client = fakefiles.client("gemini")
    uploaded = client.files.upload(file=io.BytesIO(b"v"), config={"mime_type": "video/mp4"})
    assert uploaded.state == types.FileState.PROCESSING
    fakefiles.clock.advance(30)
    ready = client.files.get(name=uploaded.name)
    assert ready.state == types.FileState.ACTIVE
    assert (ready.update_time - ready.create_time).total_seconds() == 30
    fakefiles.reset()  # back to the default: ACTIVE at once
    again = fakefiles.client("gemini").files.upload(file=io.BytesIO(b"v"),
                                                    config={"mime_type": "video/mp4"})
    assert again.state == types.FileState.ACTIVE


def test_fixture_section_loads_from_yaml(fakefiles: Any) -> None:
    records = fakefiles.seed("""
gemini:
  processing_seconds: 5
  files:
    - {id: doc1, filename: notes.txt, content: hello, display_name: Notes}
  generate: {count: 3}
""")
    assert len(records) == 4
    client = fakefiles.client("gemini")
    names = [f.name for f in client.files.list()]
    assert "files/doc1" in names and len(names) == 4
    assert all(len(n) == len("files/") + 12 for n in names if n != "files/doc1")


# -- keys, limits, faults, bad input ------------------------------------------------------


@pytest.mark.fakefiles(auth="strict", api_keys=[KEY])
def test_keys_as_the_real_service_answers(fakefiles: Any) -> None:
    with fakefiles.http(api_key=None) as http:
        assert http.get("/gemini/v1beta/files",
                        headers={"authorization": f"Bearer {KEY}"}).status_code == 200
        missing = http.get("/gemini/v1beta/files")
        assert missing.status_code == 403
        assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
        assert missing.json()["error"]["message"].startswith(
            "Method doesn't allow unregistered callers")
        bad = http.get("/gemini/v1beta/files", headers={"x-goog-api-key": "AIza-wrong"})
        assert bad.status_code == 400
        error = bad.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        assert error["details"][0]["reason"] == "API_KEY_INVALID"
        assert http.get(f"/gemini/v1/files?key={KEY}").status_code == 200
    # The bytes go without a key (the upload id is the credential), and still get in.
    uploaded = fakefiles.client("gemini", api_key=KEY).files.upload(
        file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
    assert uploaded.size_bytes == 5
    with pytest.raises(errors.ClientError) as refused:
        fakefiles.client("gemini", api_key="AIza-wrong").files.list()
    assert refused.value.code == 400


def test_journal_masks_key_header_key_param_and_upload_id(fakefiles: Any) -> None:
    client = fakefiles.client("gemini", api_key="AIza-secret-0123456789")
    client.files.upload(file=io.BytesIO(b"hello"), config={"mime_type": "text/plain"})
    with fakefiles.http() as http:
        http.get("/gemini/v1beta/files?key=AIza-secret-0123456789")
    text = repr(fakefiles.requests(vendor="gemini"))
    assert "AIza-secret-0123456789" not in text
    bytes_request = fakefiles.requests(vendor="gemini")[1]
    assert "upload_id=****" in bytes_request.query


@pytest.mark.fakefiles(max_upload_bytes=1000)
def test_size_limit_refused_at_once(fakefiles: Any) -> None:
    client = fakefiles.client("gemini")
    started = time.monotonic()
    with pytest.raises(errors.ClientError) as refused:
        client.files.upload(file=io.BytesIO(b"x" * 2000), config={"mime_type": "text/plain"})
    assert refused.value.code == 400 and "limit is 1000 bytes" in refused.value.message
    assert time.monotonic() - started < 5  # no 1-2-4 s retries
    assert fakefiles.files("gemini") == []
    assert client.files.upload(file=io.BytesIO(b"x" * 1000),
                               config={"mime_type": "text/plain"}).size_bytes == 1000


def test_every_reply_to_the_upload_url_carries_the_upload_status(fakefiles: Any) -> None:
    with fakefiles.http() as http:
        unknown = http.post("/gemini/upload/v1beta/files?upload_id=nope&upload_protocol="
                            "resumable", headers={"x-goog-upload-command": "upload, finalize",
                                                  "x-goog-upload-offset": "0"}, content=b"x")
        assert unknown.status_code == 404
        assert unknown.headers["x-goog-upload-status"] == "final"
        # An injected fault on the upload URL carries it too (or the SDK would retry ~7 s).
        fakefiles.fail(vendor="gemini", method="POST", path="/upload/*", status=503)
        faulted = http.post("/gemini/upload/v1beta/files?upload_id=nope", content=b"x")
    assert faulted.status_code == 503 and faulted.headers["x-goog-upload-status"] == "final"
    assert faulted.json()["error"]["status"] == "UNAVAILABLE"
    started = time.monotonic()
    with pytest.raises(errors.ServerError) as failed:
        fakefiles.client("gemini").files.upload(file=io.BytesIO(b"hello"),
                                                config={"mime_type": "text/plain"})
    assert failed.value.status == "UNAVAILABLE"
    assert time.monotonic() - started < 5


def test_faults_use_the_gemini_envelope(fakefiles: Any) -> None:
    fakefiles.fail(vendor="gemini", status=429, times=1)
    with pytest.raises(errors.ClientError) as limited:
        fakefiles.client("gemini").files.list()
    assert (limited.value.code, limited.value.status) == (429, "RESOURCE_EXHAUSTED")


def test_js_sdk_start_body_in_camel_case_with_a_string_size(fakefiles: Any) -> None:
    with fakefiles.http() as http:
        start = http.post("/gemini/upload/v1beta/files", headers={
            "x-goog-api-key": KEY, "x-goog-upload-protocol": "resumable",
            "x-goog-upload-command": "start"},
            json={"file": {"mimeType": "text/plain", "displayName": "greet", "sizeBytes": "5"}})
        assert start.status_code == 200 and start.headers["x-goog-upload-status"] == "active"
        url = start.headers["x-goog-upload-url"]
        assert url.startswith(f"{fakefiles.url}/gemini/upload/v1beta/files?upload_id=")
        done = http.post(url, headers={"x-goog-api-key": KEY, "x-goog-upload-command":
                                       "upload, finalize", "x-goog-upload-offset": "0"},
                         content=b"hello")
    assert done.headers["x-goog-upload-status"] == "final"
    file = done.json()["file"]
    assert file["displayName"] == "greet" and file["sizeBytes"] == "5"
    assert file["mimeType"] == "text/plain"


@pytest.mark.parametrize(("path", "kwargs", "status"), [
    ("/gemini/v1beta/files?pageSize=abc", {}, 400),
    ("/gemini/v1beta/files?pageToken=%%%", {}, 400),
    ("/gemini/v2/files", {}, 404),
    ("/gemini/v1beta/files/nope:download", {}, 403),
])
def test_bad_input_gets_a_clear_error(fakefiles: Any, path: str, kwargs: Any,
                                      status: int) -> None:
    with fakefiles.http() as http:
        response = http.get(path, headers={"x-goog-api-key": KEY})
    assert response.status_code == status
    assert set(response.json()["error"]) >= {"code", "message", "status"}


@pytest.mark.parametrize(("headers", "body", "message"), [
    ({}, {"file": {"mime_type": "text/plain"}}, "resumable upload protocol only"),
    ({"x-goog-upload-protocol": "resumable"}, {}, "X-Goog-Upload-Command: start"),
    ({"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
     {"file": {"name": "files/Bad_Name"}}, "Invalid file name"),
    ({"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
     {"file": {"size_bytes": "many"}}, "Invalid file size"),
    ({"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
     [1, 2], "must be a JSON object"),
])
def test_bad_start_requests(fakefiles: Any, headers: dict[str, str], body: Any,
                            message: str) -> None:
    with fakefiles.http() as http:
        response = http.post("/gemini/upload/v1beta/files", json=body,
                             headers={"x-goog-api-key": KEY, **headers})
    assert response.status_code == 400 and message in response.json()["error"]["message"]
    assert fakefiles.files("gemini") == []


def test_wrong_offset_and_short_upload_store_nothing(fakefiles: Any) -> None:
    start_headers = {"x-goog-api-key": KEY, "x-goog-upload-protocol": "resumable",
                     "x-goog-upload-command": "start",
                     "x-goog-upload-header-content-length": "5"}
    with fakefiles.http() as http:
        for offset, content in (("3", b"hello"), ("0", b"hel")):
            url = http.post("/gemini/upload/v1/files", headers=start_headers,
                            json={}).headers["x-goog-upload-url"]
            response = http.post(url, content=content, headers={
                "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": offset})
            assert response.status_code == 400
            assert response.headers["x-goog-upload-status"] == "final"
    assert fakefiles.files("gemini") == []


def test_duplicate_name_is_already_exists(fakefiles: Any) -> None:
    client = fakefiles.client("gemini")
    client.files.upload(file=io.BytesIO(b"a"), config={"mime_type": "text/plain", "name": "x1"})
    with pytest.raises(errors.ClientError) as taken:
        client.files.upload(file=io.BytesIO(b"b"), config={"mime_type": "text/plain",
                                                           "name": "x1"})
    assert (taken.value.code, taken.value.status) == (409, "ALREADY_EXISTS")


# -- browser, control API, the schema against the SDK --------------------------------------


def test_cors_lets_the_js_sdk_upload_from_a_page(fakefiles: Any) -> None:
    with fakefiles.http() as http:
        preflight = http.options("/gemini/upload/v1beta/files", headers={
            "origin": "http://localhost:5173", "access-control-request-method": "POST",
            "access-control-request-headers": "x-goog-api-key,x-goog-upload-command,"
            "x-goog-upload-offset,x-goog-upload-protocol,x-goog-upload-header-content-length,"
            "x-goog-upload-header-content-type,content-type,x-goog-api-client"})
        assert preflight.status_code == 200
        start = http.post("/gemini/upload/v1beta/files", json={}, headers={
            "origin": "http://localhost:5173", "x-goog-api-key": KEY,
            "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"})
    exposed = start.headers["access-control-expose-headers"].lower()
    assert "x-goog-upload-url" in exposed and "x-goog-upload-status" in exposed


def test_control_api_state_counts_gemini_files(fakefiles: Any) -> None:
    fakefiles.client("gemini").files.upload(file=io.BytesIO(b"hello"),
                                            config={"mime_type": "text/plain"})
    with fakefiles.http() as http:
        state = http.get("/_fakefiles/state").json()
    assert state["vendors"]["gemini"] == {"files": 1, "bytes": 5}


def test_file_schema_matches_the_sdk_model() -> None:
    """Every property the contract allows is a field of google-genai's ``types.File`` (by its
    camelCase alias) and every enum value one the SDK knows, so no response warns."""
    from tests.contracts import GEMINI_COMPONENTS

    schema = GEMINI_COMPONENTS["File"]
    camel = {"".join(w.capitalize() if i else w for i, w in enumerate(n.split("_")))
             for n in types.File.model_fields}
    assert set(schema["properties"]) <= camel
    assert set(schema["properties"]["state"]["enum"]) <= {s.value for s in types.FileState}
    assert set(schema["properties"]["source"]["enum"]) <= {s.value for s in types.FileSource}


def test_files_survive_a_restart_with_a_data_dir(tmp_path: Any) -> None:
    from fakefiles import Fake, Settings, create_app

    settings = Settings(data_dir=tmp_path / "data")
    first = Fake(settings)
    client = gemini_client(f"{IN_PROCESS}/gemini", create_app(fake=first))
    uploaded = client.files.upload(file=io.BytesIO(b"kept"),
                                   config={"mime_type": "text/plain", "display_name": "kept"})
    first.close()
    second = Fake(settings)
    try:
        again = gemini_client(f"{IN_PROCESS}/gemini", create_app(fake=second)).files.get(
            name=uploaded.name)
        assert again.model_dump(exclude={"uri"}) == uploaded.model_dump(exclude={"uri"})
    finally:
        second.close()
