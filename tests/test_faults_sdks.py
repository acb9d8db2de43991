"""Injected faults as the VLM Run and orq SDKs see them: each SDK's own error class, carrying
the vendor's own body (the openai SDK's view is in test_faults.py)."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from orq_ai_sdk import Orq
from orq_ai_sdk.models import APIDefaultError, ErrorResponse
from vlmrun.client import VLMRun
from vlmrun.client.exceptions import APIError, ResourceNotFoundError, ServerError

from fakefiles.faults import FaultSpec
from tests.conftest import RAW_AUTH


def vlmrun(live) -> VLMRun:
    return VLMRun(base_url=f"{live.url}/vlmrun/v1", api_key="vlm-key", max_retries=1)


def orq(live, key: str = "orq-key") -> Orq:
    return Orq(api_key=key, server_url=f"{live.url}/orq")


def test_vlmrun_404_and_422_faults(live, tmp_path):
    client = vlmrun(live)
    path = tmp_path / "a.txt"
    path.write_bytes(b"vlm fault test")
    stored = client.files.upload(path, purpose="assistants")
    live.fake.faults.add(FaultSpec(vendor="vlmrun", method="GET", path="/files/*", status=404,
                                   times=1))
    with pytest.raises(ResourceNotFoundError) as err:
        client.files.get(stored.id)
    assert err.value.http_status == 404 and err.value.message == f"File not found: {stored.id}"
    assert client.files.get(stored.id).id == stored.id  # times=1: it retired

    live.fake.faults.add(FaultSpec(vendor="vlmrun", method="GET", path="/files", status=422))
    with pytest.raises(APIError) as err:
        client.files.list()
    assert err.value.http_status == 422
    detail = err.value.message  # the SDK hands over FastAPI's detail list as the message
    assert isinstance(detail, list) and {"type", "loc", "msg"} <= set(detail[0])


def test_vlmrun_server_error_is_retried_by_the_sdk(live):
    live.fake.faults.add(FaultSpec(vendor="vlmrun", path="/files", method="GET", status=503,
                                   times=1))
    client = VLMRun(base_url=f"{live.url}/vlmrun/v1", api_key="k", max_retries=2)
    assert client.files.list() == []  # tenacity waited ~1 s and tried again
    statuses = [e.status for e in live.fake.journal.entries(vendor="vlmrun", method="GET")
                if e.path.endswith("/files")]
    assert statuses == [503, 200]
    live.fake.faults.add(FaultSpec(vendor="vlmrun", path="/files", method="GET", status=500))
    with pytest.raises(ServerError):
        vlmrun(live).files.list()


def test_orq_404_and_422_faults(live):
    client = orq(live)
    created = client.files.create(filename="a.txt", content=base64.b64encode(b"hi").decode())
    file_id = created.file.file_id
    live.fake.faults.add(FaultSpec(vendor="orq", file_id=file_id, status=404, times=1))
    with pytest.raises(ErrorResponse) as err:  # orq's SDK raises ErrorResponse for a JSON 404
        client.files.get(file_id=file_id)
    assert err.value.data.code == 5 and file_id in err.value.data.message
    assert client.files.get(file_id=file_id).file.file_id == file_id

    live.fake.faults.add(FaultSpec(vendor="orq", method="GET", path="/files", status=422))
    with pytest.raises(APIDefaultError) as err:
        client.files.list()
    assert err.value.status_code == 422
    assert '"message"' in err.value.body and '"details"' in err.value.body


def test_header_fault_and_delay_with_orq(live):
    client = orq(live)
    started = time.perf_counter()
    with pytest.raises(APIDefaultError) as err:
        client.files.list(http_headers={"X-Fakefiles-Fault": "503;delay_ms=150"})
    assert err.value.status_code == 503 and time.perf_counter() - started >= 0.15
    entry = live.fake.journal.entries(vendor="orq")[-1]
    assert entry.fault_id == "header" and entry.status == 503


def test_reset_fault_reaches_orq_as_a_connection_error(live):
    live.fake.faults.add(FaultSpec(vendor="orq", reset=True, times=1))
    with pytest.raises(httpx.HTTPError):
        orq(live).files.list()
    assert orq(live).files.list().data == []


def test_the_journal_has_a_request_as_soon_as_its_answer_arrives(live):
    # Over a real socket the client may read the response before the server's task ends;
    # the entry must already be there (tests assert on it right after the call).
    with httpx.Client(base_url=live.url, headers=RAW_AUTH) as client:
        for count in range(1, 41):
            assert client.get("/openai/v1/files").status_code == 200
            assert len(live.fake.journal.entries(vendor="openai")) == count
