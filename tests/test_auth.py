"""Auth: permissive (any non-empty key; impala none), strict (keys from ``--api-key`` and
fixtures) and none (every request), with each vendor's own 401 body, driven through the real
SDKs; keys never echoed whole, never in the journal or the access log; orq projects isolated
in both modes, signed links included."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import openai
import pytest
from orq_ai_sdk import Orq
from orq_ai_sdk.models import ErrorResponse
from vlmrun.client import VLMRun
from vlmrun.client.exceptions import AuthenticationError as VlmAuthenticationError

from fakefiles import Fake, Settings, create_app
from fakefiles.fixtures import load_fixture_text
from fakefiles.inprocess import transport_for
from fakefiles.server import LiveServer
from tests.conftest import IN_PROCESS, Live, openai_client
from tests.contracts import ContractRecorder

ROOT = Path(__file__).resolve().parents[1]
FLAG_KEY = "sk-flag-key-0123456789wxyz"  # as if from --api-key / FAKEFILES_API_KEYS
FIXTURE_KEY = "sk-fixture-key-0000abcd"  # a fixture's top-level api_keys
ORQ_A, ORQ_B = "orq-key-a-0123456789", "orq-key-b-0123456789"  # orq project keys
PROJ_A, PROJ_B = "proj_01JGRTKM006CW62Y816HKPP6V9", "proj_01JH88ZY00RA3J472E00ZSJCFE"
WRONG = "sk-wrong-key-9876543210abcd"
FIXTURE = f"""
api_keys: [{FIXTURE_KEY}]
orq:
  projects:
    - {{project_id: {PROJ_A}, api_keys: [{ORQ_A}]}}
    - {{project_id: {PROJ_B}, api_keys: [{ORQ_B}]}}
"""
OPENAI_WRONG = ("Incorrect API key provided: sk-...abcd. You can find your API key at "
                "https://platform.openai.com/account/api-keys.")
OPENAI_MISSING = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
    "(with blank username) if you're accessing the API from your browser and are prompted for "
    "a username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


def make_fake(auth: str) -> Fake:
    fake = Fake(Settings(auth=auth, api_keys=[FLAG_KEY]))  # type: ignore[arg-type]
    fake.load(load_fixture_text(FIXTURE, source="auth.yaml"))
    return fake


@pytest.fixture
def strict() -> Iterator[ContractRecorder]:
    recorder = ContractRecorder(create_app(fake=make_fake("strict")))
    yield recorder
    assert not recorder.failures, "\n".join(recorder.failures)


@pytest.fixture(params=["permissive", "strict"])
def either(request: pytest.FixtureRequest) -> Iterator[ContractRecorder]:
    recorder = ContractRecorder(create_app(fake=make_fake(request.param)))
    yield recorder
    assert not recorder.failures, "\n".join(recorder.failures)


@pytest.fixture(scope="module")
def strict_live() -> Iterator[str]:
    recorder = ContractRecorder(create_app(fake=make_fake("strict")))
    with LiveServer(recorder) as server:
        yield server.url
    assert not recorder.failures, "\n".join(recorder.failures)


def raw(app: Any, key: str | None = None, header: str | None = None) -> httpx.Client:
    headers = {}
    if header is not None:
        headers["authorization"] = header
    elif key is not None:
        headers["authorization"] = f"Bearer {key}"
    return httpx.Client(transport=transport_for(httpx, app), base_url=IN_PROCESS,
                        headers=headers)


def orq(app: Any, key: str | None) -> Orq:
    client = httpx.Client(transport=transport_for(httpx, app))
    return Orq(api_key=key, server_url=f"{IN_PROCESS}/orq", client=client)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- OpenAI and impala (the openai SDK) ------------------------------------------------------


@pytest.mark.parametrize("vendor", ["openai", "impala"])
def test_strict_refuses_a_wrong_key_with_the_vendors_401(strict: Any, vendor: str) -> None:
    sdk = openai_client(f"{IN_PROCESS}/{vendor}/v1", strict, api_key=WRONG)
    with pytest.raises(openai.AuthenticationError) as exc:
        sdk.files.list()
    message = OPENAI_WRONG if vendor == "openai" else "Incorrect API key provided: sk-...abcd."
    assert exc.value.status_code == 401
    assert exc.value.body == {"message": message, "type": "invalid_request_error",
                              "param": None, "code": "invalid_api_key"}
    assert WRONG not in exc.value.response.text
    with pytest.raises(openai.AuthenticationError):  # an upload is refused before it is read
        sdk.files.create(file=("a.txt", b"abc"), purpose="assistants")
    assert not any(strict.app.state.fake.store.records())


@pytest.mark.parametrize("vendor", ["openai", "impala"])
def test_strict_refuses_a_missing_key(strict: Any, vendor: str) -> None:
    sdk = openai_client(f"{IN_PROCESS}/{vendor}/v1", strict, api_key="")  # sends no header
    with pytest.raises(openai.AuthenticationError) as exc:
        sdk.files.list()
    expected = OPENAI_MISSING if vendor == "openai" else (
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
    )
    assert exc.value.body == {"message": expected, "type": "invalid_request_error",
                              "param": None, "code": None}
    for header in ("Basic dXNlcjpwYXNz", "Bearer ", "Token abc"):  # not a bearer key at all
        with raw(strict, header=header) as http:
            response = http.get(f"/{vendor}/v1/files")
        assert response.status_code == 401 and response.json()["error"]["code"] is None


@pytest.mark.parametrize("key", [FLAG_KEY, FIXTURE_KEY, ORQ_A])
def test_strict_accepts_flag_and_fixture_keys(strict: Any, key: str) -> None:
    for vendor in ("openai", "impala"):
        sdk = openai_client(f"{IN_PROCESS}/{vendor}/v1", strict, api_key=key)
        f = sdk.files.create(file=("a.txt", f"{vendor} {key}".encode()), purpose="vision")
        assert sdk.files.content(f.id).content == f"{vendor} {key}".encode()
        assert [x.id for x in sdk.files.list()] == [f.id]
    with raw(strict, header=f"bearer   {key}  ") as http:  # any case, spaces around
        assert http.get("/openai/v1/files").status_code == 200


def test_short_keys_are_not_echoed_at_all(strict: Any) -> None:
    with raw(strict, key="sk-short") as http:
        body = http.get("/openai/v1/files").json()
    assert body["error"]["message"].startswith("Incorrect API key provided: ***.")


def test_permissive_takes_any_key(app: ContractRecorder) -> None:
    for vendor in ("openai", "impala"):
        sdk = openai_client(f"{IN_PROCESS}/{vendor}/v1", app, api_key="anything")
        f = sdk.files.create(file=("a.txt", b"any key"), purpose="assistants")
        assert sdk.files.retrieve(f.id).id == f.id


def test_permissive_refuses_a_missing_key_with_each_vendors_401(app: ContractRecorder) -> None:
    """As the real services do: a frontend that forgets the header finds out now."""
    sdk = openai_client(f"{IN_PROCESS}/openai/v1", app, api_key="")  # sends no header
    with pytest.raises(openai.AuthenticationError) as exc:
        sdk.files.create(file=("a.txt", b"no key"), purpose="assistants")
    assert exc.value.body == {"message": OPENAI_MISSING, "type": "invalid_request_error",
                              "param": None, "code": None}
    with pytest.raises(ErrorResponse) as orq_exc:
        orq(app, None).files.list()
    assert orq_exc.value.raw_response.status_code == 401 and orq_exc.value.data.code == 16
    for header in (None, "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz"):
        with raw(app, header=header) as http:
            for path in ("/openai/v1/files", "/v1/files", "/orq/v2/files", "/v2/files",
                         "/vlmrun/v1/files", "/vlmrun/v1/health"):
                assert http.get(path).status_code == 401, (header, path)
            vlmrun = http.get("/vlmrun/v1/files")
            assert vlmrun.json() == {"detail": "Not authenticated"}
            assert vlmrun.headers["www-authenticate"] == "Bearer"
    assert not any(app.app.state.fake.store.records())


def test_impala_wants_no_key_as_its_published_api_declares(app: ContractRecorder) -> None:
    """docs.getimpala.ai: the OpenAPI document has `security: []` and no route adds one."""
    sdk = openai_client(f"{IN_PROCESS}/impala/v1", app, api_key="")  # sends no header
    f = sdk.files.create(file=("a.txt", b"no key"), purpose="assistants")
    assert sdk.files.content(f.id).content == b"no key"


def test_auth_none_takes_every_request() -> None:
    app = create_app(fake=make_fake("none"))
    for key in ("anything", ""):
        sdk = openai_client(f"{IN_PROCESS}/openai/v1", app, api_key=key)
        f = sdk.files.create(file=("a.txt", f"{key}!".encode()), purpose="assistants")
        assert sdk.files.retrieve(f.id).id == f.id
    with raw(app) as http:
        for path in ("/orq/v2/files", "/vlmrun/v1/files", "/vlmrun/v1/health"):
            assert http.get(path).status_code == 200, path


# -- VLM Run (a live server: the SDK speaks requests) ---------------------------------------


def test_vlmrun_strict(strict_live: str, tmp_path: Path) -> None:
    base_url = f"{strict_live}/vlmrun/v1"
    with pytest.raises(VlmAuthenticationError):  # the SDK checks its key at construction
        VLMRun(api_key=WRONG, base_url=base_url, max_retries=0)
    for headers in ({}, {"authorization": f"Bearer {WRONG}"}):
        response = httpx.get(f"{base_url}/files", headers=headers)
        assert response.status_code == 401
        assert set(response.json()) == {"detail"} and WRONG not in response.text
    vlm = VLMRun(api_key=FLAG_KEY, base_url=base_url, max_retries=0)
    path = tmp_path / "a.txt"
    path.write_bytes(b"vlm strict")
    f = vlm.files.upload(path)
    assert [x.id for x in vlm.files.list()] == [f.id]
    assert httpx.get(vlm.files.get(f.id).public_url).content == b"vlm strict"  # no key needed


def test_vlmrun_permissive(live: Live, tmp_path: Path) -> None:
    vlm = VLMRun(api_key="whatever", base_url=f"{live.url}/vlmrun/v1", max_retries=0)
    path = tmp_path / "a.txt"
    path.write_bytes(b"vlm permissive")
    assert vlm.files.get(vlm.files.upload(path).id).bytes == len(b"vlm permissive")
    assert httpx.get(f"{live.url}/vlmrun/v1/files").status_code == 401  # no key at all


# -- orq ------------------------------------------------------------------------------------


def test_orq_strict_401(strict: Any) -> None:
    for key in (WRONG, None):
        with pytest.raises(ErrorResponse) as exc:
            orq(strict, key).files.list()
        assert exc.value.raw_response.status_code == 401
        assert exc.value.data.code == 16 and exc.value.data.details == []
        assert WRONG not in exc.value.body
    with pytest.raises(ErrorResponse):
        orq(strict, WRONG).files.create(filename="a.txt", content=b64(b"a"))
    assert not any(strict.app.state.fake.store.records())
    f = orq(strict, ORQ_A).files.create(filename="a.txt", content=b64(b"a")).file
    assert f.project_id == PROJ_A


def test_orq_projects_are_isolated(either: Any) -> None:
    sdk_a, sdk_b = orq(either, ORQ_A), orq(either, ORQ_B)
    a = sdk_a.files.create(filename="a.md", content=b64(b"project A")).file
    b = sdk_b.files.create(filename="b.md", content=b64(b"project B")).file
    assert (a.project_id, b.project_id) == (PROJ_A, PROJ_B)
    assert [f.file_id for f in sdk_a.files.list().data] == [a.file_id]
    assert [f.file_id for f in sdk_b.files.list().data] == [b.file_id]
    with pytest.raises(ErrorResponse) as exc:
        sdk_b.files.get(file_id=a.file_id)
    assert exc.value.raw_response.status_code == 404
    with raw(either, ORQ_B) as http_b:
        assert http_b.get(f"/orq/v2/files/{a.file_id}/content").status_code == 404
        assert http_b.delete(f"/orq/v2/files/{a.file_id}").status_code == 404
        assert http_b.patch(f"/orq/v2/files/{a.file_id}", json={"file_name": "x"}).status_code \
            == 404
        cursor = http_b.get("/orq/v2/files", params={"starting_after": a.file_id})
        assert cursor.status_code == 400 and cursor.json()["code"] == 3  # A's id is no cursor
        other = http_b.get("/orq/v2/files", params={"project_id": PROJ_A})
        assert other.status_code == 403 and other.json()["code"] == 7

    # A link minted for A's file opens it, without a key; pointed at B's project or B's file
    # it is refused, because the namespace and the id are both signed.
    link = sdk_a.files.get_content(file_id_or_path=a.file_id).download_url
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["ns"] == f"orq/{PROJ_A}"
    with raw(either) as anonymous:
        assert anonymous.get(parts.path, params=query).content == b"project A"
        for path, ns in ((parts.path, f"orq/{PROJ_B}"),
                         (parts.path.replace(a.file_id, b.file_id), query["ns"]),
                         (parts.path.replace(a.file_id, b.file_id), f"orq/{PROJ_B}")):
            tampered = anonymous.get(f"{path}?{urlencode({**query, 'ns': ns})}")
            assert tampered.status_code == 403, (path, ns)
        sdk_a.files.delete(file_id=a.file_id)
        assert anonymous.get(parts.path, params=query).status_code == 404  # gone is gone
    assert sdk_b.files.get(file_id=b.file_id).file.file_name == "b.md"


# -- keys never written down -------------------------------------------------------------------


@pytest.mark.parametrize("name, value", [
    ("authorization", f"Bearer {FLAG_KEY}"), ("authorization", f"bearer {FLAG_KEY}"),
    ("authorization", f"BEARER   {FLAG_KEY}"), ("authorization", FLAG_KEY),
    ("authorization", f"Basic {FLAG_KEY}"), ("x-api-key", FLAG_KEY), ("api-key", FLAG_KEY),
    ("proxy-authorization", f"Bearer {FLAG_KEY}"),
])
def test_journal_masks_keys_in_every_spelling(either: Any, name: str, value: str) -> None:
    with httpx.Client(transport=transport_for(httpx, either), base_url=IN_PROCESS) as http:
        http.get("/openai/v1/files", headers={name: value})
    fake = either.app.state.fake
    entries = fake.journal.entries()
    assert len(entries) == 1
    shown = entries[0].headers[name]
    assert FLAG_KEY not in str(entries[0].to_json()) and FLAG_KEY[:-4] not in shown
    assert shown.endswith("****wxyz")


def test_keys_stay_out_of_the_access_log_and_urls(tmp_path: Path) -> None:
    """A real ``fakefiles serve --access-log --auth strict``: every SDK, good and bad keys;
    neither the log nor any URL the fake hands out carries a key."""
    fixture = tmp_path / "keys.yaml"
    fixture.write_text(FIXTURE)
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fakefiles", "serve", "--port", "0", "--auth", "strict",
             "--api-key", FLAG_KEY, "--fixtures", str(fixture), "--access-log"],
            stdout=subprocess.PIPE, stderr=sink, text=True, cwd=ROOT,
            env={**os.environ, "FAKEFILES_LOG_LEVEL": "debug"},
        )
        assert proc.stdout is not None
        try:
            banner = proc.stdout.readline()
            urls = drive_every_sdk(banner.split(" on ")[1].split()[0], tmp_path)
        finally:
            proc.send_signal(signal.SIGTERM)
            access_log = proc.stdout.read()  # uvicorn's access log goes to stdout
            proc.wait(timeout=10)
            proc.stdout.close()
    text = log.read_text() + access_log
    assert '"POST /openai/v1/files HTTP/1.1" 401' in text  # the access log is on
    assert '"GET /orq/v2/files HTTP/1.1" 401' in text
    for key in (FLAG_KEY, ORQ_A, WRONG):
        assert key not in text
        assert not any(key in u for u in urls)


def drive_every_sdk(url: str, tmp_path: Path) -> list[str]:
    """Good and bad keys through each SDK; returns the URLs the fake handed out."""
    urls = []
    for key in (FLAG_KEY, WRONG):
        sdk = openai_client(f"{url}/openai/v1", api_key=key)
        try:
            sdk.files.create(file=("a.txt", key.encode()), purpose="assistants")
        except openai.AuthenticationError:
            assert key == WRONG
        try:
            VLMRun(api_key=key, base_url=f"{url}/vlmrun/v1", max_retries=0)
        except VlmAuthenticationError:
            assert key == WRONG
    vlm = VLMRun(api_key=FLAG_KEY, base_url=f"{url}/vlmrun/v1", max_retries=0)
    path = tmp_path / "v.txt"
    path.write_bytes(b"vlm")
    urls.append(vlm.files.upload(path).public_url or "")
    presigned = httpx.post(f"{url}/vlmrun/v1/files/presigned-url", json={"filename": "p.txt"},
                           headers={"authorization": f"Bearer {FLAG_KEY}"}).json()
    urls.append(presigned["url"])
    sdk_orq = Orq(api_key=ORQ_A, server_url=f"{url}/orq")
    f = sdk_orq.files.create(filename="o.txt", content=b64(b"orq")).file
    urls.append(sdk_orq.files.get_content(file_id_or_path=f.file_id).download_url)
    with pytest.raises(ErrorResponse):
        Orq(api_key=WRONG, server_url=f"{url}/orq").files.list()
    assert all(u.startswith(url) for u in urls)
    return urls
