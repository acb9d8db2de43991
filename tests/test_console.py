"""The web console's server side: its static files and headers, /_fakefiles/ for browsers and
clients, and the control API's read-only views it uses (the page itself is tested in
headless Chromium by tests/js/browser/console.mjs, in make test-browser)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from fakefiles import Fake
from fakefiles.fixtures import load_fixture_text
from tests.conftest import IN_PROCESS

SEED = """
seed: 3
openai:
  files:
    - {id: file-aaaaaaaaaaaaaaaaaaaaaaaa, filename: a.txt, purpose: assistants, content: "A",
       created_at: 2026-01-01T00:00:00Z}
    - {id: file-bbbbbbbbbbbbbbbbbbbbbbbb, filename: page.html, purpose: user_data,
       content: "<script>alert(1)</script>", created_at: 2026-01-02T00:00:00Z,
       expires_at: 2030-01-01T00:00:00Z}
orq:
  projects:
    - project_id: proj_01JGRTKM006CW62Y816HKPP6V9
      api_keys: [orq-key-a]
      files: [{filename: faq.md, purpose: retrieval, content: "# FAQ"}]
    - project_id: proj_01JH88ZY00RA3J472E00ZSJCFE
      files: [{filename: nobody.md, purpose: retrieval, content: "x"}]
"""


@pytest.fixture
def seeded(fake: Fake) -> Fake:
    fake.load(load_fixture_text(SEED, source="test"))
    return fake


def test_console_files_are_served_with_a_strict_policy(http: httpx.Client) -> None:
    page = http.get("/_fakefiles/ui/")
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    for name, media in [("app.js", "text/javascript"), ("style.css", "text/css"),
                        ("icon.svg", "image/svg+xml")]:
        response = http.get(f"/_fakefiles/ui/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    # Nothing but the console's own files: no directories, no dot files, no other types.
    for name in ["..%2Fadmin.py", "..%2F..%2Fpyproject.toml", ".hidden.js", "app.py", "nope.js"]:
        assert http.get(f"/_fakefiles/ui/{name}").status_code == 404, name
    assert http.get("/_fakefiles/ui").status_code in (307, 308)  # to /ui/


def test_control_root_sends_a_browser_to_the_console_and_a_client_gets_json(
    http: httpx.Client,
) -> None:
    browser = http.get("/_fakefiles/", headers={"accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 303
    assert browser.headers["location"] == f"{IN_PROCESS}/_fakefiles/ui/"
    client = http.get("/_fakefiles/")
    assert client.status_code == 200
    assert client.json()["console"] == f"{IN_PROCESS}/_fakefiles/ui/"


def test_vendors_lists_prefixes_hints_and_namespaces(http: httpx.Client, seeded: Fake) -> None:
    vendors = {v["name"]: v for v in http.get("/_fakefiles/vendors").json()["vendors"]}
    assert list(vendors) == list(seeded.vendors)
    openai = vendors["openai"]
    assert openai["prefixes"] == ["/openai/v1", "/v1"]
    assert openai["base_url"] == f"{IN_PROCESS}/openai/v1"
    assert openai["rename_field"] is None and openai["purpose_in_query"] is False
    assert "assistants" in openai["upload_purposes"]
    assert openai["namespaces"] == [{"namespace": "openai", "project": None, "files": 2,
                                     "bytes": 26, "api_key": "fakefiles-console",
                                     "console": False}]
    assert vendors["vlmrun"]["purpose_in_query"] is True
    orq = vendors["orq"]
    assert orq["base_url"] == f"{IN_PROCESS}/orq" and orq["rename_field"] == "file_name"
    projects = {ns["project"]: ns for ns in orq["namespaces"]}
    # The fixtures' projects first (with the key that selects each, where one is known), then
    # the project the console's own key lands in: an upload target.
    assert [ns["project"] for ns in orq["namespaces"]][:2] == [
        "proj_01JGRTKM006CW62Y816HKPP6V9", "proj_01JH88ZY00RA3J472E00ZSJCFE"]
    assert projects["proj_01JGRTKM006CW62Y816HKPP6V9"]["api_key"] == "orq-key-a"
    assert projects["proj_01JH88ZY00RA3J472E00ZSJCFE"]["api_key"] is None  # view only
    own = [ns for ns in orq["namespaces"] if ns["console"]]
    assert len(own) == 1 and own[0]["api_key"] == "fakefiles-console" and own[0]["files"] == 0
    assert own[0]["project"] == seeded.vendors["orq"].projects_for("fakefiles-console")[0]


def test_strict_auth_gives_the_console_a_known_key(fake: Fake) -> None:
    from fakefiles import Settings, create_app
    from fakefiles.inprocess import transport_for

    strict = Fake(Settings(auth="strict", api_keys=["sk-ci"]))
    with httpx.Client(transport=transport_for(httpx, create_app(fake=strict)),
                      base_url=IN_PROCESS) as client:
        openai = client.get("/_fakefiles/vendors").json()["vendors"][0]
        key = openai["namespaces"][0]["api_key"]
        assert key == "sk-ci"
        listed = client.get("/openai/v1/files", headers={"authorization": f"Bearer {key}"})
        assert listed.status_code == 200


def test_files_lists_a_namespace_newest_first(http: httpx.Client, seeded: Fake) -> None:
    body = http.get("/_fakefiles/files", params={"namespace": "openai"}).json()
    assert body["total"] == 2
    assert [f["id"] for f in body["files"]] == ["file-bbbbbbbbbbbbbbbbbbbbbbbb",
                                                "file-aaaaaaaaaaaaaaaaaaaaaaaa"]
    first = body["files"][1]
    assert first == {"id": "file-aaaaaaaaaaaaaaaaaaaaaaaa", "namespace": "openai",
                     "filename": "a.txt", "bytes": 1, "purpose": "assistants",
                     "content_type": "text/plain", "created_at": 1767225600.0,
                     "expires_at": None, "md5": hashlib.md5(b"A").hexdigest()}
    limited = http.get("/_fakefiles/files", params={"namespace": "openai", "limit": 1}).json()
    assert limited["total"] == 2 and len(limited["files"]) == 1
    assert http.get("/_fakefiles/files", params={"namespace": "nowhere"}).json()["files"] == []


def test_expiring_files_soonest_first_and_gone_once_expired(
    http: httpx.Client, seeded: Fake,
) -> None:
    expiring = http.get("/_fakefiles/files", params={"expiring": "true"}).json()["files"]
    assert [f["filename"] for f in expiring] == ["page.html"]
    seeded.clock.set(1893456000 + 1)  # 2030-01-01T00:00:01Z
    assert http.get("/_fakefiles/files", params={"expiring": "true"}).json()["files"] == []


@pytest.mark.parametrize("params, field", [
    ({}, "namespace"), ({"namespace": "openai", "limit": "x"}, "limit"),
    ({"namespace": "openai", "limit": "0"}, "limit"),
])
def test_files_bad_query_is_a_400(http: httpx.Client, params: dict[str, str], field: str) -> None:
    response = http.get("/_fakefiles/files", params=params)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_file_content_is_served_inline_and_sandboxed(http: httpx.Client, seeded: Fake) -> None:
    response = http.get("/_fakefiles/files/content",
                        params={"namespace": "openai", "id": "file-bbbbbbbbbbbbbbbbbbbbbbbb"})
    assert response.status_code == 200
    assert response.content == b"<script>alert(1)</script>"
    assert response.headers["content-disposition"].startswith("inline")
    # Someone's upload never runs as a page on the fake's origin.
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    project = "orq/proj_01JGRTKM006CW62Y816HKPP6V9"
    faq = http.get("/_fakefiles/files", params={"namespace": project}).json()["files"][0]
    content = http.get("/_fakefiles/files/content", params={"namespace": project, "id": faq["id"]})
    assert content.content == b"# FAQ"
    missing = http.get("/_fakefiles/files/content", params={"namespace": "openai", "id": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "id"


def test_console_views_are_get_only(http: httpx.Client) -> None:
    for path in ["/_fakefiles/vendors", "/_fakefiles/files", "/_fakefiles/files/content",
                 "/_fakefiles/ui/"]:
        assert http.post(path, json={}).status_code == 405, path
