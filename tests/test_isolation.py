"""A slow request from one test must not change the next: a delayed request whose client has
gone is abandoned, and nothing that began before a reset changes the store or the journal
after it (a reset generation per request)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakefiles import Fake, Settings, create_app, inprocess
from fakefiles.faults import FaultSpec
from fakefiles.fixtures import load_fixture_text
from fakefiles.server import LiveServer
from tests.conftest import IN_PROCESS

FIXTURE = """
openai:
  files:
    - {id: file-kept, filename: kept.txt, purpose: assistants, content: kept}
"""
DELETE = "/openai/v1/files/file-kept"
KEY = {"Authorization": "Bearer sk-test-isolation"}  # vendors want a key


@pytest.fixture
def fake() -> Fake:
    fake = Fake(Settings())
    fake.load(load_fixture_text(FIXTURE))  # kept: every reset puts it back
    return fake


@pytest.fixture
def server(fake: Fake) -> Iterator[LiveServer]:
    with LiveServer(create_app(fake=fake)) as server:
        yield server


def kept(fake: Fake) -> bool:
    return fake.store.get("openai", "file-kept") is not None


def deletes(fake: Fake) -> list[Any]:
    return fake.journal.entries(method="DELETE")


def test_a_delayed_request_whose_client_timed_out_is_abandoned(fake: Fake,
                                                               server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=KEY) as client:
        client.post("/_fakefiles/faults", json={"method": "DELETE", "delay_ms": 800})
        with pytest.raises(httpx.TimeoutException):
            client.delete(DELETE, timeout=0.2)  # test A gives up
    time.sleep(1.2)  # past the delay
    assert kept(fake)
    assert [e.status for e in deletes(fake)] == [499]  # seen, and abandoned


def test_a_reset_fences_off_the_previous_tests_slow_request(fake: Fake,
                                                           server: LiveServer) -> None:
    answers: list[int] = []
    with httpx.Client(base_url=server.url, headers=KEY, timeout=10) as client:
        client.post("/_fakefiles/faults", json={"method": "DELETE", "delay_ms": 600})
        slow = threading.Thread(target=lambda: answers.append(client.delete(DELETE).status_code))
        slow.start()
        time.sleep(0.2)
        fake.reset()  # test B starts while test A's DELETE still waits (its client too)
        slow.join(timeout=10)
    assert answers == [409]  # told it changed nothing
    assert kept(fake)
    assert deletes(fake) == []  # B's journal holds nothing of A's


@pytest.mark.asyncio
async def test_in_process_a_cancelled_request_is_abandoned(fake: Fake) -> None:
    app = create_app(fake=fake)
    fake.faults.add(FaultSpec(method="DELETE", delay_ms=800))
    async with httpx.AsyncClient(transport=inprocess.async_transport_for(httpx, app),
                                 base_url=IN_PROCESS, headers=KEY) as client:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.delete(DELETE), 0.2)
    await asyncio.sleep(1.0)
    assert kept(fake)
    assert [e.status for e in deletes(fake)] == [499]
    inprocess.close(app)


def test_an_upload_that_began_before_a_reset_stores_nothing(fake: Fake,
                                                            server: LiveServer) -> None:
    answers: list[int] = []
    with httpx.Client(base_url=server.url, headers=KEY, timeout=10) as client:
        client.post("/_fakefiles/faults", json={"method": "POST", "path": "/files",
                                                "delay_ms": 600})
        upload = threading.Thread(target=lambda: answers.append(client.post(
            "/openai/v1/files", files={"file": ("late.txt", b"late")},
            data={"purpose": "assistants"}).status_code))
        upload.start()
        time.sleep(0.2)
        fake.reset()
        upload.join(timeout=10)
    assert answers == [409]
    assert [r.filename for r in fake.store.records()] == ["kept.txt"]
    assert fake.journal.entries() == []
