"""Thread safety, tested where it is claimed: the test thread seeds, resets and reads the
store, journal and faults while the live server's loop thread serves concurrent HTTP load.

(Every other race test goes through HTTP, so all of its store calls run on the server's one
loop thread; these fail when the store's, journal's or fault book's lock is removed.)
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.blobs import blob_from_bytes
from fakefiles.fake import Seed
from fakefiles.faults import FaultSpec
from fakefiles.server import LiveServer
from fakefiles.store import FileRecord, FileStore

SECONDS = 3.0
CLIENTS = 4
FILES = 1000  # many, so that a read iterating them overlaps writes from the server thread


def fixture_seed() -> Seed:
    records = [FileRecord(id=f"file-fixture{n}", namespace="openai", filename=f"f{n}.txt",
                          purpose="assistants", created_at=1_700_000_000 + n,
                          blob=blob_from_bytes(b"fixture %d" % n)) for n in range(FILES)]
    return Seed(records=records)


@pytest.fixture
def served() -> Iterator[tuple[Fake, str]]:
    fake = Fake(Settings(), seeds=[fixture_seed()])
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: races show up in seconds, not days
    try:
        with LiveServer(create_app(fake=fake)) as server:
            yield fake, server.url
    finally:
        sys.setswitchinterval(interval)


def one_file_seed(rounds: int) -> Seed:
    record = FileRecord(id=f"file-thread{rounds}", namespace="openai", filename="t.txt",
                        purpose="vision", created_at=time.time(),
                        blob=blob_from_bytes(b"seeded from the test thread"))
    return Seed(records=[record])


class Load(threading.Thread):
    """One HTTP client: uploads, lists, reads and deletes until told to stop."""

    def __init__(self, url: str, n: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.rng, self.stop = url, random.Random(n), stop
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=f"{self.url}/openai/v1", timeout=30,
                          headers={"Authorization": "Bearer sk-test-threads"}) as client:
            mine: list[str] = []
            while not self.stop.is_set():
                try:
                    self.step(client, mine)
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))

    def step(self, client: httpx.Client, mine: list[str]) -> None:
        action = self.rng.random()
        if action < 0.45 or not mine:
            response = client.post("/files", data={"purpose": "assistants"},
                                   files={"file": ("load.txt", self.rng.randbytes(64))})
            if response.status_code == 200:
                mine.append(response.json()["id"])
        elif action < 0.7:
            response = client.get("/files", params={"limit": 20})
        elif action < 0.85:
            response = client.get(f"/files/{self.rng.choice(mine)}")
        else:
            response = client.delete(f"/files/{mine.pop()}")
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1


def consistent(store: FileStore) -> None:
    """The store's indexes agree with its records (what a race without the lock breaks)."""
    with store._lock:
        for name, ns in store._namespaces.items():
            keys = ns.order.keys
            assert keys == sorted(keys), name
            assert sorted(k[2] for k in keys) == sorted(ns.records), name
            for purpose, index in ns.by_purpose.items():
                assert all(ns.records[k[2]].purpose == purpose for k in index.keys), name
            assert sum(len(ids) for ids in ns.by_md5.values()) == len(ns.records), name


def test_the_test_thread_seeds_resets_and_reads_under_http_load(
    served: tuple[Fake, str]
) -> None:
    fake, url = served
    stop = threading.Event()
    clients = [Load(url, n, stop) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    problems: list[str] = []
    rounds = 0
    started = time.monotonic()

    def enough() -> bool:
        """SECONDS of overlap with at least 50 HTTP answers; on a starved CI machine the load
        may need longer to reach them, up to a minute (a count, not a time, is the bound)."""
        answered = sum(sum(c.statuses.values()) for c in clients)
        elapsed = time.monotonic() - started
        return elapsed > 60 or (elapsed > SECONDS and answered > 50 and rounds > 20)

    try:
        while not enough():
            time.sleep(0)  # let the server's thread have the GIL between rounds
            rounds += 1
            try:
                fake.load(one_file_seed(rounds), keep=False)
                listed = fake.store.page("openai", limit=50, offset=rounds % 100).records
                assert all(r.namespace == "openai" for r in listed)
                assert sum(1 for _ in fake.store.records()) >= FILES
                fake.store.find_by_md5("openai", listed[0].md5)
                fake.store.count("openai")
                fake.journal.entries(method="POST")
                fake.faults.add(FaultSpec(vendor="impala", status=500))
                fake.faults.rules()
                if rounds % 50 == 0:
                    fake.reset()
                    # A reset is one step: the fixture is there at once, whatever the load.
                    assert fake.store.get("openai", "file-fixture0") is not None
            except Exception as exc:  # noqa: BLE001  any error here is the finding
                problems.append(f"round {rounds}: {type(exc).__name__}: {exc}")
                if len(problems) > 5:
                    break
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    assert problems == []
    for client in clients:
        assert client.errors == []
        assert set(client.statuses) <= {200, 404, 409}, client.statuses  # never a 500
    assert sum(sum(c.statuses.values()) for c in clients) > 50  # the load really ran
    assert rounds > 20
    consistent(fake.store)
