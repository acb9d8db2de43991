"""The OpenAI persona through the real ``openai`` SDK (in-process and on a live server).

Runs twice in ``make test``: with openai==1.109.1 (vlmrun's pin) and with the newest release.
Every JSON body is also checked against seed 004 by the ContractRecorder in conftest.
"""

from __future__ import annotations

import hashlib
import io

import httpx
import openai
import pytest

from tests.conftest import IN_PROCESS, RAW_AUTH, openai_client

pytestmark = pytest.mark.openai_sdk

DAY = 24 * 3600


@pytest.fixture(params=["/openai/v1", "/v1"])
def sdk(request, app):
    return openai_client(f"{IN_PROCESS}{request.param}", app)


def upload(sdk, name="a.txt", data=b"hello", purpose="assistants", **kwargs):
    return sdk.files.create(file=(name, data), purpose=purpose, **kwargs)


def test_file_lifecycle(sdk):
    created = upload(sdk, "notes.txt", b"hello world")
    assert created.id.startswith("file-") and len(created.id) == 5 + 24
    assert (created.object, created.bytes, created.filename) == ("file", 11, "notes.txt")
    assert created.purpose == "assistants" and created.status == "processed"
    assert created.expires_at is None
    assert sdk.files.retrieve(created.id) == created
    assert [f.id for f in sdk.files.list()] == [created.id]
    with pytest.raises(openai.BadRequestError):  # assistants files are not downloadable
        sdk.files.content(created.id)
    deleted = sdk.files.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "file")
    with pytest.raises(openai.NotFoundError) as err:
        sdk.files.retrieve(created.id)
    assert err.value.status_code == 404
    assert err.value.body == {"message": f"No such File object: {created.id}",
                              "type": "invalid_request_error", "param": "id", "code": None}
    with pytest.raises(openai.NotFoundError):
        sdk.files.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        sdk.files.content(created.id)


@pytest.mark.parametrize("purpose", ["assistants", "batch", "fine-tune", "vision", "user_data",
                                     "evals"])
def test_every_upload_purpose(sdk, purpose):
    name = "rows.jsonl" if purpose in ("batch", "fine-tune") else "doc.txt"
    created = upload(sdk, name, b'{"a": 1}\n', purpose)
    assert created.purpose == purpose
    assert [f.id for f in sdk.files.list(purpose=purpose)] == [created.id]


def test_file_sources_and_content_types(sdk, tmp_path, app):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 fake")
    from_path = sdk.files.create(file=path, purpose="assistants")
    from_bytes = sdk.files.create(file=io.BytesIO(b"raw"), purpose="assistants")
    assert from_path.filename == "report.pdf"
    assert from_bytes.filename == "upload"  # the SDK's placeholder for bare bytes
    records = {r.id: r for r in app.state.fake.store.records("openai")}
    assert records[from_path.id].content_type == "application/pdf"


def test_content_is_exact_bytes(sdk, http):
    data = bytes(range(256)) * 300
    created = upload(sdk, "bin.dat", data, "vision")
    assert sdk.files.content(created.id).content == data
    response = http.get(f"/openai/v1/files/{created.id}/content")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith('attachment; filename="bin.dat"')
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(data).hexdigest()
    # The deprecated retrieve_content returns the body as text, not JSON-decoded.
    text_file = upload(sdk, "t.txt", b"plain text", "vision")
    with pytest.warns(DeprecationWarning):
        assert sdk.files.retrieve_content(text_file.id) == "plain text"


def test_wait_for_processing_returns_at_once(sdk):
    created = upload(sdk)
    done = sdk.files.wait_for_processing(created.id, poll_interval=0.01, max_wait_seconds=1)
    assert done.status == "processed"


def test_bad_purpose_and_missing_parts(sdk, http):
    with pytest.raises(openai.BadRequestError) as err:
        upload(sdk, purpose="training")
    assert err.value.param == "purpose" and "'training' is not one of" in err.value.message
    with pytest.raises(openai.BadRequestError) as err:
        upload(sdk, "data.csv", b"a,b", purpose="batch")
    assert "Must be .jsonl" in err.value.message
    missing_file = http.post("/openai/v1/files", files={"purpose": (None, "assistants")})
    assert missing_file.status_code == 400
    assert missing_file.json()["error"]["param"] == "file"
    missing_purpose = http.post("/openai/v1/files", files={"file": ("x.txt", b"1")})
    assert missing_purpose.status_code == 400
    assert missing_purpose.json()["error"]["param"] == "purpose"
    empty = http.post("/openai/v1/files", data={"purpose": "assistants"},
                      files={"file": ("x.txt", b"")})
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "file"
    assert list(sdk.files.list()) == []  # nothing was stored by any refused upload


def test_expires_after_bounds_and_expiry(sdk, app):
    clock = app.state.fake.clock
    clock.freeze()
    short = upload(sdk, expires_after={"anchor": "created_at", "seconds": 3600})
    longest = upload(sdk, expires_after={"anchor": "created_at", "seconds": 30 * DAY})
    assert short.expires_at == short.created_at + 3600
    assert longest.expires_at == longest.created_at + 30 * DAY
    for seconds in (3599, 30 * DAY + 1):
        with pytest.raises(openai.BadRequestError) as err:
            upload(sdk, expires_after={"anchor": "created_at", "seconds": seconds})
        assert err.value.param == "expires_after.seconds"
    with pytest.raises(openai.BadRequestError) as err:
        upload(sdk, expires_after={"anchor": "last_active_at", "seconds": 3600})
    assert err.value.param == "expires_after.anchor"
    # Batch files expire after 30 days unless told otherwise, as OpenAI's do.
    batch = upload(sdk, "b.jsonl", b"{}\n", "batch")
    assert batch.expires_at == batch.created_at + 30 * DAY

    clock.advance(3600)
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(short.id)
    assert short.id not in [f.id for f in sdk.files.list()]
    assert sdk.files.retrieve(longest.id).id == longest.id


def test_auto_pagination_walks_every_page_once(sdk, app):
    app.state.fake.clock.freeze(1_800_000_000)  # identical created_at: ties must stay stable
    created = [upload(sdk, f"f{i}.txt", b"x").id for i in range(7)]
    newest_first = list(reversed(created))
    assert [f.id for f in sdk.files.list(limit=2)] == newest_first
    assert [f.id for f in sdk.files.list(limit=3, order="asc")] == created
    page = sdk.files.list(limit=3)
    assert page.has_more is True and [f.id for f in page.data] == newest_first[:3]
    assert page.first_id == newest_first[0] and page.last_id == newest_first[2]
    last = sdk.files.list(limit=3, after=newest_first[5])
    assert [f.id for f in last.data] == newest_first[6:] and last.has_more is False
    # A file deleted between two pages does not derail the cursor.
    sdk.files.delete(newest_first[2])
    resumed = sdk.files.list(limit=2, after=newest_first[2])
    assert [f.id for f in resumed.data] == newest_first[3:5]


def test_list_purpose_filter_and_bad_parameters(sdk):
    a = upload(sdk, "a.txt", b"1", "assistants")
    v = upload(sdk, "v.png", b"2", "vision")
    assert [f.id for f in sdk.files.list(purpose="vision")] == [v.id]
    assert [f.id for f in sdk.files.list(purpose="assistants")] == [a.id]
    assert list(sdk.files.list(purpose="batch")) == []
    for params, param in [({"limit": 0}, "limit"), ({"limit": 10_001}, "limit"),
                          ({"order": "sideways"}, "order")]:
        with pytest.raises(openai.BadRequestError) as err:
            sdk.files.list(**params)
        assert err.value.param == param


def test_empty_list_envelope(http):
    body = http.get("/openai/v1/files").json()
    assert body == {"object": "list", "data": [], "first_id": None, "last_id": None,
                    "has_more": False}
    bad = http.get("/openai/v1/files?limit=abc")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"


def test_unknown_route_and_wrong_method_use_the_envelope(http):
    unknown = http.get("/openai/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "Invalid URL (GET /openai/v1/nothing-here)"
    wrong = http.put("/openai/v1/files")
    assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "invalid_request_error"
    assert "allow" in wrong.headers


def test_uploads_api_assembles_parts_in_part_ids_order(sdk):
    upload_obj = sdk.uploads.create(bytes=9, filename="big.jsonl", mime_type="application/jsonl",
                                    purpose="batch")
    assert upload_obj.id.startswith("upload_") and upload_obj.status == "pending"
    assert upload_obj.expires_at == upload_obj.created_at + 3600 and upload_obj.file is None
    first = sdk.uploads.parts.create(upload_obj.id, data=b"abc")
    second = sdk.uploads.parts.create(upload_obj.id, data=b"def")
    third = sdk.uploads.parts.create(upload_obj.id, data=b"ghi")
    assert first.id.startswith("part_") and first.upload_id == upload_obj.id
    md5 = hashlib.md5(b"ghiabcdef").hexdigest()
    done = sdk.uploads.complete(upload_obj.id, part_ids=[third.id, first.id, second.id], md5=md5)
    assert done.status == "completed" and done.file is not None
    assert done.file.bytes == 9 and done.file.filename == "big.jsonl"
    assert sdk.files.content(done.file.id).content == b"ghiabcdef"
    with pytest.raises(openai.BadRequestError):
        sdk.uploads.parts.create(upload_obj.id, data=b"late")


def test_uploads_refuse_wrong_bytes_md5_parts_and_cancelled(sdk):
    up = sdk.uploads.create(bytes=4, filename="x.txt", mime_type="text/plain",
                            purpose="assistants")
    part = sdk.uploads.parts.create(up.id, data=b"abc")
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.complete(up.id, part_ids=[part.id])
    assert err.value.param == "bytes"
    other = sdk.uploads.parts.create(up.id, data=b"d")
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.complete(up.id, part_ids=[part.id, other.id], md5="0" * 32)
    assert err.value.param == "md5"
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.complete(up.id, part_ids=[part.id, "part_unknown"])
    assert err.value.param == "part_ids"
    cancelled = sdk.uploads.cancel(up.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        sdk.uploads.complete(up.id, part_ids=[part.id, other.id])
    with pytest.raises(openai.NotFoundError):
        sdk.uploads.cancel("upload_nope")
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.create(bytes=4, filename="x.txt", mime_type="text/plain", purpose="nope")
    assert err.value.param == "purpose"
    assert list(sdk.files.list()) == []


def test_upload_expires_after_an_hour(sdk, app):
    up = sdk.uploads.create(bytes=1, filename="x.txt", mime_type="text/plain",
                            purpose="assistants")
    part = sdk.uploads.parts.create(up.id, data=b"x")
    app.state.fake.clock.advance(3601)
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.complete(up.id, part_ids=[part.id])
    assert "expired" in err.value.message


def test_an_expired_upload_lets_go_of_its_parts(sdk, app):
    import gc
    import os

    up = sdk.uploads.create(bytes=2 * 1024 * 1024, filename="x.bin", mime_type="text/plain",
                            purpose="assistants")
    sdk.uploads.parts.create(up.id, data=b"x" * (2 * 1024 * 1024))  # spooled to a temp file
    upload = app.state.fake.vendors["openai"].uploads.get(up.id)
    spool = next(iter(upload.parts.values())).blob.path
    assert spool is not None and os.path.exists(spool)
    app.state.fake.clock.advance(3601)  # by the fake's clock: no real hour needed
    sdk.uploads.create(bytes=1, filename="y.txt", mime_type="text/plain", purpose="assistants")
    del upload
    gc.collect()
    assert not os.path.exists(spool)  # purged: a long-running sidecar keeps nothing
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.parts.create(up.id, data=b"late")
    assert "expired" in err.value.message


def test_upload_file_chunked_end_to_end(sdk):
    data = b"".join(b'{"row": %d}\n' % i for i in range(2000))
    # Bytes rather than a path: given a path, the SDK leaves the file handle open.
    done = sdk.uploads.upload_file_chunked(file=data, filename="rows.jsonl", bytes=len(data),
                                           mime_type="application/jsonl", purpose="batch",
                                           part_size=4096)
    assert done.status == "completed" and done.file.bytes == len(data)
    assert sdk.files.content(done.file.id).content == data


def test_live_server_whole_workflow(live):
    sdk = openai_client(f"{live.url}/openai/v1")
    created = upload(sdk, "live.txt", b"over a real socket", "vision")
    assert sdk.files.retrieve(created.id).bytes == len(b"over a real socket")
    assert [f.id for f in sdk.files.list(limit=1)] == [created.id]
    assert sdk.files.content(created.id).content == b"over a real socket"
    up = sdk.uploads.create(bytes=2, filename="u.txt", mime_type="text/plain",
                            purpose="assistants")
    part = sdk.uploads.parts.create(up.id, data=b"ok")
    assert sdk.uploads.complete(up.id, part_ids=[part.id]).file.bytes == 2
    assert sdk.files.delete(created.id).deleted
    # The same store answers on the bare /v1 alias.
    bare = openai_client(f"{live.url}/v1")
    assert {f.filename for f in bare.files.list()} == {"u.txt"}
    response = httpx.get(f"{live.url}/openai/v1/files/{created.id}", headers=RAW_AUTH)
    assert response.status_code == 404 and response.headers["x-request-id"].startswith("req_")


def test_rfc5987_filename_and_long_filenames_get_clear_answers(http):
    body = (b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
            b"--b\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt\r\n\r\nhello\r\n--b--\r\n")
    created = http.post("/openai/v1/files", content=body,
                        headers={"content-type": "multipart/form-data; boundary=b"})
    assert created.status_code == 200 and created.json()["filename"] == "naïve résumé.txt"
    too_long = http.post("/openai/v1/files", data={"purpose": "assistants"},
                         files={"file": ("x" * 10_000, b"hi")})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["message"].startswith("The filename is 10000 characters")


# -- the real service over the seeds (issue 14) ----------------------------------------------


@pytest.mark.parametrize(("purpose", "name", "downloads"), [
    ("assistants", "a.txt", False), ("user_data", "u.txt", False), ("evals", "e.jsonl", False),
    ("batch", "b.jsonl", True), ("fine-tune", "f.jsonl", True), ("vision", "v.png", True),
])
def test_only_some_purposes_can_be_downloaded(sdk, purpose, name, downloads):
    created = upload(sdk, name, b'{"a": 1}\n', purpose)
    if downloads:
        assert sdk.files.content(created.id).content == b'{"a": 1}\n'
        return
    with pytest.raises(openai.BadRequestError) as err:
        sdk.files.content(created.id)
    assert err.value.body == {"message": f"Not allowed to download files of purpose: {purpose}",
                              "type": "invalid_request_error", "param": None, "code": None}


def test_unknown_request_fields_are_refused(sdk):
    def refused(call, *args, **kwargs):
        with pytest.raises(openai.BadRequestError) as err:
            call(*args, extra_body={"colour": "blue"}, **kwargs)
        assert err.value.body["message"] == "Unrecognized request argument supplied: colour"

    refused(sdk.files.create, file=("a.txt", b"a"), purpose="assistants")
    refused(sdk.uploads.create, bytes=1, filename="a.txt", mime_type="text/plain",
            purpose="assistants")
    made = sdk.uploads.create(bytes=1, filename="a.txt", mime_type="text/plain",
                              purpose="assistants")
    refused(sdk.uploads.parts.create, upload_id=made.id, data=b"a")
    part = sdk.uploads.parts.create(upload_id=made.id, data=b"a")
    refused(sdk.uploads.complete, upload_id=made.id, part_ids=[part.id])
    assert list(sdk.files.list()) == []  # nothing was stored on the way
    assert sdk.uploads.complete(upload_id=made.id, part_ids=[part.id]).status == "completed"


@pytest.mark.parametrize(("purpose", "filename", "mime_type"), [
    ("batch", "a.txt", "text/plain"), ("batch", "a.jsonl", "text/plain"),
    ("vision", "a.png", "application/pdf"), ("assistants", "a.exe", "application/x-msdownload"),
])
def test_upload_mime_type_must_suit_the_purpose(sdk, purpose, filename, mime_type):
    with pytest.raises(openai.BadRequestError) as err:
        sdk.uploads.create(bytes=3, filename=filename, mime_type=mime_type, purpose=purpose)
    assert err.value.param in ("mime_type", "file")


def test_upload_with_a_suitable_mime_type_completes(sdk):
    made = sdk.uploads.create(bytes=9, filename="a.jsonl", mime_type="application/jsonl",
                              purpose="batch")
    part = sdk.uploads.parts.create(upload_id=made.id, data=b'{"a": 1}\n')
    done = sdk.uploads.complete(upload_id=made.id, part_ids=[part.id])
    assert done.file is not None and done.file.purpose == "batch"


def test_batch_files_have_the_published_200_mb_limit(sdk, monkeypatch):
    from fakefiles.vendors.openai import BATCH_MAX_BYTES, OpenAI

    assert BATCH_MAX_BYTES == OpenAI.batch_max_bytes == 200 * 1024 * 1024
    monkeypatch.setattr(OpenAI, "batch_max_bytes", 16)  # the check, without 200 MB of bytes
    assert upload(sdk, "ok.jsonl", b'{"a": 12345678}\n', "batch").bytes == 16
    with pytest.raises(openai.BadRequestError) as err:
        upload(sdk, "big.jsonl", b'{"a": 123456789}\n', "batch")
    assert err.value.param == "file" and "Batch API" in err.value.message
    assert upload(sdk, "big.jsonl", b'{"a": 123456789}\n', "fine-tune").bytes == 17
    made = sdk.uploads.create(bytes=17, filename="big.jsonl", mime_type="application/jsonl",
                              purpose="batch")
    part = sdk.uploads.parts.create(upload_id=made.id, data=b'{"a": 123456789}\n')
    with pytest.raises(openai.BadRequestError):
        sdk.uploads.complete(upload_id=made.id, part_ids=[part.id])
    assert [f.filename for f in sdk.files.list(purpose="batch")] == ["ok.jsonl"]


def test_expires_after_as_one_json_field_is_refused(http):
    # The SDKs send expires_after[anchor] / expires_after[seconds]; a hand-written client that
    # sends one JSON field used to get a file with no expiry and a 200.
    response = http.post("/openai/v1/files", headers={"Authorization": "Bearer sk-x"},
                         data={"purpose": "assistants",
                               "expires_after": '{"anchor": "created_at", "seconds": 3600}'},
                         files={"file": ("a.txt", b"a")})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "expires_after"
    assert http.get("/openai/v1/files", headers={"Authorization": "Bearer sk-x"}).json()[
        "data"] == []


def test_list_after_an_unknown_id_is_an_empty_page(sdk, http):
    upload(sdk)
    page = sdk.files.list(after="file-doesnotexist0000000000")
    assert page.data == [] and page.has_more is False
    assert list(page) == []  # auto-pagination ends
    body = http.get("/openai/v1/files", params={"after": "file-nope"},
                    headers={"Authorization": "Bearer sk-x"}).json()
    assert body == {"object": "list", "data": [], "first_id": None, "last_id": None,
                    "has_more": False}


def test_405_names_every_method_of_the_path(http):
    auth = {"Authorization": "Bearer sk-x"}
    response = http.put("/openai/v1/files", headers=auth)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert http.put("/v1/files/file-1", headers=auth).headers["allow"] == "GET, HEAD, DELETE"
    assert http.get("/openai/v1/uploads", headers=auth).headers["allow"] == "POST"
    assert http.delete("/orq/v2/files", headers=auth).headers["allow"] == "GET, HEAD, POST"


def test_fixtures_seed_pending_and_completed_uploads(fake, app):
    from fakefiles.fixtures import load_fixture_text

    fake.load(load_fixture_text("""
openai:
  uploads:
    - id: upload_abc123
      filename: training.jsonl
      purpose: fine-tune
      bytes: 18
      parts: [{id: part_def456, content: "{\\"a\\": 1}\\n"}]
    - id: upload_done1
      filename: done.jsonl
      purpose: batch
      status: completed
      file_id: file-xyz321
      parts: [{content: "{\\"b\\": 2}\\n"}]
    - {id: upload_gone, filename: x.txt, bytes: 5, status: cancelled}
"""))
    sdk = openai_client(f"{IN_PROCESS}/openai/v1", app)
    part = sdk.uploads.parts.create(upload_id="upload_abc123", data=b'{"a": 2}\n')
    done = sdk.uploads.complete(upload_id="upload_abc123", part_ids=["part_def456", part.id])
    assert done.status == "completed" and done.file is not None
    assert sdk.files.content(done.file.id).content == b'{"a": 1}\n{"a": 2}\n'
    made = sdk.files.retrieve("file-xyz321")
    assert (made.filename, made.purpose, made.bytes) == ("done.jsonl", "batch", 9)
    with pytest.raises(openai.BadRequestError):  # completed, and cancelled: not pending
        sdk.uploads.cancel("upload_done1")
    with pytest.raises(openai.BadRequestError):
        sdk.uploads.parts.create(upload_id="upload_gone", data=b"x")
    fake.reset()  # the seeded uploads come back as they were
    assert sdk.uploads.cancel("upload_abc123").status == "cancelled"
