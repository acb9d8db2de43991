"""orq.ai persona: the real ``orq-ai-sdk`` end to end, projects, and raw-HTTP bad input.

Every JSON body here is also checked against the seed schemas by the ContractRecorder that
wraps the app (``app`` and ``live`` fixtures).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from orq_ai_sdk import Orq
from orq_ai_sdk.models import APIDefaultError, ErrorResponse

from fakefiles import Fake, Settings, create_app, ids
from fakefiles.fake import Seed
from fakefiles.inprocess import transport_for
from fakefiles.vendors.orq import Orq as OrqVendor
from fakefiles.vendors.orq_info import OrqProject
from tests.conftest import IN_PROCESS
from tests.contracts import ContractRecorder

KEY_A, KEY_B = "key-a", "key-b"


def projects_for(fake: Fake, key: str) -> list[str]:
    orq = fake.vendors["orq"]
    assert isinstance(orq, OrqVendor)
    return orq.projects_for(key)
FILE_ID = re.compile(r"^file_[0-9A-HJKMNP-TV-Z]{26}$")
CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def orq_client(app: Any, key: str | None = KEY_A, server_url: str | None = None) -> Orq:
    if server_url is not None:  # a live server: the SDK's own httpx client
        return Orq(api_key=key, server_url=server_url)
    client = httpx.Client(transport=transport_for(httpx, app))
    return Orq(api_key=key, server_url=f"{IN_PROCESS}/orq", client=client)


def raw(app: Any, key: str | None = KEY_A) -> httpx.Client:
    headers = {} if key is None else {"authorization": f"Bearer {key}"}
    return httpx.Client(transport=transport_for(httpx, app), base_url=f"{IN_PROCESS}/orq/v2",
                        headers=headers)


def snapshot(fake: Fake) -> list[tuple[str, str, str, str, str]]:
    return sorted((r.namespace, r.id, r.sha256, r.filename, r.purpose)
                  for r in fake.store.records())


def upload(sdk: Orq, name: str, data: bytes, **kwargs: Any) -> Any:
    return sdk.files.create(filename=name, content=b64(data), **kwargs).file


@pytest.fixture
def orq(app: ContractRecorder) -> Orq:
    return orq_client(app)


@pytest.fixture
def raw_a(app: ContractRecorder) -> Iterator[httpx.Client]:
    with raw(app) as client:
        yield client


# -- the SDK, every call -------------------------------------------------------------------


def test_full_lifecycle(orq: Orq, app: ContractRecorder, fake: Fake) -> None:
    f = upload(orq, "notes.md", b"hello", purpose="FILE_PURPOSE_KNOWLEDGE_DATASOURCE",
               content_type="text/markdown")
    assert FILE_ID.match(f.file_id)
    assert (f.file_name, f.bytes_, f.purpose) == ("notes.md", "5",
                                                  "FILE_PURPOSE_KNOWLEDGE_DATASOURCE")
    assert f.project_id == projects_for(fake, KEY_A)[0]
    assert f.created_at.tzinfo is not None
    assert orq.files.get(file_id=f.file_id).file == f
    assert [x.file_id for x in orq.files.list().data] == [f.file_id]

    renamed = orq.files.update(file_id=f.file_id, file_name="renamed.md").file
    assert renamed.file_name == "renamed.md"
    assert (renamed.file_id, renamed.created_at, renamed.bytes_) == (
        f.file_id, f.created_at, f.bytes_)
    assert orq.files.get(file_id=f.file_id).file.file_name == "renamed.md"

    url = orq.files.get_content(file_id_or_path=f.file_id).download_url
    with httpx.Client(transport=transport_for(httpx, app)) as plain:  # no Authorization
        got = plain.get(url)
    assert got.status_code == 200 and got.content == b"hello"
    assert "authorization" not in got.request.headers

    orq.files.delete(file_id=f.file_id)
    with pytest.raises(ErrorResponse) as err:
        orq.files.get(file_id=f.file_id)
    assert err.value.status_code == 404 and err.value.data.code == 5
    assert f.file_id in err.value.data.message
    assert orq.files.list().data == []
    with httpx.Client(transport=transport_for(httpx, app)) as plain:
        assert plain.get(url).status_code == 404  # the link outlives nothing


def test_wire_shape_exact(raw_a: httpx.Client, fake: Fake) -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc)
    fake.clock.freeze(when)
    r = raw_a.post("/files", json={"filename": "a.txt", "content": b64(b"hi")})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    file = r.json()["file"]
    assert list(file) == ["file_id", "purpose", "file_name", "bytes", "created_at", "project_id"]
    assert file["bytes"] == "2" and file["purpose"] == "FILE_PURPOSE_RETRIEVAL"
    assert file["created_at"] == "2025-01-02T03:04:05.123Z" and CREATED_AT.match(file["created_at"])
    assert file["file_id"][5:15] == ids.ulid(when.timestamp())[:10]  # a ULID carries its time
    assert r.json() == raw_a.get(f"/files/{file['file_id']}").json()
    deleted = raw_a.delete(f"/files/{file['file_id']}")
    assert (deleted.status_code, deleted.json()) == (200, {})


def test_default_purpose_and_code_interpreter(orq: Orq) -> None:
    assert upload(orq, "a.txt", b"a").purpose == "FILE_PURPOSE_RETRIEVAL"
    f = upload(orq, "b.py", b"print(1)", purpose="FILE_PURPOSE_CODE_INTERPRETER")
    assert orq.files.get(file_id=f.file_id).file.purpose == "FILE_PURPOSE_CODE_INTERPRETER"


@pytest.mark.parametrize("given, stored", [
    ("retrieval", "FILE_PURPOSE_RETRIEVAL"),
    ("knowledge_datasource", "FILE_PURPOSE_KNOWLEDGE_DATASOURCE"),
    ("Batch", "FILE_PURPOSE_BATCH"),
    ("code_interpreter", "FILE_PURPOSE_CODE_INTERPRETER"),
    ("file_purpose_batch", "FILE_PURPOSE_BATCH"),
])
def test_raw_create_accepts_purpose_aliases(raw_a: httpx.Client, given: str, stored: str) -> None:
    r = raw_a.post("/files", json={"filename": "x.txt", "content": "eA==", "purpose": given})
    assert r.status_code == 200 and r.json()["file"]["purpose"] == stored


def test_pagination_forward_with_starting_after(orq: Orq) -> None:
    ids = [upload(orq, f"{i}.txt", b"x").file_id for i in range(7)]
    newest_first = ids[::-1]
    pages, cursor, has_more = [], None, True
    while has_more:
        page = orq.files.list(limit=3, starting_after=cursor)
        pages.append([f.file_id for f in page.data])
        has_more, cursor = page.has_more, page.data[-1].file_id
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:]]
    full = orq.files.list(limit=7)
    assert [f.file_id for f in full.data] == newest_first and full.has_more is False
    assert orq.files.list(limit=3, starting_after=ids[0]).data == []  # past the oldest


def test_pagination_backward_with_ending_before(orq: Orq) -> None:
    ids = [upload(orq, f"{i}.txt", b"x").file_id for i in range(7)]  # ids[0] is the oldest
    page = orq.files.list(limit=3, ending_before=ids[0])
    assert [f.file_id for f in page.data] == [ids[3], ids[2], ids[1]] and page.has_more
    page = orq.files.list(limit=3, ending_before=ids[3])
    assert [f.file_id for f in page.data] == [ids[6], ids[5], ids[4]] and not page.has_more
    page = orq.files.list(limit=3, ending_before=ids[5])
    assert [f.file_id for f in page.data] == [ids[6]] and not page.has_more


def test_list_default_limit_and_deleted_cursor(orq: Orq) -> None:
    ids = [upload(orq, f"{i}.txt", b"x").file_id for i in range(12)]
    page = orq.files.list()
    assert len(page.data) == 10 and page.has_more
    assert len(orq.files.list(limit=200).data) == 12
    # A cursor deleted between two pages still resumes at its place.
    orq.files.delete(file_id=ids[6])
    page = orq.files.list(limit=2, starting_after=ids[6])
    assert [f.file_id for f in page.data] == [ids[5], ids[4]] and page.has_more


def test_purpose_filter_accepts_aliases(orq: Orq) -> None:
    batch = {upload(orq, f"b{i}.jsonl", b"{}", purpose="FILE_PURPOSE_BATCH").file_id
             for i in range(3)}
    upload(orq, "r.txt", b"r")
    code = upload(orq, "c.py", b"c", purpose="FILE_PURPOSE_CODE_INTERPRETER").file_id
    for spelling in ("batch", "BATCH", "Batch", "FILE_PURPOSE_BATCH", "file_purpose_batch"):
        page = orq.files.list(purpose=spelling, limit=200)
        assert {f.file_id for f in page.data} == batch, spelling
    assert [f.file_id for f in orq.files.list(purpose="code_interpreter").data] == [code]
    assert orq.files.list(purpose="knowledge_datasource").data == []
    page = orq.files.list(purpose="batch", limit=2)
    assert len(page.data) == 2 and page.has_more
    rest = orq.files.list(purpose="batch", limit=2, starting_after=page.data[-1].file_id)
    assert len(rest.data) == 1 and not rest.has_more
    with pytest.raises(APIDefaultError) as err:
        orq.files.list(purpose="nothing")
    assert err.value.status_code == 400


def test_sdk_errors_for_bad_list_and_create(orq: Orq) -> None:
    f = upload(orq, "a.txt", b"a")
    with pytest.raises(APIDefaultError) as err:
        orq.files.list(starting_after=f.file_id, ending_before=f.file_id)
    assert err.value.status_code == 400 and '"code":3' in err.value.body
    with pytest.raises(APIDefaultError) as err:
        orq.files.create(filename="b.txt", content="not base64!")
    assert err.value.status_code == 400
    with pytest.raises(APIDefaultError) as err:
        orq.files.delete(file_id="file_nope")  # the SDK maps a 404 on delete to this
    assert err.value.status_code == 404
    assert [x.file_id for x in orq.files.list().data] == [f.file_id]


def test_multipart_upload_for_raw_clients(raw_a: httpx.Client, orq: Orq, fake: Fake) -> None:
    project = projects_for(fake, KEY_A)[0]
    r = raw_a.post("/files", files={"file": ("doc.csv", b"a,b\n1,2\n", "text/csv")},
                   data={"purpose": "knowledge_datasource", "project_id": project})
    assert r.status_code == 200
    file = r.json()["file"]
    assert (file["file_name"], file["bytes"], file["purpose"], file["project_id"]) == (
        "doc.csv", "8", "FILE_PURPOSE_KNOWLEDGE_DATASOURCE", project)
    assert orq.files.get(file_id=file["file_id"]).file.file_name == "doc.csv"
    record = fake.store.get(f"orq/{project}", file["file_id"])
    assert record is not None and record.content_type == "text/csv"
    assert record.blob.read() == b"a,b\n1,2\n"


def test_base64_line_breaks_are_ignored(raw_a: httpx.Client, fake: Fake) -> None:
    data = bytes(range(256)) * 3
    wrapped = base64.encodebytes(data).decode()  # 76-column lines, as `base64` prints
    r = raw_a.post("/files", json={"filename": "bin", "content": wrapped})
    assert r.status_code == 200 and r.json()["file"]["bytes"] == str(len(data))
    record = next(fake.store.records())
    assert record.blob.read() == data


def test_upload_over_the_limit_is_413(orq: Orq, raw_a: httpx.Client, fake: Fake) -> None:
    fake.settings.max_upload_bytes = 1000
    assert upload(orq, "ok.bin", b"x" * 1000).bytes_ == "1000"
    before = snapshot(fake)
    with pytest.raises(APIDefaultError) as err:
        upload(orq, "big.bin", b"x" * 1001)
    assert err.value.status_code == 413 and '"code":8' in err.value.body
    r = raw_a.post("/files", json={"filename": "huge.bin", "content": b64(b"y" * 200_000)})
    assert r.status_code == 413 and r.json()["code"] == 8
    assert snapshot(fake) == before


# -- projects -------------------------------------------------------------------------------


def test_cross_project_isolation(app: ContractRecorder, fake: Fake) -> None:
    a, b = orq_client(app, KEY_A), orq_client(app, KEY_B)
    project_a, project_b = projects_for(fake, KEY_A)[0], projects_for(fake, KEY_B)[0]
    assert project_a != project_b
    fa = upload(a, "a.txt", b"secret of a")
    fb = upload(b, "b.txt", b"b")
    assert (fa.project_id, fb.project_id) == (project_a, project_b)
    before = snapshot(fake)

    with pytest.raises(ErrorResponse) as err:
        b.files.get(file_id=fa.file_id)
    assert err.value.status_code == 404 and "secret" not in err.value.body
    with pytest.raises(ErrorResponse) as err:
        b.files.get_content(file_id_or_path=fa.file_id)
    assert err.value.status_code == 404
    with pytest.raises(APIDefaultError) as err:
        b.files.update(file_id=fa.file_id, file_name="stolen.txt")
    assert err.value.status_code == 404
    with pytest.raises(APIDefaultError) as err:
        b.files.delete(file_id=fa.file_id)
    assert err.value.status_code == 404

    assert [f.file_id for f in b.files.list().data] == [fb.file_id]
    assert [f.file_id for f in a.files.list().data] == [fa.file_id]
    with pytest.raises(APIDefaultError) as err:
        b.files.list(project_id=project_a)
    assert err.value.status_code == 403 and '"code":7' in err.value.body
    with pytest.raises(APIDefaultError) as err:
        b.files.create(filename="x.txt", content=b64(b"x"), project_id=project_a)
    assert err.value.status_code == 403
    with pytest.raises(APIDefaultError) as err:
        b.files.list(starting_after=fa.file_id)  # unknown in b's project
    assert err.value.status_code == 400
    with pytest.raises(APIDefaultError) as err:
        b.files.list(ending_before=fa.file_id)
    assert err.value.status_code == 400
    assert snapshot(fake) == before
    assert a.files.get(file_id=fa.file_id).file.file_name == "a.txt"


def test_configured_projects(app: ContractRecorder, fake: Fake) -> None:
    fake.load(Seed(vendor_data={"orq": [
        OrqProject("proj_01JSHARED0000000000000000", [KEY_A, "key-b"]),
        OrqProject("proj_01JPRIVATE000000000000000", [KEY_A]),
    ]}))
    assert projects_for(fake, KEY_A) == ["proj_01JSHARED0000000000000000",
                                            "proj_01JPRIVATE000000000000000"]
    a, b = orq_client(app, KEY_A), orq_client(app, "key-b")
    shared = upload(a, "shared.txt", b"s")
    private = upload(a, "private.txt", b"p", project_id="proj_01JPRIVATE000000000000000")
    assert shared.project_id == "proj_01JSHARED0000000000000000"
    assert private.project_id == "proj_01JPRIVATE000000000000000"

    # Both keys share the default project; only key-a reaches the private one.
    assert b.files.get(file_id=shared.file_id).file == shared
    assert a.files.get(file_id=private.file_id).file == private  # any of the key's projects
    with pytest.raises(ErrorResponse):
        b.files.get(file_id=private.file_id)
    assert [f.file_id for f in b.files.list().data] == [shared.file_id]
    assert [f.file_id for f in a.files.list().data] == [shared.file_id]
    listed = a.files.list(project_id="proj_01JPRIVATE000000000000000")
    assert [f.file_id for f in listed.data] == [private.file_id]
    with pytest.raises(APIDefaultError) as err:
        b.files.list(project_id="proj_01JPRIVATE000000000000000")
    assert err.value.status_code == 403
    with pytest.raises(APIDefaultError) as err:  # a cursor from the other project
        a.files.list(starting_after=private.file_id)
    assert err.value.status_code == 400
    b.files.delete(file_id=shared.file_id)
    with pytest.raises(ErrorResponse):
        a.files.get(file_id=shared.file_id)


def test_strict_auth() -> None:
    fake = Fake(Settings(auth="strict"))
    fake.load(Seed(vendor_data={"orq": [OrqProject("proj_01JSTRICT00000000000000000",
                                                   ["good"])]}))
    recorder = ContractRecorder(create_app(fake=fake))
    good = orq_client(recorder, "good")
    assert upload(good, "a.txt", b"a").project_id == "proj_01JSTRICT00000000000000000"
    for key in ("bad", None):
        with pytest.raises(ErrorResponse) as err:
            orq_client(recorder, key).files.list()
        assert err.value.status_code == 401 and err.value.data.code == 16
        assert str(err.value).startswith("Unauthorized")
    with raw(recorder, None) as client:
        r = client.get("/files")
    assert r.status_code == 401 and r.headers["content-type"] == "application/json"
    assert not recorder.failures, recorder.failures


# -- bad input over raw HTTP ------------------------------------------------------------------

GOOD = {"filename": "a.txt", "content": "aGk="}
BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, int]] = [
    ("POST", "/files", {"json": {**GOOD, "content": "@@@@"}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": "aGkaG"}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": "aG=k"}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": "aGk=aGk="}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": "aGVsbG8gd29ybGQ=é"}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": ""}}, 400, 3),
    ("POST", "/files", {"json": {"content": "aGk="}}, 400, 3),
    ("POST", "/files", {"json": {"filename": "a.txt"}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "filename": ""}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "filename": 12}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": 12}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content": ["aGk="]}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "purpose": 9}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "purpose": True}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "purpose": "fine-tune"}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content_type": 5}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "content_type": "text/plain\r\nx-evil: 1"}}, 400, 3),
    ("POST", "/files", {"content": b'{"filename": "\\ud800.txt", "content": "aGk="}'}, 400, 3),
    ("POST", "/files", {"content": b'{"filename": "a", "content": "aGk=", '
                                   b'"project_id": "\\udfff"}'}, 403, 7),
    ("POST", "/files", {"content": b"[" * 100_000}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "project_id": ["p"]}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "project_id": "proj_someone_else"}}, 403, 7),
    ("POST", "/files", {"json": {**GOOD, "filename": "x" * 1025}}, 400, 3),
    ("POST", "/files", {"json": {**GOOD, "filename": "a\x00b"}}, 400, 3),
    ("POST", "/files", {"content": b"not json"}, 400, 3),
    ("POST", "/files", {"content": b"{\"filename\": "}, 400, 3),
    ("POST", "/files", {"content": b"\xff\xfe"}, 400, 3),
    ("POST", "/files", {"json": [GOOD]}, 400, 3),
    ("POST", "/files", {"json": None}, 400, 3),
    ("POST", "/files", {"content": b""}, 400, 3),
    ("POST", "/files", {"files": {"other": ("a.txt", b"a")}}, 400, 3),
    ("POST", "/files", {"files": {"file": ("a.txt", b"")}}, 400, 3),
    ("POST", "/files", {"files": {"file": ("a.txt", b"a")}, "data": {"purpose": "x"}}, 400, 3),
    ("GET", "/files?limit=0", {}, 400, 3),
    ("GET", "/files?limit=201", {}, 400, 3),
    ("GET", "/files?limit=abc", {}, 400, 3),
    ("GET", "/files?limit=-1", {}, 400, 3),
    ("GET", "/files?starting_after=file_x&ending_before=file_y", {}, 400, 3),
    ("GET", "/files?starting_after=file_unknown", {}, 400, 3),
    ("GET", "/files?ending_before=a/b.c", {}, 400, 3),
    ("GET", "/files?purpose=nothing", {}, 400, 3),
    ("GET", "/files?project_id=proj_not_mine", {}, 403, 7),
    ("GET", "/files/file_unknown", {}, 404, 5),
    ("GET", "/files/a/b/c", {}, 404, 5),
    ("GET", "/files/some.id.txt", {}, 404, 5),
    ("GET", "/files/..%2F..%2Fetc%2Fpasswd", {}, 404, 5),
    ("GET", "/files/a/b/content", {}, 404, 5),
    ("GET", "/files/file%20x/content", {}, 404, 5),
    ("PATCH", "/files/a.b/c", {"json": {"file_name": "x"}}, 404, 5),
    ("DELETE", "/files/a/b", {}, 404, 5),
    ("DELETE", "/files/file.unknown", {}, 404, 5),
    ("PUT", "/files", {}, 405, 12),
    ("DELETE", "/files", {}, 405, 12),
    ("GET", "/nothing/here", {}, 404, 5),
]


@pytest.mark.parametrize("method, path, kwargs, status, code", BAD_REQUESTS)
def test_bad_input_gets_orq_error_and_changes_nothing(
    raw_a: httpx.Client, fake: Fake, method: str, path: str, kwargs: dict[str, Any],
    status: int, code: int,
) -> None:
    assert raw_a.post("/files", json={"filename": "keep.txt", "content": "a2VlcA=="}).is_success
    before = snapshot(fake)
    r = raw_a.request(method, path, **kwargs)
    assert (r.status_code, r.headers["content-type"]) == (status, "application/json"), r.text
    body = r.json()
    assert body["code"] == code and body["details"] == []
    assert isinstance(body["message"], str) and body["message"]
    assert snapshot(fake) == before


@pytest.mark.parametrize("body", [
    {}, {"file_name": ""}, {"file_name": 5}, {"file_name": None}, {"file_name": "x" * 1025},
    [], "name", {"file_name": "\ud800"},
])
def test_bad_rename_changes_nothing(raw_a: httpx.Client, fake: Fake, body: Any) -> None:
    file_id = raw_a.post("/files", json=GOOD).json()["file"]["file_id"]
    before = snapshot(fake)
    r = raw_a.patch(f"/files/{file_id}", content=json.dumps(body))  # ASCII-escaped, as sent
    assert r.status_code == 400 and r.json()["code"] == 3
    assert raw_a.patch(f"/files/{file_id}", content=b"{oops").json()["code"] == 3
    assert snapshot(fake) == before


def test_injected_server_error_is_orq_shaped(orq: Orq, raw_a: httpx.Client) -> None:
    r = raw_a.get("/files", headers={"x-fakefiles-fault": "503"})
    assert r.status_code == 503 and r.json()["code"] == 13
    with pytest.raises(APIDefaultError) as err:
        orq.files.list(http_headers={"x-fakefiles-fault": "500"})
    assert err.value.status_code == 500


# -- through a live server ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/orq"])
def test_live_server(live: Any, suffix: str) -> None:
    sdk = orq_client(None, KEY_A, server_url=live.url + suffix)
    f = upload(sdk, "live.bin", bytes(range(256)) * 40, purpose="FILE_PURPOSE_BATCH")
    assert f.bytes_ == "10240"
    assert [x.file_id for x in sdk.files.list(purpose="batch").data] == [f.file_id]
    url = sdk.files.get_content(file_id_or_path=f.file_id).download_url
    assert url.startswith(live.url + "/_fakefiles/download/")
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == bytes(range(256)) * 40
    tampered = httpx.get(url.replace("signature=", "signature=0"))
    assert tampered.status_code == 403
    sdk.files.delete(file_id=f.file_id)
    with pytest.raises(ErrorResponse):
        sdk.files.get(file_id=f.file_id)


# -- protobuf JSON, as orq's gateway reads it (issue 14) -------------------------------------


@pytest.mark.parametrize("encode", [
    base64.b64encode, base64.urlsafe_b64encode,
    lambda data: base64.b64encode(data).rstrip(b"="),
    lambda data: base64.urlsafe_b64encode(data).rstrip(b"="),
], ids=["standard", "url-safe", "unpadded", "url-safe unpadded"])
def test_content_takes_every_base64_protobuf_json_takes(orq: Orq, fake: Fake, encode: Any) -> None:
    data = bytes(range(256)) + b"\xfb\xff"  # -, _ in the URL-safe alphabet
    made = orq.files.create(filename="bin.dat", content=encode(data).decode())
    assert made.file.bytes_ == str(len(data))
    record = next(fake.store.records())
    assert record.blob.read() == data


@pytest.mark.parametrize(("number", "stored"), [
    (0, "FILE_PURPOSE_RETRIEVAL"), (1, "FILE_PURPOSE_RETRIEVAL"),
    (2, "FILE_PURPOSE_KNOWLEDGE_DATASOURCE"), (3, "FILE_PURPOSE_BATCH"),
    (4, "FILE_PURPOSE_CODE_INTERPRETER"),
])
def test_purpose_takes_enum_numbers(raw_a: httpx.Client, number: int, stored: str) -> None:
    # The SDK types purpose as the names; numbers come from other protobuf JSON clients.
    r = raw_a.post("/files", json={**GOOD, "purpose": number})
    assert r.status_code == 200 and r.json()["file"]["purpose"] == stored
    listed = raw_a.get("/files", params={"purpose": str(number)}).json()["data"]
    assert r.json()["file"]["file_id"] in [f["file_id"] for f in listed]


def test_content_route_takes_a_file_id_or_path(orq: Orq) -> None:
    made = upload(orq, "docs/faq.md", b"# FAQ")
    by_id = orq.files.get_content(file_id_or_path=made.file_id).download_url
    by_path = orq.files.get_content(file_id_or_path=f"{made.project_id}/{made.file_id}")
    by_name = orq.files.get_content(file_id_or_path="docs/faq.md")
    for url in (by_id, by_path.download_url, by_name.download_url):
        assert made.file_id in url
    with pytest.raises(ErrorResponse) as err:
        orq.files.get_content(file_id_or_path="docs/other.md")
    assert err.value.status_code == 404
