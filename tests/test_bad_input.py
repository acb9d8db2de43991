"""The bad-input corpus (tests/corpus.py) against every vendor on a live server, then the
limits: bodies over ``max_upload_bytes`` (declared, chunked, exact) and a client that stalls.

Every refusal must be the vendor's 4xx envelope naming the problem, odd-but-legal input must
round-trip, and nothing stored may change: each case compares the store (ids, sha256, names)
before and after, and the whole corpus is checked once more when the server stops.
"""

from __future__ import annotations

import base64
import http.client
import json
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.server import LiveServer
from tests.contracts import ContractRecorder
from tests.corpus import (
    CASES,
    KEY,
    MULTIPART,
    PROFILES,
    Accepted,
    Case,
    Part,
    Profile,
    Raw,
    Refused,
    multipart,
)

GRPC_CODES = {400: 3, 403: 7, 404: 5, 408: 4, 413: 8}
Snapshot = set[tuple[str, str, str, str]]


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    live: LiveServer
    fake: Fake
    recorder: ContractRecorder
    ids: dict[str, list[str]]


def snapshot(fake: Fake) -> Snapshot:
    return {(r.namespace, r.id, r.sha256, r.filename) for r in fake.store.records()}


def send(live: LiveServer, vendor: Profile, raw: Raw, *, auth: bool = True) -> Reply:
    """One request, headers exactly as listed (duplicates kept), target not normalised."""
    conn = http.client.HTTPConnection(live.host, live.port, timeout=10)
    try:
        conn.putrequest(raw.method, vendor.prefix + raw.target, skip_accept_encoding=True)
        if auth:
            conn.putheader("Authorization", f"Bearer {KEY}")
        for name, value in raw.headers:
            conn.putheader(name, value)
        if raw.body or raw.method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(raw.body)))
        conn.endheaders(raw.body or None)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def record_of(vendor: Profile, body: dict[str, Any]) -> tuple[str, str]:
    """(id, filename) of a file object in the vendor's shape."""
    if vendor.name == "orq":
        return body["file"]["file_id"], body["file"]["file_name"]
    return body["id"], body["filename"]


def file_ids(vendor: Profile, reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body[:300]
    body = reply.json()
    items = body if vendor.name == "vlmrun" else body["data"]
    return [item["file_id" if vendor.name == "orq" else "id"] for item in items]


def problem(vendor: Profile, reply: Reply) -> str:
    """Assert the vendor's error envelope; the text naming the problem (message + param)."""
    assert reply.headers["content-type"] == "application/json", reply.body[:200]
    body, status = reply.json(), reply.status
    if vendor.name == "orq":
        assert set(body) == {"message", "code", "details"}, body
        assert body["code"] == GRPC_CODES[status] and body["details"] == []
        assert isinstance(body["message"], str)
        return str(body["message"])
    if status == 422 and vendor.name in ("impala", "vlmrun"):
        assert set(body) == {"detail"} and len(body["detail"]) == 1, body
        item = body["detail"][0]
        keys = {"loc", "msg", "type"} if vendor.name == "impala" else {"loc", "msg", "type",
                                                                      "input"}
        assert keys <= set(item) <= keys | {"ctx"}, item
        return f"{item['msg']} {'.'.join(str(part) for part in item['loc'])}"
    if vendor.name == "vlmrun":
        assert set(body) == {"detail"} and isinstance(body["detail"], str), body
        return str(body["detail"])
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert error["type"] in ("invalid_request_error", "not_found_error"), error
    return f"{error['message']} {error['param']}"


def expected_status(vendor: Profile, kind: str) -> int:
    return {"invalid": vendor.invalid_status, "not_found": 404, "forbidden": 403}[kind]


# -- the corpus --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    fake = Fake(Settings())
    recorder = ContractRecorder(create_app(fake=fake))
    with LiveServer(recorder) as live:
        ids: dict[str, list[str]] = {}
        for name, vendor in PROFILES.items():  # a few files per vendor, through the API
            for n in range(3):
                reply = send(live, vendor, vendor.named(f"seed-{n}.txt", f"{name} {n}\n".encode()))
                assert reply.status in (200, 201), reply.body
                ids.setdefault(name, []).append(record_of(vendor, reply.json())[0])
        before = snapshot(fake)
        assert len(before) == 12
        yield Served(live, fake, recorder, ids)
        assert snapshot(fake) == before, "the corpus changed what was stored"
        assert not recorder.failures, "\n".join(recorder.failures)


def corpus_params() -> list[Any]:
    return [pytest.param(name, case, id=f"{name}: {case.name}")
            for name, vendor in PROFILES.items() for case in CASES
            if case.build(vendor, "file-x") is not None]


@pytest.mark.parametrize(("name", "case"), corpus_params())
def test_corpus(served: Served, name: str, case: Case) -> None:
    vendor = PROFILES[name]
    file_id = served.ids[name][0]
    raw = case.build(vendor, file_id)
    assert raw is not None
    before = snapshot(served.fake)
    reply = send(served.live, vendor, raw)
    expect = case.expectation(vendor)
    if isinstance(expect, Refused):
        assert reply.status == expected_status(vendor, expect.kind), reply.body[:300]
        text = problem(vendor, reply)
        assert expect.mentions.replace("{id}", file_id).lower() in text.lower(), text[:300]
    else:
        check_accepted(served, vendor, expect, reply, file_id)
    assert snapshot(served.fake) == before


def check_accepted(served: Served, vendor: Profile, expect: Accepted, reply: Reply,
                   file_id: str) -> None:
    assert 200 <= reply.status < 300, reply.body[:300]
    check, _, value = expect.check.partition(":")
    if check == "same_listing":
        plain = send(served.live, vendor, Raw("GET", "/files"))
        assert file_ids(vendor, reply) == file_ids(vendor, plain)
    elif check == "empty_listing":
        assert file_ids(vendor, reply) == []
    elif check == "same_file":
        assert record_of(vendor, reply.json())[0] == file_id
    else:  # roundtrip: the name comes back exactly, in the answer and on a later read
        new_id, filename = record_of(vendor, reply.json())
        assert filename == value
        path = f"/files/{quote(new_id, safe='')}"
        fetched = send(served.live, vendor, Raw("GET", path))
        assert record_of(vendor, fetched.json()) == (new_id, value)
        assert send(served.live, vendor, Raw("DELETE", path)).status == 200


# -- limits: too large, too slow ---------------------------------------------------------

LIMIT = 1024


@pytest.fixture(scope="module")
def limited() -> Iterator[Served]:
    fake = Fake(Settings(max_upload_bytes=LIMIT, body_timeout=0.5))
    recorder = ContractRecorder(create_app(fake=fake))
    with LiveServer(recorder) as live:
        seeded = send(live, PROFILES["openai"], PROFILES["openai"].named("kept.txt"))
        assert seeded.status == 200
        before = snapshot(fake)
        yield Served(live, fake, recorder, {})
        assert snapshot(fake) == before
        assert not recorder.failures, "\n".join(recorder.failures)


def upload_head(vendor: Profile, live: LiveServer, length_header: str) -> bytes:
    """Request line and headers of an upload whose body is streamed by hand."""
    content_type = "application/json" if vendor.name == "orq" else MULTIPART[1]
    return (f"POST {vendor.prefix}/files{vendor.upload_query} HTTP/1.1\r\n"
            f"Host: {live.host}:{live.port}\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: {content_type}\r\n{length_header}\r\n\r\n").encode()


def body_start(vendor: Profile) -> bytes:
    if vendor.name == "orq":
        return b'{"filename": "big.bin", "content": "'
    head = multipart(vendor.form(Part("file", b"", "big.bin")))
    return head[: head.index(b"\r\n\r\n", head.index(b'filename="big.bin"')) + 4]


def read_reply(sock: socket.socket, timeout: float) -> Reply:
    sock.settimeout(timeout)
    response = http.client.HTTPResponse(sock)
    response.begin()
    return Reply(response.status, response.headers, response.read())


def still_serves(served: Served, vendor: Profile) -> None:
    """A normal request on a new connection works after the refusal."""
    reply = send(served.live, vendor, Raw("GET", "/files"))
    assert reply.status == 200, reply.body[:200]


@pytest.mark.parametrize("name", list(PROFILES))
def test_declared_length_over_the_limit_is_refused_before_the_body(limited: Served,
                                                                   name: str) -> None:
    vendor = PROFILES[name]
    with socket.create_connection((limited.live.host, limited.live.port), timeout=5) as sock:
        # 10 GiB announced, 1 KiB sent: the answer must not wait for (or buffer) the rest.
        # One write, so the server has read all we sent when it closes (no RST eats its reply).
        sock.sendall(upload_head(vendor, limited.live, f"Content-Length: {10 * 1024**3}")
                     + body_start(vendor) + b"A" * 1024)
        reply = read_reply(sock, timeout=5)
    assert reply.status == 413
    assert "limit" in problem(vendor, reply).lower()
    still_serves(limited, vendor)


@pytest.mark.parametrize("name", list(PROFILES))
def test_chunked_body_is_cut_off_once_it_crosses_the_limit(limited: Served, name: str) -> None:
    vendor = PROFILES[name]
    # Just past each limit (VLM Run allows 64 KiB of multipart framing on top, orq's JSON
    # the base64 growth plus 64 KiB), so the server has read all we sent when it answers.
    crossing = {"openai": 2, "impala": 2, "vlmrun": 68, "orq": 68}[name] * 1024
    with socket.create_connection((limited.live.host, limited.live.port), timeout=5) as sock:
        sock.sendall(upload_head(vendor, limited.live, "Transfer-Encoding: chunked"))
        for chunk in [body_start(vendor)] + [b"A" * 1024] * (crossing // 1024):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # No terminating chunk: the server has to answer while the body is still open.
        readable, _, _ = select.select([sock], [], [], 5)
        assert readable, "no answer to a body past the limit"
        reply = read_reply(sock, timeout=5)
    assert reply.status == 413
    assert "limit" in problem(vendor, reply).lower()
    still_serves(limited, vendor)


OVER = b"B" * (LIMIT + 1)
OVERSIZED = {  # whole bodies, honest Content-Length, over the limit
    "openai upload": PROFILES["openai"].named("big.bin", OVER),
    "openai JSON": PROFILES["openai"].json_fields(filename="x" * 2 * LIMIT),
    "impala upload": PROFILES["impala"].named("big.bin", OVER),
    "vlmrun upload": PROFILES["vlmrun"].named("big.bin", OVER),
    "vlmrun JSON": PROFILES["vlmrun"].json_fields(filename="x" * 2 * LIMIT),
    "orq upload": PROFILES["orq"].json_fields(content=base64.b64encode(OVER).decode()),
}


@pytest.mark.parametrize("label", list(OVERSIZED))
def test_whole_body_over_the_limit_is_refused(limited: Served, label: str) -> None:
    vendor = PROFILES[label.split()[0]]
    raw = OVERSIZED[label]
    assert raw is not None
    reply = send(limited.live, vendor, raw)
    assert reply.status == 413, reply.body[:200]
    assert "limit" in problem(vendor, reply).lower()


@pytest.mark.parametrize("name", list(PROFILES))
def test_client_that_stops_sending_gets_408(limited: Served, name: str) -> None:
    vendor = PROFILES[name]
    with socket.create_connection((limited.live.host, limited.live.port), timeout=5) as sock:
        sock.sendall(upload_head(vendor, limited.live, "Content-Length: 900"))
        sock.sendall(body_start(vendor) + b"C" * 100)
        started = time.monotonic()
        readable, _, _ = select.select([sock], [], [], 3)  # body_timeout is 0.5 s
        waited = time.monotonic() - started
        assert readable, "the server waited more than 3 s for a stalled body"
        reply = read_reply(sock, timeout=2)
    assert 0.3 < waited < 2.5
    assert reply.status == 408
    assert "timed out" in problem(vendor, reply).lower()
    still_serves(limited, vendor)


def test_corpus_reaches_every_vendor() -> None:
    applies = {name: [case.name for case in CASES if case.build(vendor, "file-x") is not None]
               for name, vendor in PROFILES.items()}
    assert min(len(names) for names in applies.values()) >= 40, applies
    # No row is dead: each applies to some vendor.
    assert {case.name for case in CASES} == {n for names in applies.values() for n in names}
