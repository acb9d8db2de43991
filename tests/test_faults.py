"""Faults, journal, clock and the control API, seen through the openai SDK (both lines).

The VLM Run and orq SDKs' view of the same faults is in test_faults_sdks.py.
"""

from __future__ import annotations

import socket
import time

import httpx
import openai
import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.faults import FaultSpec, parse_header
from tests.conftest import IN_PROCESS, JSON_TYPE, RAW_AUTH, openai_client

pytestmark = pytest.mark.openai_sdk


def add_fault(http: httpx.Client, **rule) -> str:
    response = http.post("/_fakefiles/faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()["ids"][0]


def test_404_fault_in_openai_shape_even_for_a_stored_file(openai_sdk, http):
    f = openai_sdk.files.create(file=("a.txt", b"x"), purpose="assistants")
    fault_id = add_fault(http, vendor="openai", method="GET", path="/files/*", status=404)
    with pytest.raises(openai.NotFoundError) as err:
        openai_sdk.files.retrieve(f.id)
    assert err.value.body == {"message": f"No such File object: {f.id}",
                              "type": "invalid_request_error", "param": "id", "code": None}
    entry = http.get("/_fakefiles/requests", params={"method": "GET"}).json()["requests"][-1]
    assert entry["fault_id"] == fault_id and entry["status"] == 404


def test_422_fault_in_impala_shape(impala_sdk, http):
    add_fault(http, vendor="impala", status=422)
    with pytest.raises(openai.UnprocessableEntityError) as err:
        impala_sdk.files.list()
    assert set(err.value.body["detail"][0]) == {"loc", "msg", "type"}


def test_one_shot_500_is_retried_past_by_the_sdk(app, http):
    sdk = openai_client(f"{IN_PROCESS}/openai/v1", app, max_retries=2)
    fault_id = add_fault(http, vendor="openai", method="POST", path="/files", status=500,
                         times=1, headers={"retry-after-ms": "1"})
    created = sdk.files.create(file=("a.txt", b"x"), purpose="assistants")
    posts = http.get("/_fakefiles/requests", params={"method": "POST"}).json()["requests"]
    assert [(p["status"], p["fault_id"]) for p in posts] == [(500, fault_id), (200, None)]
    assert posts[1]["headers"]["x-stainless-retry-count"] == "1"
    # Only the second attempt stored a file.
    assert [f.id for f in sdk.files.list()] == [created.id]
    rule = http.get("/_fakefiles/faults").json()["faults"][0]
    assert (rule["fired"], rule["retired"]) == (1, True)


def test_failed_upload_stores_nothing(openai_sdk, http, app):
    add_fault(http, vendor="openai", method="POST", status=503)
    with pytest.raises(openai.InternalServerError):
        openai_sdk.files.create(file=("a.txt", b"x"), purpose="assistants")
    assert list(app.state.fake.store.records()) == []


def test_delay_is_measured(openai_sdk, http):
    add_fault(http, vendor="openai", method="GET", delay_ms=300)
    started = time.perf_counter()
    assert list(openai_sdk.files.list()) == []
    assert time.perf_counter() - started >= 0.3
    entry = http.get("/_fakefiles/requests").json()["requests"][-1]
    assert entry["duration_ms"] >= 300 and entry["status"] == 200


def flaky_pattern(seed: int) -> list[int]:
    fake = Fake(Settings(seed=seed))
    fake.faults.add(FaultSpec(vendor="openai", path="/files", status=503, probability=0.5))
    from fakefiles.inprocess import transport_for

    with httpx.Client(transport=transport_for(httpx, create_app(fake=fake)),
                      base_url=IN_PROCESS, headers=RAW_AUTH) as http:
        return [http.get("/openai/v1/files").status_code for _ in range(24)]


def test_probability_with_a_fixed_seed_is_reproducible():
    first, second = flaky_pattern(7), flaky_pattern(7)
    assert first == second
    assert set(first) == {200, 503}  # it really is flaky
    assert flaky_pattern(8) != first


FLAKY_FIXTURE = """
seed: 7
faults:
  - {vendor: openai, method: GET, probability: 0.5, status: 500}
  - {vendor: openai, method: GET, probability: 0.5, status: 503}
"""


def fault_pattern(fake: Fake, requests: int = 40) -> list[str | None]:
    picks = [fake.faults.pick("openai", "GET", "/files", None) for _ in range(requests)]
    return [None if rule is None else str(rule.spec.status) for rule in picks]


def test_a_seeded_fixture_file_gives_the_same_fault_pattern_without_seed(tmp_path):
    from fakefiles.fixtures import load_fixture_file

    path = tmp_path / "flaky.yaml"
    path.write_text(FLAKY_FIXTURE)
    patterns = []
    for _ in range(2):  # two runs, no --seed
        fake = Fake(Settings())
        fake.load(load_fixture_file(path))
        patterns.append(fault_pattern(fake))
        fake.reset()  # and a reset replays it
        patterns.append(fault_pattern(fake))
    assert patterns[0] == patterns[1] == patterns[2] == patterns[3]
    assert {"500", "503", None} <= set(patterns[0])  # really flaky, both rules
    path.write_text(FLAKY_FIXTURE.replace("seed: 7", "seed: 8"))
    other = Fake(Settings())
    other.load(load_fixture_file(path))
    assert fault_pattern(other) != patterns[0]  # the seed is what decides it


def test_header_form(openai_sdk):
    with pytest.raises(openai.UnprocessableEntityError):
        openai_sdk.files.list(extra_headers={"X-Fakefiles-Fault": "422"})
    started = time.perf_counter()
    with pytest.raises(openai.InternalServerError):
        openai_sdk.files.list(extra_headers={"X-Fakefiles-Fault": "500;delay_ms=200"})
    assert time.perf_counter() - started >= 0.2
    with pytest.raises(openai.APIConnectionError):
        openai_sdk.files.list(extra_headers={"X-Fakefiles-Fault": "reset"})
    with pytest.raises(openai.BadRequestError) as err:
        openai_sdk.files.list(extra_headers={"X-Fakefiles-Fault": "teapot"})
    assert err.value.param == "x-fakefiles-fault"


def test_reset_rule_drops_the_connection_on_a_live_server(live):
    sdk = openai_client(f"{live.url}/openai/v1")
    live.fake.faults.add(FaultSpec(vendor="openai", reset=True, times=1))
    with pytest.raises(openai.APIConnectionError):
        sdk.files.list()
    assert list(sdk.files.list()) == []  # the server is still up


def test_rules_match_on_file_id_and_method(openai_sdk, http):
    a = openai_sdk.files.create(file=("a.txt", b"a"), purpose="assistants")
    b = openai_sdk.files.create(file=("b.txt", b"b"), purpose="assistants")
    add_fault(http, file_id=a.id, method="DELETE", status=409)
    with pytest.raises(openai.ConflictError):
        openai_sdk.files.delete(a.id)
    assert openai_sdk.files.retrieve(a.id).id == a.id  # GET does not match
    assert openai_sdk.files.delete(b.id).deleted  # another id does not match
    rules = http.get("/_fakefiles/faults").json()["faults"]
    assert rules[0]["fired"] == 1 and rules[0]["matched"] == 1


def test_fault_rules_are_listed_and_removed(http):
    one = add_fault(http, status=500, vendor="openai")
    add_fault(http, status=429, vendor="openai", headers={"Retry-After": "2"})
    assert http.delete(f"/_fakefiles/faults/{one}", headers=JSON_TYPE).json() == {"deleted": 1}
    limited = http.get("/openai/v1/files")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert http.delete("/_fakefiles/faults", headers=JSON_TYPE).json() == {"deleted": 1}
    assert http.get("/openai/v1/files").status_code == 200
    assert http.delete("/_fakefiles/faults/flt_nope", headers=JSON_TYPE).status_code == 404
    listing = http.post("/_fakefiles/faults", json=[{"status": 500}, {"delay_ms": 5}])
    assert listing.status_code == 201 and len(listing.json()["ids"]) == 2


@pytest.mark.parametrize("rule, field", [
    ({"status": 99}, "status"),
    ({"status": 500, "colour": "red"}, "colour"),
    ({"vendor": "acme", "status": 500}, "vendor"),
    ({"probability": 2, "status": 500}, "probability"),
])
def test_bad_fault_rules_name_the_field(http, rule, field):
    response = http.post("/_fakefiles/faults", json=rule)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert field in response.json()["error"]["message"]


def test_bad_control_bodies(http):
    assert http.post("/_fakefiles/faults", content=b"{nope", headers=JSON_TYPE).status_code == 400
    assert http.post("/_fakefiles/faults", json={}).status_code == 422
    clock = http.post("/_fakefiles/clock", json={"advance_seconds": "soon"})
    assert clock.status_code == 422 and clock.json()["error"]["field"] == "advance_seconds"
    assert http.get("/_fakefiles/requests", params={"colour": "x"}).status_code == 400


def test_parse_header_forms():
    assert parse_header("404").status == 404
    spec = parse_header("500; delay_ms=200")
    assert (spec.status, spec.delay_ms) == (500, 200)
    assert parse_header("reset").reset and parse_header("delay_ms=50").status is None
    assert parse_header("429;retry_after=3").headers == {"Retry-After": "3"}
    with pytest.raises(ValueError):
        parse_header("sometimes")


def test_clock_drives_created_at_and_expiry_through_the_control_api(openai_sdk, http):
    set_clock = http.post("/_fakefiles/clock", json={"set": "2027-01-01T00:00:00Z"})
    assert set_clock.json()["now"].startswith("2027-01-01T00:00")
    f = openai_sdk.files.create(file=("a.txt", b"x"), purpose="assistants",
                                expires_after={"anchor": "created_at", "seconds": 7200})
    assert 1798761600 <= f.created_at < 1798761600 + 60
    http.post("/_fakefiles/clock", json={"advance_seconds": 7199})
    assert openai_sdk.files.retrieve(f.id).id == f.id
    http.post("/_fakefiles/clock", json={"advance_seconds": 60})
    with pytest.raises(openai.NotFoundError):
        openai_sdk.files.retrieve(f.id)
    assert http.delete("/_fakefiles/clock", headers=JSON_TYPE).json()["real"] is True


def test_reset_restores_fixtures_and_clears_faults_journal_and_clock(app, http, openai_sdk):
    fake = app.state.fake
    from fakefiles.blobs import blob_from_bytes
    from fakefiles.fake import Seed
    from fakefiles.store import FileRecord

    fake.load(Seed(records=[FileRecord(id="file-seeded", namespace="openai", filename="s.txt",
                                       purpose="assistants", created_at=1.7e9,
                                       blob=blob_from_bytes(b"seed"))]))
    openai_sdk.files.create(file=("extra.txt", b"x"), purpose="assistants")
    openai_sdk.files.delete("file-seeded")
    add_fault(http, status=500, vendor="impala")
    http.post("/_fakefiles/clock", json={"advance_seconds": 99})
    assert http.post("/_fakefiles/reset", headers=JSON_TYPE).json()["status"] == "ok"
    assert [f.id for f in openai_sdk.files.list()] == ["file-seeded"]
    assert http.get("/_fakefiles/faults").json()["faults"] == []
    assert http.get("/_fakefiles/clock").json()["real"] is True
    journal = http.get("/_fakefiles/requests").json()["requests"]
    assert [e["path"] for e in journal] == ["/openai/v1/files"]  # only the list just made


def test_journal_masks_keys_and_filters(app, http):
    sdk = openai_client(f"{IN_PROCESS}/openai/v1", app)
    sdk.files.list()
    http.get("/impala/v1/files", headers={"Authorization": "Bearer impala-secret-key-123456"})
    entries = http.get("/_fakefiles/requests").json()["requests"]
    assert entries[0]["headers"]["authorization"] == "Bearer ****cdef"
    assert "sk-test" not in str(entries)
    assert "impala-secret" not in str(entries)
    only = http.get("/_fakefiles/requests", params={"vendor": "impala"}).json()["requests"]
    assert [e["vendor"] for e in only] == ["impala"]
    by_path = http.get("/_fakefiles/requests", params={"path": "/openai/*"}).json()["requests"]
    assert len(by_path) == 1 and by_path[0]["method"] == "GET"


def test_journal_is_bounded():
    fake = Fake(Settings(journal_size=3))
    from fakefiles.inprocess import transport_for

    with httpx.Client(transport=transport_for(httpx, create_app(fake=fake)),
                      base_url=IN_PROCESS, headers=RAW_AUTH) as http:
        for _ in range(5):
            http.get("/openai/v1/files")
        assert len(http.get("/_fakefiles/requests").json()["requests"]) == 3


def test_state_counts(openai_sdk, impala_sdk, http):
    openai_sdk.files.create(file=("a.txt", b"abc"), purpose="assistants")
    impala_sdk.files.create(file=("b.txt", b"de"), purpose="assistants")
    vendors = http.get("/_fakefiles/state").json()["vendors"]
    assert vendors["openai"] == {"files": 1, "bytes": 3}
    assert vendors["impala"] == {"files": 1, "bytes": 2}


def test_reset_drops_the_connection_before_any_byte(live):
    # Nothing at all may reach the client: a fetch() that got "200 OK" and then lost the body
    # resolves ok=true and is never retried (the openai JS SDK, browsers).
    live.fake.faults.add(FaultSpec(vendor="openai", reset=True, times=1))
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /openai/v1/files HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer sk-x\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received == b""
    entry = live.fake.journal.entries(vendor="openai")[-1]
    assert (entry.status, entry.fault_id) == (0, live.fake.faults.rules()[0].id)
    assert httpx.get(f"{live.url}/openai/v1/files",
                     headers={"Authorization": "Bearer sk-x"}).status_code == 200


def test_reset_in_process_is_a_protocol_error_journaled_as_status_0(http, app):
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/openai/v1/files", headers={"X-Fakefiles-Fault": "reset"})
    entry = app.app.state.fake.journal.entries()[-1]
    assert (entry.status, entry.fault_id) == (0, "header")
