"""VLM Run: the real ``vlmrun`` SDK 0.9.2 against the live fake, plus raw-HTTP bad input.

The SDK speaks ``requests``, so everything here goes through the ``live`` server; the
contract recorder in that fixture checks every JSON body against seed 000's schemas.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from vlmrun.client import VLMRun
from vlmrun.client.exceptions import APIError, AuthenticationError, ResourceNotFoundError
from vlmrun.client.types import PresignedUrlRequest

from fakefiles.faults import FaultSpec

KEY = "vlm-test-key-0123456789"
PURPOSES = ["assistants", "batch", "fine-tune", "vision", "datasets"]


def client(live: Any, **kwargs: Any) -> VLMRun:
    kwargs.setdefault("api_key", KEY)
    return VLMRun(base_url=f"{live.url}/vlmrun/v1", **kwargs)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def api(live: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A raw request to the VLM Run prefix, with the SDK's auth header."""
    headers = {"Authorization": f"Bearer {KEY}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{live.url}/vlmrun/v1{path}", headers=headers,
                            timeout=10, **kwargs)


def stored(live: Any) -> dict[str, str]:
    return {r.id: r.sha256 for r in live.fake.store.records("vlmrun")}


def posts(live: Any, expected: int) -> list[int]:
    """Statuses of the direct uploads. The server journals a request before its last byte
    goes out; the short wait only guards uploads another client thread still has in flight."""
    deadline = time.monotonic() + 2
    while True:
        entries = live.fake.journal.entries(method="POST", path="/vlmrun/v1/files")
        if len(entries) >= expected or time.monotonic() > deadline:
            return [e.status for e in entries]
        time.sleep(0.01)


# -- client construction -------------------------------------------------------------------


def test_construction_calls_health(live):
    client(live)
    response = api(live, "GET", "/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert [e.status for e in live.fake.journal.entries(path="/vlmrun/v1/health")][0] == 200


def test_strict_auth_refuses_a_bad_key(live, monkeypatch):
    monkeypatch.setattr(live.fake.settings, "auth", "strict")
    monkeypatch.setattr(live.fake.settings, "api_keys", [KEY])
    live.fake.reset()
    assert client(live).files.list() == []
    with pytest.raises(AuthenticationError) as err:
        client(live, api_key="wrong-key", max_retries=1)
    assert err.value.http_status == 401
    assert api(live, "GET", "/files", headers={"Authorization": ""}).status_code == 401


# -- upload, get, list, delete ---------------------------------------------------------------


def test_upload_get_list_delete(live, tmp_path):
    vlm = client(live)
    path = write(tmp_path, "sample.txt", b"hello, world\n")
    f = vlm.files.upload(path)
    assert uuid.UUID(f.id).version == 4
    assert (f.filename, f.bytes, f.purpose, f.object) == ("sample.txt", 13, "assistants", "file")
    assert f.created_at.utcoffset() == timedelta(0)  # ISO-8601 with a UTC offset
    assert posts(live, 1) == [201]

    got = vlm.files.get(f.id)
    assert (got.id, got.bytes, got.created_at) == (f.id, 13, f.created_at)
    assert [x.id for x in vlm.files.list()] == [f.id]

    deleted = vlm.files.delete(f.id)
    assert (deleted.id, deleted.filename, deleted.bytes) == (f.id, "sample.txt", 13)
    assert deleted.public_url is None
    with pytest.raises(ResourceNotFoundError) as err:
        vlm.files.get(f.id)
    assert err.value.http_status == 404 and f.id in err.value.message
    assert vlm.files.get_cached_file(path) is None  # the md5 stopped matching
    assert vlm.files.list() == []
    with pytest.raises(ResourceNotFoundError):
        vlm.files.delete(f.id)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_server_purpose_is_accepted(live, tmp_path, purpose):
    f = client(live).files.upload(write(tmp_path, "d.json", purpose.encode()), purpose=purpose)
    assert f.purpose == purpose
    assert live.fake.store.get("vlmrun", f.id).purpose == purpose


def test_bad_purpose_is_a_fastapi_422(live, tmp_path):
    vlm = client(live, max_retries=1)
    with pytest.raises(APIError) as err:
        vlm.files.upload(write(tmp_path, "a.txt", b"abc"), purpose="assistants_output")
    assert err.value.http_status == 422
    [item] = err.value.message
    assert item["loc"] == ["query", "purpose"] and item["type"] == "literal_error"
    assert item["input"] == "assistants_output" and "'datasets'" in item["msg"]
    assert stored(live) == {}


def test_same_bytes_give_the_same_id(live, tmp_path):
    vlm = client(live)
    first = vlm.files.upload(write(tmp_path, "a.txt", b"same bytes"))
    # The SDK's hash lookup answers the second upload: no POST at all.
    second = vlm.files.upload(write(tmp_path, "b.txt", b"same bytes"), purpose="vision")
    assert (second.id, second.filename, second.purpose) == (first.id, "a.txt", "assistants")
    assert posts(live, 1) == [201]
    # force=True skips the lookup's answer; the server still dedups the POST.
    forced = vlm.files.upload(write(tmp_path, "c.txt", b"same bytes"), force=True)
    assert forced.id == first.id
    assert [x.id for x in vlm.files.list()] == [first.id]
    assert posts(live, 2) == [201, 201]


def test_server_dedup_keeps_the_first_record_whatever_the_second_names(live, tmp_path):
    # The service keys files by content (docs.vlm.run "client.files", File Caching; the SDK's
    # upload returns a hash hit as it is): a second upload of the same bytes under another
    # name and purpose gets the first record back, on the server too (force=True, raw POST).
    vlm = client(live)
    first = vlm.files.upload(write(tmp_path, "a.txt", b"dedup me"), purpose="assistants")
    forced = vlm.files.upload(write(tmp_path, "other.txt", b"dedup me"), purpose="vision",
                              force=True)
    assert (forced.id, forced.filename, forced.purpose) == (first.id, "a.txt", "assistants")
    raw = api(live, "POST", "/files", params={"purpose": "datasets"},
              files={"file": ("third.bin", b"dedup me")})
    assert raw.status_code == 201
    assert (raw.json()["id"], raw.json()["filename"], raw.json()["purpose"]) == (
        first.id, "a.txt", "assistants")
    assert [x.id for x in vlm.files.list()] == [first.id]


def test_hash_lookup_hit_and_miss(live, tmp_path):
    vlm = client(live)
    path = write(tmp_path, "x.bin", b"\x00\x01\x02")
    assert vlm.files.get_cached_file(path) is None
    miss = api(live, "GET", f"/files/hash/{hashlib.md5(b'nothing').hexdigest()}")
    assert (miss.status_code, miss.json()) == (404, {"detail": "File not found"})
    f = vlm.files.upload(path)
    hit = vlm.files.get_cached_file(path)
    assert hit is not None and hit.id == f.id and hit.bytes == 3
    upper = api(live, "GET", f"/files/hash/{hashlib.md5(path.read_bytes()).hexdigest().upper()}")
    assert upper.status_code == 200 and upper.json()["id"] == f.id


def test_list_pages_newest_first(live, tmp_path):
    vlm = client(live)
    uploaded = [vlm.files.upload(write(tmp_path, f"f{i}.txt", f"file {i}".encode())).id
                for i in range(7)]
    assert [x.id for x in vlm.files.list(skip=0, limit=1000)] == uploaded[::-1]
    pages = [vlm.files.list(skip=skip, limit=3) for skip in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [x.id for page in pages for x in page] == uploaded[::-1]
    assert len(vlm.files.list()) == 7  # default limit 10
    assert vlm.files.list(skip=7, limit=5) == []
    assert [x.id for x in vlm.files.list(skip=2, limit=1)] == [uploaded[4]]


@pytest.mark.parametrize(("query", "param", "kind"), [
    ({"skip": -1}, "skip", "greater_than_equal"),
    ({"skip": "x"}, "skip", "int_parsing"),
    ({"limit": 0}, "limit", "greater_than_equal"),
    ({"limit": 1001}, "limit", "less_than_equal"),
    ({"limit": "1.5"}, "limit", "int_parsing"),
    ({"limit": "9" * 40}, "limit", "int_parsing"),
])
def test_list_rejects_bad_skip_and_limit(live, query, param, kind):
    response = api(live, "GET", "/files", params=query)
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["loc"], item["type"]) == (["query", param], kind)


# -- public_url --------------------------------------------------------------------------------


def test_public_url_downloads_the_bytes(live, tmp_path):
    data = bytes(range(256)) * 5
    f = client(live).files.upload(write(tmp_path, "blob.bin", data))
    assert f.public_url and f.public_url.startswith(live.url)
    download = requests.get(f.public_url, timeout=10)  # no Authorization header
    assert download.status_code == 200 and download.content == data
    again = client(live).files.get(f.id).public_url
    assert requests.get(again, timeout=10).content == data


def test_public_url_tampered_or_expired_is_refused(live, tmp_path):
    f = client(live).files.upload(write(tmp_path, "a.txt", b"secret"))
    parts = urlsplit(f.public_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    forged = dict(query, expires=str(int(query["expires"]) + 10_000))
    tampered = urlunsplit(parts._replace(query=urlencode(forged)))
    assert requests.get(tampered, timeout=10).status_code == 403
    other = f.id[:-1] + ("1" if f.id[-1] == "0" else "0")
    other_id = urlunsplit(parts._replace(path=parts.path.replace(f.id, other)))
    assert requests.get(other_id, timeout=10).status_code == 403
    live.fake.clock.advance(live.fake.settings.link_ttl + 5)
    assert requests.get(f.public_url, timeout=10).status_code == 403
    # A fresh link works again, and a deleted file's link does not.
    fresh = client(live).files.get(f.id).public_url
    assert requests.get(fresh, timeout=10).content == b"secret"
    client(live).files.delete(f.id)
    assert requests.get(fresh, timeout=10).status_code == 404


def test_generate_public_url_false_gives_null(live):
    response = api(live, "POST", "/files", params={"generate_public_url": "false"},
                   files={"file": ("a.txt", b"abc")})
    assert response.status_code == 201 and response.json()["public_url"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00",
                        response.json()["created_at"])
    file_id = response.json()["id"]
    got = api(live, "GET", f"/files/{file_id}", params={"generate_public_url": "0"})
    assert got.json()["public_url"] is None
    assert api(live, "GET", f"/files/{file_id}").json()["public_url"].startswith(live.url)
    bad = api(live, "GET", f"/files/{file_id}", params={"generate_public_url": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "generate_public_url"]


# -- presigned uploads -------------------------------------------------------------------------


def test_presigned_upload_through_the_sdk(live, tmp_path):
    vlm = client(live)
    data = b"presigned " * 5000
    f = vlm.files.upload(write(tmp_path, "big.pdf", data), purpose="vision",
                         method="presigned-url")
    assert (f.filename, f.bytes, f.purpose) == ("big.pdf", len(data), "vision")
    assert vlm.files.get(f.id).bytes == len(data)
    assert requests.get(f.public_url, timeout=10).content == data
    put = live.fake.journal.entries(method="PUT")
    assert len(put) == 1 and "authorization" not in put[0].headers
    assert live.fake.store.get("vlmrun", f.id).content_type == "application/pdf"


def test_presigned_url_flow_by_hand(live):
    vlm = client(live)
    presigned = vlm.files.generate_presigned_url(PresignedUrlRequest(filename="p.txt"))
    assert presigned.url and presigned.url.startswith(live.url)
    assert presigned.content_type == "text/plain" and presigned.expiration == 86400
    assert uuid.UUID(presigned.id).version == 4
    early = api(live, "GET", f"/files/verify-upload/{presigned.id}")
    assert early.status_code == 404 and isinstance(early.json()["detail"], str)

    bad = presigned.url.replace("signature=", "signature=0")
    assert requests.put(bad, data=b"x", timeout=10).status_code == 403
    assert requests.put(presigned.url.split("?")[0], data=b"x", timeout=10).status_code == 403
    assert requests.put(presigned.url, data=b"", timeout=10).status_code == 422
    assert stored(live) == {}

    ok = requests.put(presigned.url, data=b"put body", timeout=10)
    assert ok.status_code == 200
    again = requests.put(presigned.url, data=b"other", timeout=10)
    assert again.status_code == 409 and live.fake.store.get("vlmrun", presigned.id).size == 8
    verified = api(live, "GET", f"/files/verify-upload/{presigned.id}").json()
    assert (verified["id"], verified["bytes"], verified["purpose"]) == (
        presigned.id, 8, "assistants")


def test_presigned_url_expires(live):
    vlm = client(live)
    response = api(live, "POST", "/files/presigned-url",
                   json={"filename": "late.txt", "purpose": "batch", "expiration": 60})
    assert response.status_code == 200
    live.fake.clock.advance(61)
    assert requests.put(response.json()["url"], data=b"late", timeout=10).status_code == 403
    assert vlm.files.list() == []


def test_expired_presigned_sessions_are_forgotten(live):
    for n in range(3):
        api(live, "POST", "/files/presigned-url",
            json={"filename": f"late{n}.txt", "purpose": "batch", "expiration": 60})
    vendor = live.fake.vendors["vlmrun"]
    assert len(vendor.pending) == 3
    live.fake.clock.advance(61)
    fresh = api(live, "POST", "/files/presigned-url",
                json={"filename": "fresh.txt", "purpose": "batch", "expiration": 60}).json()
    assert list(vendor.pending) == [fresh["id"]]


# -- refusals through the SDK --------------------------------------------------------------------


def test_empty_file_is_refused(live, tmp_path):
    with pytest.raises(APIError) as err:
        client(live, max_retries=1).files.upload(write(tmp_path, "empty.txt", b""))
    assert err.value.http_status == 422
    assert err.value.message[0]["loc"] == ["body", "file"]
    assert stored(live) == {}


def test_sdk_retry_after_a_5xx_sends_an_empty_file_which_is_refused(live, tmp_path):
    # The SDK's retried POST reuses a file handle already at EOF (note §10): refusing the
    # empty part turns silent data loss into a visible error.
    live.fake.faults.add(FaultSpec(vendor="vlmrun", method="POST", path="/files", status=503,
                                   times=1))
    with pytest.raises(APIError) as err:
        client(live, max_retries=2).files.upload(write(tmp_path, "a.txt", b"fifty bytes"))
    assert err.value.http_status == 422
    assert posts(live, 2) == [503, 422] and stored(live) == {}


def test_too_large_is_413(live, tmp_path, monkeypatch):
    monkeypatch.setattr(live.fake.settings, "max_upload_bytes", 100)
    vlm = client(live, max_retries=1)
    assert vlm.files.upload(write(tmp_path, "ok.txt", b"x" * 100)).bytes == 100
    before = stored(live)
    with pytest.raises(APIError) as err:
        vlm.files.upload(write(tmp_path, "big.txt", b"y" * 101))
    assert err.value.http_status == 413 and "too large" in err.value.message
    with pytest.raises(APIError) as err:
        vlm.files.upload(write(tmp_path, "huge.txt", b"z" * 200_000))
    assert err.value.http_status == 413
    with pytest.raises(Exception, match="presigned"):
        vlm.files.upload(write(tmp_path, "p.txt", b"w" * 101), method="presigned-url")
    assert stored(live) == before


def test_unsupported_type_is_415(live, tmp_path, monkeypatch):
    monkeypatch.setattr(live.fake.settings, "vlmrun_allowed_types", ["image/*", "application/pdf"])
    vlm = client(live, max_retries=1)
    assert vlm.files.upload(write(tmp_path, "a.png", b"\x89PNG")).filename == "a.png"
    assert vlm.files.upload(write(tmp_path, "b.pdf", b"%PDF")).filename == "b.pdf"
    for name in ("c.txt", "d"):
        with pytest.raises(APIError) as err:
            vlm.files.upload(write(tmp_path, name, name.encode()))
        assert err.value.http_status == 415 and "Unsupported file type" in err.value.message
    with pytest.raises(APIError) as err:
        vlm.files.upload(write(tmp_path, "e.txt", b"e"), method="presigned-url")
    assert err.value.http_status == 415
    assert len(stored(live)) == 2


# -- raw bad input: a vendor-shaped 4xx, stored files intact -----------------------------------

BOUNDARY = "b0undary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def part(name: str, body: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n").encode() + body + b"\r\n"


END = f"--{BOUNDARY}--\r\n".encode()

BAD_REQUESTS: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("json instead of multipart", "POST", "/files", {"json": {"file": "x"}}, 422),
    ("no boundary", "POST", "/files",
     {"data": b"x", "headers": {"Content-Type": "multipart/form-data"}}, 422),
    ("missing file part", "POST", "/files",
     {"data": part("purpose", b"assistants") + END, "headers": MULTIPART}, 422),
    ("file as text field", "POST", "/files",
     {"data": part("file", b"text") + END, "headers": MULTIPART}, 422),
    ("two file parts", "POST", "/files",
     {"data": part("file", b"a", "a.txt") + part("file", b"b", "b.txt") + END,
      "headers": MULTIPART}, 422),
    ("truncated multipart", "POST", "/files",
     {"data": part("file", b"abc", "a.txt"), "headers": MULTIPART}, 422),
    ("garbage multipart", "POST", "/files",
     {"data": b"--b0undary\r\nno headers here\r\n\r\n", "headers": MULTIPART}, 422),
    ("empty file", "POST", "/files", {"files": {"file": ("e.txt", b"")}}, 422),
    ("empty filename", "POST", "/files",
     {"data": part("file", b"abc", "") + END, "headers": MULTIPART}, 422),
    ("huge filename", "POST", "/files", {"files": {"file": ("n" * 5000 + ".txt", b"x")}}, 422),
    ("bad purpose", "POST", "/files?purpose=nope", {"files": {"file": ("a.txt", b"new")}}, 422),
    ("wrong method", "PATCH", "/files/abc", {}, 405),
    ("unknown id", "GET", "/files/4d2b0b1c-0000-4000-8000-000000000000", {}, 404),
    ("id with slashes", "GET", "/files/a/b/c", {}, 404),
    ("id with dots", "GET", "/files/..%2F..%2Fetc%2Fpasswd", {}, 404),
    ("delete id with dots", "DELETE", "/files/x.y.z", {}, 404),
    ("delete id with slashes", "DELETE", "/files/hash/abc", {}, 404),
    ("hash with slashes", "GET", "/files/hash/a/b", {}, 404),
    ("verify unknown", "GET", "/files/verify-upload/nope", {}, 404),
    ("presigned not json", "POST", "/files/presigned-url", {"data": b"{oops"}, 422),
    ("presigned a list", "POST", "/files/presigned-url", {"json": ["a.txt"]}, 422),
    ("presigned no filename", "POST", "/files/presigned-url", {"json": {"purpose": "batch"}}, 422),
    ("presigned filename int", "POST", "/files/presigned-url", {"json": {"filename": 5}}, 422),
    ("presigned bad purpose", "POST", "/files/presigned-url",
     {"json": {"filename": "a.txt", "purpose": "x"}}, 422),
    ("presigned bad expiration", "POST", "/files/presigned-url",
     {"json": {"filename": "a.txt", "expiration": "soon"}}, 422),
    ("presigned expiration 0", "POST", "/files/presigned-url",
     {"json": {"filename": "a.txt", "expiration": 0}}, 422),
    ("put unsigned", "PUT", "/files/upload/abc", {"data": b"x"}, 403),
    ("put bad expires", "PUT", "/files/upload/abc?expires=%C2%B2&signature=x", {"data": b"x"},
     403),
    ("unknown route", "GET", "/nothing", {}, 404),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"),
                         [case[1:] for case in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS])
def test_bad_input_is_a_vendor_4xx_and_changes_nothing(live, tmp_path, method, path, kwargs,
                                                       status):
    vlm = client(live)
    for i in range(2):
        vlm.files.upload(write(tmp_path, f"keep{i}.txt", f"keep {i}".encode()))
    before = stored(live)
    response = api(live, method, path, **kwargs)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if status == 422:
        assert isinstance(detail, list) and detail[0]["loc"][0] in ("body", "query")
    else:
        assert isinstance(detail, str) and detail
    assert stored(live) == before
    assert [x.id for x in vlm.files.list()] == list(before)[::-1]


def test_422_items_name_the_field(live):
    response = api(live, "POST", "/files", data=part("other", b"x") + END, headers=MULTIPART)
    assert response.json() == {"detail": [
        {"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": None}
    ]}
    huge = api(live, "POST", "/files", files={"file": ("n" * 2000, b"x")})
    [item] = huge.json()["detail"]
    assert item["type"] == "string_too_long" and item["ctx"] == {"max_length": 1024}
    assert re.fullmatch(r"n{64}…", item["input"])


def test_full_width_digits_are_not_a_limit(live):
    response = api(live, "GET", "/files?limit=%EF%BC%91")  # "１"
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]
