"""The control plane against a hostile web page (issue 12), with raw HTTP as a browser would
send it: no file of the server's is read, no key is granted and nothing stored changes. The
same attack from a real page on another origin is in tests/browser/test_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.faults import FaultSpec
from fakefiles.fixtures import load_fixture_text
from fakefiles.inprocess import transport_for
from fakefiles.vendors.orq import derived_project
from tests.conftest import IN_PROCESS
from tests.contracts import ContractRecorder

EVIL = "https://evil.example"
KEY = "sk-security-test-0123"
ATTACKER = "attacker"
PROJECT = "proj_01JGRTKM006CW62Y816HKPP6V9"
OWNER = "orq-owner-key-0123456789"
# The first attack, verbatim: a text/plain POST (no preflight) reading /etc/passwd.
LEAK = ("openai: {files: [{id: file-leak, filename: x, purpose: vision, "
        "content_path: /etc/passwd}]}")
GRANT = f"orq: {{projects: [{{project_id: {PROJECT}, api_keys: [{ATTACKER}]}}]}}"
SIMPLE_TYPES = ["text/plain", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x", None]
STATE_CHANGING = [("POST", "/_fakefiles/reset"), ("POST", "/_fakefiles/faults"),
                  ("DELETE", "/_fakefiles/faults"), ("DELETE", "/_fakefiles/faults/flt_1"),
                  ("DELETE", "/_fakefiles/requests"), ("POST", "/_fakefiles/clock"),
                  ("DELETE", "/_fakefiles/clock"), ("POST", "/_fakefiles/fixtures")]


def build(**settings: Any) -> ContractRecorder:
    fake = Fake(Settings(**settings))
    fake.load(load_fixture_text(f"""
orq: {{projects: [{{project_id: {PROJECT}, api_keys: [{OWNER}],
                    files: [{{filename: secret.txt, content: project secret}}]}}]}}
openai: {{files: [{{id: file-seeded, filename: a.txt, content: seeded}}]}}
""", source="security.yaml"))
    return ContractRecorder(create_app(fake=fake))


@pytest.fixture
def app() -> Iterator[ContractRecorder]:
    recorder = build()
    yield recorder
    assert not recorder.failures, "\n".join(recorder.failures)


@pytest.fixture
def strict() -> Iterator[ContractRecorder]:
    recorder = build(auth="strict", api_keys=[KEY])
    yield recorder
    assert not recorder.failures, "\n".join(recorder.failures)


def client(app: Any, **headers: str) -> httpx.Client:
    return httpx.Client(transport=transport_for(httpx, app), base_url=IN_PROCESS,
                        headers={"authorization": f"Bearer {KEY}", **headers})


def snapshot(app: Any) -> dict[str, Any]:
    """What an attack must leave as it was: files, fixtures, faults, clock, and the keys."""
    fake: Fake = app.app.state.fake
    return {
        "files": sorted((r.namespace, r.id, r.size) for r in fake.store.records()),
        "seeds": len(fake.seeds),
        "faults": [rule.id for rule in fake.faults.rules()],
        "clock": (fake.clock.is_real, fake.clock.now() if not fake.clock.is_real else None),
        "attacker valid": fake.key_is_valid(ATTACKER),
        "attacker projects": fake.vendors["orq"].projects_for(ATTACKER),
    }


def assert_unharmed(app: Any, before: dict[str, Any]) -> None:
    assert snapshot(app) == before
    assert snapshot(app)["attacker projects"] == [derived_project(ATTACKER)]
    with client(app) as http:
        leak = http.get("/openai/v1/files/file-leak/content")
        assert leak.status_code == 404 and b"root:" not in leak.content


# -- the attacks ----------------------------------------------------------------------


def test_hostile_page_cannot_read_a_local_file(app: Any) -> None:
    before = snapshot(app)
    with client(app) as http:
        for origin in (EVIL, None):  # a browser sends Origin; suppose one did not
            headers = {"content-type": "text/plain"} | ({"origin": origin} if origin else {})
            response = http.post("/_fakefiles/fixtures", content=LEAK, headers=headers)
            assert response.status_code == (403 if origin else 415), response.text
            assert "access-control-allow-origin" not in response.headers
            assert set(response.json()["error"]) == {"message", "field"}
    assert_unharmed(app, before)


@pytest.mark.parametrize("path", ["/etc/passwd", "README.md", "../../etc/passwd"])
def test_fixtures_over_http_never_read_the_servers_files(app: Any, path: str) -> None:
    """Even with the right content type (curl, not a browser): content_path is refused,
    absolute or relative, naming the field."""
    before = snapshot(app)
    body = {"openai": {"files": [{"id": "file-leak", "filename": "x", "content_path": path}]}}
    with client(app) as http:
        response = http.post("/_fakefiles/fixtures", json=body)
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["field"] == "openai.files[0].content_path"
    assert "cannot read the server's files" in error["message"]
    assert_unharmed(app, before)


def test_strict_auth_cannot_be_opened_by_posting_keys(strict: Any) -> None:
    before = snapshot(strict)
    with client(strict) as http, client(strict, authorization=f"Bearer {ATTACKER}") as evil:
        assert evil.get("/orq/v2/files").status_code == 401
        simple = http.post("/_fakefiles/fixtures", content=GRANT,
                           headers={"content-type": "text/plain", "origin": EVIL})
        assert simple.status_code == 403
        for text, field in ((GRANT, "orq.projects[0].api_keys"),
                            (f"api_keys: [{ATTACKER}]", "api_keys")):
            response = http.post("/_fakefiles/fixtures", content=text,
                                 headers={"content-type": "application/yaml"})
            assert response.status_code == 403, response.text
            assert response.json()["error"]["field"] == field
            assert "--allow-fixture-keys" in response.json()["error"]["message"]
        assert evil.get("/orq/v2/files").status_code == 401
        assert evil.get("/openai/v1/files").status_code == 401
    assert_unharmed(strict, before)


def test_allow_fixture_keys_lets_the_operator_grant_keys() -> None:
    app = build(auth="strict", api_keys=[KEY], allow_fixture_keys=True)
    with client(app) as http, client(app, authorization=f"Bearer {ATTACKER}") as granted:
        response = http.post("/_fakefiles/fixtures", content=GRANT,
                             headers={"content-type": "text/yaml"})
        assert response.status_code == 201, response.text
        files = granted.get("/orq/v2/files").json()["data"]
        assert [f["file_name"] for f in files] == ["secret.txt"]
        # Still no content_path: that flag grants keys, not the server's files.
        leak = http.post("/_fakefiles/fixtures", content=LEAK,
                         headers={"content-type": "application/yaml"})
        assert leak.status_code == 403


def test_fixtures_without_paths_or_keys_still_load(app: Any) -> None:
    body = {"openai": {"files": [{"id": "file-new", "filename": "n.txt", "content": "new",
                                  "purpose": "vision"}]},
            "orq": {"projects": [{"project_id": PROJECT, "files": [{"filename": "b.md"}]}]}}
    with client(app) as http:
        response = http.post("/_fakefiles/fixtures", json=body)
        assert response.status_code == 201, response.text
        assert http.get("/openai/v1/files/file-new/content").content == b"new"


# -- every state-changing call needs a JSON (or YAML) content type ----------------------------


@pytest.mark.parametrize("method, path", STATE_CHANGING)
@pytest.mark.parametrize("content_type", SIMPLE_TYPES)
def test_state_changing_calls_refuse_simple_content_types(
    app: Any, method: str, path: str, content_type: str | None,
) -> None:
    fake: Fake = app.app.state.fake
    with client(app) as http:
        http.post("/openai/v1/files", data={"purpose": "assistants"},
                  files={"file": ("u.txt", b"uploaded")})
    fake.faults.add(FaultSpec(status=500, path="/nothing"))
    fake.clock.freeze(1_800_000_000)
    before, journal = snapshot(app), len(fake.journal.entries())
    headers = {} if content_type is None else {"content-type": content_type}
    body = b'{"advance_seconds": 5}' if method == "POST" else b""
    with client(app) as http:
        response = http.request(method, path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["field"] == "content-type" and "application/json" in error["message"]
    assert snapshot(app) == before and len(fake.journal.entries()) == journal


def test_body_less_calls_pass_with_a_json_content_type(app: Any) -> None:
    json_type = {"content-type": "application/json"}
    with client(app) as http:
        assert http.post("/_fakefiles/reset", headers=json_type).status_code == 200
        assert http.delete("/_fakefiles/requests", headers=json_type).status_code == 200
        charset = {"content-type": "Application/JSON; charset=utf-8"}
        assert http.delete("/_fakefiles/clock", headers=charset).status_code == 200
        # Reads need nothing: a page cannot read their answers anyway (no CORS).
        assert http.get("/_fakefiles/state").status_code == 200


# -- CORS, Origin and Host ---------------------------------------------------------------------


def test_control_api_is_no_cors_target_by_default(app: Any) -> None:
    before = snapshot(app)
    with client(app) as http:
        preflight = http.options("/_fakefiles/fixtures", headers={
            "origin": EVIL, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type"})
        assert "access-control-allow-origin" not in preflight.headers
        read = http.get("/_fakefiles/requests", headers={"origin": EVIL})
        assert read.status_code == 403 and "access-control-allow-origin" not in read.headers
        posted = http.post("/_fakefiles/reset", json={}, headers={"origin": EVIL})
        assert posted.status_code == 403
        assert posted.json()["error"]["field"] == "origin"
        # The vendor routes and the signed links stay open to pages on any origin.
        files = http.get("/openai/v1/files", headers={"origin": EVIL})
        assert files.headers["access-control-allow-origin"] == "*"
    assert snapshot(app) == before


def test_signed_links_stay_usable_from_any_origin() -> None:
    app = build(admin_token="s3cret")
    with client(app) as http:
        orq = client(app, authorization=f"Bearer {OWNER}")
        file_id = orq.get("/orq/v2/files").json()["data"][0]["file_id"]
        link = orq.get(f"/orq/v2/files/{file_id}/content").json()["download_url"]
        response = http.get(link, headers={"origin": EVIL})  # no token, another origin
        assert response.status_code == 200 and response.content == b"project secret"
        assert response.headers["access-control-allow-origin"] == "*"


def test_the_servers_own_pages_and_named_origins_may_call_it() -> None:
    app = build(control_origins=["http://localhost:5173"])
    with client(app) as http:
        same = http.post("/_fakefiles/reset", json={}, headers={"origin": IN_PROCESS})
        assert same.status_code == 200, same.text
        named = "http://localhost:5173"
        preflight = http.options("/_fakefiles/reset", headers={
            "origin": named, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,x-fakefiles-admin-token"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == named
        posted = http.post("/_fakefiles/reset", json={}, headers={"origin": named})
        assert posted.status_code == 200
        assert posted.headers["access-control-allow-origin"] == named
        assert http.post("/_fakefiles/reset", json={}, headers={"origin": EVIL}).status_code \
            == 403


@pytest.mark.parametrize("host, allowed", [
    ("localhost:8000", True), ("127.0.0.1:8000", True), ("[::1]:8000", True),
    ("127.5.6.7", True), ("app.localhost:3000", True), ("fakefiles.test", True),
    ("evil.example:8000", False), ("localhost.evil.example", False), ("10.0.0.8:8000", False),
])
def test_control_api_answers_only_to_its_own_names(app: Any, host: str, allowed: bool) -> None:
    """DNS rebinding: evil.example re-pointed at 127.0.0.1 makes its page same-origin."""
    before = snapshot(app)
    with client(app) as http:
        response = http.post("/_fakefiles/reset", json={},
                             headers={"host": host, "origin": f"http://{host}"})
    assert response.status_code == (200 if allowed else 403), response.text
    if not allowed:
        assert response.json()["error"]["field"] == "host"
        assert snapshot(app) == before


def test_listening_everywhere_accepts_any_host_name() -> None:
    app = build(host="0.0.0.0")
    with client(app) as http:  # docker: the app calls http://fakefiles:8000
        response = http.post("/_fakefiles/reset", json={}, headers={"host": "fakefiles:8000"})
    assert response.status_code == 200


def test_configured_host_is_a_name_of_the_server() -> None:
    app = build(host="192.168.1.5")
    with client(app) as http:
        response = http.get("/_fakefiles/state", headers={"host": "192.168.1.5:8000"})
    assert response.status_code == 200


# -- the admin token ---------------------------------------------------------------------------


def test_admin_token_guards_every_control_call_but_health() -> None:
    app = build(admin_token="s3cret")
    before = snapshot(app)
    with client(app) as http:
        assert http.get("/_fakefiles/health").status_code == 200
        for token in (None, "wrong", "s3cret "):
            headers = {} if token is None else {"x-fakefiles-admin-token": token}
            for method, path in (("GET", "/_fakefiles/state"), ("POST", "/_fakefiles/reset")):
                response = http.request(method, path, json={}, headers=headers)
                assert response.status_code == 401, (token, path)
                assert response.json()["error"]["field"] == "X-Fakefiles-Admin-Token"
        assert snapshot(app) == before
        good = {"x-fakefiles-admin-token": "s3cret"}
        assert http.get("/_fakefiles/state", headers=good).status_code == 200
        assert http.post("/_fakefiles/reset", json={}, headers=good).status_code == 200


# -- multipart part headers --------------------------------------------------------------------

# (A bare CR python-multipart itself refuses, with the vendor's 400.)
BAD_PART_TYPES = [b"text/plain\nX-Injected: 1", b"text/\x00plain",
                  b"text/plain\x7f", "text/plain; name=\u00e9".encode()]


def multipart(part_type: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    body = b"".join(
        b'--b\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value.encode()) for name, value in fields.items()
    ) + (b'--b\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n'
         b"Content-Type: " + part_type + b"\r\n\r\nthe bytes\r\n--b--\r\n")
    return body, "multipart/form-data; boundary=b"


def download_url(http: httpx.Client, vendor: str, file_id: str) -> str:
    if vendor == "vlmrun":
        return str(http.get(f"/vlmrun/v1/files/{file_id}").json()["public_url"])
    if vendor == "orq":
        return str(http.get(f"/orq/v2/files/{file_id}/content").json()["download_url"])
    return f"/{vendor}/v1/files/{file_id}/content"


@pytest.mark.parametrize("vendor", ["openai", "impala", "vlmrun", "orq"])
@pytest.mark.parametrize("part_type", BAD_PART_TYPES)
def test_a_part_type_no_header_can_carry_never_breaks_downloads(
    live: Any, vendor: str, part_type: bytes,
) -> None:
    """A bare LF in a part's Content-Type once made every later download of the file drop
    the connection (the server would not write that header): it is guessed instead."""
    fields = {"openai": {"purpose": "vision"}, "impala": {"purpose": "assistants"},
              "vlmrun": {}, "orq": {"purpose": "retrieval"}}[vendor]
    body, content_type = multipart(part_type, fields)
    path = {"openai": "/openai/v1/files", "impala": "/impala/v1/files",
            "vlmrun": "/vlmrun/v1/files?purpose=assistants", "orq": "/orq/v2/files"}[vendor]
    with httpx.Client(base_url=live.url, headers={"authorization": f"Bearer {KEY}"}) as http:
        upload = http.post(path, content=body, headers={"content-type": content_type})
        assert upload.status_code in (200, 201), upload.text
        stored = upload.json()["file"] if vendor == "orq" else upload.json()
        file_id = stored["file_id"] if vendor == "orq" else stored["id"]
        for _ in range(2):  # every later download, not only the first
            download = http.get(download_url(http, vendor, file_id))
            assert download.status_code == 200 and download.content == b"the bytes"
            assert "x-injected" not in download.headers
            assert download.headers["content-type"].isprintable()


def test_uploads_api_and_fixtures_refuse_such_a_type(app: Any) -> None:
    with client(app) as http:
        created = http.post("/openai/v1/uploads", json={
            "bytes": 2, "filename": "a.txt", "purpose": "assistants",
            "mime_type": "text/plain\nX-Injected: 1"})
        assert created.status_code == 400 and created.json()["error"]["param"] == "mime_type"
        posted = http.post("/_fakefiles/fixtures", json={"openai": {"files": [
            {"filename": "a.txt", "content": "x", "content_type": "text/plain\nX: 1"}]}})
        assert posted.status_code == 422
        assert posted.json()["error"]["field"] == "openai.files[0].content_type"


def test_fixture_files_from_the_operator_keep_content_path(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file named with --fixtures comes from the operator: its content_path still works,
    relative to the file, whatever the working directory; the same text posted is refused."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.md").write_bytes(b"# notes\n")
    text = ("openai: {files: [{id: file-notes, filename: n.md, purpose: vision, "
            "content_path: data/notes.md}]}")
    (tmp_path / "f.yaml").write_text(text)
    monkeypatch.chdir("/")
    fake = Fake(Settings(fixtures=[tmp_path / "f.yaml"]))  # loads its fixtures itself
    app = create_app(fake=fake)
    with client(app) as http:
        assert http.get("/openai/v1/files/file-notes/content").content == b"# notes\n"
        posted = http.post("/_fakefiles/fixtures", content=text.replace("file-notes", "x"),
                           headers={"content-type": "application/yaml"})
        assert posted.status_code == 403
