"""Concurrency soak: many clients upload to every vendor at once against a live server,
mixed with lists, retrieves, downloads and deletes; then every surviving file is checked
byte for byte. Nothing lost, nothing corrupted, no id given twice, and no list ever shows a
file that cannot be read back whole (unless it was being deleted).

``FAKEFILES_SOAK_UPLOADS`` sets the size (300 for ``make test``; ``make soak`` runs 1000+),
``FAKEFILES_SOAK_CLIENTS`` the concurrency (32).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256
from pathlib import Path

import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.server import LiveServer
from tests.contracts import ContractRecorder
from tests.files_client import VENDORS, FilesClient, content, declared

UPLOADS = int(os.environ.get("FAKEFILES_SOAK_UPLOADS", "300"))
CLIENTS = int(os.environ.get("FAKEFILES_SOAK_CLIENTS", "32"))
ORQ_KEYS = ("orq-soak-a", "orq-soak-b")  # two projects, which must never see each other's files
BIG = 1024 * 1024 + 1  # past the spool threshold: a file-backed blob
Key = tuple[str, str]  # (vendor, file id)


class Ledger:
    """What every client did, shared; one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uploaded: dict[Key, tuple[int, str, str]] = {}  # -> size, sha256, orq key
        self.deleting: set[Key] = set()  # a delete was sent (it may not have answered yet)
        self.deleted: set[Key] = set()
        self.problems: list[str] = []
        self.ops: Counter[str] = Counter()

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def client_run(worker: int, url: str, ledger: Ledger) -> None:
    rng = random.Random(worker)
    orq_key = ORQ_KEYS[worker % 2]
    client = FilesClient(url, orq_key=orq_key, timeout=60.0)
    mine: list[Key] = []
    try:
        for n in range(worker, UPLOADS, CLIENTS):
            try:
                one_round(n, client, rng, orq_key, mine, ledger)
            except Exception as exc:  # keep going: every problem is reported at the end
                ledger.problem(f"client {worker}, upload {n}: {type(exc).__name__}: {exc}")
    finally:
        client.close()


def one_round(n: int, client: FilesClient, rng: random.Random, orq_key: str, mine: list[Key],
              ledger: Ledger) -> None:
    vendor = VENDORS[n % len(VENDORS)]
    size = BIG if n % 97 == 13 else rng.randint(1, 16 * 1024)
    filename, data = content(f"soak-{n}", size, rng)
    key = (vendor, client.upload(vendor, filename, data))
    with ledger.lock:
        if key in ledger.uploaded:
            ledger.problems.append(f"duplicate id {key}")
        # len(data), not size: content() never makes fewer bytes than its unique tag.
        ledger.uploaded[key] = (len(data), sha256(data).hexdigest(), orq_key)
        ledger.ops["upload"] += 1
    mine.append(key)
    for _ in range(rng.randint(1, 2)):
        choice = rng.random()
        live = [k for k in mine if k not in ledger.deleting]
        if choice < 0.25 or not live:
            check_a_list(client, rng.choice(VENDORS), orq_key, rng, ledger)
            continue
        target = rng.choice(live)
        if choice < 0.5:
            item = client.retrieve(*target)
            if item is None or item["size"] != ledger.uploaded[target][0]:
                ledger.problem(f"retrieve {target}: {item}")
            ledger.ops["retrieve"] += 1
        elif choice < 0.8:
            got = client.download(*target)
            if got is None or sha256(got).hexdigest() != ledger.uploaded[target][1]:
                ledger.problem(f"download {target}: {None if got is None else len(got)} bytes")
            ledger.ops["download"] += 1
        else:
            with ledger.lock:
                ledger.deleting.add(target)
            if not client.delete(*target):
                ledger.problem(f"delete {target}: 404 for a file only this client deletes")
            with ledger.lock:
                ledger.deleted.add(target)
                ledger.ops["delete"] += 1
            if client.retrieve(*target) is not None:
                ledger.problem(f"deleted {target} still retrievable")


def check_a_list(client: FilesClient, vendor: str, orq_key: str, rng: random.Random,
                 ledger: Ledger) -> None:
    """Every listed file is whole: its size is the one its upload declared, and a few of them
    (anyone's) download with the right sha256, unless they are being deleted."""
    items = client.list_all(vendor)
    ledger.ops["list"] += 1
    for item in items:
        size, _ = declared(item["filename"])
        if item["size"] != size:
            ledger.problem(f"list {vendor}: {item} does not have its {size} bytes")
        owner = ledger.uploaded.get((vendor, item["id"]))
        if vendor == "orq" and owner is not None and owner[2] != orq_key:
            ledger.problem(f"list orq as {orq_key}: {item['id']} belongs to {owner[2]}")
    if vendor in ("openai", "impala"):  # one page: no id twice
        ids = [item["id"] for item in items]
        if len(set(ids)) != len(ids):
            ledger.problem(f"list {vendor}: an id twice in one page")
    for item in rng.sample(items, min(3, len(items))):
        got = client.download(vendor, item["id"])
        ledger.ops["download listed"] += 1
        key = (vendor, item["id"])
        if got is None:
            if key not in ledger.deleting:
                ledger.problem(f"listed {key} is gone but nobody deleted it")
        elif sha256(got).hexdigest() != declared(item["filename"])[1]:
            ledger.problem(f"listed {key}: content does not match its upload")


@pytest.fixture(params=["memory", "data-dir"])
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The session's live server (memory), or one persisting to a data directory."""
    if request.param == "memory":
        yield request.getfixturevalue("live").url
        return
    fake = Fake(Settings(data_dir=tmp_path / "data"))
    recorder = ContractRecorder(create_app(fake=fake))
    with LiveServer(recorder) as server:
        yield server.url
    fake.close()
    assert not recorder.failures, "\n".join(recorder.failures)


def test_soak(server_url: str) -> None:
    ledger = Ledger()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for future in [pool.submit(client_run, w, server_url, ledger) for w in range(CLIENTS)]:
            future.result()
    elapsed = time.monotonic() - started
    assert not ledger.problems, "\n".join(ledger.problems[:20])

    # Quiet now: each vendor (and orq project) lists exactly the surviving uploads, each one
    # downloads whole.
    survivors = {k: v for k, v in ledger.uploaded.items() if k not in ledger.deleted}
    checked = 0
    for vendor in VENDORS:
        for orq_key in ORQ_KEYS if vendor == "orq" else ORQ_KEYS[:1]:
            client = FilesClient(server_url, orq_key=orq_key)
            listed = [item["id"] for item in client.list_all(vendor)]
            expected = {k[1] for k, v in survivors.items()
                        if k[0] == vendor and (vendor != "orq" or v[2] == orq_key)}
            assert len(listed) == len(set(listed)), f"{vendor}: an id listed twice"
            assert set(listed) == expected, f"{vendor}: lost {expected - set(listed)}, " \
                                            f"extra {set(listed) - expected}"
            for file_id in listed:
                got = client.download(vendor, file_id)
                assert got is not None
                assert sha256(got).hexdigest() == survivors[(vendor, file_id)][1]
                checked += 1
            client.close()
    assert checked == len(survivors)
    assert ledger.ops["upload"] == UPLOADS == len(ledger.uploaded)
    requests = sum(ledger.ops.values())
    print(f"\nsoak: {UPLOADS} uploads by {CLIENTS} clients, {requests} calls "
          f"({dict(ledger.ops)}) in {elapsed:.1f} s ({requests / elapsed:.0f}/s); "
          f"{len(survivors)} survivors checked by sha256; 0 lost, 0 corrupted, 0 duplicated")


def test_racing_writers_agree(server_url: str) -> None:
    """Writes that race on one thing: one outcome, never a 5xx."""
    clients = [FilesClient(server_url, orq_key=ORQ_KEYS[0]) for _ in range(16)]
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            race_vlmrun_dedup(pool, clients)
            race_orq_rename_and_delete(pool, clients)
            race_openai_complete_and_cancel(pool, clients)
    finally:
        for client in clients:
            client.close()


def race_vlmrun_dedup(pool: ThreadPoolExecutor, clients: list[FilesClient]) -> None:
    """VLM Run dedups by content: the same bytes sent 16 times at once give one file."""
    same = b"the same bytes, sixteen times at once"
    ids = set(pool.map(lambda c: c.upload("vlmrun", "same.txt", same), clients))
    assert len(ids) == 1
    assert [f["id"] for f in clients[0].list_all("vlmrun")] == list(ids)


def race_orq_rename_and_delete(pool: ThreadPoolExecutor, clients: list[FilesClient]) -> None:
    """Renames racing a delete of the same file: each answers 200 or 404, and it ends gone."""

    def rename_or_delete(n: int, file_id: str) -> int:
        method, body = ("DELETE", None) if n == 7 else ("PATCH", {"file_name": f"n{n}.txt"})
        return clients[n].request("orq", method, f"/files/{file_id}", ok=(200, 404),
                                  json=body).status_code

    for _ in range(5):
        file_id = clients[0].upload("orq", "r.txt", os.urandom(64))
        statuses = list(pool.map(rename_or_delete, range(16), [file_id] * 16))
        assert statuses[7] == 200 and set(statuses) <= {200, 404}
        assert clients[0].retrieve("orq", file_id) is None


def race_openai_complete_and_cancel(pool: ThreadPoolExecutor,
                                    clients: list[FilesClient]) -> None:
    """Parts added at once, then completes racing cancels: exactly one of them wins."""
    parts = [os.urandom(1000) for _ in range(8)]
    upload = clients[0].request("openai", "POST", "/uploads", json={
        "filename": "u.png", "purpose": "vision", "bytes": 8000,  # downloadable
        "mime_type": "image/png"}).json()
    base = f"/uploads/{upload['id']}"

    def add_part(n: int) -> str:
        response = clients[n].request("openai", "POST", f"{base}/parts",
                                      files={"data": ("p", parts[n])})
        return str(response.json()["id"])

    part_ids = list(pool.map(add_part, range(8)))

    def finish(n: int) -> int:
        if n % 2:
            response = clients[n].request("openai", "POST", f"{base}/complete", ok=(200, 400),
                                          json={"part_ids": part_ids})
        else:
            response = clients[n].request("openai", "POST", f"{base}/cancel", ok=(200, 400))
        return response.status_code

    outcomes = list(pool.map(finish, range(8)))
    assert outcomes.count(200) == 1
    completed = outcomes.index(200) % 2 == 1
    stored = [f for f in clients[0].list_all("openai") if f["filename"] == "u.png"]
    assert len(stored) == (1 if completed else 0)
    if completed:
        assert clients[0].download("openai", stored[0]["id"]) == b"".join(parts)
